/* Test helpers for the user-space test programs (user/tests/).
 *
 * Every check prints one line, "PASS name" or "FAIL name: reason", with a
 * single write(2) so lines from parent and child never interleave and no
 * stdio buffer is duplicated by fork.  selfcheck (user/selfcheck.c) counts
 * these lines.  A program ends with `return check_done();`: exit status 0
 * when nothing failed, 1 otherwise.
 *
 *   CHECK(cond, "name")                     reason = the condition's text
 *   CHECKF(cond, "name", "fmt", args...)    reason formatted
 *
 * Header-only on purpose: each test program is a single file plus this. */
#ifndef USER_CHECK_H
#define USER_CHECK_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int check_failures;

/* Formats a line and writes it with one write(2), unbuffered. */
__attribute__((format(printf, 1, 2), unused))
static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    (void)!write(1, buf, n);
}

__attribute__((format(printf, 3, 4), unused))
static int check_report(int ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        say("PASS %s", name);
        return 1;
    }
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    say("FAIL %s: %s", name, reason);
    check_failures++;
    return 0;
}

#define CHECK(cond, name) \
    check_report(!!(cond), (name), "%s (errno %d %s)", #cond, errno, strerror(errno))
#define CHECKF(cond, name, ...) check_report(!!(cond), (name), __VA_ARGS__)

__attribute__((unused))
static int check_done(void)
{
    return check_failures ? 1 : 0;
}

/* Sleeps ms milliseconds (nanosleep, restarted after signal handlers). */
__attribute__((unused))
static void msleep(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Runs fn(arg) in a forked child that then exits 0; returns the wait
 * status, or -1 if fork or waitpid failed. */
__attribute__((unused))
static int run_child(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return st;
}

/* "exited 3", "killed by signal 11", for failure reasons. */
__attribute__((unused))
static const char *status_str(int st)
{
    static char buf[64];
    if (st == -1)
        snprintf(buf, sizeof buf, "fork/wait failed (errno %d)", errno);
    else if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, sizeof buf, "status %#x", st);
    return buf;
}

#define KILLED_BY(st, sig) ((st) != -1 && WIFSIGNALED(st) && WTERMSIG(st) == (sig))
#define EXITED_WITH(st, code) ((st) != -1 && WIFEXITED(st) && WEXITSTATUS(st) == (code))

/* A value from /proc/meminfo in kB ("MemFree", "Slab", ...), -1 if absent.
 * Raw open/read into a static buffer: no heap use that could disturb the
 * figures being measured. */
__attribute__((unused))
static long meminfo_kb(const char *key)
{
    static char buf[4096];
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    size_t klen = strlen(key);
    for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ':')
            return strtol(p + klen + 1, NULL, 10);
    }
    return -1;
}

#endif
