"""TCP and the HTTP client against real peers in the private network
namespace (issue 4): Debian's dnsmasq for names (and DHCP), Python's
http.server for files, a Python echo server on 192.0.2.1:7, and the host
kernel's own TCP as the client of a guest listener.  The guest is driven
through the kernel monitor (`wget`, `tcpecho`, `tcplisten`); the peers are
in tests/system/peers.py.

Per interrupt mode (msix, poll), one boot: wget of 1 KiB, 1 MiB and 16 MiB
by name with status 200, the exact size and the host's sha256; wget through
a CNAME; a 1 MiB tcpecho to the host; the host exchanging 1 MiB both ways
with a guest `tcplisten 7000`.  Then a DHCP boot (wget + ping both ways),
and the 16 MiB file under 5% loss, 1% duplication, 25% reordering with
20 ms delay, and all of them at once (FaultNetNS: tc netem, or the
tools/impair.py relay when the host kernel has no netem).
"""

import re

import pytest

import qemu
from netns import GUEST_ADDR, GUEST_IP_ARG, HOST_ADDR, NetNS, have_netns, parse_ping
from peers import (ECHO_PORT, NETEM_ALL, NETEM_DUPLICATE, NETEM_LOSS,
                   NETEM_REORDER, FaultNetNS, HardTimeout, PeerError, Peers,
                   exchange, data_files, wrap_qemu)

pytestmark = pytest.mark.skipif(not have_netns(),
                                reason="needs root for network namespaces")

MODES = ["msix", "poll"]
MIB = 1 << 20
LISTEN_PORT = 7000
# Per-command limits (hang detectors; TCG is slow, netem slower).
WGET_TIMEOUT = {"1k.bin": 60, "1m.bin": 120, "16m.bin": 300}
FAULT_WGET_TIMEOUT = 600
# Hard limit on a whole boot: past it QEMU is killed whatever is running.
BOOT_HARD_TIMEOUT = 1500


# -- driving the guest ---------------------------------------------------------

def boot_guest(ns, name, cmdline, ready=r"net: eth0 192\.0\.2\.2", hard=BOOT_HARD_TIMEOUT):
    """Boots in ns (QEMU in wrap_qemu(ns)) and waits for `ready`.  Returns
    the running qemu.Run with .hard (a HardTimeout); callers stop both."""
    cmd = wrap_qemu(ns, qemu.qemu_command(cmdline, extra_args=ns.qemu_nic_args()))
    run = qemu.Run(name, cmdline=cmdline, cmd=cmd, timeout=hard,
                   interactive=True).start()
    run.hard = HardTimeout(run, hard)
    if not run.wait_for(ready, timeout=90):
        stop(run)
        pytest.fail(f"guest did not come up (waited for {ready!r})\n" + run.describe())
    return run


def stop(run):
    run.hard.cancel()
    run.stop()


def post_mortem(run):
    """The guest's TCP and NIC counters after a failure (asks `stats` with a
    short limit), or a note that the guest no longer answers."""
    if run._finished:
        return ""
    text = run.command("stats", r"kmon: stats end", timeout=15)
    if text is None:
        return ("--- `stats` after the failure: no answer within 15 s (the "
                "monitor is still busy, or the guest hung) ---")
    keep = [l for l in text.splitlines()
            if l.startswith(("net tcp_", "eth0 ", "irq ", "net arp_", "net ip_drop"))
            and not l.endswith(" 0")]
    return "--- nonzero counters after the failure ---\n" + " | ".join(keep)


def describe(run, what=None, peers=None, ns=None, counters=True):
    """A failure message: the boot's log tail, the guest's counters, the
    peers' logs and the fault injector's counts."""
    text = run.describe(what)
    pm = post_mortem(run) if counters else ""
    if pm:
        text += "\n" + pm
    if run.hard.fired:
        text = f"HARD TIMEOUT: QEMU killed after {BOOT_HARD_TIMEOUT} s\n" + text
    if peers is not None:
        text += "\n" + peers.describe()
    if ns is not None and hasattr(ns, "relay_text"):
        text += "\n--- fault injection ---\n" + ns.relay_text(2)
        if getattr(ns, "trace", None):
            text += f"\nper-frame trace: {ns.trace}"
    return text


def monitor(run, line, until, timeout):
    """Types a monitor command; returns the last console line matching
    `until` (re), or fails the test with the log tail."""
    unknown = r"kmon: unknown command"
    text = run.command(line, f"(?:{until})|{unknown}", timeout=timeout)
    if text is None:
        pytest.fail(f"no answer to `{line}` within {timeout} s\n" + describe(run))
    found = [l for l in text.splitlines() if re.search(until, l)]
    if not found:
        pytest.fail(f"the kernel monitor does not know `{line.split()[0]}`\n"
                    + describe(run))
    return found[-1]


WGET_RE = (r"wget (\S+) (?:status (\d+) bytes (\d+) sha256 ([0-9a-f]{64}) us (\d+)"
           r"|error (-?\d+))")


def wget(run, url, timeout):
    """{"status", "bytes", "sha256", "us"} or {"error": -errno}."""
    line = monitor(run, f"wget {url}", rf"wget {re.escape(url)} (status|error) ", timeout)
    m = re.search(WGET_RE, line)
    assert m and m.group(1) == url, f"malformed wget reply: {line!r}"
    if m.group(6) is not None:
        return {"error": int(m.group(6)), "line": line}
    return {"status": int(m.group(2)), "bytes": int(m.group(3)),
            "sha256": m.group(4), "us": int(m.group(5)), "line": line}


def check_wget(run, f, url=None, timeout=None, ns=None, peers=None):
    url = url or f.url
    r = wget(run, url, timeout or WGET_TIMEOUT.get(f.name, 300))
    problem = None
    if "error" in r:
        problem = f"error {r['error']}"
    elif r["status"] != 200:
        problem = f"status {r['status']}"
    elif r["bytes"] != f.size:
        problem = f"{r['bytes']} bytes, want {f.size}"
    elif r["sha256"] != f.sha256:
        problem = f"sha256 {r['sha256']}, host has {f.sha256}"
    elif run.panicked:
        problem = "kernel panic"
    if problem:
        pytest.fail(f"wget {url}: {problem}\n" + describe(run, peers=peers, ns=ns))
    mbs = f.size / max(r["us"], 1)
    print(f"wget {url}: {f.size} bytes in {r['us']} us ({mbs:.2f} MB/s)")
    return r


def tcpecho(run, addr, port, size, timeout=120):
    line = monitor(run, f"tcpecho {addr} {port} {size}",
                   r"tcpecho (ok|error|mismatch)", timeout)
    return line


def tcplisten(run, port, timeout=30):
    line = monitor(run, f"tcplisten {port}",
                   rf"tcplisten {port} (ok|error)", timeout)
    return line


def ping_host_to_guest(ns, addr=GUEST_ADDR, count=10):
    r = ns.run(["ping", "-c", str(count), "-i", "0.05", "-W", "2", addr], timeout=60)
    return parse_ping(r.stdout), r.stdout


# -- one boot per interrupt mode, shared by the tests below ------------------

class Guest:
    def __init__(self, ns, peers, run, mode):
        self.ns, self.peers, self.run, self.mode = ns, peers, run, mode

    def describe(self, what=None):
        return describe(self.run, what, self.peers)


@pytest.fixture(scope="module", params=MODES)
def guest(request, tmp_path_factory):
    mode = request.param
    ns = NetNS()
    ns.__enter__()
    run = None
    try:
        try:
            peers = Peers(ns, tmp_path_factory.mktemp(f"tcp-{mode}")).start()
        except PeerError as e:
            pytest.fail(str(e))
        run = boot_guest(ns, f"tcp-{mode}",
                         f"{GUEST_IP_ARG} net.irq={mode} nameserver={HOST_ADDR}")
        yield Guest(ns, peers, run, mode)
    finally:
        if run is not None:
            stop(run)
        ns.close()


@pytest.mark.parametrize("name", ["1k.bin", "1m.bin", "16m.bin"])
def test_wget_file_by_name(guest, name):
    f = guest.peers.files[name]
    check_wget(guest.run, f, peers=guest.peers)


def test_wget_through_cname(guest):
    f = guest.peers.files["1k.bin"]
    check_wget(guest.run, f, url=f.url.replace("files.test", "alias.test"),
               peers=guest.peers)


def test_wget_missing_file_is_404(guest):
    url = f"http://files.test:8080/nosuch.bin"
    r = wget(guest.run, url, 60)
    assert r.get("status") == 404, f"{r['line']}\n" + guest.describe()


def test_tcpecho_1mib(guest):
    line = tcpecho(guest.run, HOST_ADDR, ECHO_PORT, MIB, timeout=180)
    m = re.search(r"tcpecho ok bytes (\d+) us (\d+)", line)
    assert m, f"{line}\n" + guest.describe()
    assert int(m.group(1)) == MIB, f"{line}\n" + guest.describe()
    print(f"tcpecho {MIB} bytes: {int(m.group(2))} us")
    assert not guest.run.panicked, guest.describe()


def test_host_exchanges_1mib_with_guest_listener(guest):
    run = guest.run
    line = tcplisten(run, LISTEN_PORT)
    assert line.endswith(f"tcplisten {LISTEN_PORT} ok"), f"{line}\n" + guest.describe()
    with run._cond:
        start = len(run.line_times)
    res, text = exchange(guest.ns, GUEST_ADDR, LISTEN_PORT, MIB, secs=180)
    assert res is not None, f"host client failed: {text}\n" + guest.describe()
    assert res["received"] == MIB and res["match"], \
        f"echo from the guest differs: {text}\n" + guest.describe()
    served = run.wait_for(rf"tcplisten {LISTEN_PORT} served \d+", timeout=60,
                          start=start)
    assert served, "no `served` line after the connection\n" + guest.describe()
    m = re.search(rf"tcplisten {LISTEN_PORT} served (\d+)(.*)", served)
    assert int(m.group(1)) == MIB and not m.group(2).strip(), served
    print(f"host<->guest 1 MiB both ways: {res['us']} us")
    assert not run.panicked, guest.describe()


def test_net_counters_after_transfers(guest):
    """After the transfers, the TCP counters exist and say connections were
    opened both ways."""
    from test_net import stats
    s = stats(guest.run)
    tcp = {k: v for k, v in s.items() if k.startswith("net.tcp_")}
    assert tcp, "no net tcp_* lines in `stats`\n" + guest.describe()
    print(" ".join(f"{k[4:]}={v}" for k, v in sorted(tcp.items()) if v))


# -- DHCP ------------------------------------------------------------------------

LEASE_RE = r"dhcp: lease (192\.0\.2\.\d+) gw (\S+) for (\d+) s"


@pytest.fixture(scope="module")
def dhcp_guest(tmp_path_factory):
    ns = NetNS()
    ns.__enter__()
    run = None
    try:
        try:
            peers = Peers(ns, tmp_path_factory.mktemp("tcp-dhcp"), dhcp=True).start()
        except PeerError as e:
            pytest.fail(str(e))
        run = boot_guest(ns, "tcp-dhcp", "ip=dhcp net.irq=msix", ready=LEASE_RE)
        yield Guest(ns, peers, run, "msix")
    finally:
        if run is not None:
            stop(run)
        ns.close()


def test_dhcp_lease_then_wget_and_ping(dhcp_guest):
    g = dhcp_guest
    addr, gw, _ = re.search(LEASE_RE, g.run.output).groups()
    assert addr == GUEST_ADDR and gw == HOST_ADDR, g.describe("wrong lease")
    # No nameserver= on the command line: the name is resolved through the
    # DNS server the lease named.
    check_wget(g.run, g.peers.files["1m.bin"], peers=g.peers)
    (tx, rx, _), out = ping_host_to_guest(g.ns, addr, 10)
    assert rx == tx == 10, out + g.describe()


def test_dhcp_guest_pings_host(dhcp_guest):
    g = dhcp_guest
    text = g.run.command(f"ping {HOST_ADDR} 5",
                         rf"ping {re.escape(HOST_ADDR)} (sent|error) .*", timeout=60)
    if text is None:
        pytest.fail("no answer to `ping`\n" + g.describe())
    m = re.findall(rf"ping {re.escape(HOST_ADDR)} sent (\d+) received (\d+)", text)
    assert m and m[-1] == ("5", "5"), text + "\n" + g.describe()


# -- faults ---------------------------------------------------------------------

FAULTS = {
    "loss5": NETEM_LOSS,
    "dup1": NETEM_DUPLICATE,
    "reorder25-delay20": NETEM_REORDER,
    "all": NETEM_ALL,
}


def test_tcpecho_survives_loss_both_ways(tmp_path):
    """5% loss in both directions: now the guest is a sender too, so its
    own retransmissions (fast retransmit, timeouts) carry 1 MiB through."""
    from test_net import stats
    with FaultNetNS(NETEM_LOSS, both=True, trace=True) as ns:
        try:
            peers = Peers(ns, tmp_path, dns=False, http=False).start()
        except PeerError as e:
            pytest.fail(str(e))
        run = boot_guest(ns, "tcp-fault-loss5-both", f"{GUEST_IP_ARG} net.irq=msix")
        try:
            line = tcpecho(run, HOST_ADDR, ECHO_PORT, MIB, timeout=FAULT_WGET_TIMEOUT)
            assert line.startswith("tcpecho ok bytes"), line + run.describe()
            s = stats(run)
            assert s.get("net.tcp_retransmits", 0) > 0, \
                f"no retransmission by the guest under loss: {s}"
            c = ns.relay_counts()
            assert c["to_host"]["lost"] > 0, f"the relay lost nothing to the host: {c}"
        finally:
            stop(run)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_16m_survives_faults(fault, tmp_path):
    f = data_files()["16m.bin"]
    with FaultNetNS(FAULTS[fault], trace=True) as ns:
        try:
            peers = Peers(ns, tmp_path).start()
        except PeerError as e:
            pytest.fail(str(e))
        run = boot_guest(ns, f"tcp-fault-{fault}",
                         f"{GUEST_IP_ARG} net.irq=msix nameserver={HOST_ADDR}")
        try:
            r = check_wget(run, f, timeout=FAULT_WGET_TIMEOUT, ns=ns, peers=peers)
            counts = ns.relay_counts()
            if counts:
                c = counts["to_guest"]
                print(f"{fault}: {c} in {r['us'] / 1e6:.1f} s")
                key = {"loss5": "lost", "dup1": "dup",
                       "reorder25-delay20": "delayed", "all": "lost"}[fault]
                assert c[key] > 0, f"the relay applied no {key}: {c}"
            else:
                print(ns.relay_text())
        finally:
            stop(run)
