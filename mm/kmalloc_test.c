/* In-kernel tests of the heap (mm/kmalloc.c).  Counts are compared with
 * those at the start, assuming nothing else allocates meanwhile. */
#include "ktest.h"
#include "mm.h"
#include "string.h"

static void fill(void *p, size_t n, unsigned seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static bool verify(const void *p, size_t n, unsigned seed)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (uint8_t)(seed * 31 + i * 7 + (i >> 8)))
            return false;
    return true;
}

/* Sizes 1..8192 in batches of 64 held at once, then some big ones. */
KTEST(kmalloc, sizes)
{
    enum { BATCH = 64 };
    void *v[BATCH];
    size_t bytes0 = kmalloc_bytes_in_use();
    unsigned nulls = 0, misaligned = 0, corrupt = 0;

    for (size_t lo = 1; lo <= 8192; lo += BATCH) {
        for (size_t i = 0; i < BATCH; i++) {
            v[i] = kmalloc(lo + i);
            if (!v[i]) {
                nulls++;
                continue;
            }
            misaligned += !IS_ALIGNED((uintptr_t)v[i], 16);
            fill(v[i], lo + i, (unsigned)(lo + i));
        }
        for (size_t i = 0; i < BATCH; i++) {
            if (v[i])
                corrupt += !verify(v[i], lo + i, (unsigned)(lo + i));
            kfree(v[i]);
        }
    }
    static const size_t big[] = { 100000, 1 << 20, 3 << 20 };
    for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
        v[i] = kmalloc(big[i]);
        if (!v[i]) {
            nulls++;
            continue;
        }
        misaligned += !IS_ALIGNED((uintptr_t)v[i], 16);
        fill(v[i], big[i], (unsigned)i);
    }
    for (size_t i = 0; i < ARRAY_SIZE(big); i++) {
        if (v[i])
            corrupt += !verify(v[i], big[i], (unsigned)i);
        kfree(v[i]);
    }
    void *z = kmalloc(0);
    KT_EXPECT(t, z != NULL, "kmalloc(0) returned NULL");
    kfree(z);
    kfree(NULL);

    KT_EXPECT(t, nulls == 0, "%u allocations failed", nulls);
    KT_EXPECT(t, misaligned == 0, "%u pointers not 16-byte aligned",
              misaligned);
    KT_EXPECT(t, corrupt == 0, "%u allocations overwritten", corrupt);
    KT_EXPECT(t, kmalloc_bytes_in_use() == bytes0, "%lu bytes in use, was %lu",
              (unsigned long)kmalloc_bytes_in_use(), (unsigned long)bytes0);
}

KTEST(kmalloc, reuse)
{
    /* A freed object is the next one of its size handed out. */
    for (size_t size = 16; size <= 8192; size *= 2) {
        void *pin = kmalloc(size);
        void *p = kmalloc(size);
        KT_ASSERT(t, pin && p, "kmalloc(%lu) failed", (unsigned long)size);
        kfree(p);
        void *q = kmalloc(size);
        kfree(q);
        kfree(pin);
        KT_EXPECT(t, q == p, "kmalloc(%lu): freed %p, then got %p",
                  (unsigned long)size, p, q);
    }

    /* kzalloc clears what an earlier user left. */
    void *pin = kmalloc(200);
    uint8_t *p = kmalloc(200);
    KT_ASSERT(t, pin && p, "kmalloc(200) failed");
    memset(p, 0xee, 200);
    kfree(p);
    uint8_t *q = kzalloc(200);
    KT_ASSERT(t, q, "kzalloc(200) failed");
    bool zero = true;
    for (size_t i = 0; i < 200; i++)
        zero &= q[i] == 0;
    kfree(q);
    kfree(pin);
    KT_EXPECT(t, zero, "kzalloc memory not zeroed");

    /* A second identical round takes no more frames than the first. */
    enum { N = 300 };
    static void *v[N];
    size_t after[2];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++)
            v[i] = kmalloc((size_t)(i * 37) % 3000 + 1);
        after[round] = frame_free_count();
        for (int i = 0; i < N; i++)
            kfree(v[i]);
    }
    KT_EXPECT(t, after[0] == after[1], "round 1 left %lu frames free, "
              "round 2 %lu", (unsigned long)after[0], (unsigned long)after[1]);
}

KTEST(kmalloc, no_leak)
{
    size_t bytes0 = kmalloc_bytes_in_use();
    size_t frames0 = frame_free_count();
    enum { N = 500 };
    static void *v[N];
    unsigned nulls = 0;

    for (int i = 0; i < N; i++) {
        size_t size = i % 50 == 0 ? 20000 + (size_t)i * 100
                                  : (size_t)(i * 53) % 2500 + 1;
        v[i] = i % 3 ? kmalloc(size) : kzalloc(size);
        nulls += v[i] == NULL;
    }
    KT_EXPECT(t, kmalloc_bytes_in_use() > bytes0, "heap did not grow");
    /* Free in an interleaved order, so slabs empty out of order. */
    for (int i = 0; i < N; i += 2)
        kfree(v[i]);
    for (int i = N - 1; i > 0; i -= 2)
        kfree(v[i]);

    KT_EXPECT(t, nulls == 0, "%u allocations failed", nulls);
    KT_EXPECT(t, kmalloc_bytes_in_use() == bytes0,
              "%lu heap bytes in use, was %lu",
              (unsigned long)kmalloc_bytes_in_use(), (unsigned long)bytes0);
    KT_EXPECT(t, frame_free_count() == frames0, "%lu frames free, was %lu",
              (unsigned long)frame_free_count(), (unsigned long)frames0);
}
