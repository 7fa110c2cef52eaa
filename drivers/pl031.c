/* ARM PL031 real-time clock (PrimeCell RTC TRM, DDI 0224): RTCDR counts
 * seconds since the Unix epoch on QEMU. */
#include "arch.h"
#include "dt.h"
#include "mm.h"
#include "printk.h"
#include "time.h"

#define RTC_DR  0x00    /* data register: current time in seconds */

static volatile uint8_t *rtc_base;
/* RTC seconds minus monotonic seconds, fixed at boot: the RTC only counts
 * whole seconds, the counter gives the fraction. */
static uint64_t realtime_offset_ns;

void rtc_init(void)
{
    int node = dt_find_compatible(-1, "arm,pl031");
    uint64_t pa, size;

    if (node < 0 || !dt_reg(node, 0, &pa, &size)) {
        klog("rtc: no PL031, wall clock unavailable");
        return;
    }
    rtc_base = ioremap(pa, size);
    if (rtc_base) {
        realtime_offset_ns = rtc_epoch_seconds() * NSEC_PER_SEC - time_ns();
        klog("rtc: pl031 at %#lx, epoch %lu", (unsigned long)pa,
             (unsigned long)rtc_epoch_seconds());
    }
}

uint64_t time_realtime_ns(void)
{
    return realtime_offset_ns + time_ns();
}

uint64_t rtc_epoch_seconds(void)
{
    return rtc_base ? mmio_read32(rtc_base + RTC_DR) : 0;
}
