"""Sockets from user space: Debian's busybox, unmodified, in the guest's
shell uses the kernel's TCP/UDP through socket(2) and friends, against the
real peers of tests/system/peers.py in a private network namespace
(Python's http.server, dnsmasq, the echo server) and the host kernel's
TCP: wget of 1 MiB checked by sha256, nslookup through dnsmasq, nc as a
client of the echo server, nc as a listener the host sends 256 KiB to,
and ^C ending a blocked accept.  One boot for all of it."""

import re
import time

import pytest

import qemu
from netns import GUEST_ADDR, GUEST_IP_ARG, HOST_ADDR, NetNS, have_netns
from peers import ECHO_PORT, HTTP_PORT, PYTHON, PeerError, Peers, wrap_qemu, HardTimeout

pytestmark = pytest.mark.skipif(not have_netns(),
                                reason="needs root for network namespaces")

INITRD = qemu.BUILD / "initramfs.cpio"
HARD = 600


class Guest:
    def __init__(self, ns, peers, run):
        self.ns, self.peers, self.run = ns, peers, run
        self.n = 0

    def describe(self, what):
        return self.run.describe(what) + "\n" + self.peers.describe()

    def sh(self, cmd, timeout=60):
        """Runs cmd in the guest's shell; returns (its output lines, exit
        status)."""
        self.n += 1
        tag = f"__rc{self.n}__"
        with self.run._cond:
            start = len(self.run.line_times)
        self.run.send(f"{cmd}; echo {tag} $?\r")
        line = self.run.wait_for(rf"^{tag} \d+$", timeout, start)
        assert line, self.describe(f"no end of `{cmd}` within {timeout} s")
        with self.run._cond:
            lines = [l for _, l in self.run.line_times[start:]]
        body = [l for l in lines[1:] if not l.startswith(tag)]
        return body, int(line.split()[1])


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    if not INITRD.is_file():
        pytest.fail(f"{INITRD} was not built by `make all`", pytrace=False)
    ns = NetNS()
    ns.__enter__()
    run = None
    try:
        try:
            peers = Peers(ns, tmp_path_factory.mktemp("usernet")).start()
        except PeerError as e:
            pytest.fail(str(e))
        cmdline = f"{GUEST_IP_ARG} nameserver={HOST_ADDR} rdinit=/init"
        cmd = wrap_qemu(ns, qemu.qemu_command(
            cmdline, extra_args=ns.qemu_nic_args() + ["-initrd", str(INITRD)]))
        run = qemu.Run("usernet", cmdline=cmdline, cmd=cmd, timeout=HARD,
                       interactive=True).start()
        run.hard = HardTimeout(run, HARD)
        if not run.wait_for(r"init: started", timeout=90):
            pytest.fail(run.describe("init did not start"))
        g = Guest(ns, peers, run)
        g.sh("true", timeout=60)     # the shell is up
        yield g
    finally:
        if run is not None:
            run.hard.cancel()
            run.stop()
        ns.close()


def test_wget_1mib(guest):
    from peers import data_files
    f = data_files()["1m.bin"]
    out, rc = guest.sh(f"wget -q -O - http://{HOST_ADDR}:{HTTP_PORT}/1m.bin | sha256sum",
                       timeout=180)
    assert rc == 0 and any(f.sha256 in l for l in out), \
        guest.describe(f"wget | sha256sum gave {out} (rc {rc}), want {f.sha256}")


def test_wget_missing_is_error(guest):
    out, rc = guest.sh(f"wget -q -O /dev/null http://{HOST_ADDR}:{HTTP_PORT}/nope")
    assert rc != 0, guest.describe("wget of a missing file succeeded")


def test_nslookup_through_dnsmasq(guest):
    out, rc = guest.sh(f"nslookup files.test {HOST_ADDR}")
    assert rc == 0 and any(HOST_ADDR in l for l in out[1:]), \
        guest.describe(f"nslookup: {out} (rc {rc})")


def test_nc_echo(guest):
    # The echo server sends back what it gets; -w ends nc once idle.
    out, rc = guest.sh(f"echo hello-echo | nc -w 2 {HOST_ADDR} {ECHO_PORT}")
    assert "hello-echo" in out, guest.describe(f"nc echo: {out} (rc {rc})")


def test_connect_refused(guest):
    out, rc = guest.sh(f"echo x | nc -w 2 {HOST_ADDR} 1")
    assert rc != 0, guest.describe("connect to a closed port succeeded")


def test_host_sends_to_guest_listener(guest):
    size = 256 * 1024
    guest.run.send("nc -l -p 7100 < /dev/null > /tmp/got &\r")
    time.sleep(2)
    sender = ("import socket,sys,time\n"
              "for i in range(50):\n"
              "    try:\n"
              f"        s=socket.create_connection(('{GUEST_ADDR}',7100),timeout=5); break\n"
              "    except OSError: time.sleep(0.2)\n"
              f"s.sendall(bytes(range(256))*{size // 256}); s.close()\n")
    r = guest.ns.run([PYTHON, "-c", sender], timeout=120)
    assert r.returncode == 0, guest.describe(f"host sender failed: {r.stdout}{r.stderr}")
    out, rc = guest.sh("wait; wc -c < /tmp/got; od -An -tu1 -N4 -j 256 /tmp/got", timeout=60)
    assert any(l.strip() == str(size) for l in out), guest.describe(f"received: {out}")
    assert any(re.match(r"\s*0\s+1\s+2\s+3\s*$", l) for l in out), \
        guest.describe(f"data not as sent: {out}")


def test_ctrl_c_ends_blocked_accept(guest):
    # nc sleeps in accept(); SIGINT from the TTY must end that wait.
    guest.run.send("nc -l -p 7101\r")
    time.sleep(2)
    guest.run.send("\x03")
    out, rc = guest.sh("echo after", timeout=20)
    assert "after" in out, guest.describe("the shell did not come back after ^C")
