/* netpoll: NAPI-style scheduled polling for network drivers (the protocol
 * is described in include/netpoll.h; Linux's net/core/dev.c
 * napi_schedule_prep, __napi_schedule, napi_complete_done, net_rx_action).
 * Instances are claimed with an atomic SCHED bit from any context, queued
 * on one list and run by the NET_RX softirq with a global budget. */
#include "netpoll.h"
#include "arch.h"
#include "printk.h"
#include "sched.h"
#include "softirq.h"
#include "spinlock.h"
#include "time.h"

/* Protects poll_list (the scheduled instances waiting to run).  Taken from
 * hard IRQ (netpoll_queue from a handler), softirq (the runner, re-queues)
 * and thread context (a driver scheduling by hand): IRQ-saving. */
static struct spinlock poll_lock = SPINLOCK_INIT("netpoll");
static struct list_head poll_list = LIST_HEAD_INIT(poll_list);

static struct netpoll_global_stats gstats;  /* softirq context only */

/* Counters bumped from hard IRQ as well as softirq/thread context: an
 * interrupt landing inside a plain ++ would lose a count. */
#define STAT_INC(field) __atomic_fetch_add(&(field), 1, __ATOMIC_RELAXED)

void netpoll_init(struct netpoll *np, const char *name,
                  int (*poll)(struct netpoll *, int), int weight, void *priv)
{
    /* Registering is idempotent: make sure the softirq exists even if
     * kmain has not called netpoll_subsys_init() (yet). */
    netpoll_subsys_init();
    np->name = name;
    np->poll = poll;
    np->weight = weight > 0 ? weight : NETPOLL_WEIGHT;
    np->priv = priv;
    np->state = 0;
    list_init(&np->node);
}

bool netpoll_schedule_prep(struct netpoll *np)
{
    uint32_t old = __atomic_load_n(&np->state, __ATOMIC_RELAXED);
    uint32_t new;

    /* Set SCHED; if it was already set, set MISSED too, so the owner's
     * netpoll_complete() fails and the poll runs once more (it may have
     * already looked at the ring when this schedule request came). */
    do {
        if (old & NETPOLL_DISABLE)
            return false;
        new = old | NETPOLL_SCHED;
        if (old & NETPOLL_SCHED)
            new |= NETPOLL_MISSED;
    } while (!__atomic_compare_exchange_n(&np->state, &old, new, false,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (old & NETPOLL_SCHED) {
        STAT_INC(np->stats.missed);
        return false;
    }
    STAT_INC(np->stats.scheduled);
    return true;
}

void netpoll_queue(struct netpoll *np)
{
    uint64_t flags = spin_lock_irqsave(&poll_lock);
    if (list_empty(&np->node))
        list_add_tail(&np->node, &poll_list);
    spin_unlock_irqrestore(&poll_lock, flags);
    softirq_raise(SOFTIRQ_NET_RX);
}

bool netpoll_schedule(struct netpoll *np)
{
    if (!netpoll_schedule_prep(np))
        return false;
    netpoll_queue(np);
    return true;
}

bool netpoll_complete(struct netpoll *np)
{
    uint32_t old = __atomic_load_n(&np->state, __ATOMIC_RELAXED);
    uint32_t new;

    /* Clear SCHED and MISSED, unless MISSED was set: then keep SCHED (we
     * still own it) and go round again. */
    do {
        new = old & ~(NETPOLL_SCHED | NETPOLL_MISSED);
        if (old & NETPOLL_MISSED)
            new |= NETPOLL_SCHED;
    } while (!__atomic_compare_exchange_n(&np->state, &old, new, false,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    if (old & NETPOLL_MISSED) {
        STAT_INC(np->stats.requeued);
        netpoll_queue(np);
        return false;
    }
    np->stats.completed++;
    return true;
}

void netpoll_disable(struct netpoll *np)
{
    /* First refuse new claims; a poll that keeps using its whole budget
     * (a flood) is then completed by the softirq instead of repolled, as
     * Linux does for napi_disable, so this wait is bounded. */
    __atomic_fetch_or(&np->state, NETPOLL_DISABLE, __ATOMIC_ACQ_REL);
    for (;;) {
        uint32_t old = NETPOLL_DISABLE;
        /* Only from idle: a running or queued poll finishes first. */
        if (__atomic_compare_exchange_n(&np->state, &old,
                                        NETPOLL_SCHED | NETPOLL_DISABLE,
                                        false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return;
        sleep_ms(1);    /* queued or polling: let it finish */
    }
}

void netpoll_enable(struct netpoll *np)
{
    __atomic_store_n(&np->state, 0, __ATOMIC_RELEASE);
}

/* The NET_RX softirq (net_rx_action): run what is scheduled, each instance
 * with its weight, until the list is empty or the global budget or time
 * limit is spent; whatever is left goes back on the list and the softirq is
 * raised again, so softirq_run() / ksoftirqd come back to it after other
 * work. */
static void netpoll_softirq(void)
{
    struct list_head todo, repoll;
    int budget = NETPOLL_GLOBAL_BUDGET;
    uint64_t deadline = time_ns() + NETPOLL_TIME_LIMIT_NS;

    list_init(&todo);
    list_init(&repoll);
    gstats.runs++;

    uint64_t flags = spin_lock_irqsave(&poll_lock);
    if (!list_empty(&poll_list)) {
        /* Splice poll_list onto todo. */
        todo.next = poll_list.next;
        todo.prev = poll_list.prev;
        todo.next->prev = &todo;
        todo.prev->next = &todo;
        list_init(&poll_list);
    }
    spin_unlock_irqrestore(&poll_lock, flags);

    while (!list_empty(&todo)) {
        if (budget <= 0 || time_ns() >= deadline) {
            gstats.squeezed++;
            break;
        }
        struct netpoll *np = list_first(&todo, struct netpoll, node);
        list_del(&np->node);    /* off every list while it polls */

        int work = np->poll(np, np->weight);
        np->stats.polls++;
        if (work < 0)
            work = 0;
        np->stats.work += (uint64_t)work;
        budget -= work;
        if (work >= np->weight) {
            /* Budget used: still scheduled, interrupts still off.  Poll
             * again after the others (and after other softirqs), unless
             * netpoll_disable() is waiting: then it is done. */
            np->stats.budget_exhausted++;
            uint32_t st = __atomic_load_n(&np->state, __ATOMIC_ACQUIRE);
            if (st & NETPOLL_DISABLE)
                __atomic_fetch_and(&np->state, ~(NETPOLL_SCHED |
                                                 NETPOLL_MISSED),
                                   __ATOMIC_ACQ_REL);
            else if ((st & NETPOLL_SCHED) && list_empty(&np->node))
                list_add_tail(&np->node, &repoll);
        }
    }

    /* Unpolled ones first, then new arrivals, then the ones to repoll. */
    flags = spin_lock_irqsave(&poll_lock);
    while (!list_empty(&poll_list)) {
        struct list_head *n = poll_list.next;
        list_del(n);
        list_add_tail(n, &todo);
    }
    while (!list_empty(&repoll)) {
        struct list_head *n = repoll.next;
        list_del(n);
        list_add_tail(n, &todo);
    }
    bool more = !list_empty(&todo);
    while (!list_empty(&todo)) {
        struct list_head *n = todo.next;
        list_del(n);
        list_add_tail(n, &poll_list);
    }
    spin_unlock_irqrestore(&poll_lock, flags);
    if (more)
        softirq_raise(SOFTIRQ_NET_RX);
}

void netpoll_subsys_init(void)
{
    softirq_register(SOFTIRQ_NET_RX, netpoll_softirq, "net_rx");
}

void netpoll_global_stats(struct netpoll_global_stats *out)
{
    *out = gstats;
}

void netpoll_dump(const struct netpoll *np)
{
    kprintf("  netpoll %s: weight %d, %s; scheduled %lu missed %lu polls %lu "
            "work %lu budget_exhausted %lu completed %lu requeued %lu\n",
            np->name, np->weight,
            netpoll_is_scheduled(np) ? "scheduled" : "idle",
            (unsigned long)np->stats.scheduled,
            (unsigned long)np->stats.missed, (unsigned long)np->stats.polls,
            (unsigned long)np->stats.work,
            (unsigned long)np->stats.budget_exhausted,
            (unsigned long)np->stats.completed,
            (unsigned long)np->stats.requeued);
}
