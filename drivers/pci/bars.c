/* Base address registers: sizing (PCI Local Bus 3.0 §6.2.5.1: write all
 * ones, read back the writable mask, restore), placement from the host
 * bridge windows, and mapping for drivers.  Nobody assigns BARs before us
 * when QEMU boots with -kernel, so every BAR is placed here.  Placement is
 * largest-first with natural alignment, which leaves no holes between
 * power-of-two sizes.  Context: pci_init() (thread context), pci_bar_map()
 * from driver probe (thread context). */
#include "pci_internal.h"
#include "mm.h"
#include "printk.h"

static const char *bar_kind(const struct pci_bar *b)
{
    if (b->io)
        return "io";
    if (b->is64)
        return b->prefetch ? "mem64 pref" : "mem64";
    return b->prefetch ? "mem pref" : "mem";
}

const char *pci_size_str(uint64_t size, char *buf, size_t len)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;

    while (u + 1 < ARRAY_SIZE(unit) && size >= 1024 && size % 1024 == 0) {
        size /= 1024;
        u++;
    }
    snprintf(buf, len, "%lu %s", (unsigned long)size, unit[u]);
    return buf;
}

/* Lowest set bit of the writable address mask = the size (Linux's
 * pci_size()): robust against I/O BARs that implement only 16 bits. */
static uint64_t mask_to_size(uint64_t mask)
{
    return mask & (~mask + 1);
}

void pci_bars_size(struct pci_dev *d)
{
    unsigned nbars = d->header_type == PCI_HEADER_NORMAL ? PCI_MAX_BARS : 0;
    uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);

    /* Decoding off: while a BAR holds all ones the device would otherwise
     * answer to addresses that belong to someone else. */
    pci_cfg_write16(d, PCI_COMMAND,
                    cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    for (unsigned i = 0; i < nbars; i++) {
        unsigned off = PCI_BAR0 + 4 * i;
        struct pci_bar *b = &d->bar[i];
        uint32_t orig = pci_cfg_read32(d, off);

        pci_cfg_write32(d, off, 0xffffffff);
        uint32_t v = pci_cfg_read32(d, off);
        pci_cfg_write32(d, off, orig);
        if (v == 0 || v == 0xffffffff)
            continue;               /* not implemented */

        if (orig & PCI_BAR_SPACE_IO) {
            b->io = true;
            b->size = mask_to_size(v & PCI_BAR_IO_MASK);
            continue;
        }
        uint32_t type = orig & PCI_BAR_MEM_TYPE_MASK;
        uint64_t mask = v & PCI_BAR_MEM_MASK;
        b->prefetch = (orig & PCI_BAR_MEM_PREFETCH) != 0;
        if (type == PCI_BAR_MEM_TYPE_64) {
            if (i + 1 == nbars) {
                klog("pci " PCI_BDF_FMT ": BAR%u claims 64 bits but is the "
                     "last one: ignored", PCI_BDF(d), i);
                b->prefetch = false;
                continue;
            }
            uint32_t orig_hi = pci_cfg_read32(d, off + 4);
            pci_cfg_write32(d, off + 4, 0xffffffff);
            uint64_t hi = pci_cfg_read32(d, off + 4);
            pci_cfg_write32(d, off + 4, orig_hi);
            mask |= hi << 32;
            b->is64 = true;
            i++;                    /* the upper half is not a BAR */
        } else if (type != 0 && type != 2) {
            klog("pci " PCI_BDF_FMT ": BAR%u has reserved type %u: ignored",
                 PCI_BDF(d), i, type >> 1);
            b->prefetch = false;
            continue;
        } else {
            mask |= 0xffffffff00000000ULL;  /* 32-bit (or legacy <1M) */
        }
        b->size = mask_to_size(mask);
    }
    pci_cfg_write16(d, PCI_COMMAND, cmd);
}

/* May this BAR live in this window?  A non-prefetchable BAR never goes in
 * a prefetchable window (reads there may be merged or speculated), a 32-bit
 * BAR only below 4 GiB (the MEM32 windows are checked for that). */
static bool bar_fits_type(const struct pci_bar *b, const struct pci_window *w,
                          enum pci_win_type type)
{
    if (w->type != type)
        return false;
    if (type == PCI_WIN_IO)
        return b->io;
    return !b->io && (b->prefetch || !w->prefetch);
}

static bool window_take(struct pci_window *w, uint64_t size, uint64_t *addr)
{
    uint64_t a = ALIGN_UP(w->next, size);

    if (a == 0)
        a = size;           /* 0 means "unassigned" in struct pci_bar */
    if (a < w->next || a - w->pci_base > w->size ||
        size > w->size - (a - w->pci_base))
        return false;
    w->next = a + size;
    *addr = a;
    return true;
}

/* Preference: 64-bit BARs high first (as Linux's pci_bus_alloc_resource),
 * prefetchable windows first for prefetchable BARs; 32-bit BARs in the
 * 32-bit window; I/O in the I/O window. */
static bool bar_place(struct pci_bar *b)
{
    static const enum pci_win_type order64[] = { PCI_WIN_MEM64, PCI_WIN_MEM32 };
    static const enum pci_win_type order32[] = { PCI_WIN_MEM32 };
    static const enum pci_win_type order_io[] = { PCI_WIN_IO };
    const enum pci_win_type *order = b->io ? order_io :
                                     b->is64 ? order64 : order32;
    unsigned norder = b->io ? 1 : b->is64 ? 2 : 1;

    for (unsigned k = 0; k < norder; k++)
        for (int pass = 0; pass < 2; pass++)     /* pref windows first */
            for (unsigned i = 0; i < pci_host.nwin; i++) {
                struct pci_window *w = &pci_host.win[i];
                if (w->prefetch != (pass == 0) ||
                    !bar_fits_type(b, w, order[k]))
                    continue;
                if (window_take(w, b->size, &b->addr))
                    return true;
            }
    return false;
}

struct bar_ref {
    struct pci_dev *d;
    unsigned i;
};

static void bar_write(struct pci_dev *d, unsigned i)
{
    const struct pci_bar *b = &d->bar[i];
    unsigned off = PCI_BAR0 + 4 * i;

    pci_cfg_write32(d, off, (uint32_t)b->addr);
    if (b->is64)
        pci_cfg_write32(d, off + 4, (uint32_t)(b->addr >> 32));
}

void pci_bars_assign(void)
{
    struct list_head *pos;
    size_t n = 0, k = 0;

    list_for_each(pos, pci_devices()) {
        struct pci_dev *d = list_entry(pos, struct pci_dev, node);
        for (unsigned i = 0; i < PCI_MAX_BARS; i++)
            n += d->bar[i].size != 0;
    }
    if (n == 0)
        return;
    struct bar_ref *refs = kmalloc(n * sizeof(*refs));
    if (!refs) {
        klog("pci: out of memory: no BARs assigned");
        return;
    }
    list_for_each(pos, pci_devices()) {
        struct pci_dev *d = list_entry(pos, struct pci_dev, node);
        for (unsigned i = 0; i < PCI_MAX_BARS; i++)
            if (d->bar[i].size)
                refs[k++] = (struct bar_ref){ d, i };
    }
    /* Largest first (stable insertion sort: equal sizes keep scan order). */
    for (size_t a = 1; a < n; a++) {
        struct bar_ref r = refs[a];
        size_t b = a;
        for (; b > 0 && refs[b - 1].d->bar[refs[b - 1].i].size <
                            r.d->bar[r.i].size; b--)
            refs[b] = refs[b - 1];
        refs[b] = r;
    }
    for (size_t a = 0; a < n; a++) {
        struct pci_dev *d = refs[a].d;
        unsigned i = refs[a].i;
        struct pci_bar *b = &d->bar[i];
        uint16_t cmd = pci_cfg_read16(d, PCI_COMMAND);
        char sz[24];

        pci_cfg_write16(d, PCI_COMMAND,
                        cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
        if (!bar_place(b)) {
            b->addr = 0;
            klog("pci " PCI_BDF_FMT ": BAR%u (%s, %s) fits no window: left "
                 "unassigned", PCI_BDF(d), i, bar_kind(b),
                 pci_size_str(b->size, sz, sizeof(sz)));
        }
        bar_write(d, i);
        pci_cfg_write16(d, PCI_COMMAND, cmd);
    }
    kfree(refs);
}

void *pci_bar_map(struct pci_dev *d, int i)
{
    if (!d || i < 0 || i >= PCI_MAX_BARS)
        return NULL;
    struct pci_bar *b = &d->bar[i];
    if (b->va)
        return b->va;
    if (b->size == 0 || b->io || b->addr == 0)
        return NULL;
    /* Decoding stays off when another BAR of the function is unassigned
     * (see pci_enable_device()): a mapping would only read all ones. */
    if (!(pci_cfg_read16(d, PCI_COMMAND) & PCI_COMMAND_MEMORY))
        return NULL;
    paddr_t pa = pci_host_to_cpu(b->addr, false);
    if (pa == 0 || b->size > SIZE_MAX)
        return NULL;
    b->va = ioremap(pa, (size_t)b->size);
    return b->va;
}

/* For the lspci line: "BAR1 mem 0x10040000 (4 KiB)". */
int pci_bar_describe(struct pci_dev *d, unsigned i, char *buf, size_t len)
{
    const struct pci_bar *b = &d->bar[i];
    char sz[24];

    if (b->size == 0)
        return 0;
    pci_size_str(b->size, sz, sizeof(sz));
    if (b->addr == 0)
        return snprintf(buf, len, " BAR%u %s unassigned (%s)", i,
                        bar_kind(b), sz);
    return snprintf(buf, len, " BAR%u %s %#lx (%s)", i, bar_kind(b),
                    (unsigned long)b->addr, sz);
}
