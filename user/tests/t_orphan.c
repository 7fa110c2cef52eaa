/* Orphans are reparented to init (pid 1) and reaped by it: a grandchild
 * whose parent exits sees getppid() == 1, and 150 short-lived orphans in a
 * row (more than the kernel's 128-process limit) do not exhaust the
 * process table, which they would if init did not reap them. */
#include "check.h"

int main(void)
{
    int p[2];
    pipe(p);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t g = fork();
        if (g == 0) {
            pid_t before = getppid();
            (void)before;
            /* Wait until the middle process is gone (bounded: 5 s). */
            pid_t pp = getppid();
            for (int i = 0; i < 500 && pp != 1; i++) {
                msleep(10);
                pp = getppid();
            }
            (void)!write(p[1], &pp, sizeof pp);
            _exit(0);
        }
        _exit(0);
    }
    close(p[1]);
    int st;
    waitpid(mid, &st, 0);
    pid_t pp = -1;
    ssize_t n = read(p[0], &pp, sizeof pp);
    CHECKF(n == sizeof pp && pp == 1, "orphan.reparented_to_init",
           "grandchild's getppid() = %d (read %zd)", pp, n);
    close(p[0]);

    int fails = 0, i;
    for (i = 0; i < 150; i++) {
        pid_t c = fork();
        if (c < 0) {
            fails++;
            break;
        }
        if (c == 0) {
            if (fork() == 0)
                _exit(0);           /* the orphan */
            _exit(0);
        }
        waitpid(c, &st, 0);
    }
    CHECKF(fails == 0, "orphan.reaped_by_init", "fork failed at round %d: %s",
           i, strerror(errno));
    return check_done();
}
