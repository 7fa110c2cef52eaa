#!/usr/bin/python3
"""Network benchmark (`make bench-net`): figures, not a test.

In one run, our kernel and a Debian Linux 6.1 guest (tests/bench/
linux_guest.py) on the same QEMU command line, each in its own private
network namespace with the same peers (tests/system/peers.py: dnsmasq,
python3 -m http.server, the echo server).  Linux runs twice: with the
default virtio-net-pci (offloads on) and with the offloads off (the device
options of shared/benchmarks/linux-anchor.md), and so does ours.
For each:

  ping      host -> guest RTT, 200 pings at 10 ms: median and p99 (ms)
  dns       one A lookup of files.test: mean and median (us).  Ours:
            `resolvebench`; Linux: guest_client (socket, sendto, poll,
            recv, close each time, one process)
  http 1k   GET of 1 KiB, a new TCP connection each: mean and median (us).
            Ours: `wgetbench`; Linux: guest_client
  bulk      GET of 16 MiB: throughput (MB/s, 10^6 bytes), median of runs,
            body discarded.  Ours: `wgetbench`; Linux: guest_client.  Also
            once with the sha256 computed (ours: `wget`), which checks the
            bytes
  irq/pkt   receive interrupts per received packet during the bulk GETs.
            Ours: `stats` rx irq lines / eth0 rx_packets; Linux: the
            virtio0-input lines of /proc/interrupts / eth0 rx_packets
  idle cpu  host CPU of the QEMU process while the guest idles 10 s
            (utime+stime from /proc/<pid>/stat), in % of one CPU

Then the ratios ours/Linux (default NIC and offloads off) against the
targets: latency ratio <= 1.0, throughput ratio >= 1.0, irqs/packet and
idle CPU <= Linux.  A figure that could not be measured is printed with
the reason (for example a monitor command our kernel does not have yet).
The script never fails on the figures; it exits 1 if a guest hangs (a
command with no answer, or the hard timeout), after printing the log tail.

    /usr/bin/python3 tests/bench/net.py [--only ours|linux|linux-nooffload]
                                        [-n-ping 200] [-n-dns 200]
                                        [-n-http 100] [--bulk-runs 3] [--kpti0]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "system"))

import linux_guest  # noqa: E402
import qemu  # noqa: E402
from netns import GUEST_ADDR, GUEST_IP_ARG, HOST_ADDR, NetNS, have_netns  # noqa: E402
from peers import HTTP_PORT, HardTimeout, PeerError, Peers  # noqa: E402

REPO = ROOT.parent
CLIENT_SRC = ROOT / "bench" / "guest_client.c"
SHA256_SRC = REPO / "lib" / "sha256.c"
CLIENT_BIN = REPO / "build" / "linux" / "guest_client"
MUSL_SPECS = "/usr/lib/aarch64-linux-musl/musl-gcc.specs"
CROSS_CC = "aarch64-linux-gnu-gcc"
NOOFFLOAD = ("csum=off,guest_csum=off,gso=off,guest_tso4=off,guest_tso6=off,"
             "guest_ecn=off,guest_ufo=off,host_tso4=off,host_tso6=off,"
             "host_ecn=off,host_ufo=off,mrg_rxbuf=off")
HARD_TIMEOUT = 1200
IDLE_SECONDS = 10


class Hang(Exception):
    pass


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def build_client():
    """Builds tests/bench/guest_client.c with Debian's musl for arm64."""
    if not (shutil.which(CROSS_CC) and Path(MUSL_SPECS).exists()):
        raise SystemExit(f"bench-net needs {CROSS_CC} and musl-dev:arm64: "
                         "run `tools/setup.sh bench` (make bench-net does)")
    CLIENT_BIN.parent.mkdir(parents=True, exist_ok=True)
    srcs = [CLIENT_SRC, SHA256_SRC]
    if CLIENT_BIN.exists() and all(CLIENT_BIN.stat().st_mtime > s.stat().st_mtime
                                   for s in srcs):
        return CLIENT_BIN
    # -iquote: "sha256.h" (and the "string.h" lib/sha256.c asks for, whose
    # declarations match libc's) from the kernel's include/.
    qemu.run_tool([CROSS_CC, f"-specs={MUSL_SPECS}", "-static", "-O2", "-Wall",
                   "-Wextra", "-Werror", "-iquote", REPO / "include",
                   "-o", CLIENT_BIN, *srcs],
                  "building guest_client")
    return CLIENT_BIN


# -- host-side measurements -----------------------------------------------------

def ping_rtts(ns, count):
    ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", GUEST_ADDR], timeout=30)
    r = ns.run(["ping", "-c", str(count), "-i", "0.01", "-W", "2", GUEST_ADDR],
               timeout=count * 0.1 + 60)
    rtts = [float(x) for x in re.findall(r"time=([\d.]+) ms", r.stdout)]
    if not rtts:
        raise RuntimeError("no ping replies: " + r.stdout[-300:])
    return {"ping_median": statistics.median(rtts), "ping_p99": percentile(rtts, 99),
            "ping_replies": f"{len(rtts)}/{count}"}


def qemu_pid(run):
    """PID of the QEMU process (`ip netns exec` execs it in place)."""
    pid = run._proc.pid
    comm = Path(f"/proc/{pid}/comm").read_text().strip()
    if not comm.startswith("qemu"):
        raise RuntimeError(f"pid {pid} is {comm!r}, not QEMU")
    return pid


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])    # fields 14, 15 of stat
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def idle_cpu(run, secs=IDLE_SECONDS):
    pid = qemu_pid(run)
    time.sleep(2)                 # let the last transfer's timers settle
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(secs)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    return {"idle_cpu": 100.0 * (c1 - c0) / (t1 - t0), "idle_cpu_s": c1 - c0}


# -- driving the guests ----------------------------------------------------------------

def command(run, line, until, timeout):
    """A console command; the matching line, or raises Hang (no answer) /
    RuntimeError (our monitor does not know the command)."""
    unknown = r"kmon: unknown command|unknown command"
    text = run.command(line, f"(?:{until})|{unknown}", timeout=timeout)
    if text is None:
        raise Hang(f"no answer to `{line}` within {timeout} s")
    found = [l for l in text.splitlines() if re.search(until, l)]
    if not found:
        raise RuntimeError(f"`{line.split()[0]}` is not a command of this guest")
    return found[-1]


class Side:
    def __init__(self, label):
        self.label = label
        self.fig = {}
        self.errors = {}
        self.hang = None
        self.notes = []

    def step(self, what, fn, *args):
        if self.hang:
            self.errors[what] = "skipped after a hang"
            return
        try:
            self.fig.update(fn(*args))
        except Hang as e:
            self.hang = f"{what}: {e}"
            self.errors[what] = f"HANG: {e}"
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as e:
            self.errors[what] = str(e).splitlines()[0][:200]


def boot(ns, name, cmd, ready):
    run = qemu.Run(name, cmd=cmd, timeout=HARD_TIMEOUT, interactive=True).start()
    run.hard = HardTimeout(run, HARD_TIMEOUT)
    if not run.wait_for(ready, timeout=180):
        run.hard.cancel()
        run.stop()
        raise SystemExit(f"{name}: the guest did not boot\n" + run.describe())
    return run


def with_peers(label, body):
    """Runs body(ns, peers, side) in a fresh namespace with the peers."""
    side = Side(label)
    work = Path(tempfile.mkdtemp(prefix="bench-net-"))
    try:
        with NetNS() as ns:
            try:
                peers = Peers(ns, work).start()
            except PeerError as e:
                raise SystemExit(f"{label}: {e}")
            try:
                body(ns, peers, side)
            finally:
                peers.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return side


# -- our kernel --------------------------------------------------------------------------

def _rx_irqs(s):
    return sum(v for k, v in s.items() if k.startswith("irq:") and "rx" in k)


def _stats(run):
    text = run.command("stats", r"kmon: stats end", timeout=30)
    if text is None:
        raise Hang("no answer to `stats`")
    return qemu.parse_stats(text)


def ours_dns(run, n):
    line = command(run, f"resolvebench files.test {n}",
                   r"resolvebench files\.test (n|error) ", timeout=60 + n * 2)
    m = re.search(r"n (\d+) mean_us (\d+) median_us (\d+)", line)
    if not m:
        raise RuntimeError(line.strip())
    return {"dns_mean": int(m.group(2)), "dns_median": int(m.group(3))}


def ours_http(run, n):
    url = f"http://{HOST_ADDR}:{HTTP_PORT}/1k.bin"
    line = command(run, f"wgetbench {url} {n}", rf"wgetbench {re.escape(url)} (n|error) ",
                   timeout=60 + n * 5)
    m = re.search(r"n (\d+) mean_us (\d+) median_us (\d+) bytes (\d+)", line)
    if not m:
        raise RuntimeError(line.strip())
    if int(m.group(4)) != 1024:
        raise RuntimeError(f"wgetbench got {m.group(4)} bytes, not 1024")
    return {"http_mean": int(m.group(2)), "http_median": int(m.group(3))}


def ours_bulk(run, f, runs):
    url = f"http://{HOST_ADDR}:{HTTP_PORT}/16m.bin"
    before = _stats(run)
    # Once with the sha256 (`wget`), to check the bytes, as on Linux.
    line = command(run, f"wget {url}", rf"wget {re.escape(url)} (status|error) ",
                   timeout=600)
    m = re.search(r"status (\d+) bytes (\d+) sha256 ([0-9a-f]{64}) us (\d+)", line)
    if not m:
        raise RuntimeError(line.strip())
    status, n, sha, us = int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4))
    if status != 200 or n != f.size or sha != f.sha256:
        raise RuntimeError(f"bad transfer: status {status} bytes {n} sha256 {sha}")
    sha_rate = n / us
    # Then timed without it (`wgetbench` discards the body, like
    # guest_client's bulk): the median fetch.
    line = command(run, f"wgetbench {url} {runs}",
                   rf"wgetbench {re.escape(url)} (n|error) ", timeout=600)
    m = re.search(r"n (\d+) mean_us (\d+) median_us (\d+) bytes (\d+)", line)
    if not m or int(m.group(4)) != f.size:
        raise RuntimeError(line.strip())
    after = _stats(run)
    pkts = after.get("eth0.rx_packets", 0) - before.get("eth0.rx_packets", 0)
    irqs = _rx_irqs(after) - _rx_irqs(before)
    return {"bulk_MBps": f.size / int(m.group(3)), "bulk_sha_MBps": sha_rate,
            "bulk_irqs": irqs, "bulk_pkts": pkts,
            "irq_per_pkt": irqs / pkts if pkts else None}


def measure_ours(args, label="ours", device_opts=""):
    def body(ns, peers, side):
        cmdline = f"{GUEST_IP_ARG} net.irq=msix nameserver={HOST_ADDR}"
        cmd = ns.wrap(qemu.qemu_command(cmdline,
                                        extra_args=ns.qemu_nic_args(device_opts)))
        run = boot(ns, f"bench-net-{label}", cmd, r"net: eth0 192\.0\.2\.2")
        side.run = run
        side.notes.append("our kernel, net.irq=msix, " +
                          ("offloads off" if device_opts else
                           "default NIC (receive offloads negotiated)"))
        try:
            side.step("ping", ping_rtts, ns, args.n_ping)
            side.step("dns", ours_dns, run, args.n_dns)
            side.step("http 1k", ours_http, run, args.n_http)
            side.step("bulk 16m", ours_bulk, run, peers.files["16m.bin"], args.bulk_runs)
            side.step("idle cpu", idle_cpu, run)
            if run.panicked:
                side.hang = "kernel panic"
        finally:
            run.hard.cancel()
            run.stop()
            side.describe = run.describe()
    return with_peers(label, body)


# -- Linux ---------------------------------------------------------------------------------

def linux_client(run, cmd, timeout):
    rc, out = linux_guest.client(run, cmd, timeout=timeout)
    if rc is None:
        raise Hang(f"no answer to `client {cmd}` within {timeout} s")
    if rc != 0:
        raise RuntimeError(f"guest_client {cmd}: exit {rc}: {out[-200:]}")
    return out


def linux_dns(run, n):
    out = linux_client(run, f"dns {HOST_ADDR} files.test {n}", 60 + n)
    m = re.search(r"dns n (\d+) ok (\d+) mean_us (\d+) median_us (\d+)", out)
    if not m:
        raise RuntimeError(out[-200:])
    return {"dns_mean": int(m.group(3)), "dns_median": int(m.group(4))}


def linux_http(run, n):
    out = linux_client(run, f"http {HOST_ADDR} {HTTP_PORT} files.test /1k.bin {n}",
                       60 + n * 2)
    m = re.search(r"http n (\d+) ok (\d+) mean_us (\d+) median_us (\d+) bytes (\d+)", out)
    if not m or int(m.group(5)) != 1024:
        raise RuntimeError(out[-200:])
    return {"http_mean": int(m.group(3)), "http_median": int(m.group(4))}


def _linux_counts(run):
    text = run.command("irqs", r"irqs end", timeout=60)
    if text is None:
        raise Hang("no answer to `irqs`")
    irqs = linux_guest.parse_interrupts(text, "virtio0-input")
    t = run.command("netdev", r"netdev rx_packets \d+", timeout=30)
    rx, _ = linux_guest.parse_netdev(t)
    if rx is None:
        raise Hang("no answer to `netdev`")
    return irqs, rx


def linux_bulk(run, f, runs):
    # Once with the sha256, to check the bytes; not timed.
    out = linux_client(run, f"bulk {HOST_ADDR} {HTTP_PORT} files.test /16m.bin sha", 300)
    m = re.search(r"bulk status (\d+) bytes (\d+) us (\d+) sha256 (\S+)", out)
    if not m or int(m.group(2)) != f.size or m.group(4) != f.sha256:
        raise RuntimeError(f"bad transfer: {out[-200:]}")
    sha_rate = int(m.group(2)) / int(m.group(3))
    irq0, rx0 = _linux_counts(run)
    rates = []
    for _ in range(runs):
        out = linux_client(run, f"bulk {HOST_ADDR} {HTTP_PORT} files.test /16m.bin", 300)
        m = re.search(r"bulk status 200 bytes (\d+) us (\d+)", out)
        if not m or int(m.group(1)) != f.size:
            raise RuntimeError(out[-200:])
        rates.append(int(m.group(1)) / int(m.group(2)))
    irq1, rx1 = _linux_counts(run)
    pkts, irqs = rx1 - rx0, irq1 - irq0
    return {"bulk_MBps": statistics.median(rates), "bulk_sha_MBps": sha_rate,
            "bulk_irqs": irqs, "bulk_pkts": pkts,
            "irq_per_pkt": irqs / pkts if pkts else None}


def measure_linux(args, label, device_opts="", kpti0=False):
    client = build_client()
    image, initrd, kver = linux_guest.prepare(client=client)
    append = "console=ttyAMA0 quiet" + (" kpti=0" if kpti0 else "")

    def body(ns, peers, side):
        cmd = ns.wrap(qemu.qemu_command(
            kernel=None,
            extra_args=ns.qemu_nic_args(device_opts)
            + linux_guest.qemu_args(image, initrd, append)))
        run = boot(ns, f"bench-net-{label}", cmd, r"linux ready")
        side.run = run
        side.notes.append(f"Linux {kver}" + (", kpti=0" if kpti0 else ", KPTI on")
                          + (", offloads off" if device_opts else ", default NIC"))
        try:
            side.step("ping", ping_rtts, ns, args.n_ping)
            side.step("dns", linux_dns, run, args.n_dns)
            side.step("http 1k", linux_http, run, args.n_http)
            side.step("bulk 16m", linux_bulk, run, peers.files["16m.bin"], args.bulk_runs)
            side.step("idle cpu", idle_cpu, run)
        finally:
            run.hard.cancel()
            run.stop()
            side.describe = run.describe()
    return with_peers(label, body)


# -- report ------------------------------------------------------------------------------------

ROWS = [
    # key, label, format, better ("low"/"high")
    ("ping_median", "ping RTT median (ms)", "{:.3f}", "low"),
    ("ping_p99", "ping RTT p99 (ms)", "{:.3f}", "low"),
    ("dns_mean", "DNS lookup mean (us)", "{:.0f}", "low"),
    ("dns_median", "DNS lookup median (us)", "{:.0f}", "low"),
    ("http_mean", "HTTP 1 KiB mean (us)", "{:.0f}", "low"),
    ("http_median", "HTTP 1 KiB median (us)", "{:.0f}", "low"),
    ("bulk_MBps", "HTTP 16 MiB (MB/s)", "{:.1f}", "high"),
    ("bulk_sha_MBps", "  with sha256 (MB/s)", "{:.1f}", "high"),
    ("irq_per_pkt", "rx irqs/packet, bulk", "{:.3f}", "low"),
    ("bulk_pkts", "  rx packets, bulk", "{:.0f}", None),
    ("idle_cpu", "idle host CPU (%)", "{:.2f}", "low"),
]
STEP_OF = {"ping_median": "ping", "ping_p99": "ping", "dns_mean": "dns",
           "dns_median": "dns", "http_mean": "http 1k", "http_median": "http 1k",
           "bulk_MBps": "bulk 16m", "bulk_sha_MBps": "bulk 16m",
           "irq_per_pkt": "bulk 16m", "bulk_pkts": "bulk 16m", "idle_cpu": "idle cpu"}


def cell(side, key, fmt):
    v = side.fig.get(key)
    if v is None:
        return "-" if STEP_OF[key] not in side.errors else "n/a"
    return fmt.format(v)


def report(sides):
    w = 24
    print()
    print(f"{'':{w}}" + "".join(f"{s.label:>18}" for s in sides))
    for key, label, fmt, _ in ROWS:
        if all(s.fig.get(key) is None for s in sides) and key == "bulk_sha_MBps":
            continue
        print(f"{label:{w}}" + "".join(f"{cell(s, key, fmt):>18}" for s in sides))
    by = {s.label: s for s in sides}
    pairs = [(o, l) for o, l in (("ours", "linux"), ("ours", "linux-kpti0"),
                                 ("ours-nooffload", "linux-nooffload"))
             if o in by and l in by]
    if pairs:
        print()
        print("ratios ours/Linux on the same NIC (target: latency <= 1.0, "
              "throughput >= 1.0, irqs/packet and idle CPU <= 1.0)")
        print(f"{'':{w}}" + "".join(f"{o + '/' + l:>34}" for o, l in pairs))
        for key, label, fmt, better in ROWS:
            if better is None:
                continue
            cells = []
            for o, l in pairs:
                a, b = by[o].fig.get(key), by[l].fig.get(key)
                if a is None or b is None or b == 0:
                    cells.append("-")
                    continue
                r = a / b
                met = r <= 1.0 if better == "low" else r >= 1.0
                cells.append(f"{r:.2f} {'met' if met else 'MISSED'}")
            print(f"{label:{w}}" + "".join(f"{c:>34}" for c in cells))
    for s in sides:
        for what, err in s.errors.items():
            print(f"{s.label}: {what}: {err}")
        for n in s.notes:
            print(f"{s.label}: {n}")
    print("MB = 10^6 bytes; the 16 MiB figure discards the body, the 'with "
          "sha256' one hashes it; idle CPU is counted in "
          f"1/{os.sysconf('SC_CLK_TCK')} s ticks over {IDLE_SECONDS} s; "
          "logs in build/logs/bench-net-*.log")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["ours", "ours-nooffload", "linux",
                                       "linux-nooffload", "linux-kpti0"],
                    action="append")
    ap.add_argument("-n-ping", type=int, default=200)
    ap.add_argument("-n-dns", type=int, default=200)
    ap.add_argument("-n-http", type=int, default=100)
    ap.add_argument("--bulk-runs", type=int, default=3)
    ap.add_argument("--kpti0", action="store_true",
                    help="also run Linux (default NIC) with kpti=0")
    args = ap.parse_args()
    if not have_netns():
        raise SystemExit("bench-net needs root (network namespaces)")
    which = args.only or ["ours", "ours-nooffload", "linux", "linux-nooffload"] + (
        ["linux-kpti0"] if args.kpti0 else [])
    sides = []
    for label, opts in (("ours", ""), ("ours-nooffload", NOOFFLOAD)):
        if label not in which:
            continue
        ok, msg = qemu.ensure_kernel()
        if ok:
            sides.append(measure_ours(args, label, opts))
        else:
            side = Side(label)
            side.errors["build"] = "the kernel does not build: " + msg.strip()[-300:]
            sides.append(side)
    if "linux" in which:
        sides.append(measure_linux(args, "linux"))
    if "linux-nooffload" in which:
        sides.append(measure_linux(args, "linux-nooffload", device_opts=NOOFFLOAD))
    if "linux-kpti0" in which:
        sides.append(measure_linux(args, "linux-kpti0", kpti0=True))
    report(sides)
    hung = [s for s in sides if s.hang]
    for s in hung:
        print(f"\n{s.label}: HANG ({s.hang})\n{s.describe}", file=sys.stderr)
    return 1 if hung else 0


if __name__ == "__main__":
    sys.exit(main())
