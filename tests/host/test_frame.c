/* Host tests of mm/frame.c, the physical frame allocator.
 *
 * frame.c is compiled into this file (white box): between scenarios the
 * test wipes its state (`fa`) to set up a new memory layout, and
 * check_invariants() compares the bitmap, the reference counts and the free
 * count with each other.  RAM is a page-aligned host buffer, see mm_host.h
 * for the address mapping and the panic catcher. */
#define MM_HOST_IMPL
#include "mm_host.h"

#include "../../mm/frame.c"

#include <string.h>

#include "minitest.h"

#define KiB         1024UL
#define MiB         (1024 * KiB)
#define RAM_BYTES   (8 * MiB)

static uint8_t *ram;        /* the host buffer */
static paddr_t ram_pa;      /* its "physical" address */

static paddr_t PA(size_t off)
{
    return ram_pa + off;
}

/* Forgets everything, fills RAM with garbage (so zeroing is tested). */
static void reset(void)
{
    memset(&fa, 0, sizeof(fa));
    fa.lock.name = "frame";
    memset(ram, 0xa5, RAM_BYTES);
}

static bool in(paddr_t pa, paddr_t base, uint64_t size)
{
    return pa >= base && pa - base < size;
}

static bool is_zero(paddr_t pa, size_t bytes)
{
    const uint8_t *p = phys_to_virt(pa);
    for (size_t i = 0; i < bytes; i++)
        if (p[i])
            return false;
    return true;
}

/* Internal consistency; true when everything agrees. */
static bool check_invariants(void)
{
    size_t nfree = 0;
    bool ok = true;
    for (size_t i = 0; i < fa.nidx; i++) {
        bool bit = fa.bitmap[i / 64] >> (i % 64) & 1;
        bool is_ram = idx_range(i) != NULL;
        if (bit != (is_ram && fa.frames[i].ref == 0))
            ok = false;
        if (!is_ram && fa.frames[i].ref != FRAME_RESERVED)
            ok = false;
        nfree += bit;
        if (bit && i / 64 < fa.hint)
            ok = false;
    }
    for (size_t i = fa.nidx; i < fa.nwords * 64; i++)
        if (fa.bitmap[i / 64] >> (i % 64) & 1)
            ok = false;
    return ok && nfree == fa.nfree && !spin_is_locked(&fa.lock);
}

static size_t meta_frames(size_t nidx)
{
    return DIV_ROUND_UP(ALIGN_UP(nidx * 4, 8) + DIV_ROUND_UP(nidx, 64) * 8,
                        PAGE_SIZE);
}

/* One RAM range over the whole buffer, the first 64 KiB reserved (like the
 * kernel image). */
static void setup_simple(void)
{
    reset();
    frame_add_memory(PA(0), RAM_BYTES);
    frame_reserve(PA(0), 64 * KiB);
    frame_init_done();
}

static void test_init_counts(void)
{
    setup_simple();
    size_t n = RAM_BYTES / PAGE_SIZE;
    CHECK_EQ(frame_total_count(), n);
    CHECK_EQ(frame_free_count(), n - 16 - meta_frames(n));
    /* The metadata went to the first free frames, right after the
     * reservation, and those are reserved. */
    CHECK(fa.frames == phys_to_virt(PA(64 * KiB)));
    CHECK_EQ(frame_refcount(PA(64 * KiB)), 0);
    CHECK_EQ(frame_refcount(PA(0)), 0);
    CHECK(check_invariants());
}

static void test_alloc_free(void)
{
    setup_simple();
    size_t base = frame_free_count();
    paddr_t p = frame_alloc();
    CHECK(p != 0);
    CHECK(IS_ALIGNED(p, PAGE_SIZE));
    CHECK(in(p, PA(0), RAM_BYTES));
    CHECK(!in(p, PA(0), 64 * KiB));
    CHECK(is_zero(p, PAGE_SIZE));
    CHECK_EQ(frame_refcount(p), 1);
    CHECK_EQ(frame_free_count(), base - 1);
    paddr_t q = frame_alloc();
    CHECK(q != 0 && q != p);
    CHECK_EQ(frame_free_count(), base - 2);
    memset(phys_to_virt(p), 0x77, PAGE_SIZE);
    frame_free(p);
    CHECK_EQ(frame_refcount(p), 0);
    CHECK_EQ(frame_free_count(), base - 1);
    /* First fit: the lowest free frame comes back, zeroed again. */
    paddr_t r = frame_alloc();
    CHECK_EQ(r, p);
    CHECK(is_zero(r, PAGE_SIZE));
    frame_free(r);
    frame_free(q);
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
}

/* Allocates every free frame into list[] (which must be big enough);
 * returns how many.  Checks each is new, zeroed and outside the forbidden
 * ranges. */
struct span { paddr_t base; uint64_t size; };

static size_t alloc_all(paddr_t *list, size_t max, const struct span *bad,
                        int nbad, bool *all_ok)
{
    size_t n = 0;
    paddr_t p;
    *all_ok = true;
    while ((p = frame_alloc()) != 0) {
        if (n == max) {
            *all_ok = false;
            frame_free(p);
            break;
        }
        if (!is_zero(p, PAGE_SIZE) || frame_refcount(p) != 1)
            *all_ok = false;
        for (int i = 0; i < nbad; i++)
            if (in(p, bad[i].base, bad[i].size))
                *all_ok = false;
        /* Mark it: a frame handed out twice would be seen marked. */
        uint64_t *w = phys_to_virt(p);
        w[1] = 0x5eed;
        list[n++] = p;
    }
    return n;
}

static void test_exhaustion(void)
{
    setup_simple();
    size_t base = frame_free_count();
    size_t max = RAM_BYTES / PAGE_SIZE;
    paddr_t *list = calloc(max, sizeof(*list));
    struct span bad[] = {
        { PA(0), 64 * KiB },
        { PA(64 * KiB), meta_frames(max) * PAGE_SIZE },
    };
    bool ok;
    size_t n = alloc_all(list, max, bad, 2, &ok);
    CHECK(ok);
    CHECK_EQ(n, base);
    CHECK_EQ(frame_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
    CHECK_EQ(frame_alloc_contig(2), 0);
    CHECK(check_invariants());
    size_t marked = 0;
    for (size_t i = 0; i < n; i++)
        marked += ((uint64_t *)phys_to_virt(list[i]))[1] == 0x5eed;
    CHECK_EQ(marked, n);
    for (size_t i = 0; i < n; i++)
        frame_free(list[i]);
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
    /* And everything can be had again. */
    n = alloc_all(list, max, bad, 2, &ok);
    CHECK(ok);
    CHECK_EQ(n, base);
    for (size_t i = 0; i < n; i++)
        frame_free(list[n - 1 - i]);
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
    free(list);
}

static void test_reserved(void)
{
    reset();
    frame_add_memory(PA(0), RAM_BYTES);
    /* Unaligned, overlapping, partly outside RAM, one byte, at the end. */
    struct span rsv[] = {
        { PA(100 * KiB + 1), 10 },              /* frame 25 */
        { PA(200 * KiB - 1), 2 },               /* frames 49 and 50 */
        { PA(1 * MiB), 256 * KiB },
        { PA(1 * MiB + 128 * KiB), 256 * KiB }, /* overlaps the previous */
        { PA(RAM_BYTES - 8 * KiB), 1 * MiB },   /* runs past the end */
        { PA(0) - 1 * MiB, 1 * MiB + 1 },       /* before RAM, into frame 0 */
        { PA(3 * MiB), 0 },                     /* empty: nothing */
    };
    for (size_t i = 0; i < ARRAY_SIZE(rsv); i++)
        frame_reserve(rsv[i].base, rsv[i].size);
    frame_init_done();

    size_t n = RAM_BYTES / PAGE_SIZE;
    size_t reserved = 1 + 2 + 96 + 2 + 1;
    CHECK_EQ(frame_total_count(), n);
    /* Metadata: after frame 0, in frames 1.. */
    CHECK(fa.frames == phys_to_virt(PA(PAGE_SIZE)));
    CHECK_EQ(frame_free_count(), n - reserved - meta_frames(n));
    CHECK(check_invariants());

    size_t base = frame_free_count();
    paddr_t *list = calloc(n, sizeof(*list));
    struct span bad[] = {
        { PA(0), PAGE_SIZE },
        { PA(PAGE_SIZE), meta_frames(n) * PAGE_SIZE },
        { PA(100 * KiB), PAGE_SIZE },
        { PA(196 * KiB), 2 * PAGE_SIZE },
        { PA(1 * MiB), 384 * KiB },
        { PA(RAM_BYTES - 8 * KiB), 8 * KiB },
    };
    bool ok;
    size_t got = alloc_all(list, n, bad, ARRAY_SIZE(bad), &ok);
    CHECK(ok);
    CHECK_EQ(got, base);
    CHECK(got > 0 && list[0] == PA(PAGE_SIZE + meta_frames(n) * PAGE_SIZE));
    for (size_t i = 0; i < got; i++)
        frame_free(list[i]);
    CHECK_EQ(frame_free_count(), base);
    /* Contiguous runs skip reserved frames too. */
    paddr_t c = frame_alloc_contig(64);
    CHECK(c != 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK(c + 64 * PAGE_SIZE <= bad[i].base ||
              c >= bad[i].base + bad[i].size);
    frame_free_contig(c, 64);
    CHECK(check_invariants());
    free(list);
}

static void test_ranges(void)
{
    reset();
    /* Three pieces of the buffer: [0, 1M) given in two touching halves
     * (merged into one range), [2M+1, 3M+100) unaligned (rounded inwards
     * to [2M+4K, 3M)), and [5M, 6M) given twice overlapping. */
    frame_add_memory(PA(512 * KiB), 512 * KiB);
    frame_add_memory(PA(0), 512 * KiB);
    frame_add_memory(PA(2 * MiB + 1), 1 * MiB + 99);
    frame_add_memory(PA(5 * MiB), 768 * KiB);
    frame_add_memory(PA(5 * MiB + 256 * KiB), 768 * KiB);
    frame_add_memory(PA(7 * MiB), 100);          /* less than a frame */
    frame_add_memory(PA(7 * MiB), 0);
    frame_reserve(PA(0), 4 * KiB);
    frame_init_done();
    CHECK_EQ(fa.nram, 3);
    size_t total = 256 + 255 + 256;
    CHECK_EQ(frame_total_count(), total);
    CHECK_EQ(frame_free_count(), total - 1 - meta_frames(total + 2));
    CHECK(check_invariants());

    struct span bad[] = {
        { PA(0), PAGE_SIZE },
        { PA(1 * MiB), 1 * MiB + PAGE_SIZE },
        { PA(3 * MiB), 2 * MiB },
        { PA(6 * MiB), 2 * MiB },
    };
    paddr_t list[1024];
    bool ok;
    size_t base = frame_free_count();
    size_t n = alloc_all(list, ARRAY_SIZE(list), bad, ARRAY_SIZE(bad), &ok);
    CHECK(ok);
    CHECK_EQ(n, base);
    for (size_t i = 0; i < n; i++)
        frame_free(list[i]);

    /* A run may span the merged halves but never two ranges: the first
     * range has 256 - 1 - meta free frames, the others 255 and 256. */
    paddr_t a = frame_alloc_contig(256);
    CHECK(a == PA(5 * MiB));
    paddr_t b = frame_alloc_contig(255);
    CHECK(b == PA(2 * MiB + 4 * KiB));
    CHECK_EQ(frame_alloc_contig(255), 0);
    paddr_t c = frame_alloc_contig(256 - 1 - meta_frames(total + 2));
    CHECK(c != 0 && in(c, PA(0), 1 * MiB));
    CHECK_EQ(frame_free_count(), 0);
    frame_free_contig(a, 256);
    frame_free_contig(b, 255);
    frame_free_contig(c, 256 - 1 - meta_frames(total + 2));
    CHECK_EQ(frame_free_count(), base);
    /* Addresses in the gaps are not RAM. */
    CHECK_EQ(frame_refcount(PA(1 * MiB)), 0);
    CHECK(MM_PANICS(frame_free(PA(2 * MiB))));
    CHECK(MM_PANICS(frame_free(PA(3 * MiB))));
    CHECK(check_invariants());
}

static void test_contig(void)
{
    setup_simple();
    size_t base = frame_free_count();
    paddr_t p = frame_alloc_contig(16);
    CHECK(p != 0);
    CHECK(is_zero(p, 16 * PAGE_SIZE));
    for (size_t i = 0; i < 16; i++)
        CHECK_EQ(frame_refcount(p + i * PAGE_SIZE), 1);
    CHECK_EQ(frame_free_count(), base - 16);
    CHECK_EQ(frame_alloc_contig(0), 0);
    CHECK_EQ(frame_alloc_contig(base), 0);      /* more than is free */
    frame_free_contig(p, 16);
    CHECK_EQ(frame_free_count(), base);

    /* Fragment: take everything, free every other frame. */
    size_t max = RAM_BYTES / PAGE_SIZE;
    paddr_t *list = calloc(max, sizeof(*list));
    bool ok;
    size_t n = alloc_all(list, max, NULL, 0, &ok);
    CHECK_EQ(n, base);
    for (size_t i = 0; i < n; i += 2)
        frame_free(list[i]);
    CHECK_EQ(frame_free_count(), (n + 1) / 2);
    CHECK_EQ(frame_alloc_contig(2), 0);
    /* Free the odd frames between two even ones in the middle: a run of 9
     * (list[mid] .. list[mid + 8]) between two allocated frames. */
    size_t mid = ALIGN_DOWN(n / 2, 2);
    for (size_t i = mid + 1; i < mid + 8; i += 2)
        frame_free(list[i]);
    CHECK_EQ(frame_alloc_contig(10), 0);
    paddr_t c = frame_alloc_contig(9);
    CHECK(c == list[mid]);
    CHECK(is_zero(c, 9 * PAGE_SIZE));
    paddr_t single = frame_alloc();
    CHECK(single == list[0]);   /* singles still come from the bottom */
    CHECK(check_invariants());
    frame_free(single);
    frame_free_contig(c, 9);
    for (size_t i = 1; i < n; i += 2)
        if (i < mid || i > mid + 8)
            frame_free(list[i]);
    CHECK_EQ(frame_free_count(), base);
    /* The whole free space is one run again. */
    p = frame_alloc_contig(base);
    CHECK(p != 0);
    frame_free_contig(p, base);
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
    free(list);
}

static void test_refcount(void)
{
    setup_simple();
    size_t base = frame_free_count();
    paddr_t p = frame_alloc();
    frame_ref(p);
    frame_ref(p);
    CHECK_EQ(frame_refcount(p), 3);
    frame_free(p);
    CHECK_EQ(frame_refcount(p), 2);
    CHECK_EQ(frame_free_count(), base - 1);
    frame_free(p);
    frame_free(p);
    CHECK_EQ(frame_refcount(p), 0);
    CHECK_EQ(frame_free_count(), base);

    /* Contiguous frames are counted one by one. */
    paddr_t c = frame_alloc_contig(4);
    frame_ref(c + PAGE_SIZE);
    frame_free_contig(c, 4);
    CHECK_EQ(frame_refcount(c), 0);
    CHECK_EQ(frame_refcount(c + PAGE_SIZE), 1);
    CHECK_EQ(frame_free_count(), base - 1);
    frame_free(c + PAGE_SIZE);
    CHECK_EQ(frame_free_count(), base);

    CHECK(MM_PANICS(frame_ref(p)));
    CHECK(strstr(mm_panic_msg, "free frame") != NULL);
    CHECK(MM_PANICS(frame_ref(PA(0))));
    CHECK(strstr(mm_panic_msg, "reserved") != NULL);
    CHECK(MM_PANICS(frame_ref(PA(RAM_BYTES))));
    CHECK_EQ(frame_refcount(PA(RAM_BYTES)), 0);

    p = frame_alloc();
    fa.frames[pa_to_idx(p)].ref = FRAME_REF_MAX;
    CHECK(MM_PANICS(frame_ref(p)));
    CHECK(strstr(mm_panic_msg, "overflow") != NULL);
    fa.frames[pa_to_idx(p)].ref = 1;
    frame_free(p);
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
}

static void test_double_free(void)
{
    setup_simple();
    size_t base = frame_free_count();
    paddr_t p = frame_alloc();
    paddr_t q = frame_alloc();
    frame_free(p);
    char want[64];
    snprintf(want, sizeof(want), "frame_free: double free of %#lx",
             (unsigned long)p);
    CHECK(MM_PANICS(frame_free(p)));
    CHECK_STR(mm_panic_msg, want);
    CHECK_EQ(frame_free_count(), base - 1);
    CHECK(check_invariants());

    CHECK(MM_PANICS(frame_free(PA(0))));            /* reserved */
    CHECK(strstr(mm_panic_msg, "reserved") != NULL);
    CHECK(MM_PANICS(frame_free(PA(64 * KiB))));     /* metadata */
    CHECK(MM_PANICS(frame_free(PA(RAM_BYTES))));    /* past RAM */
    CHECK(strstr(mm_panic_msg, "not a RAM frame") != NULL);
    CHECK(MM_PANICS(frame_free(PA(0) - PAGE_SIZE)));
    CHECK(MM_PANICS(frame_free(0)));
    CHECK(MM_PANICS(frame_free(q + 8)));            /* not aligned */
    CHECK_EQ(frame_refcount(q), 1);

    /* A contiguous free with one bad frame changes nothing. */
    paddr_t c = frame_alloc_contig(4);
    frame_free(c + 2 * PAGE_SIZE);
    size_t before = frame_free_count();
    CHECK(MM_PANICS(frame_free_contig(c, 4)));
    CHECK(strstr(mm_panic_msg, "double free") != NULL);
    CHECK_EQ(frame_free_count(), before);
    CHECK_EQ(frame_refcount(c), 1);
    CHECK(MM_PANICS(frame_free_contig(PA(RAM_BYTES - PAGE_SIZE), 2)));
    frame_free(c);
    frame_free(c + PAGE_SIZE);
    frame_free(c + 3 * PAGE_SIZE);
    frame_free(q);
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
}

static void test_setup_errors(void)
{
    reset();
    CHECK_EQ(frame_alloc(), 0);         /* before init: nothing */
    CHECK_EQ(frame_free_count(), 0);
    CHECK(MM_PANICS(frame_free(PA(0))));
    CHECK(MM_PANICS(frame_init_done()));
    CHECK(strstr(mm_panic_msg, "no RAM") != NULL);

    reset();
    for (int i = 0; i < 8; i++)
        frame_add_memory(PA(i * 2 * PAGE_SIZE), PAGE_SIZE);
    CHECK_EQ(fa.nram, 8);
    CHECK(MM_PANICS(frame_add_memory(PA(100 * PAGE_SIZE), PAGE_SIZE)));
    CHECK(strstr(mm_panic_msg, "RAM ranges") != NULL);

    reset();
    for (int i = 0; i < 32; i++)
        frame_reserve(PA(i * PAGE_SIZE), 1);
    CHECK(MM_PANICS(frame_reserve(PA(0), 1)));

    reset();                            /* no room for the metadata */
    frame_add_memory(PA(0), 1 * MiB);
    frame_reserve(PA(0), 1 * MiB);
    CHECK(MM_PANICS(frame_init_done()));
    CHECK(strstr(mm_panic_msg, "metadata") != NULL);

    reset();                            /* exactly enough room */
    frame_add_memory(PA(0), 1 * MiB);
    frame_reserve(PA(PAGE_SIZE), 1 * MiB - PAGE_SIZE);
    frame_init_done();
    CHECK_EQ(frame_free_count(), 0);
    CHECK_EQ(frame_alloc(), 0);
    CHECK(MM_PANICS(frame_add_memory(PA(0), 1 * MiB)));
    CHECK(MM_PANICS(frame_reserve(PA(0), 1)));
    CHECK(MM_PANICS(frame_init_done()));
    CHECK(check_invariants());
}

/* ---- random stress against a model ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

struct block { paddr_t pa; size_t n; unsigned refs; };

static void test_stress(void)
{
    reset();
    /* Two ranges with a gap, some reservations. */
    frame_add_memory(PA(0), 3 * MiB);
    frame_add_memory(PA(3 * MiB + PAGE_SIZE), 5 * MiB - PAGE_SIZE);
    frame_reserve(PA(0), 16 * KiB);
    frame_reserve(PA(4 * MiB), 100 * KiB);
    frame_init_done();
    size_t base = frame_free_count();

    enum { SLOTS = 512, OPS = 100000 };
    static struct block live[SLOTS];
    memset(live, 0, sizeof(live));
    size_t used = 0;        /* frames held, counting each block once */
    int bad_data = 0, bad_count = 0, bad_inv = 0, failed_allocs = 0;
    for (int op = 0; op < OPS; op++) {
        struct block *b = &live[rnd() % SLOTS];
        if (b->pa == 0) {
            size_t n = rnd() % 8 == 0 ? 1 + rnd() % 40 : 1;
            paddr_t pa = n == 1 ? frame_alloc() : frame_alloc_contig(n);
            if (!pa) {
                failed_allocs++;
                continue;
            }
            if (!is_zero(pa, n * PAGE_SIZE))
                bad_data++;
            for (size_t i = 0; i < n; i++) {
                uint64_t *w = phys_to_virt(pa + i * PAGE_SIZE);
                w[0] = pa + i * PAGE_SIZE;
                w[511] = ~w[0];
            }
            *b = (struct block){ pa, n, 1 };
            used += n;
        } else if (rnd() % 4 == 0 && b->refs < 5) {
            for (size_t i = 0; i < b->n; i++)
                frame_ref(b->pa + i * PAGE_SIZE);
            b->refs++;
        } else {
            for (size_t i = 0; i < b->n; i++) {
                uint64_t *w = phys_to_virt(b->pa + i * PAGE_SIZE);
                if (w[0] != b->pa + i * PAGE_SIZE || w[511] != ~w[0])
                    bad_data++;
                if (frame_refcount(b->pa + i * PAGE_SIZE) != b->refs)
                    bad_count++;
            }
            if (b->n == 1)
                frame_free(b->pa);
            else
                frame_free_contig(b->pa, b->n);
            if (--b->refs == 0) {
                used -= b->n;
                b->pa = 0;
            }
        }
        if (frame_free_count() != base - used)
            bad_count++;
        if (op % 5000 == 0 && !check_invariants())
            bad_inv++;
    }
    CHECK_EQ(bad_data, 0);
    CHECK_EQ(bad_count, 0);
    CHECK_EQ(bad_inv, 0);
    CHECK(failed_allocs < OPS / 10);
    for (size_t s = 0; s < SLOTS; s++) {
        for (unsigned r = 0; live[s].pa && r < live[s].refs; r++) {
            if (live[s].n == 1)
                frame_free(live[s].pa);
            else
                frame_free_contig(live[s].pa, live[s].n);
        }
    }
    CHECK_EQ(frame_free_count(), base);
    CHECK(check_invariants());
}

int main(void)
{
    ram = aligned_alloc(PAGE_SIZE, RAM_BYTES);
    ram_pa = mm_host_pa(ram);
    MT_RUN(test_init_counts);
    MT_RUN(test_alloc_free);
    MT_RUN(test_exhaustion);
    MT_RUN(test_reserved);
    MT_RUN(test_ranges);
    MT_RUN(test_contig);
    MT_RUN(test_refcount);
    MT_RUN(test_double_free);
    MT_RUN(test_setup_errors);
    MT_RUN(test_stress);
    free(ram);
    return mt_finish();
}
