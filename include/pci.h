/* PCI Express: ECAM configuration access, enumeration, BAR assignment,
 * capabilities and interrupt vectors (MSI-X, MSI, INTx, or polling).
 * The host bridge comes from the DTB ("pci-host-ecam-generic"). */
#ifndef PCI_H
#define PCI_H

#include "kernel.h"
#include "list.h"

/* Configuration space offsets (PCI Local Bus 3.0 §6.1, PCIe 5.0 §7.5). */
#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_CLASS_REVISION  0x08
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_CAP_PTR         0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d

#define PCI_COMMAND_IO          (1 << 0)
#define PCI_COMMAND_MEMORY      (1 << 1)
#define PCI_COMMAND_MASTER      (1 << 2)
#define PCI_COMMAND_INTX_DISABLE (1 << 10)
#define PCI_STATUS_CAP_LIST     (1 << 4)

/* Capability ids. */
#define PCI_CAP_MSI         0x05
#define PCI_CAP_VENDOR      0x09
#define PCI_CAP_PCIE        0x10
#define PCI_CAP_MSIX        0x11

/* "00:02.0": bus:device.function, as lspci prints it. */
#define PCI_BDF_FMT         "%02x:%02x.%x"
#define PCI_BDF(d)          (d)->bus, (d)->dev, (d)->fn

#define PCI_MAX_BARS        6
#define PCI_MAX_VECTORS     32

struct pci_bar {
    uint64_t addr;          /* bus/physical address assigned, 0 if none */
    uint64_t size;          /* 0 if the BAR is not implemented */
    bool io, is64, prefetch;
    void *va;               /* kernel mapping, made by pci_bar_map() */
};

enum pci_irq_mode {
    PCI_IRQ_POLL,           /* no interrupt: the driver polls */
    PCI_IRQ_INTX,           /* shared level-triggered line */
    PCI_IRQ_MSI,
    PCI_IRQ_MSIX,
};

/* Modes a driver accepts, for pci_alloc_irq_vectors(). */
#define PCI_IRQ_ALLOW_MSIX  (1u << PCI_IRQ_MSIX)
#define PCI_IRQ_ALLOW_MSI   (1u << PCI_IRQ_MSI)
#define PCI_IRQ_ALLOW_INTX  (1u << PCI_IRQ_INTX)
#define PCI_IRQ_ALLOW_POLL  (1u << PCI_IRQ_POLL)
#define PCI_IRQ_ALLOW_ALL   0xf

struct pci_dev {
    struct list_head node;
    struct pci_dev *parent;     /* bridge above, NULL on the root bus */
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type;
    uint8_t irq_pin;            /* 1..4 = INTA..INTD, 0 none */
    volatile uint8_t *cfg;      /* this function's 4 KiB of ECAM */
    struct pci_bar bar[PCI_MAX_BARS];
    uint8_t cap_msi, cap_msix, cap_pcie;  /* offsets, 0 if absent */
    uint8_t sec_bus, sub_bus;   /* bridges (header type 1) only */

    /* Interrupt vectors, filled by pci_alloc_irq_vectors(). */
    enum pci_irq_mode irq_mode;
    unsigned nvec;
    unsigned irq[PCI_MAX_VECTORS];        /* GIC INTIDs */
    volatile uint8_t *msix_table;         /* mapped MSI-X table */
    void *driver_data;          /* set by the driver that owns the device */
};

void pci_init(void);

uint8_t pci_cfg_read8(struct pci_dev *d, unsigned off);
uint16_t pci_cfg_read16(struct pci_dev *d, unsigned off);
uint32_t pci_cfg_read32(struct pci_dev *d, unsigned off);
void pci_cfg_write8(struct pci_dev *d, unsigned off, uint8_t v);
void pci_cfg_write16(struct pci_dev *d, unsigned off, uint16_t v);
void pci_cfg_write32(struct pci_dev *d, unsigned off, uint32_t v);

/* Offset of the next capability with this id after `after` (0 to start);
 * 0 if none.  Walks at most PCI_CAP_LIST_MAX entries, so a looping list
 * ends; a caller that iterates with `after` bounds its own loop the same
 * way, since on a looping list the "next" one may come round again. */
#define PCI_CAP_LIST_MAX    48      /* (256 - 64) / 4 */
unsigned pci_find_cap(struct pci_dev *d, uint8_t id, unsigned after);

/* Next device after `after` (NULL to start) matching vendor/device
 * (0xffff matches any). */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device,
                         struct pci_dev *after);
struct list_head *pci_devices(void);

/* Kernel mapping of a memory BAR (ioremap on first use); NULL if the BAR
 * is absent, I/O, or could not be assigned, or if the function's memory
 * decoding is off because another of its memory BARs could not be. */
void *pci_bar_map(struct pci_dev *d, int bar);

/* Vectors, in the spirit of Linux's pci_alloc_irq_vectors(): asks for
 * between min and max vectors, trying MSI-X, then MSI, then INTx, then
 * polling, limited to the modes in `allowed`.  Returns the number of
 * vectors (0 in poll mode) or a negative errno; logs the mode chosen and
 * why.  Vectors start masked; the driver registers handlers on
 * pci_irq_vector(d, i) (irq_register, edge, for MSI/MSI-X;
 * irq_register_shared for INTx) and then calls pci_irq_unmask(d, i).
 * -EBUSY if the function still holds vectors.  Context: thread. */
int pci_alloc_irq_vectors(struct pci_dev *d, unsigned min, unsigned max,
                          unsigned allowed);
/* Masks and releases the vectors (the driver unregisters its handlers
 * first); the function is left in poll mode with INTx disabled. */
void pci_free_irq_vectors(struct pci_dev *d);
int pci_irq_vector(struct pci_dev *d, unsigned i);
/* Mask/unmask one vector at both levels: the MSI-X entry's mask bit (or
 * the MSI mask bit, if the function has per-vector masking) and the SPI
 * enable at the GIC.  For INTx the function's INTx Disable bit is used
 * instead of the GIC enable, which other functions on the shared line
 * need (unmask also enables the line at the GIC).  Context: any. */
void pci_irq_mask(struct pci_dev *d, unsigned i);
void pci_irq_unmask(struct pci_dev *d, unsigned i);
const char *pci_irq_mode_name(enum pci_irq_mode m);

/* Drivers for PCI devices that have no subsystem header of their own; kmain
 * calls them after pci_init().  Each is a no-op when its device is absent. */
void edu_init(void);            /* drivers/edu/edu.c, QEMU's edu device */

#endif
