/* Bad user pointers give -EFAULT from every syscall that takes one, never
 * a crash (Linux returns EFAULT from copy_{from,to}_user failures).  Each
 * call is made with raw syscall() three times: with address 1 (unmapped,
 * page 0), a kernel-half address (0xffff000000000000) and a page just
 * munmap'ed.  Also huge lengths and negative descriptors. */
#include "check.h"
#include <dirent.h>
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>

static uintptr_t bad_addrs[3];
static const char *bad_names[3] = { "low", "kernel", "unmapped" };
static int rfd, wfd, dirfd_root;

/* Each case: a name and a call given the bad pointer. */
struct efault_case {
    const char *name;
    long (*call)(uintptr_t bad);
};

static char okbuf[256];
static struct stat okst;

#define CASE(nm, expr) \
    static long c_##nm(uintptr_t bad) { return (expr); }
CASE(read, syscall(SYS_read, rfd, bad, 1))
CASE(write, syscall(SYS_write, wfd, bad, 1))
CASE(pread64, syscall(SYS_pread64, dirfd_root, bad, 1, 0))
CASE(readv_iov, syscall(SYS_readv, rfd, bad, 1))
CASE(writev_iov, syscall(SYS_writev, wfd, bad, 1))
CASE(openat_path, syscall(SYS_openat, AT_FDCWD, bad, O_RDONLY))
CASE(newfstatat_path, syscall(SYS_newfstatat, AT_FDCWD, bad, &okst, 0))
CASE(newfstatat_buf, syscall(SYS_newfstatat, AT_FDCWD, "/", bad, 0))
CASE(fstat_buf, syscall(SYS_fstat, rfd, bad))
CASE(getdents64, syscall(SYS_getdents64, dirfd_root, bad, 4096))
CASE(faccessat, syscall(SYS_faccessat, AT_FDCWD, bad, F_OK))
CASE(chdir, syscall(SYS_chdir, bad))
CASE(getcwd, syscall(SYS_getcwd, bad, 256))
CASE(mkdirat, syscall(SYS_mkdirat, AT_FDCWD, bad, 0755))
CASE(unlinkat, syscall(SYS_unlinkat, AT_FDCWD, bad, 0))
CASE(renameat_old, syscall(SYS_renameat, AT_FDCWD, bad, AT_FDCWD, "/tmp/x"))
CASE(pipe2, syscall(SYS_pipe2, bad, 0))
CASE(ppoll_fds, syscall(SYS_ppoll, bad, 1, NULL, NULL, 8))
CASE(ppoll_timeout, syscall(SYS_ppoll, NULL, 0, bad, NULL, 8))
CASE(execve_path, syscall(SYS_execve, bad, NULL, NULL))
CASE(execve_argv, syscall(SYS_execve, "/bin/tiny", bad, NULL))
CASE(rt_sigaction_act, syscall(SYS_rt_sigaction, SIGUSR1, bad, NULL, 8))
CASE(rt_sigaction_old, syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad, 8))
CASE(rt_sigprocmask_set, syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad, NULL, 8))
CASE(rt_sigprocmask_old, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bad, 8))
CASE(rt_sigpending, syscall(SYS_rt_sigpending, bad, 8))
CASE(rt_sigsuspend, syscall(SYS_rt_sigsuspend, bad, 8))
CASE(sigaltstack_new, syscall(SYS_sigaltstack, bad, NULL))
CASE(sigaltstack_old, syscall(SYS_sigaltstack, NULL, bad))
CASE(clock_gettime, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad))
CASE(clock_getres, syscall(SYS_clock_getres, CLOCK_MONOTONIC, bad))
CASE(clock_nanosleep, syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, bad, NULL))
CASE(nanosleep, syscall(SYS_nanosleep, bad, NULL))
CASE(gettimeofday, syscall(SYS_gettimeofday, bad, NULL))
CASE(uname, syscall(SYS_uname, bad))
CASE(sysinfo, syscall(SYS_sysinfo, bad))
CASE(getrandom, syscall(SYS_getrandom, bad, 16, 0))
CASE(prlimit64_old, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, bad))
CASE(prlimit64_new, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, bad, NULL))

static const struct efault_case cases[] = {
#define E(nm) { #nm, c_##nm }
    E(read), E(write), E(pread64), E(readv_iov), E(writev_iov), E(openat_path),
    E(newfstatat_path), E(newfstatat_buf), E(fstat_buf), E(getdents64),
    E(faccessat), E(chdir), E(getcwd), E(mkdirat), E(unlinkat), E(renameat_old),
    E(pipe2), E(ppoll_fds), E(ppoll_timeout), E(execve_path), E(execve_argv),
    E(rt_sigaction_act), E(rt_sigaction_old), E(rt_sigprocmask_set),
    E(rt_sigprocmask_old), E(rt_sigpending), E(rt_sigsuspend), E(sigaltstack_new),
    E(sigaltstack_old), E(clock_gettime), E(clock_getres), E(clock_nanosleep),
    E(nanosleep), E(gettimeofday), E(uname), E(sysinfo), E(getrandom),
    E(prlimit64_old), E(prlimit64_new),
};

int main(void)
{
    int p[2];
    pipe(p);
    rfd = p[0];
    wfd = p[1];
    dirfd_root = open("/", O_RDONLY | O_DIRECTORY);
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page, 4096);
    bad_addrs[0] = 1;
    bad_addrs[1] = 0xffff000000000000UL;
    bad_addrs[2] = (uintptr_t)page;

    /* pread64 on a directory is EISDIR before any copy: use a file. */
    int f = open("/bin/tiny", O_RDONLY);
    if (f >= 0)
        dirfd_root = f;
    int dirfd = open("/", O_RDONLY | O_DIRECTORY);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int bad = 0;
        char why[200] = "";
        for (int a = 0; a < 3; a++) {
            /* read needs data waiting, or it would block. */
            if (cases[i].call == c_read)
                (void)!write(wfd, "z", 1);
            if (cases[i].call == c_getdents64)
                dirfd_root = dirfd;
            errno = 0;
            long r = cases[i].call(bad_addrs[a]);
            if (cases[i].call == c_getdents64)
                dirfd_root = f;
            if (r != -1 || errno != EFAULT) {
                if (!bad++)
                    snprintf(why, sizeof why, "%s address %#lx: returned %ld errno %d (%s)",
                             bad_names[a], (unsigned long)bad_addrs[a], r, errno,
                             strerror(errno));
            }
            if (cases[i].call == c_read) {       /* drain what was not read */
                struct pollfd pf = { rfd, POLLIN, 0 };
                while (poll(&pf, 1, 0) == 1)
                    (void)!read(rfd, okbuf, sizeof okbuf);
            }
        }
        char name[80];
        snprintf(name, sizeof name, "efault.%s", cases[i].name);
        CHECKF(bad == 0, name, "%s", why);
    }

    /* wait4 with a bad status pointer and a zombie to report. */
    pid_t c = fork();
    if (c == 0)
        _exit(0);
    msleep(50);
    errno = 0;
    long r = syscall(SYS_wait4, c, 1UL, 0, NULL);
    CHECKF(r == -1 && errno == EFAULT, "efault.wait4_status", "returned %ld errno %d", r, errno);
    waitpid(c, NULL, 0);                     /* reaped or not: clean up */
    c = fork();
    if (c == 0)
        _exit(0);
    msleep(50);
    errno = 0;
    r = syscall(SYS_wait4, c, NULL, 0, 0xffff000000000000UL);
    CHECKF(r == -1 && errno == EFAULT, "efault.wait4_rusage", "returned %ld errno %d", r, errno);
    waitpid(c, NULL, 0);

    c = fork();
    if (c == 0)
        _exit(0);
    msleep(50);
    errno = 0;
    r = syscall(SYS_waitid, P_PID, c, 1UL, WEXITED, NULL);
    CHECKF(r == -1 && errno == EFAULT, "efault.waitid_info", "returned %ld errno %d", r, errno);
    waitpid(c, NULL, 0);

    /* A tty ioctl with a bad argument, on the console (fd 1 is
     * selfcheck's pipe). */
    struct termios t;
    int con = open("/dev/console", O_RDWR | O_NOCTTY);
    if (con >= 0 && tcgetattr(con, &t) == 0) {
        errno = 0;
        r = syscall(SYS_ioctl, con, TCGETS, 1UL);
        CHECKF(r == -1 && errno == EFAULT, "efault.ioctl_tcgets", "returned %ld errno %d", r, errno);
        errno = 0;
        r = syscall(SYS_ioctl, con, TIOCGWINSZ, 0xffff000000000000UL);
        CHECKF(r == -1 && errno == EFAULT, "efault.ioctl_tiocgwinsz", "returned %ld errno %d",
               r, errno);
    } else {
        CHECKF(0, "efault.ioctl_tcgets", "no terminal on /dev/console (fd %d, errno %d)", con,
               errno);
    }
    if (con >= 0)
        close(con);

    /* Huge lengths: EFAULT (the range is not user memory), not a crash. */
    errno = 0;
    r = syscall(SYS_write, wfd, okbuf, (size_t)-1 >> 1);
    CHECKF(r == -1 && (errno == EFAULT || errno == EINVAL), "badarg.write_huge_len",
           "returned %ld errno %d", r, errno);
    (void)!write(wfd, "z", 1);
    errno = 0;
    r = syscall(SYS_read, rfd, okbuf, (size_t)-1);
    CHECKF(r == -1 && (errno == EFAULT || errno == EINVAL), "badarg.read_huge_len",
           "returned %ld errno %d", r, errno);
    errno = 0;
    r = syscall(SYS_getcwd, okbuf, (size_t)-1);
    CHECKF(r > 0 || (r == -1 && (errno == EFAULT || errno == ERANGE)), "badarg.getcwd_huge_len",
           "returned %ld errno %d", r, errno);
    /* getrandom writes as much as it can (Linux: up to the first fault),
     * so the buffer is the last 16 bytes before an unmapped page. */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    errno = 0;
    r = syscall(SYS_getrandom, two + 4096 - 16, (size_t)-1, 0);
    CHECKF(r == 16 || (r == -1 && (errno == EFAULT || errno == EINVAL)),
           "badarg.getrandom_huge_len", "returned %ld errno %d", r, errno);
    /* A negative length as ssize_t: EINVAL (Linux copy_iovec_from_user). */
    struct iovec iov[2] = { { okbuf, 1 }, { okbuf, (size_t)-1 } };
    errno = 0;
    r = syscall(SYS_writev, wfd, iov, 2);
    CHECKF(r == -1 && errno == EINVAL, "badarg.writev_huge_len",
           "returned %ld errno %d", r, errno);
    errno = 0;
    r = syscall(SYS_writev, wfd, iov, 100000);
    CHECKF(r == -1 && errno == EINVAL, "badarg.writev_huge_iovcnt", "returned %ld errno %d",
           r, errno);
    errno = 0;
    r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, NULL, 1000);
    CHECKF(r == -1 && errno == EINVAL, "badarg.sigsetsize", "returned %ld errno %d", r, errno);

    /* Negative and closed descriptors: EBADF. */
    static const int fds[] = { -1, -1000, 0x7fffffff, 1000 };
    int badfd = 0;
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        int fd = fds[i];
        errno = 0;
        if (syscall(SYS_read, fd, okbuf, 1) != -1 || errno != EBADF) badfd++;
        errno = 0;
        if (syscall(SYS_write, fd, okbuf, 1) != -1 || errno != EBADF) badfd++;
        errno = 0;
        if (syscall(SYS_close, fd) != -1 || errno != EBADF) badfd++;
        errno = 0;
        if (syscall(SYS_fstat, fd, &okst) != -1 || errno != EBADF) badfd++;
        errno = 0;
        if (syscall(SYS_dup, fd) != -1 || errno != EBADF) badfd++;
        errno = 0;
        if (syscall(SYS_lseek, fd, 0, SEEK_SET) != -1 || errno != EBADF) badfd++;
        errno = 0;
        if (syscall(SYS_fcntl, fd, F_GETFD) != -1 || errno != EBADF) badfd++;
    }
    CHECKF(badfd == 0, "badarg.bad_fds_ebadf", "%d calls did not give EBADF", badfd);
    errno = 0;
    r = syscall(SYS_dup3, rfd, -1, 0);
    CHECKF(r == -1 && errno == EBADF, "badarg.dup3_negative", "returned %ld errno %d", r, errno);

    /* A path longer than PATH_MAX: ENAMETOOLONG. */
    static char longpath[8192];
    memset(longpath, 'a', sizeof longpath - 1);
    errno = 0;
    r = syscall(SYS_openat, AT_FDCWD, longpath, O_RDONLY);
    CHECKF(r == -1 && errno == ENAMETOOLONG, "badarg.path_too_long", "returned %ld errno %d",
           r, errno);

    /* Still alive, and the pointers that are fine still work. */
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "efault.survived");
    return check_done();
}
