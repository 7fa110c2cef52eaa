/* In-kernel test runner (see ktest.h).  Each selected test runs in its own
 * kernel thread so it may sleep, block and even overflow its stack; the
 * runner waits for it with a timeout. */
#include "ktest.h"
#include "cmdline.h"
#include "mm.h"
#include "panic.h"
#include "printk.h"
#include "sched.h"
#include "string.h"
#include "time.h"

#define KTEST_TIMEOUT_NS    (60 * NSEC_PER_SEC)

extern const struct ktest __ktest_start[], __ktest_end[];

struct ktest_run {
    const struct ktest *test;
    struct ktest_ctx ctx;
    volatile bool done;
    struct waitq wq;
};

void ktest_fail(struct ktest_ctx *t, const char *file, int line,
                const char *fmt, ...)
{
    if (t->failed)
        return;
    t->failed = true;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(t->reason))
        snprintf(t->reason + n, sizeof(t->reason) - n, " (%s:%d)", file, line);
}

bool ktest_glob(const char *pat, const char *s)
{
    for (; *pat; pat++, s++) {
        if (*pat == '*') {
            for (const char *p = s;; p++) {
                if (ktest_glob(pat + 1, p))
                    return true;
                if (!*p)
                    return false;
            }
        }
        if (!*s || (*pat != '?' && *pat != *s))
            return false;
    }
    return *s == 0;
}

static bool ktest_selected_one(const struct ktest *k, const char *pat)
{
    char full[96];
    size_t slen = strlen(k->suite);

    if (strcmp(pat, "all") == 0)
        return k->kind == KTEST_SELF;
    if (k->kind == KTEST_CRASH &&
        (strncmp(pat, k->suite, slen) != 0 || pat[slen] != '.'))
        return false;
    snprintf(full, sizeof(full), "%s.%s", k->suite, k->name);
    return ktest_glob(pat, full);
}

/* The pattern may be a comma-separated list of globs. */
static bool ktest_selected(const struct ktest *k, const char *pats)
{
    char one[64];

    while (*pats) {
        size_t n = 0;
        while (pats[n] && pats[n] != ',')
            n++;
        if (n && n < sizeof(one)) {
            memcpy(one, pats, n);
            one[n] = 0;
            if (ktest_selected_one(k, one))
                return true;
        }
        pats += n;
        if (*pats == ',')
            pats++;
    }
    return false;
}

static void ktest_thread(void *arg)
{
    struct ktest_run *run = arg;

    run->test->fn(&run->ctx);
    run->done = true;
    wake_up(&run->wq);
}

static bool ktest_run_one(const struct ktest *k)
{
    struct ktest_run *run = kzalloc(sizeof(*run));

    if (!run)
        panic("ktest: out of memory");
    run->test = k;
    waitq_init(&run->wq);
    if (!thread_create(k->name, ktest_thread, run)) {
        klog("KTEST FAIL %s.%s: cannot create thread", k->suite, k->name);
        kfree(run);
        return false;
    }
    bool finished = wait_event_timeout(&run->wq, run->done, KTEST_TIMEOUT_NS);
    bool ok = finished && !run->ctx.failed;
    if (ok)
        klog("KTEST PASS %s.%s", k->suite, k->name);
    else
        klog("KTEST FAIL %s.%s: %s", k->suite, k->name,
             finished ? run->ctx.reason : "timed out (hang)");
    if (finished)
        kfree(run);     /* a hung test's thread may still use it: leak it */
    return ok;
}

static void ktest_runner(void *arg)
{
    const char *pat = arg;
    if (strcmp(pat, "list") == 0) {
        for (const struct ktest *k = __ktest_start; k < __ktest_end; k++)
            kprintf("KTEST LIST %s.%s%s\n", k->suite, k->name,
                    k->kind == KTEST_SELF ? "" :
                    k->kind == KTEST_DEVICE ? " [device]" : " [crash]");
        kernel_poweroff(0);
    }
    unsigned pass = 0, fail = 0, selected = 0;
    for (const struct ktest *k = __ktest_start; k < __ktest_end; k++) {
        if (!ktest_selected(k, pat))
            continue;
        selected++;
        if (ktest_run_one(k))
            pass++;
        else
            fail++;
    }
    if (selected == 0) {
        klog("ktest: no test matches '%s'", pat);
        klog("ktest: 0 passed, 0 failed (nothing ran)");
        kernel_poweroff(2);
    }
    klog("ktest: %u passed, %u failed", pass, fail);
    kernel_poweroff(fail ? 1 : 0);
}

KTEST(ktest, glob)
{
    KT_EXPECT(t, ktest_glob("frame.*", "frame.alloc"), "prefix glob");
    KT_EXPECT(t, ktest_glob("*.alloc", "frame.alloc"), "suffix glob");
    KT_EXPECT(t, ktest_glob("fr?me.a*c", "frame.alloc"), "? and *");
    KT_EXPECT(t, !ktest_glob("frame.*", "heap.alloc"), "no match");
    KT_EXPECT(t, !ktest_glob("frame", "frame.alloc"), "must match whole");
}

/* The runner gets its own thread: the boot thread must become the idle
 * thread, which never sleeps. */
void ktest_run_from_cmdline(void)
{
    const char *pat = cmdline_get("ktest");

    if (pat && !thread_create("ktest", ktest_runner, (void *)pat))
        panic("ktest: cannot start the runner");
}
