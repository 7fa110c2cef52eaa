"""Malformed frames from the host side of the tap: each is counted and
dropped by the guest, which still answers ping afterwards (issue:
interrupt-driven virtio-net, "Bad input")."""

import sys
from pathlib import Path

import pytest

import qemu
from netns import GUEST_ADDR, GUEST_MAC, HOST_ADDR, NetNS, have_netns, parse_ping
from test_net import boot_idle, stats

pytestmark = pytest.mark.skipif(not have_netns(),
                                reason="needs root for network namespaces")

INJECT = Path(__file__).resolve().parent / "tools" / "inject_frames.py"


def test_malformed_frames_dropped_and_counted():
    with NetNS() as ns:
        run = boot_idle(ns, "net-badinput", "msix")
        try:
            r = ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", GUEST_ADDR])
            assert parse_ping(r.stdout)[1] == 3, r.stdout
            before = stats(run)
            ns.run(["ip", "link", "set", ns.tap, "mtu", "9000"])
            inj = ns.run([sys.executable, str(INJECT), ns.tap, GUEST_MAC,
                          GUEST_ADDR, HOST_ADDR])
            assert inj.returncode == 0, inj.stderr
            r = ns.run(["ping", "-c", "20", "-i", "0.05", "-W", "2", GUEST_ADDR])
            after = stats(run)
            tx, rx, _ = parse_ping(r.stdout)
            assert rx == tx == 20, f"guest stopped answering: {rx}/{tx}\n" + run.describe()
            assert not run.panicked, run.describe()

            def delta(key):
                return after.get(key, 0) - before.get(key, 0)

            for key in ("net.ip_drop_csum", "net.ip_drop_version", "net.ip_drop_ihl",
                        "net.ip_drop_len", "net.ip_drop_frag", "net.icmp_drop_bad",
                        "net.arp_drop_bad", "net.eth_drop_type"):
                assert delta(key) >= 1, f"{key} did not count the bad frame " \
                                        f"({before.get(key)} -> {after.get(key)})"
            assert delta("net.ip_drop_short") + delta("net.ip_drop_ihl") >= 2
        finally:
            run.stop()
