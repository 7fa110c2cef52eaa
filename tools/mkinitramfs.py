#!/usr/bin/python3
"""Writes a cpio "newc" archive (the initramfs format Linux unpacks, see
Documentation/driver-api/early-userspace/buffer-format.rst) from a list in
the format of Linux's usr/gen_init_cpio:

    dir   <name> <mode> <uid> <gid>
    file  <name> <source> <mode> <uid> <gid>
    slink <name> <target> <mode> <uid> <gid>
    nod   <name> <mode> <uid> <gid> <c|b> <major> <minor>

Comments start with '#'.  Device nodes are written straight into the
archive, so no root (mknod) is needed.  Timestamps are 0, so the same input
gives the same bytes.

    tools/mkinitramfs.py -o build/initramfs.cpio list1 [list2 ...]
"""

import argparse
import os
import stat
import sys

HEADER_MAGIC = b"070701"
TRAILER = "TRAILER!!!"


def pad4(n):
    return (4 - n % 4) % 4


class Writer:
    def __init__(self, out):
        self.out = out
        self.ino = 1
        self.names = set()

    def entry(self, name, mode, uid=0, gid=0, data=b"", rmaj=0, rmin=0, nlink=1):
        name = name.lstrip("/") or "."
        if name in self.names:
            raise SystemExit(f"mkinitramfs: {name} listed twice")
        self.names.add(name)
        raw = name.encode() + b"\0"
        fields = [self.ino, mode, uid, gid, nlink, 0, len(data), 0, 0,
                  rmaj, rmin, len(raw), 0]
        self.ino += 1
        hdr = HEADER_MAGIC + b"".join(b"%08X" % f for f in fields)
        self.out.write(hdr + raw + b"\0" * pad4(len(hdr) + len(raw)))
        self.out.write(data + b"\0" * pad4(len(data)))

    def trailer(self):
        self.ino = 0
        self.entry(TRAILER, 0, nlink=1)


def parse(writer, path, lines):
    for lineno, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        kind, args = words[0], words[1:]
        where = f"{path}:{lineno}"
        try:
            if kind == "dir" and len(args) == 4:
                name, mode, uid, gid = args
                writer.entry(name, stat.S_IFDIR | int(mode, 8), int(uid), int(gid), nlink=2)
            elif kind == "file" and len(args) == 5:
                name, src, mode, uid, gid = args
                with open(src, "rb") as f:
                    data = f.read()
                writer.entry(name, stat.S_IFREG | int(mode, 8), int(uid), int(gid), data)
            elif kind == "slink" and len(args) == 5:
                name, target, mode, uid, gid = args
                writer.entry(name, stat.S_IFLNK | int(mode, 8), int(uid), int(gid),
                             target.encode())
            elif kind == "nod" and len(args) == 7:
                name, mode, uid, gid, dev, maj, mnr = args
                kind_bits = {"c": stat.S_IFCHR, "b": stat.S_IFBLK}[dev]
                writer.entry(name, kind_bits | int(mode, 8), int(uid), int(gid),
                             rmaj=int(maj), rmin=int(mnr))
            else:
                raise SystemExit(f"mkinitramfs: {where}: cannot parse: {line.strip()}")
        except (OSError, ValueError, KeyError) as e:
            raise SystemExit(f"mkinitramfs: {where}: {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("lists", nargs="+", help="list files ('-' = stdin)")
    a = ap.parse_args()
    tmp = a.output + ".tmp"
    with open(tmp, "wb") as out:
        w = Writer(out)
        for path in a.lists:
            if path == "-":
                parse(w, "<stdin>", sys.stdin.read().splitlines())
            else:
                with open(path) as f:
                    parse(w, path, f.read().splitlines())
        w.trailer()
    os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
