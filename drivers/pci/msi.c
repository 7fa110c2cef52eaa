/* Plain MSI (PCI Local Bus 3.0 §6.8.1): one message, in the 32-bit or the
 * 64-bit address form, with the optional per-vector mask register.
 * Multi-message MSI is not used (one vector is all our drivers ask of it).
 * Context: enable/disable from thread context; mask from any context. */
#include "pci_internal.h"
#include "gicv2m.h"

/* Capability registers (offsets from the capability). */
#define PCI_MSI_FLAGS           2
#define PCI_MSI_ADDRESS_LO      4
#define PCI_MSI_ADDRESS_HI      8       /* 64-bit form only */
#define PCI_MSI_DATA_32         8
#define PCI_MSI_DATA_64         12
#define PCI_MSI_MASK_32         12
#define PCI_MSI_MASK_64         16

#define PCI_MSI_FLAGS_ENABLE    (1u << 0)
#define PCI_MSI_FLAGS_QMASK     (7u << 1)   /* multiple message capable */
#define PCI_MSI_FLAGS_QSIZE     (7u << 4)   /* multiple message enable */
#define PCI_MSI_FLAGS_64BIT     (1u << 7)
#define PCI_MSI_FLAGS_MASKBIT   (1u << 8)   /* per-vector masking */

static uint16_t msi_flags(struct pci_dev *d)
{
    return pci_cfg_read16(d, d->cap_msi + PCI_MSI_FLAGS);
}

static unsigned msi_mask_off(struct pci_dev *d, uint16_t flags)
{
    return d->cap_msi + ((flags & PCI_MSI_FLAGS_64BIT) ? PCI_MSI_MASK_64
                                                       : PCI_MSI_MASK_32);
}

int pci_msi_enable(struct pci_dev *d, unsigned intid, const char **why)
{
    struct msi_msg msg;

    if (!d->cap_msi) {
        *why = "no capability";
        return -ENODEV;
    }
    uint16_t flags = msi_flags(d);
    bool is64 = flags & PCI_MSI_FLAGS_64BIT;
    gicv2m_compose(intid, &msg);
    if (!is64 && (msg.address >> 32)) {
        *why = "32-bit MSI cannot reach the doorbell";
        return -ERANGE;
    }
    /* MSI and MSI-X must not be enabled together (§6.8.3.3). */
    pci_msix_disable(d);
    pci_cfg_write16(d, d->cap_msi + PCI_MSI_FLAGS,
                    flags & ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
    pci_cfg_write32(d, d->cap_msi + PCI_MSI_ADDRESS_LO, (uint32_t)msg.address);
    if (is64) {
        pci_cfg_write32(d, d->cap_msi + PCI_MSI_ADDRESS_HI,
                        (uint32_t)(msg.address >> 32));
        pci_cfg_write16(d, d->cap_msi + PCI_MSI_DATA_64, (uint16_t)msg.data);
    } else {
        pci_cfg_write16(d, d->cap_msi + PCI_MSI_DATA_32, (uint16_t)msg.data);
    }
    /* Start masked where the device can mask; the driver unmasks. */
    if (flags & PCI_MSI_FLAGS_MASKBIT)
        pci_cfg_write32(d, msi_mask_off(d, flags), 1);
    /* Multiple Message Enable stays 0: one vector. */
    pci_cfg_write16(d, d->cap_msi + PCI_MSI_FLAGS,
                    (flags & ~PCI_MSI_FLAGS_QSIZE) | PCI_MSI_FLAGS_ENABLE);
    return 0;   /* the caller sets INTx Disable */
}

void pci_msi_disable(struct pci_dev *d)
{
    if (!d->cap_msi)
        return;
    uint16_t flags = msi_flags(d);
    pci_cfg_write16(d, d->cap_msi + PCI_MSI_FLAGS,
                    flags & ~PCI_MSI_FLAGS_ENABLE);
}

/* Without per-vector masking only the GIC side can mask (the caller does
 * that too). */
void pci_msi_mask(struct pci_dev *d, bool mask)
{
    if (!d->cap_msi)
        return;
    uint16_t flags = msi_flags(d);
    if (flags & PCI_MSI_FLAGS_MASKBIT)
        pci_cfg_write32(d, msi_mask_off(d, flags), mask ? 1 : 0);
}

bool pci_msi_enabled(struct pci_dev *d)
{
    return d->cap_msi && (msi_flags(d) & PCI_MSI_FLAGS_ENABLE);
}

bool pci_msi_is64(struct pci_dev *d)
{
    return d->cap_msi && (msi_flags(d) & PCI_MSI_FLAGS_64BIT);
}
