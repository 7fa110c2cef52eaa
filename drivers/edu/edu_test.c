/* End-to-end tests of the PCI interrupt modes with QEMU's edu device (run
 * with -device edu): MSI through the GICv2m frame, shared level-triggered
 * INTx through the interrupt-map, polling, and the fall back to INTx when
 * the frame is out of SPIs.  Each test puts the default mode back. */
#include "edu.h"
#include "gic.h"
#include "gicv2m.h"
#include "irq.h"
#include "ktest.h"
#include "sched.h"
#include "time.h"

#define NO_EDU      "device not present (run with -device edu)"
#define WAIT_NS     (1000 * NSEC_PER_MSEC)

/* Raises `count` interrupts one at a time, each acknowledged by the handler
 * before the next (MSIs are edges: two raised before the first is taken
 * would merge into one pending SPI).  Returns how many arrived in time. */
static unsigned raise_and_wait(unsigned count)
{
    struct edu_stats s;
    edu_get_stats(&s);
    uint64_t base = s.irqs;

    for (unsigned i = 1; i <= count; i++) {
        edu_raise(1u << (i % 8));
        if (!edu_wait_irqs(base + i, WAIT_NS))
            return i - 1;
    }
    return count;
}

static void restore_default(void)
{
    edu_set_irq_mode(PCI_IRQ_ALLOW_ALL);
}

KTEST_DEV(edu, msi)
{
    KT_ASSERT(t, edu_present(), NO_EDU);
    int n = edu_set_irq_mode(PCI_IRQ_ALLOW_MSI);
    KT_ASSERT(t, n == 1 && edu_irq_mode() == PCI_IRQ_MSI,
              "mode %s (%d), want MSI", pci_irq_mode_name(edu_irq_mode()), n);
    int irq = edu_irq();
    KT_EXPECT(t, irq >= (int)gicv2m_spi_base() &&
              irq < (int)(gicv2m_spi_base() + gicv2m_spi_count()),
              "MSI INTID %d is not a GICv2m SPI", irq);

    struct edu_stats before, after;
    edu_get_stats(&before);
    uint64_t dispatched = irq_count(irq);
    unsigned got = raise_and_wait(100);
    sleep_ms(10);               /* anything extra would show up now */
    edu_get_stats(&after);

    KT_EXPECT(t, got == 100, "only %u of 100 MSIs arrived", got);
    KT_EXPECT(t, after.irqs - before.irqs == 100, "handler ran %lu times",
              (unsigned long)(after.irqs - before.irqs));
    KT_EXPECT(t, irq_count(irq) - dispatched == 100,
              "dispatcher counted %lu on INTID %d",
              (unsigned long)(irq_count(irq) - dispatched), irq);
    KT_EXPECT(t, edu_irq_status() == 0, "status %#x left", edu_irq_status());
    restore_default();
}

KTEST_DEV(edu, intx)
{
    KT_ASSERT(t, edu_present(), NO_EDU);
    int n = edu_set_irq_mode(PCI_IRQ_ALLOW_INTX);
    KT_ASSERT(t, n == 1 && edu_irq_mode() == PCI_IRQ_INTX,
              "mode %s (%d), want INTx", pci_irq_mode_name(edu_irq_mode()), n);
    int irq = edu_irq();
    KT_EXPECT(t, irq >= 35 && irq <= 38, "INTx INTID %d is not one of "
              "QEMU virt's PCI SPIs 3-6", irq);

    struct edu_stats before, after;
    edu_get_stats(&before);
    uint64_t dispatched = irq_count(irq);
    unsigned got = raise_and_wait(20);
    sleep_ms(20);               /* a line left high would storm now */
    edu_get_stats(&after);

    KT_EXPECT(t, got == 20, "only %u of 20 INTx interrupts arrived", got);
    KT_EXPECT(t, after.irqs - before.irqs == 20, "handler found status %lu "
              "times for 20 raises",
              (unsigned long)(after.irqs - before.irqs));
    /* Every dispatch of the line is one raise (the line is not shared with
     * an active device in this test setup): no storm. */
    KT_EXPECT(t, irq_count(irq) - dispatched == 20,
              "INTID %d dispatched %lu times for 20 raises", irq,
              (unsigned long)(irq_count(irq) - dispatched));
    /* The acknowledge lowered the line. */
    KT_EXPECT(t, edu_irq_status() == 0, "status %#x left", edu_irq_status());
    KT_EXPECT(t, !gic_is_pending(irq), "INTID %d still pending", irq);
    restore_default();
}

KTEST_DEV(edu, poll)
{
    KT_ASSERT(t, edu_present(), NO_EDU);
    struct pci_dev *d = edu_pci_dev();
    int n = edu_set_irq_mode(PCI_IRQ_ALLOW_POLL);
    KT_ASSERT(t, n == 0 && edu_irq_mode() == PCI_IRQ_POLL,
              "mode %s (%d), want poll", pci_irq_mode_name(edu_irq_mode()), n);
    KT_EXPECT(t, edu_irq() < 0 && pci_irq_vector(d, 0) < 0,
              "poll mode has a vector");
    KT_EXPECT(t, pci_cfg_read16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE,
              "INTx not disabled in poll mode");

    struct edu_stats before, after;
    edu_get_stats(&before);
    edu_raise(0x4);
    sleep_ms(20);
    KT_EXPECT(t, edu_irq_status() == 0x4, "status %#x after raise",
              edu_irq_status());
    KT_EXPECT(t, edu_poll() == 0x4, "poll did not find the raise");
    KT_EXPECT(t, edu_poll() == 0, "poll found it twice");
    edu_get_stats(&after);
    KT_EXPECT(t, after.irqs == before.irqs, "an interrupt arrived in poll "
              "mode");
    KT_EXPECT(t, after.polled == before.polled + 1, "polled %lu",
              (unsigned long)(after.polled - before.polled));
    restore_default();
}

/* Bad input: no SPI left in the GICv2m frame.  pci_alloc_irq_vectors logs
 * "MSI unavailable (out of GICv2m SPIs), trying INTx" and INTx works. */
KTEST_DEV(edu, exhaustion_falls_back_to_intx)
{
    KT_ASSERT(t, edu_present(), NO_EDU);
    KT_ASSERT(t, gicv2m_present(), "no GICv2m frame");
    edu_set_irq_mode(PCI_IRQ_ALLOW_POLL);   /* give back edu's own SPI */
    int hold = gicv2m_alloc(1);             /* so the cap is never 0 */
    KT_ASSERT(t, hold >= 0, "alloc failed: %d", hold);
    gicv2m_set_limit(gicv2m_used());

    int n = edu_set_irq_mode(PCI_IRQ_ALLOW_ALL);
    enum pci_irq_mode mode = edu_irq_mode();
    unsigned got = raise_and_wait(5);

    gicv2m_set_limit(0);
    gicv2m_free(hold, 1);
    KT_EXPECT(t, n == 1 && mode == PCI_IRQ_INTX, "mode %s (%d), want INTx",
              pci_irq_mode_name(mode), n);
    KT_EXPECT(t, got == 5, "only %u of 5 interrupts in the fallback mode",
              got);
    restore_default();
    KT_EXPECT(t, edu_irq_mode() == PCI_IRQ_MSI, "MSI not back after the cap: "
              "%s", pci_irq_mode_name(edu_irq_mode()));
}
