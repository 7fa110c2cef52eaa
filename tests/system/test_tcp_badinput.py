"""Hostile TCP input from the host side of the tap (issue 4, "Bad input"):
truncated headers, bad checksums, data offsets below 5 or past the segment,
options with lengths 0, 1 and past the end, a SYN flood of a few thousand
SYNs at a guest listener, unsolicited RSTs and ACKs to a closed port, and
zero-window segments (forged, and a real peer that stops reading).  The
segments are built with the standard library (tools/inject_tcp.py, AF_PACKET
on the tap).  Afterwards the drop counters in `stats` have moved, and the
guest still answers ping, serves its listener and fetches with wget."""

import re
import sys
from pathlib import Path

import pytest

from netns import GUEST_ADDR, GUEST_IP_ARG, GUEST_MAC, HOST_ADDR, NetNS, have_netns
from peers import ECHO_PORT, PYTHON, PeerError, Peers, exchange
from test_net import stats
from test_tcp import (LISTEN_PORT, MIB, boot_guest, check_wget, describe,
                      ping_host_to_guest, stop, tcpecho, tcplisten)

pytestmark = pytest.mark.skipif(not have_netns(),
                                reason="needs root for network namespaces")

INJECT = Path(__file__).resolve().parent / "tools" / "inject_tcp.py"
CLOSED_PORT = 7999

# Which counter must move for each kind of bad input (net/tcp.c tcp_dump()).
EXPECT = {
    "malformed": ["net.tcp_drop_short", "net.tcp_drop_csum", "net.tcp_drop_hdrlen",
                  "net.tcp_drop_opts"],
    "closed": ["net.tcp_drop_noport", "net.tcp_rst_tx"],
}
# A SYN flood must show up in one of these (backlog full, evictions).
SYNFLOOD_ANY = ["net.tcp_drop_backlog", "net.tcp_syn_evicted", "net.tcp_drop_listen"]


def inject(ns, *kinds):
    r = ns.run([PYTHON, str(INJECT), ns.tap, GUEST_MAC, GUEST_ADDR, HOST_ADDR,
                str(LISTEN_PORT), str(CLOSED_PORT), *kinds], timeout=120)
    assert r.returncode == 0, f"inject_tcp.py failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    ns = NetNS()
    ns.__enter__()
    run = None
    try:
        try:
            peers = Peers(ns, tmp_path_factory.mktemp("tcp-bad")).start()
        except PeerError as e:
            pytest.fail(str(e))
        run = boot_guest(ns, "tcp-badinput",
                         f"{GUEST_IP_ARG} net.irq=msix nameserver={HOST_ADDR}")
        line = tcplisten(run, LISTEN_PORT)
        assert line.endswith("ok"), line + "\n" + describe(run)
        (tx, rx, _), out = ping_host_to_guest(ns, count=3)
        assert rx == 3, out
        run.peers, run.ns = peers, ns
        yield run
    finally:
        if run is not None:
            stop(run)
        ns.close()


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def tcp_counters(s):
    return " ".join(f"{k[4:]}={v}" for k, v in sorted(s.items())
                    if k.startswith("net.tcp_"))


def still_alive(run, ns, what):
    """ping, a wget and a tcpecho after the bad input."""
    (tx, rx, _), out = ping_host_to_guest(ns, count=20)
    assert rx == tx == 20, f"after {what}: {rx}/{tx} pings\n{out}\n" + describe(run)
    check_wget(run, run.peers.files["1m.bin"], peers=run.peers)
    line = tcpecho(run, HOST_ADDR, ECHO_PORT, 65536, timeout=120)
    assert re.search(r"tcpecho ok bytes 65536 ", line), \
        f"after {what}: {line}\n" + describe(run)
    assert not run.panicked, describe(run)


def test_malformed_segments_counted(guest):
    run, ns = guest, guest.ns
    before = stats(run)
    missing = [k for k in EXPECT["malformed"] if k not in before]
    assert not missing, f"`stats` lacks {missing}; has: {tcp_counters(before)}"
    print(inject(ns, "malformed"))
    (tx, rx, _), out = ping_host_to_guest(ns, count=5)
    after = stats(run)
    moved = {k: delta(before, after, k) for k in EXPECT["malformed"]}
    print("moved:", moved)
    stuck = [k for k, v in moved.items() if v < 1]
    assert not stuck, (f"{stuck} did not count the bad segments; all tcp counters "
                       f"after: {tcp_counters(after)}\n" + describe(run))
    assert rx == tx == 5, out
    still_alive(run, ns, "malformed segments")


def test_closed_port_rst_and_ack(guest):
    run, ns = guest, guest.ns
    before = stats(run)
    print(inject(ns, "closed"))
    after = stats(run)
    moved = {k: delta(before, after, k) for k in EXPECT["closed"]}
    print("moved:", moved)
    # 20 ACKs, 20 data segments and 20 FINs deserve a RST each (RFC 9293
    # 3.10.7.1); the 40 RSTs deserve nothing.
    assert moved["net.tcp_drop_noport"] >= 60, tcp_counters(after)
    assert 40 <= moved["net.tcp_rst_tx"] <= 60, \
        f"RSTs sent for 60 RST-worthy segments and 40 RSTs: {moved}\n" + tcp_counters(after)
    still_alive(run, ns, "segments to a closed port")


def test_zero_window(guest):
    run, ns = guest, guest.ns
    before = stats(run)
    print(inject(ns, "zerowindow"))
    # A real peer that stops reading: the host's 4 KiB receive buffer fills,
    # it advertises a zero window and the guest has to probe until the host
    # reads again after 5 s.  Everything must still arrive intact.
    res, text = exchange(ns, GUEST_ADDR, LISTEN_PORT, MIB, secs=180, stall=5,
                         rcvbuf=4096)
    after = stats(run)
    assert res is not None and res["match"], \
        f"zero-window exchange: {text}\n" + describe(run)
    print("zero_window_rx", delta(before, after, "net.tcp_zero_window_rx"),
          "persist_probes", delta(before, after, "net.tcp_persist_probes"))
    assert delta(before, after, "net.tcp_zero_window_rx") >= 1, tcp_counters(after)
    # 5 s of closed window with data waiting: the persist timer must fire.
    assert delta(before, after, "net.tcp_persist_probes") >= 1, tcp_counters(after)
    still_alive(run, ns, "zero-window segments")


def test_syn_flood(guest):
    run, ns = guest, guest.ns
    before = stats(run)
    print(inject(ns, "synflood=3000"))
    after = stats(run)
    moved = {k: delta(before, after, k) for k in SYNFLOOD_ANY}
    print("moved:", moved, "rx_packets", delta(before, after, "eth0.rx_packets"))
    assert any(v > 0 for v in moved.values()), \
        f"a 3000-SYN flood moved none of {SYNFLOOD_ANY}: {tcp_counters(after)}"
    # The listener still takes a real connection (SYN retries cover the
    # embryonic ones still waiting for their timeouts).
    res, text = exchange(ns, GUEST_ADDR, LISTEN_PORT, MIB, secs=120)
    assert res is not None and res["match"], \
        f"listener after the flood: {text}\n" + describe(run)
    still_alive(run, ns, "a SYN flood")
