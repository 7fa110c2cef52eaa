"""A private network namespace with a tap device for QEMU, and the host
side of the network tests.

    with NetNS() as ns:
        ns.run(["ping", "-c", "3", "192.0.2.2"])
        cmd = ns.wrap(qemu_cmd + ns.qemu_nic_args())

Nothing is ever sent outside the namespace: it holds only `lo` and the tap,
with 192.0.2.1/24 (TEST-NET-1) on the tap and no default route.  The
namespace, and everything started in it, is removed on exit.
"""

import os
import subprocess
import uuid

HOST_ADDR = "192.0.2.1"
GUEST_ADDR = "192.0.2.2"
PREFIX = 24
GUEST_MAC = "52:54:00:12:34:56"
GUEST_IP_ARG = f"ip={GUEST_ADDR}::{HOST_ADDR}:255.255.255.0::eth0:off"


def delete_netns(name):
    """Kills what still runs in namespace `name` (which lets `netns del`
    free it), then deletes it."""
    pids = subprocess.run(["ip", "netns", "pids", name],
                          capture_output=True, text=True).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def have_netns():
    """True if we may create network namespaces (root with iproute2)."""
    if os.geteuid() != 0:
        return False
    return subprocess.run(["ip", "netns", "list"], capture_output=True).returncode == 0


class NetNS:
    def __init__(self, tap="tap0"):
        self.name = "kt-" + uuid.uuid4().hex[:10]
        self.tap = tap
        self.procs = []

    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    def __enter__(self):
        self._ip("netns", "add", self.name)
        try:
            self._ip("-n", self.name, "link", "set", "lo", "up")
            self._ip("-n", self.name, "tuntap", "add", "dev", self.tap, "mode", "tap")
            self._ip("-n", self.name, "addr", "add", f"{HOST_ADDR}/{PREFIX}",
                     "dev", self.tap)
            self._ip("-n", self.name, "link", "set", self.tap, "up")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        delete_netns(self.name)

    def wrap(self, cmd):
        """cmd run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *cmd]

    def run(self, cmd, timeout=120, **kw):
        return subprocess.run(self.wrap(cmd), capture_output=True, text=True,
                              timeout=timeout, **kw)

    def popen(self, cmd, **kw):
        p = subprocess.Popen(self.wrap(cmd), **kw)
        self.procs.append(p)
        return p

    def qemu_nic_args(self, device_opts=""):
        opts = f"virtio-net-pci,netdev=n0,mac={GUEST_MAC}"
        if device_opts:
            opts += "," + device_opts
        return ["-netdev", f"tap,id=n0,ifname={self.tap},script=no,downscript=no",
                "-device", opts]


def parse_ping(output):
    """(transmitted, received, avg_ms or None) from iputils ping output."""
    import re
    tx = rx = 0
    avg = None
    m = re.search(r"(\d+) packets transmitted, (\d+) received", output)
    if m:
        tx, rx = int(m.group(1)), int(m.group(2))
    m = re.search(r"= [\d.]+/([\d.]+)/", output)
    if m:
        avg = float(m.group(1))
    return tx, rx, avg
