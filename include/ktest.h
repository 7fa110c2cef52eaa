/* In-kernel tests, declared next to the code they test:
 *
 *     KTEST(frame, alloc_free)
 *     {
 *         paddr_t p = frame_alloc();
 *         KT_ASSERT(t, p != 0, "frame_alloc failed");
 *     }
 *
 * KTEST places a descriptor in the .ktest linker section.  At boot,
 * `ktest=all` (self-contained tests) or `ktest=<glob>[,<glob>...]` (matched
 * against "suite.name") runs the selected tests, each in its own kernel thread, prints one line per test
 *     KTEST PASS suite.name
 *     KTEST FAIL suite.name: reason
 * then "ktest: N passed, N failed" and powers off (status 0 if all passed).
 */
#ifndef KTEST_H
#define KTEST_H

#include "kernel.h"

struct ktest_ctx {
    bool failed;
    char reason[160];
};

/* Test kinds.  `ktest=all` runs only self-contained tests; the others run
 * when a glob names them, from harness tests that supply what they need. */
#define KTEST_SELF      0       /* needs nothing but the kernel */
#define KTEST_DEVICE    1       /* needs QEMU devices or a network peer */
#define KTEST_CRASH     2       /* crashes the kernel on purpose; runs only
                                   when the pattern starts with its suite */

struct ktest {
    const char *suite;
    const char *name;
    void (*fn)(struct ktest_ctx *t);
    unsigned kind;
};

#define KTEST_KIND(suite_, name_, kind_)                                    \
    static void ktest_fn_##suite_##_##name_(struct ktest_ctx *t);           \
    static const struct ktest ktest_##suite_##_##name_                      \
        __section(".ktest") __attribute__((used, aligned(8))) = {           \
            #suite_, #name_, ktest_fn_##suite_##_##name_, kind_ };          \
    static void ktest_fn_##suite_##_##name_(struct ktest_ctx *t __unused)

#define KTEST(suite_, name_)        KTEST_KIND(suite_, name_, KTEST_SELF)
/* A test that needs devices: it must FAIL, saying what is missing, when
 * run without them. */
#define KTEST_DEV(suite_, name_)    KTEST_KIND(suite_, name_, KTEST_DEVICE)
#define KTEST_CRASHES(suite_, name_) KTEST_KIND(suite_, name_, KTEST_CRASH)

void ktest_fail(struct ktest_ctx *t, const char *file, int line,
                const char *fmt, ...) __printf(4, 5);

/* Record a failure (the first reason is kept) and continue. */
#define KT_EXPECT(t, cond, ...)                                             \
    do {                                                                    \
        if (!(cond))                                                        \
            ktest_fail((t), __FILE__, __LINE__, __VA_ARGS__);               \
    } while (0)

/* Record a failure and leave the test function. */
#define KT_ASSERT(t, cond, ...)                                             \
    do {                                                                    \
        if (!(cond)) {                                                      \
            ktest_fail((t), __FILE__, __LINE__, __VA_ARGS__);               \
            return;                                                         \
        }                                                                   \
    } while (0)

/* Starts a thread that runs the tests selected by ktest= and powers off;
 * does nothing without a ktest= argument. */
void ktest_run_from_cmdline(void);
/* Glob match with * and ?; exported for its own tests. */
bool ktest_glob(const char *pat, const char *s);

#endif
