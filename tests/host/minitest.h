/* Minimal assertions for host unit tests.
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_EQ(y, 2); }
 *   int main(void) { MT_RUN(test_something); return mt_finish(); }
 *
 * Each MT_RUN group prints one line ("PASS name (n checks)" or "FAIL ...",
 * after a line per failed check); mt_finish() prints "N passed, N failed"
 * (counting checks) and returns the exit status, non-zero on any failure.
 * Checks do not abort, so one run reports every failure. */
#ifndef MINITEST_H
#define MINITEST_H

#include <stdio.h>

static int mt_passed, mt_failed;
static int mt_group_checks, mt_group_failed;

static inline int mt_check(int ok, const char *expr, const char *file,
                           int line)
{
    mt_group_checks++;
    if (ok) {
        mt_passed++;
    } else {
        mt_failed++;
        mt_group_failed++;
        printf("  check failed: %s (%s:%d)\n", expr, file, line);
    }
    return ok;
}

static inline int mt_check_eq(long long a, long long b, const char *ea,
                              const char *eb, const char *file, int line)
{
    int ok = mt_check(a == b, ea, file, line);
    if (!ok)
        printf("    %s = %lld (%#llx), %s = %lld (%#llx)\n", ea, a,
               (unsigned long long)a, eb, b, (unsigned long long)b);
    return ok;
}

#define CHECK(cond)     mt_check(!!(cond), #cond, __FILE__, __LINE__)
/* Integers (up to 64 bits), printed on failure. */
#define CHECK_EQ(a, b)  mt_check_eq((long long)(a), (long long)(b), #a, #b, \
                                    __FILE__, __LINE__)
/* Strings, NULL-safe. */
#define CHECK_STR(a, b) mt_check_str((a), (b), #a, __FILE__, __LINE__)

static inline int mt_check_str(const char *a, const char *b, const char *ea,
                               const char *file, int line)
{
    int ok = a != NULL && b != NULL;
    if (ok) {
        const char *p = a, *q = b;
        while (*p && *p == *q)
            p++, q++;
        ok = *p == *q;
    }
    ok = mt_check(ok, ea, file, line);
    if (!ok)
        printf("    got \"%s\", want \"%s\"\n", a ? a : "(null)",
               b ? b : "(null)");
    return ok;
}

static inline void mt_run(void (*fn)(void), const char *name)
{
    mt_group_checks = 0;
    mt_group_failed = 0;
    fn();
    if (mt_group_failed)
        printf("FAIL %s (%d of %d checks failed)\n", name, mt_group_failed,
               mt_group_checks);
    else
        printf("PASS %s (%d checks)\n", name, mt_group_checks);
    fflush(stdout);
}

#define MT_RUN(fn)      mt_run(fn, #fn)

static inline int mt_finish(void)
{
    printf("%d passed, %d failed\n", mt_passed, mt_failed);
    return mt_failed ? 1 : 0;
}

#endif
