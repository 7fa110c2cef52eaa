/* Tests of the clock and the tick. */
#include "ktest.h"
#include "sched.h"
#include "time.h"

KTEST(timer, sleep_50ms)
{
    uint64_t c0 = time_counter();
    sleep_ms(50);
    uint64_t ns = time_counter_to_ns(time_counter() - c0);

    /* Never early; late only within a generous bound, because the host
     * running QEMU is shared and can stall the guest. */
    KT_EXPECT(t, ns >= 50 * NSEC_PER_MSEC, "slept only %lu us",
              (unsigned long)(ns / 1000));
    KT_EXPECT(t, ns < 500 * NSEC_PER_MSEC, "slept %lu us for 50 ms",
              (unsigned long)(ns / 1000));
}

KTEST(timer, tick_rate_while_busy)
{
    /* The tick runs at tick_hz while a thread keeps the CPU busy (when
     * idle it stops: see timer_nohz_enter). */
    uint64_t ticks0 = timer_ticks();
    uint64_t end = time_ns() + 50 * NSEC_PER_MSEC;
    while (time_ns() < end)
        ;
    uint64_t ticks = timer_ticks() - ticks0;
    uint64_t want = 50ULL * timer_tick_hz() / 1000;
    /* Lower bound loose: a loaded host delays timer interrupts. */
    KT_EXPECT(t, ticks >= want / 4 && ticks <= want + 2,
              "%lu ticks in 50 ms at %u Hz", (unsigned long)ticks,
              timer_tick_hz());
}

KTEST(timer, idle_stops_tick)
{
    /* Sleeping 100 ms with nothing else runnable: the idle CPU must not
     * take 100 ticks (tickless idle).  Other threads (kmon, heartbeat)
     * wake every 10 ms, so allow for their ticks. */
    uint64_t ticks0 = timer_ticks();
    sleep_ms(100);
    uint64_t ticks = timer_ticks() - ticks0;
    KT_EXPECT(t, ticks < 100ULL * timer_tick_hz() / 1000 / 2,
              "%lu ticks while idle for 100 ms", (unsigned long)ticks);
}

KTEST(timer, monotonic)
{
    uint64_t prev = time_ns();

    for (int i = 0; i < 10000; i++) {
        uint64_t now = time_ns();
        KT_ASSERT(t, now >= prev, "time went backwards: %lu -> %lu",
                  (unsigned long)prev, (unsigned long)now);
        prev = now;
    }
    KT_EXPECT(t, time_counter_freq() > 0, "CNTFRQ is zero");
}

KTEST(timer, rtc_wall_clock)
{
    /* QEMU's PL031 starts at the host's time: any date after 2020. */
    uint64_t s = rtc_epoch_seconds();
    KT_EXPECT(t, s > 1577836800ULL, "RTC says %lu", (unsigned long)s);
}
