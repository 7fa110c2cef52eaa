/* futex(2), the operations a C library needs (FUTEX_WAIT, FUTEX_WAKE and
 * their _BITSET forms, private or not).  Processes are single-threaded,
 * so a futex is only ever shared through MAP_SHARED memory or with a
 * vfork child; glibc still calls it on its internal locks, and aborts if
 * the call is missing.
 *
 * Waiters are keyed by (address space, user address): one global list,
 * as there are few.  futex_lock (IRQ-saving; thread context) protects it.
 * The value check and the enqueue happen under the lock, and FUTEX_WAKE
 * takes it too, so a wake between a waiter's check and its sleep is not
 * lost (Linux's futex ordering guarantee). */
#include "list.h"
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "spinlock.h"
#include "syscall.h"
#include "time.h"
#include "uaccess.h"

#define FUTEX_WAIT          0
#define FUTEX_WAKE          1
#define FUTEX_WAIT_BITSET   9
#define FUTEX_WAKE_BITSET   10
#define FUTEX_PRIVATE_FLAG  128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK      (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

struct futex_waiter {
    struct list_head node;
    const void *mm;
    uint64_t uaddr;
    uint32_t bitset;
    struct thread *thread;
    bool woken;
};

static struct spinlock futex_lock = SPINLOCK_INIT("futex");
static struct list_head futex_waiters = LIST_HEAD_INIT(futex_waiters);

static long futex_wait(uint64_t uaddr, uint32_t val, uint64_t utimeout,
                       bool absolute, uint32_t bitset)
{
    struct proc *p = current_proc();
    uint64_t deadline = 0;

    if (!bitset)
        return -EINVAL;
    if (utimeout) {
        struct timespec64 ts;
        if (copy_from_user(&ts, utimeout, sizeof(ts)))
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
            return -EINVAL;
        uint64_t ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
        /* FUTEX_WAIT's timeout is relative; the _BITSET form's absolute
         * (CLOCK_MONOTONIC, or CLOCK_REALTIME with the flag). */
        if (absolute) {
            uint64_t now_rt = time_realtime_ns(), now = time_ns();
            deadline = ns > now_rt ? now + (ns - now_rt) : now;
        } else {
            deadline = time_ns() + ns;
        }
    }
    /* Fault the word in first: the check below runs under a spinlock. */
    uint32_t cur;
    if (get_user(cur, uaddr))
        return -EFAULT;

    struct futex_waiter fw = { .mm = p->mm, .uaddr = uaddr, .bitset = bitset,
                               .thread = current_thread() };
    uint64_t flags = spin_lock_irqsave(&futex_lock);
    if (get_user(cur, uaddr) || cur != val) {
        spin_unlock_irqrestore(&futex_lock, flags);
        return cur != val ? -EAGAIN : -EFAULT;
    }
    list_add_tail(&fw.node, &futex_waiters);
    spin_unlock_irqrestore(&futex_lock, flags);

    struct waitq wq;
    struct waiter w = { 0 };
    long ret = 0;
    waitq_init(&wq);
    for (;;) {
        uint64_t now = time_ns();
        waitq_prepare(&wq, &w, deadline ? (deadline > now ? deadline - now : 1) : 0);
        if (READ_ONCE(fw.woken))
            break;
        if (deadline && now >= deadline) {
            ret = -ETIMEDOUT;
            break;
        }
        if (signal_pending()) {
            ret = -ERESTARTSYS;
            break;
        }
        schedule();
        waitq_finish(&wq, &w);
    }
    waitq_finish(&wq, &w);
    flags = spin_lock_irqsave(&futex_lock);
    if (!fw.woken)
        list_del(&fw.node);
    else
        ret = 0;
    spin_unlock_irqrestore(&futex_lock, flags);
    return ret;
}

long futex_wake(const void *mm, uint64_t uaddr, int n, uint32_t bitset)
{
    long woken = 0;
    struct list_head *pos, *tmp;

    if (!bitset)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&futex_lock);
    list_for_each_safe(pos, tmp, &futex_waiters) {
        if (woken >= n)
            break;
        struct futex_waiter *fw = list_entry(pos, struct futex_waiter, node);
        if (fw->mm != mm || fw->uaddr != uaddr || !(fw->bitset & bitset))
            continue;
        list_del(&fw->node);
        WRITE_ONCE(fw->woken, true);
        thread_wake(fw->thread);
        woken++;
    }
    spin_unlock_irqrestore(&futex_lock, flags);
    return woken;
}

SYSCALL(__NR_futex, futex)
{
    uint64_t uaddr = SC_ARG(0);
    int op = (int)SC_ARG(1);
    uint32_t val = (uint32_t)SC_ARG(2);
    int cmd = op & FUTEX_CMD_MASK;

    if (uaddr & 3)
        return -EINVAL;
    switch (cmd) {
    case FUTEX_WAIT:
        return futex_wait(uaddr, val, SC_ARG(3), false, ~0u);
    case FUTEX_WAIT_BITSET:
        return futex_wait(uaddr, val, SC_ARG(3), true, (uint32_t)SC_ARG(5));
    case FUTEX_WAKE:
        return futex_wake(current_proc()->mm, uaddr, (int)MIN(val, (uint32_t)INT32_MAX), ~0u);
    case FUTEX_WAKE_BITSET:
        return futex_wake(current_proc()->mm, uaddr, (int)MIN(val, (uint32_t)INT32_MAX),
                          (uint32_t)SC_ARG(5));
    default:
        return -ENOSYS;
    }
}
