/* User address spaces: translation tables, VMAs, demand paging and
 * copy-on-write (see include/vm.h for the layout and the locking rule).
 *
 * Copy-on-write: fork maps every private page read-only in both parent and
 * child and takes a frame reference.  A write fault then either copies the
 * frame (shared with someone) or, when this address space is the only
 * owner left (reference count 1), just makes the entry writable again. */
#include "vm.h"
#include "arch.h"
#include "mm.h"
#include "printk.h"
#include "spinlock.h"
#include "string.h"
#include "vfs.h"
#include "../arch/arm64/sysregs.h"

#define PT_ENTRIES      512
#define LEVEL_SHIFT(l)  (39 - 9 * (l))
#define PT_INDEX(va, l) (((va) >> LEVEL_SHIFT(l)) & (PT_ENTRIES - 1))
#define USER_LIMIT      0x0000800000000000UL

/* Frames user pages may not take: the kernel keeps this much for itself so
 * a process that allocates until memory runs out cannot starve it. */
#define USER_RESERVE_FRAMES 1024

/* ASIDs: 8 bits (TCR_EL1.AS = 0); 0 belongs to the empty table of kernel
 * threads.  PROC_MAX is below 255, so no generation roll-over is needed.
 * asid_lock protects the bitmap; thread context. */
#define ASID_COUNT      256
static uint8_t asid_used[ASID_COUNT];
static struct spinlock asid_lock = SPINLOCK_INIT("asid");

static unsigned asid_alloc(void)
{
    uint64_t flags = spin_lock_irqsave(&asid_lock);
    unsigned a = 0;

    for (unsigned i = 1; i < ASID_COUNT && !a; i++)
        if (!asid_used[i])
            a = i;
    if (a)
        asid_used[a] = 1;
    spin_unlock_irqrestore(&asid_lock, flags);
    return a;
}

static void asid_free(unsigned a)
{
    /* Stale entries of this ASID must not hit for its next owner. */
    dsb(ishst);
    __asm__ volatile("tlbi aside1is, %0" : : "r"((uint64_t)a << 48));
    dsb(ish);
    isb();
    uint64_t flags = spin_lock_irqsave(&asid_lock);
    asid_used[a] = 0;
    spin_unlock_irqrestore(&asid_lock, flags);
}

static void tlb_flush_page(struct mm *mm, uint64_t va)
{
    dsb(ishst);
    __asm__ volatile("tlbi vale1is, %0"
                     : : "r"(((uint64_t)mm->asid << 48) | (va >> 12)));
    dsb(ish);
    isb();
}

static void tlb_flush_mm(struct mm *mm)
{
    dsb(ishst);
    __asm__ volatile("tlbi aside1is, %0" : : "r"((uint64_t)mm->asid << 48));
    dsb(ish);
    isb();
}

static paddr_t user_frame_alloc(void)
{
    if (frame_free_count() <= USER_RESERVE_FRAMES)
        return 0;
    return frame_alloc();
}

/* The level-3 entry for va; intermediate tables created if alloc. */
static pte_t *pte_walk(struct mm *mm, uint64_t va, bool alloc)
{
    pte_t *t = mm->pgd;

    for (int l = 0; l < 3; l++) {
        pte_t *e = &t[PT_INDEX(va, l)];
        if (!(*e & PTE_VALID)) {
            if (!alloc)
                return NULL;
            paddr_t pa = frame_alloc();
            if (!pa)
                return NULL;
            dsb(ishst);
            *e = pa | PTE_VALID | PTE_TABLE;
        }
        t = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return &t[PT_INDEX(va, 3)];
}

static pte_t user_pte(paddr_t pa, unsigned prot, bool writable)
{
    pte_t e = pa | PTE_VALID | PTE_PAGE | PTE_AF | PTE_SH_INNER |
              PTE_ATTR(MT_NORMAL) | PTE_NG | PTE_AP_EL0 | PTE_PXN;

    if (!writable)
        e |= PTE_AP_RO;
    if (!(prot & PROT_EXEC))
        e |= PTE_UXN;
    return e;
}

struct mm *vm_create(void)
{
    struct mm *mm = kzalloc(sizeof(*mm));
    paddr_t pgd = frame_alloc();
    unsigned asid = asid_alloc();

    if (!mm || !pgd || !asid) {
        if (pgd)
            frame_free(pgd);
        if (asid)
            asid_free(asid);
        kfree(mm);
        return NULL;
    }
    mm->pgd = phys_to_virt(pgd);
    mm->asid = asid;
    mm->users = 1;
    list_init(&mm->vmas);
    return mm;
}

uint64_t vm_ttbr0(const struct mm *mm)
{
    return virt_to_phys(mm->pgd) | ((uint64_t)mm->asid << 48);
}

uint64_t vm_size(const struct mm *mm)
{
    uint64_t n = 0;
    struct list_head *pos;
    list_for_each(pos, &mm->vmas)
        n += list_entry(pos, struct vma, node)->end -
             list_entry(pos, struct vma, node)->start;
    return n;
}

struct vma *vm_find(struct mm *mm, uint64_t addr)
{
    struct list_head *pos;

    list_for_each(pos, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        if (addr < v->start)
            return NULL;
        if (addr < v->end)
            return v;
    }
    return NULL;
}

static bool range_free(struct mm *mm, uint64_t start, uint64_t end)
{
    struct list_head *pos;

    list_for_each(pos, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        if (v->start < end && start < v->end)
            return false;
    }
    return true;
}

static void vma_insert(struct mm *mm, struct vma *n)
{
    struct list_head *pos;

    list_for_each(pos, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        if (v->start > n->start) {
            list_insert(&n->node, pos->prev, pos);
            return;
        }
    }
    list_add_tail(&n->node, &mm->vmas);
}

int vm_add(struct mm *mm, uint64_t start, uint64_t len, unsigned prot,
           unsigned flags)
{
    uint64_t end = start + len;

    if (!IS_ALIGNED(start | len, PAGE_SIZE) || !len || end < start ||
        end > USER_LIMIT || start < MMAP_MIN_ADDR)
        return -EINVAL;
    if (!range_free(mm, start, end))
        return -EEXIST;
    struct vma *v = kzalloc(sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->start = start;
    v->end = end;
    v->prot = prot;
    v->flags = flags;
    vma_insert(mm, v);
    return 0;
}

/* Drop the pages of [start, end) (inside one VMA). */
static void unmap_pages(struct mm *mm, uint64_t start, uint64_t end)
{
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        pte_t *e = pte_walk(mm, va, false);
        if (!e) {
            /* Skip to the next level-3 table. */
            va = ALIGN_DOWN(va, 1UL << LEVEL_SHIFT(2)) +
                 (1UL << LEVEL_SHIFT(2)) - PAGE_SIZE;
            continue;
        }
        if (!(*e & PTE_VALID))
            continue;
        paddr_t pa = *e & PTE_ADDR_MASK;
        *e = 0;
        tlb_flush_page(mm, va);
        frame_free(pa);
        mm->pages--;
    }
}

/* Ensure a VMA boundary at addr (if a VMA spans it). */
static int vma_split(struct mm *mm, uint64_t addr)
{
    struct vma *v = vm_find(mm, addr);

    if (!v || v->start == addr)
        return 0;
    struct vma *n = kzalloc(sizeof(*n));
    if (!n)
        return -ENOMEM;
    *n = *v;
    n->start = addr;
    v->end = addr;
    list_insert(&n->node, &v->node, v->node.next);
    return 0;
}

int vm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    uint64_t end = addr + len;

    if (!IS_ALIGNED(addr, PAGE_SIZE) || !len || end < addr ||
        end > USER_LIMIT)
        return -EINVAL;
    int err = vma_split(mm, addr);
    if (!err)
        err = vma_split(mm, end);
    if (err)
        return err;
    struct list_head *pos, *n;
    list_for_each_safe(pos, n, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        if (v->start >= addr && v->end <= end) {
            unmap_pages(mm, v->start, v->end);
            list_del(&v->node);
            kfree(v);
        }
    }
    return 0;
}

int vm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    uint64_t end = addr + len;

    if (!IS_ALIGNED(addr, PAGE_SIZE) || end < addr || end > USER_LIMIT ||
        (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    /* The whole range must be mapped (POSIX: ENOMEM otherwise). */
    for (uint64_t a = addr; a < end;) {
        struct vma *v = vm_find(mm, a);
        if (!v)
            return -ENOMEM;
        a = v->end;
    }
    int err = vma_split(mm, addr);
    if (!err)
        err = vma_split(mm, end);
    if (err)
        return err;
    struct list_head *pos;
    list_for_each(pos, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        if (v->start < addr || v->end > end)
            continue;
        v->prot = prot;
        /* Present pages become read-only (or absent for PROT_NONE, kept
         * as a frame); a later write fault restores write access. */
        for (uint64_t va = v->start; va < v->end; va += PAGE_SIZE) {
            pte_t *e = pte_walk(mm, va, false);
            if (!e || !(*e & PTE_VALID))
                continue;
            paddr_t pa = *e & PTE_ADDR_MASK;
            bool w = (prot & PROT_WRITE) && (v->flags & VMA_SHARED);
            *e = prot ? user_pte(pa, prot, w)
                      : (user_pte(pa, prot, false) & ~PTE_AP_EL0);
            tlb_flush_page(mm, va);
        }
    }
    return 0;
}

paddr_t vm_page(struct mm *mm, uint64_t addr)
{
    struct vma *v = vm_find(mm, addr);
    pte_t *e = pte_walk(mm, addr, true);

    if (!v || !e)
        return 0;
    if (!(*e & PTE_VALID)) {
        paddr_t pa = user_frame_alloc();
        if (!pa)
            return 0;
        *e = user_pte(pa, v->prot, false);
        mm->pages++;
    }
    return *e & PTE_ADDR_MASK;
}

int vm_copy_out(struct mm *mm, uint64_t uaddr, const void *src, size_t len)
{
    const uint8_t *s = src;

    while (len) {
        size_t off = uaddr & (PAGE_SIZE - 1);
        size_t n = MIN(len, PAGE_SIZE - off);
        paddr_t pa = vm_page(mm, uaddr);
        if (!pa)
            return -ENOMEM;
        memcpy((uint8_t *)phys_to_virt(pa) + off, s, n);
        s += n;
        uaddr += n;
        len -= n;
    }
    return 0;
}

/* Clean the data cache to the point of unification and invalidate the
 * instruction cache (Arm ARM D7.5.9, "instruction cache coherency"). */
void vm_sync_icache(struct mm *mm, uint64_t start, uint64_t len)
{
    uint64_t ctr = read_sysreg(ctr_el0);
    uint64_t line = 4UL << ((ctr >> 16) & 0xf);     /* DminLine */

    for (uint64_t va = ALIGN_DOWN(start, PAGE_SIZE); va < start + len;
         va += PAGE_SIZE) {
        pte_t *e = pte_walk(mm, va, false);
        if (!e || !(*e & PTE_VALID))
            continue;
        uint8_t *k = phys_to_virt(*e & PTE_ADDR_MASK);
        for (uint64_t o = 0; o < PAGE_SIZE; o += line)
            __asm__ volatile("dc cvau, %0" : : "r"(k + o) : "memory");
    }
    dsb(ish);
    __asm__ volatile("ic ialluis" ::: "memory");
    dsb(ish);
    isb();
}

int vm_fault(struct mm *mm, uint64_t addr, bool write, bool exec)
{
    struct vma *v = vm_find(mm, addr);

    if (!v)
        return -EFAULT;
    if ((write && !(v->prot & PROT_WRITE)) ||
        (exec && !(v->prot & PROT_EXEC)) || v->prot == PROT_NONE)
        return -EACCES;
    uint64_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    pte_t *e = pte_walk(mm, va, true);
    if (!e)
        return -ENOMEM;
    bool writable = (v->prot & PROT_WRITE) != 0;
    if (!(*e & PTE_VALID)) {
        /* Demand-zero page. */
        paddr_t pa = user_frame_alloc();
        if (!pa)
            return -ENOMEM;
        *e = user_pte(pa, v->prot, writable);
        mm->pages++;
        dsb(ishst);
        isb();
        return 0;
    }
    paddr_t pa = *e & PTE_ADDR_MASK;
    if (write && (*e & PTE_AP_RO)) {
        if (!(v->flags & VMA_SHARED) && frame_refcount(pa) > 1) {
            paddr_t copy = user_frame_alloc();
            if (!copy)
                return -ENOMEM;
            memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
            frame_free(pa);
            pa = copy;
        }
        *e = user_pte(pa, v->prot, true);
        tlb_flush_page(mm, va);
        return 0;
    }
    if (!(*e & PTE_AP_EL0)) {       /* was PROT_NONE, now accessible */
        *e = user_pte(pa, v->prot, false);
        tlb_flush_page(mm, va);
    }
    /* Otherwise another path fixed it first: retry. */
    return 0;
}

/* Walk every present user page of src's tables at level l, sharing it
 * with dst: private pages become read-only in both (copy-on-write). */
static int clone_level(struct mm *dst, struct mm *src, pte_t *table, int l,
                       uint64_t base)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        pte_t e = table[i];
        if (!(e & PTE_VALID))
            continue;
        uint64_t va = base + ((uint64_t)i << LEVEL_SHIFT(l));
        if (l < 3) {
            int err = clone_level(dst, src, phys_to_virt(e & PTE_ADDR_MASK),
                                  l + 1, va);
            if (err)
                return err;
            continue;
        }
        struct vma *v = vm_find(src, va);
        if (!v)
            continue;
        pte_t *d = pte_walk(dst, va, true);
        if (!d)
            return -ENOMEM;
        if (!(v->flags & VMA_SHARED))
            table[i] = e | PTE_AP_RO;
        *d = table[i];
        frame_ref(e & PTE_ADDR_MASK);
        dst->pages++;
    }
    return 0;
}

struct mm *vm_clone(struct mm *src)
{
    struct mm *mm = vm_create();
    struct list_head *pos;

    if (!mm)
        return NULL;
    mm->brk_start = src->brk_start;
    mm->brk = src->brk;
    list_for_each(pos, &src->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        struct vma *n = kzalloc(sizeof(*n));
        if (!n) {
            vm_put(mm);
            return NULL;
        }
        *n = *v;
        list_add_tail(&n->node, &mm->vmas);
    }
    int err = clone_level(mm, src, src->pgd, 0, 0);
    tlb_flush_mm(src);      /* the parent's entries just became read-only */
    if (err) {
        vm_put(mm);
        return NULL;
    }
    return mm;
}

static void free_level(pte_t *table, int l)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        pte_t e = table[i];
        if (!(e & PTE_VALID))
            continue;
        if (l < 3)
            free_level(phys_to_virt(e & PTE_ADDR_MASK), l + 1);
        frame_free(e & PTE_ADDR_MASK);
    }
}

void vm_put(struct mm *mm)
{
    if (!mm || --mm->users > 0)
        return;
    free_level(mm->pgd, 0);
    frame_free(virt_to_phys(mm->pgd));
    asid_free(mm->asid);
    struct list_head *pos, *n;
    list_for_each_safe(pos, n, &mm->vmas) {
        list_del(pos);
        kfree(list_entry(pos, struct vma, node));
    }
    kfree(mm);
}

/* Highest free gap of len bytes below MMAP_TOP. */
static uint64_t find_gap(struct mm *mm, uint64_t len)
{
    uint64_t cand = MMAP_TOP - len;
    struct list_head *pos;

    /* Walk from the highest VMA down, sliding the candidate below each
     * one it overlaps. */
    for (pos = mm->vmas.prev; pos != &mm->vmas; pos = pos->prev) {
        struct vma *v = list_entry(pos, struct vma, node);
        if (v->start >= cand + len)
            continue;
        if (v->end <= cand)
            break;
        if (v->start < len + MMAP_MIN_ADDR)
            return 0;
        cand = v->start - len;
    }
    return cand >= MMAP_MIN_ADDR && (mm->brk == 0 || cand >= mm->brk) ?
           cand : 0;
}

long vm_mmap(struct mm *mm, uint64_t addr, uint64_t len, unsigned prot,
             unsigned flags, struct file *f, uint64_t off)
{
    unsigned type = flags & MAP_TYPE;

    if (!len || (type != MAP_PRIVATE && type != MAP_SHARED) ||
        (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) ||
        !IS_ALIGNED(off, PAGE_SIZE))
        return -EINVAL;
    if (len > USER_LIMIT)
        return -ENOMEM;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (f && type == MAP_SHARED)
        return -ENODEV;     /* no page cache to share file pages through */
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (!IS_ALIGNED(addr, PAGE_SIZE) || addr < MMAP_MIN_ADDR ||
            addr + len > USER_LIMIT || addr + len < addr)
            return -EINVAL;
        if (!range_free(mm, addr, addr + len)) {
            if (flags & MAP_FIXED_NOREPLACE)
                return -EEXIST;
            int err = vm_munmap(mm, addr, len);
            if (err)
                return err;
        }
    } else {
        /* A hint is used when that range is free. */
        if (!addr || !IS_ALIGNED(addr, PAGE_SIZE) || addr < MMAP_MIN_ADDR ||
            addr + len > MMAP_TOP || addr + len < addr ||
            !range_free(mm, addr, addr + len))
            addr = find_gap(mm, len);
        if (!addr)
            return -ENOMEM;
    }
    int err = vm_add(mm, addr, len, prot,
                     type == MAP_SHARED ? VMA_SHARED : 0);
    if (err)
        return err == -EEXIST ? -ENOMEM : err;
    if (f) {
        /* File-backed private mapping: read the contents now (no page
         * cache yet); bytes past the end of the file read as zero. */
        for (uint64_t o = 0; o < len; o += PAGE_SIZE) {
            paddr_t pa = vm_page(mm, addr + o);
            if (!pa) {
                vm_munmap(mm, addr, len);
                return -ENOMEM;
            }
            ssize_t n = file_kread(f, phys_to_virt(pa), PAGE_SIZE, off + o);
            if (n < 0) {
                vm_munmap(mm, addr, len);
                return n;
            }
            if (n < (ssize_t)PAGE_SIZE)
                break;
        }
        if (prot & PROT_EXEC)
            vm_sync_icache(mm, addr, len);
    }
    return (long)addr;
}

uint64_t vm_brk(struct mm *mm, uint64_t newbrk)
{
    uint64_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
    uint64_t new_end = ALIGN_UP(newbrk, PAGE_SIZE);

    /* Linux: an invalid request returns the current break. */
    if (newbrk < mm->brk_start || newbrk >= MMAP_TOP)
        return mm->brk;
    if (new_end > old_end) {
        if (!range_free(mm, old_end, new_end))
            return mm->brk;
        struct vma *h = old_end > mm->brk_start ? vm_find(mm, old_end - 1)
                                                : NULL;
        if (h && (h->flags & VMA_HEAP)) {
            h->end = new_end;
        } else if (vm_add(mm, old_end, new_end - old_end,
                          PROT_READ | PROT_WRITE, VMA_HEAP)) {
            return mm->brk;
        }
    } else if (new_end < old_end) {
        vm_munmap(mm, new_end, old_end - new_end);
    }
    mm->brk = newbrk;
    return newbrk;
}

int vm_dontneed(struct mm *mm, uint64_t addr, uint64_t len)
{
    uint64_t end = addr + ALIGN_UP(len, PAGE_SIZE);
    struct list_head *pos;

    if (!IS_ALIGNED(addr, PAGE_SIZE) || end < addr || end > USER_LIMIT)
        return -EINVAL;
    list_for_each(pos, &mm->vmas) {
        struct vma *v = list_entry(pos, struct vma, node);
        uint64_t s = MAX(v->start, addr), e = MIN(v->end, end);
        if (s < e && !(v->flags & VMA_SHARED))
            unmap_pages(mm, s, e);
    }
    return 0;
}

int vm_map_private_frame(struct mm *mm, uint64_t va, paddr_t pa)
{
    struct vma *v = vm_find(mm, va);
    if (!v || (v->flags & VMA_SHARED) || (va & (PAGE_SIZE - 1)))
        return -EINVAL;
    pte_t *e = pte_walk(mm, va, true);
    if (!e)
        return -ENOMEM;
    if (*e & PTE_VALID)
        return -EEXIST;
    *e = user_pte(pa, v->prot, false);
    mm->pages++;
    return 0;
}

int vm_map_frame(struct mm *mm, uint64_t va, paddr_t pa, unsigned prot)
{
    int err = vm_add(mm, va, PAGE_SIZE, prot, VMA_SHARED);
    if (err)
        return err;
    pte_t *e = pte_walk(mm, va, true);
    if (!e)
        return -ENOMEM;
    frame_ref(pa);
    *e = user_pte(pa, prot, false);
    mm->pages++;
    return 0;
}
