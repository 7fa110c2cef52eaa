/* User address spaces (mm/vm.c): one translation table (TTBR0) and ASID
 * per process, a sorted list of mappings (VMAs), demand-zero paging and
 * copy-on-write on fork.
 *
 * Layout (47-bit user half):
 *   ET_EXEC segments at their link address; static-pie (ET_DYN) at PIE_BASE
 *   brk heap just above the highest segment
 *   mmap area top-down from MMAP_TOP
 *   the stack: STACK_SIZE below STACK_TOP, faulted in on demand
 *
 * An address space is used only by the one thread of its process (and by a
 * vfork child while the parent sleeps), so it needs no lock. */
#ifndef VM_H
#define VM_H

#include "kernel.h"
#include "list.h"
#include "pgtable.h"

struct file;

#define PROT_NONE       0x0
#define PROT_READ       0x1
#define PROT_WRITE      0x2
#define PROT_EXEC       0x4

#define MAP_SHARED      0x01
#define MAP_PRIVATE     0x02
#define MAP_TYPE        0x0f
#define MAP_FIXED       0x10
#define MAP_ANONYMOUS   0x20
#define MAP_GROWSDOWN   0x0100
#define MAP_NORESERVE   0x4000
#define MAP_POPULATE    0x8000
#define MAP_STACK       0x20000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_FAILED      ((uint64_t)-1)

#define STACK_TOP       0x00007ffffff00000UL
#define STACK_SIZE      (8UL << 20)
#define MMAP_TOP        (STACK_TOP - STACK_SIZE - (1UL << 30))
#define PIE_BASE        0x0000555555500000UL
/* The signal return trampoline page, above the stack (the vDSO's
 * __kernel_rt_sigreturn on Linux). */
#define SIGPAGE_ADDR    (STACK_TOP + 0x10000)
#define MMAP_MIN_ADDR   0x10000UL       /* page 0 and a bit stay unmapped */

#define VMA_SHARED      0x1     /* MAP_SHARED: fork shares, no CoW */
#define VMA_STACK       0x2
#define VMA_HEAP        0x4

struct vma {
    uint64_t start, end;        /* page aligned, [start, end) */
    unsigned prot;              /* PROT_* */
    unsigned flags;             /* VMA_* */
    struct list_head node;      /* in mm->vmas, sorted by start */
};

struct mm {
    pte_t *pgd;
    unsigned asid;
    int users;                  /* processes using it (vfork shares) */
    struct list_head vmas;
    uint64_t brk_start, brk;
    size_t pages;               /* resident user pages */
};

struct mm *vm_create(void);
struct mm *vm_clone(struct mm *src);    /* fork: copy-on-write copy */
void vm_put(struct mm *mm);             /* frees everything at 0 users */
uint64_t vm_ttbr0(const struct mm *mm);
uint64_t vm_size(const struct mm *mm);  /* bytes in all mappings */
/* Map pa (referenced by the caller; the mapping takes that reference) at
 * page va of an existing private mapping, read-only: a write to a writable
 * mapping then copies it (copy-on-write against the file's own reference).
 * 0, -EEXIST if va is already populated, -ENOMEM. */
int vm_map_private_frame(struct mm *mm, uint64_t va, paddr_t pa);

struct vma *vm_find(struct mm *mm, uint64_t addr);
/* Add a mapping at a fixed, free, page-aligned range. */
int vm_add(struct mm *mm, uint64_t start, uint64_t len, unsigned prot,
           unsigned flags);
/* The frame backing addr, allocating a zeroed one if absent (exec uses this
 * to fill a new address space).  0 when out of memory. */
paddr_t vm_page(struct mm *mm, uint64_t addr);
/* Copy into an address space that need not be the current one. */
int vm_copy_out(struct mm *mm, uint64_t uaddr, const void *src, size_t len);
/* Make written code visible to instruction fetch. */
void vm_sync_icache(struct mm *mm, uint64_t start, uint64_t len);

/* Resolve a fault at addr: 0 if the access may be retried, -EFAULT if
 * nothing is mapped there (SEGV_MAPERR), -EACCES if the mapping forbids
 * the access (SEGV_ACCERR), -ENOMEM if no frame is left. */
int vm_fault(struct mm *mm, uint64_t addr, bool write, bool exec);

/* The memory system calls' work on the current address space. */
long vm_mmap(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot,
             unsigned flags, struct file *f, uint64_t off);
int vm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
int vm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot);
uint64_t vm_brk(struct mm *mm, uint64_t newbrk);
/* Map an existing frame read-only and shared (it gains a reference). */
int vm_map_frame(struct mm *mm, uint64_t va, paddr_t pa, unsigned prot);
/* Drop the private pages of a range; they read back as zero. */
int vm_dontneed(struct mm *mm, uint64_t addr, uint64_t len);

#endif
