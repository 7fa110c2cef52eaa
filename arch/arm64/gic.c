/* GICv2 distributor and CPU interface (Arm IHI 0048B, chapter 4).  Both
 * register frames come from the DTB's interrupt-controller node. */
#include "gic.h"
#include "arch.h"
#include "dt.h"
#include "irq.h"
#include "mm.h"
#include "panic.h"
#include "printk.h"

/* Distributor registers (IHI 0048B 4.1.2). */
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xC00
#define GICD_SGIR       0xF00

#define GICD_CTLR_ENABLE        1
#define GICD_TYPER_ITLINES(v)   ((v) & 0x1f)
#define GICD_SGIR_TO_SELF       (2u << 24)  /* TargetListFilter = this CPU */

/* CPU interface registers (IHI 0048B 4.1.3). */
#define GICC_CTLR       0x000
#define GICC_PMR        0x004
#define GICC_BPR        0x008
#define GICC_IAR        0x00C
#define GICC_EOIR       0x010
#define GICC_SIZE       0x2000

#define GICC_CTLR_ENABLE        1
#define GICC_PMR_ALLOW_ALL      0xff
#define GIC_PRIO_DEFAULT        0xa0

static volatile uint8_t *gicd;
static volatile uint8_t *gicc;
static unsigned gic_nirqs;

static const char *const gic_compat[] = {
    "arm,cortex-a15-gic", "arm,gic-400", "arm,cortex-a9-gic",
};

static inline uint32_t dist_read(unsigned off)
{
    return mmio_read32(gicd + off);
}

static inline void dist_write(unsigned off, uint32_t v)
{
    mmio_write32(gicd + off, v);
}

void gic_init(void)
{
    int node = -1;
    uint64_t dpa, dsz, cpa, csz;

    for (unsigned i = 0; i < ARRAY_SIZE(gic_compat) && node < 0; i++)
        node = dt_find_compatible(-1, gic_compat[i]);
    if (node < 0 || !dt_reg(node, 0, &dpa, &dsz) || !dt_reg(node, 1, &cpa, &csz))
        panic("gic: no GICv2 in the device tree (run with gic-version=2)");
    gicd = ioremap(dpa, 0x1000);
    gicc = ioremap(cpa, GICC_SIZE);
    if (!gicd || !gicc)
        panic("gic: cannot map registers");

    gic_nirqs = (GICD_TYPER_ITLINES(dist_read(GICD_TYPER)) + 1) * 32;
    if (gic_nirqs > IRQ_MAX)
        gic_nirqs = IRQ_MAX;

    dist_write(GICD_CTLR, 0);
    /* Everything disabled, not pending, not active, default priority;
     * SPIs level-triggered and aimed at CPU 0 until a driver says more. */
    for (unsigned i = 0; i < gic_nirqs; i += 32) {
        dist_write(GICD_ICENABLER + i / 8, 0xffffffff);
        dist_write(GICD_ICPENDR + i / 8, 0xffffffff);
        dist_write(GICD_ICACTIVER + i / 8, 0xffffffff);
    }
    for (unsigned i = 0; i < gic_nirqs; i++)
        mmio_write8(gicd + GICD_IPRIORITYR + i, GIC_PRIO_DEFAULT);
    for (unsigned i = IRQ_SPI_BASE; i < gic_nirqs; i++)
        mmio_write8(gicd + GICD_ITARGETSR + i, 1);
    for (unsigned i = IRQ_SPI_BASE; i < gic_nirqs; i += 16)
        dist_write(GICD_ICFGR + i / 4, 0);
    dist_write(GICD_CTLR, GICD_CTLR_ENABLE);

    mmio_write32(gicc + GICC_PMR, GICC_PMR_ALLOW_ALL);
    mmio_write32(gicc + GICC_BPR, 0);
    mmio_write32(gicc + GICC_CTLR, GICC_CTLR_ENABLE);
    klog("gic: GICv2 dist %#lx cpu %#lx, %u interrupt ids, IIDR %#x",
         (unsigned long)dpa, (unsigned long)cpa, gic_nirqs,
         dist_read(GICD_IIDR));
}

unsigned gic_num_irqs(void)
{
    return gic_nirqs;
}

void gic_enable(unsigned irq)
{
    dist_write(GICD_ISENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

void gic_disable(unsigned irq)
{
    dist_write(GICD_ICENABLER + (irq / 32) * 4, 1u << (irq % 32));
}

void gic_set_priority(unsigned irq, uint8_t prio)
{
    mmio_write8(gicd + GICD_IPRIORITYR + irq, prio);
}

void gic_set_target(unsigned irq, uint8_t cpumask)
{
    if (irq >= IRQ_SPI_BASE)    /* SGI/PPI targets are read-only */
        mmio_write8(gicd + GICD_ITARGETSR + irq, cpumask);
}

/* ICFGR: two bits per interrupt, the upper one selects edge (4.3.13).
 * SGIs are always edge; PPI configurability is implementation defined. */
void gic_set_edge(unsigned irq, bool edge)
{
    if (irq < IRQ_PPI_BASE)
        return;
    unsigned off = GICD_ICFGR + (irq / 16) * 4;
    unsigned bit = (irq % 16) * 2 + 1;
    uint32_t v = dist_read(off);
    v = edge ? (v | (1u << bit)) : (v & ~(1u << bit));
    dist_write(off, v);
}

void gic_clear_pending(unsigned irq)
{
    dist_write(GICD_ICPENDR + (irq / 32) * 4, 1u << (irq % 32));
}

void gic_set_pending(unsigned irq)
{
    dist_write(GICD_ISPENDR + (irq / 32) * 4, 1u << (irq % 32));
}

bool gic_is_pending(unsigned irq)
{
    return dist_read(GICD_ISPENDR + (irq / 32) * 4) & (1u << (irq % 32));
}

uint32_t gic_ack(void)
{
    return mmio_read32(gicc + GICC_IAR);
}

void gic_eoi(uint32_t iar)
{
    mmio_write32(gicc + GICC_EOIR, iar);
}

void gic_send_sgi_self(unsigned sgi)
{
    dsb(ishst);     /* memory the handler reads is written before the SGI */
    dist_write(GICD_SGIR, GICD_SGIR_TO_SELF | (sgi & 0xf));
}
