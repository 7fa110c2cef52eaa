/* The self-check runner: runs each test program (the arguments, or every
 * file in /bin/tests/ in name order) with fork + execve + waitpid, its
 * stdout and stderr on a pipe that selfcheck relays line by line to the
 * console while counting "PASS " and "FAIL " lines.  A program that exits
 * non-zero without a FAIL line, dies from a signal, prints no result at all
 * or runs longer than TEST_TIMEOUT_MS counts as one more failure.  Ends with
 * "selfcheck: N passed, N failed" and exits 0 only if nothing failed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TESTS_DIR       "/bin/tests"
#define MAX_TESTS       64
#define TEST_TIMEOUT_MS 120000

static int passed, failed;

static void out(const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(1, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= w;
    }
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Relays one complete line and counts it. */
static void line(const char *s, size_t n, int *results, int *fails)
{
    if (n >= 5 && memcmp(s, "PASS ", 5) == 0) {
        passed++;
        (*results)++;
    } else if (n >= 5 && memcmp(s, "FAIL ", 5) == 0) {
        failed++;
        (*results)++;
        (*fails)++;
    }
    out(s, n);
    out("\n", 1);
}

static void run_test(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char buf[4096];
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        printf("FAIL %s: pipe2: %s\n", name, strerror(errno));
        fflush(stdout);
        failed++;
        return;
    }
    printf("selfcheck: running %s\n", name);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        char *argv[] = { (char *)path, NULL };
        char *envp[] = { "PATH=/bin", NULL };
        execve(path, argv, envp);
        dprintf(1, "FAIL %s: execve: %s\n", name, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    if (pid < 0) {
        printf("FAIL %s: fork: %s\n", name, strerror(errno));
        fflush(stdout);
        failed++;
        close(p[0]);
        return;
    }

    int results = 0, fails = 0, timed_out = 0;
    size_t have = 0;
    long deadline = now_ms() + TEST_TIMEOUT_MS;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            printf("selfcheck: poll: %s\n", strerror(errno));
            break;
        }
        if (r == 0)
            continue;
        ssize_t n = read(p[0], buf + have, sizeof buf - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;                      /* EOF: every writer is gone */
        have += n;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', buf + have - start))) {
            line(start, nl - start, &results, &fails);
            start = nl + 1;
        }
        have = buf + have - start;
        memmove(buf, start, have);
        if (have == sizeof buf - 1) {   /* an overlong line: pass it on */
            line(buf, have, &results, &fails);
            have = 0;
        }
    }
    if (have)
        line(buf, have, &results, &fails);
    close(p[0]);

    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        printf("FAIL %s: no exit within %d s, killed\n", name, TEST_TIMEOUT_MS / 1000);
        failed++;
    } else if (WIFSIGNALED(st)) {
        printf("FAIL %s: killed by signal %d\n", name, WTERMSIG(st));
        failed++;
    } else if (results == 0) {
        printf("FAIL %s: no PASS/FAIL lines (exit %d)\n", name, WEXITSTATUS(st));
        failed++;
    } else if (WEXITSTATUS(st) != 0 && fails == 0) {
        printf("FAIL %s: exit status %d without a FAIL line\n", name, WEXITSTATUS(st));
        failed++;
    }
    fflush(stdout);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run_test(argv[i]);
    } else {
        static char *names[MAX_TESTS];
        int n = 0;
        DIR *d = opendir(TESTS_DIR);
        if (!d) {
            printf("FAIL selfcheck.opendir: %s: %s\n", TESTS_DIR, strerror(errno));
            failed++;
        }
        struct dirent *e;
        while (d && (e = readdir(d)) && n < MAX_TESTS) {
            if (e->d_name[0] == '.')
                continue;
            if (asprintf(&names[n], "%s/%s", TESTS_DIR, e->d_name) > 0)
                n++;
        }
        if (d)
            closedir(d);
        qsort(names, n, sizeof names[0], cmp);
        for (int i = 0; i < n; i++)
            run_test(names[i]);
    }
    printf("selfcheck: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
