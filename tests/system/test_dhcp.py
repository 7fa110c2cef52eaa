"""DHCP client (ip=dhcp) against Debian's dnsmasq in the private network
namespace: a lease from the range, used for pings, with the DNS server the
lease names (issue: TCP/IP stack, DHCP)."""

import re
import subprocess
import time

import pytest

import qemu
from netns import HOST_ADDR, NetNS, have_netns, parse_ping
from test_dns import resolve

pytestmark = pytest.mark.skipif(not have_netns(),
                                reason="needs root for network namespaces")

LEASE_RE = r"dhcp: lease (192\.0\.2\.\d+) gw (\S+) for (\d+) s"


def test_dhcp_lease_ping_and_dns(tmp_path):
    with NetNS() as ns:
        dm = ns.popen(["/usr/sbin/dnsmasq", "--keep-in-foreground", "--no-resolv",
                       "--no-hosts", "--conf-file=/dev/null",
                       f"--interface={ns.tap}", "--bind-interfaces",
                       f"--listen-address={HOST_ADDR}",
                       "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,1h",
                       f"--dhcp-option=3,{HOST_ADDR}",
                       # T1 of 4 s, so the test sees a renewal (RFC 2131 §4.4.5).
                       "--dhcp-option=option:T1,4",
                       f"--dhcp-leasefile={tmp_path}/leases",
                       "--host-record=files.test,192.0.2.1", "--local=/test/",
                       f"--pid-file={tmp_path}/dnsmasq.pid", "--log-facility=-"],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        assert dm.poll() is None, dm.stdout.read().decode()
        cmdline = "ip=dhcp"
        cmd = ns.wrap(qemu.qemu_command(cmdline, extra_args=ns.qemu_nic_args()))
        run = qemu.Run("dhcp", cmdline=cmdline, cmd=cmd, timeout=180,
                       interactive=True).start()
        try:
            assert run.wait_for(LEASE_RE, timeout=60), run.describe("no lease")
            addr, gw, secs = re.search(LEASE_RE, run.output).groups()
            last = int(addr.rsplit(".", 1)[1])
            assert 50 <= last <= 99, f"{addr} is outside the dhcp-range"
            assert gw == HOST_ADDR
            assert int(secs) == 3600
            p = ns.run(["ping", "-c", "10", "-i", "0.05", "-W", "2", addr])
            assert parse_ping(p.stdout)[1] == 10, p.stdout + run.describe()
            # The nameserver came with the lease (dnsmasq names itself).
            assert resolve(run, "files.test") == "192.0.2.1", run.describe()
            leases = (tmp_path / "leases").read_text()
            assert addr in leases and "52:54:00:12:34:56" in leases, leases
            assert run.wait_for(r"dhcp: renewed", timeout=30), \
                run.describe("no renewal at T1")
            p = ns.run(["ping", "-c", "3", "-i", "0.1", "-W", "2", addr])
            assert parse_ping(p.stdout)[1] == 3, "address lost after renewal"
        finally:
            run.stop()
