#!/usr/bin/python3
"""Sends malformed Ethernet frames out of a tap device (run inside the test's
network namespace): python3 inject_frames.py <ifname> <guest-mac> <guest-ip>
<host-ip>.  Prints one line per kind sent.  Standard library only."""

import random
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip4(text):
    return socket.inet_aton(text)


def ip_header(src, dst, payload_len, proto=1, ihl=5, total=None, version=4,
              frag=0, good_csum=True):
    total = 20 + payload_len if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total, 0x1234,
                    frag, 64, proto, 0, src, dst)
    c = csum(h) if good_csum else 0xBEEF
    return h[:10] + struct.pack("!H", c) + h[12:]


def icmp_echo(good=True):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"x" * 32
    c = csum(body) if good else 0x1111
    return body[:2] + struct.pack("!H", c) + body[4:]


def main():
    ifname, gmac, gip, hip = sys.argv[1:5]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src_mac = open(f"/sys/class/net/{ifname}/address").read().strip()
    eth = mac(gmac) + mac(src_mac)
    g, h = ip4(gip), ip4(hip)
    rng = random.Random(1234)
    frames = {
        "unknown ethertype": eth + b"\x88\xb5" + b"\0" * 46,
        "ip truncated header": eth + b"\x08\x00" + ip_header(h, g, 0)[:12],
        "ip bad checksum": eth + b"\x08\x00" + ip_header(h, g, 40, good_csum=False) + icmp_echo(),
        "ip version 6": eth + b"\x08\x00" + ip_header(h, g, 40, version=6) + icmp_echo(),
        "ip ihl 3": eth + b"\x08\x00" + ip_header(h, g, 40, ihl=3) + icmp_echo(),
        "ip ihl past frame": eth + b"\x08\x00" + ip_header(h, g, 0, ihl=15),
        "ip total length past frame": eth + b"\x08\x00" + ip_header(h, g, 40, total=1400) + icmp_echo(),
        "ip fragment": eth + b"\x08\x00" + ip_header(h, g, 40, frag=0x2000) + icmp_echo(),
        "icmp bad checksum": eth + b"\x08\x00" + ip_header(h, g, 40) + icmp_echo(good=False),
        "icmp truncated": eth + b"\x08\x00" + ip_header(h, g, 4) + icmp_echo()[:4],
        "arp bad hlen": eth + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 9, 4, 1) + b"\0" * 20,
        "arp truncated": eth + b"\x08\x06" + b"\x00\x01\x08\x00",
    }
    # Longer than the guest's receive buffers (the test raised the tap MTU).
    frames["jumbo 4000"] = eth + b"\x08\x00" + ip_header(h, g, 3966) + b"j" * 3966
    for i in range(20):
        frames[f"garbage {i}"] = eth + bytes(rng.randrange(256) for _ in range(rng.randrange(2, 1400)))
    for name, frame in frames.items():
        s.send(frame)
        print("sent", name, len(frame))


if __name__ == "__main__":
    main()
