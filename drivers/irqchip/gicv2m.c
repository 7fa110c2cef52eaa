/* GICv2m MSI frame: finds the frame in the DTB, reads its SPI range and
 * hands out SPIs for MSI/MSI-X vectors.  A device's write of an INTID to the
 * frame's MSI_SETSPI_NS doorbell raises that SPI (Arm GICv2m architecture
 * spec, "MSI frame registers"; Linux drivers/irqchip/irq-gic-v2m.c;
 * STYLE.md d.2).  Called from kmain (init) and from the PCI vector code and
 * tests (alloc/free) in thread context. */
#include "gicv2m.h"
#include "arch.h"
#include "dt.h"
#include "gic.h"
#include "irq.h"
#include "mm.h"
#include "printk.h"
#include "spinlock.h"
#include "string.h"

/* MSI frame registers (GICv2m spec, table "MSI frame register map"). */
#define GICV2M_MSI_TYPER        0x008
#define GICV2M_MSI_SETSPI_NS    0x040
#define GICV2M_MSI_IIDR         0xfcc
#define GICV2M_FRAME_SIZE       0x1000

/* MSI_TYPER: two 10-bit fields, the first INTID (already offset by 32) and
 * the number of SPIs. */
#define GICV2M_TYPER_BASE_SHIFT 16
#define GICV2M_TYPER_FIELD_MASK 0x3ff
#define GICV2M_TYPER_BASE(v)    (((v) >> GICV2M_TYPER_BASE_SHIFT) & \
                                 GICV2M_TYPER_FIELD_MASK)
#define GICV2M_TYPER_COUNT(v)   ((v) & GICV2M_TYPER_FIELD_MASK)

/* MSI_IIDR: ProductID in bits 31:20, Implementer (JEP106) in 11:0.  Only
 * logged: no quirk is needed for QEMU or the architected behaviour. */
#define GICV2M_IIDR_PRODUCT(v)  ((v) >> 20)
#define GICV2M_IIDR_IMPL(v)     ((v) & 0xfff)

#define GICV2M_LAST_SPI         1019    /* INTIDs 1020-1023 are special */
#define GICV2M_MAX_SPIS         (GICV2M_LAST_SPI + 1 - IRQ_SPI_BASE)
#define GICV2M_PRIO             0xa0

static const char GICV2M_COMPAT[] = "arm,gic-v2m-frame";

static struct {
    bool present;
    int node;
    paddr_t phys;
    volatile uint8_t *regs;
    unsigned spi_base;          /* first INTID */
    unsigned spi_count;
    uint32_t iidr;
    /* Quirk hook: data = INTID - data_offset.  Two known implementations
     * want the data as an offset instead of the absolute INTID (Linux's
     * GICV2M_NEEDS_SPI_OFFSET); one ACPI-only platform encodes the SPI in
     * the address instead (GICV2M_GRAVITON_ADDRESS_ONLY), not handled.
     * QEMU and the architecture want 0. */
    unsigned data_offset;
} v2m;

/* Protects alloc_map, alloc_used and alloc_limit.  Taken from thread
 * context today; IRQ-saving so that freeing from a teardown path that runs
 * with IRQs off cannot deadlock. */
static struct spinlock alloc_lock = SPINLOCK_INIT("gicv2m");
static uint64_t alloc_map[DIV_ROUND_UP(GICV2M_MAX_SPIS, 64)];
static unsigned alloc_used;
static unsigned alloc_limit;    /* 0: no cap */

static bool bit_test(unsigned i)
{
    return alloc_map[i / 64] & (1ULL << (i % 64));
}

static void bit_assign(unsigned i, bool set)
{
    if (set)
        alloc_map[i / 64] |= 1ULL << (i % 64);
    else
        alloc_map[i / 64] &= ~(1ULL << (i % 64));
}

static unsigned order_of(unsigned count)
{
    unsigned order = 0;

    while ((1u << order) < count)
        order++;
    return order;
}

/* Picks the frame: the one the PCIe host's msi-map / msi-parent names if it
 * is a v2m frame, else the first v2m frame marked msi-controller. */
static int gicv2m_find_node(void)
{
    int host = dt_find_compatible(-1, "pci-host-ecam-generic");

    if (host >= 0) {
        int len;
        const uint32_t *p = dt_getprop(host, "msi-map", &len);
        uint32_t ph = 0;
        /* msi-map = <rid-base msi-controller msi-base length>... */
        if (p && len >= 16)
            ph = fdt_be32(&p[1]);
        else if (!dt_getprop_u32(host, "msi-parent", &ph))
            ph = 0;
        int n = ph ? dt_find_phandle(ph) : -1;
        if (n >= 0 && dt_is_compatible(n, GICV2M_COMPAT) &&
            dt_getprop(n, "msi-controller", NULL))
            return n;
    }
    for (int n = dt_find_compatible(-1, GICV2M_COMPAT); n >= 0;
         n = dt_find_compatible(n, GICV2M_COMPAT))
        if (dt_getprop(n, "msi-controller", NULL))
            return n;
    return -1;
}

/* Standard behaviour only: the hook is where IIDR-keyed quirks would set
 * data_offset (see the comment on the field). */
static void gicv2m_apply_quirks(void)
{
    v2m.data_offset = 0;
}

int gicv2m_init(void)
{
    uint64_t phys, size;
    int node = gicv2m_find_node();

    if (node < 0) {
        klog("gicv2m: no MSI frame in the device tree: MSI/MSI-X unavailable");
        return -ENODEV;
    }
    if (!dt_reg(node, 0, &phys, &size) || size < GICV2M_MSI_SETSPI_NS + 4) {
        klog("gicv2m: %s: bad reg, frame ignored", dt_node_name(node));
        return -ENODEV;
    }
    volatile uint8_t *regs = ioremap(phys, GICV2M_FRAME_SIZE);
    if (!regs)
        return -ENOMEM;

    uint32_t base, count;
    uint32_t typer = mmio_read32(regs + GICV2M_MSI_TYPER);
    bool override = dt_getprop_u32(node, "arm,msi-base-spi", &base) &&
                    dt_getprop_u32(node, "arm,msi-num-spis", &count);
    if (!override) {
        base = GICV2M_TYPER_BASE(typer);
        count = GICV2M_TYPER_COUNT(typer);
    }
    /* A range the distributor cannot deliver is a firmware/DTB bug: refuse
     * it rather than program bits that do not exist. */
    unsigned gic_end = MIN(gic_num_irqs(), GICV2M_LAST_SPI + 1);
    if (base < IRQ_SPI_BASE || count == 0 ||
        (uint64_t)base + count > gic_end) {
        klog("gicv2m: frame %#lx: bad SPI range %u+%u (%s), frame ignored",
             (unsigned long)phys, base, count,
             override ? "arm,msi-base-spi" : "MSI_TYPER");
        return -EINVAL;
    }

    v2m.node = node;
    v2m.phys = phys;
    v2m.regs = regs;
    v2m.spi_base = base;
    v2m.spi_count = count;
    v2m.iidr = mmio_read32(regs + GICV2M_MSI_IIDR);
    gicv2m_apply_quirks();
    memset(alloc_map, 0, sizeof(alloc_map));
    alloc_used = 0;
    v2m.present = true;
    klog("gicv2m: frame %#lx, SPIs %u..%u (%u)%s, IIDR %#x (product %#x, "
         "implementer %#x)", (unsigned long)phys, base, base + count - 1,
         count, override ? " from DT" : "", v2m.iidr,
         GICV2M_IIDR_PRODUCT(v2m.iidr), GICV2M_IIDR_IMPL(v2m.iidr));
    return 0;
}

bool gicv2m_present(void)
{
    return v2m.present;
}

int gicv2m_node(void)
{
    return v2m.present ? v2m.node : -1;
}

unsigned gicv2m_spi_base(void)
{
    return v2m.spi_base;
}

unsigned gicv2m_spi_count(void)
{
    return v2m.spi_count;
}

paddr_t gicv2m_frame_phys(void)
{
    return v2m.phys;
}

unsigned gicv2m_used(void)
{
    return READ_ONCE(alloc_used);
}

void gicv2m_set_limit(unsigned max_spis)
{
    uint64_t flags = spin_lock_irqsave(&alloc_lock);
    alloc_limit = max_spis;
    spin_unlock_irqrestore(&alloc_lock, flags);
}

/* The GIC side of each SPI (STYLE.md d.2 step 6): edge-triggered, because a
 * message is an event, not a level; CPU 0; disabled until the driver
 * unmasks; any stale pending state from a previous owner cleared. */
static void gicv2m_setup_spi(unsigned intid)
{
    gic_disable(intid);
    gic_set_edge(intid, true);
    gic_set_priority(intid, GICV2M_PRIO);
    gic_set_target(intid, 1);
    gic_clear_pending(intid);
}

int gicv2m_alloc(unsigned count)
{
    if (!v2m.present)
        return -ENODEV;
    if (count == 0)
        return -EINVAL;
    if (count > v2m.spi_count)
        return -ENOSPC;
    unsigned block = 1u << order_of(count);
    int first = -ENOSPC;

    uint64_t flags = spin_lock_irqsave(&alloc_lock);
    if (alloc_limit == 0 || alloc_used + block <= alloc_limit) {
        /* Natural alignment of the block: multi-message MSI needs it (the
         * device ORs the vector number into the low data bits). */
        for (unsigned off = 0; off + block <= v2m.spi_count; off += block) {
            unsigned i;
            for (i = 0; i < block && !bit_test(off + i); i++)
                ;
            if (i < block)
                continue;
            for (i = 0; i < block; i++)
                bit_assign(off + i, true);
            alloc_used += block;
            first = (int)(v2m.spi_base + off);
            break;
        }
    }
    spin_unlock_irqrestore(&alloc_lock, flags);

    if (first < 0)
        return first;
    for (unsigned i = 0; i < block; i++)
        gicv2m_setup_spi((unsigned)first + i);
    return first;
}

void gicv2m_free(unsigned first_intid, unsigned count)
{
    if (!v2m.present || count == 0)
        return;
    if (count > v2m.spi_count) {
        klog("gicv2m: free of %u SPIs ignored", count);
        return;
    }
    unsigned block = 1u << order_of(count);
    unsigned off = first_intid - v2m.spi_base;

    if (first_intid < v2m.spi_base || off + block > v2m.spi_count ||
        off % block) {
        klog("gicv2m: free of bad block %u+%u ignored", first_intid, count);
        return;
    }
    uint64_t flags = spin_lock_irqsave(&alloc_lock);
    for (unsigned i = 0; i < block; i++) {
        if (!bit_test(off + i)) {
            spin_unlock_irqrestore(&alloc_lock, flags);
            klog("gicv2m: free of unallocated SPI %u ignored",
                 first_intid + i);
            return;
        }
    }
    /* Quiet the SPIs before their bits are released, under the lock, so a
     * late message cannot reach the next owner and our disable cannot hit
     * an SPI that owner has already enabled. */
    for (unsigned i = 0; i < block; i++) {
        gic_disable(first_intid + i);
        gic_clear_pending(first_intid + i);
        bit_assign(off + i, false);
    }
    alloc_used -= block;
    spin_unlock_irqrestore(&alloc_lock, flags);
}

void gicv2m_compose(unsigned intid, struct msi_msg *msg)
{
    msg->address = v2m.phys + GICV2M_MSI_SETSPI_NS;
    msg->data = intid - v2m.data_offset;
}

void gicv2m_doorbell_write(uint32_t data)
{
    if (v2m.present)
        mmio_write32(v2m.regs + GICV2M_MSI_SETSPI_NS, data);
}
