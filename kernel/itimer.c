/* Interval timers: setitimer(2) / getitimer(2) for ITIMER_REAL (what
 * alarm(3) is built on), delivering SIGALRM.  ITIMER_VIRTUAL and
 * ITIMER_PROF (CPU-time timers) are not supported: -EINVAL.
 *
 * One kernel thread, "itimer", sleeps until the earliest armed deadline
 * (so the tickless idle loop wakes for it) or until a timer changes, then
 * signals every process whose deadline passed and re-arms periodic ones.
 * A process's itimer_deadline / itimer_interval are under proc_lock; a
 * fork starts with none, exec keeps them (POSIX). */
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "string.h"
#include "syscall.h"
#include "time.h"
#include "uaccess.h"

#define ITIMER_REAL     0
#define NSEC_PER_USEC_  1000ULL

struct timeval_k {
    int64_t tv_sec, tv_usec;
};

struct itimerval_k {
    struct timeval_k it_interval, it_value;
};

static struct waitq itimer_wq = WAITQ_INIT(itimer_wq, "itimer");
static bool itimer_changed;
static bool itimer_started;

static void itimer_thread(void *arg)
{
    (void)arg;
    for (;;) {
        uint64_t now = time_ns(), next = 0;
        uint64_t irq = spin_lock_irqsave(&proc_lock);
        struct list_head *pos;
        list_for_each(pos, &proc_list) {
            struct proc *p = list_entry(pos, struct proc, all_node);
            if (!p->itimer_deadline || p->state == PROC_ZOMBIE)
                continue;
            if (p->itimer_deadline <= now) {
                signal_send(p, SIGALRM, SI_KERNEL, 0);
                if (p->itimer_interval) {
                    p->itimer_deadline += p->itimer_interval;
                    if (p->itimer_deadline <= now)   /* fell behind */
                        p->itimer_deadline = now + p->itimer_interval;
                } else {
                    p->itimer_deadline = 0;
                }
            }
            if (p->itimer_deadline && (!next || p->itimer_deadline < next))
                next = p->itimer_deadline;
        }
        WRITE_ONCE(itimer_changed, false);
        spin_unlock_irqrestore(&proc_lock, irq);
        if (next)
            wait_event_timeout(&itimer_wq, READ_ONCE(itimer_changed),
                               next - now);
        else
            wait_event(&itimer_wq, READ_ONCE(itimer_changed));
    }
}

static uint64_t tv_to_ns(const struct timeval_k *tv)
{
    return (uint64_t)tv->tv_sec * NSEC_PER_SEC +
           (uint64_t)tv->tv_usec * NSEC_PER_USEC_;
}

static struct timeval_k ns_to_tv(uint64_t ns)
{
    /* Round up, as Linux does, so a running timer never reads as 0. */
    uint64_t us = (ns + NSEC_PER_USEC_ - 1) / NSEC_PER_USEC_;
    return (struct timeval_k){ (int64_t)(us / 1000000), (int64_t)(us % 1000000) };
}

/* The current setting of p's ITIMER_REAL.  Caller holds proc_lock. */
static struct itimerval_k itimer_get_locked(const struct proc *p, uint64_t now)
{
    struct itimerval_k v = { { 0, 0 }, { 0, 0 } };
    v.it_interval = ns_to_tv(p->itimer_interval);
    if (p->itimer_deadline)
        v.it_value = ns_to_tv(p->itimer_deadline > now
                                  ? p->itimer_deadline - now : 1);
    return v;
}

SYSCALL(__NR_getitimer, getitimer)
{
    if ((int)SC_ARG(0) != ITIMER_REAL)
        return -EINVAL;         /* ITIMER_VIRTUAL, ITIMER_PROF: not kept */
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct itimerval_k v = itimer_get_locked(current_proc(), time_ns());
    spin_unlock_irqrestore(&proc_lock, irq);
    return copy_to_user(SC_ARG(1), &v, sizeof(v));
}

SYSCALL(__NR_setitimer, setitimer)
{
    struct itimerval_k nv, ov;
    struct proc *p = current_proc();

    if ((int)SC_ARG(0) != ITIMER_REAL)
        return -EINVAL;
    if (SC_ARG(1)) {
        if (copy_from_user(&nv, SC_ARG(1), sizeof(nv)))
            return -EFAULT;
    } else {
        memset(&nv, 0, sizeof(nv));     /* Linux: NULL disarms */
    }
    if (nv.it_value.tv_sec < 0 || nv.it_value.tv_usec < 0 ||
        nv.it_value.tv_usec >= 1000000 || nv.it_interval.tv_sec < 0 ||
        nv.it_interval.tv_usec < 0 || nv.it_interval.tv_usec >= 1000000)
        return -EINVAL;
    /* Bound the values so the arithmetic below cannot wrap. */
    if (nv.it_value.tv_sec > (1LL << 32) || nv.it_interval.tv_sec > (1LL << 32))
        return -EINVAL;
    /* The thread starts with the first timer; the exchange keeps two
     * first callers from both starting one. */
    if (!__atomic_exchange_n(&itimer_started, true, __ATOMIC_ACQ_REL)) {
        if (!thread_create("itimer", itimer_thread, NULL)) {
            __atomic_store_n(&itimer_started, false, __ATOMIC_RELEASE);
            return -ENOMEM;
        }
    }
    uint64_t now = time_ns();
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    ov = itimer_get_locked(p, now);
    uint64_t value = tv_to_ns(&nv.it_value);
    p->itimer_deadline = value ? now + value : 0;
    p->itimer_interval = value ? tv_to_ns(&nv.it_interval) : 0;
    WRITE_ONCE(itimer_changed, true);
    spin_unlock_irqrestore(&proc_lock, irq);
    wake_up(&itimer_wq);
    if (SC_ARG(2) && copy_to_user(SC_ARG(2), &ov, sizeof(ov)))
        return -EFAULT;
    return 0;
}
