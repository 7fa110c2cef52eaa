/* INTx routing: a function's interrupt pin to a GIC INTID through the host
 * bridge's interrupt-map (Devicetree spec v0.4 §2.4.3 "Interrupt Nexus";
 * IEEE 1275 PCI binding: the child unit address is phys.hi/mid/lo with the
 * device number in phys.hi bits 15:11, the child specifier is the pin, 1-4).
 * Functions behind bridges take the standard swizzle at each bridge
 * (PCI-to-PCI Bridge Architecture 1.2 §9.1) until they reach the root bus.
 * QEMU's map already swizzles root-bus devices over SPIs 3-6.  Context:
 * thread context (vector allocation). */
#include "pci_internal.h"
#include "dt.h"
#include "irq.h"
#include "printk.h"

/* GIC interrupt specifier (arm,gic binding): <type number flags>. */
#define GIC_SPEC_SPI            0
#define GIC_SPEC_PPI            1
#define GIC_SPEC_TRIGGER_MASK   0xf
#define GIC_SPEC_LEVEL_HIGH     4
#define GIC_SPEC_LEVEL_LOW      8

unsigned pci_swizzle(unsigned pin, unsigned dev)
{
    return ((pin - 1 + dev) % 4) + 1;
}

static int intx_gic_intid(int parent, const uint32_t *spec, unsigned pic,
                          struct pci_dev *d)
{
    if (!dt_getprop(parent, "interrupt-controller", NULL) || pic != 3) {
        klog("pci " PCI_BDF_FMT ": INTx parent %s is not a GIC (nested "
             "nexus not supported)", PCI_BDF(d), dt_node_name(parent));
        return -ENOTSUP;
    }
    uint32_t type = fdt_be32(&spec[0]), num = fdt_be32(&spec[1]);
    uint32_t trig = fdt_be32(&spec[2]) & GIC_SPEC_TRIGGER_MASK;
    if (type != GIC_SPEC_SPI || num + IRQ_SPI_BASE >= IRQ_MAX) {
        klog("pci " PCI_BDF_FMT ": INTx maps to GIC type %u number %u: not "
             "an SPI", PCI_BDF(d), type, num);
        return -EINVAL;
    }
    /* INTx is level-triggered, active low on the wire; the host bridge
     * presents it to the GIC as an active-high level. */
    if (trig != GIC_SPEC_LEVEL_HIGH && trig != GIC_SPEC_LEVEL_LOW)
        klog("pci " PCI_BDF_FMT ": INTx map says trigger %#x, using level",
             PCI_BDF(d), trig);
    return (int)(num + IRQ_SPI_BASE);
}

int pci_intx_route(struct pci_dev *d, unsigned *pin_out)
{
    const struct pci_host *h = &pci_host;
    unsigned pin = d->irq_pin;
    struct pci_dev *cur = d;

    if (pin == 0)
        return -ENODEV;
    if (!h->imap)
        return -ENXIO;
    /* Up to the root bus: the map describes slots on it only. */
    while (cur->parent) {
        pin = pci_swizzle(pin, cur->dev);
        cur = cur->parent;
    }
    if (pin_out)
        *pin_out = pin;

    uint32_t key[4] = { PCI_PHYS_DEVFN(cur->bus, cur->dev, cur->fn), 0, 0,
                        pin };
    unsigned child = h->addr_cells + h->intr_cells;   /* 4, checked */
    unsigned pos = 0;
    /* The layout was validated by pci_host_imap(), so each step below
     * stays inside the property. */
    while (pos < h->imap_cells) {
        const uint32_t *e = h->imap + pos;
        bool match = true;
        for (unsigned i = 0; i < child; i++)
            if ((key[i] & h->imap_mask[i]) != fdt_be32(&e[i]))
                match = false;
        int parent = dt_find_phandle(fdt_be32(&e[child]));
        uint32_t pic = 0, pac = 0;
        dt_getprop_u32(parent, "#interrupt-cells", &pic);
        dt_getprop_u32(parent, "#address-cells", &pac);
        if (match)
            return intx_gic_intid(parent, e + child + 1 + pac, pic, d);
        pos += child + 1 + pac + pic;
    }
    return -ENOENT;
}
