"""Boot the kernel in QEMU and read what it prints on the serial console.

Shared by the system tests (tests/system), the benchmarks (tests/bench) and
tests/run_all.py.  Standard library only.

    from qemu import boot
    run = boot("ktest-all", cmdline="ktest=all")
    run.status        # N from "reboot: power off, status N", None if absent
    run.ktests        # {"suite.name": (passed, reason)}
    run.describe()    # what happened, plus the log tail: for failure messages

Every boot has a hard timeout.  On timeout QEMU's whole process group is
killed and the run is marked timed_out (a hang).  The serial output is
streamed to build/logs/<name>.log while the guest runs, so a hung boot can be
inspected while it is still hanging.  QEMU processes never outlive the
Python process that started them (atexit handler + PR_SET_PDEATHSIG).

Environment: QEMU_TIMEOUT_SCALE=<factor> stretches every hard timeout;
KERNEL_BIN=<image> boots another image and skips `make`; KERNEL_NO_BUILD=1
skips `make`; QEMU=<binary>.
"""

import atexit
import ctypes
import os
import re
import shlex
import signal
import statistics
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
KERNEL = Path(os.environ.get("KERNEL_BIN", BUILD / "kernel.bin"))
LOG_DIR = BUILD / "logs"
FIXTURES = ROOT / "tests" / "system" / "fixtures"

QEMU = os.environ.get("QEMU", "qemu-system-aarch64")
MACHINE = "virt,gic-version=2"
DEFAULT_CPU = "cortex-a57"
DEFAULT_MEM = "512M"
# Hard timeouts are hang detectors, not performance limits: a boot that
# normally takes a second gets a minute.  QEMU_TIMEOUT_SCALE stretches all of
# them on a very slow or very busy machine.
DEFAULT_TIMEOUT = 60.0
TIMEOUT_SCALE = float(os.environ.get("QEMU_TIMEOUT_SCALE", "1"))
# After the power-off marker QEMU should exit on its own (PSCI SYSTEM_OFF).
EXIT_GRACE = 15.0

# Where the DTB test bootloader puts things.  QEMU places its own DTB at the
# start of RAM (0x40000000, 1 MiB) when there is no -kernel, so the stub goes
# right after it.  The kernel needs a 2 MiB-aligned load address.
STUB_ADDR = 0x40100000
KERNEL_ADDR = 0x40200000
DTB_ADDR = 0x48000000

# ---------------------------------------------------------------------------
# Parsing the kernel's output (pure functions, usable on any text).

TIMESTAMP_RE = re.compile(r"^\[\s*(\d+)\.(\d+)\]")
KTEST_RE = re.compile(r"KTEST (PASS|FAIL) ([\w.\-]+)(?::\s*(.*?))?\s*$")
KTEST_LIST_RE = re.compile(r"KTEST LIST ([\w.\-]+)(?:\s+\[(\w+)\])?")
SUMMARY_RE = re.compile(r"ktest: (\d+) passed, (\d+) failed")
NO_MATCH_RE = re.compile(r"ktest: no test matches '([^']*)'")
MARKER_RE = re.compile(r"reboot: power off, status (-?\d+)")
PANIC_RE = re.compile(r"KERNEL PANIC")
READY_RE = re.compile(r"kernel ready")
READY_US_RE = re.compile(r"kernel ready \((\d+) us\)")


def split_lines(text):
    """Lines of serial output without CR/LF."""
    return text.replace("\r", "").split("\n")


def parse_timestamp(line):
    """Seconds from a "[    0.012345] ..." prefix, or None."""
    m = TIMESTAMP_RE.match(line.replace("\r", ""))
    if not m:
        return None
    whole, frac = m.groups()
    return int(whole) + int(frac) / 10 ** len(frac)


def parse_ktests(text):
    """{"suite.name": (passed, reason)} in report order.  A test reported
    twice with different outcomes counts as failed."""
    results = {}
    for line in split_lines(text):
        m = KTEST_RE.search(line)
        if not m:
            continue
        verdict, name, reason = m.groups()
        ok = verdict == "PASS"
        if name in results and results[name][0] != ok:
            results[name] = (False, "reported both PASS and FAIL")
        elif name not in results:
            results[name] = (ok, reason or ("" if ok else "(no reason given)"))
    return results


def parse_list_kinds(text):
    """{"suite.name": kind} from "KTEST LIST suite.name [kind]" lines, in
    order.  kind is "" for self-contained tests (the ones ktest=all runs),
    else the tag: "device" (needs QEMU devices or a peer), "crash"."""
    kinds = {}
    for line in split_lines(text):
        m = KTEST_LIST_RE.search(line)
        if m and m.group(1) not in kinds:
            kinds[m.group(1)] = m.group(2) or ""
    return kinds


def parse_list(text):
    """Test names from "KTEST LIST" lines, in order, no duplicates."""
    return list(parse_list_kinds(text))


def self_contained(kinds):
    """The names ktest=all runs: untagged, and not in the "panic" suite."""
    return [n for n, k in kinds.items() if not k and not n.startswith("panic.")]


def parse_summary(text):
    """(passed, failed) from the last "ktest: N passed, N failed", or None."""
    found = SUMMARY_RE.findall(text)
    if not found:
        return None
    return int(found[-1][0]), int(found[-1][1])


def parse_stats(text):
    """The kernel monitor's `stats` answer as a dict: "key value" lines as
    key, "irq N name count" as "irq:name", "dev key value" as "dev.key"."""
    out = {}
    for line in split_lines(text.split("kmon: stats begin", 1)[-1]):
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
        elif len(parts) == 4 and parts[0] == "irq" and parts[3].isdigit():
            out[f"irq:{parts[2]}"] = int(parts[3])
        elif len(parts) == 3 and parts[2].isdigit():
            out[f"{parts[0]}.{parts[1]}"] = int(parts[2])
    return out


def parse_status(text):
    """N from the last "reboot: power off, status N", or None."""
    found = MARKER_RE.findall(text)
    return int(found[-1]) if found else None


def panic_text(text):
    """Everything from the first KERNEL PANIC line on ("" if none)."""
    lines = split_lines(text)
    for i, line in enumerate(lines):
        if PANIC_RE.search(line):
            return "\n".join(lines[i:])
    return ""


def tail(text, n=40):
    lines = split_lines(text.rstrip("\n"))
    return "\n".join(lines[-n:])


# ---------------------------------------------------------------------------
# Running QEMU.

_live = set()
_live_lock = threading.Lock()


def _kill_group(proc):
    """SIGTERM then SIGKILL QEMU's process group; reap it."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 3), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@atexit.register
def _kill_all():
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill_group(proc)


try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _child_setup():
    # Die with the thread that started us (PR_SET_PDEATHSIG = 1).  Boots are
    # started and waited for by the same thread, so this only fires when the
    # harness itself dies without running its atexit handlers.
    if _prctl is not None:
        _prctl(1, signal.SIGKILL, 0, 0, 0)


def qemu_command(cmdline="", cpu=DEFAULT_CPU, mem=DEFAULT_MEM, kernel=KERNEL,
                 extra_args=()):
    """The QEMU command `make run` uses; kernel=None leaves out -kernel and
    -append (for boots through the DTB test bootloader)."""
    cmd = [QEMU, "-machine", MACHINE, "-cpu", cpu, "-smp", "1", "-m", mem,
           "-nographic", "-no-reboot", "-net", "none"]
    if kernel is not None:
        cmd += ["-kernel", str(kernel), "-append", cmdline]
    return cmd + [str(a) for a in extra_args]


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("_") or "boot"


class Run:
    """One QEMU boot.  start() then wait(), or boot() for both.

    stop_on: a regex; when a console line matches it, QEMU is killed and the
    run counts as stopped (not a hang).  For boots that idle forever, such as
    a boot without ktest= (stop at "kernel ready").

    interactive=True gives QEMU a stdin pipe, for command(); such a boot is
    usually driven with start(), wait_for(), command() and ended with stop().
    The hard timeout only applies inside wait().
    cmd: a complete command to run instead of qemu_command(...) (for example
    one wrapped in `ip netns exec`).
    """

    def __init__(self, name, cmdline="", cpu=DEFAULT_CPU, mem=DEFAULT_MEM,
                 kernel=KERNEL, extra_args=(), timeout=DEFAULT_TIMEOUT,
                 stop_on=None, cmd=None, interactive=False):
        self.name = safe_name(name)
        self.cmdline = cmdline
        self.cpu = cpu
        self.cmd = cmd or qemu_command(cmdline, cpu, mem, kernel, extra_args)
        self.timeout = timeout * TIMEOUT_SCALE
        self.stop_re = re.compile(stop_on) if isinstance(stop_on, str) else stop_on
        self.log_path = LOG_DIR / (self.name + ".log")
        self.interactive = interactive

        self.stderr = ""          # QEMU's own messages
        self.returncode = None    # QEMU's exit code (None if killed by us)
        self.timed_out = False    # hard timeout hit: the guest hung
        self.stopped = False      # killed after stop_on matched
        self.no_exit = False      # marker printed but QEMU did not exit
        self.elapsed = None       # host seconds from start to the end
        self.first_byte_time = None   # host seconds to the first console byte
        self.line_times = []      # [(host seconds, line)] for complete lines
        self.start_error = None

        self._chunks = []
        self._partial = b""
        self._proc = None
        self._final_output = None
        self._finished = False
        self._cond = threading.Condition()
        self._event = threading.Event()
        self._stop_time = None
        self._marker_time = None
        self._eof = False

    # -- lifecycle -------------------------------------------------------

    def start(self):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self._log.write(("### " + shlex.join(self.cmd) + "\n").encode())
        self._log.flush()
        self._t0 = time.monotonic()
        try:
            self._proc = subprocess.Popen(
                self.cmd, cwd=ROOT,
                stdin=subprocess.PIPE if self.interactive else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True, preexec_fn=_child_setup)
        except OSError as e:
            self.start_error = f"cannot start {self.cmd[0]}: {e}"
            self._log.write(f"### {self.start_error}\n".encode())
            self._log.close()
            return self
        with _live_lock:
            _live.add(self._proc)
        self._out_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self._err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._out_thread.start()
        self._err_thread.start()
        return self

    def wait(self):
        """Wait for QEMU to end (hard timeout from start()), collect results."""
        if self._proc is None or self._finished:
            return self
        deadline = self._t0 + self.timeout
        try:
            while True:
                if self._proc.poll() is not None and self._eof:
                    break
                now = time.monotonic()
                if self._stop_time is not None:
                    self.stopped = True
                    break
                if (self._marker_time is not None
                        and now > self._marker_time + EXIT_GRACE
                        and self._proc.poll() is None):
                    self.no_exit = True
                    break
                if now > deadline:
                    self.timed_out = self._marker_time is None
                    self.no_exit = self._marker_time is not None
                    break
                self._event.wait(0.05)
                self._event.clear()
        finally:
            _kill_group(self._proc)
            with _live_lock:
                _live.discard(self._proc)
            if self._proc.stdin is not None:
                try:
                    self._proc.stdin.close()
                except OSError:
                    pass
        self._out_thread.join(10)
        self._err_thread.join(10)
        self.elapsed = time.monotonic() - self._t0
        rc = self._proc.returncode
        self.returncode = rc if not (self.stopped or self.timed_out or self.no_exit) else None
        self._final_output = self._decode()
        self._finished = True
        trailer = [f"### end: {self.outcome()}, qemu exit code {rc}, "
                   f"{self.elapsed:.2f} s"]
        if self.stderr.strip():
            trailer.insert(0, "### qemu stderr:\n" + self.stderr.rstrip())
        self._log.write(("\n".join(trailer) + "\n").encode())
        self._log.close()
        return self

    def _read_stdout(self):
        fd = self._proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            now = time.monotonic() - self._t0
            if not data:
                break
            if self.first_byte_time is None:
                self.first_byte_time = now
            with self._cond:
                self._chunks.append(data)
            self._log.write(data)
            self._log.flush()
            self._partial += data
            *lines, self._partial = self._partial.split(b"\n")
            new = [(now, raw.decode("utf-8", "replace").replace("\r", ""))
                   for raw in lines]
            with self._cond:
                self.line_times.extend(new)
                self._cond.notify_all()
            for _, line in new:
                if self.stop_re is not None and self._stop_time is None \
                        and self.stop_re.search(line):
                    self._stop_time = now
                    self._event.set()
                if self._marker_time is None and MARKER_RE.search(line):
                    self._marker_time = time.monotonic()
                    self._event.set()
        with self._cond:
            if self._partial:
                line = self._partial.decode("utf-8", "replace").replace("\r", "")
                self.line_times.append((time.monotonic() - self._t0, line))
            self._eof = True
            self._cond.notify_all()
        self._event.set()

    def _read_stderr(self):
        data = self._proc.stderr.read()
        self.stderr = data.decode("utf-8", "replace")

    # -- driving a running boot -------------------------------------------

    def wait_for(self, regex, timeout=60.0, start=0):
        """Wait until a complete console line (index >= start) matches regex.
        Returns the matching line, or None on timeout or if QEMU ended."""
        rx = re.compile(regex) if isinstance(regex, str) else regex
        end = time.monotonic() + timeout * TIMEOUT_SCALE
        i = start
        with self._cond:
            while True:
                while i < len(self.line_times):
                    if rx.search(self.line_times[i][1]):
                        return self.line_times[i][1]
                    i += 1
                left = end - time.monotonic()
                if self._eof or self._proc is None or left <= 0:
                    return None
                self._cond.wait(min(left, 0.5))

    def send(self, text):
        """Type text on the serial console (interactive boots only)."""
        if not self.interactive:
            raise RuntimeError("send() needs Run(..., interactive=True)")
        self._proc.stdin.write(text.encode())
        self._proc.stdin.flush()

    def command(self, text, until, timeout=30.0):
        """Send a line and wait for a console line matching `until`.  Returns
        the console lines printed from the command on (joined with
        newlines), or None if `until` did not appear in time."""
        with self._cond:
            start = len(self.line_times)
        try:
            self.send(text + "\r")
        except (BrokenPipeError, OSError):
            return None
        if self.wait_for(until, timeout, start) is None:
            return None
        with self._cond:
            return "\n".join(line for _, line in self.line_times[start:])

    def stop(self):
        """Kill QEMU now (if still running) and collect results."""
        if self._proc is not None and not self._finished:
            if self._proc.poll() is None and self._stop_time is None:
                self._stop_time = time.monotonic() - self._t0
            self._event.set()
            self.wait()
        return self

    # -- results ---------------------------------------------------------

    def _decode(self):
        with self._cond:
            data = b"".join(self._chunks)
        return data.decode("utf-8", "replace").replace("\r", "")

    @property
    def output(self):
        """Serial output so far (CR removed)."""
        if self._final_output is not None:
            return self._final_output
        return self._decode()

    @output.setter
    def output(self, text):
        self._final_output = text

    @property
    def lines(self):
        return split_lines(self.output)

    @property
    def status(self):
        return parse_status(self.output)

    @property
    def panicked(self):
        return bool(PANIC_RE.search(self.output))

    @property
    def panic_text(self):
        return panic_text(self.output)

    @property
    def ktests(self):
        return parse_ktests(self.output)

    @property
    def listed(self):
        return parse_list(self.output)

    @property
    def list_kinds(self):
        return parse_list_kinds(self.output)

    @property
    def self_contained(self):
        """Listed tests that ktest=all runs."""
        return self_contained(self.list_kinds)

    @property
    def summary(self):
        return parse_summary(self.output)

    @property
    def no_match(self):
        """The pattern from "ktest: no test matches '<pattern>'", or None."""
        m = NO_MATCH_RE.search(self.output)
        return m.group(1) if m else None

    def line_time(self, regex):
        """(host seconds, line) of the first complete line matching regex."""
        rx = re.compile(regex) if isinstance(regex, str) else regex
        for t, line in self.line_times:
            if rx.search(line):
                return t, line
        return None

    def outcome(self):
        """One word for what happened to the boot as a whole."""
        if self.start_error:
            return "not started"
        if self.timed_out:
            return "hang (timeout)"
        if self.no_exit:
            return "QEMU did not exit after the power-off marker"
        if self.stopped:
            return "stopped by the harness"
        if self.panicked:
            return f"panic, status {self.status}"
        if self.status is None:
            return "no power-off marker"
        return f"power off, status {self.status}"

    def ktest_verdict(self):
        """What a ktest= boot means, as one of:
        "pass"      summary present, N > 0 passed, 0 failed, status 0
        "no-tests"  the kernel said no test matches (or ran zero tests)
        "fail"      some test failed, or the summary does not add up
        "panic"     KERNEL PANIC
        "hang"      hard timeout
        "crash"     QEMU ended without the power-off marker
        Zero tests run is never a pass."""
        if self.timed_out or self.no_exit:
            return "hang"
        if self.panicked:
            return "panic"
        if self.status is None:
            return "crash"
        summary = self.summary
        if self.no_match is not None or (summary is not None and sum(summary) == 0):
            return "no-tests"
        if summary is None:
            return "fail"
        passed, failed = summary
        results = self.ktests
        n_pass = sum(1 for ok, _ in results.values() if ok)
        if failed or self.status != 0 or n_pass != passed or len(results) != passed:
            return "fail"
        return "pass"

    def describe(self, what=None, n=40):
        """A failure message: what, how the boot ended, the command, the log
        file and the last n lines of console output."""
        head = [what] if what else []
        head.append(f"boot '{self.name}': {self.outcome()}"
                    + (f" after {self.elapsed:.1f} s" if self.elapsed else "")
                    + (f" (hard timeout {self.timeout:.0f} s)" if self.timed_out else ""))
        if self.start_error:
            head.append(self.start_error)
        head.append("command: " + shlex.join(self.cmd))
        head.append(f"log: {self.log_path}")
        if self.stderr.strip():
            head.append("qemu stderr:\n" + tail(self.stderr, 10))
        head.append(f"--- last {n} console lines ---")
        head.append(tail(self.output, n) if self.output.strip() else "(no console output)")
        head.append("--- end ---")
        return "\n".join(head)


def boot(name, cmdline="", **kwargs):
    """Start a boot and wait for it to end.  See Run for the arguments."""
    return Run(name, cmdline, **kwargs).start().wait()


# ---------------------------------------------------------------------------
# Building.

_kernel_build = None


def ensure_kernel():
    """Run `make all` once per process (a no-op when up to date).  Returns
    (ok, message).  KERNEL_NO_BUILD=1, or KERNEL_BIN=<image> (boot that
    image instead of build/kernel.bin), skips make and only checks the file."""
    global _kernel_build
    if _kernel_build is None:
        if os.environ.get("KERNEL_NO_BUILD") or os.environ.get("KERNEL_BIN"):
            ok = KERNEL.is_file()
            _kernel_build = (ok, "" if ok else f"{KERNEL} does not exist")
        else:
            try:
                p = subprocess.run(["make", "-s", "all"], cwd=ROOT, text=True,
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=900)
                ok = p.returncode == 0 and KERNEL.is_file()
                msg = p.stdout
            except subprocess.TimeoutExpired as e:
                ok, msg = False, f"make timed out\n{e.output or ''}"
            _kernel_build = (ok, "" if ok else "`make all` failed:\n" + tail(msg, 60))
    return _kernel_build


def run_tool(cmd, what, **kwargs):
    """Run a host tool; raise RuntimeError with its output if it fails."""
    p = subprocess.run([str(c) for c in cmd], cwd=kwargs.pop("cwd", ROOT),
                       text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120, **kwargs)
    if p.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {p.returncode}): "
                           f"{shlex.join(str(c) for c in cmd)}\n{p.stdout}")
    return p.stdout


def build_stub(out_dir, dtb_addr, kernel_addr=KERNEL_ADDR, stub_addr=STUB_ADDR):
    """Assemble the DTB test bootloader (fixtures/dtbstub.S): x0 = dtb_addr,
    x1..x3 = 0, jump to kernel_addr.  Returns the path of the raw binary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = out_dir / f"dtbstub-{dtb_addr:x}"
    obj, elf, binary = (base.with_suffix(s) for s in (".o", ".elf", ".bin"))
    run_tool(["clang", "--target=aarch64-none-elf", "-c",
              f"-DDTB_ADDR={dtb_addr:#x}", f"-DKERNEL_ADDR={kernel_addr:#x}",
              FIXTURES / "dtbstub.S", "-o", obj], "assembling the DTB stub")
    run_tool(["ld.lld", "-nostdlib", "-static", "-e", "_start",
              f"-Ttext={stub_addr:#x}", obj, "-o", elf], "linking the DTB stub")
    run_tool(["llvm-objcopy", "-O", "binary", elf, binary], "objcopy of the DTB stub")
    return binary


def stub_boot_args(stub_bin, dtb=None, kernel=KERNEL, dtb_addr=DTB_ADDR):
    """QEMU arguments that boot the kernel through the stub instead of
    -kernel, so QEMU does not look at (or fix up) the DTB we hand over."""
    args = ["-device", f"loader,file={stub_bin},addr={STUB_ADDR:#x},cpu-num=0",
            "-device", f"loader,file={kernel},addr={KERNEL_ADDR:#x}"]
    if dtb is not None:
        args += ["-device", f"loader,file={dtb},addr={dtb_addr:#x}"]
    return args


def dump_dtb(path, cpu=DEFAULT_CPU, mem=DEFAULT_MEM):
    """Write the DTB QEMU generates for our machine to path."""
    run_tool([QEMU, "-machine", f"{MACHINE},dumpdtb={path}", "-cpu", cpu,
              "-smp", "1", "-m", mem, "-nographic", "-net", "none"],
             "dumping the QEMU DTB")
    return Path(path)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
