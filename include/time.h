/* Time: the monotonic clock from the generic timer's counter (CNTPCT_EL0
 * scaled by CNTFRQ_EL0), the periodic tick and wall-clock time from the
 * PL031 RTC. */
#ifndef TIME_H
#define TIME_H

#include "kernel.h"

#define NSEC_PER_SEC    1000000000ULL
#define NSEC_PER_MSEC   1000000ULL

uint64_t time_ns(void);             /* since boot */
uint64_t time_counter(void);        /* raw CNTPCT_EL0 */
uint64_t time_counter_freq(void);   /* CNTFRQ_EL0 in Hz */
uint64_t time_counter_to_ns(uint64_t ticks);

void timer_init(void);              /* starts the tick (tick_hz= on cmdline) */
unsigned timer_tick_hz(void);
uint64_t timer_ticks(void);         /* ticks since timer_init */
void timer_nohz_enter(uint64_t wake_ns);
void timer_nohz_exit(void);

/* Wall clock: seconds since the Unix epoch, from the PL031; 0 if none. */
void rtc_init(void);
uint64_t rtc_epoch_seconds(void);
/* Wall-clock time: the RTC's reading at boot plus the monotonic clock
 * since (CLOCK_REALTIME); settable by clock_settime later. */
uint64_t time_realtime_ns(void);

/* struct timespec as user space passes it (64-bit time_t on arm64). */
struct timespec64 {
    int64_t tv_sec;
    int64_t tv_nsec;
};

#endif
