#!/usr/bin/python3
"""A user-space stand-in for `tc qdisc ... netem` (for host kernels built
without CONFIG_NET_SCH_NETEM): an Ethernet relay between the host's tap and
QEMU's tap that drops, duplicates, delays and reorders what the host sends
the guest, with netem's meaning of the numbers.

    impair.py --host-tap tap0 --wire-ns NS --guest-if qtap0 \
              [--loss 5] [--duplicate 1] [--delay-ms 20 --reorder 25] \
              [--both] [--seed 1] [--max-seconds 1800]

Started inside the test's host namespace (where tap0 holds 192.0.2.1): it
attaches to the persistent tap0 through /dev/net/tun, then enters the
namespace NS, where QEMU has the tap guest-if, and opens an AF_PACKET
socket on it.  Frames read from tap0 go out on guest-if (impaired), frames
QEMU sends arrive on guest-if and are written to tap0 (impaired too with
--both).  The namespace NS holds no address, so its kernel ignores them.

netem semantics: loss P drops P% of frames; duplicate P sends P% twice;
delay D reorder R sends R% of frames at once and holds the others D ms (so
they are overtaken).  Decisions come from a seeded PRNG.  Prints a counters
line every second and on SIGUSR1, and exits by itself after --max-seconds.
"""

import argparse
import ctypes
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns {path}: {os.strerror(e)}")
    finally:
        os.close(fd)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


class Direction:
    def __init__(self, name, args, rng, impaired):
        self.name = name
        self.loss = args.loss / 100 if impaired else 0
        self.dup = args.duplicate / 100 if impaired else 0
        self.delay = args.delay_ms / 1000 if impaired else 0
        self.reorder = args.reorder / 100 if impaired else 0
        self.rng = rng
        self.n = {"in": 0, "out": 0, "lost": 0, "dup": 0, "delayed": 0}

    def plan(self, now):
        """Departure times for one frame ([] = lost)."""
        self.n["in"] += 1
        if self.loss and self.rng.random() < self.loss:
            self.n["lost"] += 1
            return []
        copies = 1
        if self.dup and self.rng.random() < self.dup:
            self.n["dup"] += 1
            copies = 2
        times = []
        for _ in range(copies):
            if self.delay and not (self.reorder and self.rng.random() < self.reorder):
                self.n["delayed"] += 1
                times.append(now + self.delay)
            else:
                times.append(now)
        return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host-tap", required=True)
    ap.add_argument("--wire-ns", required=True)
    ap.add_argument("--guest-if", required=True)
    ap.add_argument("--loss", type=float, default=0)
    ap.add_argument("--duplicate", type=float, default=0)
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--reorder", type=float, default=0)
    ap.add_argument("--both", action="store_true",
                    help="impair guest -> host as well")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=1800)
    ap.add_argument("--trace", help="write one line per TCP frame to this file")
    args = ap.parse_args()
    trace = open(args.trace, "w", buffering=1 << 16) if args.trace else None
    t_start = time.monotonic()

    def log_frame(direction, frame, verdict):
        if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            return
        ihl = (frame[14] & 15) * 4
        tot = int.from_bytes(frame[16:18], "big")
        t = frame[14 + ihl:]
        if len(t) < 20:
            return
        sport, dport, seq, ack = struct.unpack("!HHII", t[:12])
        doff, flags, win = (t[12] >> 4) * 4, t[13], int.from_bytes(t[14:16], "big")
        names = "".join(c for c, bit in zip("FSRPAU", (1, 2, 4, 8, 16, 32)) if flags & bit)
        trace.write(f"{time.monotonic() - t_start:.6f} {direction} {verdict} "
                    f"{sport}>{dport} {names} seq {seq} ack {ack} win {win} "
                    f"len {tot - ihl - doff}\n")

    tap = open_tap(args.host_tap)
    setns(f"/run/netns/{args.wire_ns}")
    pk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    pk.bind((args.guest_if, 0))
    pk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    pk.setblocking(False)

    rng = random.Random(args.seed)
    to_guest = Direction("to_guest", args, rng, True)
    to_host = Direction("to_host", args, rng, args.both)
    queue = []          # (due, seq, is_to_guest, frame)
    seq = 0
    end = time.monotonic() + args.max_seconds
    next_report = 0.0
    print(f"impair: {args.host_tap} <-> {args.wire_ns}/{args.guest_if} "
          f"loss {args.loss}% duplicate {args.duplicate}% delay {args.delay_ms} ms "
          f"reorder {args.reorder}% both={args.both} seed {args.seed}", flush=True)

    def report(*_):
        if trace:
            trace.flush()
        print("impair: to_guest " + " ".join(f"{k} {v}" for k, v in to_guest.n.items())
              + " to_host " + " ".join(f"{k} {v}" for k, v in to_host.n.items()),
              flush=True)

    signal.signal(signal.SIGUSR1, report)     # counters now, on demand

    def emit(is_to_guest, frame):
        try:
            if is_to_guest:
                pk.send(frame)
                to_guest.n["out"] += 1
            else:
                os.write(tap, frame)
                to_host.n["out"] += 1
        except OSError:
            pass         # a full queue or a tap without carrier: a lost frame

    while True:
        now = time.monotonic()
        if now > end:
            print("impair: max-seconds reached, exiting", flush=True)
            break
        if trace and now >= next_report:
            trace.flush()
        while queue and queue[0][0] <= now:
            _, _, d, frame = heapq.heappop(queue)
            emit(d, frame)
        if now >= next_report:
            report()
            next_report = now + 1.0
        wait = 0.5 if not queue else max(0.0, queue[0][0] - now)
        r, _, _ = select.select([tap, pk], [], [], min(wait, 0.5))
        now = time.monotonic()
        if tap in r:
            for _ in range(64):
                try:
                    frame = os.read(tap, 65536)
                except BlockingIOError:
                    break
                plan = to_guest.plan(now)
                if trace:
                    log_frame("to_guest", frame, "lost" if not plan else
                              "x%d" % len(plan) + ("" if plan[0] <= now else "-delayed"))
                for t in plan:
                    if t <= now:
                        emit(True, frame)
                    else:
                        seq += 1
                        heapq.heappush(queue, (t, seq, True, frame))
        if pk in r:
            for _ in range(64):
                try:
                    frame, addr = pk.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue        # our own sends, seen by the socket
                plan = to_host.plan(now)
                if trace:
                    log_frame("to_host", frame, "lost" if not plan else
                              "x%d" % len(plan) + ("" if plan[0] <= now else "-delayed"))
                for t in plan:
                    if t <= now:
                        emit(False, frame)
                    else:
                        seq += 1
                        heapq.heappush(queue, (t, seq, False, frame))


if __name__ == "__main__":
    main()
