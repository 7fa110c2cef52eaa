/* Configuration space access through ECAM (PCIe Base 5.0 §7.2.2): function
 * b:d.f's 4 KiB sit at ECAM + (b - bus_start) << 20 | d << 15 | f << 12.
 * The ECAM window on QEMU virt is 256 MiB in high memory; it is mapped one
 * bus (1 MiB) at a time, when that bus is first touched.  Accessors are
 * plain MMIO loads/stores of the access width (ECAM allows 1, 2 and 4
 * bytes).  Context: mapping happens during enumeration (thread context);
 * the accessors run in any context. */
#include "pci_internal.h"
#include "arch.h"
#include "mm.h"
#include "printk.h"

volatile uint8_t *pci_ecam_cfg(unsigned bus, unsigned dev, unsigned fn)
{
    struct pci_host *h = &pci_host;

    if (bus < h->bus_start || bus > h->bus_end || dev >= PCI_MAX_DEV ||
        fn >= PCI_MAX_FN)
        return NULL;
    if (!h->bus_va[bus]) {
        paddr_t pa = h->ecam_phys +
                     ((paddr_t)(bus - h->bus_start) << PCI_ECAM_BUS_SHIFT);
        /* Enumeration is single-threaded, so no lock guards bus_va. */
        h->bus_va[bus] = ioremap(pa, PCI_ECAM_BUS_SIZE);
        if (!h->bus_va[bus]) {
            klog("pci: cannot map ECAM for bus %02x", bus);
            return NULL;
        }
        h->buses_mapped++;
    }
    return h->bus_va[bus] + ((uintptr_t)dev << PCI_ECAM_DEV_SHIFT) +
           ((uintptr_t)fn << PCI_ECAM_FN_SHIFT);
}

/* Offsets are masked to the 4 KiB of the function and aligned to the
 * access size, so a bad offset reads the wrong register, never another
 * function's or unmapped memory. */
uint8_t pci_cfg_read8(struct pci_dev *d, unsigned off)
{
    return mmio_read8(d->cfg + (off & 0xfff));
}

uint16_t pci_cfg_read16(struct pci_dev *d, unsigned off)
{
    return mmio_read16(d->cfg + (off & 0xffe));
}

uint32_t pci_cfg_read32(struct pci_dev *d, unsigned off)
{
    return mmio_read32(d->cfg + (off & 0xffc));
}

void pci_cfg_write8(struct pci_dev *d, unsigned off, uint8_t v)
{
    mmio_write8(d->cfg + (off & 0xfff), v);
}

void pci_cfg_write16(struct pci_dev *d, unsigned off, uint16_t v)
{
    mmio_write16(d->cfg + (off & 0xffe), v);
}

void pci_cfg_write32(struct pci_dev *d, unsigned off, uint32_t v)
{
    mmio_write32(d->cfg + (off & 0xffc), v);
}

/* Capability list (PCI Local Bus 3.0 §6.7): pointers are dword aligned, in
 * 0x40..0xff; the walk is bounded so a looping list ends. */
unsigned pci_find_cap(struct pci_dev *d, uint8_t id, unsigned after)
{
    unsigned pos;

    if (!(pci_cfg_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    if (after)
        pos = pci_cfg_read8(d, after + 1);
    else
        pos = pci_cfg_read8(d, PCI_CAP_PTR);
    for (int n = 0; n < PCI_CAP_LIST_MAX; n++) {
        pos &= 0xfc;
        if (pos < 0x40)
            return 0;
        if (pci_cfg_read8(d, pos) == id)
            return pos;
        pos = pci_cfg_read8(d, pos + 1);
    }
    return 0;
}
