/* fork / exit / wait in their variants (POSIX wait(2), Linux wait4/waitid):
 * pid -1, a specific pid, the caller's process group (0) and another group
 * (-pgid), WNOHANG with a live child, waitid P_ALL/P_PID/P_PGID, WNOWAIT,
 * the status encoding (WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG),
 * zombies holding their status, and ECHILD. */
#include "check.h"
#include <sys/syscall.h>

static pid_t child_exit(int code, long delay_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (delay_ms)
            msleep(delay_ms);
        _exit(code);
    }
    return pid;
}

int main(void)
{
    int st;

    pid_t a = child_exit(7, 0);
    CHECK(a > 0, "wait.fork");
    pid_t r = wait4(-1, &st, 0, NULL);
    CHECKF(r == a && EXITED_WITH(st, 7), "wait.any_pid",
           "wait4(-1) = %d (want %d), %s", r, a, status_str(st));

    /* Specific pid: the second child is reaped first although the first
     * exits earlier. */
    a = child_exit(1, 0);
    pid_t b = child_exit(2, 50);
    r = waitpid(b, &st, 0);
    CHECKF(r == b && EXITED_WITH(st, 2), "wait.specific_pid", "got %d %s", r, status_str(st));
    r = waitpid(a, &st, 0);
    CHECKF(r == a && EXITED_WITH(st, 1), "wait.first_still_zombie", "got %d %s", r, status_str(st));

    /* Exit status is 8 bits. */
    a = child_exit(0x1ff, 0);
    r = waitpid(a, &st, 0);
    CHECKF(r == a && EXITED_WITH(st, 0xff), "wait.status_8bit", "%s", status_str(st));

    /* WNOHANG: 0 while the child runs, then its status. */
    a = child_exit(3, 300);
    r = waitpid(a, &st, WNOHANG);
    CHECKF(r == 0, "wait.wnohang_running", "waitpid(WNOHANG) = %d", r);
    r = waitpid(a, &st, 0);
    CHECKF(r == a && EXITED_WITH(st, 3), "wait.after_wnohang", "%s", status_str(st));

    /* A zombie holds the status until waited for. */
    a = child_exit(42, 0);
    msleep(200);
    r = waitpid(a, &st, 0);
    CHECKF(r == a && EXITED_WITH(st, 42), "wait.zombie_holds_status", "%s", status_str(st));

    /* Killed by a signal: WIFSIGNALED / WTERMSIG. */
    a = fork();
    if (a == 0) {
        for (;;)
            pause();
    }
    msleep(20);
    kill(a, SIGTERM);
    r = waitpid(a, &st, 0);
    CHECKF(r == a && KILLED_BY(st, SIGTERM) && !WIFEXITED(st), "wait.signaled",
           "%s", status_str(st));

    /* Process groups: pid 0 = the caller's group, -pgid = that group. */
    pid_t mygrp = getpgrp();
    a = fork();
    if (a == 0) {
        setpgid(0, 0);
        msleep(100);
        _exit(11);
    }
    setpgid(a, a);          /* both sides, as shells do: no race */
    b = child_exit(12, 200);
    r = waitpid(0, &st, 0);
    CHECKF(r == b && EXITED_WITH(st, 12), "wait.own_pgrp",
           "waitpid(0) = %d (a=%d b=%d) %s; pgrp %d", r, a, b, status_str(st), mygrp);
    r = waitpid(-a, &st, 0);
    CHECKF(r == a && EXITED_WITH(st, 11), "wait.other_pgrp", "waitpid(-%d) = %d %s",
           a, r, status_str(st));
    CHECKF(getpgid(0) == mygrp, "wait.pgid_unchanged", "getpgid %d", getpgid(0));

    /* waitid: P_PID, P_ALL, siginfo contents, WNOWAIT leaves the zombie. */
    siginfo_t si;
    a = child_exit(5, 0);
    memset(&si, 0, sizeof si);
    int w = waitid(P_PID, a, &si, WEXITED | WNOWAIT);
    CHECKF(w == 0 && si.si_pid == a && si.si_code == CLD_EXITED && si.si_status == 5
           && si.si_signo == SIGCHLD, "waitid.p_pid_wnowait",
           "ret %d pid %d code %d status %d", w, si.si_pid, si.si_code, si.si_status);
    memset(&si, 0, sizeof si);
    w = waitid(P_ALL, 0, &si, WEXITED);
    CHECKF(w == 0 && si.si_pid == a && si.si_status == 5, "waitid.p_all",
           "ret %d pid %d status %d", w, si.si_pid, si.si_status);
    a = fork();
    if (a == 0) {
        for (;;)
            pause();
    }
    memset(&si, 0, sizeof si);
    w = waitid(P_PID, a, &si, WEXITED | WNOHANG);
    CHECKF(w == 0 && si.si_pid == 0, "waitid.wnohang_running", "ret %d pid %d", w, si.si_pid);
    kill(a, SIGKILL);
    w = waitid(P_PID, a, &si, WEXITED);
    CHECKF(w == 0 && si.si_code == CLD_KILLED && si.si_status == SIGKILL,
           "waitid.killed", "ret %d code %d status %d", w, si.si_code, si.si_status);

    /* Many children, reaped in any order. */
    int n = 20, got = 0, sum = 0;
    for (int i = 0; i < n; i++)
        if (child_exit(i, (i % 3) * 10) > 0)
            got++;
    for (int i = 0; i < n; i++) {
        if (wait(&st) > 0 && WIFEXITED(st)) {
            sum += WEXITSTATUS(st);
        }
    }
    CHECKF(got == n && sum == n * (n - 1) / 2, "wait.many", "forked %d sum %d", got, sum);

    /* No children: ECHILD, also with WNOHANG and for a stranger's pid. */
    errno = 0;
    r = wait(&st);
    CHECK(r == -1 && errno == ECHILD, "wait.echild");
    errno = 0;
    r = waitpid(-1, &st, WNOHANG);
    CHECK(r == -1 && errno == ECHILD, "wait.echild_wnohang");
    errno = 0;
    r = waitpid(1, &st, 0);
    CHECK(r == -1 && errno == ECHILD, "wait.echild_not_child");
    errno = 0;
    w = waitid(P_ALL, 0, &si, WEXITED);
    CHECK(w == -1 && errno == ECHILD, "waitid.echild");
    errno = 0;
    r = syscall(SYS_wait4, -1, &st, 0x100, 0);   /* not a wait4 option */
    CHECK(r == -1 && errno == EINVAL, "wait.bad_options");

    /* getpid / getppid across fork. */
    pid_t me = getpid();
    int p[2];
    pipe(p);
    a = fork();
    if (a == 0) {
        pid_t v[2] = { getpid(), getppid() };
        (void)!write(p[1], v, sizeof v);
        _exit(0);
    }
    pid_t v[2] = { 0, 0 };
    (void)!read(p[0], v, sizeof v);
    waitpid(a, &st, 0);
    CHECKF(v[0] == a && v[1] == me, "fork.pids", "child says pid %d ppid %d; want %d %d",
           v[0], v[1], a, me);

    /* Job control: a stopped child is reported to WUNTRACED (and only
     * once), a continued one to WCONTINUED, and the parent gets SIGCHLD
     * with CLD_STOPPED / CLD_CONTINUED; then it exits as usual. */
    int go[2];
    pipe(go);
    a = fork();
    if (a == 0) {
        raise(SIGSTOP);
        char c;
        (void)!read(go[0], &c, 1);  /* stay alive until the parent saw it */
        _exit(5);
    }
    r = waitpid(a, &st, WUNTRACED);
    CHECKF(r == a && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "wait.untraced_stopped",
           "r %d status %#x", r, st);
    r = waitpid(a, &st, WUNTRACED | WNOHANG);
    CHECKF(r == 0, "wait.stop_reported_once", "r %d status %#x", r, st);
    memset(&si, 0, sizeof si);
    kill(a, SIGCONT);
    w = waitid(P_PID, a, &si, WCONTINUED);
    CHECKF(w == 0 && si.si_pid == a && si.si_code == CLD_CONTINUED, "waitid.continued",
           "w %d pid %d code %d", w, si.si_pid, si.si_code);
    (void)!write(go[1], "x", 1);
    close(go[0]);
    close(go[1]);
    r = waitpid(a, &st, 0);
    CHECKF(r == a && WIFEXITED(st) && WEXITSTATUS(st) == 5, "wait.exit_after_continue",
           "r %d status %#x", r, st);

    /* waitid(WSTOPPED) with WNOWAIT leaves the report for waitpid. */
    a = fork();
    if (a == 0) {
        raise(SIGTSTP);
        _exit(6);
    }
    memset(&si, 0, sizeof si);
    w = waitid(P_PID, a, &si, WSTOPPED | WNOWAIT);
    r = waitpid(a, &st, WUNTRACED | WNOHANG);
    CHECKF(w == 0 && si.si_code == CLD_STOPPED && si.si_status == SIGTSTP && r == a &&
           WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "waitid.stopped_nowait",
           "w %d code %d status %d; waitpid %d %#x", w, si.si_code, si.si_status, r, st);
    kill(a, SIGKILL);
    r = waitpid(a, &st, 0);
    CHECKF(r == a && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "wait.kill_stopped",
           "r %d status %#x", r, st);
    return check_done();
}
