/* MSI-X (PCI Local Bus 3.0 §6.8.2, PCIe Base 5.0 §7.7.2): the capability
 * names a BAR and offset holding a table of 16-byte entries (address low,
 * address high, data, vector control).  Programming order follows STYLE.md
 * d.2 step 9: enable together with Function Mask so nothing fires while the
 * entries are written, each entry left masked, then Function Mask cleared;
 * the caller (vectors.c) then sets INTx Disable.  Context: enable/disable from thread context; mask from
 * any context (a handler may mask its own vector). */
#include "pci_internal.h"
#include "arch.h"
#include "gicv2m.h"
#include "printk.h"

/* Capability registers (offsets from the capability). */
#define PCI_MSIX_FLAGS          2
#define PCI_MSIX_TABLE          4
#define PCI_MSIX_PBA            8
#define PCI_MSIX_FLAGS_QSIZE    0x07ff      /* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL  (1u << 14)  /* Function Mask */
#define PCI_MSIX_FLAGS_ENABLE   (1u << 15)
#define PCI_MSIX_BIR_MASK       0x7
#define PCI_MSIX_OFFSET_MASK    (~0x7u)

/* Table entry (§6.8.2.6-9). */
#define PCI_MSIX_ENTRY_SIZE     16
#define PCI_MSIX_ENTRY_ADDR_LO  0x0
#define PCI_MSIX_ENTRY_ADDR_HI  0x4
#define PCI_MSIX_ENTRY_DATA     0x8
#define PCI_MSIX_ENTRY_CTRL     0xc
#define PCI_MSIX_ENTRY_MASKED   0x1

unsigned pci_msix_table_size(struct pci_dev *d)
{
    if (!d->cap_msix)
        return 0;
    return (pci_cfg_read16(d, d->cap_msix + PCI_MSIX_FLAGS) &
            PCI_MSIX_FLAGS_QSIZE) + 1;
}

static volatile uint8_t *msix_entry(struct pci_dev *d, unsigned i)
{
    return d->msix_table + i * PCI_MSIX_ENTRY_SIZE;
}

/* Vector control is read-modify-written with 32-bit accesses (entries are
 * accessed as DWORDs, §6.8.2); the bits other than Mask are reserved (or
 * steering tags in newer PCIe) and are preserved. */
static void msix_entry_mask(volatile uint8_t *e, bool mask)
{
    uint32_t ctl = mmio_read32(e + PCI_MSIX_ENTRY_CTRL);

    ctl = mask ? (ctl | PCI_MSIX_ENTRY_MASKED) : (ctl & ~PCI_MSIX_ENTRY_MASKED);
    mmio_write32(e + PCI_MSIX_ENTRY_CTRL, ctl);
}

/* Maps the table; NULL with *why set when the BAR is unusable. */
static volatile uint8_t *msix_map_table(struct pci_dev *d, unsigned size,
                                        const char **why)
{
    uint32_t t = pci_cfg_read32(d, d->cap_msix + PCI_MSIX_TABLE);
    unsigned bir = t & PCI_MSIX_BIR_MASK;
    uint64_t off = t & PCI_MSIX_OFFSET_MASK;

    if (bir >= PCI_MAX_BARS || d->bar[bir].size == 0 || d->bar[bir].io) {
        *why = "table BAR is not a memory BAR";
        return NULL;
    }
    if (d->bar[bir].addr == 0) {
        *why = "table BAR unassigned";
        return NULL;
    }
    if (off + (uint64_t)size * PCI_MSIX_ENTRY_SIZE > d->bar[bir].size) {
        *why = "table passes the end of its BAR";
        return NULL;
    }
    uint8_t *base = pci_bar_map(d, bir);
    if (!base) {
        *why = "cannot map the table BAR";
        return NULL;
    }
    return base + off;
}

int pci_msix_enable(struct pci_dev *d, unsigned nvec, unsigned first_intid,
                    const char **why)
{
    unsigned size = pci_msix_table_size(d);
    unsigned flags_off = d->cap_msix + PCI_MSIX_FLAGS;

    if (!d->cap_msix) {
        *why = "no capability";
        return -ENODEV;
    }
    if (nvec > size) {
        *why = "table too small";
        return -ENOSPC;
    }
    volatile uint8_t *table = msix_map_table(d, size, why);
    if (!table)
        return -ENXIO;
    d->msix_table = table;

    /* MSI and MSI-X must not be enabled together (§6.8.3.3). */
    pci_msi_disable(d);
    uint16_t ctl = pci_cfg_read16(d, flags_off);
    pci_cfg_write16(d, flags_off, ctl | PCI_MSIX_FLAGS_ENABLE |
                                  PCI_MSIX_FLAGS_MASKALL);
    for (unsigned i = 0; i < size; i++) {
        volatile uint8_t *e = msix_entry(d, i);
        msix_entry_mask(e, true);
        if (i >= nvec)
            continue;
        struct msi_msg msg;
        gicv2m_compose(first_intid + i, &msg);
        mmio_write32(e + PCI_MSIX_ENTRY_ADDR_LO, (uint32_t)msg.address);
        mmio_write32(e + PCI_MSIX_ENTRY_ADDR_HI,
                     (uint32_t)(msg.address >> 32));
        mmio_write32(e + PCI_MSIX_ENTRY_DATA, msg.data);
    }
    /* The entries are written before the function is unmasked: a device
     * must never see a half-programmed, unmasked entry. */
    (void)mmio_read32(msix_entry(d, 0) + PCI_MSIX_ENTRY_CTRL);
    ctl = pci_cfg_read16(d, flags_off);
    pci_cfg_write16(d, flags_off, (ctl | PCI_MSIX_FLAGS_ENABLE) &
                                  ~PCI_MSIX_FLAGS_MASKALL);
    return 0;   /* the caller sets INTx Disable */
}

void pci_msix_disable(struct pci_dev *d)
{
    if (!d->cap_msix)
        return;
    unsigned flags_off = d->cap_msix + PCI_MSIX_FLAGS;
    uint16_t ctl = pci_cfg_read16(d, flags_off);

    if (d->msix_table && (ctl & PCI_MSIX_FLAGS_ENABLE)) {
        unsigned size = pci_msix_table_size(d);
        for (unsigned i = 0; i < size; i++)
            msix_entry_mask(msix_entry(d, i), true);
    }
    pci_cfg_write16(d, flags_off, ctl & ~(PCI_MSIX_FLAGS_ENABLE |
                                          PCI_MSIX_FLAGS_MASKALL));
    d->msix_table = NULL;
}

/* Context: any; a handler may mask its own vector.  Each entry has one
 * owner (its vector), so the read-modify-write needs no lock. */
void pci_msix_mask(struct pci_dev *d, unsigned i, bool mask)
{
    if (!d->msix_table)
        return;
    volatile uint8_t *e = msix_entry(d, i);
    msix_entry_mask(e, mask);
    /* Read back so the (posted) write has reached the device before the
     * caller goes on, e.g. before it enables the SPI. */
    (void)mmio_read32(e + PCI_MSIX_ENTRY_CTRL);
}

/* For tests: the entry's programmed message and mask bit. */
bool pci_msix_read_entry(struct pci_dev *d, unsigned i, uint64_t *addr,
                         uint32_t *data, bool *masked)
{
    if (!d->msix_table || i >= pci_msix_table_size(d))
        return false;
    volatile uint8_t *e = msix_entry(d, i);
    *addr = mmio_read32(e + PCI_MSIX_ENTRY_ADDR_LO) |
            (uint64_t)mmio_read32(e + PCI_MSIX_ENTRY_ADDR_HI) << 32;
    *data = mmio_read32(e + PCI_MSIX_ENTRY_DATA);
    *masked = mmio_read32(e + PCI_MSIX_ENTRY_CTRL) & PCI_MSIX_ENTRY_MASKED;
    return true;
}

bool pci_msix_enabled(struct pci_dev *d)
{
    return d->cap_msix && (pci_cfg_read16(d, d->cap_msix + PCI_MSIX_FLAGS) &
                           PCI_MSIX_FLAGS_ENABLE);
}
