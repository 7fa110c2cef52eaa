/* Signals (POSIX sigaction(2), Linux rt_sigframe semantics): a handler
 * runs; SA_SIGINFO fields; SA_RESTART restarts an interrupted read() and
 * without it read() fails with EINTR; a blocked signal stays pending and is
 * delivered on unblock; sigsuspend; sigaltstack with SA_ONSTACK; SIGCHLD at
 * a child's exit; SIG_IGN; default actions; SA_RESETHAND; SA_NODEFER. */
#include "check.h"
#include <sys/time.h>
#include <poll.h>
#include <stdint.h>
#include <sys/syscall.h>

static volatile sig_atomic_t hits, last_sig;
static volatile siginfo_t last_info;
static volatile uintptr_t handler_sp;
static volatile int on_altstack, nested;

static void on_sig(int sig) { hits++; last_sig = sig; }

static void on_info(int sig, siginfo_t *si, void *uc)
{
    hits++;
    last_sig = sig;
    memcpy((void *)&last_info, si, sizeof *si);
}

static void on_alt(int sig)
{
    int local;
    stack_t ss;
    handler_sp = (uintptr_t)&local;
    sigaltstack(NULL, &ss);
    on_altstack = (ss.ss_flags & SS_ONSTACK) != 0;
    hits++;
}

static void on_nodefer(int sig)
{
    hits++;
    if (hits == 1)
        raise(sig);         /* with SA_NODEFER this nests right away */
    else
        nested = 1;
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* A child that sends sig to the parent after delay_ms, then writes one
 * byte to fd after another delay_ms (if fd >= 0). */
static pid_t kicker(int sig, long delay_ms, int fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        msleep(delay_ms);
        kill(parent, sig);
        if (fd >= 0) {
            msleep(delay_ms);
            (void)!write(fd, "x", 1);
        }
        _exit(0);
    }
    return pid;
}

int main(void)
{
    int st;

    set_handler(SIGUSR1, on_sig, 0);
    hits = 0;
    kill(getpid(), SIGUSR1);
    CHECKF(hits == 1 && last_sig == SIGUSR1, "signal.handler_runs", "hits %d", hits);

    /* SA_SIGINFO from kill(): SI_USER with our pid; from tgkill: SI_TKILL. */
    struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    hits = 0;
    kill(getpid(), SIGUSR2);
    CHECKF(hits == 1 && last_info.si_signo == SIGUSR2 && last_info.si_code == SI_USER &&
           last_info.si_pid == getpid() && last_info.si_uid == getuid(), "signal.siginfo_kill",
           "hits %d signo %d code %d pid %d", hits, last_info.si_signo, last_info.si_code,
           last_info.si_pid);
    hits = 0;
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    CHECKF(hits == 1 && last_info.si_code == SI_TKILL, "signal.siginfo_tgkill",
           "hits %d code %d", hits, last_info.si_code);

    /* Sent by a child: si_pid is the child's. */
    hits = 0;
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t k = kicker(SIGUSR2, 10, -1);
    sigset_t waitmask = old;
    sigdelset(&waitmask, SIGUSR2);
    while (!hits)
        sigsuspend(&waitmask);
    sigprocmask(SIG_SETMASK, &old, NULL);
    waitpid(k, &st, 0);
    CHECKF(last_info.si_pid == k && last_info.si_code == SI_USER, "signal.siginfo_from_child",
           "si_pid %d want %d", last_info.si_pid, k);

    /* SA_RESTART: read() on an empty pipe, interrupted by a signal from a
     * child, resumes and returns the byte written later. */
    int p[2];
    pipe(p);
    set_handler(SIGUSR1, on_sig, SA_RESTART);
    hits = 0;
    k = kicker(SIGUSR1, 50, p[1]);
    char c = 0;
    ssize_t n = read(p[0], &c, 1);
    CHECKF(n == 1 && c == 'x' && hits == 1, "signal.sa_restart",
           "read = %zd (errno %d) hits %d", n, errno, hits);
    waitpid(k, &st, 0);

    /* Without SA_RESTART: EINTR. */
    set_handler(SIGUSR1, on_sig, 0);
    hits = 0;
    k = kicker(SIGUSR1, 50, p[1]);
    errno = 0;
    n = read(p[0], &c, 1);
    CHECKF(n == -1 && errno == EINTR && hits == 1, "signal.eintr",
           "read = %zd errno %d hits %d", n, errno, hits);
    waitpid(k, &st, 0);
    (void)!read(p[0], &c, 1);      /* the kicker's byte */

    /* nanosleep interrupted: EINTR with the time left. */
    k = kicker(SIGUSR1, 50, -1);
    struct timespec ts = { 5, 0 }, left = { 0, 0 };
    errno = 0;
    int r = nanosleep(&ts, &left);
    CHECKF(r == -1 && errno == EINTR && left.tv_sec >= 3 && left.tv_sec <= 5,
           "signal.nanosleep_eintr", "r %d errno %d left %ld", r, errno, (long)left.tv_sec);
    waitpid(k, &st, 0);

    /* Blocked: pending, then delivered when unblocked, before
     * sigprocmask returns. */
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    hits = 0;
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);         /* standard signals do not queue */
    sigset_t pend;
    sigpending(&pend);
    CHECKF(hits == 0 && sigismember(&pend, SIGUSR1), "signal.blocked_pending",
           "hits %d pending %d", hits, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECKF(hits == 1, "signal.delivered_on_unblock", "hits %d", hits);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "signal.pending_cleared");

    /* SIGKILL and SIGSTOP cannot be caught or blocked. */
    errno = 0;
    CHECK(signal(SIGKILL, on_sig) == SIG_ERR && errno == EINVAL, "signal.sigkill_uncatchable");
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    sigset_t now;
    sigprocmask(SIG_SETMASK, &old, &now);
    CHECK(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP),
          "signal.sigkill_unblockable");

    /* sigsuspend: waits with a temporary mask, returns EINTR after the
     * handler, and the old mask (SIGUSR1 blocked) is back afterwards. */
    sigprocmask(SIG_BLOCK, &block, &old);
    hits = 0;
    k = kicker(SIGUSR1, 50, -1);
    sigset_t empty;
    sigemptyset(&empty);
    errno = 0;
    r = sigsuspend(&empty);
    sigprocmask(SIG_SETMASK, NULL, &now);
    CHECKF(r == -1 && errno == EINTR && hits == 1 && sigismember(&now, SIGUSR1),
           "signal.sigsuspend", "r %d errno %d hits %d", r, errno, hits);
    sigprocmask(SIG_SETMASK, &old, NULL);
    waitpid(k, &st, 0);

    /* ppoll's mask: SIGUSR1, blocked and pending, is let in by the mask
     * for the wait only: the call ends at once with EINTR after the
     * handler (not after its 3 s timeout), and SIGUSR1 is blocked again. */
    sigprocmask(SIG_BLOCK, &block, &old);
    hits = 0;
    raise(SIGUSR1);
    struct timespec tmo = { 3, 0 }, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    r = ppoll(NULL, 0, &tmo, &empty);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    sigprocmask(SIG_SETMASK, NULL, &now);
    CHECKF(r == -1 && errno == EINTR && hits == 1 && sigismember(&now, SIGUSR1) &&
           t1.tv_sec - t0.tv_sec < 2, "signal.ppoll_sigmask",
           "r %d errno %d hits %d blocked after %d", r, errno, hits,
           sigismember(&now, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* The handler's mask: the signal itself is blocked inside its handler
     * unless SA_NODEFER; SA_RESETHAND restores SIG_DFL. */
    set_handler(SIGUSR1, on_nodefer, SA_NODEFER);
    hits = 0;
    nested = 0;
    kill(getpid(), SIGUSR1);
    CHECKF(hits == 2 && nested, "signal.sa_nodefer", "hits %d", hits);
    set_handler(SIGUSR1, on_sig, SA_RESETHAND);
    hits = 0;
    kill(getpid(), SIGUSR1);
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    CHECKF(hits == 1 && cur.sa_handler == SIG_DFL, "signal.sa_resethand", "hits %d", hits);

    /* sigaltstack + SA_ONSTACK. */
    static char alt[16384] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
    r = sigaltstack(&ss, NULL);
    set_handler(SIGUSR1, on_alt, SA_ONSTACK);
    hits = 0;
    kill(getpid(), SIGUSR1);
    CHECKF(r == 0 && hits == 1 && on_altstack && handler_sp >= (uintptr_t)alt &&
           handler_sp < (uintptr_t)alt + sizeof alt, "signal.sigaltstack",
           "r %d hits %d onstack %d sp %#lx alt %p", r, hits, on_altstack,
           (unsigned long)handler_sp, (void *)alt);
    stack_t cur_ss;
    sigaltstack(NULL, &cur_ss);
    CHECK(cur_ss.ss_sp == alt && !(cur_ss.ss_flags & SS_ONSTACK), "signal.sigaltstack_query");
    ss.ss_size = 100;          /* below MINSIGSTKSZ */
    errno = 0;
    CHECK(sigaltstack(&ss, NULL) == -1 && errno == ENOMEM, "signal.sigaltstack_too_small");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);

    /* SIGCHLD at child exit, with CLD_EXITED and the status. */
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    hits = 0;
    k = fork();
    if (k == 0)
        _exit(9);
    waitmask = old;
    sigdelset(&waitmask, SIGCHLD);
    while (!hits)
        sigsuspend(&waitmask);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECKF(last_info.si_signo == SIGCHLD && last_info.si_code == CLD_EXITED &&
           last_info.si_pid == k && last_info.si_status == 9, "signal.sigchld",
           "signo %d code %d pid %d status %d", last_info.si_signo, last_info.si_code,
           last_info.si_pid, last_info.si_status);
    waitpid(k, &st, 0);
    signal(SIGCHLD, SIG_DFL);

    /* SIG_IGN survives, a default-ignored signal does nothing, and the
     * default action of SIGUSR1/SIGTERM kills. */
    signal(SIGUSR1, SIG_IGN);
    kill(getpid(), SIGUSR1);
    signal(SIGUSR1, SIG_DFL);
    kill(getpid(), SIGWINCH);        /* default: ignore */
    CHECK(1, "signal.ignored");
    k = fork();
    if (k == 0) {
        kill(getpid(), SIGUSR1);
        _exit(0);
    }
    waitpid(k, &st, 0);
    CHECKF(KILLED_BY(st, SIGUSR1), "signal.default_terminates", "%s", status_str(st));

    /* Handlers are inherited by fork and reset by exec; SIG_IGN is kept
     * across exec (POSIX execve). */
    set_handler(SIGUSR1, on_sig, 0);
    k = fork();
    if (k == 0) {
        hits = 0;
        kill(getpid(), SIGUSR1);
        _exit(hits == 1 ? 0 : 1);
    }
    waitpid(k, &st, 0);
    CHECKF(EXITED_WITH(st, 0), "signal.handler_inherited", "%s", status_str(st));

    /* kill() error cases. */
    errno = 0;
    CHECK(kill(getpid(), 65) == -1 && errno == EINVAL, "signal.kill_bad_signal");
    errno = 0;
    CHECK(kill(99999, SIGUSR1) == -1 && errno == ESRCH, "signal.kill_no_such_pid");
    CHECK(kill(getpid(), 0) == 0, "signal.kill_sig0");

    /* Interval timers: alarm() fires SIGALRM about when asked (pause()
     * wakes with EINTR), alarm(0) cancels and returns what was left, and
     * a periodic ITIMER_REAL keeps firing. */
    set_handler(SIGALRM, on_sig, 0);
    hits = 0;
    struct timespec a0, a1;
    clock_gettime(CLOCK_MONOTONIC, &a0);
    alarm(1);
    errno = 0;
    r = pause();
    clock_gettime(CLOCK_MONOTONIC, &a1);
    long ms = (a1.tv_sec - a0.tv_sec) * 1000 + (a1.tv_nsec - a0.tv_nsec) / 1000000;
    CHECKF(r == -1 && errno == EINTR && hits == 1 && last_sig == SIGALRM && ms >= 900 &&
           ms < 5000, "signal.alarm", "r %d errno %d hits %d after %ld ms", r, errno, hits, ms);
    alarm(30);
    unsigned rest = alarm(0);
    struct itimerval itv;
    getitimer(ITIMER_REAL, &itv);
    CHECKF(rest >= 29 && rest <= 30 && itv.it_value.tv_sec == 0 && itv.it_value.tv_usec == 0,
           "signal.alarm_cancel", "left %u, then %ld.%06ld", rest, (long)itv.it_value.tv_sec,
           (long)itv.it_value.tv_usec);
    hits = 0;
    struct itimerval per = { { 0, 50000 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &per, NULL);
    for (int i = 0; i < 300 && hits < 3; i++)       /* 3 s at most */
        msleep(10);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    int got = hits;
    msleep(150);
    CHECKF(got >= 3 && hits == got, "signal.itimer_periodic", "%d signals, %d after disarm",
           got, hits - got);
    return check_done();
}
