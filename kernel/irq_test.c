/* Tests of interrupt dispatch and IRQ-saving spinlocks. */
#include "arch.h"
#include "gic.h"
#include "irq.h"
#include "ktest.h"
#include "sched.h"
#include "spinlock.h"
#include "time.h"

#define TEST_SGI 1

static volatile unsigned sgi_hits;
static volatile unsigned sgi_seen_irq;
static void *volatile sgi_seen_ctx;

static void sgi_handler(unsigned irq, void *ctx)
{
    sgi_hits++;
    sgi_seen_irq = irq;
    sgi_seen_ctx = ctx;
}

/* Waits (sleeping, up to 1 s) until *v reaches want. */
static bool wait_for(volatile unsigned *v, unsigned want)
{
    for (int i = 0; i < 1000 && *v < want; i++)
        sleep_ms(1);
    return *v >= want;
}

KTEST(irq, sgi_dispatch)
{
    static int cookie;
    uint64_t before = irq_count(TEST_SGI);

    KT_ASSERT(t, irq_register(TEST_SGI, IRQ_TRIGGER_EDGE, sgi_handler, &cookie,
                              "test-sgi") == 0, "register failed");
    KT_EXPECT(t, irq_register(TEST_SGI, IRQ_TRIGGER_EDGE, sgi_handler, NULL,
                              "dup") == -EBUSY, "double registration allowed");
    irq_enable(TEST_SGI);
    sgi_hits = 0;
    gic_send_sgi_self(TEST_SGI);
    KT_EXPECT(t, wait_for(&sgi_hits, 1), "SGI never reached its handler");
    KT_EXPECT(t, sgi_seen_irq == TEST_SGI, "handler got irq %u",
              sgi_seen_irq);
    KT_EXPECT(t, sgi_seen_ctx == &cookie, "handler got the wrong context");
    KT_EXPECT(t, irq_count(TEST_SGI) == before + 1, "count %lu, want %lu",
              (unsigned long)irq_count(TEST_SGI), (unsigned long)before + 1);
    irq_unregister(TEST_SGI, &cookie);
    KT_EXPECT(t, irq_register(9999, IRQ_TRIGGER_EDGE, sgi_handler, NULL,
                              "bad") == -EINVAL, "bad id accepted");
}

KTEST(irq, masked_sgi_waits)
{
    /* An SGI sent with IRQs masked is taken once they are unmasked. */
    KT_ASSERT(t, irq_register(TEST_SGI, IRQ_TRIGGER_EDGE, sgi_handler, NULL,
                              "test-sgi") == 0, "register failed");
    irq_enable(TEST_SGI);
    sgi_hits = 0;
    uint64_t flags = arch_irq_save();
    gic_send_sgi_self(TEST_SGI);
    for (volatile int i = 0; i < 100000; i++)
        ;
    unsigned while_masked = sgi_hits;
    arch_irq_restore(flags);
    KT_EXPECT(t, while_masked == 0, "handler ran with IRQs masked");
    KT_EXPECT(t, wait_for(&sgi_hits, 1), "SGI lost while masked");
    irq_unregister(TEST_SGI, NULL);
}

KTEST(spinlock, irqsave_nesting)
{
    struct spinlock a = SPINLOCK_INIT("test-a"), b = SPINLOCK_INIT("test-b");

    KT_ASSERT(t, !arch_irqs_disabled(), "test thread runs with IRQs off");
    uint64_t fa = spin_lock_irqsave(&a);
    KT_EXPECT(t, arch_irqs_disabled(), "outer lock left IRQs on");
    uint64_t fb = spin_lock_irqsave(&b);
    KT_EXPECT(t, spin_is_locked(&a) && spin_is_locked(&b), "locks not held");
    spin_unlock_irqrestore(&b, fb);
    KT_EXPECT(t, arch_irqs_disabled(), "inner unlock re-enabled IRQs");
    KT_EXPECT(t, !spin_is_locked(&b), "inner lock still held");
    spin_unlock_irqrestore(&a, fa);
    KT_EXPECT(t, !arch_irqs_disabled(), "outer unlock did not restore IRQs");

    /* Taken with IRQs already off: unlocking must leave them off. */
    arch_irq_disable();
    fa = spin_lock_irqsave(&a);
    spin_unlock_irqrestore(&a, fa);
    bool still_off = arch_irqs_disabled();
    arch_irq_enable();
    KT_EXPECT(t, still_off, "restore enabled IRQs that were off");
    KT_EXPECT(t, spin_trylock_raw(&a), "trylock of a free lock failed");
    KT_EXPECT(t, !spin_trylock_raw(&a), "trylock of a held lock succeeded");
    spin_unlock_raw(&a);
}
