/* Physical frames, the kernel heap, device mappings and kernel stacks. */
#ifndef MM_H
#define MM_H

#include "kernel.h"
#include "memlayout.h"

/* ---- address conversion ---- */
extern paddr_t kimage_phys;     /* where the loader put the image */

static inline void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)(pa + LINEAR_BASE);
}

/* Works for linear-map and kernel-image addresses. */
static inline paddr_t virt_to_phys(const void *va)
{
    uintptr_t v = (uintptr_t)va;
    if (v >= KIMAGE_BASE && v < IOREMAP_BASE)
        return v - KIMAGE_BASE + kimage_phys;
    return v - LINEAR_BASE;
}

/* ---- physical frame allocator (mm/frame.c) ----
 * Setup: frame_add_memory() for each RAM range, frame_reserve() for what is
 * in use (image, DTB, reserve map), then frame_init_done().  Frames carry a
 * reference count (for copy-on-write later): frame_alloc() returns a frame
 * with count 1, frame_ref() adds one, frame_free() drops one and releases
 * the frame at zero.  All functions are IRQ-safe. */
void frame_add_memory(paddr_t base, uint64_t size);
void frame_reserve(paddr_t base, uint64_t size);
void frame_init_done(void);
paddr_t frame_alloc(void);                 /* zeroed; 0 when out of memory */
paddr_t frame_alloc_contig(size_t count);  /* zeroed, contiguous; 0 if none */
void frame_free(paddr_t pa);
void frame_free_contig(paddr_t pa, size_t count);
void frame_ref(paddr_t pa);
unsigned frame_refcount(paddr_t pa);
size_t frame_free_count(void);
size_t frame_total_count(void);

/* ---- kernel heap (mm/kmalloc.c) ----
 * Any size.  Small sizes come from per-size-class slabs, large ones are
 * whole contiguous frames.  IRQ-safe.  Memory is 16-byte aligned. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Bytes handed out and not yet freed (requested sizes rounded to their
 * class), for leak tests. */
size_t kmalloc_bytes_in_use(void);

/* ---- kernel mappings (arch/arm64/mmu.c) ---- */
void mmu_init(void);
/* Map a device region uncached (Device-nGnRE); returns its kernel address,
 * NULL when the ioremap area is exhausted. */
void *ioremap(paddr_t pa, size_t size);
/* Allocate a KSTACK_SIZE kernel stack with an unmapped guard below it;
 * returns the initial stack pointer (top), NULL when out of memory. */
void *kstack_alloc(void);
void kstack_free(void *top);

#endif
