/* Tests of deferred work. */
#include "gic.h"
#include "irq.h"
#include "ktest.h"
#include "sched.h"
#include "softirq.h"

#define TEST_SGI 2

static volatile unsigned test_runs;
static volatile bool ran_in_softirq, ran_in_irq;
static volatile unsigned raises_per_irq = 1;

static void test_softirq(void)
{
    test_runs++;
    ran_in_softirq = in_softirq();
    ran_in_irq = in_irq();
}

static void raise_handler(unsigned irq, void *ctx)
{
    for (unsigned i = 0; i < raises_per_irq; i++)
        softirq_raise(SOFTIRQ_TEST);
}

static bool run_one(struct ktest_ctx *t, unsigned raises)
{
    raises_per_irq = raises;
    test_runs = 0;
    uint64_t runs0 = softirq_run_count(SOFTIRQ_TEST);
    gic_send_sgi_self(TEST_SGI);
    for (int i = 0; i < 1000 && test_runs == 0; i++)
        sleep_ms(1);
    sleep_ms(5);    /* a second, wrong run would have happened by now */
    KT_EXPECT(t, test_runs == 1, "%u raise(s) in one handler: ran %u times",
              raises, test_runs);
    KT_EXPECT(t, softirq_run_count(SOFTIRQ_TEST) == runs0 + 1,
              "run counter moved by %lu",
              (unsigned long)(softirq_run_count(SOFTIRQ_TEST) - runs0));
    return test_runs == 1;
}

KTEST(softirq, raised_from_irq_runs_once)
{
    softirq_register(SOFTIRQ_TEST, test_softirq, "test");
    KT_ASSERT(t, irq_register(TEST_SGI, IRQ_TRIGGER_EDGE, raise_handler, NULL,
                              "test-raise") == 0, "register failed");
    irq_enable(TEST_SGI);
    uint64_t raised0 = softirq_raise_count(SOFTIRQ_TEST);
    run_one(t, 1);
    KT_EXPECT(t, ran_in_softirq && !ran_in_irq,
              "ran in the wrong context (softirq %d, irq %d)", ran_in_softirq,
              ran_in_irq);
    /* Raising again while pending does not queue a second run. */
    run_one(t, 3);
    KT_EXPECT(t, softirq_raise_count(SOFTIRQ_TEST) == raised0 + 4,
              "raise counter %lu", (unsigned long)(softirq_raise_count(SOFTIRQ_TEST) - raised0));
    irq_unregister(TEST_SGI, NULL);
}

KTEST(softirq, raised_from_thread)
{
    softirq_register(SOFTIRQ_TEST, test_softirq, "test");
    test_runs = 0;
    softirq_raise(SOFTIRQ_TEST);
    for (int i = 0; i < 1000 && test_runs == 0; i++)
        sleep_ms(1);
    KT_EXPECT(t, test_runs == 1, "ran %u times (ksoftirqd)", test_runs);
}
