/* netpoll: our NAPI.  A driver's bottom half, run from the NET_RX softirq
 * with a budget, that owns its queue while scheduled.  The protocol is
 * Linux's (napi_schedule_prep / __napi_schedule / napi_complete_done), see
 * STYLE.md d.1:
 *
 *   interrupt:  if (netpoll_schedule_prep(np)) {   // claim; else MISSED set
 *                   suppress the device;           // vq_disable_cb, mask
 *                   netpoll_queue(np);             // list + raise softirq
 *               }
 *   poll(np, budget):
 *               work = up to budget items;
 *               if (work == budget) return work;   // stay scheduled
 *               re-arm the device, snapshot;       // vq_enable_cb_prepare
 *               if (!netpoll_complete(np))         // MISSED: re-queued
 *                   suppress again;
 *               else if (new work since snapshot)  // vq_poll: full barrier
 *                   claim + suppress + queue again;
 *               return work;
 *
 * A poll that returns its whole budget must not call netpoll_complete(): it
 * stays scheduled and the softirq runs it again later (after other work,
 * and in ksoftirqd if the softirq keeps finding work).  The softirq gives
 * all instances together NETPOLL_GLOBAL_BUDGET items (and about 2 ms) per
 * run, then reschedules whatever is left. */
#ifndef NETPOLL_H
#define NETPOLL_H

#include "kernel.h"
#include "list.h"

#define NETPOLL_WEIGHT          64      /* per-instance budget per poll */
#define NETPOLL_GLOBAL_BUDGET   300     /* items per softirq run, all polls */
#define NETPOLL_TIME_LIMIT_NS   2000000 /* and at most this long */

/* state bits (atomic) */
#define NETPOLL_SCHED           (1u << 0)   /* claimed: on a list or polling */
#define NETPOLL_MISSED          (1u << 1)   /* a schedule came while SCHED */
#define NETPOLL_DISABLE         (1u << 2)   /* out of service: no claims */

struct netpoll_stats {
    uint64_t scheduled;         /* successful claims */
    uint64_t missed;            /* claims that found it already scheduled */
    uint64_t polls;             /* poll callback runs */
    uint64_t work;              /* items the polls reported */
    uint64_t budget_exhausted;  /* polls that used their whole weight */
    uint64_t completed;         /* netpoll_complete() succeeded */
    uint64_t requeued;          /* netpoll_complete() found MISSED */
};

struct netpoll {
    const char *name;
    int weight;
    int (*poll)(struct netpoll *np, int budget);
    void *priv;

    volatile uint32_t state;    /* NETPOLL_*, changed with atomics only */
    /* On the poll list while scheduled and waiting; protected by the
     * netpoll list lock in kernel/netpoll.c (IRQ-saving: the list is
     * appended to from hard IRQ and softirq context). */
    struct list_head node;
    struct netpoll_stats stats;
};

/* Registers the NET_RX softirq.  Call from kmain before the drivers;
 * netpoll_init() also does it (registering again is harmless). */
void netpoll_subsys_init(void);

/* weight 0 means NETPOLL_WEIGHT. */
void netpoll_init(struct netpoll *np, const char *name,
                  int (*poll)(struct netpoll *, int), int weight, void *priv);

/* Claim: true if the caller now owns the instance and must queue it; false
 * if it was already scheduled (MISSED is then set, so the running poll goes
 * round once more).  Context: any. */
bool netpoll_schedule_prep(struct netpoll *np);
/* Put a claimed instance on the poll list and raise NET_RX.  Context: any. */
void netpoll_queue(struct netpoll *np);
/* prep + queue; returns whether this call scheduled it. */
bool netpoll_schedule(struct netpoll *np);
/* From the poll callback when it finished under budget: clears SCHED and
 * returns true, or, if MISSED was set meanwhile, re-queues the instance and
 * returns false (the driver keeps interrupts suppressed).  Context: the
 * instance's own poll callback. */
bool netpoll_complete(struct netpoll *np);

/* Take the instance out of service: new claims fail at once (without
 * setting MISSED); a poll still running finishes, one that keeps using its
 * whole budget is completed by the softirq instead of repolled; then the
 * instance stays claimed (SCHED | DISABLE) until netpoll_enable() returns
 * it to idle.  The driver's interrupts stay as the last poll left them.
 * Context: thread (sleeps). */
void netpoll_disable(struct netpoll *np);
void netpoll_enable(struct netpoll *np);

static inline bool netpoll_is_scheduled(const struct netpoll *np)
{
    return (__atomic_load_n(&np->state, __ATOMIC_ACQUIRE) &
            NETPOLL_SCHED) != 0;
}

/* Global counters of the softirq. */
struct netpoll_global_stats {
    uint64_t runs;              /* softirq runs */
    uint64_t squeezed;          /* runs that stopped with work left */
};
void netpoll_global_stats(struct netpoll_global_stats *out);
void netpoll_dump(const struct netpoll *np);

#endif
