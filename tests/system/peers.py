"""The host-side peers of the TCP tests and the network benchmark, started
inside a NetNS (tests/system/netns.py) and ended with it.

    with NetNS() as ns:
        peers = Peers(ns, tmp_dir, dhcp=True).start()   # dnsmasq, HTTP, echo
        peers.files["16m.bin"]      # TestFile(name, path, size, sha256, url)
        netem(ns, *NETEM_LOSS)      # tc netem on the tap (host -> guest)
        netem_clear(ns)

- dnsmasq (Debian's dnsmasq-base) on 192.0.2.1:53: files.test -> 192.0.2.1,
  alias.test CNAME files.test, --no-resolv, --local=/test/ (nothing is ever
  forwarded); with dhcp=True also DHCP for 192.0.2.0/24 that hands
  192.0.2.2 to the guest's MAC, with router and DNS server 192.0.2.1.
- `python3 -m http.server 8080 --bind 192.0.2.1` in a temporary directory
  holding 1k.bin, 1m.bin and 16m.bin: deterministic pseudo-random bytes,
  generated once into build/peers/ with their sha256.
- A TCP echo server on 192.0.2.1:7, thread per connection (ECHO_SERVER).

Every peer's output goes to a log file in the work directory (never to an
unread pipe, which would stall it once full).  All host tools run with
/usr/bin/python3 (Debian's), not the python3 first on PATH.
"""

import hashlib
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from netns import GUEST_ADDR, GUEST_MAC, HOST_ADDR, NetNS, delete_netns

ROOT = Path(__file__).resolve().parent.parent.parent
FILES_DIR = ROOT / "build" / "peers"
LOGS = ROOT / "build" / "logs"
PYTHON = "/usr/bin/python3"
DNSMASQ = "/usr/sbin/dnsmasq"
HTTP_PORT = 8080
ECHO_PORT = 7
FILE_SIZES = {"1k.bin": 1024, "1m.bin": 1 << 20, "16m.bin": 16 << 20}

# tc netem settings for the fault tests (applied to the tap's egress, that is
# to what the host sends the guest).
NETEM_LOSS = ("loss", "5%")
NETEM_DUPLICATE = ("duplicate", "1%")
NETEM_REORDER = ("delay", "20ms", "reorder", "25%")
NETEM_ALL = NETEM_LOSS + NETEM_DUPLICATE + NETEM_REORDER


@dataclass
class TestFile:
    __test__ = False      # not a pytest class
    name: str
    path: Path
    size: int
    sha256: str

    @property
    def url(self):
        return f"http://files.test:{HTTP_PORT}/{self.name}"

    def url_ip(self):
        return f"http://{HOST_ADDR}:{HTTP_PORT}/{self.name}"


def _generate(name, size):
    """Deterministic bytes: Mersenne Twister seeded with the file name."""
    return random.Random("peers/" + name).randbytes(size)


def data_files():
    """{name: TestFile}, generating build/peers/<name> (and SHA256SUMS) once;
    files of the wrong size or checksum are made again."""
    FILES_DIR.mkdir(parents=True, exist_ok=True)
    sums_path = FILES_DIR / "SHA256SUMS"
    sums = {}
    if sums_path.exists():
        for line in sums_path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2:
                sums[parts[1]] = parts[0]
    out, changed = {}, False
    for name, size in FILE_SIZES.items():
        path = FILES_DIR / name
        digest = sums.get(name)
        if not (path.exists() and path.stat().st_size == size and digest):
            data = _generate(name, size)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            digest = hashlib.sha256(data).hexdigest()
            changed = True
        out[name] = TestFile(name, path, size, digest)
    if changed:
        sums_path.write_text("".join(f"{f.sha256}  {n}\n" for n, f in out.items()))
    return out


def verify_files(files):
    """Recomputes the sha256 of each file (catches a stale SHA256SUMS)."""
    for f in files.values():
        h = hashlib.sha256(f.path.read_bytes()).hexdigest()
        if h != f.sha256:
            raise RuntimeError(f"{f.path}: sha256 {h}, SHA256SUMS says {f.sha256}")


ECHO_SERVER = r'''
import socket, sys, threading
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(64)
print("echo listening", addr, port, flush=True)

def serve(c, peer):
    n = 0
    c.settimeout(300)
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
            n += len(d)
    except OSError as e:
        print("echo", peer, "error", e, flush=True)
    finally:
        c.close()
    print("echo", peer, "served", n, flush=True)

while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
'''

# Waits (bounded) until something listens on addr:port inside the namespace.
WAIT_PORT = r'''
import socket, sys, time
addr, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + secs
while True:
    try:
        socket.create_connection((addr, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        if time.monotonic() > end:
            sys.exit(1)
        time.sleep(0.05)
'''


class HardTimeout:
    """Kills a qemu.Run's process group after `secs` (times
    QEMU_TIMEOUT_SCALE): interactive boots have no hard timeout of their own
    outside Run.wait(), so a guest that hangs mid-command would otherwise
    only be caught by each command's own limit.  The waiting command then
    sees QEMU gone; .fired says why."""

    def __init__(self, run, secs):
        self.run, self.fired = run, False
        self.secs = secs * float(os.environ.get("QEMU_TIMEOUT_SCALE", "1"))
        self.timer = threading.Timer(self.secs, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self):
        self.fired = True
        proc = self.run._proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cancel(self):
        self.timer.cancel()


class PeerError(RuntimeError):
    pass


class Peers:
    """dnsmasq, the HTTP server and the echo server in ns.  workdir: a
    directory for logs, the lease file and the served files (pytest's
    tmp_path, or a tempfile.mkdtemp() in the benchmarks)."""

    def __init__(self, ns, workdir, dhcp=False, dns=True, http=True, echo=True,
                 dnsmasq_args=()):
        self.ns = ns
        self.workdir = Path(workdir)
        self.dhcp, self.dns, self.http, self.echo = dhcp, dns, http, echo
        self.dnsmasq_args = list(dnsmasq_args)
        self.files = {}
        self.logs = {}
        self.procs = {}

    # -- starting ----------------------------------------------------------

    def _log(self, name):
        path = self.workdir / f"{name}.log"
        self.logs[name] = path
        return open(path, "wb")

    def log_text(self, name, n=30):
        path = self.logs.get(name)
        if not path or not path.exists():
            return f"({name}: no log)"
        lines = path.read_text(errors="replace").splitlines()
        return f"--- {name} log ({path}) ---\n" + "\n".join(lines[-n:])

    def describe(self):
        return "\n".join(self.log_text(n) for n in self.procs)

    def _popen(self, name, cmd, cwd=None):
        with self._log(name) as log:
            p = self.ns.popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, cwd=cwd)
        self.procs[name] = p
        return p

    def _wait_port(self, name, port, secs=10):
        r = self.ns.run([PYTHON, "-c", WAIT_PORT, HOST_ADDR, str(port), str(secs)],
                        timeout=secs + 10)
        if r.returncode != 0 or self.procs[name].poll() is not None:
            raise PeerError(f"{name} is not listening on {HOST_ADDR}:{port}\n"
                            + self.log_text(name))

    def start_dnsmasq(self):
        leases = self.workdir / "dnsmasq.leases"
        cmd = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts",
               "--conf-file=/dev/null", f"--interface={self.ns.tap}",
               "--bind-interfaces", f"--listen-address={HOST_ADDR}",
               f"--host-record=files.test,{HOST_ADDR}",
               "--cname=alias.test,files.test", "--local=/test/",
               f"--pid-file={self.workdir}/dnsmasq.pid", "--log-facility=-"]
        if self.dhcp:
            cmd += [f"--dhcp-range={GUEST_ADDR},{GUEST_ADDR},255.255.255.0,1h",
                    f"--dhcp-host={GUEST_MAC},{GUEST_ADDR}",
                    f"--dhcp-option=option:router,{HOST_ADDR}",
                    f"--dhcp-option=option:dns-server,{HOST_ADDR}",
                    f"--dhcp-leasefile={leases}"]
        cmd += self.dnsmasq_args
        p = self._popen("dnsmasq", cmd)
        # dnsmasq binds before it logs "started"; poll its log (bounded).
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if p.poll() is not None:
                raise PeerError("dnsmasq did not start\n" + self.log_text("dnsmasq"))
            if b"started, version" in self.logs["dnsmasq"].read_bytes():
                time.sleep(0.1)
                return p
            time.sleep(0.05)
        raise PeerError("dnsmasq did not say it started\n" + self.log_text("dnsmasq"))

    def start_http(self):
        self.files = data_files()
        www = self.workdir / "www"
        www.mkdir(exist_ok=True)
        for f in self.files.values():
            dst = www / f.name
            if not dst.exists():
                try:
                    os.link(f.path, dst)
                except OSError:
                    shutil.copy(f.path, dst)
        p = self._popen("http", [PYTHON, "-m", "http.server", str(HTTP_PORT),
                                 "--bind", HOST_ADDR, "--directory", str(www)])
        self._wait_port("http", HTTP_PORT)
        return p

    def start_echo(self):
        p = self._popen("echo", [PYTHON, "-u", "-c", ECHO_SERVER, HOST_ADDR,
                                 str(ECHO_PORT)])
        self._wait_port("echo", ECHO_PORT)
        return p

    def start(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.dns or self.dhcp:
            self.start_dnsmasq()
        if self.http:
            self.start_http()
        if self.echo:
            self.start_echo()
        return self

    def check_alive(self):
        """Raises PeerError naming any peer that has exited."""
        dead = [n for n, p in self.procs.items() if p.poll() is not None]
        if dead:
            raise PeerError("peer(s) exited: " + ", ".join(dead) + "\n"
                            + "\n".join(self.log_text(n) for n in dead))

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# -- tc netem ------------------------------------------------------------------

_netem_ok = None


def have_netem():
    """True if the host kernel has the netem qdisc (many container kernels
    are built without CONFIG_NET_SCH_NETEM)."""
    global _netem_ok
    if _netem_ok is None:
        probe = NetNS()
        with probe:
            r = probe.run(["tc", "qdisc", "add", "dev", probe.tap, "root",
                           "netem", "delay", "1ms"], timeout=10)
            _netem_ok = r.returncode == 0
    return _netem_ok


def netem(ns, *spec):
    """Replaces the tap's root qdisc with `netem <spec>` (host -> guest)."""
    r = ns.run(["tc", "qdisc", "replace", "dev", ns.tap, "root", "netem", *spec],
               timeout=10)
    if r.returncode != 0:
        raise PeerError(f"tc netem {' '.join(spec)} failed: {r.stderr.strip()}")
    return r


def netem_clear(ns):
    """Back to the default qdisc (no error if there was no netem)."""
    ns.run(["tc", "qdisc", "del", "dev", ns.tap, "root"], timeout=10)


def netem_show(ns):
    """`tc -s qdisc show dev <tap>`: what netem did (sent, dropped...)."""
    return ns.run(["tc", "-s", "qdisc", "show", "dev", ns.tap], timeout=10).stdout


def netem_args(spec):
    """A netem spec tuple as tools/impair.py options."""
    spec, out = list(spec), []
    names = {"loss": "--loss", "duplicate": "--duplicate", "delay": "--delay-ms",
             "reorder": "--reorder"}
    while spec:
        key, val = spec.pop(0), spec.pop(0)
        out += [names[key], val.rstrip("%").removesuffix("ms")]
    return out


IMPAIR = Path(__file__).resolve().parent / "tools" / "impair.py"


class FaultNetNS(NetNS):
    """A NetNS whose host -> guest direction drops, duplicates, delays or
    reorders frames as `tc netem <spec>` would.

    With netem in the host kernel it is exactly that: the plain NetNS and
    `tc qdisc replace dev tap0 root netem <spec>`.  Without it, QEMU gets
    its tap (qtap0) in a second, address-less namespace, and
    tools/impair.py relays frames between it and the host namespace's tap0
    (192.0.2.1), impairing them on the way.  Either way the peers run in
    the host namespace (self.name, ns.run, ns.popen) and QEMU is started
    with ns.wrap_qemu(cmd) and ns.qemu_nic_args()."""

    def __init__(self, spec, seed=1, use_netem=None, trace=None, both=False):
        """both=True impairs the guest -> host direction too; netem on the
        tap cannot, so that always uses the relay."""
        super().__init__()
        self.both = both
        if both:
            use_netem = False
        # Relay only: a file for one line per TCP frame (True: build/logs/
        # impair-<namespace>.trace).
        self.trace = LOGS / f"impair-{self.name}.trace" if trace is True else trace
        self.spec = tuple(spec)
        self.seed = seed
        self.use_netem = have_netem() if use_netem is None else use_netem
        self.wire = self.name + "-w"
        self.guest_tap = self.tap if self.use_netem else "qtap0"
        self.relay_log = None
        self.relay = None

    def __enter__(self):
        super().__enter__()
        try:
            if self.use_netem:
                netem(self, *self.spec)
                return self
            self._ip("netns", "add", self.wire)
            self._ip("-n", self.wire, "link", "set", "lo", "up")
            self._ip("-n", self.wire, "tuntap", "add", "dev", self.guest_tap,
                     "mode", "tap")
            self._ip("-n", self.wire, "link", "set", self.guest_tap, "up")
            LOGS.mkdir(parents=True, exist_ok=True)
            self.relay_log = LOGS / f"impair-{self.name}.log"
            with open(self.relay_log, "wb") as log:
                self.relay = self.popen([PYTHON, "-u", str(IMPAIR), "--host-tap", self.tap,
                            "--wire-ns", self.wire, "--guest-if", self.guest_tap,
                            "--seed", str(self.seed), *netem_args(self.spec),
                            *(["--both"] if self.both else []),
                            *(["--trace", str(self.trace)] if self.trace else [])],
                           stdout=log, stderr=subprocess.STDOUT)
            end = time.monotonic() + 10
            while b"impair: to_guest" not in self.relay_log.read_bytes():
                if time.monotonic() > end or self.relay.poll() is not None:
                    raise PeerError("impair.py did not start\n" + self.relay_text())
                time.sleep(0.05)
        except BaseException:
            self.close()
            raise
        return self

    def relay_text(self, n=5):
        if self.use_netem:
            return netem_show(self)
        if not self.relay_log or not self.relay_log.exists():
            return "(no relay log)"
        return "\n".join(self.relay_log.read_text(errors="replace").splitlines()[-n:])

    def relay_counts(self):
        """{"to_guest": {...}, "to_host": {...}} from the relay's last line
        (netem: None)."""
        if self.use_netem or not self.relay_log:
            return None
        relay = self.relay
        def count():
            return self.relay_log.read_text().count("impair: to_guest")
        n0 = count()
        if relay.poll() is None:
            relay.send_signal(signal.SIGUSR1)     # fresh counters, now
            end = time.monotonic() + 3
            while count() == n0 and time.monotonic() < end:
                time.sleep(0.05)
        lines = [l for l in self.relay_log.read_text().splitlines()
                 if l.startswith("impair: to_guest")]
        if not lines:
            return None
        words = lines[-1].split()[1:]
        out, cur = {}, None
        i = 0
        while i < len(words):
            if words[i] in ("to_guest", "to_host"):
                cur = out.setdefault(words[i], {})
                i += 1
            else:
                cur[words[i]] = int(words[i + 1])
                i += 2
        return out

    def wrap_qemu(self, cmd):
        if self.use_netem:
            return self.wrap(cmd)
        return ["ip", "netns", "exec", self.wire, *cmd]

    def qemu_nic_args(self, device_opts=""):
        saved, self.tap = self.tap, self.guest_tap
        try:
            return super().qemu_nic_args(device_opts)
        finally:
            self.tap = saved

    def close(self):
        if self.relay is not None and self.relay.poll() is None:
            self.relay_counts()         # final counters, trace flushed
        super().close()
        if not self.use_netem:
            delete_netns(self.wire)


def wrap_qemu(ns, cmd):
    """cmd run where QEMU belongs: ns.wrap_qemu for a FaultNetNS, else ns.wrap."""
    return getattr(ns, "wrap_qemu", ns.wrap)(cmd)


# -- a host-side TCP client against the guest --------------------------------

# Connects to addr:port, sends `size` bytes of a pattern from one thread while
# reading from the main one, then half-closes and reads to EOF.  Prints
# "sent N received M match yes|no first_diff K us T".  With stall > 0 the
# reader waits that long first and the receive buffer is rcvbuf bytes, so
# the host advertises a zero window to the guest for a while.
EXCHANGE = r'''
import socket, sys, threading, time
addr, port, size, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
stall, rcvbuf = float(sys.argv[5]), int(sys.argv[6])
data = bytes((i * 7 + (i >> 8) * 13) & 255 for i in range(size))
t0 = time.monotonic()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if rcvbuf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.settimeout(secs)
s.connect((addr, port))
err = []
def send():
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        err.append(repr(e))
th = threading.Thread(target=send, daemon=True)
th.start()
time.sleep(stall)
got = bytearray()
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError as e:
    err.append(repr(e))
th.join(secs)
s.close()
us = int((time.monotonic() - t0) * 1e6)
diff = next((i for i in range(min(len(got), size)) if got[i] != data[i]),
            -1 if len(got) == size else min(len(got), size))
print(f"sent {size} received {len(got)} match {'yes' if bytes(got) == data else 'no'} "
      f"first_diff {diff} us {us}" + (" errors " + ";".join(err) if err else ""), flush=True)
'''


def exchange(ns, addr, port, size, secs=120, stall=0, rcvbuf=0):
    """Runs EXCHANGE in ns; returns (dict of the figures or None, raw text)."""
    try:
        r = ns.run([PYTHON, "-c", EXCHANGE, addr, str(port), str(size), str(secs),
                    str(stall), str(rcvbuf)], timeout=secs * 2 + stall + 30)
    except subprocess.TimeoutExpired:
        return None, f"host client still running after {secs * 2 + stall + 30} s (killed)"
    text = (r.stdout + r.stderr).strip()
    parts = r.stdout.split()
    if len(parts) >= 10 and parts[0] == "sent":
        return {"sent": int(parts[1]), "received": int(parts[3]),
                "match": parts[5] == "yes", "first_diff": int(parts[7]),
                "us": int(parts[9])}, text
    return None, text
