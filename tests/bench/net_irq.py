#!/usr/bin/python3
"""Interrupt-mode benchmark (`make bench-net-irq`): figures, not a test.

In a private network namespace with a tap device (tests/system/netns.py),
boots the kernel once in `msix` mode and once in `poll` mode, and a Debian
Linux 6.1 guest (tests/bench/linux_guest.py, fetched with apt) on the same
QEMU command line, and for each:
  - ICMP echo round-trip time from the host over N pings at 10 ms intervals
    (median and 99th percentile, from ping's per-packet times);
  - receive interrupts per received packet during `ping -f -l 8 -c 5000`
    (from the kernel monitor's `stats`).
Prints both and the poll/msix ratio of the median (target: at least 5x).

    /usr/bin/python3 tests/bench/net_irq.py [-n 500]
"""

import argparse
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "system"))

import linux_guest  # noqa: E402
import qemu  # noqa: E402
from netns import GUEST_ADDR, GUEST_IP_ARG, NetNS, have_netns  # noqa: E402
from test_net import rx_irqs, stats as monitor_stats  # noqa: E402

TARGET_RATIO = 5.0


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def linux_rx_irqs(run):
    text = run.command("irqs", r"irqs end", timeout=60) or ""
    return linux_guest.parse_interrupts(text, "virtio0-input")


def measure(mode, count):
    """mode: "msix" / "poll" for our kernel, "linux" for the Linux guest."""
    with NetNS() as ns:
        if mode == "linux":
            image, initrd, _ = linux_guest.prepare()
            cmd = ns.wrap(qemu.qemu_command(
                kernel=None,
                extra_args=ns.qemu_nic_args() + linux_guest.qemu_args(image, initrd)))
            ready, stats_of = r"linux ready", None
        else:
            cmdline = f"{GUEST_IP_ARG} net.irq={mode}"
            cmd = ns.wrap(qemu.qemu_command(cmdline, extra_args=ns.qemu_nic_args()))
            ready, stats_of = r"kernel ready", monitor_stats
        run = qemu.Run(f"bench-net-irq-{mode}", cmd=cmd, timeout=900,
                       interactive=True).start()
        try:
            if not run.wait_for(ready, timeout=180):
                raise SystemExit(f"{mode}: the guest did not boot\n" + run.describe())
            # Warm the ARP caches on both sides.
            ns.run(["ping", "-c", "3", "-i", "0.2", GUEST_ADDR], timeout=30)
            r = ns.run(["ping", "-c", str(count), "-i", "0.01", "-W", "2",
                        GUEST_ADDR], timeout=600)
            rtts = [float(x) for x in re.findall(r"time=([\d.]+) ms", r.stdout)]
            if stats_of:
                before = stats_of(run)
            else:
                irq0 = linux_rx_irqs(run)
            f = ns.run(["ping", "-f", "-l", "8", "-c", "5000", "-W", "2",
                        GUEST_ADDR], timeout=600)
            m = re.search(r"(\d+) received", f.stdout)
            flood_rx = int(m.group(1)) if m else 0
            if stats_of:
                after = stats_of(run)
                pkts = after.get("eth0.rx_packets", 0) - before.get("eth0.rx_packets", 0)
                irqs = rx_irqs(after) - rx_irqs(before)
            else:
                irqs = linux_rx_irqs(run) - irq0
                pkts = flood_rx     # one echo request received per reply
        finally:
            run.stop()
    if not rtts:
        raise SystemExit(f"{mode}: no ping replies\n{r.stdout[-400:]}")
    return {
        "replies": len(rtts), "sent": count,
        "median": statistics.median(rtts), "p99": percentile(rtts, 99),
        "flood_rx": flood_rx, "pkts": pkts, "irqs": irqs,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500, help="pings per mode")
    args = ap.parse_args()
    if not have_netns():
        raise SystemExit("bench-net-irq needs root (network namespaces)")
    ok, msg = qemu.ensure_kernel()
    if not ok:
        raise SystemExit(msg)
    res = {mode: measure(mode, args.n) for mode in ("msix", "poll", "linux")}
    print()
    print(f"{'mode':6} {'replies':>9} {'median ms':>10} {'p99 ms':>8} "
          f"{'flood rx':>9} {'rx irqs':>8} {'irq/pkt':>8}")
    for mode, r in res.items():
        per = r["irqs"] / r["pkts"] if r["pkts"] else float("nan")
        print(f"{mode:6} {r['replies']:>4}/{r['sent']:<4} {r['median']:>10.3f} "
              f"{r['p99']:>8.3f} {r['flood_rx']:>9} {r['irqs']:>8} {per:>8.3f}")
    ratio = res["poll"]["median"] / res["msix"]["median"]
    print(f"\npoll/msix median RTT ratio: {ratio:.1f}x (target >= {TARGET_RATIO:.0f}x)")
    lin, ours = res["linux"], res["msix"]
    print(f"msix/linux median RTT ratio: {ours['median'] / lin['median']:.2f} "
          f"(below 1 = faster than Linux)")
    if lin["pkts"] and ours["pkts"] and lin["irqs"]:
        print(f"msix/linux interrupts per packet: "
              f"{(ours['irqs'] / ours['pkts']) / (lin['irqs'] / lin['pkts']):.2f}")
    print("Linux guest: Debian 6.1 kernel, default virtio-net-pci, KPTI on "
          "(the DTB's kaslr-seed), as in shared/benchmarks/linux-anchor.md")


if __name__ == "__main__":
    main()
