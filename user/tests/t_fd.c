/* Descriptors across fork and exec (POSIX fork(2), execve(2)): a child
 * inherits open fds and shares their file offset; close-on-exec (O_CLOEXEC,
 * FD_CLOEXEC via fcntl, dup3 O_CLOEXEC, F_DUPFD_CLOEXEC) closes exactly the
 * marked ones at exec, checked from inside the new image (/bin/fdcheck);
 * dup/dup3/fcntl basics; a pipe's reader sees EOF once every writer,
 * including the child's copies, is closed. */
#include "check.h"

static int run_fdcheck(char **argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *envp[] = { NULL };
        execve("/bin/fdcheck", argv, envp);
        _exit(99);
    }
    int st;
    waitpid(pid, &st, 0);
    return st;
}

int main(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "fd.pipe");

    /* Inherited across fork: the child writes, the parent reads. */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        (void)!write(p[1], "hello", 5);
        _exit(0);
    }
    close(p[1]);
    char buf[16] = "";
    ssize_t n = read(p[0], buf, sizeof buf);
    CHECKF(n == 5 && memcmp(buf, "hello", 5) == 0, "fd.inherited_by_fork", "read %zd", n);
    n = read(p[0], buf, sizeof buf);
    CHECKF(n == 0, "fd.pipe_eof_after_writers_close", "read %zd", n);
    waitpid(pid, NULL, 0);
    close(p[0]);

    /* Shared offset: the child's read moves the parent's position. */
    int f = open("/bin/tiny", O_RDONLY);
    pid = fork();
    if (pid == 0) {
        char b[100];
        _exit(read(f, b, 100) == 100 ? 0 : 1);
    }
    waitpid(pid, NULL, 0);
    off_t off = lseek(f, 0, SEEK_CUR);
    CHECKF(off == 100, "fd.shared_offset", "offset %lld", (long long)off);

    /* Close-on-exec, four ways, and a plain one. */
    int keep = dup(f);
    int c1 = open("/bin/tiny", O_RDONLY | O_CLOEXEC);
    int c2 = dup(f);
    fcntl(c2, F_SETFD, FD_CLOEXEC);
    int c3 = dup3(f, 40, O_CLOEXEC);
    int c4 = fcntl(f, F_DUPFD_CLOEXEC, 50);
    CHECKF(fcntl(c1, F_GETFD) == FD_CLOEXEC && fcntl(c2, F_GETFD) == FD_CLOEXEC &&
           fcntl(c3, F_GETFD) == FD_CLOEXEC && fcntl(c4, F_GETFD) == FD_CLOEXEC &&
           fcntl(keep, F_GETFD) == 0, "fd.cloexec_flags",
           "flags %d %d %d %d keep %d", fcntl(c1, F_GETFD), fcntl(c2, F_GETFD),
           fcntl(c3, F_GETFD), fcntl(c4, F_GETFD), fcntl(keep, F_GETFD));
    CHECKF(c3 == 40 && c4 >= 50, "fd.dup3_fdupfd_numbers", "c3 %d c4 %d", c3, c4);
    char a[8][12];
    snprintf(a[0], 12, "%d", f);
    snprintf(a[1], 12, "%d", keep);
    snprintf(a[2], 12, "%d", c1);
    snprintf(a[3], 12, "%d", c2);
    snprintf(a[4], 12, "%d", c3);
    snprintf(a[5], 12, "%d", c4);
    char *argv[] = { "fdcheck", "0", "1", "2", a[0], a[1], "--", a[2], a[3], a[4], a[5],
                     NULL };
    int st = run_fdcheck(argv);
    CHECKF(EXITED_WITH(st, 0), "fd.cloexec_at_exec", "fdcheck %s (1+index of wrong arg)",
           status_str(st));

    /* Clearing FD_CLOEXEC keeps it open across exec. */
    fcntl(c1, F_SETFD, 0);
    char *argv2[] = { "fdcheck", a[2], "--", a[3], NULL };
    st = run_fdcheck(argv2);
    CHECKF(EXITED_WITH(st, 0), "fd.cloexec_cleared", "fdcheck %s", status_str(st));

    /* dup gives the lowest free number; dup3 to itself is EINVAL;
     * F_GETFL reports the access mode; F_SETFL O_NONBLOCK on a pipe. */
    close(c2);
    int d = dup(f);
    CHECKF(d == c2, "fd.dup_lowest", "dup %d want %d", d, c2);
    errno = 0;
    CHECK(dup3(f, f, 0) == -1 && errno == EINVAL, "fd.dup3_same_einval");
    CHECK((fcntl(f, F_GETFL) & O_ACCMODE) == O_RDONLY, "fd.getfl");
    pipe(p);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    errno = 0;
    n = read(p[0], buf, 1);
    CHECKF(n == -1 && errno == EAGAIN, "fd.nonblock_pipe", "read %zd errno %d", n, errno);
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK, "fd.getfl_nonblock");

    /* Writing to a pipe without readers: EPIPE and SIGPIPE. */
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    n = write(p[1], "x", 1);
    CHECKF(n == -1 && errno == EPIPE, "fd.epipe", "write %zd errno %d", n, errno);
    signal(SIGPIPE, SIG_DFL);
    pid = fork();
    if (pid == 0) {
        (void)!write(p[1], "x", 1);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    CHECKF(KILLED_BY(st, SIGPIPE), "fd.sigpipe", "%s", status_str(st));
    close(p[1]);

    /* Closed in the child, still open in the parent. */
    pid = fork();
    if (pid == 0) {
        close(keep);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    CHECK(fcntl(keep, F_GETFD) >= 0, "fd.child_close_private");
    return check_done();
}
