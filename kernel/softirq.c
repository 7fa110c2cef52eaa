/* Softirqs: deferred work raised from interrupt handlers.  softirq_run()
 * runs at the end of trap_irq(), after the EOI, with IRQs unmasked so new
 * interrupts are taken (and only raise more work).  If work keeps arriving
 * after a few rounds, the rest is handed to the ksoftirqd thread so thread
 * context still gets the CPU (the Linux rule). */
#include "softirq.h"
#include "arch.h"
#include "irq.h"
#include "panic.h"
#include "printk.h"
#include "sched.h"

#define SOFTIRQ_MAX_ROUNDS  4

struct softirq {
    void (*fn)(void);
    const char *name;
    uint64_t raised;
    uint64_t runs;
};

static struct softirq softirqs[SOFTIRQ_COUNT];
static volatile uint32_t pending;   /* bit per softirq; IRQs masked to touch */
static bool running;                /* a softirq_run() is in progress */
static struct waitq ksoftirqd_wq;
static bool ksoftirqd_started;

void softirq_register(enum softirq_nr nr, void (*fn)(void), const char *name)
{
    BUG_ON(nr >= SOFTIRQ_COUNT);
    softirqs[nr].fn = fn;
    softirqs[nr].name = name;
}

void softirq_raise(enum softirq_nr nr)
{
    uint64_t flags = arch_irq_save();

    softirqs[nr].raised++;
    pending |= 1u << nr;
    arch_irq_restore(flags);
    /* Raised from thread context: nothing will run it at IRQ exit soon. */
    if (!in_irq() && !running && ksoftirqd_started)
        wake_up(&ksoftirqd_wq);
}

bool in_softirq(void)
{
    return running;
}

void softirq_run(void)
{
    uint64_t flags = arch_irq_save();

    /* Already running further up this stack (we interrupted it): the outer
     * loop will see the new pending bits. */
    if (running || !pending) {
        arch_irq_restore(flags);
        return;
    }
    running = true;
    for (int round = 0; pending && round < SOFTIRQ_MAX_ROUNDS; round++) {
        uint32_t work = pending;
        pending = 0;
        arch_irq_enable();
        for (unsigned nr = 0; nr < SOFTIRQ_COUNT; nr++) {
            if (!(work & (1u << nr)))
                continue;
            softirqs[nr].runs++;
            if (softirqs[nr].fn)
                softirqs[nr].fn();
        }
        arch_irq_disable();
    }
    running = false;
    bool leftover = pending != 0;
    arch_irq_restore(flags);
    if (leftover && ksoftirqd_started)
        wake_up(&ksoftirqd_wq);
}

static void ksoftirqd(void *arg)
{
    for (;;) {
        wait_event(&ksoftirqd_wq, READ_ONCE(pending) != 0);
        softirq_run();
        yield();
    }
}

void softirq_start_thread(void)
{
    waitq_init(&ksoftirqd_wq);
    if (!thread_create("ksoftirqd", ksoftirqd, NULL))
        panic("softirq: cannot start ksoftirqd");
    ksoftirqd_started = true;
}

uint64_t softirq_raise_count(enum softirq_nr nr)
{
    return nr < SOFTIRQ_COUNT ? softirqs[nr].raised : 0;
}

uint64_t softirq_run_count(enum softirq_nr nr)
{
    return nr < SOFTIRQ_COUNT ? softirqs[nr].runs : 0;
}
