#!/usr/bin/python3
"""Process benchmark (`make bench-proc`): figures, not a test.

user/bench_proc.c, one static musl binary, times per operation (us):
  fork_exit_wait       fork, child _exit(0), parent waitpid
  fork_exec_exit_wait  the same with execve of the binary itself ("exit")
  null_syscall         syscall(SYS_getppid)
with clock_gettime(CLOCK_MONOTONIC), in our kernel (initramfs, pid 1 =
user/init running it) and in the Debian Linux arm64 guest of
tests/bench/linux_guest.py (the same binary as its /bin/guest_client), on
the same QEMU command line (-cpu cortex-a57 -m 512M, one CPU, TCG, no
network).  Prints both and the ratio ours/Linux (target: <= 1.0).  Exits 1
only if a guest hangs or the program fails; a side that cannot run is
reported with the reason.

    /usr/bin/python3 tests/bench/proc.py [--only ours|linux] [-n N N N] [--runs R]
"""

import argparse
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import linux_guest  # noqa: E402
import qemu  # noqa: E402

BENCH_BIN = qemu.BUILD / "user" / "bench_proc"
INITRD = qemu.BUILD / "initramfs.cpio"
OPS = ["fork_exit_wait", "fork_exec_exit_wait", "null_syscall"]
LINE_RE = re.compile(r"bench (\w+) n (\d+) us_per_op ([\d.]+)")
TIMEOUT = 900


def parse(text):
    return {m.group(1): float(m.group(3)) for m in LINE_RE.finditer(text)}


def run_ours(counts):
    args = " ".join(str(c) for c in counts)
    run = qemu.boot("bench-proc-ours", f"rdinit=/init -- /bin/bench_proc {args}",
                    extra_args=["-initrd", INITRD], timeout=TIMEOUT)
    fig = parse(run.output)
    if "bench done" not in run.output:
        raise RuntimeError(run.describe("our kernel: bench_proc did not finish", n=20))
    return fig


def run_linux(counts):
    image, initramfs, kver = linux_guest.prepare(client=BENCH_BIN)
    cmd = qemu.qemu_command(kernel=None) + linux_guest.qemu_args(image, initramfs)
    run = qemu.Run("bench-proc-linux", cmd=cmd, timeout=TIMEOUT, interactive=True).start()
    try:
        if not run.wait_for(r"linux ready", timeout=300):
            raise RuntimeError(run.describe("the Linux guest did not boot", n=20))
        status, out = linux_guest.client(run, " ".join(str(c) for c in counts), timeout=TIMEOUT)
        if status != 0:
            raise RuntimeError(f"bench_proc in Linux: status {status}\n{out[-2000:]}")
        run.send("poweroff\r")
    finally:
        run.stop()
    return parse(out), kver


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["ours", "linux"])
    ap.add_argument("-n", nargs=3, type=int, default=[200, 100, 100000],
                    metavar=("FORK", "EXEC", "SYSCALL"))
    ap.add_argument("--runs", type=int, default=3, help="boots per side; medians are shown")
    a = ap.parse_args()
    if not BENCH_BIN.exists() or not INITRD.exists():
        raise SystemExit("build/user/bench_proc or build/initramfs.cpio missing: run `make`")

    sides, errors, kver = {}, {}, "?"
    for side in ("ours", "linux"):
        if a.only and a.only != side:
            continue
        runs = []
        try:
            for _ in range(a.runs):
                if side == "ours":
                    runs.append(run_ours(a.n))
                else:
                    fig, kver = run_linux(a.n)
                    runs.append(fig)
        except (RuntimeError, OSError, Exception) as e:   # report, keep going
            errors[side] = str(e)
        if runs:
            sides[side] = {op: statistics.median(r[op] for r in runs if op in r)
                           for op in OPS if any(op in r for r in runs)}

    print(f"\nbench-proc: us per operation, median of {a.runs} boots "
          f"(n = {a.n[0]} / {a.n[1]} / {a.n[2]}); Linux {kver}")
    print(f"{'operation':<22}{'ours':>12}{'linux':>12}{'ours/linux':>12}")
    for op in OPS:
        o = sides.get("ours", {}).get(op)
        l = sides.get("linux", {}).get(op)
        ratio = f"{o / l:.2f}" if o and l else "-"
        fo = f"{o:.2f}" if o is not None else "-"
        fl = f"{l:.2f}" if l is not None else "-"
        print(f"{op:<22}{fo:>12}{fl:>12}{ratio:>12}")
    for side, err in errors.items():
        print(f"\n{side}: not measured: {err.splitlines()[0] if err else ''}")
        print("\n".join(err.splitlines()[1:40]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
