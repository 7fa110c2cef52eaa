/* Driver for QEMU's "edu" PCI device (QEMU docs/specs/edu.txt; vendor
 * 0x1234, device 0x11e8).  BAR0 (1 MiB MMIO, 32-bit accesses only below
 * 0x80) holds an identification register, a liveness check, and an
 * interrupt status register that writes to "raise" set and writes to
 * "acknowledge" clear.  The device signals MSI when MSI is enabled, else
 * a level INTx that stays asserted while status is non-zero.  The handler
 * reads status, acknowledges exactly those bits and counts.  Context:
 * init and mode changes in thread context; the handler in hard IRQ. */
#include "edu.h"
#include "arch.h"
#include "cmdline.h"
#include "irq.h"
#include "printk.h"
#include "sched.h"
#include "spinlock.h"
#include "string.h"
#include "time.h"

#define EDU_VENDOR          0x1234
#define EDU_DEVICE          0x11e8

/* BAR0 registers (edu.txt). */
#define EDU_REG_ID          0x00    /* 0xRRrr00ed: major, minor, 0x00ed */
#define EDU_REG_LIVENESS    0x04    /* reads back the inverse of a write */
#define EDU_REG_IRQ_STATUS  0x24
#define EDU_REG_IRQ_RAISE   0x60
#define EDU_REG_IRQ_ACK     0x64
#define EDU_ID_MAGIC_MASK   0xffff
#define EDU_ID_MAGIC        0x00ed
#define EDU_ID_MAJOR(v)     ((v) >> 24)
#define EDU_ID_MINOR(v)     (((v) >> 16) & 0xff)
#define EDU_LIVENESS_PROBE  0x5a5aa5a5u

static struct edu {
    struct pci_dev *pdev;
    volatile uint8_t *regs;
    bool handler_registered;
    int irq;                    /* INTID, -1 in poll mode */
    struct waitq wq;            /* edu_wait_irqs() sleepers */

    /* Protects the status read + acknowledge pair and the counters: the
     * handler (hard IRQ) and edu_poll() (thread) both do it, so
     * IRQ-saving. */
    struct spinlock lock;
    struct edu_stats stats;
} edu = { .irq = -1 };

static uint32_t edu_read(unsigned off)
{
    return mmio_read32(edu.regs + off);
}

static void edu_write(unsigned off, uint32_t v)
{
    mmio_write32(edu.regs + off, v);
}

/* Reads and acknowledges the pending status; 0 if none.  For INTx the
 * acknowledge lowers the line before the dispatcher's EOI, so a level
 * interrupt does not fire again (no storm). */
static uint32_t edu_ack_locked(void)
{
    uint32_t status = edu_read(EDU_REG_IRQ_STATUS);

    if (status)
        edu_write(EDU_REG_IRQ_ACK, status);
    return status;
}

static void edu_irq_handler(unsigned irq, void *ctx)
{
    uint64_t flags = spin_lock_irqsave(&edu.lock);
    uint32_t status = edu_ack_locked();

    if (status) {
        edu.stats.irqs++;
        edu.stats.acked_bits |= status;
    } else {
        edu.stats.not_mine++;   /* another function on a shared line */
    }
    spin_unlock_irqrestore(&edu.lock, flags);
    if (status)
        wake_up(&edu.wq);
}

static void edu_teardown_irq(void)
{
    struct pci_dev *d = edu.pdev;

    if (edu.handler_registered) {
        pci_irq_mask(d, 0);
        irq_unregister((unsigned)edu.irq, &edu);
        edu.handler_registered = false;
    }
    pci_free_irq_vectors(d);
    edu.irq = -1;
}

int edu_set_irq_mode(unsigned allowed)
{
    struct pci_dev *d = edu.pdev;

    if (!d)
        return -ENODEV;
    edu_teardown_irq();
    int n = pci_alloc_irq_vectors(d, 1, 1, allowed);
    if (n < 0) {
        klog("edu: no interrupt mode among %#x (%d): polling", allowed, n);
        pci_alloc_irq_vectors(d, 1, 1, PCI_IRQ_ALLOW_POLL);
        return n;
    }
    if (n == 0)
        return 0;

    int irq = pci_irq_vector(d, 0);
    int err = d->irq_mode == PCI_IRQ_INTX
        ? irq_register_shared((unsigned)irq, edu_irq_handler, &edu, "edu")
        : irq_register((unsigned)irq, IRQ_TRIGGER_EDGE, edu_irq_handler,
                       &edu, "edu");
    if (err) {
        klog("edu: cannot register INTID %d (%d): polling", irq, err);
        pci_free_irq_vectors(d);
        pci_alloc_irq_vectors(d, 1, 1, PCI_IRQ_ALLOW_POLL);
        return err;
    }
    edu.irq = irq;
    edu.handler_registered = true;
    /* Drop anything left from an earlier mode, then let interrupts in. */
    uint64_t flags = spin_lock_irqsave(&edu.lock);
    edu_write(EDU_REG_IRQ_ACK, 0xffffffff);
    spin_unlock_irqrestore(&edu.lock, flags);
    pci_irq_unmask(d, 0);
    return n;
}

static unsigned edu_allowed_from_cmdline(void)
{
    const char *v = cmdline_get("edu.irq");

    if (!v || !*v || strcmp(v, "auto") == 0)
        return PCI_IRQ_ALLOW_ALL;
    if (strcmp(v, "msi") == 0)
        return PCI_IRQ_ALLOW_MSI;
    if (strcmp(v, "intx") == 0)
        return PCI_IRQ_ALLOW_INTX;
    if (strcmp(v, "poll") == 0)
        return PCI_IRQ_ALLOW_POLL;
    klog("edu: edu.irq=%s unknown (msi|intx|poll|auto): using auto", v);
    return PCI_IRQ_ALLOW_ALL;
}

void edu_init(void)
{
    struct pci_dev *d = pci_find(EDU_VENDOR, EDU_DEVICE, NULL);

    if (!d)
        return;
    volatile uint8_t *regs = pci_bar_map(d, 0);
    if (!regs) {
        klog("edu " PCI_BDF_FMT ": BAR0 not usable (unassigned): not bound",
             PCI_BDF(d));
        return;
    }
    uint32_t id = mmio_read32(regs + EDU_REG_ID);
    if ((id & EDU_ID_MAGIC_MASK) != EDU_ID_MAGIC) {
        klog("edu: identification %#x is not an edu device: not bound", id);
        return;
    }
    mmio_write32(regs + EDU_REG_LIVENESS, EDU_LIVENESS_PROBE);
    uint32_t live = mmio_read32(regs + EDU_REG_LIVENESS);
    if (live != ~EDU_LIVENESS_PROBE) {
        klog("edu: liveness check read %#x, want %#x: not bound", live,
             ~EDU_LIVENESS_PROBE);
        return;
    }
    edu.pdev = d;
    edu.regs = regs;
    spin_init(&edu.lock, "edu");
    waitq_init(&edu.wq);
    d->driver_data = &edu;
    klog("edu " PCI_BDF_FMT ": version %u.%u, BAR0 at %#lx", PCI_BDF(d),
         EDU_ID_MAJOR(id), EDU_ID_MINOR(id), (unsigned long)d->bar[0].addr);
    edu_set_irq_mode(edu_allowed_from_cmdline());
}

bool edu_present(void)
{
    return edu.pdev != NULL;
}

struct pci_dev *edu_pci_dev(void)
{
    return edu.pdev;
}

enum pci_irq_mode edu_irq_mode(void)
{
    return edu.pdev ? edu.pdev->irq_mode : PCI_IRQ_POLL;
}

int edu_irq(void)
{
    return edu.irq;
}

void edu_raise(uint32_t value)
{
    if (!edu.pdev)
        return;
    uint64_t flags = spin_lock_irqsave(&edu.lock);
    edu.stats.raised++;
    spin_unlock_irqrestore(&edu.lock, flags);
    /* Outside the lock: in MSI or INTx mode the interrupt may be taken
     * right after this write, and its handler takes the lock. */
    edu_write(EDU_REG_IRQ_RAISE, value);
}

uint32_t edu_irq_status(void)
{
    return edu.pdev ? edu_read(EDU_REG_IRQ_STATUS) : 0;
}

uint32_t edu_poll(void)
{
    if (!edu.pdev)
        return 0;
    uint64_t flags = spin_lock_irqsave(&edu.lock);
    uint32_t status = edu_ack_locked();
    if (status) {
        edu.stats.polled++;
        edu.stats.acked_bits |= status;
    }
    spin_unlock_irqrestore(&edu.lock, flags);
    return status;
}

void edu_get_stats(struct edu_stats *s)
{
    uint64_t flags = spin_lock_irqsave(&edu.lock);
    *s = edu.stats;
    spin_unlock_irqrestore(&edu.lock, flags);
}

bool edu_wait_irqs(uint64_t target, uint64_t timeout_ns)
{
    if (!edu.pdev)
        return false;
    return wait_event_timeout(&edu.wq, READ_ONCE(edu.stats.irqs) >= target,
                              timeout_ns);
}
