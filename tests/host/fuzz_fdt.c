/* libFuzzer target for lib/fdt.c and kernel/dt.c: any input either fails
 * fdt_open/dt_init or survives every call without a sanitizer report.
 * Run with `make -C tests/host fuzz-fdt` (seeded with QEMU's trees). */
#include <stdint.h>
#include <string.h>
#include "dt.h"
#include "fdt.h"

/* Bounds the work per input: fdt_parent and phandle lookups walk the whole
 * tree, so calling them on every node of a big input would be quadratic. */
#define FUZZ_MAX_NODES  64

static void fuzz_fdt_api(const struct fdt *f)
{
    int n = 0;
    for (int node = fdt_next_node(f, -1); node >= 0 && n < FUZZ_MAX_NODES;
         node = fdt_next_node(f, node), n++) {
        const char *name = fdt_node_name(f, node);
        if (name)
            (void)strlen(name);
        int len;
        const uint8_t *v = fdt_getprop(f, node, "compatible", &len);
        if (v && len > 0)
            (void)(v[0] + v[len - 1]);
        const char *s = fdt_getprop_str(f, node, "status");
        if (s)
            (void)strlen(s);
        uint32_t u;
        (void)fdt_getprop_u32(f, node, "phandle", &u);
        (void)fdt_is_compatible(f, node, "arm,pl011");
        (void)fdt_first_child(f, node);
        (void)fdt_next_sibling(f, node);
        (void)fdt_parent(f, node);
    }
    (void)fdt_path_offset(f, "/chosen");
    (void)fdt_path_offset(f, "/intc/v2m");
    (void)fdt_path_offset(f, "serial0/x");
    (void)fdt_find_compatible(f, -1, "arm,gic-v2m-frame");
    (void)fdt_find_phandle(f, 0x8002);
    uint64_t a, sz;
    for (int i = 0; i < fdt_rsv_count(f) && i < 4; i++)
        (void)fdt_rsv_get(f, i, &a, &sz);
}

static void fuzz_dt_api(void)
{
    struct dt_range r[DT_MAX_MEM];
    uint64_t a, s;
    uint32_t fl;
    (void)dt_memory(r, DT_MAX_MEM);
    (void)strlen(dt_bootargs());
    (void)dt_stdout_node();
    (void)dt_initrd(&a, &s);
    int n = 0;
    for (int node = fdt_next_node(dt_fdt(), -1);
         node >= 0 && n < FUZZ_MAX_NODES;
         node = fdt_next_node(dt_fdt(), node), n++) {
        (void)dt_reg(node, 0, &a, &s);
        (void)dt_reg(node, 1, &a, &s);
        (void)dt_irq(node, 0, &fl);
        (void)dt_irq(node, 1, &fl);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fdt f;
    if (fdt_open(&f, data, size) == 0)
        fuzz_fdt_api(&f);
    else
        fuzz_fdt_api(&f);      /* the zeroed struct must be safe too */
    if (dt_init(data, size) == 0)
        fuzz_dt_api();
    return 0;
}
