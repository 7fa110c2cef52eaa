/* Tests of enumeration, BAR placement, the capability walk and INTx
 * routing.  Run with the devices they name, e.g.
 *   -device edu -device virtio-net-pci
 *   -device virtio-blk-pci,drive=d0 -drive if=none,id=d0,file=x.img,format=raw
 * A missing device is a failure, never a silent pass. */
#include "pci_internal.h"
#include "arch.h"
#include "ktest.h"
#include "string.h"


static bool have(uint16_t vendor, uint16_t dev_a, uint16_t dev_b)
{
    return pci_find(vendor, dev_a, NULL) || pci_find(vendor, dev_b, NULL);
}

KTEST_DEV(pci, enumerates_devices)
{
    KT_ASSERT(t, pci_host.ecam_phys != 0, "no PCIe host bridge found");
    bool edu = have(0x1234, 0x11e8, 0x11e8);
    bool net = have(0x1af4, 0x1000, 0x1041);
    bool blk = have(0x1af4, 0x1001, 0x1042);
    KT_ASSERT(t, edu && net && blk, "device not present (run with%s%s%s)",
              edu ? "" : " -device edu", net ? "" : " -device virtio-net-pci",
              blk ? "" : " -device virtio-blk-pci");
    /* The class codes are the ones the devices advertise. */
    struct pci_dev *d = pci_find(0x1af4, 0x1000, NULL);
    if (!d)
        d = pci_find(0x1af4, 0x1041, NULL);
    KT_EXPECT(t, d->class_code == 0x02, "virtio-net class %02x", d->class_code);
    d = pci_find(0x1af4, 0x1001, NULL);
    if (!d)
        d = pci_find(0x1af4, 0x1042, NULL);
    KT_EXPECT(t, d->class_code == 0x01, "virtio-blk class %02x", d->class_code);
    /* QEMU's host bridge function sits at 00:00.0. */
    d = pci_find(0xffff, 0xffff, NULL);
    KT_EXPECT(t, d && d->bus == 0 && d->dev == 0 && d->fn == 0 &&
              d->class_code == 0x06, "first function is not the host bridge");
    /* Every function is listed once. */
    struct list_head *p, *q;
    list_for_each(p, pci_devices()) {
        struct pci_dev *a = list_entry(p, struct pci_dev, node);
        list_for_each(q, pci_devices()) {
            struct pci_dev *b = list_entry(q, struct pci_dev, node);
            KT_EXPECT(t, a == b || a->bus != b->bus || a->dev != b->dev ||
                      a->fn != b->fn, "function " PCI_BDF_FMT " listed twice",
                      PCI_BDF(a));
        }
    }
}

static const struct pci_window *window_of(const struct pci_bar *b)
{
    for (unsigned i = 0; i < pci_host.nwin; i++) {
        const struct pci_window *w = &pci_host.win[i];
        if ((w->type == PCI_WIN_IO) != b->io)
            continue;
        if (b->addr >= w->pci_base && b->addr - w->pci_base < w->size &&
            b->size <= w->size - (b->addr - w->pci_base))
            return w;
    }
    return NULL;
}

KTEST_DEV(pci, bars_in_windows)
{
    struct list_head *p, *q;
    unsigned assigned = 0;

    KT_ASSERT(t, pci_host.nwin > 0, "host bridge has no windows");
    KT_ASSERT(t, pci_find(0x1234, 0x11e8, NULL),
              "device not present (run with -device edu)");
    list_for_each(p, pci_devices()) {
        struct pci_dev *d = list_entry(p, struct pci_dev, node);
        uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
        for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
            const struct pci_bar *b = &d->bar[i];
            if (!b->size)
                continue;
            KT_EXPECT(t, b->io || b->addr, PCI_BDF_FMT " BAR%u (memory, %lu "
                      "bytes) was not assigned", PCI_BDF(d), i,
                      (unsigned long)b->size);
            if (!b->addr)
                continue;
            assigned++;
            const struct pci_window *w = window_of(b);
            KT_EXPECT(t, w, PCI_BDF_FMT " BAR%u %#lx+%#lx is in no window",
                      PCI_BDF(d), i, (unsigned long)b->addr,
                      (unsigned long)b->size);
            KT_EXPECT(t, !w || b->io || b->is64 || w->type == PCI_WIN_MEM32,
                      PCI_BDF_FMT " BAR%u: 32-bit BAR in a 64-bit window",
                      PCI_BDF(d), i);
            KT_EXPECT(t, !w || b->prefetch || !w->prefetch,
                      PCI_BDF_FMT " BAR%u: non-prefetchable BAR in a "
                      "prefetchable window", PCI_BDF(d), i);
            KT_EXPECT(t, IS_ALIGNED(b->addr, b->size),
                      PCI_BDF_FMT " BAR%u %#lx not aligned to its size",
                      PCI_BDF(d), i, (unsigned long)b->addr);
            /* The device holds what we think it holds, and decodes it. */
            uint64_t reg = pci_cfg_read32(d, PCI_BAR0 + 4 * i) &
                           (b->io ? PCI_BAR_IO_MASK : PCI_BAR_MEM_MASK);
            if (b->is64)
                reg |= (uint64_t)pci_cfg_read32(d, PCI_BAR0 + 4 * i + 4) << 32;
            KT_EXPECT(t, reg == b->addr, PCI_BDF_FMT " BAR%u register %#lx, "
                      "assigned %#lx", PCI_BDF(d), i, (unsigned long)reg,
                      (unsigned long)b->addr);
            KT_EXPECT(t, cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY),
                      PCI_BDF_FMT " decoding off (command %#x)", PCI_BDF(d),
                      cmd);
            /* No overlap with any other BAR in the same space. */
            list_for_each(q, pci_devices()) {
                struct pci_dev *e = list_entry(q, struct pci_dev, node);
                for (unsigned j = 0; j < PCI_MAX_BARS; j++) {
                    const struct pci_bar *c = &e->bar[j];
                    if ((e == d && j == i) || !c->size || !c->addr ||
                        c->io != b->io)
                        continue;
                    KT_EXPECT(t, c->addr + c->size <= b->addr ||
                              b->addr + b->size <= c->addr,
                              PCI_BDF_FMT " BAR%u overlaps " PCI_BDF_FMT
                              " BAR%u", PCI_BDF(d), i, PCI_BDF(e), j);
                }
            }
        }
        if (d->header_type == PCI_HEADER_NORMAL)
            KT_EXPECT(t, cmd & PCI_COMMAND_MASTER, PCI_BDF_FMT " bus master "
                      "off", PCI_BDF(d));
    }
    KT_EXPECT(t, assigned > 0, "no BAR assigned at all");
    /* edu's BAR0 is 1 MiB of 32-bit non-prefetchable memory: the 32-bit
     * window, and reachable. */
    struct pci_dev *edu = pci_find(0x1234, 0x11e8, NULL);
    KT_EXPECT(t, edu->bar[0].size == 1 << 20 && !edu->bar[0].is64,
              "edu BAR0 sized %#lx", (unsigned long)edu->bar[0].size);
    volatile uint8_t *r = pci_bar_map(edu, 0);
    KT_EXPECT(t, r && (mmio_read32(r) & 0xffff) == 0x00ed,
              "edu BAR0 does not answer with its identification");
}

/* A capability list that loops (0x40 -> 0x50 -> 0x40) in a fake
 * configuration space in RAM: the walk must end. */
KTEST(pci, cap_walk_ends_on_loop)
{
    static uint8_t space[PCI_CFG_SIZE] __aligned(8);
    struct pci_dev fake = { .cfg = space };

    memset(space, 0, sizeof(space));
    space[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    space[PCI_CAP_PTR] = 0x40;
    space[0x40] = PCI_CAP_VENDOR;
    space[0x41] = 0x50;
    space[0x50] = PCI_CAP_PCIE;
    space[0x51] = 0x40;
    KT_EXPECT(t, pci_find_cap(&fake, PCI_CAP_PCIE, 0) == 0x50, "PCIe cap");
    KT_EXPECT(t, pci_find_cap(&fake, PCI_CAP_MSIX, 0) == 0, "MSI-X found");
    space[0x51] = 0x10;     /* points into the header: end of list */
    KT_EXPECT(t, pci_find_cap(&fake, PCI_CAP_MSIX, 0) == 0, "bad pointer");
    space[PCI_STATUS] = 0;  /* no list at all */
    KT_EXPECT(t, pci_find_cap(&fake, PCI_CAP_VENDOR, 0) == 0, "no list");
}

KTEST(pci, swizzle)
{
    /* PCI-to-PCI Bridge 1.2 table 9-1. */
    KT_EXPECT(t, pci_swizzle(1, 0) == 1 && pci_swizzle(1, 1) == 2 &&
              pci_swizzle(4, 1) == 1 && pci_swizzle(2, 3) == 1 &&
              pci_swizzle(3, 5) == 4, "swizzle table wrong");
}

/* QEMU virt's interrupt-map spreads slot s, pin p over SPIs 3-6:
 * SPI 3 + (s + p - 1) % 4, i.e. INTID 35 + ... (hw/arm/virt.c). */
KTEST_DEV(pci, intx_route)
{
    struct list_head *p;
    unsigned routed = 0;

    KT_ASSERT(t, pci_host.imap, "no interrupt-map");
    list_for_each(p, pci_devices()) {
        struct pci_dev *d = list_entry(p, struct pci_dev, node);
        if (!d->irq_pin || d->bus != 0)
            continue;
        unsigned pin;
        int intid = pci_intx_route(d, &pin);
        int want = 35 + (d->dev + d->irq_pin - 1) % 4;
        KT_EXPECT(t, intid == want, PCI_BDF_FMT " INT%c -> %d, want %d",
                  PCI_BDF(d), 'A' + d->irq_pin - 1, intid, want);
        routed++;
    }
    KT_EXPECT(t, routed > 0, "device not present (run with -device edu)");
}
