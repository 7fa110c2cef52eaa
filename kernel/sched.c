/* Kernel threads and a preemptive round-robin scheduler for one CPU.
 *
 * The timer tick (IRQ context) accounts the running thread and, after a
 * time slice, asks for a switch, which happens at IRQ exit
 * (sched_preempt_irq).  Threads block on wait queues; the tick also wakes
 * threads whose timed sleep expired.  With nothing runnable the boot thread,
 * now the idle thread, waits in WFI. */
#include "sched.h"
#include "arch.h"
#include "mm.h"
#include "panic.h"
#include "printk.h"
#include "softirq.h"
#include "string.h"
#include "time.h"

#define TIMESLICE_MS    10

void cpu_switch(struct cpu_context *prev, struct cpu_context *next);
void thread_trampoline(void);

/* sched_lock protects the run queue, the sleeper list, the dead list, the
 * thread list and every thread's state field.  Taken from thread and IRQ
 * context (IRQ-saving); it is held across cpu_switch() and released by
 * whichever thread runs next. */
static struct spinlock sched_lock = SPINLOCK_INIT("sched");
static struct list_head runq = LIST_HEAD_INIT(runq);
static struct list_head sleepers = LIST_HEAD_INIT(sleepers);
static struct list_head dead = LIST_HEAD_INIT(dead);
static struct list_head all_threads = LIST_HEAD_INIT(all_threads);

static struct thread idle_thread;
static struct thread *current;
static bool need_resched;
static unsigned slice_ticks, slice_left;
static int next_tid = 1;
static uint64_t nswitches;

struct thread *current_thread(void)
{
    return current;
}

uint64_t sched_switch_count(void)
{
    return nswitches;
}

void sched_init(void)
{
    idle_thread.state = THREAD_RUNNING;
    idle_thread.tid = 0;
    strlcpy(idle_thread.name, "idle", sizeof(idle_thread.name));
    list_init(&idle_thread.run_node);
    list_init(&idle_thread.sleep_node);
    list_add_tail(&idle_thread.all_node, &all_threads);
    current = &idle_thread;
}

static void reap_dead(void)
{
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&sched_lock);
        struct thread *t = NULL;
        if (!list_empty(&dead)) {
            t = list_first(&dead, struct thread, run_node);
            list_del(&t->run_node);
        }
        spin_unlock_irqrestore(&sched_lock, flags);
        if (!t)
            return;
        kstack_free(t->stack_top);
        kfree(t);
    }
}

/* Runs first in every new thread, still holding sched_lock from the
 * schedule() that switched to it. */
void thread_start(struct thread *t)
{
    spin_unlock_raw(&sched_lock);
    arch_irq_enable();
    reap_dead();
    t->fn(t->arg);
    thread_exit();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    struct thread *t = kzalloc(sizeof(*t));

    if (!t)
        return NULL;
    t->stack_top = kstack_alloc();
    if (!t->stack_top) {
        kfree(t);
        return NULL;
    }
    strlcpy(t->name, name, sizeof(t->name));
    t->fn = fn;
    t->arg = arg;
    t->ctx.x19 = (uint64_t)t;
    t->ctx.lr = (uint64_t)thread_trampoline;
    /* The top TRAP_FRAME_SIZE bytes are where a user thread's registers
     * live while it is in the kernel (the EL0 exception entry saves them
     * there): start below, so a process's first kernel frames do not
     * overwrite the user state prepared for it. */
    t->ctx.sp = (uint64_t)t->stack_top - TRAP_FRAME_SIZE;
    list_init(&t->sleep_node);

    uint64_t flags = spin_lock_irqsave(&sched_lock);
    t->tid = next_tid++;
    t->state = THREAD_RUNNABLE;
    list_add_tail(&t->all_node, &all_threads);
    list_add_tail(&t->run_node, &runq);
    spin_unlock_irqrestore(&sched_lock, flags);
    return t;
}

/* Picks the next thread and switches to it.  sched_lock held, IRQs off.
 *
 * preempt: the switch comes from an interrupt, not from the thread itself.
 * A preempted thread stays runnable even if it had marked itself SLEEPING:
 * it may have been interrupted between waitq_prepare() and the check of its
 * condition, and if that condition is already true no wake-up will ever
 * come (Linux keeps preempted tasks on the run queue for the same reason).
 * It then sees a spurious wake-up and goes round its wait loop again. */
static void schedule_locked(bool preempt)
{
    struct thread *prev = current;

    if (preempt && prev->state == THREAD_SLEEPING)
        prev->state = THREAD_RUNNABLE;
    if (prev->state == THREAD_RUNNING || prev->state == THREAD_RUNNABLE) {
        prev->state = THREAD_RUNNABLE;
        if (prev != &idle_thread)
            list_add_tail(&prev->run_node, &runq);
    }
    struct thread *next = &idle_thread;
    if (!list_empty(&runq)) {
        next = list_first(&runq, struct thread, run_node);
        list_del(&next->run_node);
    }
    next->state = THREAD_RUNNING;
    need_resched = false;
    if (prev == &idle_thread && next != prev)
        timer_nohz_exit();
    slice_left = slice_ticks;
    if (next == prev)
        return;
    uint64_t now = time_ns();
    prev->run_ns += now - prev->on_cpu_since;
    next->on_cpu_since = now;
    current = next;
    next->switches++;
    nswitches++;
    arch_thread_switch(prev, next);
    cpu_switch(&prev->ctx, &next->ctx);
}

static void schedule_common(bool preempt)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);

    schedule_locked(preempt);
    spin_unlock_irqrestore(&sched_lock, flags);
    if (!preempt)       /* not from interrupt context: the next one will */
        reap_dead();
}

void schedule(void)
{
    schedule_common(false);
}

void yield(void)
{
    schedule();
}

noreturn void thread_exit(void)
{
    arch_irq_disable();
    spin_lock_raw(&sched_lock);
    struct thread *t = current;
    if (t == &idle_thread)
        panic("the idle thread tried to exit");
    t->state = THREAD_DEAD;
    list_del(&t->all_node);
    list_add_tail(&t->run_node, &dead);
    schedule_locked(false);
    panic("a dead thread was scheduled");
}

/* Caller holds sched_lock. */
static void wake_locked(struct thread *t, bool timed_out)
{
    if (t->state != THREAD_SLEEPING)
        return;
    t->state = THREAD_RUNNABLE;
    t->timed_out = timed_out;
    list_del(&t->sleep_node);
    if (t != current)
        list_add_tail(&t->run_node, &runq);
    if (current == &idle_thread)
        need_resched = true;
}

void thread_wake(struct thread *t)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);

    wake_locked(t, false);
    spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_tick(void)
{
    uint64_t now = time_ns();
    struct list_head *pos, *n;

    spin_lock_raw(&sched_lock);     /* IRQ context: already masked */
    if (!slice_ticks) {
        slice_ticks = MAX(1u, timer_tick_hz() * TIMESLICE_MS / 1000);
        slice_left = slice_ticks;
    }
    current->slices++;
    if (irq_from_user)
        current->user_ticks++;
    list_for_each_safe(pos, n, &sleepers) {
        struct thread *t = list_entry(pos, struct thread, sleep_node);
        if (t->wake_at_ns <= now)
            wake_locked(t, true);
    }
    if (slice_left)
        slice_left--;
    if (!list_empty(&runq) && (slice_left == 0 || current == &idle_thread))
        need_resched = true;
    spin_unlock_raw(&sched_lock);
}

/* The idle loop.  With nothing runnable it stops the periodic tick until
 * the first sleeper's deadline and waits in WFI; the interrupt that ends
 * the wait switches to whatever it woke (sched_preempt_irq). */
noreturn void sched_idle(void)
{
    for (;;) {
        arch_irq_disable();
        spin_lock_raw(&sched_lock);
        bool idle = list_empty(&runq);
        uint64_t wake = 0;
        struct list_head *pos;
        list_for_each(pos, &sleepers) {
            struct thread *t = list_entry(pos, struct thread, sleep_node);
            if (!wake || t->wake_at_ns < wake)
                wake = t->wake_at_ns;
        }
        if (idle)
            timer_nohz_enter(wake);
        spin_unlock_raw(&sched_lock);
        if (idle)
            wfi();      /* wakes on a pending IRQ even while masked */
        arch_irq_enable();
        if (!idle)
            schedule();
    }
}

void sched_preempt_irq(void)
{
    /* A softirq interrupted further up this stack must finish first; its
     * own IRQ exit will come back here. */
    if (!need_resched || in_softirq())
        return;
    schedule_common(true);
}

void waitq_init(struct waitq *wq)
{
    spin_init(&wq->lock, "waitq");
    list_init(&wq->waiters);
}

void waitq_prepare(struct waitq *wq, struct waiter *w, uint64_t timeout_ns)
{
    if (current == &idle_thread)
        panic("the idle thread must not sleep");
    uint64_t flags = spin_lock_irqsave(&wq->lock);

    w->thread = current;
    if (w->node.next == NULL || list_empty(&w->node))
        list_add_tail(&w->node, &wq->waiters);
    spin_unlock_irqrestore(&wq->lock, flags);

    flags = spin_lock_irqsave(&sched_lock);
    current->state = THREAD_SLEEPING;
    current->timed_out = false;
    list_del(&current->sleep_node);
    if (timeout_ns) {
        current->wake_at_ns = time_ns() + timeout_ns;
        list_add_tail(&current->sleep_node, &sleepers);
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}

bool waitq_finish(struct waitq *wq, struct waiter *w)
{
    uint64_t flags = spin_lock_irqsave(&wq->lock);

    list_del(&w->node);
    spin_unlock_irqrestore(&wq->lock, flags);

    flags = spin_lock_irqsave(&sched_lock);
    if (current->state == THREAD_SLEEPING)
        current->state = THREAD_RUNNING;
    list_del(&current->sleep_node);
    bool timed_out = current->timed_out;
    current->timed_out = false;
    spin_unlock_irqrestore(&sched_lock, flags);
    return !timed_out;
}

void wake_up(struct waitq *wq)
{
    uint64_t flags = spin_lock_irqsave(&wq->lock);
    struct list_head *pos;

    list_for_each(pos, &wq->waiters)
        thread_wake(list_entry(pos, struct waiter, node)->thread);
    spin_unlock_irqrestore(&wq->lock, flags);
}

void mutex_init(struct mutex *m, const char *name)
{
    spin_init(&m->lock, name);
    m->owner = NULL;
    waitq_init(&m->wq);
    m->name = name;
}

static bool mutex_try(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);
    bool got = m->owner == NULL;

    if (got)
        m->owner = current;
    spin_unlock_irqrestore(&m->lock, flags);
    return got;
}

void mutex_lock(struct mutex *m)
{
    if (m->owner == current)
        panic("mutex %s: recursive lock by %s", m->name, current->name);
    /* Uncontended first: the boot thread (which may not sleep) takes
     * mutexes during start-up, when nobody else holds them. */
    if (mutex_try(m))
        return;
    wait_event(&m->wq, mutex_try(m));
}

void mutex_unlock(struct mutex *m)
{
    uint64_t flags = spin_lock_irqsave(&m->lock);

    if (m->owner != current)
        panic("mutex %s: unlocked by a thread that does not hold it",
              m->name);
    m->owner = NULL;
    /* Wake before letting go of m->lock: once it is released (IRQs back
     * on) another thread may take the mutex, drop the last reference to
     * the object holding it and free it, so m must not be touched after. */
    wake_up(&m->wq);
    spin_unlock_irqrestore(&m->lock, flags);
}

bool mutex_held(const struct mutex *m)
{
    return m->owner == current;
}

bool irq_from_user;

void thread_cpu_time(const struct thread *t, uint64_t *user_ns,
                     uint64_t *sys_ns)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    uint64_t run = t->run_ns;
    if (t == current)
        run += time_ns() - t->on_cpu_since;
    uint64_t ticks = t->slices, uticks = t->user_ticks;
    spin_unlock_irqrestore(&sched_lock, flags);
    uint64_t user = ticks ? run / ticks * uticks + run % ticks * uticks / ticks
                          : 0;
    *user_ns = user;
    *sys_ns = run - user;
}

void sleep_ns(uint64_t ns)
{
    struct waitq wq;
    struct waiter w;
    uint64_t end = time_ns() + ns;

    waitq_init(&wq);
    for (uint64_t now = time_ns(); now < end; now = time_ns()) {
        w.node.next = NULL;
        waitq_prepare(&wq, &w, end - now);
        schedule();
        waitq_finish(&wq, &w);
    }
}

void sleep_ms(uint64_t ms)
{
    sleep_ns(ms * NSEC_PER_MSEC);
}

static const char *const state_names[] = {
    "runnable", "running", "sleeping", "dead",
};

void sched_dump(void)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    struct list_head *pos;

    list_for_each(pos, &all_threads) {
        struct thread *t = list_entry(pos, struct thread, all_node);
        kprintf("  tid %3d %-16s %-8s slices %lu switches %lu\n", t->tid,
                t->name, state_names[t->state], (unsigned long)t->slices,
                (unsigned long)t->switches);
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}
