/* Tests of the vector ladder with QEMU's virtio devices (run with
 * -device virtio-net-pci and -device virtio-blk-pci; QEMU gives them MSI-X,
 * 4 entries for virtio-net in QEMU 7.2, and an INTx pin, no MSI): MSI-X
 * programming, and the fallbacks when the table BAR is unassigned or the
 * GICv2m frame is out of SPIs.  A function a driver owns (driver_data set)
 * is only inspected, never reprogrammed; the fallback tests take a function
 * with MSI-X that no driver owns. */
#include "pci_internal.h"
#include "gicv2m.h"
#include "ktest.h"

#define NO_NET  "device not present (run with -device virtio-net-pci)"
#define NO_FREE "device not present: no MSI-X function without a driver " \
                "(run with -device virtio-blk-pci or -device virtio-rng-pci)"
#define MSI_SETSPI_NS 0x40
#define ALLOW_IRQS (PCI_IRQ_ALLOW_MSIX | PCI_IRQ_ALLOW_MSI | PCI_IRQ_ALLOW_INTX)

static struct pci_dev *virtio_net(void)
{
    struct pci_dev *d = pci_find(0x1af4, 0x1000, NULL);
    return d ? d : pci_find(0x1af4, 0x1041, NULL);
}

/* A function with MSI-X and an INTx pin that no driver owns; virtio-net
 * first, else any. */
static struct pci_dev *free_msix_dev(void)
{
    struct pci_dev *net = virtio_net();
    struct list_head *p;

    if (net && !net->driver_data && net->nvec == 0 && net->irq_pin)
        return net;
    list_for_each(p, pci_devices()) {
        struct pci_dev *d = list_entry(p, struct pci_dev, node);
        if (d->cap_msix && d->irq_pin && !d->driver_data && d->nvec == 0 &&
            d->header_type == PCI_HEADER_NORMAL)
            return d;
    }
    return NULL;
}

/* Every vector of a function in MSI-X mode: distinct INTIDs of the frame,
 * table entries holding the doorbell address and the INTID. */
static void check_msix_vectors(struct ktest_ctx *t, struct pci_dev *d,
                               bool want_masked)
{
    unsigned base = gicv2m_spi_base(), end = base + gicv2m_spi_count();

    KT_EXPECT(t, pci_msix_enabled(d), "MSI-X enable bit clear");
    KT_EXPECT(t, pci_cfg_read16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE,
              "INTx not disabled");
    for (unsigned i = 0; i < d->nvec; i++) {
        int v = pci_irq_vector(d, i);
        KT_EXPECT(t, v >= (int)base && v < (int)end, "vector %u = INTID %d "
                  "outside %u..%u", i, v, base, end - 1);
        for (unsigned j = 0; j < i; j++)
            KT_EXPECT(t, pci_irq_vector(d, j) != v, "vectors %u and %u share "
                      "INTID %d", j, i, v);
        uint64_t addr;
        uint32_t data;
        bool masked;
        if (!pci_msix_read_entry(d, i, &addr, &data, &masked)) {
            KT_EXPECT(t, false, "MSI-X table not mapped");
            return;
        }
        KT_EXPECT(t, addr == gicv2m_frame_phys() + MSI_SETSPI_NS,
                  "entry %u address %#lx", i, (unsigned long)addr);
        KT_EXPECT(t, data == (uint32_t)v, "entry %u data %u, INTID %d", i,
                  data, v);
        if (want_masked)
            KT_EXPECT(t, masked, "entry %u starts unmasked", i);
    }
    KT_EXPECT(t, pci_irq_vector(d, d->nvec) < 0, "vector %u exists", d->nvec);
}

KTEST_DEV(msix, virtio_net_vectors)
{
    struct pci_dev *d = virtio_net();
    KT_ASSERT(t, d, NO_NET);
    KT_ASSERT(t, gicv2m_present(), "no GICv2m frame");

    if (d->driver_data) {
        /* The virtio-net driver owns it: its vectors must be MSI-X ones
         * (its default mode), programmed as above. */
        KT_ASSERT(t, d->irq_mode == PCI_IRQ_MSIX && d->nvec >= 1,
                  PCI_BDF_FMT " is owned by a driver in mode %s with %u "
                  "vectors, want MSI-X", PCI_BDF(d),
                  pci_irq_mode_name(d->irq_mode), d->nvec);
        check_msix_vectors(t, d, false);
        return;
    }
    unsigned used0 = gicv2m_used();
    int n = pci_alloc_irq_vectors(d, 1, 3, PCI_IRQ_ALLOW_MSIX);
    KT_ASSERT(t, n == 3, "got %d vectors, want 3", n);
    KT_EXPECT(t, d->irq_mode == PCI_IRQ_MSIX, "mode %s",
              pci_irq_mode_name(d->irq_mode));
    KT_EXPECT(t, pci_alloc_irq_vectors(d, 1, 3, PCI_IRQ_ALLOW_MSIX) == -EBUSY,
              "second allocation without free accepted");
    check_msix_vectors(t, d, true);

    uint64_t addr;
    uint32_t data;
    bool masked;
    pci_irq_unmask(d, 1);
    pci_msix_read_entry(d, 1, &addr, &data, &masked);
    KT_EXPECT(t, !masked, "unmask left entry 1 masked");
    pci_irq_mask(d, 1);
    pci_msix_read_entry(d, 1, &addr, &data, &masked);
    KT_EXPECT(t, masked, "mask left entry 1 unmasked");

    pci_free_irq_vectors(d);
    KT_EXPECT(t, !pci_msix_enabled(d), "MSI-X still enabled after free");
    KT_EXPECT(t, d->nvec == 0 && d->irq_mode == PCI_IRQ_POLL,
              "state not reset by free");
    KT_EXPECT(t, gicv2m_used() == used0, "SPIs leaked: %u used, %u before",
              gicv2m_used(), used0);
}

KTEST_DEV(msix, limits)
{
    struct pci_dev *d = free_msix_dev();
    KT_ASSERT(t, d, NO_FREE);

    /* More than the table holds, MSI-X only: refused, nothing held. */
    unsigned size = pci_msix_table_size(d);
    KT_EXPECT(t, pci_alloc_irq_vectors(d, size + 1, size + 4,
                                       PCI_IRQ_ALLOW_MSIX) < 0,
              "%u vectors from a %u-entry table", size + 1, size);
    KT_EXPECT(t, d->nvec == 0, "failed allocation left vectors");
    /* INTx gives one vector only. */
    KT_EXPECT(t, pci_alloc_irq_vectors(d, 2, 2, PCI_IRQ_ALLOW_INTX) < 0,
              "2 vectors from INTx");
    KT_EXPECT(t, pci_alloc_irq_vectors(d, 2, 1, PCI_IRQ_ALLOW_ALL) == -EINVAL,
              "min > max accepted");
    /* Polling always works when allowed. */
    KT_EXPECT(t, pci_alloc_irq_vectors(d, 1, 3, PCI_IRQ_ALLOW_POLL) == 0,
              "poll mode refused");
    KT_EXPECT(t, d->irq_mode == PCI_IRQ_POLL && pci_irq_vector(d, 0) < 0,
              "poll mode has a vector");
    pci_free_irq_vectors(d);
}

/* Bad input: an MSI-X table in a BAR that could not be assigned.  QEMU
 * cannot be made to leave virtio-net's small BAR unplaced, so the test
 * takes the assignment away in our bookkeeping for the duration. */
KTEST_DEV(msix, unassigned_table_bar_falls_back)
{
    struct pci_dev *d = free_msix_dev();
    KT_ASSERT(t, d, NO_FREE);
    unsigned bir = pci_cfg_read32(d, d->cap_msix + 4) & 0x7;
    KT_ASSERT(t, bir < PCI_MAX_BARS, "BIR %u", bir);
    struct pci_bar saved = d->bar[bir];

    d->bar[bir].addr = 0;
    d->bar[bir].va = NULL;
    int n = pci_alloc_irq_vectors(d, 1, 3, ALLOW_IRQS);
    d->bar[bir] = saved;
    enum pci_irq_mode want = d->cap_msi ? PCI_IRQ_MSI : PCI_IRQ_INTX;
    KT_EXPECT(t, n == 1 && d->irq_mode == want,
              "got %d vectors in mode %s, want 1 %s", n,
              pci_irq_mode_name(d->irq_mode), pci_irq_mode_name(want));
    KT_EXPECT(t, !pci_msix_enabled(d), "MSI-X enabled without a table");
    pci_free_irq_vectors(d);
}

/* Bad input: the GICv2m frame is out of SPIs (capped): MSI-X and MSI
 * fail, so INTx it is, with log lines saying so. */
KTEST_DEV(msi, exhaustion_falls_back_to_intx)
{
    struct pci_dev *d = free_msix_dev();
    KT_ASSERT(t, d, NO_FREE);
    KT_ASSERT(t, gicv2m_present(), "no GICv2m frame");
    int hold = gicv2m_alloc(1);     /* so the cap below is never 0 */
    KT_ASSERT(t, hold >= 0, "alloc failed: %d", hold);

    gicv2m_set_limit(gicv2m_used());
    int n = pci_alloc_irq_vectors(d, 1, 3, ALLOW_IRQS);
    gicv2m_set_limit(0);
    gicv2m_free(hold, 1);
    KT_EXPECT(t, n == 1 && d->irq_mode == PCI_IRQ_INTX,
              "got %d vectors in mode %s, want 1 INTx", n,
              pci_irq_mode_name(d->irq_mode));
    int want = pci_intx_route(d, NULL);
    KT_EXPECT(t, pci_irq_vector(d, 0) == want, "INTx vector %d, route %d",
              pci_irq_vector(d, 0), want);
    pci_free_irq_vectors(d);

    /* With the cap gone MSI-X is back. */
    n = pci_alloc_irq_vectors(d, 1, 3, ALLOW_IRQS);
    KT_EXPECT(t, n >= 1 && d->irq_mode == PCI_IRQ_MSIX,
              "after the cap: %d vectors, mode %s", n,
              pci_irq_mode_name(d->irq_mode));
    pci_free_irq_vectors(d);
}

/* Several MSI-X devices on one bus each get their own vectors: the
 * virtio-net functions the driver owns, plus a driverless MSI-X function
 * (virtio-blk) given two vectors here.  Run with two working virtio-net
 * devices and a virtio-blk. */
KTEST_DEV(msix, devices_have_distinct_vectors)
{
    int seen[64];
    unsigned nseen = 0, nets = 0;
    struct list_head *p;

    list_for_each(p, pci_devices()) {
        struct pci_dev *d = list_entry(p, struct pci_dev, node);
        if (!d->driver_data || d->irq_mode != PCI_IRQ_MSIX)
            continue;
        if (d->vendor == 0x1af4 && (d->device == 0x1000 || d->device == 0x1041))
            nets++;
        for (unsigned i = 0; i < d->nvec && nseen < ARRAY_SIZE(seen); i++)
            seen[nseen++] = pci_irq_vector(d, i);
    }
    KT_ASSERT(t, nets >= 2, "%u virtio-net devices in MSI-X mode, want 2 "
              "(run with two -device virtio-net-pci)", nets);
    struct pci_dev *blk = free_msix_dev();
    KT_ASSERT(t, blk, NO_FREE);
    int n = pci_alloc_irq_vectors(blk, 2, 2, PCI_IRQ_ALLOW_MSIX);
    KT_ASSERT(t, n == 2, "driverless device got %d vectors", n);
    for (int i = 0; i < n && nseen < ARRAY_SIZE(seen); i++)
        seen[nseen++] = pci_irq_vector(blk, (unsigned)i);
    for (unsigned i = 0; i < nseen; i++) {
        KT_EXPECT(t, seen[i] >= (int)gicv2m_spi_base() &&
                     seen[i] < (int)(gicv2m_spi_base() + gicv2m_spi_count()),
                  "INTID %d outside the GICv2m range", seen[i]);
        for (unsigned j = i + 1; j < nseen; j++)
            KT_EXPECT(t, seen[i] != seen[j], "INTID %d used twice", seen[i]);
    }
    pci_free_irq_vectors(blk);
}
