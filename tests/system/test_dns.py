"""UDP and the DNS stub resolver against a real DNS server (Debian's
dnsmasq) and a hostile one, in the private network namespace (issue: TCP/IP
stack, the DNS part).  The guest resolves through the kernel monitor's
`resolve <name>` command."""

import re
import socket
import struct
import subprocess
import sys
import time

import pytest

import qemu
from netns import GUEST_ADDR, GUEST_IP_ARG, HOST_ADDR, NetNS, have_netns, parse_ping
from peers import PeerError, Peers

pytestmark = pytest.mark.skipif(not have_netns(),
                                reason="needs root for network namespaces")

ENOENT, EIO, ETIMEDOUT = 2, 5, 110


def start_dnsmasq(ns, tmp_path):
    """dnsmasq with files.test, the alias.test CNAME and --local=/test/
    (tests/system/peers.py); fails the test if it does not start."""
    try:
        return Peers(ns, tmp_path, http=False, echo=False).start().procs["dnsmasq"]
    except PeerError as e:
        pytest.fail(str(e))


def boot(ns, name, extra):
    cmdline = f"{GUEST_IP_ARG} {extra}"
    cmd = ns.wrap(qemu.qemu_command(cmdline, extra_args=ns.qemu_nic_args()))
    run = qemu.Run(name, cmdline=cmdline, cmd=cmd, timeout=180,
                   interactive=True).start()
    if not run.wait_for(r"kernel ready", timeout=60):
        run.stop()
        pytest.fail("guest did not boot\n" + run.describe())
    return run


def resolve(run, name, timeout=30):
    text = run.command(f"resolve {name}", rf"resolve {re.escape(name)} \S+.*",
                       timeout=timeout)
    if text is None:
        pytest.fail(f"no answer to resolve {name}\n" + run.describe())
    m = re.findall(rf"resolve {re.escape(name)} (error (-?\d+)|[\d.]+)", text)
    assert m, text
    whole, err = m[-1]
    return int(err) if err else whole


@pytest.mark.parametrize("mode", ["msix", "poll"])
def test_resolve_with_dnsmasq(mode, tmp_path):
    with NetNS() as ns:
        start_dnsmasq(ns, tmp_path)
        run = boot(ns, f"dns-{mode}", f"net.irq={mode} nameserver={HOST_ADDR}")
        try:
            assert resolve(run, "files.test") == "192.0.2.1", run.describe()
            assert resolve(run, "alias.test") == "192.0.2.1", run.describe()
            assert resolve(run, "nosuch.test") == -ENOENT, run.describe()
            assert resolve(run, "FILES.test") == "192.0.2.1"   # case-insensitive
            assert not run.panicked, run.describe()
        finally:
            run.stop()


def test_resolve_timeout_without_server():
    with NetNS() as ns:
        run = boot(ns, "dns-timeout", "nameserver=192.0.2.77")
        try:
            assert resolve(run, "files.test", timeout=60) == -ETIMEDOUT, run.describe()
        finally:
            run.stop()


HOSTILE = r'''
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.1", 53))
answers = [
    # answer name is a pointer to itself (loop)
    lambda q, i: q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00" + q[12:] +
        b"\xc0" + bytes([len(q)]) + b"\x00\x01\x00\x01\x00\x00\x00\x10\x00\x04\xc0\x00\x02\x01",
    # rdlength past the end
    lambda q, i: q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00" + q[12:] +
        b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x10\xff\xff\xc0",
    # label length past the end
    lambda q, i: q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00" + q[12:] + b"\x3f\x61",
    # forward pointer out of range
    lambda q, i: q[:2] + b"\x81\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00" + q[12:] + b"\xff\xff",
    # truncated header
    lambda q, i: q[:6],
]
n = 0
while True:
    q, peer = s.recvfrom(1500)
    s.sendto(answers[n % len(answers)](q, n), peer)
    n += 1
    sys.stdout.write(f"answered {n}\n"); sys.stdout.flush()
'''


def test_hostile_dns_answers():
    """Compression-pointer loops, out-of-range lengths and truncated
    messages: each lookup fails cleanly (malformed answer or timeout), and
    the guest still answers ping afterwards."""
    with NetNS() as ns:
        ns.popen([sys.executable, "-c", HOSTILE], stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        run = boot(ns, "dns-hostile", f"nameserver={HOST_ADDR}")
        try:
            for i in range(5):
                r = resolve(run, f"evil{i}.test", timeout=60)
                assert r in (-EIO, -ETIMEDOUT, -ENOENT), \
                    f"hostile answer {i} gave {r}\n" + run.describe()
            p = ns.run(["ping", "-c", "5", "-i", "0.1", "-W", "2", GUEST_ADDR])
            assert parse_ping(p.stdout)[1] == 5, p.stdout
            assert not run.panicked, run.describe()
        finally:
            run.stop()
