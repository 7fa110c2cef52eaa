/* Virtual memory layout of the kernel (48-bit VA, 4 KiB granule).
 *
 *   0x0000_0000_0000_0000 .. user space (TTBR0), empty until processes exist
 *   0xFFFF_0000_0000_0000 .. linear map of all RAM: va = pa + LINEAR_BASE
 *   0xFFFF_8000_0000_0000 .. the kernel image (text, rodata, data, bss)
 *   0xFFFF_C000_0000_0000 .. device mappings made by ioremap()
 *   0xFFFF_D000_0000_0000 .. kernel stacks, each below an unmapped guard
 *
 * Included from assembly, so only #defines here.
 */
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)

#define LINEAR_BASE     0xFFFF000000000000
#define KIMAGE_BASE     0xFFFF800000000000
#define IOREMAP_BASE    0xFFFFC00000000000
#define IOREMAP_SIZE    0x0000001000000000
#define KSTACK_BASE     0xFFFFD00000000000
#define KSTACK_AREA     0x0000001000000000

/* Kernel stacks are 2^KSTACK_SHIFT bytes, placed at 2 * size alignment with
 * the lower half left unmapped as guard.  A valid stack pointer therefore has
 * bit KSTACK_SHIFT clear and an overflowed one has it set, which the
 * exception entry can test without touching memory (the Linux VMAP_STACK
 * trick). */
#define KSTACK_SHIFT    14
#define KSTACK_SIZE     (1UL << KSTACK_SHIFT)

/* Size of struct trap_frame (arch/arm64/trap.h). */
#define TRAP_FRAME_SIZE 288

#endif
