/* /proc per process and CPU time: /proc/self is a link to the caller's
 * /proc/<pid>; stat shows pid, comm, state, ppid, pgrp, session as the
 * kernel knows them; cmdline is argv; a zombie shows state Z and an empty
 * cmdline until reaped, after which its directory is gone; a busy child's
 * CPU time reaches the parent through wait4's rusage, getrusage
 * (RUSAGE_CHILDREN) and times(); CLOCK_PROCESS_CPUTIME_ID advances with
 * work and not with sleep. */
#include "check.h"
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <stdint.h>

static int read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = 0;
    return (int)n;
}

/* Fields 3.. of a stat line, after "pid (comm) ". */
struct stat_line {
    int pid;
    char comm[32];
    char state;
    int ppid, pgrp, session;
};

static int parse_stat(const char *path, struct stat_line *s)
{
    char buf[1024];
    if (read_file(path, buf, sizeof buf) <= 0)
        return -1;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren)
        return -1;
    s->pid = atoi(buf);
    size_t n = (size_t)(close_paren - open_paren - 1);
    if (n >= sizeof s->comm)
        n = sizeof s->comm - 1;
    memcpy(s->comm, open_paren + 1, n);
    s->comm[n] = 0;
    return sscanf(close_paren + 2, "%c %d %d %d", &s->state, &s->ppid,
                  &s->pgrp, &s->session) == 4 ? 0 : -1;
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static volatile unsigned long sink;

static void spin_ms(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        for (int i = 0; i < 10000; i++)
            sink += (unsigned long)i;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

int main(int argc, char **argv)
{
    char link[32], want[32];
    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    snprintf(want, sizeof want, "%d", getpid());
    if (n >= 0)
        link[n] = 0;
    CHECKF(n > 0 && strcmp(link, want) == 0, "procfs.self_link",
           "readlink /proc/self = %zd '%s', pid %s", n, n > 0 ? link : "", want);

    struct stat_line s;
    int r = parse_stat("/proc/self/stat", &s);
    CHECKF(r == 0 && s.pid == getpid() && strcmp(s.comm, "t_procfs") == 0 &&
           s.state == 'R' && s.ppid == getppid() && s.pgrp == getpgrp() &&
           s.session == getsid(0),
           "procfs.self_stat", "r %d pid %d comm %s state %c ppid %d pgrp %d sid %d",
           r, s.pid, s.comm, s.state, s.ppid, s.pgrp, s.session);

    char buf[512];
    int len = read_file("/proc/self/cmdline", buf, sizeof buf);
    int ok = len > 0;
    size_t off = 0;
    for (int i = 0; ok && i < argc; i++) {
        ok = off < (size_t)len && strcmp(buf + off, argv[i]) == 0;
        off += strlen(argv[i]) + 1;
    }
    CHECKF(ok && off == (size_t)len, "procfs.cmdline", "len %d, argv[0] %s", len, argv[0]);

    len = read_file("/proc/self/status", buf, sizeof buf);
    CHECKF(len > 0 && strstr(buf, "Name:\tt_procfs\n") &&
           strstr(buf, "State:\tR (running)"), "procfs.status", "%.80s", buf);

    len = read_file("/proc/1/comm", buf, sizeof buf);
    CHECKF(len > 0 && strcmp(buf, "init\n") == 0, "procfs.init_comm", "'%s'", buf);

    /* A zombie: state Z, empty cmdline; gone once reaped. */
    pid_t c = fork();
    if (c == 0) {
        spin_ms(150);       /* CPU time for the rusage checks below */
        _exit(7);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    int zombie = 0;
    for (int i = 0; i < 500 && !zombie; i++) {      /* 5 s at most */
        zombie = parse_stat(path, &s) == 0 && s.state == 'Z';
        if (!zombie)
            msleep(10);
    }
    CHECKF(zombie && s.pid == c && s.ppid == getpid(), "procfs.zombie_state",
           "state %c pid %d ppid %d", s.state, s.pid, s.ppid);
    snprintf(path, sizeof path, "/proc/%d/cmdline", c);
    CHECKF(read_file(path, buf, sizeof buf) == 0, "procfs.zombie_cmdline_empty",
           "'%s'", buf);
    struct rusage ru;
    int st;
    memset(&ru, 0, sizeof ru);
    pid_t w = wait4(c, &st, 0, &ru);
    uint64_t ru_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
                     (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
    /* The child spun 150 ms of wall time, all of it runnable; allow for a
     * busy host taking some of it elsewhere, but it is not zero. */
    CHECKF(w == c && WIFEXITED(st) && WEXITSTATUS(st) == 7 && ru_us >= 50000,
           "procfs.wait4_rusage", "w %d st %#x cpu %llu us", w, st,
           (unsigned long long)ru_us);
    snprintf(path, sizeof path, "/proc/%d", c);
    struct stat sb;
    CHECKF(stat(path, &sb) == -1 && errno == ENOENT, "procfs.reaped_gone",
           "stat %s: %s", path, strerror(errno));

    struct rusage ch;
    getrusage(RUSAGE_CHILDREN, &ch);
    uint64_t ch_us = (uint64_t)ch.ru_utime.tv_sec * 1000000 + (uint64_t)ch.ru_utime.tv_usec +
                     (uint64_t)ch.ru_stime.tv_sec * 1000000 + (uint64_t)ch.ru_stime.tv_usec;
    struct tms t;
    clock_t now = times(&t);
    CHECKF(ch_us >= ru_us && now > 0 && t.tms_cutime + t.tms_cstime >= 5,
           "procfs.children_times", "children %llu us, tms_cutime %ld cstime %ld",
           (unsigned long long)ch_us, (long)t.tms_cutime, (long)t.tms_cstime);

    uint64_t c0 = cpu_ns();
    msleep(100);
    uint64_t c1 = cpu_ns();
    spin_ms(100);
    uint64_t c2 = cpu_ns();
    CHECKF(c1 - c0 < 50000000u && c2 - c1 >= 30000000u, "procfs.cputime_clock",
           "sleeping 100 ms used %llu us, spinning 100 ms used %llu us",
           (unsigned long long)(c1 - c0) / 1000, (unsigned long long)(c2 - c1) / 1000);
    return check_done();
}
