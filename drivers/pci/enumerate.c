/* Enumeration: every bus in the host's bus-range, every device, every
 * function of multi-function devices (header type bit 7, PCI Local Bus 3.0
 * §6.2.1); IDs, class, capabilities, BAR sizes; then BAR placement and
 * enabling of memory/I/O decoding and bus mastering, and one lspci-like
 * line per function.  Bridges (header type 1) are logged, not configured.
 * Context: pci_init() runs once from kmain, in thread context. */
#include "pci_internal.h"
#include "arch.h"
#include "mm.h"
#include "printk.h"

static struct list_head pci_dev_list = LIST_HEAD_INIT(pci_dev_list);

struct pci_name {
    uint16_t vendor, device;
    const char *name;
};

/* Devices QEMU's virt machine can offer (ids from the virtio 1.2 spec
 * §4.1.2 and QEMU's include/hw/pci/pci_ids.h). */
static const struct pci_name pci_names[] = {
    { 0x1af4, 0x1000, "virtio-net (transitional)" },
    { 0x1af4, 0x1001, "virtio-blk (transitional)" },
    { 0x1af4, 0x1041, "virtio-net" },
    { 0x1af4, 0x1042, "virtio-blk" },
    { 0x1af4, 0x1050, "virtio-gpu" },
    { 0x1234, 0x11e8, "edu" },
    { 0x1b36, 0x0008, "QEMU PCIe host bridge" },
    { 0x1b36, 0x000c, "QEMU PCIe root port" },
    { 0x1b36, 0x0001, "QEMU PCI-PCI bridge" },
    { 0x8086, 0x100e, "e1000" },
    { 0x8086, 0x10d3, "e1000e" },
    { 0x1af4, 0x1110, "ivshmem" },
};

struct pci_class_name {
    uint8_t class_code, subclass;
    const char *name;
};

/* PCI Code and ID Assignment spec, chapter 1. */
static const struct pci_class_name pci_class_names[] = {
    { 0x01, 0x00, "SCSI controller" }, { 0x01, 0x06, "SATA controller" },
    { 0x01, 0x08, "NVMe controller" }, { 0x02, 0x00, "Ethernet controller" },
    { 0x03, 0x00, "VGA controller" },  { 0x03, 0x80, "display controller" },
    { 0x01, 0x80, "storage controller" },
    { 0x02, 0x80, "network controller" },
    { 0x05, 0x00, "RAM controller" },   { 0x05, 0x80, "memory controller" },
    { 0x06, 0x00, "host bridge" },     { 0x06, 0x04, "PCI bridge" },
    { 0x08, 0x80, "system peripheral" }, { 0x0c, 0x03, "USB controller" },
    { 0x00, 0xff, "unclassified device" },
};

static const char *pci_dev_name(const struct pci_dev *d)
{
    for (unsigned i = 0; i < ARRAY_SIZE(pci_names); i++)
        if (pci_names[i].vendor == d->vendor &&
            pci_names[i].device == d->device)
            return pci_names[i].name;
    for (unsigned i = 0; i < ARRAY_SIZE(pci_class_names); i++)
        if (pci_class_names[i].class_code == d->class_code &&
            pci_class_names[i].subclass == d->subclass)
            return pci_class_names[i].name;
    return "device";
}

struct list_head *pci_devices(void)
{
    return &pci_dev_list;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device,
                         struct pci_dev *after)
{
    struct list_head *pos = after ? after->node.next : pci_dev_list.next;

    for (; pos != &pci_dev_list; pos = pos->next) {
        struct pci_dev *d = list_entry(pos, struct pci_dev, node);
        if ((vendor == 0xffff || d->vendor == vendor) &&
            (device == 0xffff || d->device == device))
            return d;
    }
    return NULL;
}

static void pci_add_function(unsigned bus, unsigned dev, unsigned fn,
                             volatile uint8_t *cfg)
{
    struct pci_dev *d = kzalloc(sizeof(*d));

    if (!d) {
        klog("pci " PCI_BDF_FMT ": out of memory, function ignored",
             bus, dev, fn);
        return;
    }
    list_init(&d->node);
    d->bus = bus;
    d->dev = dev;
    d->fn = fn;
    d->cfg = cfg;
    d->vendor = pci_cfg_read16(d, PCI_VENDOR_ID);
    d->device = pci_cfg_read16(d, PCI_DEVICE_ID);
    uint32_t cr = pci_cfg_read32(d, PCI_CLASS_REVISION);
    d->revision = cr & 0xff;
    d->prog_if = (cr >> 8) & 0xff;
    d->subclass = (cr >> 16) & 0xff;
    d->class_code = cr >> 24;
    d->header_type = pci_cfg_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
    d->irq_pin = pci_cfg_read8(d, PCI_INTERRUPT_PIN);
    if (d->irq_pin > 4) {
        klog("pci " PCI_BDF_FMT ": interrupt pin %u is invalid: no INTx",
             PCI_BDF(d), d->irq_pin);
        d->irq_pin = 0;
    }
    d->cap_msi = pci_find_cap(d, PCI_CAP_MSI, 0);
    d->cap_msix = pci_find_cap(d, PCI_CAP_MSIX, 0);
    d->cap_pcie = pci_find_cap(d, PCI_CAP_PCIE, 0);
    d->irq_mode = PCI_IRQ_POLL;
    if (d->header_type == PCI_HEADER_BRIDGE) {
        d->sec_bus = pci_cfg_read8(d, PCI_SECONDARY_BUS);
        d->sub_bus = pci_cfg_read8(d, PCI_SUBORDINATE_BUS);
    }
    /* Start from a quiet device: no decoding, no DMA, until its BARs
     * hold addresses we chose. */
    if (d->header_type == PCI_HEADER_NORMAL) {
        pci_cfg_write16(d, PCI_COMMAND, pci_cfg_read16(d, PCI_COMMAND) &
                        ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
                          PCI_COMMAND_MASTER));
        pci_bars_size(d);
    }
    list_add_tail(&d->node, &pci_dev_list);
}

static bool pci_present(volatile uint8_t *cfg)
{
    uint16_t v = mmio_read16(cfg + PCI_VENDOR_ID);
    /* All ones: nothing answered (unsupported request).  Zero is not a
     * valid vendor either. */
    return v != 0xffff && v != 0;
}

static void pci_scan_bus(unsigned bus)
{
    for (unsigned dev = 0; dev < PCI_MAX_DEV; dev++) {
        volatile uint8_t *cfg = pci_ecam_cfg(bus, dev, 0);
        if (!cfg)
            return;             /* bus not mappable: already logged */
        if (!pci_present(cfg))
            continue;
        uint8_t ht = mmio_read8(cfg + PCI_HEADER_TYPE);
        unsigned nfn = (ht & PCI_HEADER_MULTIFN) ? PCI_MAX_FN : 1;
        for (unsigned fn = 0; fn < nfn; fn++) {
            volatile uint8_t *fcfg = pci_ecam_cfg(bus, dev, fn);
            if (fcfg && pci_present(fcfg))
                pci_add_function(bus, dev, fn, fcfg);
        }
    }
}

/* A function below a bridge hangs off the bridge whose secondary bus is its
 * bus (only possible if someone configured the bridge: we do not). */
static void pci_link_parents(void)
{
    struct list_head *p, *q;

    list_for_each(p, &pci_dev_list) {
        struct pci_dev *d = list_entry(p, struct pci_dev, node);
        if (d->bus == pci_host.bus_start)
            continue;
        list_for_each(q, &pci_dev_list) {
            struct pci_dev *b = list_entry(q, struct pci_dev, node);
            if (b != d && b->header_type == PCI_HEADER_BRIDGE &&
                b->sec_bus == d->bus && b->sec_bus > b->bus) {
                d->parent = b;
                break;
            }
        }
    }
}

/* Decoding for the spaces the device has BARs in, and bus mastering (it
 * needs it for DMA and to write MSI messages).  A BAR left unassigned
 * still decodes whatever its register holds (0 here), which may lie on top
 * of another device's BAR: so a space with an unassigned BAR stays off for
 * the whole function, as Linux's pci_enable_resources() refuses it. */
static void pci_enable_device(struct pci_dev *d)
{
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
    bool mem = false, io = false, mem_bad = false, io_bad = false;

    for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
        const struct pci_bar *b = &d->bar[i];
        if (!b->size)
            continue;
        if (b->io) {
            io = true;
            io_bad |= b->addr == 0;
        } else {
            mem = true;
            mem_bad |= b->addr == 0;
        }
    }
    if (mem && !mem_bad)
        cmd |= PCI_COMMAND_MEMORY;
    if (io && !io_bad)
        cmd |= PCI_COMMAND_IO;
    if (mem_bad || io_bad)
        klog("pci " PCI_BDF_FMT ": %s%s%s decoding left off: a BAR there "
             "is unassigned", PCI_BDF(d), mem_bad ? "memory" : "",
             mem_bad && io_bad ? " and " : "", io_bad ? "I/O" : "");
    cmd |= PCI_COMMAND_MASTER;
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

static void pci_log_function(struct pci_dev *d)
{
    char line[400];
    int n = snprintf(line, sizeof(line),
                     "pci " PCI_BDF_FMT " %04x:%04x class %02x.%02x.%02x %s",
                     PCI_BDF(d), d->vendor, d->device, d->class_code,
                     d->subclass, d->prog_if, pci_dev_name(d));

#define APPEND(...)                                                         \
    do {                                                                    \
        if (n < (int)sizeof(line))                                          \
            n += snprintf(line + n, sizeof(line) - n, __VA_ARGS__);         \
    } while (0)

    if (d->header_type == PCI_HEADER_BRIDGE) {
        APPEND(" [bridge to buses %02x-%02x, not configured]", d->sec_bus,
               d->sub_bus);
    } else if (d->header_type != PCI_HEADER_NORMAL) {
        APPEND(" [header type %u, not supported]", d->header_type);
    }
    for (unsigned i = 0; i < PCI_MAX_BARS; i++)
        if (n < (int)sizeof(line))
            n += pci_bar_describe(d, i, line + n, sizeof(line) - n);
    if (d->cap_msix)
        APPEND(" [MSI-X %u]", pci_msix_table_size(d));
    if (d->cap_msi)
        APPEND(" [MSI%s]", pci_msi_is64(d) ? " 64-bit" : "");
    if (d->cap_pcie)
        APPEND(" [PCIe]");
    unsigned nvendor = 0;
    for (unsigned pos = pci_find_cap(d, PCI_CAP_VENDOR, 0);
         pos && nvendor < PCI_CAP_LIST_MAX;
         pos = pci_find_cap(d, PCI_CAP_VENDOR, pos))
        nvendor++;
    if (nvendor)
        APPEND(" [vendor caps x%u]", nvendor);
    if (d->irq_pin)
        APPEND(" [INT%c]", 'A' + d->irq_pin - 1);
#undef APPEND
    klog("%s", line);
}

void pci_init(void)
{
    if (pci_host_probe())
        return;
    for (unsigned bus = pci_host.bus_start; bus <= pci_host.bus_end; bus++)
        pci_scan_bus(bus);
    pci_link_parents();
    pci_bars_assign();

    unsigned nfn = 0;
    struct list_head *p;
    list_for_each(p, &pci_dev_list) {
        struct pci_dev *d = list_entry(p, struct pci_dev, node);
        if (d->header_type == PCI_HEADER_NORMAL)
            pci_enable_device(d);
        pci_log_function(d);
        nfn++;
    }
    klog("pci: %u functions on buses %02x-%02x (%u buses mapped)", nfn,
         pci_host.bus_start, pci_host.bus_end, pci_host.buses_mapped);
}
