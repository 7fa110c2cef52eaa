/* pid 1.
 *
 * The kernel starts it with fd 0/1/2 on /dev/console and, as Linux does,
 * the words after `--` on the kernel command line as argv[1..]
 * (`rdinit=/init -- /bin/selfcheck`).  init then
 *   - mounts /proc (failure ignored: it may not exist yet),
 *   - runs argv[1..] if given, else the program named by an `init.run`
 *     environment variable (unknown key=value arguments reach init's
 *     environment), else the busybox shell on the console,
 *   - reaps every child, its own and orphans reparented to it, with a
 *     blocking wait(2) loop (it sleeps in the kernel, never polls),
 *   - when the program it started exits, prints
 *     "init: <prog> exited with status N" (or "killed by signal N") and
 *     powers off, so a test boot ends cleanly. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static char *const shell_argv[] = { "sh", NULL };
static char *const child_env[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/",
                                   "TERM=linux", NULL };

static void msg(const char *s)
{
    (void)!write(2, s, strlen(s));
}

int main(int argc, char **argv)
{
    msg("init: started\n");
    if (mount("proc", "/proc", "proc", 0, NULL) != 0) {
        /* Not fatal: /proc is optional for everything init does. */
    }

    char *const *prog_argv = shell_argv;
    const char *prog = "/bin/sh";
    char *run_argv[2] = { NULL, NULL };
    const char *run = getenv("init.run");
    if (argc > 1) {
        prog_argv = argv + 1;
        prog = argv[1];
    } else if (run && *run) {
        run_argv[0] = (char *)run;
        prog_argv = run_argv;
        prog = run;
    }

    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "init: fork: %s\n", strerror(errno));
    } else if (child == 0) {
        /* The program gets its own session with the console as the
         * controlling terminal, so a shell has job control and ^C reaches
         * it (TIOCSCTTY may be missing: then without job control). */
        setsid();
        ioctl(0, TIOCSCTTY, 0);
        execve(prog, prog_argv, child_env);
        fprintf(stderr, "init: cannot run %s: %s\n", prog, strerror(errno));
        _exit(127);
    }

    for (;;) {
        int st;
        pid_t pid = wait(&st);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            /* ECHILD: nothing left to wait for (fork failed). */
            fprintf(stderr, "init: wait: %s\n", strerror(errno));
            break;
        }
        if (pid != child)
            continue;               /* an orphan: reaped, nothing else */
        if (WIFEXITED(st))
            fprintf(stderr, "init: %s exited with status %d\n", prog, WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            fprintf(stderr, "init: %s killed by signal %d\n", prog, WTERMSIG(st));
        break;
    }
    reboot(RB_POWER_OFF);
    msg("init: reboot(RB_POWER_OFF) failed\n");
    for (;;)
        pause();
}
