#!/usr/bin/python3
"""Sends malformed and hostile TCP segments to the guest out of a tap device
(run inside the test's network namespace):

    inject_tcp.py <ifname> <guest-mac> <guest-ip> <host-ip> <listen-port>
                  <closed-port> <kind>...

kinds: malformed (truncated headers, bad checksums, data offsets below 5 or
past the segment, options with lengths 0, 1 and past the end), synflood[=N]
(N SYNs to the listener, default 3000, half from the host's address with
random ports, half from unanswered addresses on the subnet), closed (RSTs
and ACKs to a closed port), zerowindow (window-0 SYN and ACK segments).
Prints "sent <kind> <count>" lines.  Standard library only.
"""

import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inject_frames import csum, ip4, ip_header, mac  # noqa: E402

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_segment(src, dst, sport, dport, seq=1, ack=0, flags=SYN, window=65535,
                options=b"", payload=b"", doff=None, good_csum=True):
    if doff is None:
        doff = (20 + len(options) + 3) // 4
    options += b"\0" * (-len(options) % 4)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags,
                      window, 0, 0) + options
    seg = hdr + payload
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(seg))
    c = csum(pseudo + seg) if good_csum else (csum(pseudo + seg) ^ 0x5A5A) or 1
    return seg[:16] + struct.pack("!H", c) + seg[18:]


class Injector:
    def __init__(self, ifname, gmac, gip, hip):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((ifname, 0))
        self.hmac = mac(open(f"/sys/class/net/{ifname}/address").read().strip())
        self.gmac = mac(gmac)
        self.g, self.h = ip4(gip), ip4(hip)
        self.rng = random.Random(4321)

    def send_ip(self, seg, src=None, total=None):
        src = src or self.h
        frame = (self.gmac + self.hmac + b"\x08\x00"
                 + ip_header(src, self.g, len(seg), proto=6, total=total) + seg)
        for _ in range(3):
            try:
                self.s.send(frame)
                return
            except BlockingIOError:
                time.sleep(0.01)

    def port(self):
        return self.rng.randrange(20000, 60000)


def malformed(inj, lport):
    g, h = inj.g, inj.h
    kinds = {
        # 10 bytes of TCP header, with the IP total length saying so.
        "truncated header 10": tcp_segment(h, g, inj.port(), lport)[:10],
        "truncated header 19": tcp_segment(h, g, inj.port(), lport)[:19],
        "bad checksum syn": tcp_segment(h, g, inj.port(), lport, good_csum=False),
        "bad checksum data": tcp_segment(h, g, inj.port(), lport, flags=ACK | PSH,
                                         payload=b"x" * 100, good_csum=False),
        "data offset 15 in 20 bytes": tcp_segment(h, g, inj.port(), lport, doff=15),
        "data offset 4": tcp_segment(h, g, inj.port(), lport, doff=4),
        "data offset 0": tcp_segment(h, g, inj.port(), lport, doff=0),
        "data offset 8 in 28-byte segment with 4 option bytes":
            tcp_segment(h, g, inj.port(), lport, doff=8, options=b"\x01\x01\x01\x00"),
        "option length 0": tcp_segment(h, g, inj.port(), lport,
                                       options=b"\x02\x00\x05\xb4"),
        "option length 1": tcp_segment(h, g, inj.port(), lport,
                                       options=b"\x02\x01\x05\xb4"),
        "option past the end": tcp_segment(h, g, inj.port(), lport,
                                           options=b"\x01\x01\x08\x0a"),
        "mss option length 40": tcp_segment(h, g, inj.port(), lport,
                                            options=b"\x02\x28\x05\xb4"),
        "window scale length 2": tcp_segment(h, g, inj.port(), lport,
                                             options=b"\x03\x02\x01\x00"),
    }
    for name, seg in kinds.items():
        for _ in range(2):
            inj.send_ip(seg)
        print("sent", name, 2, flush=True)
    # IP total length shorter than the TCP header it carries.
    seg = tcp_segment(h, g, inj.port(), lport)
    inj.send_ip(seg, total=20 + 8)
    print("sent ip length cuts the tcp header 1", flush=True)


def synflood(inj, lport, n):
    sent = 0
    for i in range(n):
        if i % 2:
            src = inj.h
        else:   # nobody answers ARP for these: the SYN-ACKs go nowhere
            src = bytes([192, 0, 2, 100 + inj.rng.randrange(100)])
        seg = tcp_segment(src, inj.g, inj.port(), lport,
                          seq=inj.rng.getrandbits(32),
                          options=b"\x02\x04\x05\xb4")
        inj.send_ip(seg, src=src)
        sent += 1
        if i % 50 == 49:
            time.sleep(0.005)
    print("sent synflood", sent, flush=True)


def closed(inj, cport):
    g, h = inj.g, inj.h
    for i in range(20):
        inj.send_ip(tcp_segment(h, g, inj.port(), cport, seq=1000 + i, flags=RST))
        inj.send_ip(tcp_segment(h, g, inj.port(), cport, seq=1000 + i,
                                ack=5000, flags=RST | ACK))
        inj.send_ip(tcp_segment(h, g, inj.port(), cport, seq=2000 + i,
                                ack=7000 + i, flags=ACK))
        inj.send_ip(tcp_segment(h, g, inj.port(), cport, seq=3000 + i, ack=9000,
                                flags=ACK | PSH, payload=b"hello"))
        inj.send_ip(tcp_segment(h, g, inj.port(), cport, seq=4000 + i, flags=FIN))
    print("sent closed-port rst/ack/data/fin", 100, flush=True)


def zerowindow(inj, lport, cport):
    g, h = inj.g, inj.h
    for i in range(10):
        inj.send_ip(tcp_segment(h, g, inj.port(), lport, window=0))
        inj.send_ip(tcp_segment(h, g, inj.port(), cport, window=0, flags=ACK,
                                ack=1234))
        inj.send_ip(tcp_segment(h, g, inj.port(), lport, window=0, flags=ACK,
                                ack=99, payload=b"z" * 10))
    print("sent zero-window syn/ack/data", 30, flush=True)


def main():
    ifname, gmac, gip, hip, lport, cport, *kinds = sys.argv[1:]
    lport, cport = int(lport), int(cport)
    inj = Injector(ifname, gmac, gip, hip)
    for kind in kinds:
        name, _, arg = kind.partition("=")
        if name == "malformed":
            malformed(inj, lport)
        elif name == "synflood":
            synflood(inj, lport, int(arg or 3000))
        elif name == "closed":
            closed(inj, cport)
        elif name == "zerowindow":
            zerowindow(inj, lport, cport)
        else:
            sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
