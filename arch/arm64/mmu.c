/* Kernel address space.  head.S turned the MMU on with coarse boot tables;
 * mmu_init() builds the real TTBR1 tables: the linear map of all RAM the DTB
 * lists (2 MiB blocks, never executable), the kernel image with one set of
 * permissions per section (4 KiB pages), and empty areas for ioremap() and
 * kernel stacks.  See memlayout.h for the layout. */
#include "arch.h"
#include "dt.h"
#include "mm.h"
#include "panic.h"
#include "pgtable.h"
#include "printk.h"
#include "spinlock.h"
#include "string.h"
#include "sysregs.h"

extern char _start[], _etext[], _erodata[], _end[];
extern char boot_stack_guard[], boot_stack[];
extern pte_t boot_l0_id[];

#define PT_ENTRIES      512
#define LEVEL_SHIFT(l)  (39 - 9 * (l))      /* level 0..3 */
#define PT_INDEX(va, l) (((va) >> LEVEL_SHIFT(l)) & (PT_ENTRIES - 1))
#define BLOCK_2M        (1UL << 21)

static pte_t *kpgd;             /* TTBR1 level-0 table */
static pte_t *empty_pgd;        /* TTBR0 while no process runs */

/* Protects the kernel page tables and the ioremap / stack area state;
 * taken from thread context only, but IRQ-saving to be safe. */
static struct spinlock kmap_lock = SPINLOCK_INIT("kmap");

pte_t *kernel_pgd(void)
{
    return kpgd;
}

static pte_t prot_bits(int prot)
{
    const pte_t normal = PTE_ATTR(MT_NORMAL) | PTE_SH_INNER | PTE_AF;

    switch (prot) {
    case PT_KERNEL_RW: return normal | PTE_PXN | PTE_UXN;
    case PT_KERNEL_RO: return normal | PTE_AP_RO | PTE_PXN | PTE_UXN;
    case PT_KERNEL_RX: return normal | PTE_AP_RO | PTE_UXN;
    case PT_DEVICE:    return PTE_ATTR(MT_DEVICE_nGnRE) | PTE_AF | PTE_PXN |
                              PTE_UXN;
    default:           panic("pt: bad prot %d", prot);
    }
}

/* Returns the table that entry `e` points to, creating it if empty. */
static pte_t *pt_next(pte_t *e)
{
    if (!(*e & PTE_VALID)) {
        paddr_t pa = frame_alloc();
        if (!pa)
            return NULL;
        dsb(ishst);     /* the zeroed table is visible before it is linked */
        *e = pa | PTE_VALID | PTE_TABLE;
    } else if (!(*e & PTE_TABLE)) {
        panic("pt: block mapping in the way of a table");
    }
    return phys_to_virt(*e & PTE_ADDR_MASK);
}

int pt_map(pte_t *root, uint64_t va, paddr_t pa, uint64_t size, int prot,
           bool allow_blocks)
{
    pte_t attrs = prot_bits(prot);

    while (size) {
        pte_t *l1 = pt_next(&root[PT_INDEX(va, 0)]);
        pte_t *l2 = l1 ? pt_next(&l1[PT_INDEX(va, 1)]) : NULL;
        if (!l2)
            return -ENOMEM;
        if (allow_blocks && IS_ALIGNED(va | pa, BLOCK_2M) && size >= BLOCK_2M) {
            l2[PT_INDEX(va, 2)] = pa | attrs | PTE_VALID | PTE_BLOCK;
            va += BLOCK_2M;
            pa += BLOCK_2M;
            size -= BLOCK_2M;
            continue;
        }
        pte_t *l3 = pt_next(&l2[PT_INDEX(va, 2)]);
        if (!l3)
            return -ENOMEM;
        l3[PT_INDEX(va, 3)] = pa | attrs | PTE_VALID | PTE_PAGE;
        va += PAGE_SIZE;
        pa += PAGE_SIZE;
        size -= PAGE_SIZE;
    }
    dsb(ishst);
    isb();
    return 0;
}

static pte_t *pt_walk(pte_t *root, uint64_t va, int *level)
{
    pte_t *t = root;

    for (int l = 0; l < 4; l++) {
        pte_t *e = &t[PT_INDEX(va, l)];
        if (!(*e & PTE_VALID))
            return NULL;
        if (l == 3 || !(*e & PTE_TABLE)) {
            *level = l;
            return e;
        }
        t = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return NULL;
}

void pt_unmap(pte_t *root, uint64_t va, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        int level;
        pte_t *e = pt_walk(root, va + off, &level);
        if (!e)
            continue;
        if (level != 3)
            panic("pt_unmap: %#lx is inside a block", (unsigned long)(va + off));
        *e = 0;
        dsb(ishst);
        __asm__ volatile("tlbi vaae1is, %0" : : "r"((va + off) >> 12));
    }
    dsb(ish);
    isb();
}

paddr_t pt_lookup(pte_t *root, uint64_t va)
{
    int level;
    pte_t *e = pt_walk(root, va, &level);

    if (!e)
        return 0;
    uint64_t span = 1UL << LEVEL_SHIFT(level);
    return (*e & PTE_ADDR_MASK & ~(span - 1)) | (va & (span - 1));
}

static void map_or_die(uint64_t va, paddr_t pa, uint64_t size, int prot,
                       bool blocks)
{
    if (pt_map(kpgd, va, pa, size, prot, blocks))
        panic("mmu: out of memory building kernel tables");
}

static void map_image_range(char *from, char *to, int prot)
{
    uint64_t va = (uint64_t)from;
    map_or_die(va, virt_to_phys(from), (uint64_t)(to - from), prot, false);
}

void mmu_init(void)
{
    paddr_t pa = frame_alloc();
    paddr_t pa0 = frame_alloc();

    if (!pa || !pa0)
        panic("mmu: no memory for the top-level tables");
    kpgd = phys_to_virt(pa);
    empty_pgd = phys_to_virt(pa0);

    struct dt_range mem[DT_MAX_MEM];
    int n = dt_memory(mem, DT_MAX_MEM);
    for (int i = 0; i < n; i++) {
        uint64_t base = ALIGN_UP(mem[i].base, PAGE_SIZE);
        uint64_t end = ALIGN_DOWN(mem[i].base + mem[i].size, PAGE_SIZE);
        if (end > base)
            map_or_die(LINEAR_BASE + base, base, end - base, PT_KERNEL_RW,
                       true);
    }

    map_image_range(_start, _etext, PT_KERNEL_RX);
    map_image_range(_etext, _erodata, PT_KERNEL_RO);
    /* Data and BSS, except the boot stack's guard, which stays unmapped. */
    map_image_range(_erodata, boot_stack_guard, PT_KERNEL_RW);
    map_image_range(boot_stack, _end, PT_KERNEL_RW);

    dsb(ishst);
    write_sysreg(ttbr1_el1, virt_to_phys(kpgd));
    isb();
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    dsb(ish);
    isb();
    klog("mmu: kernel tables at %#lx, %d RAM range(s) in the linear map",
         (unsigned long)virt_to_phys(kpgd), n);
}

/* The boot identity map is only needed until the console is ioremapped;
 * afterwards TTBR0 points at an empty table (user space, later). */
void mmu_drop_identity(void)
{
    write_sysreg(ttbr0_el1, virt_to_phys(empty_pgd));
    isb();
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    dsb(ish);
    isb();
}

uint64_t mmu_empty_ttbr0(void)
{
    return virt_to_phys(empty_pgd);     /* ASID 0: reserved for it */
}

static uint64_t ioremap_next = IOREMAP_BASE;

void *ioremap(paddr_t pa, size_t size)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t len = ALIGN_UP(pa + size, PAGE_SIZE) - base;
    uint64_t flags = spin_lock_irqsave(&kmap_lock);
    uint64_t va = ioremap_next;

    if (va + len > IOREMAP_BASE + IOREMAP_SIZE ||
        pt_map(kpgd, va, base, len, PT_DEVICE, false)) {
        spin_unlock_irqrestore(&kmap_lock, flags);
        klog("ioremap: cannot map %#lx (+%#lx)", (unsigned long)pa,
             (unsigned long)size);
        return NULL;
    }
    /* Leave an unmapped page between mappings to catch overruns. */
    ioremap_next = va + len + PAGE_SIZE;
    spin_unlock_irqrestore(&kmap_lock, flags);
    return (void *)(va + (pa - base));
}

/* Kernel stacks: stack i is [KSTACK_BASE + 2(i+1)S, +S), so its base is
 * 2S-aligned (see the overflow check in vectors.S), and the S below it is
 * never mapped: the guard (S = KSTACK_SIZE). */
#define KSTACK_SLOTS    1024
#define KSTACK_PAGES    (KSTACK_SIZE / PAGE_SIZE)
static uint8_t kstack_used[KSTACK_SLOTS];

static void kstack_release_locked(uint64_t slot)
{
    uint64_t bottom = KSTACK_BASE + 2 * (slot + 1) * KSTACK_SIZE;

    for (unsigned i = 0; i < KSTACK_PAGES; i++) {
        paddr_t pa = pt_lookup(kpgd, bottom + i * PAGE_SIZE);
        if (pa) {
            pt_unmap(kpgd, bottom + i * PAGE_SIZE, PAGE_SIZE);
            frame_free(pa);
        }
    }
    kstack_used[slot] = 0;
}

void *kstack_alloc(void)
{
    uint64_t flags = spin_lock_irqsave(&kmap_lock);
    int slot = -1;

    for (int i = 0; i < KSTACK_SLOTS && slot < 0; i++)
        if (!kstack_used[i])
            slot = i;
    if (slot < 0) {
        spin_unlock_irqrestore(&kmap_lock, flags);
        return NULL;
    }
    kstack_used[slot] = 1;

    uint64_t bottom = KSTACK_BASE + 2 * (slot + 1) * KSTACK_SIZE;
    for (unsigned i = 0; i < KSTACK_PAGES; i++) {
        paddr_t pa = frame_alloc();
        if (!pa || pt_map(kpgd, bottom + i * PAGE_SIZE, pa, PAGE_SIZE,
                          PT_KERNEL_RW, false)) {
            if (pa)
                frame_free(pa);
            kstack_release_locked(slot);
            spin_unlock_irqrestore(&kmap_lock, flags);
            return NULL;
        }
    }
    spin_unlock_irqrestore(&kmap_lock, flags);
    return (void *)(bottom + KSTACK_SIZE);
}

void kstack_free(void *top)
{
    uint64_t bottom = (uint64_t)top - KSTACK_SIZE;
    uint64_t slot = (bottom - KSTACK_BASE) / (2 * KSTACK_SIZE) - 1;

    if (slot >= KSTACK_SLOTS ||
        bottom != KSTACK_BASE + 2 * (slot + 1) * KSTACK_SIZE)
        panic("kstack_free: bad stack %p", top);
    uint64_t flags = spin_lock_irqsave(&kmap_lock);
    kstack_release_locked(slot);
    spin_unlock_irqrestore(&kmap_lock, flags);
}
