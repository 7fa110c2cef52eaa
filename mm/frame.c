/* Physical frame allocator.
 *
 * Boot code describes RAM with frame_add_memory() (up to MAX_RAM ranges,
 * page-rounded inwards, overlapping or touching ranges merged) and what is
 * already in use with frame_reserve() (page-rounded outwards), then calls
 * frame_init_done().  That builds, in RAM itself:
 *
 *   - frames[]: one struct frame per frame of every range, holding the
 *     reference count (FRAME_RESERVED for frames that are never handed out:
 *     reserved ranges and this metadata);
 *   - bitmap[]: one bit per frame, set = free, for fast scanning.
 *
 * Both are indexed by a frame index: range k covers indexes
 * ram[k].first .. ram[k].first + ram[k].nframes - 1, and one index is left
 * out between consecutive ranges.  Its bit is never set, so a run of free
 * bits never spans two ranges and every run found is physically contiguous.
 *
 * The metadata is carved from the lowest free (not reserved) part of RAM
 * and reached through phys_to_virt(), as are frames zeroed on allocation.
 * Before mmu_init() only the boot linear map exists (head.S maps physical
 * 1..4 GiB); taking the lowest free frames first (first fit) keeps early
 * allocations, the kernel page tables included, inside it.
 *
 * Allocation is first fit from `hint`, a lower bound on the word holding
 * the lowest free bit: single frames take the first free bit, contiguous
 * runs the first long enough run of set bits.  Misuse that would corrupt the
 * allocator (freeing a free, reserved or non-RAM frame) is a kernel bug and
 * panics.  The lock is released before panicking, which changes nothing in
 * the kernel and lets host tests catch the panic and go on. */
#include "mm.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"

#define MAX_RAM         8
#define MAX_RESERVED    32
#define FRAME_RESERVED  UINT32_MAX      /* refcount of a reserved frame */
#define FRAME_REF_MAX   (UINT32_MAX - 1)
#define BITS            64

struct frame {
    uint32_t ref;       /* 0 free, 1.. allocated, FRAME_RESERVED */
};

struct ram_range {
    paddr_t base;       /* page-aligned */
    size_t nframes;
    size_t first;       /* frame index of base */
};

struct rsv_range {
    paddr_t base, end;  /* page-aligned, end exclusive */
};

static struct {
    /* Setup state, written only before frame_init_done() (boot, one CPU,
     * IRQs masked) and read-only afterwards. */
    struct ram_range ram[MAX_RAM + 1];  /* +1: room to insert, then merge */
    int nram;
    struct rsv_range rsv[MAX_RESERVED];
    int nrsv;
    bool ready;
    struct frame *frames;
    uint64_t *bitmap;
    size_t nidx;        /* frame indexes, separators included */
    size_t nwords;      /* bitmap words */
    size_t total;       /* frames in RAM ranges, reserved ones included */

    /* `lock` protects frames[], bitmap[], hint and nfree.  It is taken from
     * thread context (page tables, stacks, kmalloc), softirq context
     * (network buffers) and IRQ handlers (drivers refilling queues), hence
     * spin_lock_irqsave.  It is a leaf lock: nothing else is taken, and no
     * frame is zeroed, while it is held. */
    struct spinlock lock;
    size_t hint;        /* no free bit in words below this */
    size_t nfree;
} fa = {
    .lock = SPINLOCK_INIT("frame"),
};

/* ---- setup ---- */

void frame_add_memory(paddr_t base, uint64_t size)
{
    if (fa.ready)
        panic("frame_add_memory: called after frame_init_done");
    if (size == 0 || base > UINT64_MAX - (PAGE_SIZE - 1))
        return;
    paddr_t end = base + size < base ? UINT64_MAX : base + size;
    base = ALIGN_UP(base, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (base >= end)
        return;

    /* Insert sorted by base, then merge overlapping or touching ranges. */
    int i = fa.nram;
    while (i > 0 && fa.ram[i - 1].base > base) {
        fa.ram[i] = fa.ram[i - 1];
        i--;
    }
    fa.ram[i] = (struct ram_range){ base, (end - base) / PAGE_SIZE, 0 };
    fa.nram++;

    int n = 0;
    for (int k = 0; k < fa.nram; k++) {
        struct ram_range *r = &fa.ram[k];
        if (n > 0) {
            struct ram_range *p = &fa.ram[n - 1];
            paddr_t pend = p->base + p->nframes * PAGE_SIZE;
            if (r->base <= pend) {
                paddr_t rend = r->base + r->nframes * PAGE_SIZE;
                if (rend > pend)
                    p->nframes = (rend - p->base) / PAGE_SIZE;
                continue;
            }
        }
        fa.ram[n++] = *r;
    }
    fa.nram = n;
    if (fa.nram > MAX_RAM)
        panic("frame_add_memory: more than %d separate RAM ranges", MAX_RAM);
}

void frame_reserve(paddr_t base, uint64_t size)
{
    if (fa.ready)
        panic("frame_reserve: called after frame_init_done");
    if (size == 0)
        return;
    paddr_t end = base + size < base ? UINT64_MAX : base + size;
    end = end > UINT64_MAX - PAGE_SIZE ? ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)
                                       : ALIGN_UP(end, PAGE_SIZE);
    base = ALIGN_DOWN(base, PAGE_SIZE);
    if (fa.nrsv == MAX_RESERVED)
        panic("frame_reserve: more than %d reserved ranges", MAX_RESERVED);
    fa.rsv[fa.nrsv++] = (struct rsv_range){ base, end };
}

/* Index range [*lo, *hi) of the frames of RAM range r inside [base, end);
 * false when they do not intersect. */
static bool ram_intersect(const struct ram_range *r, paddr_t base,
                          paddr_t end, size_t *lo, size_t *hi)
{
    paddr_t rend = r->base + r->nframes * PAGE_SIZE;
    paddr_t b = MAX(base, r->base), e = MIN(end, rend);
    if (b >= e)
        return false;
    *lo = r->first + (b - r->base) / PAGE_SIZE;
    *hi = r->first + (e - r->base) / PAGE_SIZE;
    return true;
}

static void mark_reserved(paddr_t base, paddr_t end)
{
    for (int k = 0; k < fa.nram; k++) {
        size_t lo, hi;
        if (!ram_intersect(&fa.ram[k], base, end, &lo, &hi))
            continue;
        for (size_t i = lo; i < hi; i++) {
            fa.frames[i].ref = FRAME_RESERVED;
            fa.bitmap[i / BITS] &= ~((uint64_t)1 << (i % BITS));
        }
    }
}

/* Lowest page-aligned address in RAM where `bytes` fit without touching a
 * reserved range; 0 when there is none. */
static paddr_t find_metadata_home(uint64_t bytes)
{
    for (int k = 0; k < fa.nram; k++) {
        const struct ram_range *r = &fa.ram[k];
        paddr_t rend = r->base + r->nframes * PAGE_SIZE;
        paddr_t cand = MAX(r->base, PAGE_SIZE);    /* 0 means none */
        /* Each step moves cand past a reserved range, so this ends. */
        while (cand < rend && rend - cand >= bytes) {
            bool hit = false;
            for (int j = 0; j < fa.nrsv && !hit; j++) {
                if (fa.rsv[j].base < cand + bytes && fa.rsv[j].end > cand) {
                    cand = fa.rsv[j].end;   /* page-aligned */
                    hit = true;
                }
            }
            if (!hit)
                return cand;
        }
    }
    return 0;
}

void frame_init_done(void)
{
    if (fa.ready)
        panic("frame_init_done: called twice");
    if (fa.nram == 0)
        panic("frame_init_done: no RAM was added");

    size_t idx = 0;
    fa.total = 0;
    for (int k = 0; k < fa.nram; k++) {
        fa.ram[k].first = idx;
        idx += fa.ram[k].nframes + 1;       /* + the separator */
        fa.total += fa.ram[k].nframes;
    }
    fa.nidx = idx - 1;
    fa.nwords = DIV_ROUND_UP(fa.nidx, BITS);

    size_t frames_bytes = ALIGN_UP(fa.nidx * sizeof(struct frame), 8);
    uint64_t meta_bytes = ALIGN_UP(frames_bytes + fa.nwords * 8, PAGE_SIZE);
    paddr_t meta = find_metadata_home(meta_bytes);
    if (meta == 0)
        panic("frame_init_done: no free RAM for %lu bytes of frame metadata",
              (unsigned long)meta_bytes);
    fa.frames = phys_to_virt(meta);
    fa.bitmap = (uint64_t *)((char *)fa.frames + frames_bytes);

    /* Everything reserved (separators too), then RAM freed, then the
     * reserved ranges and the metadata taken out again. */
    memset(fa.bitmap, 0, fa.nwords * 8);
    for (size_t i = 0; i < fa.nidx; i++)
        fa.frames[i].ref = FRAME_RESERVED;
    for (int k = 0; k < fa.nram; k++) {
        for (size_t i = fa.ram[k].first;
             i < fa.ram[k].first + fa.ram[k].nframes; i++) {
            fa.frames[i].ref = 0;
            fa.bitmap[i / BITS] |= (uint64_t)1 << (i % BITS);
        }
    }
    for (int j = 0; j < fa.nrsv; j++)
        mark_reserved(fa.rsv[j].base, fa.rsv[j].end);
    mark_reserved(meta, meta + meta_bytes);
    mark_reserved(0, PAGE_SIZE);    /* 0 is frame_alloc's "no memory" */

    fa.nfree = 0;
    for (size_t w = 0; w < fa.nwords; w++)
        fa.nfree += (size_t)__builtin_popcountll(fa.bitmap[w]);
    fa.hint = 0;
    fa.ready = true;
}

/* ---- index <-> address ---- */

#define NO_INDEX SIZE_MAX

static size_t pa_to_idx(paddr_t pa)
{
    if (!fa.ready || !IS_ALIGNED(pa, PAGE_SIZE))
        return NO_INDEX;
    for (int k = 0; k < fa.nram; k++) {
        const struct ram_range *r = &fa.ram[k];
        if (pa >= r->base && (pa - r->base) / PAGE_SIZE < r->nframes)
            return r->first + (pa - r->base) / PAGE_SIZE;
    }
    return NO_INDEX;
}

static const struct ram_range *idx_range(size_t idx)
{
    for (int k = 0; k < fa.nram; k++)
        if (idx >= fa.ram[k].first && idx - fa.ram[k].first < fa.ram[k].nframes)
            return &fa.ram[k];
    return NULL;
}

static paddr_t idx_to_pa(size_t idx)
{
    const struct ram_range *r = idx_range(idx);
    return r->base + (idx - r->first) * PAGE_SIZE;
}

/* ---- bitmap scanning (lock held) ---- */

/* First index in [i, lim) whose bit is `set`; lim if none. */
static size_t find_next(size_t i, size_t lim, bool set)
{
    while (i < lim) {
        uint64_t w = fa.bitmap[i / BITS];
        if (!set)
            w = ~w;
        w &= ~(uint64_t)0 << (i % BITS);
        if (w) {
            size_t r = ALIGN_DOWN(i, BITS) + (size_t)__builtin_ctzll(w);
            return MIN(r, lim);
        }
        i = ALIGN_DOWN(i, BITS) + BITS;
    }
    return lim;
}

static void take(size_t idx)
{
    fa.bitmap[idx / BITS] &= ~((uint64_t)1 << (idx % BITS));
    fa.frames[idx].ref = 1;
    fa.nfree--;
}

static void release(size_t idx)
{
    fa.bitmap[idx / BITS] |= (uint64_t)1 << (idx % BITS);
    fa.nfree++;
    if (idx / BITS < fa.hint)
        fa.hint = idx / BITS;
}

/* ---- allocation ---- */

paddr_t frame_alloc(void)
{
    uint64_t flags = spin_lock_irqsave(&fa.lock);
    if (fa.nfree == 0) {
        spin_unlock_irqrestore(&fa.lock, flags);
        return 0;
    }
    size_t w = fa.hint;
    while (w < fa.nwords && fa.bitmap[w] == 0)
        w++;
    if (w == fa.nwords) {
        spin_unlock_irqrestore(&fa.lock, flags);
        panic("frame_alloc: %lu frames counted free but none found",
              (unsigned long)fa.nfree);
    }
    size_t idx = w * BITS + (size_t)__builtin_ctzll(fa.bitmap[w]);
    take(idx);
    fa.hint = w;
    spin_unlock_irqrestore(&fa.lock, flags);

    paddr_t pa = idx_to_pa(idx);
    memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

paddr_t frame_alloc_contig(size_t count)
{
    if (count == 0)
        return 0;
    if (count == 1)
        return frame_alloc();

    uint64_t flags = spin_lock_irqsave(&fa.lock);
    size_t start = NO_INDEX;
    if (count <= fa.nfree) {
        size_t i = fa.hint * BITS;
        while (i < fa.nidx) {
            size_t s = find_next(i, fa.nidx, true);
            if (s == fa.nidx)
                break;
            /* Runs end at the range's separator, so a run of `count` set
             * bits is one range's and physically contiguous. */
            size_t e = find_next(s, MIN(s + count, fa.nidx), false);
            if (e - s == count) {
                start = s;
                break;
            }
            i = e;
        }
    }
    if (start == NO_INDEX) {
        spin_unlock_irqrestore(&fa.lock, flags);
        return 0;
    }
    for (size_t i = start; i < start + count; i++)
        take(i);
    spin_unlock_irqrestore(&fa.lock, flags);

    paddr_t pa = idx_to_pa(start);
    memset(phys_to_virt(pa), 0, count * PAGE_SIZE);
    return pa;
}

/* Why frame `pa` (index idx) may not be freed or referenced, or NULL. */
static const char *not_allocated(size_t idx)
{
    if (idx == NO_INDEX)
        return "not a RAM frame";
    if (fa.frames[idx].ref == FRAME_RESERVED)
        return "reserved frame";
    if (fa.frames[idx].ref == 0)
        return "double free";
    return NULL;
}

void frame_free(paddr_t pa)
{
    uint64_t flags = spin_lock_irqsave(&fa.lock);
    size_t idx = pa_to_idx(pa);
    const char *why = not_allocated(idx);
    if (why) {
        spin_unlock_irqrestore(&fa.lock, flags);
        panic("frame_free: %s of %#lx", why, (unsigned long)pa);
    }
    if (--fa.frames[idx].ref == 0)
        release(idx);
    spin_unlock_irqrestore(&fa.lock, flags);
}

void frame_free_contig(paddr_t pa, size_t count)
{
    if (count == 0)
        return;
    uint64_t flags = spin_lock_irqsave(&fa.lock);
    /* Check every frame first, so a bad call changes nothing. */
    size_t first = pa_to_idx(pa);
    const struct ram_range *r = first == NO_INDEX ? NULL : idx_range(first);
    for (size_t i = 0; i < count; i++) {
        /* Past the end of the RAM range is not RAM (or another range). */
        size_t idx = r && i < r->first + r->nframes - first ? first + i
                                                            : NO_INDEX;
        const char *why = not_allocated(idx);
        if (why) {
            spin_unlock_irqrestore(&fa.lock, flags);
            panic("frame_free_contig: %s of %#lx (frame %lu of %lu from "
                  "%#lx)", why, (unsigned long)(pa + i * PAGE_SIZE),
                  (unsigned long)i, (unsigned long)count, (unsigned long)pa);
        }
    }
    for (size_t idx = first; idx < first + count; idx++)
        if (--fa.frames[idx].ref == 0)
            release(idx);
    spin_unlock_irqrestore(&fa.lock, flags);
}

/* ---- reference counts ---- */

void frame_ref(paddr_t pa)
{
    uint64_t flags = spin_lock_irqsave(&fa.lock);
    size_t idx = pa_to_idx(pa);
    const char *why = NULL;
    if (idx == NO_INDEX)
        why = "not a RAM frame:";
    else if (fa.frames[idx].ref == FRAME_RESERVED)
        why = "reserved frame";
    else if (fa.frames[idx].ref == 0)
        why = "free frame";
    else if (fa.frames[idx].ref == FRAME_REF_MAX)
        why = "count overflow on";
    if (why) {
        spin_unlock_irqrestore(&fa.lock, flags);
        panic("frame_ref: %s %#lx", why, (unsigned long)pa);
    }
    fa.frames[idx].ref++;
    spin_unlock_irqrestore(&fa.lock, flags);
}

/* 0 for free, reserved and non-RAM frames. */
unsigned frame_refcount(paddr_t pa)
{
    uint64_t flags = spin_lock_irqsave(&fa.lock);
    size_t idx = pa_to_idx(pa);
    unsigned ref = 0;
    if (idx != NO_INDEX && fa.frames[idx].ref != FRAME_RESERVED)
        ref = fa.frames[idx].ref;
    spin_unlock_irqrestore(&fa.lock, flags);
    return ref;
}

size_t frame_free_count(void)
{
    return READ_ONCE(fa.nfree);
}

/* Every frame of every RAM range, reserved and metadata frames included. */
size_t frame_total_count(void)
{
    return fa.total;
}
