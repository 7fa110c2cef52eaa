/* Host tests of mm/kmalloc.c on top of the real mm/frame.c (both linked as
 * they are; mm_host.h is force-included into all three files and explains
 * the RAM buffer and the panic catcher). */
#define MM_HOST_IMPL
#include "mm_host.h"

#include <string.h>

#include "mm.h"
#include "minitest.h"

#define KiB         1024UL
#define MiB         (1024 * KiB)
#define RAM_BYTES   (32 * MiB)

static uint8_t *ram;
static size_t frames_base;      /* free frames with an empty heap */

/* What kmalloc_bytes_in_use() should count for a request (kmalloc.c's
 * documented rule: the class size, or whole frames with a 16-byte header). */
static size_t charged(size_t size)
{
    if (size <= 2048) {
        size_t c = 16;
        while (c < size)
            c *= 2;
        return c;
    }
    return DIV_ROUND_UP(size + 16, PAGE_SIZE) * PAGE_SIZE;
}

static void fill(void *p, size_t n, uint32_t seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static bool verify(const void *p, size_t n, uint32_t seed)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (uint8_t)(seed * 31 + i * 7 + (i >> 8)))
            return false;
    return true;
}

static bool all_bytes(const void *p, size_t n, uint8_t v)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return false;
    return true;
}

static bool in_ram(const void *p, size_t n)
{
    return (const uint8_t *)p >= ram && (const uint8_t *)p + n <= ram + RAM_BYTES;
}

static bool baseline(void)
{
    return kmalloc_bytes_in_use() == 0 && frame_free_count() == frames_base;
}

struct alloc { uint8_t *p; size_t size; };

static int cmp_alloc(const void *a, const void *b)
{
    const struct alloc *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* No two allocations overlap. */
static bool disjoint(struct alloc *v, size_t n)
{
    struct alloc *s = malloc(n * sizeof(*s));
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_alloc);
    bool ok = true;
    for (size_t i = 1; i < n; i++)
        if (s[i - 1].p + s[i - 1].size > s[i].p)
            ok = false;
    free(s);
    return ok;
}

static void test_sizes(void)
{
    /* Every size 1..8192, in batches: each aligned, in RAM, disjoint from
     * the rest of its batch, its pattern intact until freed. */
    enum { BATCH = 1024 };
    static struct alloc v[BATCH];
    int bad_align = 0, bad_ram = 0, bad_data = 0, bad_bytes = 0;
    int overlaps = 0, nulls = 0;
    for (size_t lo = 1; lo <= 8192; lo += BATCH) {
        size_t expect = 0;
        for (size_t i = 0; i < BATCH; i++) {
            size_t size = lo + i;
            v[i] = (struct alloc){ kmalloc(size), size };
            if (!v[i].p) {
                nulls++;
                continue;
            }
            expect += charged(size);
            bad_align += !IS_ALIGNED((uintptr_t)v[i].p, 16);
            bad_ram += !in_ram(v[i].p, size);
            fill(v[i].p, size, (uint32_t)size);
        }
        bad_bytes += kmalloc_bytes_in_use() != expect;
        overlaps += !disjoint(v, BATCH);
        for (size_t i = 0; i < BATCH; i++) {
            bad_data += !verify(v[i].p, v[i].size, (uint32_t)v[i].size);
            kfree(v[i].p);
        }
    }
    CHECK_EQ(nulls, 0);
    CHECK_EQ(bad_align, 0);
    CHECK_EQ(bad_ram, 0);
    CHECK_EQ(bad_data, 0);
    CHECK_EQ(bad_bytes, 0);
    CHECK_EQ(overlaps, 0);
    CHECK(baseline());

    /* Big ones. */
    static const size_t big[] = { 100000, 1 * MiB, 3 * MiB + 5, 4096, 4080,
                                  4081, 2049, 65536 };
    struct alloc b[ARRAY_SIZE(big)];
    size_t expect = 0;
    for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
        b[i] = (struct alloc){ kmalloc(big[i]), big[i] };
        CHECK(b[i].p != NULL);
        CHECK(IS_ALIGNED((uintptr_t)b[i].p, 16));
        fill(b[i].p, big[i], (uint32_t)i);
        expect += charged(big[i]);
    }
    CHECK_EQ(kmalloc_bytes_in_use(), expect);
    CHECK_EQ(frame_free_count(), frames_base - expect / PAGE_SIZE);
    CHECK(disjoint(b, ARRAY_SIZE(big)));
    for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
        CHECK(verify(b[i].p, big[i], (uint32_t)i));
        kfree(b[i].p);
    }
    CHECK(baseline());
}

static void test_zero_and_kzalloc(void)
{
    /* kmalloc(0) is a real 16-byte object. */
    void *a = kmalloc(0), *b = kmalloc(0);
    CHECK(a != NULL && b != NULL && a != b);
    CHECK_EQ(kmalloc_bytes_in_use(), 32);
    memset(a, 1, 16);
    kfree(a);
    kfree(b);
    kfree(NULL);
    CHECK(baseline());

    /* kzalloc zeroes memory that kmalloc had dirtied. */
    static const size_t sizes[] = { 1, 24, 100, 2048, 3000, 20000 };
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        void *pin = kmalloc(sizes[i]);      /* keeps the slab alive */
        uint8_t *p = kmalloc(sizes[i]);
        memset(p, 0xee, sizes[i]);
        kfree(p);
        uint8_t *q = kzalloc(sizes[i]);
        CHECK(q != NULL);
        CHECK(all_bytes(q, sizes[i], 0));
        kfree(q);
        kfree(pin);
    }
    CHECK(baseline());
}

static void test_reuse(void)
{
    /* A freed object is the next one handed out. */
    for (size_t size = 16; size <= 8192; size *= 2) {
        void *pin = kmalloc(size);
        void *p = kmalloc(size);
        kfree(p);
        void *q = kmalloc(size);
        CHECK(q == p);
        kfree(q);
        kfree(pin);
    }
    /* Freed slab objects are poisoned. */
    void *pin = kmalloc(64);
    uint8_t *p = kmalloc(64);
    kfree(p);
    CHECK(all_bytes(p, 64, 0x6b));
    kfree(pin);

    /* A second round of the same allocations takes no more memory. */
    enum { N = 3000 };
    static void *v[N];
    size_t free_after[2];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++)
            v[i] = kmalloc((size_t)(i * 37) % 3000 + 1);
        free_after[round] = frame_free_count();
        for (int i = 0; i < N; i++)
            kfree(v[i]);
    }
    CHECK_EQ(free_after[0], free_after[1]);
    CHECK(baseline());

    /* Slab frames are shared: 252 objects of 16 bytes take one frame. */
    for (int i = 0; i < 252; i++)
        v[i] = kmalloc(16);
    CHECK_EQ(frame_free_count(), frames_base - 1);
    /* A full slab with a freed object is used again before a new one. */
    kfree(v[100]);
    v[100] = kmalloc(16);
    CHECK_EQ(frame_free_count(), frames_base - 1);
    v[252] = kmalloc(16);
    CHECK_EQ(frame_free_count(), frames_base - 2);
    CHECK_EQ(kmalloc_bytes_in_use(), 253 * 16);
    for (int i = 0; i < 253; i++)
        kfree(v[i]);
    CHECK(baseline());
}

static void test_bad_free(void)
{
    size_t bytes, frames;
    void *pin = kmalloc(64);
    uint8_t *p = kmalloc(64);
    kfree(p);
    bytes = kmalloc_bytes_in_use();
    frames = frame_free_count();
    CHECK(MM_PANICS(kfree(p)));
    CHECK(strstr(mm_panic_msg, "double free") != NULL);
    CHECK(strstr(mm_panic_msg, "kfree") != NULL);
    CHECK_EQ(kmalloc_bytes_in_use(), bytes);
    CHECK_EQ(frame_free_count(), frames);

    p = kmalloc(64);
    CHECK(MM_PANICS(kfree(p + 16)));          /* inside an object */
    CHECK(strstr(mm_panic_msg, "not the start") != NULL);
    CHECK(MM_PANICS(kfree(p + 1)));
    kfree(p);
    kfree(pin);
    CHECK(baseline());

    /* The slab of a lone object goes back to the frames when it is freed;
     * freeing it again is still caught. */
    p = kmalloc(512);
    kfree(p);
    CHECK(MM_PANICS(kfree(p)));
    CHECK(strstr(mm_panic_msg, "double free") != NULL);

    /* Large allocations. */
    p = kmalloc(50000);
    kfree(p);
    CHECK(MM_PANICS(kfree(p)));
    CHECK(strstr(mm_panic_msg, "double free") != NULL);
    p = kmalloc(50000);
    CHECK(MM_PANICS(kfree(p + 16)));
    CHECK(MM_PANICS(kfree(p + PAGE_SIZE)));
    kfree(p);

    /* Memory that never came from kmalloc. */
    paddr_t f = frame_alloc();
    uint8_t *fp = phys_to_virt(f);
    CHECK(MM_PANICS(kfree(fp + 64)));
    CHECK(strstr(mm_panic_msg, "not returned by kmalloc") != NULL);
    CHECK(MM_PANICS(kfree(fp + 16)));
    frame_free(f);
    CHECK(baseline());
}

static void test_exhaustion(void)
{
    /* Large, then small allocations until memory runs out. */
    enum { MAX = 1 << 20 };
    void **v = malloc(MAX * sizeof(*v));
    size_t n = 0;
    void *p;
    while (n < MAX && (p = kmalloc(100000)) != NULL)
        v[n++] = p;
    size_t nbig = n;
    CHECK(nbig > 0);
    while (n < MAX && (p = kmalloc(16)) != NULL)
        v[n++] = p;
    CHECK(n > nbig);
    CHECK(n < MAX);
    CHECK_EQ(frame_free_count(), 0);
    CHECK(kmalloc(16) == NULL);
    CHECK(kmalloc(2048) == NULL);
    CHECK(kzalloc(5000) == NULL);
    CHECK_EQ(kmalloc_bytes_in_use(),
             nbig * charged(100000) + (n - nbig) * 16);
    /* Free half and fill again with a mix. */
    for (size_t i = 0; i < n; i += 2)
        kfree(v[i]);
    for (size_t i = 0; i < n; i += 2)
        v[i] = kmalloc(i % 3 == 0 ? 16 : 32);
    for (size_t i = 0; i < n; i++)
        kfree(v[i]);
    CHECK(baseline());
    free(v);
}

/* ---- random stress ---- */

static uint64_t rng_state = 0x243f6a8885a308d3;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void test_stress(void)
{
    enum { SLOTS = 2000, OPS = 100000 };
    static struct alloc v[SLOTS];
    static uint32_t seed[SLOTS];
    memset(v, 0, sizeof(v));
    size_t expect = 0;
    int bad_data = 0, bad_bytes = 0, bad_align = 0, nulls = 0;
    for (int op = 0; op < OPS; op++) {
        size_t s = rnd() % SLOTS;
        if (!v[s].p) {
            unsigned kind = rnd() % 100;
            size_t size = kind < 85 ? rnd() % 2049
                        : kind < 98 ? 2049 + rnd() % 14000
                        : 16384 + rnd() % 200000;
            v[s] = (struct alloc){ kmalloc(size), size };
            if (!v[s].p) {
                nulls++;
                continue;
            }
            bad_align += !IS_ALIGNED((uintptr_t)v[s].p, 16);
            seed[s] = (uint32_t)op;
            fill(v[s].p, size, seed[s]);
            expect += charged(size);
        } else {
            bad_data += !verify(v[s].p, v[s].size, seed[s]);
            kfree(v[s].p);
            expect -= charged(v[s].size);
            v[s].p = NULL;
        }
        bad_bytes += kmalloc_bytes_in_use() != expect;
    }
    CHECK_EQ(nulls, 0);
    CHECK_EQ(bad_align, 0);
    CHECK_EQ(bad_data, 0);
    CHECK_EQ(bad_bytes, 0);
    size_t n = 0;
    for (size_t s = 0; s < SLOTS; s++)
        if (v[s].p)
            v[n++] = v[s];
    CHECK(disjoint(v, n));
    for (size_t i = 0; i < n; i++)
        kfree(v[i].p);
    CHECK(baseline());
}

int main(void)
{
    ram = aligned_alloc(PAGE_SIZE, RAM_BYTES);
    memset(ram, 0xa5, RAM_BYTES);
    frame_add_memory(mm_host_pa(ram), RAM_BYTES);
    frame_reserve(mm_host_pa(ram), 64 * KiB);
    frame_init_done();
    frames_base = frame_free_count();

    MT_RUN(test_sizes);
    MT_RUN(test_zero_and_kzalloc);
    MT_RUN(test_reuse);
    MT_RUN(test_bad_free);
    MT_RUN(test_exhaustion);
    MT_RUN(test_stress);
    free(ram);
    return mt_finish();
}
