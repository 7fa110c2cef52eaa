/* ARM generic timer (Arm ARM D11): the counter CNTPCT_EL0 gives monotonic
 * time; the EL1 non-secure physical timer (CNTP_*) gives the periodic tick
 * on the PPI the DTB's "arm,armv8-timer" node lists second. */
#include "time.h"
#include "arch.h"
#include "cmdline.h"
#include "dt.h"
#include "irq.h"
#include "panic.h"
#include "printk.h"
#include "sched.h"

#define CNTP_CTL_ENABLE     (1 << 0)
#define CNTP_CTL_IMASK      (1 << 1)

/* Index of the non-secure EL1 physical timer in the node's interrupts
 * (bindings/timer/arm,arch_timer.yaml: secure, non-secure, virtual, hyp). */
#define TIMER_IRQ_NS_PHYS   1
#define TIMER_DEFAULT_HZ    1000
#define TIMER_MAX_HZ        10000

static uint64_t cnt_freq;
static uint64_t tick_period;    /* counter ticks per timer tick */
static unsigned tick_hz;
static volatile uint64_t ticks;
static uint64_t next_deadline;
static bool tick_stopped;       /* idle with the tick off (timer_nohz_*) */

uint64_t time_counter(void)
{
    isb();  /* do not let the read run ahead of earlier instructions */
    return read_sysreg(cntpct_el0);
}

uint64_t time_counter_freq(void)
{
    if (!cnt_freq)
        cnt_freq = read_sysreg(cntfrq_el0);
    return cnt_freq;
}

uint64_t time_counter_to_ns(uint64_t c)
{
    uint64_t f = time_counter_freq();

    if (!f)
        return 0;
    return (c / f) * NSEC_PER_SEC + (c % f) * NSEC_PER_SEC / f;
}

/* Counts from the counter's reset (QEMU start), so timestamps in the log
 * are also guest time since power-on. */
uint64_t time_ns(void)
{
    return time_counter_to_ns(time_counter());
}

unsigned timer_tick_hz(void)
{
    return tick_hz;
}

uint64_t timer_ticks(void)
{
    return ticks;
}

static void timer_irq(unsigned irq, void *ctx)
{
    /* Program the next deadline from the previous one, so the tick does
     * not drift with interrupt latency; skip missed ticks. */
    uint64_t now = time_counter();
    next_deadline += tick_period;
    if (next_deadline <= now)
        next_deadline = now + tick_period;
    write_sysreg(cntp_cval_el0, next_deadline);
    tick_stopped = false;
    ticks++;
    sched_tick();
}

/* Tickless idle: with nothing to run, the next interrupt the timer needs
 * to deliver is the earliest sleeper's deadline, not the next tick.  Called
 * by the idle thread with IRQs masked; wake_ns 0 = no sleeper. */
void timer_nohz_enter(uint64_t wake_ns)
{
    uint64_t f = time_counter_freq();
    uint64_t max_idle = f;      /* wake at least once a second anyway */
    uint64_t target = time_counter() + max_idle;

    if (wake_ns) {
        uint64_t c = wake_ns / NSEC_PER_SEC * f +
                     (wake_ns % NSEC_PER_SEC) * f / NSEC_PER_SEC;
        if (c < target)
            target = c;
    }
    if (target > next_deadline) {
        tick_stopped = true;
        write_sysreg(cntp_cval_el0, target);
    }
}

/* Leaving idle: back to the periodic tick, so the next thread gets
 * preempted on time.  IRQs masked (scheduler lock held). */
void timer_nohz_exit(void)
{
    if (!tick_stopped)
        return;
    tick_stopped = false;
    next_deadline = time_counter() + tick_period;
    write_sysreg(cntp_cval_el0, next_deadline);
}

void timer_init(void)
{
    int node = dt_find_compatible(-1, "arm,armv8-timer");
    int irq = node >= 0 ? dt_irq(node, TIMER_IRQ_NS_PHYS, NULL) : -1;

    if (irq < 0)
        panic("timer: no arm,armv8-timer interrupt in the device tree");
    tick_hz = (unsigned)cmdline_get_uint("tick_hz", TIMER_DEFAULT_HZ);
    if (tick_hz == 0 || tick_hz > TIMER_MAX_HZ) {
        klog("timer: tick_hz=%u out of range, using %u", tick_hz,
             TIMER_DEFAULT_HZ);
        tick_hz = TIMER_DEFAULT_HZ;
    }
    tick_period = time_counter_freq() / tick_hz;
    if (irq_register(irq, IRQ_TRIGGER_LEVEL, timer_irq, NULL, "timer"))
        panic("timer: cannot register interrupt %d", irq);
    next_deadline = time_counter() + tick_period;
    write_sysreg(cntp_cval_el0, next_deadline);
    write_sysreg(cntp_ctl_el0, CNTP_CTL_ENABLE);
    irq_enable(irq);
    klog("timer: %u Hz tick on interrupt %d, counter %lu Hz", tick_hz, irq,
         (unsigned long)time_counter_freq());
}
