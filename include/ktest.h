/* In-kernel tests, declared next to the code they test:
 *
 *     KTEST(frame, alloc_free)
 *     {
 *         paddr_t p = frame_alloc();
 *         KT_ASSERT(t, p != 0, "frame_alloc failed");
 *     }
 *
 * KTEST places a descriptor in the .ktest linker section.  At boot,
 * `ktest=all` or `ktest=<glob>` (matched against "suite.name") runs the
 * selected tests, each in its own kernel thread, prints one line per test
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

struct ktest {
    const char *suite;
    const char *name;
    void (*fn)(struct ktest_ctx *t);
};

#define KTEST(suite_, name_)                                                \
    static void ktest_fn_##suite_##_##name_(struct ktest_ctx *t);           \
    static const struct ktest ktest_##suite_##_##name_                      \
        __section(".ktest") __attribute__((used, aligned(8))) = {           \
            #suite_, #name_, ktest_fn_##suite_##_##name_ };                 \
    static void ktest_fn_##suite_##_##name_(struct ktest_ctx *t __unused)

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

/* Runs the tests selected by ktest= and powers off; returns if there is no
 * ktest= argument. */
void ktest_run_from_cmdline(void);
/* Glob match with * and ?; exported for its own tests. */
bool ktest_glob(const char *pat, const char *s);

#endif
