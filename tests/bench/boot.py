#!/usr/bin/python3
"""Boot-time benchmark (`make bench-boot`): a figure to read, not a test.

Boots the kernel N times without ktest= and measures, per boot:
  host wall time from starting QEMU to the first console byte, the first
  complete console line and the "kernel ready" line;
  guest time (the kernel's log timestamp, CNTPCT from QEMU start) of the
  first line and of the "kernel ready" line.
QEMU is killed once "kernel ready" appears (the kernel idles forever without
ktest=).  Prints the medians and the target: kernel ready in under 50 ms of
guest time.  Exits 0 whatever the figures; non-zero only if a boot never
reaches "kernel ready".

    /usr/bin/python3 tests/bench/boot.py [-n 5] [--cpu cortex-a57]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qemu  # noqa: E402

TARGET_MS = 50.0


def ms(x):
    return None if x is None else x * 1000.0


def fmt(x, width=10):
    return f"{x:{width}.1f}" if x is not None else f"{'-':>{width}}"


def one_boot(i, cpu, timeout):
    run = qemu.boot(f"bench-boot-{i}", "", cpu=cpu, timeout=timeout,
                    stop_on=qemu.READY_RE)
    ready = run.line_time(qemu.READY_RE)
    if not run.stopped or ready is None:
        return run, None
    first_t, first_line = next((t, l) for t, l in run.line_times if l.strip())
    ready_t, ready_line = ready
    us = qemu.READY_US_RE.search(ready_line)
    return run, {
        "host_first_byte": ms(run.first_byte_time),
        "host_first_line": ms(first_t),
        "host_ready": ms(ready_t),
        "guest_first_line": ms(qemu.parse_timestamp(first_line)),
        "guest_ready": ms(qemu.parse_timestamp(ready_line)),
        "guest_ready_self": int(us.group(1)) / 1000.0 if us else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=5, help="number of boots (5)")
    ap.add_argument("--cpu", default=qemu.DEFAULT_CPU)
    ap.add_argument("--timeout", type=float, default=qemu.DEFAULT_TIMEOUT)
    args = ap.parse_args()

    ok, msg = qemu.ensure_kernel()
    if not ok:
        print(msg)
        return 1

    samples = []
    for i in range(args.n):
        run, s = one_boot(i, args.cpu, args.timeout)
        if s is None:
            print(run.describe(f"boot {i + 1}/{args.n} did not reach 'kernel ready'"))
            return 1
        samples.append(s)
        print(f"boot {i + 1}/{args.n}: kernel ready at {fmt(s['guest_ready'], 0)} ms guest, "
              f"{fmt(s['host_ready'], 0)} ms host wall", flush=True)

    med = {k: qemu.median([s[k] for s in samples]) for k in samples[0]}
    print()
    print(f"Boot time, median of {args.n} boots (-cpu {args.cpu}, TCG, no KVM)")
    print(f"{'':24}{'host wall ms':>14}{'guest ms':>12}")
    print(f"{'first console byte':24}{fmt(med['host_first_byte'], 14)}{'-':>12}")
    print(f"{'first console line':24}{fmt(med['host_first_line'], 14)}"
          f"{fmt(med['guest_first_line'], 12)}")
    print(f"{'kernel ready':24}{fmt(med['host_ready'], 14)}{fmt(med['guest_ready'], 12)}")
    if med["guest_ready_self"] is not None:
        print(f"{'  (kernel says)':24}{'':14}{fmt(med['guest_ready_self'], 12)}")
    g = med["guest_ready"]
    verdict = "unknown (no timestamp)" if g is None else (
        "met" if g < TARGET_MS else "NOT met")
    print(f"target: kernel ready < {TARGET_MS:.0f} ms guest time: {verdict}")
    print("Host wall time includes QEMU's own start-up; guest time is the "
          "kernel's timestamp (counter from QEMU start).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
