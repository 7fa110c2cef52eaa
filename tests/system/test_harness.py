"""Tests of the harness itself (tests/qemu.py): output parsing on sample
text written to the kernel's output contract, and the runner's hang
detection against a stand-in kernel that spins forever."""

import os

import qemu

SAMPLE = """\
[    0.000012] console: pl011 at 0x9000000\r
[    0.020000] kernel ready (20123 us)
[    0.020100] KTEST PASS frame.alloc_free
[    0.020200] KTEST FAIL heap.reuse: kfree did not return memory (12 != 13)
KTEST PASS timer.sleep_50ms
[    0.090000] ktest: 2 passed, 1 failed
[    0.090001] reboot: power off, status 1
"""


def test_parse_sample_output():
    assert qemu.parse_timestamp("[    0.012345] x") == 0.012345
    assert qemu.parse_timestamp("[   12.5] x") == 12.5
    assert qemu.parse_timestamp("no stamp") is None
    assert qemu.parse_ktests(SAMPLE) == {
        "frame.alloc_free": (True, ""),
        "heap.reuse": (False, "kfree did not return memory (12 != 13)"),
        "timer.sleep_50ms": (True, ""),
    }
    assert qemu.parse_summary(SAMPLE) == (2, 1)
    assert qemu.parse_status(SAMPLE) == 1
    assert qemu.parse_status("no marker") is None
    assert qemu.READY_US_RE.search(SAMPLE).group(1) == "20123"


def test_parse_list_panic_and_no_match():
    text = ("[ 0.1] KTEST LIST frame.alloc_free\n[ 0.1] KTEST LIST panic.data_abort\n"
            "reboot: power off, status 0\n")
    assert qemu.parse_list(text) == ["frame.alloc_free", "panic.data_abort"]
    panic = ("[ 0.2] ok\n[ 0.3] KERNEL PANIC: unexpected exception\n"
             "ESR 0x96000045 class: data abort\nreboot: power off, status 1\n")
    assert qemu.panic_text(panic).startswith("[ 0.3] KERNEL PANIC")
    assert qemu.panic_text("fine\n") == ""


class FakeRun(qemu.Run):
    def __init__(self, output):
        super().__init__("fake", cmd=["true"])
        self.output = output


def test_verdicts():
    assert FakeRun(SAMPLE).ktest_verdict() == "fail"
    ok = ("KTEST PASS a.b\nKTEST PASS a.c\nktest: 2 passed, 0 failed\n"
          "reboot: power off, status 0\n")
    assert FakeRun(ok).ktest_verdict() == "pass"
    # The summary must agree with the lines.
    assert FakeRun(ok.replace("2 passed", "3 passed")).ktest_verdict() == "fail"
    assert FakeRun(ok.replace("status 0", "status 1")).ktest_verdict() == "fail"
    # Zero tests is never a pass.
    assert FakeRun("ktest: no test matches 'x.*'\nreboot: power off, status 2\n"
                   ).ktest_verdict() == "no-tests"
    assert FakeRun("ktest: 0 passed, 0 failed\nreboot: power off, status 0\n"
                   ).ktest_verdict() == "no-tests"
    assert FakeRun("KERNEL PANIC: x\nreboot: power off, status 1\n"
                   ).ktest_verdict() == "panic"
    assert FakeRun("KTEST PASS a.b\n").ktest_verdict() == "crash"


def build_hang_kernel():
    out = qemu.BUILD / "harness"
    out.mkdir(parents=True, exist_ok=True)
    obj, elf, binary = out / "hang.o", out / "hang.elf", out / "hang.bin"
    qemu.run_tool(["clang", "--target=aarch64-none-elf", "-c",
                   qemu.FIXTURES / "hang.S", "-o", obj], "assembling hang.S")
    qemu.run_tool(["ld.lld", "-e", "_start", "-Ttext=0x40080000", obj, "-o", elf],
                  "linking hang.S")
    qemu.run_tool(["llvm-objcopy", "-O", "binary", elf, binary], "objcopy hang.S")
    return binary


def test_runner_kills_a_hung_guest():
    run = qemu.boot("harness-hang", kernel=build_hang_kernel(), timeout=4)
    assert run.timed_out and not run.stopped
    assert run.status is None and run.returncode is None
    assert run._proc.poll() is not None, "QEMU still running after the timeout"
    assert "spinning forever" in run.output
    msg = run.describe("hung")
    assert "hang (timeout)" in msg and "spinning forever" in msg
    log = run.log_path.read_text()
    assert "spinning forever" in log and "### end: hang" in log
    assert run.ktest_verdict() == "hang"


def test_runner_stop_on():
    run = qemu.boot("harness-stop", kernel=build_hang_kernel(), timeout=30,
                    stop_on=r"spinning")
    assert run.stopped and not run.timed_out
    assert run.first_byte_time is not None
    t, line = run.line_time(r"spinning")
    assert t >= run.first_byte_time and "harness test" in line
    assert run._proc.poll() is not None
    assert os.path.exists(run.log_path)


def test_runner_interactive_api():
    """wait_for / stop, as the network tests drive a boot."""
    run = qemu.Run("harness-interactive", kernel=build_hang_kernel(), timeout=30,
                   interactive=True).start()
    try:
        assert run.wait_for(r"spinning forever", timeout=20)
        assert "spinning forever" in run.output          # readable while running
        assert run.wait_for(r"never printed", timeout=0.5) is None
    finally:
        run.stop()
    assert run.stopped and not run.timed_out
    assert run._proc.poll() is not None
    assert run.stop() is run                             # idempotent


def test_parse_list_tags():
    text = ("KTEST LIST timer.sleep_50ms\n"
            "[    0.1] KTEST LIST panic.data_abort [crash]\n"
            "KTEST LIST net.ping_peer [device]\n"
            "KTEST LIST panic.untagged\n")
    kinds = qemu.parse_list_kinds(text)
    assert kinds == {"timer.sleep_50ms": "", "panic.data_abort": "crash",
                     "net.ping_peer": "device", "panic.untagged": ""}
    assert qemu.self_contained(kinds) == ["timer.sleep_50ms"]
    assert qemu.parse_list(text)[1] == "panic.data_abort"
