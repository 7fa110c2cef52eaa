/* ARM PL031 real-time clock (PrimeCell RTC TRM, DDI 0224): RTCDR counts
 * seconds since the Unix epoch on QEMU. */
#include "arch.h"
#include "dt.h"
#include "mm.h"
#include "printk.h"
#include "time.h"

#define RTC_DR  0x00    /* data register: current time in seconds */

static volatile uint8_t *rtc_base;

void rtc_init(void)
{
    int node = dt_find_compatible(-1, "arm,pl031");
    uint64_t pa, size;

    if (node < 0 || !dt_reg(node, 0, &pa, &size)) {
        klog("rtc: no PL031, wall clock unavailable");
        return;
    }
    rtc_base = ioremap(pa, size);
    if (rtc_base)
        klog("rtc: pl031 at %#lx, epoch %lu", (unsigned long)pa,
             (unsigned long)rtc_epoch_seconds());
}

uint64_t rtc_epoch_seconds(void)
{
    return rtc_base ? mmio_read32(rtc_base + RTC_DR) : 0;
}
