/* A syscall fuzzer: random syscall numbers 0..450 with random arguments
 * from a fixed-seed PRNG (xorshift64*), in a series of children, so the
 * kernel survives and the parent sees each child end.
 *
 * Each child gets its own seed, fds 0-2 on /dev/null (so it cannot read
 * the console or change its termios) and FUZZ_CALLS calls; a watchdog
 * (this process) SIGKILLs it after CHILD_MS if a
 * call blocked.  A child killed by a signal (a random rt_sigreturn or
 * munmap of its own text, say) is fine; only the kernel must live.
 * Skipped: the calls that would end or escape the run rather than test
 * the kernel: exit, exit_group (end the child), reboot (ends the system),
 * kill/tkill/tgkill (could kill the parent or init), clone/clone3 (a
 * random fork would keep fuzzing outside the watchdog's reach), vhangup
 * (hangs up the console: SIGHUP to selfcheck), ptrace (a traced child
 * stops instead of ending), rt_sigreturn (below).  Each child also starts a
 * session of its own (setsid), so no terminal call reaches the console's
 * session.  The
 * watchdog polls waitpid(WNOHANG) every 10 ms: a test process, not init. */
#include "check.h"
#include <stdint.h>
#include <sys/syscall.h>

#define FUZZ_CHILDREN 40
#define FUZZ_CALLS    1500
#define CHILD_MS      3000
#define NR_MAX        450

static uint64_t rng;

static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static int skipped(long nr)
{
    switch (nr) {
    case SYS_exit: case SYS_exit_group: case SYS_reboot:
    case SYS_kill: case SYS_tkill: case SYS_tgkill:
    case SYS_clone: case 435 /* clone3 */: case SYS_vhangup:
    case SYS_ptrace:
    /* A random rt_sigreturn almost always kills the child (a bad frame),
     * which cut each child's run to a few hundred calls; t_signal and
     * t_sigregs test it properly. */
    case SYS_rt_sigreturn:
        return 1;
    }
    return 0;
}

static char scratch[65536] __attribute__((aligned(4096)));

static uint64_t arg(void)
{
    switch (next() % 8) {
    case 0: return next() % 16;                             /* small: fds, flags */
    case 1: return next() % 4096;
    case 2: return (uint64_t)-1 - next() % 8;               /* -1, -2, ... */
    case 3: return (uintptr_t)scratch + next() % sizeof scratch;   /* valid memory */
    case 4: return 0xffff000000000000ULL | (next() & 0xffffffffffffULL);  /* kernel */
    case 5: return next() & 0xffffffffffffULL;              /* anywhere in user space */
    case 6: return 0;
    default: return next();
    }
}

static void fuzz(uint64_t seed)
{
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    for (int i = 0; i < FUZZ_CALLS; i++) {
        long nr = next() % (NR_MAX + 1);
        if (skipped(nr))
            continue;
        uint64_t a[6];
        for (int j = 0; j < 6; j++)
            a[j] = arg();
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    _exit(0);
}

/* z_fuzz [first_seed [children]]: selfcheck runs it without arguments
 * (seeds 1..40); longer hunts by hand pass other seeds. */
int main(int argc, char **argv)
{
    int exited = 0, signaled = 0, watchdog = 0, forkfail = 0;
    int first = argc > 1 ? atoi(argv[1]) : 1;
    int children = argc > 2 ? atoi(argv[2]) : FUZZ_CHILDREN;
    for (int c = 0; c < children; c++) {
        pid_t pid = fork();
        if (pid < 0) {
            forkfail++;
            msleep(100);
            continue;
        }
        if (pid == 0)
            fuzz((uint64_t)(first + c));
        int st = 0;
        pid_t r = 0;
        for (int t = 0; t < CHILD_MS / 10 && (r = waitpid(pid, &st, WNOHANG)) == 0; t++)
            msleep(10);
        if (r == 0) {
            kill(pid, SIGKILL);
            watchdog++;
            r = waitpid(pid, &st, 0);
        }
        if (r == pid && WIFSTOPPED(st)) {      /* cannot happen: no ptrace */
            kill(pid, SIGKILL);
            r = waitpid(pid, &st, 0);
        }
        if (r != pid)
            say("fuzz: child %d (seed %d): waitpid returned %d errno %d", pid, first + c,
                r, errno);
        if (r == pid && WIFEXITED(st))
            exited++;
        else if (r == pid && WIFSIGNALED(st))
            signaled++;
        /* Anything the child left behind (it cannot fork: clone is
         * skipped) is gone with it. */
    }
    say("fuzz: %d children: %d exited, %d killed by a signal (%d by the watchdog), "
        "%d fork failures", children, exited, signaled, watchdog, forkfail);
    CHECKF(exited + signaled == children, "fuzz.children_ended",
           "%d exited + %d signaled of %d", exited, signaled, children);
    pid_t pid = fork();
    int st;
    if (pid == 0)
        _exit(6);
    waitpid(pid, &st, 0);
    CHECKF(EXITED_WITH(st, 6), "fuzz.system_usable_after", "%s", status_str(st));
    return check_done();
}
