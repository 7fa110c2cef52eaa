"""A Debian Linux arm64 guest on exactly our QEMU command line, for the
benchmarks' side-by-side figures (shared/benchmarks/linux-anchor.md).

prepare() fetches Debian's kernel (linux-image-arm64's current package) and
busybox-static:arm64 with apt at bench time into build/linux/ (nothing is
committed), and builds an initramfs whose /init loads the virtio-net modules
in the order the anchor gives, configures eth0 from the same ip= values as
our kernel, prints "linux ready" and then answers console commands:
  irqs          /proc/interrupts between "irqs begin" / "irqs end"
  netdev        "netdev rx_packets N tx_packets N" (eth0's statistics)
  client ARGS   runs /bin/guest_client ARGS (tests/bench/guest_client.c,
                when prepare() was given one) between "client begin" and
                "client end <exit status>"
  poweroff      power off
The kernel and busybox are fetched once (build/linux/ready); the initramfs
is rebuilt whenever /init or the client changes.
"""

import glob
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LINUX = ROOT / "build" / "linux"
MODULES = ["virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
           "failover", "net_failover", "virtio_net"]

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in {modules}; do insmod /lib/modules/$m.ko || echo "insmod $m failed"; done
ip link set lo up
ip link set eth0 up
ip addr add {addr}/24 dev eth0
echo "linux ready"
while read -r cmd; do
  case "$cmd" in
    irqs) echo "irqs begin"; cat /proc/interrupts; echo "irqs end" ;;
    netdev) echo "netdev rx_packets $(cat /sys/class/net/eth0/statistics/rx_packets)" \
                 "tx_packets $(cat /sys/class/net/eth0/statistics/tx_packets)" ;;
    client\ *) set -- $cmd; shift; echo "client begin"; /bin/guest_client "$@";
              echo "client end $?" ;;
    poweroff) poweroff -f ;;
    "") ;;
    *) echo "unknown command $cmd" ;;
  esac
done
"""


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def _ensure_arm64_apt():
    archs = _run(["dpkg", "--print-foreign-architectures"]).stdout.split()
    if "arm64" not in archs:
        _run(["dpkg", "--add-architecture", "arm64"])
        _run(["apt-get", "update", "-qq"])


def prepare(addr="192.0.2.2", client=None):
    """Returns (kernel Image path, initramfs path, kernel version).
    client: a static arm64 binary to install as /bin/guest_client."""
    LINUX.mkdir(parents=True, exist_ok=True)
    stamp = LINUX / "ready"
    ird = LINUX / "initramfs"
    if stamp.exists() and (ird / "bin" / "busybox").exists():
        kver = stamp.read_text().strip()
        return LINUX / "Image", _initramfs(ird, addr, client), kver
    _ensure_arm64_apt()
    deps = _run(["apt-cache", "depends", "linux-image-arm64:arm64"]).stdout
    pkg = next(line.split(":", 1)[1].strip() for line in deps.splitlines()
               if line.strip().startswith("Depends:") and "linux-image-6" in line)
    debs = LINUX / "debs"
    shutil.rmtree(debs, ignore_errors=True)
    debs.mkdir()
    _run(["apt-get", "download", "-qq", pkg, "busybox-static:arm64"], cwd=debs)
    root = LINUX / "x"
    shutil.rmtree(root, ignore_errors=True)
    for deb in debs.glob("*.deb"):
        _run(["dpkg-deb", "-x", str(deb), str(root)])
    vmlinuz = sorted(glob.glob(str(root / "boot" / "vmlinuz-*")))[-1]
    kver = Path(vmlinuz).name[len("vmlinuz-"):]
    shutil.copy(vmlinuz, LINUX / "Image")

    shutil.rmtree(ird, ignore_errors=True)
    for d in ("bin", "proc", "sys", "dev", "lib/modules"):
        (ird / d).mkdir(parents=True)
    shutil.copy(root / "bin" / "busybox", ird / "bin" / "busybox")
    for m in MODULES:
        found = glob.glob(str(root / "lib" / "modules" / kver / "**" / f"{m}.ko"),
                          recursive=True)
        if not found:
            raise RuntimeError(f"module {m} not in {pkg}")
        shutil.copy(found[0], ird / "lib" / "modules" / f"{m}.ko")
    shutil.rmtree(root, ignore_errors=True)
    stamp.write_text(kver + "\n")
    return LINUX / "Image", _initramfs(ird, addr, client), kver


def _initramfs(ird, addr, client):
    """Writes /init (and /bin/guest_client) into ird and packs it into
    build/linux/initramfs.cpio unless it is already packed that way."""
    init_text = INIT.format(modules=" ".join(MODULES), addr=addr)
    client_bytes = Path(client).read_bytes() if client else b""
    digest = hashlib.sha256(init_text.encode() + b"\0" + client_bytes).hexdigest()
    cpio = LINUX / "initramfs.cpio"
    cstamp = LINUX / "initramfs.sha256"
    if cpio.exists() and cstamp.exists() and cstamp.read_text().strip() == digest:
        return cpio
    init = ird / "init"
    init.write_text(init_text)
    init.chmod(0o755)
    dst = ird / "bin" / "guest_client"
    if client:
        shutil.copy(client, dst)
        dst.chmod(0o755)
    elif dst.exists():
        dst.unlink()
    files = subprocess.run("find . | sort", shell=True, cwd=ird, check=True,
                           capture_output=True).stdout
    with open(cpio, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=ird,
                       input=files, stdout=out, check=True)
    cstamp.write_text(digest + "\n")
    return cpio


def qemu_args(image, initramfs, cmdline="console=ttyAMA0 quiet"):
    """The -kernel/-initrd/-append part of the QEMU command line."""
    return ["-kernel", str(image), "-initrd", str(initramfs), "-append", cmdline]


def parse_interrupts(text, match):
    """Sum of the per-CPU counts of /proc/interrupts lines containing match."""
    total = 0
    body = text.split("irqs begin", 1)[-1].split("irqs end", 1)[0]
    for line in body.splitlines():
        if match in line:
            parts = line.split()
            if parts and parts[0].endswith(":") and len(parts) > 1 and parts[1].isdigit():
                total += int(parts[1])
    return total


def parse_netdev(text):
    """(rx_packets, tx_packets) from the `netdev` answer, or (None, None)."""
    import re
    m = re.search(r"netdev rx_packets (\d+) tx_packets (\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def client(run, args, timeout=120):
    """Runs guest_client in the Linux guest: (exit status or None, output)."""
    import re
    text = run.command("client " + args, r"client end -?\d+", timeout=timeout)
    if text is None:
        return None, ""
    body = text.split("client begin", 1)[-1]
    m = re.search(r"client end (-?\d+)", body)
    return int(m.group(1)), body[:m.start()].strip()
