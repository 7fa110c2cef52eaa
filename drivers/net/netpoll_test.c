/* In-kernel tests of kernel/netpoll.c (the NAPI-style scheduler) and
 * kernel/netdev.c, with fake poll functions: claiming, MISSED and the
 * failed completion, budget exhaustion, the global budget, disabling; and
 * the receive hand-off counters. */
#include "netdev.h"
#include "netpoll.h"
#include "ktest.h"
#include "sched.h"
#include "string.h"
#include "time.h"

#define WAIT_NS (1000 * NSEC_PER_MSEC)

struct fake {
    struct netpoll np;
    volatile int polls;
    int full_rounds;            /* return the whole budget this many times */
    bool reschedule_once;       /* act as an interrupt during the first poll */
    volatile bool complete_failed;
    volatile bool done;
};

static int fake_poll(struct netpoll *np, int budget)
{
    struct fake *f = np->priv;

    f->polls++;
    if (f->reschedule_once) {
        f->reschedule_once = false;
        /* An interrupt while polling: the claim fails, MISSED is set. */
        if (netpoll_schedule_prep(np))
            f->complete_failed = true;  /* must not happen: we own it */
    }
    if (f->full_rounds > 0) {
        f->full_rounds--;
        return budget;
    }
    if (!netpoll_complete(np)) {
        f->complete_failed = true;
        return 0;
    }
    f->done = true;
    return 1;
}

static bool wait_done(struct fake *f)
{
    uint64_t end = time_ns() + WAIT_NS;
    while (!f->done && time_ns() < end)
        sleep_ms(1);
    return f->done;
}

static void fake_init(struct fake *f, int weight)
{
    memset(f, 0, sizeof(*f));
    netpoll_init(&f->np, "fake", fake_poll, weight, f);
}

KTEST(netpoll, schedule_poll_complete)
{
    static struct fake f;
    fake_init(&f, 0);
    KT_EXPECT(t, f.np.weight == NETPOLL_WEIGHT, "weight %d", f.np.weight);
    /* IRQs off: no softirq may run the poll between the two requests. */
    uint64_t flags = arch_irq_save();
    bool first = netpoll_schedule(&f.np);
    /* A second request while scheduled: refused, remembered as MISSED. */
    bool second = netpoll_schedule(&f.np);
    arch_irq_restore(flags);
    KT_ASSERT(t, first, "first claim failed");
    KT_EXPECT(t, !second, "claimed twice");
    KT_ASSERT(t, wait_done(&f), "never completed (%d polls)", f.polls);
    /* MISSED made the first completion fail and re-run the poll. */
    KT_EXPECT(t, f.polls == 2, "%d polls, want 2", f.polls);
    KT_EXPECT(t, f.np.stats.requeued == 1 && f.np.stats.missed == 1,
              "requeued %lu missed %lu",
              (unsigned long)f.np.stats.requeued,
              (unsigned long)f.np.stats.missed);
    KT_EXPECT(t, !netpoll_is_scheduled(&f.np), "still scheduled");
}

KTEST(netpoll, missed_during_poll)
{
    static struct fake f;
    fake_init(&f, 0);
    f.reschedule_once = true;
    netpoll_schedule(&f.np);
    KT_ASSERT(t, wait_done(&f), "never completed");
    KT_EXPECT(t, f.polls == 2, "%d polls, want 2", f.polls);
    KT_EXPECT(t, f.np.state == 0, "state %#x", f.np.state);
}

/* A poll that uses its whole budget stays scheduled and runs again. */
KTEST(netpoll, budget_exhausted_repolls)
{
    static struct fake f;
    fake_init(&f, 8);
    f.full_rounds = 5;
    netpoll_schedule(&f.np);
    KT_ASSERT(t, wait_done(&f), "never completed (%d polls)", f.polls);
    KT_EXPECT(t, f.polls == 6, "%d polls, want 6", f.polls);
    KT_EXPECT(t, f.np.stats.budget_exhausted == 5, "exhausted %lu",
              (unsigned long)f.np.stats.budget_exhausted);
    KT_EXPECT(t, f.np.stats.work == 5 * 8 + 1, "work %lu",
              (unsigned long)f.np.stats.work);
}

/* Many busy instances: the global budget splits the work over several
 * softirq runs (some "squeezed"), and every one still completes. */
KTEST(netpoll, global_budget)
{
    static struct fake f[8];
    struct netpoll_global_stats g0, g1;
    netpoll_global_stats(&g0);
    uint64_t flags = arch_irq_save();   /* queue all before any runs */
    for (int i = 0; i < 8; i++) {
        fake_init(&f[i], NETPOLL_WEIGHT);
        f[i].full_rounds = 3;
        netpoll_schedule(&f[i].np);
    }
    arch_irq_restore(flags);
    for (int i = 0; i < 8; i++)
        KT_EXPECT(t, wait_done(&f[i]), "instance %d never completed", i);
    netpoll_global_stats(&g1);
    /* 8 * 3 * 64 = 1536 items at 300 per run: at least 5 runs. */
    KT_EXPECT(t, g1.runs - g0.runs >= 5, "%lu runs",
              (unsigned long)(g1.runs - g0.runs));
    KT_EXPECT(t, g1.squeezed > g0.squeezed, "never squeezed");
}

KTEST(netpoll, disable_refuses_claims)
{
    static struct fake f;
    fake_init(&f, 0);
    netpoll_disable(&f.np);
    KT_EXPECT(t, !netpoll_schedule(&f.np), "claimed while disabled");
    KT_EXPECT(t, f.np.stats.missed == 0, "disabled claim counted as missed");
    sleep_ms(5);
    KT_EXPECT(t, f.polls == 0, "polled while disabled");
    netpoll_enable(&f.np);
    KT_EXPECT(t, netpoll_schedule(&f.np), "claim after enable failed");
    KT_EXPECT(t, wait_done(&f), "never completed after enable");
}

static int handled;
static void count_handler(struct netdev *nd, const void *frame, size_t len,
                          unsigned flags)
{
    handled++;
}

KTEST(netdev, rx_counters)
{
    static struct netdev nd;
    uint8_t frame[60] = { 0 };
    memset(&nd, 0, sizeof(nd));
    netdev_rx(&nd, frame, sizeof(frame), 0);
    KT_EXPECT(t, nd.stats.rx_drop_nohandler == 1, "no handler: not counted");
    nd.rx_handler = count_handler;
    handled = 0;
    netdev_rx(&nd, frame, sizeof(frame), 0);
    KT_EXPECT(t, handled == 1, "handler called %d times", handled);
    KT_EXPECT(t, nd.stats.rx_packets == 2 && nd.stats.rx_bytes == 120,
              "rx %lu packets %lu bytes", (unsigned long)nd.stats.rx_packets,
              (unsigned long)nd.stats.rx_bytes);
}
