/* The platform as the device tree describes it (kernel/dt.c), on top of
 * lib/fdt.c.  Portable too: tests/host runs it on a DTB dumped by QEMU. */
#ifndef DT_H
#define DT_H

#include <stdbool.h>
#include <stdint.h>
#include "fdt.h"

#define DT_MAX_MEM      8

struct dt_range {
    uint64_t base, size;
};

/* Opens the blob; returns 0 or -FDT_ERR_* (the caller panics with
 * fdt_strerror()). */
int dt_init(const void *blob, size_t avail);
const struct fdt *dt_fdt(void);
uint32_t dt_totalsize(void);

/* RAM from the /memory nodes (device_type = "memory"); returns count. */
int dt_memory(struct dt_range *out, int max);
/* /chosen/bootargs, or "" */
const char *dt_bootargs(void);
/* The node /chosen/stdout-path points at (options after ':' ignored). */
int dt_stdout_node(void);
/* /chosen linux,initrd-start / -end; false if absent. */
bool dt_initrd(uint64_t *start, uint64_t *end);

/* reg entry i of node, translated by the parent's #address-cells and
 * #size-cells (defaults 2/1 per spec).  False if absent. */
bool dt_reg(int node, int i, uint64_t *addr, uint64_t *size);
/* Interrupt i of a node whose interrupt parent is the GIC (3 cells: type,
 * number, flags), as a GIC INTID: SPI n -> 32 + n, PPI n -> 16 + n.
 * Returns -1 if absent.  *flags gets the trigger cell if non-NULL. */
int dt_irq(int node, int i, uint32_t *flags);
int dt_find_compatible(int after, const char *compat);
bool dt_is_compatible(int node, const char *compat);
int dt_find_phandle(uint32_t phandle);
const void *dt_getprop(int node, const char *name, int *len);
bool dt_getprop_u32(int node, const char *name, uint32_t *out);
const char *dt_node_name(int node);

#endif
