/* Debian's busybox-static (a static glibc binary) runs unmodified:
 * `busybox sh -c 'echo ok; ls /; exit 3'` prints ok and the root listing
 * and exits 3; a pipeline; applets through their /bin symlinks. */
#include "check.h"

static int sh(const char *cmd, char *out, size_t outsz)
{
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        dup2(p[1], 2);
        char *argv[] = { "sh", "-c", (char *)cmd, NULL };
        char *envp[] = { "PATH=/bin", NULL };
        execve("/bin/busybox", argv, envp);
        _exit(127);
    }
    close(p[1]);
    size_t have = 0;
    ssize_t n;
    while (have < outsz - 1 && (n = read(p[0], out + have, outsz - 1 - have)) > 0)
        have += n;
    out[have] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

int main(void)
{
    static char out[8192];
    int st = sh("echo ok; ls /; exit 3", out, sizeof out);
    CHECKF(EXITED_WITH(st, 3), "busybox.exit_status", "%s; output: %.200s", status_str(st), out);
    CHECKF(strncmp(out, "ok\n", 3) == 0, "busybox.echo", "output: %.200s", out);
    CHECKF(strstr(out, "bin") && strstr(out, "dev") && strstr(out, "init") && strstr(out, "proc"),
           "busybox.ls_root", "output: %.300s", out);

    st = sh("echo one two three | wc -w", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && atoi(out) == 3, "busybox.pipeline", "%s output '%s'",
           status_str(st), out);
    st = sh("cat /data/script.sh | head -1", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "#!/bin/sh\n") == 0, "busybox.cat_head",
           "%s output '%s'", status_str(st), out);
    st = sh("x=0; for i in 1 2 3 4 5; do x=$((x+i)); done; echo $x", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "15\n") == 0, "busybox.arith_loop",
           "%s output '%s'", status_str(st), out);
    st = sh("/bin/true && ! /bin/false && echo yes", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "yes\n") == 0, "busybox.true_false",
           "%s output '%s'", status_str(st), out);
    st = sh("sleep 0.1; echo slept", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "slept\n") == 0, "busybox.sleep", "%s output '%s'",
           status_str(st), out);
    st = sh("echo $(echo nested)", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "nested\n") == 0, "busybox.command_subst",
           "%s output '%s'", status_str(st), out);
    st = sh("kill -9 $$", out, sizeof out);
    CHECKF(KILLED_BY(st, SIGKILL), "busybox.kill_self", "%s", status_str(st));
    st = sh("uname -m", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "aarch64\n") == 0, "busybox.uname",
           "%s output '%s'", status_str(st), out);
    /* dmesg reads the kernel log through syslog(2). */
    st = sh("dmesg | grep -c 'kernel ready'", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "1\n") == 0, "busybox.dmesg",
           "%s output '%s'", status_str(st), out);
    /* ps reads /proc/<pid>: it sees init, and itself under its pid. */
    st = sh("ps | grep -c -e '^ *1 .* /init' -e \"^ *$$ \"", out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "2\n") == 0, "busybox.ps",
           "%s output '%s'", status_str(st), out);
    return check_done();
}
