/* Kernel threads, the preemptive round-robin scheduler and wait queues. */
#ifndef SCHED_H
#define SCHED_H

#include "kernel.h"
#include "list.h"
#include "spinlock.h"
#include "time.h"

/* Callee-saved registers kept across cpu_switch() (arch/arm64/switch.S). */
struct cpu_context {
    uint64_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
    uint64_t fp, lr, sp;
};

/* User FP/SIMD registers (arch/arm64/fpsimd.S): v0-v31, FPSR, FPCR. */
struct fpsimd_state {
    uint64_t v[64];
    uint32_t fpsr, fpcr;
    uint64_t pad;
} __aligned(16);

enum thread_state {
    THREAD_RUNNABLE,
    THREAD_RUNNING,
    THREAD_SLEEPING,
    THREAD_DEAD,
};

struct thread {
    struct cpu_context ctx;
    enum thread_state state;
    int tid;
    char name[24];
    void *stack_top;            /* NULL for the boot/idle thread */
    void (*fn)(void *);
    void *arg;
    struct list_head run_node;  /* run queue or a wait queue */
    struct list_head all_node;  /* every thread, for dumps */
    struct list_head sleep_node;/* timed sleepers, woken by the tick */
    uint64_t wake_at_ns;        /* for timed sleeps, 0 if none */
    uint64_t slices;            /* timer ticks while running */
    uint64_t user_ticks;        /* of those, ticks that interrupted EL0 */
    uint64_t run_ns;            /* CPU time, summed at each switch */
    uint64_t on_cpu_since;      /* time_ns() when last switched in */
    uint64_t switches;          /* times switched in */
    bool timed_out;
    void *owner;                /* struct proc, NULL for kernel threads */
    /* User context beyond the trap frame, switched with the thread
     * (arch/arm64/context.c).  ttbr0 is 0 for kernel-only threads, which
     * run with an empty user half. */
    uint64_t ttbr0;             /* page table | ASID << 48 */
    uint64_t tpidr_el0;         /* the user's thread pointer (TLS) */
    uint64_t orig_x0;           /* x0 at syscall entry, for restarts */
    struct fpsimd_state fp;
};

/* Context-switch hook for user state (arch/arm64/context.c): saves
 * prev's FP/SIMD and TPIDR_EL0 and loads next's, and its TTBR0. */
void arch_thread_switch(struct thread *prev, struct thread *next);
/* CPU time of t in ns, including the current stretch if it is running,
 * split into user and system time by the share of ticks that found it in
 * EL0 (sampling, as Linux does without VIRT_CPU_ACCOUNTING). */
void thread_cpu_time(const struct thread *t, uint64_t *user_ns,
                     uint64_t *sys_ns);
/* Set by the IRQ entry: the interrupt came from EL0 (for the tick). */
extern bool irq_from_user;
/* Load thread t's TTBR0 now (after exec changed it). */
void arch_set_ttbr0(uint64_t ttbr0);

void sched_init(void);
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
noreturn void thread_exit(void);
struct thread *current_thread(void);

/* The boot thread becomes the idle thread by calling this. */
noreturn void sched_idle(void);

/* Give up the CPU; the thread stays runnable. */
void yield(void);
/* Sleep at least ms / ns (timer-driven; no busy waiting). */
void sleep_ms(uint64_t ms);
void sleep_ns(uint64_t ns);

/* Called by the timer tick in IRQ context; marks preemption due. */
void sched_tick(void);
/* Called at the end of IRQ handling: switches thread if preemption is due. */
void sched_preempt_irq(void);
/* Make a sleeping thread runnable (any context). */
void thread_wake(struct thread *t);

/* Wait queues.  The pattern (no lost wake-ups):
 *
 *     waitq_prepare(wq, timeout);   // on the queue, state SLEEPING
 *     if (!cond) schedule();        // a wake-up in between makes it RUNNABLE
 *     waitq_finish(wq);
 *
 * wait_event() wraps it.  wake_up() makes every waiter runnable; each
 * rechecks its condition.  wq->lock protects the waiter list; it is taken
 * from thread, softirq and IRQ context (IRQ-saving). */
struct waitq {
    struct spinlock lock;
    struct list_head waiters;
};
/* A static wait queue, ready before any code runs. */
#define WAITQ_INIT(name, label) \
    { .lock = SPINLOCK_INIT(label), .waiters = LIST_HEAD_INIT((name).waiters) }

struct waiter {
    struct list_head node;
    struct thread *thread;
};

void waitq_init(struct waitq *wq);
void wake_up(struct waitq *wq);
void waitq_prepare(struct waitq *wq, struct waiter *w, uint64_t timeout_ns);
/* Returns false if the timeout expired. */
bool waitq_finish(struct waitq *wq, struct waiter *w);
void schedule(void);

#define wait_event(wq, cond)                                               \
    do {                                                                   \
        struct waiter __w = { 0 };                                               \
        for (;;) {                                                         \
            waitq_prepare((wq), &__w, 0);                                  \
            if (cond)                                                      \
                break;                                                     \
            schedule();                                                    \
            waitq_finish((wq), &__w);                                      \
        }                                                                  \
        waitq_finish((wq), &__w);                                          \
    } while (0)

/* Evaluates to true if cond became true, false on timeout. */
#define wait_event_timeout(wq, cond, timeout_ns)                           \
    ({                                                                     \
        struct waiter __w = { 0 };                                               \
        uint64_t __end = time_ns() + (timeout_ns);                         \
        bool __ok;                                                         \
        for (;;) {                                                         \
            uint64_t __now = time_ns();                                    \
            waitq_prepare((wq), &__w, __now < __end ? __end - __now : 1);  \
            if ((__ok = (cond)))                                           \
                break;                                                     \
            if (__now >= __end)                                            \
                break;                                                     \
            schedule();                                                    \
            waitq_finish((wq), &__w);                                      \
        }                                                                  \
        waitq_finish((wq), &__w);                                          \
        __ok;                                                              \
    })

/* A sleeping lock for thread context: code that may block (or copy to
 * and from user memory, which may fault) while holding it.  The holder
 * may sleep; waiters sleep on `wq`.  Not for IRQ or softirq context. */
struct mutex {
    struct spinlock lock;       /* protects owner */
    struct thread *owner;
    struct waitq wq;
    const char *name;
};

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_held(const struct mutex *m);

uint64_t sched_switch_count(void);
void sched_dump(void);

#endif
