"""The serial console as an input: the kernel monitor answers commands
typed by the harness (the way the network tests read counters), and an
idle boot stays up until told to power off."""

import qemu


def test_monitor_stats_and_poweroff(kernel):
    run = qemu.Run("console-kmon", timeout=60, interactive=True).start()
    try:
        assert run.wait_for(qemu.READY_RE, timeout=30), run.describe("no 'kernel ready'")
        text = run.command("stats", r"kmon: stats end", timeout=30)
        assert text is not None, run.describe("no answer to `stats`")
        assert "kmon: stats begin" in text, run.describe("`stats` answer not bracketed")
        run.send("poweroff\r")
        run.wait()
    finally:
        run.stop()
    assert not run.timed_out and not run.stopped, run.describe("`poweroff` did not power off")
    assert not run.panicked, run.describe("panic")
    assert run.status == 0, run.describe(f"`poweroff` gave status {run.status}")
