/* Process benchmark (`make bench-proc`, tests/bench/proc.py): per-op
 * microseconds for
 *   fork_exit_wait       fork, the child _exits, the parent waits
 *   fork_exec_exit_wait  the same with execve of this binary ("exit" arg)
 *   null_syscall         getppid through syscall()
 * timed with clock_gettime(CLOCK_MONOTONIC).  The same static binary runs
 * in our kernel and in the Linux guest.
 *
 *   bench_proc [n_fork n_exec n_syscall]   prints "bench <name> n <N> us_per_op <x>"
 *   bench_proc exit                        exits 0 at once (the exec target) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char self[256];

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void report(const char *name, long n, double us)
{
    printf("bench %s n %ld us_per_op %.3f\n", name, n, us / n);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    long n_fork = argc > 1 ? atol(argv[1]) : 200;
    long n_exec = argc > 2 ? atol(argv[2]) : 100;
    long n_sys = argc > 3 ? atol(argv[3]) : 100000;
    snprintf(self, sizeof self, "%s", argv[0]);

    double t = now_us();
    for (long i = 0; i < n_fork; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        waitpid(p, NULL, 0);
    }
    report("fork_exit_wait", n_fork, now_us() - t);

    t = now_us();
    for (long i = 0; i < n_exec; i++) {
        pid_t p = fork();
        if (p == 0) {
            char *av[] = { self, "exit", NULL };
            char *ev[] = { NULL };
            execve(self, av, ev);
            _exit(127);
        }
        int st;
        waitpid(p, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("bench fork_exec_exit_wait error: exec of %s failed\n", self);
            return 1;
        }
    }
    report("fork_exec_exit_wait", n_exec, now_us() - t);

    t = now_us();
    for (long i = 0; i < n_sys; i++)
        syscall(SYS_getppid);
    report("null_syscall", n_sys, now_us() - t);
    printf("bench done\n");
    return 0;
}
