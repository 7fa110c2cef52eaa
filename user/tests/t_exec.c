/* execve (POSIX execve(2), Linux fs/exec.c and binfmt_script semantics):
 * argv/envp reach the new image; a failed exec returns to the caller,
 * which keeps running (ENOENT, EACCES for a non-executable file, ENOEXEC
 * for a non-ELF or truncated or wrong-machine ELF); broken ELFs the kernel
 * cannot refuse early end in an error or a killed process, never a kernel
 * crash; `#!` scripts run through their interpreter with the script path
 * and arguments; vfork and posix_spawn (musl: clone CLONE_VM|CLONE_VFORK)
 * run a program while the parent waits; a static-pie program execs. */
#include "check.h"
#include <sched.h>
#include <spawn.h>
#include <sys/syscall.h>

static volatile int shared_mark;

extern char **environ;

/* Runs path with argv in a child; the child reports exec's errno as its
 * exit status 100 + errno.  Returns the wait status; output (if out) is
 * what the child wrote to stdout. */
static int exec_child(const char *path, char *const argv[], char *out, size_t outsz)
{
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        char *envp[] = { "PATH=/bin", "EXECTEST=42", NULL };
        execve(path, argv, envp);
        _exit(100 + errno);
    }
    close(p[1]);
    size_t have = 0;
    ssize_t n;
    char sink[256];
    while ((n = read(p[0], out && have < outsz - 1 ? out + have : sink,
                     out && have < outsz - 1 ? outsz - 1 - have : sizeof sink)) > 0)
        if (out && have < outsz - 1)
            have += n;
    if (out)
        out[have] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

#define EXEC_ERRNO(st) (WIFEXITED(st) && WEXITSTATUS(st) > 100 ? WEXITSTATUS(st) - 100 : 0)

static void expect_errno(const char *name, const char *path, int want)
{
    char *argv[] = { (char *)path, NULL };
    int st = exec_child(path, argv, NULL, 0);
    CHECKF(EXEC_ERRNO(st) == want, name, "want errno %d (%s), child %s", want,
           strerror(want), status_str(st));
}

/* Never runs and never takes the kernel down: an exec error, or the new
 * process killed by a signal (Linux kills past the point of no return). */
static void expect_refused(const char *name, const char *path)
{
    char *argv[] = { (char *)path, NULL };
    int st = exec_child(path, argv, NULL, 0);
    CHECKF(EXEC_ERRNO(st) || WIFSIGNALED(st), name, "child %s", status_str(st));
}

int main(void)
{
    char out[256];

    /* argv and envp arrive; the exit status comes back. */
    char *argv[] = { "/bin/tiny", "17", NULL };
    int st = exec_child("/bin/tiny", argv, NULL, 0);
    CHECKF(EXITED_WITH(st, 17), "exec.argv_exit_status", "%s", status_str(st));
    char *envargv[] = { "busybox", "sh", "-c", "echo \"$EXECTEST $0 $1\"", "zero", "one", NULL };
    st = exec_child("/bin/busybox", envargv, out, sizeof out);
    CHECKF(EXITED_WITH(st, 0) && strcmp(out, "42 zero one\n") == 0, "exec.envp_argv",
           "%s output '%s'", status_str(st), out);

    /* Errors that return to the caller. */
    expect_errno("exec.enoent", "/bin/does-not-exist", ENOENT);
    expect_errno("exec.eacces_not_executable", "/data/noexec", EACCES);
    expect_errno("exec.eacces_directory", "/bin", EACCES);
    expect_errno("exec.enoexec_not_elf", "/data/notelf", ENOEXEC);
    expect_errno("exec.enoexec_truncated_header", "/data/trunc_hdr", ENOEXEC);
    expect_errno("exec.enoexec_wrong_machine", "/data/wrong_machine", ENOEXEC);
    expect_errno("exec.enoexec_huge_phnum", "/data/huge_phnum", ENOEXEC);
    expect_errno("exec.script_missing_interpreter", "/data/script_noint", ENOENT);
    errno = 0;
    CHECK(execve("/data/notelf", (char *[]){ "x", NULL }, environ) == -1 && errno == ENOEXEC,
          "exec.caller_survives_enoexec");

    /* Broken ELFs the kernel may only notice late. */
    expect_refused("exec.truncated_segment", "/data/trunc_seg");
    expect_refused("exec.kernel_space_segment", "/data/kernel_seg");
    char *be[] = { "/data/bad_entry", NULL };
    st = exec_child("/data/bad_entry", be, NULL, 0);
    CHECKF(KILLED_BY(st, SIGSEGV) || EXEC_ERRNO(st), "exec.entry_zero", "child %s",
           status_str(st));
    char *ov[] = { "/data/overlap", NULL };
    st = exec_child("/data/overlap", ov, NULL, 0);
    CHECKF(WIFSIGNALED(st) || WIFEXITED(st), "exec.overlapping_segments", "child %s",
           status_str(st));

    /* #! scripts. */
    char *sargv[] = { "/data/script.sh", "arg1", NULL };
    st = exec_child("/data/script.sh", sargv, out, sizeof out);
    CHECKF(EXITED_WITH(st, 5) && strcmp(out, "script-ok arg1\n") == 0, "exec.shebang_script",
           "%s output '%s'", status_str(st), out);

    /* Static-pie. */
    char *pargv[] = { "/bin/tiny-pie", "23", NULL };
    st = exec_child("/bin/tiny-pie", pargv, NULL, 0);
    CHECKF(EXITED_WITH(st, 23), "exec.static_pie", "%s", status_str(st));

    /* vfork semantics, raw (musl's vfork() on aarch64 is a plain fork):
     * clone(CLONE_VM | CLONE_VFORK | SIGCHLD) with the same stack; the
     * child only stores to shared memory and exits (in asm, touching no
     * stack), the parent resumes after that and sees the store. */
    shared_mark = 0;
    long cpid;
    __asm__ volatile("mov x0, %[flags]\n mov x1, #0\n mov x2, #0\n mov x3, #0\n mov x4, #0\n"
                     "mov x8, #%[nr_clone]\n svc #0\n cbnz x0, 1f\n"
                     "mov w9, #1\n str w9, [%[mark]]\n"
                     "mov x0, #8\n mov x8, #%[nr_exit]\n svc #0\n"
                     "1: mov %[pid], x0\n"
                     : [pid] "=r"(cpid)
                     : [flags] "r"((long)(CLONE_VM | CLONE_VFORK | SIGCHLD)),
                       [mark] "r"(&shared_mark), [nr_clone] "i"(SYS_clone),
                       [nr_exit] "i"(SYS_exit)
                     : "x0", "x1", "x2", "x3", "x4", "x8", "x9", "memory");
    int mark_at_resume = shared_mark;
    pid_t pid = waitpid(cpid, &st, 0);
    CHECKF(cpid > 0 && mark_at_resume == 1 && pid == cpid && EXITED_WITH(st, 8),
           "exec.vfork_clone_vm", "pid %ld mark %d %s", cpid, mark_at_resume, status_str(st));

    /* libc vfork + exec. */
    pid = vfork();
    if (pid == 0) {
        execve("/bin/tiny", (char *[]){ "/bin/tiny", "8", NULL }, environ);
        _exit(99);
    }
    waitpid(pid, &st, 0);
    CHECKF(pid > 0 && EXITED_WITH(st, 8), "exec.vfork", "pid %d %s", pid, status_str(st));

    /* posix_spawn, with a file action (stdout to a pipe). */
    int p[2];
    pipe(p);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    char *bargv[] = { "echo", "spawned", NULL };
    int r = posix_spawn(&pid, "/bin/echo", &fa, NULL, bargv, environ);
    close(p[1]);
    ssize_t n = read(p[0], out, sizeof out - 1);
    out[n > 0 ? n : 0] = 0;
    close(p[0]);
    waitpid(pid, &st, 0);
    CHECKF(r == 0 && EXITED_WITH(st, 0) && strcmp(out, "spawned\n") == 0, "exec.posix_spawn",
           "r %d %s out '%s'", r, status_str(st), out);
    r = posix_spawn(&pid, "/bin/does-not-exist", NULL, NULL, bargv, environ);
    CHECKF(r == ENOENT, "exec.posix_spawn_enoent", "returned %d", r);
    posix_spawn_file_actions_destroy(&fa);

    /* Exec from a process with many mappings and fds: the old image is
     * gone (a fresh tiny runs and exits fine). */
    for (int i = 0; i < 20; i++)
        memset(malloc(100000), 1, 100000);
    char *t2[] = { "/bin/tiny", NULL };
    st = exec_child("/bin/tiny", t2, NULL, 0);
    CHECKF(EXITED_WITH(st, 0), "exec.after_big_image", "%s", status_str(st));
    return check_done();
}
