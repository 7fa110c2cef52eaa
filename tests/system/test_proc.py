"""User processes end to end (issue 5): the kernel boots the initramfs
(build/initramfs.cpio, made by `make` from user/), pid 1 is user/init and
runs the program given after `--` on the command line, then powers off.

- the self-check suite (/bin/selfcheck runs every /bin/tests/* program):
  one pytest case per expected PASS line, and the summary
  "selfcheck: N passed, 0 failed"
- busybox: `sh -c 'echo ok; ls /; exit 3'` and rdinit=/bin/sh with `--`
  arguments
- the headline properties: no leaks (/bin/leak: 1000 fork+exec+exit+wait
  cycles, MemFree and Slab back to baseline) and no busy loops (idle at the
  busybox shell, the QEMU process uses < 5% of a host core over 10 s)
- bad rdinit= paths: a clear message, no hang, no crash

No network: QEMU runs with -net none, as every boot in qemu.py.
"""

import os
import re
import time

import pytest

import qemu

INITRD = qemu.BUILD / "initramfs.cpio"
SELFCHECK_TIMEOUT = 900
BOOT_TIMEOUT = 120
IDLE_SECONDS = 10
IDLE_MAX_PERCENT = 5.0

# Every check the test programs report; a name missing from the output is
# a failure (a test that silently stopped running), like a FAIL line.
EXPECTED = """
    badarg.bad_fds_ebadf badarg.dup3_negative badarg.getcwd_huge_len
    badarg.getrandom_huge_len badarg.path_too_long badarg.read_huge_len
    badarg.sigsetsize badarg.write_huge_len badarg.writev_huge_iovcnt
    badarg.writev_huge_len
    busybox.arith_loop busybox.cat_head busybox.command_subst busybox.dmesg busybox.echo
    busybox.exit_status busybox.kill_self busybox.ls_root busybox.pipeline busybox.ps
    busybox.sleep busybox.true_false busybox.uname
    cow.bss cow.child_sees_own cow.data cow.exec_file_pages cow.heap cow.mmap_private
    cow.mmap_shared_seen_by_child cow.mmap_shared_seen_by_parent
    cow.parent_after_child cow.repeated_forks cow.setup cow.sole_owner_no_copy
    cow.stack
    efault.chdir efault.clock_getres efault.clock_gettime efault.clock_nanosleep
    efault.execve_argv efault.execve_path efault.faccessat efault.fstat_buf
    efault.getcwd efault.getdents64 efault.getrandom efault.gettimeofday
    efault.ioctl_tcgets efault.ioctl_tiocgwinsz efault.mkdirat efault.nanosleep
    efault.newfstatat_buf efault.newfstatat_path efault.openat_path efault.pipe2
    efault.ppoll_fds efault.ppoll_timeout efault.pread64 efault.prlimit64_new
    efault.prlimit64_old efault.read efault.readv_iov efault.renameat_old
    efault.rt_sigaction_act efault.rt_sigaction_old efault.rt_sigpending
    efault.rt_sigprocmask_old efault.rt_sigprocmask_set efault.rt_sigsuspend
    efault.sigaltstack_new efault.sigaltstack_old efault.survived efault.sysinfo
    efault.uname efault.unlinkat efault.wait4_rusage efault.wait4_status
    efault.waitid_info efault.write efault.writev_iov
    exec.after_big_image exec.argv_exit_status exec.caller_survives_enoexec
    exec.eacces_directory exec.eacces_not_executable exec.enoent
    exec.enoexec_huge_phnum exec.enoexec_not_elf exec.enoexec_truncated_header
    exec.enoexec_wrong_machine exec.entry_zero exec.envp_argv
    exec.kernel_space_segment exec.overlapping_segments exec.posix_spawn
    exec.posix_spawn_enoent exec.script_missing_interpreter exec.shebang_script
    exec.static_pie exec.truncated_segment exec.vfork exec.vfork_clone_vm
    fault.bad_sp_signal_segv fault.jump_kernel_segv fault.jump_unmapped_segv
    fault.kernel_read_segv fault.null_read_segv fault.null_write_segv
    fault.siginfo_accerr fault.siginfo_maperr fault.stack_overflow_segv
    fault.survivor_forks fault.text_write_segv fault.unaligned_sp_access
    fault.unaligned_sp_signal fault.undefined_insn_sigill
    fd.child_close_private fd.cloexec_at_exec fd.cloexec_cleared fd.cloexec_flags
    fd.dup3_fdupfd_numbers fd.dup3_same_einval fd.dup_lowest fd.epipe fd.getfl
    fd.getfl_nonblock fd.inherited_by_fork fd.nonblock_pipe fd.pipe
    fd.pipe_eof_after_writers_close fd.shared_offset fd.sigpipe
    fork.pids
    forkbomb.bomb_exits forkbomb.eagain_at_limit forkbomb.fork_works_after
    forkbomb.same_limit_again
    fuzz.children_ended fuzz.system_usable_after
    mem.brk_grow mem.brk_huge_refused mem.brk_regrow_zeroed mem.brk_shrink
    mem.brk_shrunk_page_faults mem.brk_usable mem.madvise mem.malloc_8m
    mem.map_fixed mem.mmap_anon mem.mmap_bad_fd mem.mmap_file_private mem.mmap_huge
    mem.mmap_kernel_fixed mem.mmap_munmap_500 mem.mmap_unaligned_fixed
    mem.mmap_zero_len mem.mmap_zeroed mem.mprotect_none mem.mprotect_ro
    mem.mprotect_ro_readable mem.mprotect_rw_again mem.mprotect_unaligned
    mem.mprotect_write_faults mem.munmap_middle mem.munmap_neighbours_kept
    mem.munmap_unaligned mem.munmapped_faults mem.prot_none_read_faults
    oom.child_enomem_or_killed oom.fork_after oom.limit_reached oom.memory_returned
    orphan.reaped_by_init orphan.reparented_to_init
    procfs.children_times procfs.cmdline procfs.cputime_clock
    procfs.init_comm procfs.reaped_gone procfs.self_link procfs.self_stat
    procfs.status procfs.wait4_rusage procfs.zombie_cmdline_empty
    procfs.zombie_state
    pie.argv pie.auxv_execfn pie.auxv_ids pie.auxv_pagesz pie.auxv_phdr_entry
    pie.auxv_phent_phnum pie.auxv_random pie.relocated_data pie.runs pie.tls
    signal.alarm signal.alarm_cancel signal.itimer_periodic
    signal.blocked_pending signal.default_terminates signal.delivered_on_unblock
    signal.eintr signal.handler_inherited signal.handler_runs signal.ignored
    signal.kill_bad_signal signal.kill_no_such_pid signal.kill_sig0
    signal.nanosleep_eintr signal.pending_cleared signal.ppoll_sigmask signal.sa_nodefer
    signal.sa_resethand signal.sa_restart signal.sigaltstack
    signal.sigaltstack_query signal.sigaltstack_too_small signal.sigchld
    signal.siginfo_from_child signal.siginfo_kill signal.siginfo_tgkill
    signal.sigkill_unblockable signal.sigkill_uncatchable signal.sigsuspend
    socket.accept4_flags socket.accept_nonblock_eagain socket.bad_type
    socket.eafnosupport socket.ebadf socket.efault_addr socket.efault_buf
    socket.efault_sendbuf socket.enoprotoopt socket.enotsock socket.is_file
    socket.nonblock_eagain socket.rcvtimeo socket.recv_eintr
    socket.setsockopt_efault socket.short_addrlen socket.so_type
    socket.tcp_listen socket.udp_bind socket.udp_too_big
    sigregs.async_delivered sigregs.async_spin sigregs.sync_kill
    wait.after_wnohang wait.any_pid wait.bad_options wait.echild
    wait.echild_not_child wait.echild_wnohang wait.first_still_zombie wait.fork
    wait.many wait.other_pgrp wait.own_pgrp wait.pgid_unchanged wait.signaled
    wait.specific_pid wait.status_8bit wait.wnohang_running
    wait.zombie_holds_status wait.untraced_stopped wait.stop_reported_once
    wait.exit_after_continue wait.kill_stopped
    waitid.echild waitid.killed waitid.p_all waitid.p_pid_wnowait
    waitid.wnohang_running waitid.continued waitid.stopped_nowait
""".split()

INIT_EXIT_RE = re.compile(r"init: (\S+) (exited with status|killed by signal) (\d+)")
RESULT_RE = re.compile(r"^(PASS|FAIL) ([\w.\-]+)(?::\s*(.*))?$")
SELFCHECK_RE = re.compile(r"selfcheck: (\d+) passed, (\d+) failed")


def initrd_args():
    return ["-initrd", str(INITRD)]


INIT_START_TIMEOUT = 60


def proc_boot(name, args, timeout=BOOT_TIMEOUT, rdinit="/init", **kw):
    """Boots with pid 1 = rdinit and `-- args` for it.  With user/init as
    pid 1, a boot that does not print "init: started" within a minute is
    stopped there (a kernel without user processes idles forever) instead
    of running into the long hard timeout."""
    cmdline = f"rdinit={rdinit}" + (f" -- {args}" if args else "")
    run = qemu.Run(name, cmdline, extra_args=initrd_args(), timeout=timeout, **kw).start()
    if rdinit == "/init" and run.wait_for(r"init: started", timeout=INIT_START_TIMEOUT) is None:
        return run.stop()
    return run.wait()


def init_exit(run):
    """(program, "exited with status"|"killed by signal", N) from init's
    last words, or None."""
    found = INIT_EXIT_RE.findall(run.output)
    return found[-1] if found else None


def results(run):
    """{name: (passed, reason)} from PASS/FAIL lines; reported twice with
    different verdicts counts as failed."""
    out = {}
    for line in run.lines:
        m = RESULT_RE.match(line.strip())
        if not m:
            continue
        verdict, name, reason = m.groups()
        ok = verdict == "PASS"
        if name in out and out[name][0] != ok:
            out[name] = (False, "reported both PASS and FAIL")
        elif name not in out:
            out[name] = (ok, reason or "")
    return out


def expect_clean_end(run, what):
    assert not run.timed_out, run.describe(f"{what}: hang")
    assert not run.panicked, run.describe(f"{what}: kernel panic")


@pytest.fixture(scope="session")
def initramfs(kernel):
    if not INITRD.is_file():
        pytest.fail(f"{INITRD} was not built by `make all`", pytrace=False)
    return INITRD


@pytest.fixture(scope="session")
def selfcheck(initramfs):
    return proc_boot("proc-selfcheck", "/bin/selfcheck", timeout=SELFCHECK_TIMEOUT)


def test_selfcheck_summary(selfcheck):
    run = selfcheck
    expect_clean_end(run, "selfcheck")
    found = SELFCHECK_RE.findall(run.output)
    assert found, run.describe("no 'selfcheck: N passed, N failed' line")
    passed, failed = map(int, found[-1])
    fails = [l for l in run.lines if l.startswith("FAIL ")]
    assert failed == 0 and passed > 0, run.describe(
        f"selfcheck: {passed} passed, {failed} failed:\n" + "\n".join(fails[:40]))
    assert init_exit(run) == ("/bin/selfcheck", "exited with status", "0"), run.describe(
        "init did not report selfcheck's exit status 0")
    assert run.status is not None, run.describe("no power-off after init's program ended")


@pytest.mark.parametrize("name", EXPECTED)
def test_selfcheck(selfcheck, name):
    res = results(selfcheck)
    if name not in res:
        pytest.fail(selfcheck.describe(f"{name}: no PASS/FAIL line (did its program run?)", n=15),
                    pytrace=False)
    ok, reason = res[name]
    assert ok, f"FAIL {name}: {reason}\n(log: {selfcheck.log_path})"


def test_selfcheck_no_unexpected_names(selfcheck):
    """Every reported check is in EXPECTED (keeps the list honest)."""
    extra = sorted(set(results(selfcheck)) - set(EXPECTED))
    assert not extra, f"checks not in EXPECTED: {extra}"


def test_busybox_sh_exit_status(initramfs):
    run = proc_boot("proc-busybox-sh", '/bin/busybox sh -c "echo ok; ls /; exit 3"')
    expect_clean_end(run, "busybox sh")
    lines = [l.strip() for l in run.lines]
    assert "ok" in lines, run.describe("busybox did not print ok")
    after = run.output.split("\nok\n", 1)[-1]
    words = set(after.split())
    for entry in ("bin", "dev", "init", "proc", "data"):
        assert entry in words, run.describe(f"`ls /` listing has no {entry}")
    assert init_exit(run) == ("/bin/busybox", "exited with status", "3"), run.describe(
        "init did not report busybox's exit status 3")


def test_rdinit_shell_with_arguments(initramfs):
    """rdinit=/bin/sh, the words after `--` are its argv: busybox is pid 1
    and `poweroff -f` (the reboot syscall) ends the boot."""
    run = proc_boot("proc-rdinit-sh", '-c "echo hi from $$; poweroff -f"', rdinit="/bin/sh")
    expect_clean_end(run, "rdinit=/bin/sh")
    assert "hi from 1" in run.output, run.describe("sh -c did not run as pid 1 with its args")
    assert run.status is not None or run.returncode is not None, run.describe(
        "poweroff -f did not end QEMU")


def test_init_arguments_passed(initramfs):
    """init passes its own argv[1..] on: a program with arguments."""
    run = proc_boot("proc-init-args", "/bin/tiny 42")
    expect_clean_end(run, "init args")
    assert "init: started" in run.output, run.describe("no 'init: started'")
    assert init_exit(run) == ("/bin/tiny", "exited with status", "42"), run.describe(
        "tiny 42 did not exit 42")


def test_no_leaks(initramfs):
    run = proc_boot("proc-leak", "/bin/leak 1000", timeout=600)
    expect_clean_end(run, "leak test")
    res = results(run)
    figures = [l for l in run.lines if l.startswith("leak:")]
    for name in ("leak.cycles_ok", "leak.meminfo", "leak.memfree_baseline", "leak.slab_baseline"):
        assert name in res, run.describe(f"no result for {name}")
        assert res[name][0], run.describe(f"FAIL {name}: {res[name][1]}  {figures}")
    assert init_exit(run) == ("/bin/leak", "exited with status", "0"), run.describe(
        "leak did not exit 0")


def _cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_shell_uses_no_cpu(initramfs):
    """At the busybox shell, idle: init sleeps in wait4, the shell in a
    console read, the kernel's idle loop is tickless."""
    run = qemu.Run("proc-idle-shell", "rdinit=/init", extra_args=initrd_args(),
                   timeout=BOOT_TIMEOUT, interactive=True).start()
    try:
        assert run.wait_for(r"init: started", timeout=60), run.describe("init did not start")
        # $((6*7)): the answer is not in the echoed command line.
        text = None
        for _ in range(3):
            text = run.command("echo answer=$((6*7))", r"^answer=42", timeout=20)
            if text is not None:
                break
        assert text is not None, run.describe("the shell did not answer on the console")
        time.sleep(2)
        pid = run._proc.pid
        c0, t0 = _cpu_seconds(pid), time.monotonic()
        time.sleep(IDLE_SECONDS)
        c1, t1 = _cpu_seconds(pid), time.monotonic()
        percent = 100.0 * (c1 - c0) / (t1 - t0)
        assert percent < IDLE_MAX_PERCENT, run.describe(
            f"idle at the shell the QEMU process used {percent:.1f}% of a core "
            f"(limit {IDLE_MAX_PERCENT}%)")
        assert run.command("echo still=$((1+1))", r"^still=2", timeout=20), run.describe(
            "the shell did not answer after idling")
        run.send("poweroff -f\r")
        run.wait()
    finally:
        run.stop()
    assert not run.panicked, run.describe("panic")


@pytest.mark.parametrize("path", ["/does/not/exist", "/data/notelf", "/dev"])
def test_bad_rdinit(initramfs, path):
    """A pid 1 that cannot run: a clear message naming it, then the boot
    ends (power off) instead of hanging or crashing."""
    run = proc_boot("proc-bad-rdinit-" + path, "", rdinit=path, timeout=60)
    assert not run.timed_out, run.describe(f"rdinit={path}: hang")
    msg = [l for l in run.lines if path in l and re.search(
        r"cannot|can't|fail|error|not found|no such|exec format|denied|-2\b|-8\b|-13\b",
        l, re.I)]
    assert msg, run.describe(f"rdinit={path}: no message naming {path}")
    assert "init: started" not in run.output, run.describe("something ran as init")
