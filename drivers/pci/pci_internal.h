/* Private to drivers/pci: the host bridge as the DTB describes it (ECAM,
 * bus range, address windows, INTx map) and the helpers the PCI files share.
 * Bindings: Devicetree "PCI Bus Binding" (IEEE 1275 PCI supplement) and
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml. */
#ifndef PCI_INTERNAL_H
#define PCI_INTERNAL_H

#include "pci.h"

/* PCI unit address phys.hi cell (IEEE 1275 PCI binding, 2.2.1.1):
 *     npt000ss bbbbbbbb dddddfff rrrrrrrr
 * ss = space code, p = prefetchable, bbbbbbbb/ddddd/fff = bus/device/fn. */
#define PCI_PHYS_SS_SHIFT       24
#define PCI_PHYS_SS_MASK        3
#define PCI_PHYS_SS_CONFIG      0
#define PCI_PHYS_SS_IO          1
#define PCI_PHYS_SS_MEM32       2
#define PCI_PHYS_SS_MEM64       3
#define PCI_PHYS_PREFETCH       (1u << 30)
#define PCI_PHYS_DEVFN(b, d, f) \
    (((uint32_t)(b) << 16) | ((uint32_t)(d) << 11) | ((uint32_t)(f) << 8))

/* ECAM: 4 KiB per function, 32 KiB per device, 1 MiB per bus (PCIe Base
 * 5.0 §7.2.2, "PCI Express Enhanced Configuration Access Mechanism"). */
#define PCI_ECAM_BUS_SHIFT      20
#define PCI_ECAM_DEV_SHIFT      15
#define PCI_ECAM_FN_SHIFT       12
#define PCI_ECAM_BUS_SIZE       (1UL << PCI_ECAM_BUS_SHIFT)
#define PCI_CFG_SIZE            0x1000
#define PCI_MAX_BUS             256
#define PCI_MAX_DEV             32
#define PCI_MAX_FN              8

/* Header fields beyond those in pci.h (PCI Local Bus 3.0 §6.1, PCI-to-PCI
 * Bridge 1.2 §3.2). */
#define PCI_HEADER_TYPE_MASK    0x7f
#define PCI_HEADER_MULTIFN      0x80
#define PCI_HEADER_NORMAL       0
#define PCI_HEADER_BRIDGE       1
#define PCI_HEADER_CARDBUS      2
#define PCI_PRIMARY_BUS         0x18
#define PCI_SECONDARY_BUS       0x19
#define PCI_SUBORDINATE_BUS     0x1a

/* BAR low bits (PCI Local Bus 3.0 §6.2.5.1). */
#define PCI_BAR_SPACE_IO        0x1
#define PCI_BAR_MEM_TYPE_MASK   0x6
#define PCI_BAR_MEM_TYPE_64     0x4
#define PCI_BAR_MEM_PREFETCH    0x8
#define PCI_BAR_IO_MASK         (~0x3u)
#define PCI_BAR_MEM_MASK        (~0xfu)

enum pci_win_type { PCI_WIN_IO, PCI_WIN_MEM32, PCI_WIN_MEM64 };

/* One entry of the host bridge's `ranges`: PCI addresses
 * [pci_base, pci_base + size) appear to the CPU at cpu_base. */
struct pci_window {
    enum pci_win_type type;
    bool prefetch;
    uint64_t pci_base, cpu_base, size;
    uint64_t next;              /* allocation cursor (PCI address) */
};

#define PCI_MAX_WINDOWS 8

struct pci_host {
    int node;
    paddr_t ecam_phys;
    uint64_t ecam_size;
    unsigned bus_start, bus_end;            /* inclusive */
    volatile uint8_t *bus_va[PCI_MAX_BUS];  /* lazily mapped, 1 MiB each */
    unsigned buses_mapped;
    struct pci_window win[PCI_MAX_WINDOWS];
    unsigned nwin;

    /* interrupt-map (Devicetree spec 2.4.3), checked at init. */
    const uint32_t *imap;
    unsigned imap_cells;                    /* total cells in the property */
    uint32_t imap_mask[4];                  /* 3 address cells + 1 pin */
    unsigned addr_cells, intr_cells;        /* of the host node: 3 and 1 */

    bool msi_ok;        /* msi-map/msi-parent names the v2m frame */
};

extern struct pci_host pci_host;

/* host.c: reads the host bridge node; 0 or a negative errno. */
int pci_host_probe(void);
/* CPU physical address of a PCI memory/IO address, 0 if in no window. */
paddr_t pci_host_to_cpu(uint64_t pci_addr, bool io);

/* ecam.c */
volatile uint8_t *pci_ecam_cfg(unsigned bus, unsigned dev, unsigned fn);

/* bars.c */
void pci_bars_size(struct pci_dev *d);
void pci_bars_assign(void);
const char *pci_size_str(uint64_t size, char *buf, size_t len);
int pci_bar_describe(struct pci_dev *d, unsigned i, char *buf, size_t len);

/* intx.c: the GIC INTID of the device's INTx pin, or a negative errno. */
int pci_intx_route(struct pci_dev *d, unsigned *pin_out);
/* The standard swizzle across one bridge (PCI-to-PCI Bridge 1.2 §9.1). */
unsigned pci_swizzle(unsigned pin, unsigned dev);

/* msix.c / msi.c: program (or undo) the capability for vectors already
 * allocated at the GIC.  0 or a negative errno with *why set. */
int pci_msix_enable(struct pci_dev *d, unsigned nvec, unsigned first_intid,
                    const char **why);
void pci_msix_disable(struct pci_dev *d);
void pci_msix_mask(struct pci_dev *d, unsigned i, bool mask);
unsigned pci_msix_table_size(struct pci_dev *d);
bool pci_msix_enabled(struct pci_dev *d);
/* For tests: entry i's message and mask bit; false if no table. */
bool pci_msix_read_entry(struct pci_dev *d, unsigned i, uint64_t *addr,
                         uint32_t *data, bool *masked);
int pci_msi_enable(struct pci_dev *d, unsigned intid, const char **why);
bool pci_msi_enabled(struct pci_dev *d);
bool pci_msi_is64(struct pci_dev *d);
void pci_msi_disable(struct pci_dev *d);
void pci_msi_mask(struct pci_dev *d, bool mask);

#endif
