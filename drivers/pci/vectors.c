/* Interrupt vectors for PCI functions, in the spirit of Linux's
 * pci_alloc_irq_vectors(): the ladder MSI-X -> MSI -> INTx -> polling,
 * limited to the modes the caller allows, with one log line per step saying
 * why a mode was passed over and one saying what was chosen.  MSI and MSI-X
 * vectors are GICv2m SPIs (edge); INTx is a shared level-triggered SPI from
 * the host's interrupt-map.  Context: allocation and freeing in thread
 * context; pci_irq_mask/unmask from any context (a handler may mask its own
 * vector). */
#include "pci_internal.h"
#include "gicv2m.h"
#include "irq.h"
#include "printk.h"
#include "spinlock.h"

/* Protects read-modify-write of the command register's INTx-disable bit
 * and of the MSI mask register, which pci_irq_mask() may do from a handler
 * while thread context changes the same register: IRQ-saving. */
static struct spinlock pci_cmd_lock = SPINLOCK_INIT("pci-cmd");

static const char *const mode_names[] = {
    [PCI_IRQ_POLL] = "poll", [PCI_IRQ_INTX] = "INTx",
    [PCI_IRQ_MSI] = "MSI", [PCI_IRQ_MSIX] = "MSI-X",
};

const char *pci_irq_mode_name(enum pci_irq_mode m)
{
    return (unsigned)m < ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

static void pci_intx_disable(struct pci_dev *d, bool disable)
{
    uint64_t flags = spin_lock_irqsave(&pci_cmd_lock);
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
    cmd = disable ? (cmd | PCI_COMMAND_INTX_DISABLE)
                  : (cmd & ~PCI_COMMAND_INTX_DISABLE);
    pci_cfg_write16(d, PCI_COMMAND, cmd);
    spin_unlock_irqrestore(&pci_cmd_lock, flags);
}

static bool msi_controller_ok(void)
{
    return gicv2m_present() && pci_host.msi_ok;
}

/* Each try_* returns the vector count (>= 0) or a negative errno with
 * *why set. */
static int try_msix(struct pci_dev *d, unsigned min, unsigned max,
                    const char **why)
{
    if (!d->cap_msix) {
        *why = "no capability";
        return -ENODEV;
    }
    if (!msi_controller_ok()) {
        *why = "no MSI controller";
        return -ENODEV;
    }
    unsigned n = MIN(MIN(max, pci_msix_table_size(d)), PCI_MAX_VECTORS);
    if (n < min) {
        *why = "table smaller than the minimum asked for";
        return -ENOSPC;
    }
    int first = -ENOSPC;
    /* Fewer vectors than max are fine down to min (Linux does the same). */
    for (; n >= min && n > 0; n--)
        if ((first = gicv2m_alloc(n)) >= 0)
            break;
    if (first < 0) {
        *why = "out of GICv2m SPIs";
        return -ENOSPC;
    }
    int err = pci_msix_enable(d, n, (unsigned)first, why);
    if (err) {
        gicv2m_free((unsigned)first, n);
        return err;
    }
    pci_intx_disable(d, true);
    for (unsigned i = 0; i < n; i++)
        d->irq[i] = (unsigned)first + i;
    return (int)n;
}

static int try_msi(struct pci_dev *d, unsigned min, const char **why)
{
    if (!d->cap_msi) {
        *why = "no capability";
        return -ENODEV;
    }
    if (!msi_controller_ok()) {
        *why = "no MSI controller";
        return -ENODEV;
    }
    if (min > 1) {
        *why = "one message only, more asked for";
        return -ENOSPC;
    }
    int intid = gicv2m_alloc(1);
    if (intid < 0) {
        *why = "out of GICv2m SPIs";
        return -ENOSPC;
    }
    int err = pci_msi_enable(d, (unsigned)intid, why);
    if (err) {
        gicv2m_free((unsigned)intid, 1);
        return err;
    }
    pci_intx_disable(d, true);
    d->irq[0] = (unsigned)intid;
    return 1;
}

static int try_intx(struct pci_dev *d, unsigned min, const char **why)
{
    if (!d->irq_pin) {
        *why = "no interrupt pin";
        return -ENODEV;
    }
    if (min > 1) {
        *why = "one line only, more asked for";
        return -ENOSPC;
    }
    int intid = pci_intx_route(d, NULL);
    if (intid < 0) {
        *why = intid == -ENXIO ? "no interrupt-map"
                               : "pin not in the interrupt-map";
        return intid;
    }
    /* Masked (INTx Disable, PCI 3.0 §6.2.2) until the driver unmasks. */
    pci_intx_disable(d, true);
    d->irq[0] = (unsigned)intid;
    return 1;
}

static int try_mode(struct pci_dev *d, enum pci_irq_mode m, unsigned min,
                    unsigned max, const char **why)
{
    switch (m) {
    case PCI_IRQ_MSIX: return try_msix(d, min, max, why);
    case PCI_IRQ_MSI:  return try_msi(d, min, why);
    case PCI_IRQ_INTX: return try_intx(d, min, why);
    case PCI_IRQ_POLL:
        pci_intx_disable(d, true);  /* the device must not hold a line */
        return 0;
    }
    return -EINVAL;
}

static void log_choice(struct pci_dev *d, unsigned allowed)
{
    const char *restricted = (allowed & PCI_IRQ_ALLOW_ALL) ==
                             PCI_IRQ_ALLOW_ALL ? "" : " (modes restricted)";

    switch (d->irq_mode) {
    case PCI_IRQ_MSIX:
        if (d->nvec == 1)
            klog("pci " PCI_BDF_FMT ": MSI-X: 1 vector (INTID %u)%s",
                 PCI_BDF(d), d->irq[0], restricted);
        else
            klog("pci " PCI_BDF_FMT ": MSI-X: %u vectors (INTIDs %u-%u)%s",
                 PCI_BDF(d), d->nvec, d->irq[0], d->irq[d->nvec - 1],
                 restricted);
        break;
    case PCI_IRQ_MSI:
        klog("pci " PCI_BDF_FMT ": MSI: 1 vector (INTID %u)%s", PCI_BDF(d),
             d->irq[0], restricted);
        break;
    case PCI_IRQ_INTX:
        klog("pci " PCI_BDF_FMT ": INTx: INT%c -> INTID %u (shared, "
             "level)%s", PCI_BDF(d), 'A' + d->irq_pin - 1, d->irq[0],
             restricted);
        break;
    case PCI_IRQ_POLL:
        klog("pci " PCI_BDF_FMT ": polling, no interrupt vectors%s",
             PCI_BDF(d), restricted);
        break;
    }
}

int pci_alloc_irq_vectors(struct pci_dev *d, unsigned min, unsigned max,
                          unsigned allowed)
{
    static const enum pci_irq_mode ladder[] = {
        PCI_IRQ_MSIX, PCI_IRQ_MSI, PCI_IRQ_INTX, PCI_IRQ_POLL,
    };
    int err = -EINVAL;

    if (!d || max < min || max == 0)
        return -EINVAL;
    if (d->nvec)
        return -EBUSY;          /* pci_free_irq_vectors() first */
    max = MIN(max, PCI_MAX_VECTORS);
    for (unsigned k = 0; k < ARRAY_SIZE(ladder); k++) {
        enum pci_irq_mode m = ladder[k];
        const char *why = "";
        if (!(allowed & (1u << m)))
            continue;
        int n = try_mode(d, m, min, max, &why);
        if (n >= 0) {
            d->irq_mode = m;
            d->nvec = (unsigned)n;
            log_choice(d, allowed);
            return n;
        }
        err = n;
        const char *next = NULL;
        for (unsigned j = k + 1; j < ARRAY_SIZE(ladder) && !next; j++)
            if (allowed & (1u << ladder[j]))
                next = mode_names[ladder[j]];
        if (next)
            klog("pci " PCI_BDF_FMT ": %s unavailable (%s), trying %s",
                 PCI_BDF(d), mode_names[m], why, next);
        else
            klog("pci " PCI_BDF_FMT ": %s unavailable (%s), no mode left",
                 PCI_BDF(d), mode_names[m], why);
    }
    return err;
}

void pci_free_irq_vectors(struct pci_dev *d)
{
    if (!d)
        return;
    switch (d->irq_mode) {
    case PCI_IRQ_MSIX:
        for (unsigned i = 0; i < d->nvec; i++)
            irq_disable(d->irq[i]);
        pci_msix_disable(d);
        if (d->nvec)
            gicv2m_free(d->irq[0], d->nvec);
        break;
    case PCI_IRQ_MSI:
        irq_disable(d->irq[0]);
        pci_msi_disable(d);
        gicv2m_free(d->irq[0], 1);
        break;
    case PCI_IRQ_INTX:
        /* The line may be shared: only this function is silenced. */
        pci_intx_disable(d, true);
        break;
    case PCI_IRQ_POLL:
        break;
    }
    for (unsigned i = 0; i < d->nvec; i++)
        d->irq[i] = 0;
    d->nvec = 0;
    d->irq_mode = PCI_IRQ_POLL;
}

int pci_irq_vector(struct pci_dev *d, unsigned i)
{
    if (!d || i >= d->nvec)
        return -EINVAL;
    return (int)d->irq[i];
}

/* Both levels (STYLE.md d.2 step 8): the device's mask, so it holds the
 * message as pending, and the SPI enable at the distributor.  For a shared
 * INTx line only the function's INTx Disable bit is touched: disabling the
 * GIC line would silence the other functions on it. */
void pci_irq_mask(struct pci_dev *d, unsigned i)
{
    if (!d || i >= d->nvec)
        return;
    switch (d->irq_mode) {
    case PCI_IRQ_MSIX:
        pci_msix_mask(d, i, true);
        irq_disable(d->irq[i]);
        break;
    case PCI_IRQ_MSI: {
        uint64_t flags = spin_lock_irqsave(&pci_cmd_lock);
        pci_msi_mask(d, true);
        spin_unlock_irqrestore(&pci_cmd_lock, flags);
        irq_disable(d->irq[0]);
        break;
    }
    case PCI_IRQ_INTX:
        pci_intx_disable(d, true);
        break;
    case PCI_IRQ_POLL:
        break;
    }
}

void pci_irq_unmask(struct pci_dev *d, unsigned i)
{
    if (!d || i >= d->nvec)
        return;
    switch (d->irq_mode) {
    case PCI_IRQ_MSIX:
        irq_enable(d->irq[i]);
        pci_msix_mask(d, i, false);
        break;
    case PCI_IRQ_MSI: {
        irq_enable(d->irq[0]);
        uint64_t flags = spin_lock_irqsave(&pci_cmd_lock);
        pci_msi_mask(d, false);
        spin_unlock_irqrestore(&pci_cmd_lock, flags);
        break;
    }
    case PCI_IRQ_INTX:
        irq_enable(d->irq[0]);
        pci_intx_disable(d, false);
        break;
    case PCI_IRQ_POLL:
        break;
    }
}
