"""The host unit tests (tests/host: portable kernel code built with the host
compiler and sanitizers), wrapped as one pytest test."""

import re
import subprocess

import pytest

import qemu

HOST_DIR = qemu.ROOT / "tests" / "host"
SUMMARY = re.compile(r"(\d+) passed, (\d+) failed")


def test_host_unit_tests():
    if not (HOST_DIR / "Makefile").is_file():
        pytest.fail(f"{HOST_DIR}/Makefile does not exist", pytrace=False)
    try:
        p = subprocess.run(["make", "-C", str(HOST_DIR)], cwd=qemu.ROOT, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=900)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode("utf-8", "replace")
        pytest.fail(f"make -C tests/host timed out\n{qemu.tail(out, 60)}",
                    pytrace=False)
    summaries = SUMMARY.findall(p.stdout)
    if p.returncode != 0:
        pytest.fail(f"make -C tests/host failed (exit {p.returncode}):\n"
                    f"{qemu.tail(p.stdout, 80)}", pytrace=False)
    if not summaries:
        pytest.fail("make -C tests/host printed no 'N passed, N failed' line:\n"
                    + qemu.tail(p.stdout, 40), pytrace=False)
    failed = sum(int(f) for _, f in summaries)
    if failed:
        pytest.fail(f"host unit tests: {failed} failed although make succeeded:\n"
                    + qemu.tail(p.stdout, 80), pytrace=False)


@pytest.mark.parametrize("target", ["fuzz-net", "fuzz-fdt"])
def test_fuzzer_bounded_run(target):
    """libFuzzer on a parser of outside input (network frames, DTBs) for a
    bounded time, seeded with real inputs: any crash, leak or sanitizer
    report fails (the input is kept in build/host/ as a regression case)."""
    try:
        p = subprocess.run(["make", "-C", str(HOST_DIR), target, "FUZZ_TIME=20"],
                           cwd=qemu.ROOT, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.fail(f"make {target} did not end", pytrace=False)
    if p.returncode != 0:
        pytest.fail(f"make {target} failed (exit {p.returncode}):\n"
                    f"{qemu.tail(p.stdout, 60)}", pytrace=False)
    assert re.search(r"Done \d+ runs", p.stdout), qemu.tail(p.stdout, 30)
