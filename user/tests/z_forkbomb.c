/* A fork bomb, bounded by the kernel's process limit (PROC_MAX = 128):
 * a child forks until fork fails with EAGAIN (at most BOMB_CAP times, so
 * that on a host without a limit it stops anyway), every bomb child
 * sleeping on a pipe; then they all exit, and the system forks normally
 * again. */
#include "check.h"

#define BOMB_CAP 400

int main(void)
{
    int res[2];
    pipe(res);
    pid_t bomb = fork();
    if (bomb == 0) {
        close(res[0]);
        int hold[2];
        pipe(hold);
        int n = 0, err = 0;
        while (n < BOMB_CAP) {
            pid_t c = fork();
            if (c < 0) {
                err = errno;
                break;
            }
            if (c == 0) {
                char x;
                close(hold[1]);
                close(res[1]);
                (void)!read(hold[0], &x, 1);   /* EOF when the bomb lets go */
                _exit(0);
            }
            n++;
        }
        int report[2] = { n, err };
        (void)!write(res[1], report, sizeof report);
        close(hold[1]);
        while (wait(NULL) > 0)
            ;
        _exit(0);
    }
    close(res[1]);
    int report[2] = { -1, 0 };
    ssize_t got = read(res[0], report, sizeof report);
    int st;
    waitpid(bomb, &st, 0);
    CHECKF(got == sizeof report && report[1] == EAGAIN, "forkbomb.eagain_at_limit",
           "forked %d, then errno %d (%s)", report[0], report[1], strerror(report[1]));
    CHECKF(EXITED_WITH(st, 0), "forkbomb.bomb_exits", "%s", status_str(st));
    say("forkbomb: %d processes before EAGAIN", report[0]);

    /* All gone: fork works, many times. */
    int bad = 0;
    for (int i = 0; i < 50; i++) {
        pid_t c = fork();
        if (c == 0)
            _exit(3);
        if (c < 0 || waitpid(c, &st, 0) != c || !EXITED_WITH(st, 3))
            bad++;
    }
    CHECKF(bad == 0, "forkbomb.fork_works_after", "%d of 50 failed", bad);
    /* A second bomb reaches the same count: nothing leaked a slot. */
    pipe(res);
    bomb = fork();
    if (bomb == 0) {
        int n = 0;
        pid_t kids[BOMB_CAP];
        while (n < BOMB_CAP) {
            pid_t c = fork();
            if (c < 0)
                break;
            if (c == 0) {
                for (;;)
                    pause();
            }
            kids[n++] = c;
        }
        (void)!write(res[1], &n, sizeof n);
        for (int i = 0; i < n; i++)
            kill(kids[i], SIGKILL);
        while (wait(NULL) > 0)
            ;
        _exit(0);
    }
    int n2 = -1;
    (void)!read(res[0], &n2, sizeof n2);
    waitpid(bomb, &st, 0);
    CHECKF(n2 == report[0], "forkbomb.same_limit_again", "first %d, second %d", report[0], n2);
    return check_done();
}
