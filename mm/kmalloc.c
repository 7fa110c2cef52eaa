/* Kernel heap.
 *
 * Small sizes (up to 2048 bytes) are rounded up to a power-of-two class,
 * 16..2048, and served from slabs: one frame each, a struct slab header in
 * its first SLAB_HDR bytes, then equal objects.  The header records the class
 * and an allocation bitmap, so kfree() finds everything from the pointer
 * (round down to the frame) and catches double frees and pointers into the
 * middle of an object.  Objects per slab: 252, 126, 63, 31, 15, 7, 3, 1.
 * Slabs with a free object are on their class's `partial` list; a full
 * slab is on no list; a slab whose last object is freed goes straight back
 * to the frame allocator, so freeing everything returns every frame.
 *
 * Larger sizes take whole contiguous frames from frame_alloc_contig(), a
 * 16-byte struct large header first (magic and frame count) and the memory
 * after it, so the pointer is 16 bytes past a frame boundary, an offset no
 * slab object has.
 *
 * kmalloc(0) returns a valid 16-byte object (it is not NULL, so callers
 * that allocate n * size with n == 0 and treat NULL as ENOMEM work).
 *
 * kmalloc_bytes_in_use() counts each small allocation as its class size and
 * each large one as its whole frames (header included).
 *
 * Freed slab objects are filled with POISON_FREE to expose use after free.
 * Misuse (double free, pointer not from kmalloc) panics; the lock is
 * released first, which only matters to host tests catching the panic. */
#include "mm.h"
#include "panic.h"
#include "spinlock.h"
#include "string.h"

#define MIN_SHIFT       4                       /* 16-byte class */
#define NCLASSES        8                       /* 16 .. 2048 */
#define MAX_SMALL       (1UL << (MIN_SHIFT + NCLASSES - 1))
#define SLAB_HDR        64                      /* objects start here */
#define MAX_OBJS        ((PAGE_SIZE - SLAB_HDR) >> MIN_SHIFT)

#define SLAB_MAGIC      0x51ab0b1eU
#define SLAB_DEAD       0x51abdeadU             /* released to the frames */
#define LARGE_MAGIC     0x1a26eb1cU
#define LARGE_DEAD      0x1a26deadU
#define POISON_FREE     0x6b

struct slab {
    uint32_t magic;
    uint16_t cls;
    uint16_t inuse;
    struct slab *next, *prev;                   /* partial list */
    uint64_t used[DIV_ROUND_UP(MAX_OBJS, 64)];  /* 1 = allocated; bits
                                                   past the last object
                                                   are always 1 */
};
_Static_assert(sizeof(struct slab) <= SLAB_HDR, "slab header too big");

struct large {
    uint32_t magic;
    uint32_t unused;
    uint64_t nframes;
};
_Static_assert(sizeof(struct large) == 16, "keeps large memory 16-aligned");

/* `lock` protects the partial lists, the headers of live slabs and large
 * allocations, and `bytes`.  kmalloc/kfree are called from thread, softirq
 * and IRQ context, hence spin_lock_irqsave.  It is never held while calling
 * the frame allocator. */
static struct {
    struct spinlock lock;
    struct slab *partial[NCLASSES];
    size_t bytes;
} heap = {
    .lock = SPINLOCK_INIT("kmalloc"),
};

static unsigned class_of(size_t size)
{
    if (size <= (1UL << MIN_SHIFT))
        return 0;
    return (unsigned)(64 - __builtin_clzll(size - 1)) - MIN_SHIFT;
}

static size_t class_size(unsigned cls)
{
    return 1UL << (cls + MIN_SHIFT);
}

static unsigned class_objs(unsigned cls)
{
    return (unsigned)((PAGE_SIZE - SLAB_HDR) / class_size(cls));
}

/* ---- partial lists (lock held) ---- */

static void partial_push(struct slab *s)
{
    struct slab **head = &heap.partial[s->cls];
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
}

static void partial_remove(struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        heap.partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

/* ---- slabs ---- */

static struct slab *slab_new(unsigned cls)
{
    paddr_t pa = frame_alloc();     /* zeroed */
    if (!pa)
        return NULL;
    struct slab *s = phys_to_virt(pa);
    unsigned n = class_objs(cls);
    s->magic = SLAB_MAGIC;
    s->cls = (uint16_t)cls;
    for (unsigned i = n; i < ARRAY_SIZE(s->used) * 64; i++)
        s->used[i / 64] |= (uint64_t)1 << (i % 64);
    return s;
}

/* Takes a free object of s, which has one (lock held). */
static void *slab_take(struct slab *s)
{
    unsigned i = 0;
    for (unsigned w = 0; w < ARRAY_SIZE(s->used); w++) {
        if (~s->used[w]) {
            i = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
            break;
        }
    }
    s->used[i / 64] |= (uint64_t)1 << (i % 64);
    if (++s->inuse == class_objs(s->cls))
        partial_remove(s);
    return (char *)s + SLAB_HDR + i * class_size(s->cls);
}

static void *large_alloc(size_t size)
{
    if (size > SIZE_MAX - PAGE_SIZE - sizeof(struct large))
        return NULL;
    size_t n = DIV_ROUND_UP(size + sizeof(struct large), PAGE_SIZE);
    paddr_t pa = frame_alloc_contig(n);
    if (!pa)
        return NULL;
    struct large *h = phys_to_virt(pa);
    h->magic = LARGE_MAGIC;
    h->nframes = n;

    uint64_t flags = spin_lock_irqsave(&heap.lock);
    heap.bytes += n * PAGE_SIZE;
    spin_unlock_irqrestore(&heap.lock, flags);
    return h + 1;
}

void *kmalloc(size_t size)
{
    if (size > MAX_SMALL)
        return large_alloc(size);

    unsigned cls = class_of(size);
    uint64_t flags = spin_lock_irqsave(&heap.lock);
    struct slab *s = heap.partial[cls];
    if (!s) {
        spin_unlock_irqrestore(&heap.lock, flags);
        s = slab_new(cls);
        if (!s)
            return NULL;
        flags = spin_lock_irqsave(&heap.lock);
        partial_push(s);
    }
    void *p = slab_take(s);
    heap.bytes += class_size(cls);
    spin_unlock_irqrestore(&heap.lock, flags);
    return p;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    uintptr_t off = (uintptr_t)p & (PAGE_SIZE - 1);
    void *frame = (char *)p - off;
    const char *why;

    uint64_t flags = spin_lock_irqsave(&heap.lock);
    uint32_t magic = *(volatile uint32_t *)frame;

    if (magic == LARGE_MAGIC && off == sizeof(struct large)) {
        struct large *h = frame;
        size_t n = h->nframes;
        h->magic = LARGE_DEAD;
        heap.bytes -= n * PAGE_SIZE;
        spin_unlock_irqrestore(&heap.lock, flags);
        frame_free_contig(virt_to_phys(h), n);
        return;
    }

    if (magic == SLAB_MAGIC) {
        struct slab *s = frame;
        size_t csize = class_size(s->cls);
        unsigned n = class_objs(s->cls);
        size_t i = (off - SLAB_HDR) / csize;
        uint64_t bit = (uint64_t)1 << (i % 64);

        if (off < SLAB_HDR || (off - SLAB_HDR) % csize != 0 || i >= n) {
            why = "is not the start of a slab object";
            goto bad;
        }
        if (!(s->used[i / 64] & bit)) {
            why = "is already free (double free)";
            goto bad;
        }
        s->used[i / 64] &= ~bit;
        memset(p, POISON_FREE, csize);
        heap.bytes -= csize;
        if (--s->inuse == 0) {
            if (n > 1)          /* a one-object slab was full: no list */
                partial_remove(s);
            s->magic = SLAB_DEAD;
            spin_unlock_irqrestore(&heap.lock, flags);
            frame_free(virt_to_phys(s));
            return;
        }
        if (s->inuse == n - 1)  /* was full */
            partial_push(s);
        spin_unlock_irqrestore(&heap.lock, flags);
        return;
    }

    if (magic == SLAB_DEAD || magic == LARGE_DEAD)
        why = "is already free (double free)";
    else
        why = "was not returned by kmalloc";
bad:
    spin_unlock_irqrestore(&heap.lock, flags);
    panic("kfree: %p %s", p, why);
}

size_t kmalloc_bytes_in_use(void)
{
    return READ_ONCE(heap.bytes);
}
