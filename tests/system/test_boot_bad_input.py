"""Bad input the kernel must survive with a clear message (issue 2, "Bad
input"): an injected data abort, a kernel stack overflow, an unknown ktest=
pattern, and malformed DTBs.  Each expected panic is the PASS condition of
its test: the harness must see KERNEL PANIC, the decoded reason and a
non-zero power-off status, never a hang.

The DTB cases cannot go through `-kernel`: QEMU then builds its own DTB (or
rewrites /memory and /chosen in a -dtb file).  Instead a tiny bootloader
(fixtures/dtbstub.S) is assembled at test time and loaded with the kernel
and the DTB through `-device loader`; it enters the kernel with x0 = DTB.
"""

import re
import struct

import pytest

import qemu

BAD_INPUT_TIMEOUT = 60
DTB_WORDS = re.compile(r"dtb|fdt|device[ -]?tree", re.I)


def first_panic_line(run):
    text = run.panic_text
    return text.split("\n", 1)[0] if text else ""


def expect_panic(run, what):
    """The run ended in a KERNEL PANIC and a non-zero power-off status."""
    assert not run.timed_out, run.describe(f"{what}: hung instead of panicking")
    assert not run.no_exit, run.describe(f"{what}: QEMU did not exit after the marker")
    assert run.panicked, run.describe(f"{what}: no KERNEL PANIC line")
    assert run.status is not None, run.describe(
        f"{what}: panicked but printed no power-off marker")
    assert run.status != 0, run.describe(f"{what}: panic with status 0")
    assert run.ktest_verdict() == "panic"


# ---------------------------------------------------------------------------
# Deliberate crashes (ktests of the "panic" suite, run one at a time).

def test_injected_data_abort(kernel):
    run = qemu.boot("panic-data-abort", "ktest=panic.data_abort",
                    timeout=BAD_INPUT_TIMEOUT)
    assert run.no_match is None, run.describe("ktest panic.data_abort does not exist")
    expect_panic(run, "data abort")
    # The crash report (ESR, FAR, ELR, registers) may come before or after
    # the KERNEL PANIC line; it is looked for in everything after boot.
    text = run.output.split("kernel ready", 1)[-1]
    assert re.search(r"ESR.*class:?\s*data abort", text, re.I), run.describe(
        "no ESR line decoding the class as 'data abort'")
    for reg in ("FAR", "ELR"):
        assert re.search(rf"\b{reg}\b", text), run.describe(f"crash report has no {reg}")
    for reg in ("x0", "x28", "x30"):
        assert re.search(rf"\b{reg}\b", text, re.I), run.describe(
            f"crash report does not show register {reg}")
    assert "panic.data_abort" not in run.ktests, run.describe(
        "the crashing test reported a result")


def test_kernel_stack_overflow(kernel):
    run = qemu.boot("panic-stack-overflow", "ktest=panic.stack_overflow",
                    timeout=BAD_INPUT_TIMEOUT)
    assert run.no_match is None, run.describe("ktest panic.stack_overflow does not exist")
    expect_panic(run, "stack overflow")
    assert re.search(r"kernel stack overflow", run.panic_text, re.I), run.describe(
        "the panic does not say 'kernel stack overflow'")


def test_unknown_ktest_pattern(kernel):
    """Zero tests run is reported as such, never as a pass."""
    run = qemu.boot("ktest-nosuch", "ktest=nosuch.*", timeout=BAD_INPUT_TIMEOUT)
    assert not run.timed_out, run.describe("ktest=nosuch.*: hang")
    assert not run.panicked, run.describe("ktest=nosuch.*: panic")
    assert run.no_match == "nosuch.*", run.describe(
        "no \"ktest: no test matches 'nosuch.*'\" line")
    assert run.status == 2, run.describe(f"status {run.status}, expected 2")
    assert not run.ktests, run.describe("tests ran for an unknown pattern")
    assert run.ktest_verdict() == "no-tests"


# ---------------------------------------------------------------------------
# Malformed device trees, handed over by the test bootloader.

FDT_MAGIC = 0xD00DFEED
FDT_HEADER = struct.Struct(">10I")   # magic totalsize off_struct off_strings
                                     # off_rsvmap version last_comp cpuid
                                     # size_strings size_struct


def set_totalsize(blob, size):
    return blob[:4] + struct.pack(">I", size) + blob[8:]


@pytest.fixture(scope="session")
def dtb_dir(kernel):
    d = qemu.BUILD / "dtbtest"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def stub(dtb_dir):
    return qemu.build_stub(dtb_dir, qemu.DTB_ADDR)


@pytest.fixture(scope="session")
def base_dts(dtb_dir):
    """QEMU's own DTB for our machine, decompiled, with bootargs ktest=list
    (so a boot that gets through shows it read /chosen and powers off)."""
    dumped = qemu.dump_dtb(dtb_dir / "qemu-virt.dtb")
    dts = qemu.run_tool(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped],
                        "decompiling the DTB")
    dts, n = re.subn(r"(\n\s*chosen \{\n)", r'\1\t\tbootargs = "ktest=list";\n', dts)
    assert n == 1, "no /chosen node in QEMU's DTB"
    assert "bootargs" in dts
    return dts


def compile_dts(dtb_dir, name, dts):
    src = dtb_dir / f"{name}.dts"
    src.write_text(dts)
    out = dtb_dir / f"{name}.dtb"
    qemu.run_tool(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, src],
                  f"compiling {src}")
    return out


@pytest.fixture(scope="session")
def good_dtb(dtb_dir, base_dts):
    return compile_dts(dtb_dir, "good", base_dts)


def stub_boot(name, stub, dtb):
    return qemu.boot(name, kernel=None, timeout=BAD_INPUT_TIMEOUT,
                     extra_args=qemu.stub_boot_args(stub, dtb))


def test_dtb_stub_boots_good_dtb(stub, good_dtb, ktest_list):
    """The test bootloader path itself works: with an intact DTB the kernel
    boots, reads bootargs from it and lists the same tests as under -kernel."""
    run = stub_boot("dtb-good", stub, good_dtb)
    assert not run.timed_out, run.describe("good DTB via stub: hang")
    assert not run.panicked, run.describe("good DTB via stub: panic")
    assert run.status == 0, run.describe(f"good DTB via stub: status {run.status}")
    assert run.listed and run.listed == ktest_list.listed, run.describe(
        "good DTB via stub: ktest=list output differs from the -kernel boot")


def write_variant(dtb_dir, name, blob):
    path = dtb_dir / f"{name}.dtb"
    path.write_bytes(blob)
    return path


def bad_magic(good):
    return b"\xde\xad\xbe\xef" + good[4:]


def totalsize_huge(good):
    # The header claims 1 GiB: far more than was loaded, past the end of RAM
    # and beyond any sane DTB size.
    return set_totalsize(good, 0x40000000)


def cut_short(good):
    # Cut inside the structure block and make totalsize agree with the cut:
    # the header's block offsets and sizes now point past the end.
    hdr = FDT_HEADER.unpack_from(good)
    off_struct, size_struct = hdr[2], hdr[9]
    cut = (off_struct + size_struct // 2) & ~7
    return set_totalsize(good[:cut], cut)


# name, how to make it from the good blob (or DTS), what the panic must say
DTB_CASES = {
    "bad_magic": (bad_magic, r"magic"),
    "truncated_totalsize_huge": (totalsize_huge, r"truncat|size|large|bound|exceed|beyond|range"),
    "truncated_cut_short": (cut_short, r"truncat|size|bound|exceed|beyond|range|short"),
}


@pytest.mark.parametrize("case", list(DTB_CASES))
def test_malformed_dtb(case, stub, good_dtb, dtb_dir):
    make, expected = DTB_CASES[case]
    bad = write_variant(dtb_dir, case, make(good_dtb.read_bytes()))
    run = stub_boot(f"dtb-{case}", stub, bad)
    expect_panic(run, f"DTB {case}")
    line = first_panic_line(run)
    assert DTB_WORDS.search(line) and re.search(expected, line, re.I), run.describe(
        f"DTB {case}: the panic line does not name the DTB problem "
        f"(want /{DTB_WORDS.pattern}/ and /{expected}/): {line!r}")


def test_dtb_without_memory_node(stub, base_dts, dtb_dir):
    dts, n = re.subn(r"\n\s*memory@[0-9a-f]+ \{.*?\n\s*\};\n", "\n", base_dts,
                     flags=re.S)
    assert n == 1, "could not find the memory node in QEMU's DTB"
    run = stub_boot("dtb-no-memory", stub, compile_dts(dtb_dir, "no_memory", dts))
    expect_panic(run, "DTB without memory node")
    line = first_panic_line(run)
    assert re.search(r"memory|ram", line, re.I), run.describe(
        f"DTB without memory: the panic line does not say memory is missing: {line!r}")


def test_missing_dtb(dtb_dir, kernel):
    """x0 = 0: no DTB at all."""
    stub0 = qemu.build_stub(dtb_dir, 0)
    run = stub_boot("dtb-missing", stub0, None)
    expect_panic(run, "missing DTB")
    line = first_panic_line(run)
    assert DTB_WORDS.search(line) and re.search(
        r"missing|no |null|absent|not found|not provided|none|\b0x0+\b|magic",
        line, re.I), run.describe(
        f"missing DTB: the panic line does not say so: {line!r}")


def test_dtb_totalsize_slightly_large(stub, good_dtb, dtb_dir):
    """totalsize a page larger than the blob: every block still lies inside,
    so the kernel may boot normally or refuse with a clear DTB panic; it must
    not hang or crash."""
    good = good_dtb.read_bytes()
    size = FDT_HEADER.unpack_from(good)[1]
    bad = write_variant(dtb_dir, "totalsize_plus_4k", set_totalsize(good, size + 4096))
    run = stub_boot("dtb-totalsize-plus-4k", stub, bad)
    assert not run.timed_out, run.describe("hang")
    assert run.status is not None, run.describe("no power-off marker")
    if run.panicked:
        assert DTB_WORDS.search(first_panic_line(run)), run.describe(
            "panicked without naming the DTB")
        assert run.status != 0, run.describe("panic with status 0")
    else:
        assert run.status == 0 and run.listed, run.describe("did not boot normally")
