"""The console as a terminal (issue 5, "Console as a TTY"): Debian's busybox
sh, started by user/init on /dev/console, driven over the serial line the
way a person types: line editing (erase, kill), echo, ^C to the foreground
job, ^Z stopping it, ^D as end of file, raw mode through stty (termios), ps reading /proc,
and `poweroff -f` ending QEMU cleanly.  One boot for all of it."""

import re
import time

import pytest

import qemu

INITRD = qemu.BUILD / "initramfs.cpio"
DONE = "__done__"


@pytest.fixture(scope="module")
def shell(kernel):
    if not INITRD.is_file():
        pytest.fail(f"{INITRD} was not built by `make all`", pytrace=False)
    # The hard timeout counts from the start and covers every test here.
    run = qemu.Run("shell-tty", "rdinit=/init", extra_args=["-initrd", str(INITRD)],
                   timeout=300, interactive=True).start()
    if not run.wait_for(r"init: started", timeout=60):
        run.stop()
        pytest.fail(run.describe("init did not start"), pytrace=False)
    # The shell's first prompt: wait for something it answers.
    if run.command(f"echo {DONE}0", rf"^{DONE}0$", timeout=60) is None:
        run.stop()
        pytest.fail(run.describe("no answer from the shell"), pytrace=False)
    yield run
    run.stop()


def lines_after(run, start):
    with run._cond:
        return [l for _, l in run.line_times[start:]]


def mark(run):
    with run._cond:
        return len(run.line_times)


def typed(run, text, marker, timeout=30):
    """Type raw text (control characters included), then wait for the
    marker line; returns the lines printed since."""
    start = mark(run)
    run.send(text)
    assert run.wait_for(rf"^{re.escape(marker)}$", timeout, start), \
        run.describe(f"no {marker!r} after typing {text!r}")
    return lines_after(run, start)


def canonical_line(run, typed_text, marker):
    """`head -n 1` reads one line through the kernel's canonical mode (the
    shell's own line editor is not involved: it is waiting); returns the
    lines printed from then on."""
    run.send(f"head -n 1; echo {marker}\r")
    time.sleep(1.5)
    return typed(run, typed_text, marker)


def test_erase_and_echo(shell):
    # DEL erases the last character, as VERASE = ^? says, and ECHOE rubs
    # it out on the screen with backspace-space-backspace.
    out = canonical_line(shell, "abx\x7fc\r", f"{DONE}1")
    assert "abc" in out, shell.describe(f"erase not applied: {out}")
    assert "abx\b \bc" in shell.output, shell.describe("no echo with ECHOE rub-out")


def test_kill_line(shell):
    out = canonical_line(shell, "junk\x15fresh\r", f"{DONE}2")
    assert "fresh" in out and "junkfresh" not in out, \
        shell.describe(f"^U did not kill the line: {out}")


def test_ctrl_c_interrupts_foreground(shell):
    t0 = time.monotonic()
    shell.send("sleep 30\r")
    time.sleep(1.5)
    shell.send("\x03")
    out = typed(shell, f"echo st $?; echo {DONE}3\r", f"{DONE}3", timeout=20)
    assert "st 130" in out, shell.describe(f"sleep not ended by SIGINT (128+2): {out}")
    assert time.monotonic() - t0 < 25, shell.describe("^C took as long as the sleep")


def test_ctrl_z_stops_job(shell):
    # ^Z stops the foreground job (SIGTSTP); the shell hears of it through
    # waitpid(WUNTRACED), takes the terminal back, and can resume and end it.
    start = mark(shell)
    shell.send("sleep 30\r")
    time.sleep(1.5)
    shell.send("\x1a")
    assert shell.wait_for(r"Stopped", 20, start), \
        shell.describe("^Z: the shell did not report the job stopped")
    out = typed(shell, f"bg %1; kill %1; wait %1; echo rc $?; echo {DONE}6\r",
                f"{DONE}6", timeout=20)
    assert "rc 143" in out, shell.describe(f"job not ended by SIGTERM (128+15): {out}")


def test_ctrl_d_is_eof(shell):
    shell.send("cat; echo cat-ended\r")
    time.sleep(1)
    out = typed(shell, "abc\r\x04", "cat-ended", timeout=20)
    assert "abc" in out, shell.describe(f"cat did not copy the line: {out}")


def test_raw_mode_via_stty(shell):
    # Non-canonical: three bytes reach `head -c 3` without a newline.
    shell.send("stty -icanon min 1; head -c 3 | od -An -c; stty icanon; "
               f"echo {DONE}4\r")
    time.sleep(1.5)
    out = typed(shell, "xyz", f"{DONE}4", timeout=20)
    assert any(re.search(r"x\s+y\s+z", l) for l in out), \
        shell.describe(f"raw-mode read did not return 'xyz': {out}")


def test_ps_lists_processes(shell):
    out = typed(shell, f"ps; echo {DONE}5\r", f"{DONE}5")
    assert any(re.match(r"\s*1\s+\S+\s+/init", l) for l in out), \
        shell.describe(f"ps does not show init as pid 1: {out}")
    assert any(re.match(r"\s*\d+\s+\S+\s+(-?/bin/)?sh\b", l) for l in out), \
        shell.describe(f"ps does not show the shell: {out}")


def test_poweroff(shell):
    shell.send("poweroff -f\r")
    shell.wait()
    assert not shell.timed_out and not shell.panicked, shell.describe("poweroff -f")
    assert shell.status == 0, shell.describe(f"status {shell.status}")
