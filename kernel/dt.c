/* The platform as the device tree describes it, on top of lib/fdt.c.
 *
 * One static struct fdt for the boot blob, no heap: callers get offsets and
 * pointers into the blob, which must stay mapped.  Until dt_init() succeeds
 * the struct is all zero, which makes every lookup fail cleanly (fdt_open
 * leaves it so on error), so callers need not check dt_init's result twice.
 * Binding references are to the Devicetree Specification v0.4 (DTSpec) and,
 * for the GIC specifier, the Linux arm,gic binding. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "fdt.h"
#include "dt.h"

/* #address-cells / #size-cells when the parent has none (DTSpec 2.3.5). */
#define DT_DEFAULT_ADDR_CELLS   2
#define DT_DEFAULT_SIZE_CELLS   1

/* GIC interrupt specifier: <type number flags> (arm,gic binding). */
#define DT_GIC_SPI              0
#define DT_GIC_PPI              1
#define DT_GIC_SPI_BASE         32
#define DT_GIC_PPI_BASE         16
#define DT_GIC_NUM_SPI          988     /* INTIDs 32..1019 */
#define DT_GIC_NUM_PPI          16

/* Bound on the interrupt-parent chain, which is made of phandles and so may
 * loop in a corrupt blob. */
#define DT_MAX_IRQ_HOPS         32

/* Longest stdout-path we resolve; it is copied to strip ":options". */
#define DT_MAX_PATH             256

static struct fdt dt_blob;

int dt_init(const void *blob, size_t avail)
{
    return fdt_open(&dt_blob, blob, avail);
}

const struct fdt *dt_fdt(void)
{
    return &dt_blob;
}

uint32_t dt_totalsize(void)
{
    return dt_blob.totalsize;
}

/* ---- Thin wrappers over the boot blob ----------------------------------- */

int dt_find_compatible(int after, const char *compat)
{
    return fdt_find_compatible(&dt_blob, after, compat);
}

bool dt_is_compatible(int node, const char *compat)
{
    return fdt_is_compatible(&dt_blob, node, compat);
}

int dt_find_phandle(uint32_t phandle)
{
    return fdt_find_phandle(&dt_blob, phandle);
}

const void *dt_getprop(int node, const char *name, int *len)
{
    return fdt_getprop(&dt_blob, node, name, len);
}

bool dt_getprop_u32(int node, const char *name, uint32_t *out)
{
    return fdt_getprop_u32(&dt_blob, node, name, out);
}

const char *dt_node_name(int node)
{
    return fdt_node_name(&dt_blob, node);
}

/* ---- reg (DTSpec 2.3.6) ------------------------------------------------- */

/* A #...-cells value of node, or def when absent (not inherited: DTSpec
 * 2.3.5 says a missing property means the default, not the grandparent's). */
static uint32_t dt_cells(int node, const char *name, uint32_t def)
{
    uint32_t v;
    return fdt_getprop_u32(&dt_blob, node, name, &v) ? v : def;
}

/* Entries are (address, size) pairs sized by the parent's cells.  Addresses
 * are returned as written, not translated through the parents' "ranges";
 * the QEMU virt tree only has identity ("ranges;") buses.  Addresses wider
 * than 64 bits are not representable here and fail. */
bool dt_reg(int node, int i, uint64_t *addr, uint64_t *size)
{
    int parent = fdt_parent(&dt_blob, node);
    if (parent < 0 || i < 0)
        return false;
    uint32_t ac = dt_cells(parent, "#address-cells", DT_DEFAULT_ADDR_CELLS);
    uint32_t sc = dt_cells(parent, "#size-cells", DT_DEFAULT_SIZE_CELLS);
    if (ac < 1 || ac > 2 || sc > 2)
        return false;

    int len;
    const uint8_t *reg = fdt_getprop(&dt_blob, node, "reg", &len);
    size_t entry = 4 * (size_t)(ac + sc);
    if (reg == NULL || (size_t)i >= (size_t)len / entry)
        return false;

    const uint8_t *p = reg + entry * (size_t)i;
    if (addr)
        *addr = fdt_read_cells(p, (int)ac);
    if (size)
        *size = fdt_read_cells(p + 4 * ac, (int)sc);
    return true;
}

/* ---- Memory (DTSpec 3.4) ------------------------------------------------ */

/* "status" absent, "okay" or the older "ok" means usable (DTSpec 2.3.4). */
static bool dt_node_enabled(int node)
{
    const char *s = fdt_getprop_str(&dt_blob, node, "status");
    return s == NULL || strcmp(s, "okay") == 0 || strcmp(s, "ok") == 0;
}

/* A /memory node has device_type = "memory"; blobs that omit device_type
 * are still recognised by the node name "memory" or "memory@<unit>". */
static bool dt_is_memory_node(int node)
{
    const char *type = fdt_getprop_str(&dt_blob, node, "device_type");
    if (type != NULL)
        return strcmp(type, "memory") == 0;

    const char *name = fdt_node_name(&dt_blob, node);
    return name != NULL && strncmp(name, "memory", 6) == 0 &&
           (name[6] == '\0' || name[6] == '@');
}

/* Memory nodes are children of the root (DTSpec 3.4), so their reg uses the
 * root's cells; dt_reg looks them up from the parent. */
int dt_memory(struct dt_range *out, int max)
{
    int n = 0;
    int root = fdt_root(&dt_blob);
    if (root < 0)
        return 0;

    for (int node = fdt_first_child(&dt_blob, root); node >= 0 && n < max;
         node = fdt_next_sibling(&dt_blob, node)) {
        if (!dt_is_memory_node(node) || !dt_node_enabled(node))
            continue;
        uint64_t base, size;
        for (int i = 0; n < max && dt_reg(node, i, &base, &size); i++) {
            if (size == 0)
                continue;
            out[n].base = base;
            out[n].size = size;
            n++;
        }
    }
    return n;
}

/* ---- /chosen (DTSpec 3.6) ----------------------------------------------- */

static int dt_chosen(void)
{
    return fdt_path_offset(&dt_blob, "/chosen");
}

const char *dt_bootargs(void)
{
    const char *s = fdt_getprop_str(&dt_blob, dt_chosen(), "bootargs");
    return s ? s : "";
}

/* stdout-path is a path or an alias (fdt_path_offset resolves both),
 * optionally followed by ':' and options such as a baud rate, which are not
 * part of the path ("serial0:115200n8"). */
int dt_stdout_node(void)
{
    int chosen = dt_chosen();
    if (chosen < 0)
        return chosen;
    const char *s = fdt_getprop_str(&dt_blob, chosen, "stdout-path");
    if (s == NULL)
        s = fdt_getprop_str(&dt_blob, chosen, "linux,stdout-path");
    if (s == NULL)
        return -FDT_ERR_NOTFOUND;

    char path[DT_MAX_PATH];
    size_t n = 0;
    while (s[n] != '\0' && s[n] != ':') {
        if (n == sizeof(path) - 1)
            return -FDT_ERR_NOTFOUND;
        path[n] = s[n];
        n++;
    }
    path[n] = '\0';
    return fdt_path_offset(&dt_blob, path);
}

/* linux,initrd-start / -end may be one or two cells (Linux chosen binding). */
static bool dt_chosen_addr(int chosen, const char *name, uint64_t *out)
{
    int len;
    const void *p = fdt_getprop(&dt_blob, chosen, name, &len);
    if (p == NULL || (len != 4 && len != 8))
        return false;
    *out = fdt_read_cells(p, len / 4);
    return true;
}

bool dt_initrd(uint64_t *start, uint64_t *end)
{
    int chosen = dt_chosen();
    uint64_t s, e;
    if (chosen < 0 || !dt_chosen_addr(chosen, "linux,initrd-start", &s) ||
        !dt_chosen_addr(chosen, "linux,initrd-end", &e) || e < s)
        return false;
    if (start)
        *start = s;
    if (end)
        *end = e;
    return true;
}

/* ---- Interrupts (DTSpec 2.4) -------------------------------------------- */

/* The interrupt parent of node (DTSpec 2.4.1): its "interrupt-parent"
 * phandle, or else its tree parent, repeated until a node that has
 * #interrupt-cells, i.e. an interrupt controller or nexus. */
static int dt_irq_parent(int node)
{
    for (int hop = 0; hop < DT_MAX_IRQ_HOPS; hop++) {
        uint32_t ph;
        if (fdt_getprop_u32(&dt_blob, node, "interrupt-parent", &ph))
            node = fdt_find_phandle(&dt_blob, ph);
        else
            node = fdt_parent(&dt_blob, node);
        if (node < 0)
            return node;
        if (fdt_getprop(&dt_blob, node, "#interrupt-cells", NULL) != NULL)
            return node;
    }
    return -FDT_ERR_NOTFOUND;
}

/* GIC specifier cell 0 is the type, cell 1 the number within it (arm,gic
 * binding); converts that to an INTID, or -1 for other types. */
static int dt_gic_intid(uint32_t type, uint32_t num)
{
    if (type == DT_GIC_SPI && num < DT_GIC_NUM_SPI)
        return (int)(DT_GIC_SPI_BASE + num);
    if (type == DT_GIC_PPI && num < DT_GIC_NUM_PPI)
        return (int)(DT_GIC_PPI_BASE + num);
    return -1;
}

/* "interrupts" holds specifiers of the parent's #interrupt-cells cells each
 * (DTSpec 2.4.2.1).  GICv2 uses 3; GICv3 may use 4 with the same first
 * three, so anything >= 3 is read as <type number flags ...>. */
int dt_irq(int node, int i, uint32_t *flags)
{
    /* The property first: finding the parent walks the tree. */
    int len;
    const uint8_t *p = fdt_getprop(&dt_blob, node, "interrupts", &len);
    if (p == NULL || i < 0)
        return -1;

    int ip = dt_irq_parent(node);
    uint32_t cells;
    if (ip < 0 || !fdt_getprop_u32(&dt_blob, ip, "#interrupt-cells", &cells))
        return -1;
    if (cells < 3 || cells > 4)
        return -1;
    size_t entry = 4 * (size_t)cells;
    if ((size_t)i >= (size_t)len / entry)
        return -1;

    p += entry * (size_t)i;
    int intid = dt_gic_intid(fdt_be32(p), fdt_be32(p + 4));
    if (intid >= 0 && flags)
        *flags = fdt_be32(p + 8);
    return intid;
}
