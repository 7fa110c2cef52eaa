/* Tests of threads, preemption, sleeping and wait queues. */
#include "ktest.h"
#include "sched.h"
#include "time.h"

#define NTHREADS 8

static volatile unsigned finished;
static struct waitq done_wq;

static void counting_thread(void *arg)
{
    volatile unsigned *slot = arg;

    for (int i = 0; i < 50; i++) {
        (*slot)++;
        if (i % 10 == 0)
            yield();
        if (i % 25 == 0)
            sleep_ms(2);
    }
    finished++;
    wake_up(&done_wq);
}

KTEST(sched, threads_complete)
{
    static volatile unsigned counts[NTHREADS];

    waitq_init(&done_wq);
    finished = 0;
    for (int i = 0; i < NTHREADS; i++) {
        counts[i] = 0;
        KT_ASSERT(t, thread_create("counter", counting_thread,
                                   (void *)&counts[i]), "thread_create failed");
    }
    bool ok = wait_event_timeout(&done_wq, finished == NTHREADS,
                                 10 * NSEC_PER_SEC);
    KT_EXPECT(t, ok, "only %u of %d threads finished", finished, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        KT_EXPECT(t, counts[i] == 50, "thread %d counted %u", i, counts[i]);
}

static volatile bool stop_spinning;
static volatile uint64_t spins;

static void spinner(void *arg)
{
    while (!stop_spinning)
        spins++;
    finished++;
    wake_up(&done_wq);
}

KTEST(sched, preemption)
{
    /* A thread that never yields must not keep the CPU: this thread's
     * sleep ends only if the tick preempts the spinner. */
    waitq_init(&done_wq);
    finished = 0;
    stop_spinning = false;
    spins = 0;
    struct thread *s = thread_create("spinner", spinner, NULL);
    KT_ASSERT(t, s, "thread_create failed");
    sleep_ms(30);
    uint64_t seen = spins;
    stop_spinning = true;
    KT_EXPECT(t, seen > 0, "the spinner never ran");
    KT_EXPECT(t, wait_event_timeout(&done_wq, finished == 1, NSEC_PER_SEC),
              "spinner did not stop");
}

static volatile bool sleeper_go;

static void sleeper(void *arg)
{
    sleep_ms(100);
    while (!sleeper_go)
        sleep_ms(1);
    finished++;
    wake_up(&done_wq);
}

KTEST(sched, sleeper_gets_no_slices)
{
    waitq_init(&done_wq);
    finished = 0;
    sleeper_go = false;
    struct thread *s = thread_create("sleeper", sleeper, NULL);
    KT_ASSERT(t, s, "thread_create failed");
    sleep_ms(10);       /* it is asleep now */
    uint64_t slices0 = s->slices, switches0 = s->switches;
    /* Burn CPU for 50 ms without yielding: the tick runs all along. */
    uint64_t end = time_ns() + 50 * NSEC_PER_MSEC;
    while (time_ns() < end)
        ;
    KT_EXPECT(t, s->slices == slices0, "sleeping thread got %lu slices",
              (unsigned long)(s->slices - slices0));
    KT_EXPECT(t, s->switches == switches0, "sleeping thread ran %lu times",
              (unsigned long)(s->switches - switches0));
    sleeper_go = true;
    KT_EXPECT(t, wait_event_timeout(&done_wq, finished == 1, 2 * NSEC_PER_SEC),
              "sleeper never finished");
}

KTEST(sched, waitq_timeout)
{
    struct waitq wq;

    waitq_init(&wq);
    uint64_t t0 = time_ns();
    bool ok = wait_event_timeout(&wq, false, 20 * NSEC_PER_MSEC);
    uint64_t took = time_ns() - t0;
    KT_EXPECT(t, !ok, "wait on a false condition succeeded");
    KT_EXPECT(t, took >= 20 * NSEC_PER_MSEC, "timed out early: %lu ns",
              (unsigned long)took);
}

static struct waitq prep_wq;
static volatile bool prep_done;

/* Marks itself SLEEPING, then computes for several time slices before
 * looking at its (already true) condition: the tick preempts it meanwhile,
 * and it must still get the CPU back although nobody will wake it. */
static void preparing_thread(void *arg)
{
    struct waiter w = { 0 };

    waitq_prepare(&prep_wq, &w, 0);
    uint64_t end = time_ns() + 40 * NSEC_PER_MSEC;
    while (time_ns() < end)
        ;
    waitq_finish(&prep_wq, &w);
    prep_done = true;
    finished++;
    wake_up(&done_wq);
}

KTEST(sched, preempted_while_preparing_to_sleep)
{
    waitq_init(&done_wq);
    waitq_init(&prep_wq);
    finished = 0;
    prep_done = false;
    stop_spinning = false;
    /* A second runnable thread, so the tick really switches away. */
    KT_ASSERT(t, thread_create("spinner", spinner, NULL), "thread_create");
    KT_ASSERT(t, thread_create("preparing", preparing_thread, NULL),
              "thread_create");
    bool ok = wait_event_timeout(&done_wq, prep_done, 3 * NSEC_PER_SEC);
    stop_spinning = true;
    KT_EXPECT(t, ok, "a thread preempted after waitq_prepare never ran again");
    KT_EXPECT(t, wait_event_timeout(&done_wq, finished == 2, NSEC_PER_SEC),
              "spinner did not stop");
}
