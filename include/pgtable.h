/* Translation tables (4 KiB granule, 4 levels, 48-bit VA), Arm ARM D8.
 * Used for the kernel's TTBR1 tables now and user address spaces later. */
#ifndef PGTABLE_H
#define PGTABLE_H

#include "kernel.h"

typedef uint64_t pte_t;

/* Attribute sets for pt_map(). */
#define PT_KERNEL_RW    1   /* normal, RW, never executable */
#define PT_KERNEL_RO    2   /* normal, read-only, never executable */
#define PT_KERNEL_RX    3   /* normal, read-only, kernel-executable */
#define PT_DEVICE       4   /* Device-nGnRE, RW, never executable */

/* Map [va, va+size) to [pa, pa+size), all page aligned, using 2 MiB blocks
 * where alignment allows if allow_blocks.  Intermediate tables come from
 * frame_alloc().  Returns 0 or -ENOMEM. */
int pt_map(pte_t *root, uint64_t va, paddr_t pa, uint64_t size, int prot,
           bool allow_blocks);
/* Remove page mappings of [va, va+size) and invalidate the TLB.  Leaves
 * intermediate tables in place. */
void pt_unmap(pte_t *root, uint64_t va, uint64_t size);
/* Translate va through the tables; 0 if unmapped. */
paddr_t pt_lookup(pte_t *root, uint64_t va);

pte_t *kernel_pgd(void);

#endif
