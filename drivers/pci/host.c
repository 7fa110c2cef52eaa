/* The PCIe host bridge from the DTB ("pci-host-ecam-generic",
 * Documentation/devicetree/bindings/pci/host-generic-pci.yaml): ECAM `reg`,
 * `bus-range`, address windows from `ranges` (IEEE 1275 PCI binding
 * §2.2.1.1: 3-cell PCI addresses), and checks of `interrupt-map` and
 * `msi-map`/`msi-parent`.  Everything read here is treated as untrusted:
 * a malformed property is logged and ignored, never followed off its end.
 * Called once from pci_init() (thread context). */
#include "pci_internal.h"
#include "dt.h"
#include "gicv2m.h"
#include "printk.h"
#include "string.h"

#define PCI_HOST_COMPAT     "pci-host-ecam-generic"

struct pci_host pci_host;

static const char *const win_names[] = {
    [PCI_WIN_IO] = "io", [PCI_WIN_MEM32] = "mem32", [PCI_WIN_MEM64] = "mem64",
};

static uint32_t node_u32(int node, const char *name, uint32_t def)
{
    uint32_t v;
    return dt_getprop_u32(node, name, &v) ? v : def;
}

static uint64_t read_cells(const uint32_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 32) | fdt_be32(&p[i]);
    return v;
}

/* ECAM reg and bus-range.  The reg window starts at the first bus of
 * bus-range (as Linux's pci_ecam_create assumes), 1 MiB per bus. */
static int pci_host_ecam(int node)
{
    struct pci_host *h = &pci_host;
    int len;

    if (!dt_reg(node, 0, &h->ecam_phys, &h->ecam_size) ||
        h->ecam_size < PCI_ECAM_BUS_SIZE) {
        klog("pci: host %s: no usable ECAM reg", dt_node_name(node));
        return -EINVAL;
    }
    h->bus_start = 0;
    h->bus_end = PCI_MAX_BUS - 1;
    const uint32_t *br = dt_getprop(node, "bus-range", &len);
    if (br && len == 8) {
        uint32_t s = fdt_be32(&br[0]), e = fdt_be32(&br[1]);
        if (s <= e && e < PCI_MAX_BUS) {
            h->bus_start = s;
            h->bus_end = e;
        } else {
            klog("pci: bad bus-range <%u %u>, using 0-255", s, e);
        }
    } else if (br) {
        klog("pci: bus-range has %d bytes, want 8: using 0-255", len);
    }
    unsigned ecam_buses = (unsigned)MIN(h->ecam_size >> PCI_ECAM_BUS_SHIFT,
                                        (uint64_t)PCI_MAX_BUS);
    if (h->bus_end - h->bus_start + 1 > ecam_buses) {
        klog("pci: ECAM covers %u buses only, bus-range cut to %u-%u",
             ecam_buses, h->bus_start, h->bus_start + ecam_buses - 1);
        h->bus_end = h->bus_start + ecam_buses - 1;
    }
    return 0;
}

/* One `ranges` entry: <phys.hi phys.mid phys.lo> <cpu addr> <size>. */
static void pci_host_add_window(const uint32_t *e, unsigned pna, unsigned sc)
{
    struct pci_host *h = &pci_host;
    uint32_t hi = fdt_be32(&e[0]);
    uint64_t pci = read_cells(&e[1], 2);
    uint64_t cpu = read_cells(&e[3], pna);
    uint64_t size = read_cells(&e[3 + pna], sc);
    struct pci_window w = { .pci_base = pci, .cpu_base = cpu, .size = size,
                            .prefetch = (hi & PCI_PHYS_PREFETCH) != 0 };

    switch ((hi >> PCI_PHYS_SS_SHIFT) & PCI_PHYS_SS_MASK) {
    case PCI_PHYS_SS_IO:    w.type = PCI_WIN_IO; break;
    case PCI_PHYS_SS_MEM32: w.type = PCI_WIN_MEM32; break;
    case PCI_PHYS_SS_MEM64: w.type = PCI_WIN_MEM64; break;
    default:
        klog("pci: ranges entry for configuration space ignored");
        return;
    }
    if (size == 0 || pci + size < pci || cpu + size < cpu) {
        klog("pci: ranges entry %#x %#lx size %#lx ignored (bad size)",
             hi, (unsigned long)pci, (unsigned long)size);
        return;
    }
    if ((w.type == PCI_WIN_MEM32 && pci + size > (1ULL << 32)) ||
        (w.type == PCI_WIN_IO && pci + size > (1ULL << 32))) {
        klog("pci: %s window %#lx+%#lx passes 4 GiB, ignored",
             win_names[w.type], (unsigned long)pci, (unsigned long)size);
        return;
    }
    if (h->nwin == PCI_MAX_WINDOWS) {
        klog("pci: more than %d windows, the rest ignored", PCI_MAX_WINDOWS);
        return;
    }
    /* I/O addresses below 0x1000 are legacy ISA territory; a window
     * starting at 0 is used from 0x1000 on, as Linux does
     * (PCIBIOS_MIN_IO). */
    w.next = w.pci_base;
    if (w.type == PCI_WIN_IO && w.next < 0x1000)
        w.next = MIN(0x1000, w.pci_base + w.size);
    h->win[h->nwin++] = w;
    klog("pci: window %s%s pci %#lx..%#lx -> cpu %#lx",
         win_names[w.type], w.prefetch ? " pref" : "",
         (unsigned long)pci, (unsigned long)(pci + size - 1),
         (unsigned long)cpu);
}

static void pci_host_ranges(int node, unsigned pna, unsigned sc)
{
    int len;
    const uint32_t *r = dt_getprop(node, "ranges", &len);
    unsigned ent = 3 + pna + sc;

    if (!r || len <= 0) {
        klog("pci: host has no ranges: BARs cannot be assigned");
        return;
    }
    if (len % (4 * ent))
        klog("pci: ranges length %d is not a multiple of %u cells; "
             "trailing bytes ignored", len, ent);
    for (unsigned i = 0; (i + 1) * ent * 4 <= (unsigned)len; i++)
        pci_host_add_window(r + i * ent, pna, sc);
}

/* Walks interrupt-map once so route lookups can trust the layout: every
 * entry's parent phandle must resolve, with a known #interrupt-cells. */
static void pci_host_imap(int node)
{
    struct pci_host *h = &pci_host;
    int len, mlen;
    const uint32_t *map = dt_getprop(node, "interrupt-map", &len);
    const uint32_t *mask = dt_getprop(node, "interrupt-map-mask", &mlen);
    unsigned child = h->addr_cells + h->intr_cells;

    if (!map) {
        klog("pci: host has no interrupt-map: INTx unavailable");
        return;
    }
    if (h->addr_cells != 3 || h->intr_cells != 1 ||
        !mask || mlen != (int)(4 * child)) {
        klog("pci: interrupt-map-mask missing or not 4 cells: INTx "
             "unavailable");
        return;
    }
    for (unsigned i = 0; i < child; i++)
        h->imap_mask[i] = fdt_be32(&mask[i]);

    unsigned cells = (unsigned)len / 4, pos = 0, n = 0;
    while (pos < cells) {
        if (pos + child + 1 > cells)
            goto bad;
        int parent = dt_find_phandle(fdt_be32(&map[pos + child]));
        uint32_t pic;
        if (parent < 0 || !dt_getprop_u32(parent, "#interrupt-cells", &pic))
            goto bad;
        unsigned pac = node_u32(parent, "#address-cells", 0);
        if (pac > 3 || pic > 4)
            goto bad;
        pos += child + 1 + pac + pic;
        n++;
    }
    if (pos != cells)
        goto bad;
    h->imap = map;
    h->imap_cells = cells;
    klog("pci: interrupt-map: %u entries", n);
    return;
bad:
    klog("pci: interrupt-map malformed at cell %u: INTx unavailable", pos);
}

/* msi-map (Documentation/devicetree/bindings/pci/pci-msi.txt):
 * <rid-base msi-controller msi-base length>; or a plain msi-parent.  MSI
 * works only if it names the GICv2m frame we drive. */
static void pci_host_msi(int node)
{
    struct pci_host *h = &pci_host;
    int len, v2m = gicv2m_node();
    const uint32_t *map = dt_getprop(node, "msi-map", &len);
    uint32_t ph;

    if (map && len >= 16 && len % 16 == 0) {
        for (int i = 0; i < len / 16; i++)
            if (dt_find_phandle(fdt_be32(&map[4 * i + 1])) == v2m && v2m >= 0)
                h->msi_ok = true;
    } else if (dt_getprop_u32(node, "msi-parent", &ph)) {
        h->msi_ok = v2m >= 0 && dt_find_phandle(ph) == v2m;
    }
    if (!h->msi_ok)
        klog("pci: host has no msi-map/msi-parent naming the GICv2m frame: "
             "MSI and MSI-X unavailable");
}

int pci_host_probe(void)
{
    struct pci_host *h = &pci_host;
    int node = dt_find_compatible(-1, PCI_HOST_COMPAT);

    memset(h, 0, sizeof(*h));
    if (node < 0) {
        klog("pci: no %s host bridge in the device tree", PCI_HOST_COMPAT);
        return -ENODEV;
    }
    h->node = node;
    int err = pci_host_ecam(node);
    if (err)
        return err;
    h->addr_cells = node_u32(node, "#address-cells", 3);
    h->intr_cells = node_u32(node, "#interrupt-cells", 1);
    unsigned sc = node_u32(node, "#size-cells", 2);
    int parent = fdt_parent(dt_fdt(), node);
    unsigned pna = parent >= 0 ? node_u32(parent, "#address-cells", 2) : 2;
    klog("pci: host %s: ECAM %#lx (+%#lx), buses %u-%u",
         dt_node_name(node), (unsigned long)h->ecam_phys,
         (unsigned long)h->ecam_size, h->bus_start, h->bus_end);
    if (h->addr_cells != 3 || sc < 1 || sc > 2 || pna < 1 || pna > 2)
        klog("pci: host #address-cells %u #size-cells %u parent %u: "
             "ranges not usable", h->addr_cells, sc, pna);
    else
        pci_host_ranges(node, pna, sc);
    pci_host_imap(node);
    pci_host_msi(node);
    return 0;
}

paddr_t pci_host_to_cpu(uint64_t pci_addr, bool io)
{
    for (unsigned i = 0; i < pci_host.nwin; i++) {
        const struct pci_window *w = &pci_host.win[i];
        if ((w->type == PCI_WIN_IO) != io)
            continue;
        if (pci_addr >= w->pci_base && pci_addr - w->pci_base < w->size)
            return w->cpu_base + (pci_addr - w->pci_base);
    }
    return 0;
}
