/* In-kernel tests of the frame allocator (mm/frame.c).  They compare free
 * counts with the count at their start, so they assume nothing else
 * allocates frames meanwhile (true while ktest runs on an idle system). */
#include "ktest.h"
#include "mm.h"
#include "string.h"

static bool frames_zero(paddr_t pa, size_t count)
{
    const uint64_t *w = phys_to_virt(pa);
    for (size_t i = 0; i < count * PAGE_SIZE / sizeof(*w); i++)
        if (w[i])
            return false;
    return true;
}

KTEST(frame, alloc_free)
{
    size_t base = frame_free_count();
    KT_EXPECT(t, base <= frame_total_count(), "%lu free of %lu",
              (unsigned long)base, (unsigned long)frame_total_count());
    paddr_t p = frame_alloc();
    KT_ASSERT(t, p != 0, "frame_alloc failed with %lu frames free",
              (unsigned long)base);
    KT_EXPECT(t, IS_ALIGNED(p, PAGE_SIZE), "frame %#lx not aligned",
              (unsigned long)p);
    KT_EXPECT(t, frames_zero(p, 1), "frame %#lx not zeroed", (unsigned long)p);
    KT_EXPECT(t, frame_refcount(p) == 1, "refcount %u after alloc",
              frame_refcount(p));
    KT_EXPECT(t, frame_free_count() == base - 1, "free count %lu, want %lu",
              (unsigned long)frame_free_count(), (unsigned long)(base - 1));
    memset(phys_to_virt(p), 0x5a, PAGE_SIZE);

    frame_ref(p);
    KT_EXPECT(t, frame_refcount(p) == 2, "refcount %u after ref",
              frame_refcount(p));
    frame_free(p);
    KT_EXPECT(t, frame_refcount(p) == 1, "refcount %u after one free",
              frame_refcount(p));
    KT_EXPECT(t, frame_free_count() == base - 1,
              "freed while still referenced");
    frame_free(p);
    KT_EXPECT(t, frame_refcount(p) == 0, "refcount %u after last free",
              frame_refcount(p));
    KT_EXPECT(t, frame_free_count() == base, "free count %lu, want %lu",
              (unsigned long)frame_free_count(), (unsigned long)base);

    /* Allocated again, it comes back zeroed. */
    paddr_t q = frame_alloc();
    KT_ASSERT(t, q != 0, "second frame_alloc failed");
    KT_EXPECT(t, frames_zero(q, 1), "reused frame %#lx not zeroed",
              (unsigned long)q);
    frame_free(q);
}

KTEST(frame, exhaustion)
{
    /* Take every free frame, chained through their first word. */
    size_t base = frame_free_count();
    paddr_t head = 0, p;
    size_t n = 0;
    bool zeroed = true;
    while ((p = frame_alloc()) != 0) {
        paddr_t *w = phys_to_virt(p);
        zeroed &= w[0] == 0 && w[PAGE_SIZE / sizeof(*w) - 1] == 0;
        w[0] = head;
        head = p;
        n++;
    }
    size_t left = frame_free_count();
    paddr_t extra = frame_alloc();
    paddr_t extra_contig = frame_alloc_contig(2);

    while (head) {
        paddr_t next = *(paddr_t *)phys_to_virt(head);
        frame_free(head);
        head = next;
    }
    if (extra)
        frame_free(extra);
    if (extra_contig)
        frame_free_contig(extra_contig, 2);

    KT_EXPECT(t, n == base, "allocated %lu frames of %lu free",
              (unsigned long)n, (unsigned long)base);
    KT_EXPECT(t, left == 0, "%lu frames counted free when none was left",
              (unsigned long)left);
    KT_EXPECT(t, extra == 0 && extra_contig == 0,
              "allocation succeeded with no memory left");
    KT_EXPECT(t, zeroed, "some frames were not zeroed");
    KT_EXPECT(t, frame_free_count() == base, "free count %lu, want %lu",
              (unsigned long)frame_free_count(), (unsigned long)base);
}

KTEST(frame, contig)
{
    size_t base = frame_free_count();
    KT_EXPECT(t, frame_alloc_contig(0) == 0, "0 frames allocated");
    KT_EXPECT(t, frame_alloc_contig(base + 1) == 0, "more than free");

    paddr_t p = frame_alloc_contig(256);            /* 1 MiB */
    KT_ASSERT(t, p != 0, "no 256 contiguous frames among %lu",
              (unsigned long)base);
    KT_EXPECT(t, frames_zero(p, 256), "run at %#lx not zeroed",
              (unsigned long)p);
    bool counts = true;
    for (size_t i = 0; i < 256; i++)
        counts &= frame_refcount(p + i * PAGE_SIZE) == 1;
    KT_EXPECT(t, counts, "run frames not all at refcount 1");
    KT_EXPECT(t, frame_free_count() == base - 256, "free count %lu, want %lu",
              (unsigned long)frame_free_count(), (unsigned long)(base - 256));
    frame_free_contig(p, 256);
    KT_EXPECT(t, frame_free_count() == base, "free count %lu after free",
              (unsigned long)frame_free_count());

    /* Punch holes: free every other frame of a run, tag the rest.  New
     * runs must never include a frame still held. */
    enum { RUN = 64 };
    paddr_t a = frame_alloc_contig(RUN);
    KT_ASSERT(t, a != 0, "no %d contiguous frames", RUN);
    for (size_t i = 0; i < RUN; i++) {
        if (i % 2 == 0)
            frame_free(a + i * PAGE_SIZE);
        else
            *(uint64_t *)phys_to_virt(a + i * PAGE_SIZE) = a + i;
    }
    paddr_t runs[8];
    bool overlap = false;
    for (size_t r = 0; r < ARRAY_SIZE(runs); r++) {
        runs[r] = frame_alloc_contig(4);
        if (!runs[r])
            continue;
        if (runs[r] < a + RUN * PAGE_SIZE && runs[r] + 4 * PAGE_SIZE > a + PAGE_SIZE)
            overlap = true;
        memset(phys_to_virt(runs[r]), 0xee, 4 * PAGE_SIZE);
    }
    bool intact = true;
    for (size_t i = 1; i < RUN; i += 2)
        intact &= *(uint64_t *)phys_to_virt(a + i * PAGE_SIZE) == a + i;
    for (size_t r = 0; r < ARRAY_SIZE(runs); r++)
        if (runs[r])
            frame_free_contig(runs[r], 4);
    for (size_t i = 1; i < RUN; i += 2)
        frame_free(a + i * PAGE_SIZE);
    KT_EXPECT(t, !overlap, "a 4-frame run overlaps the fragmented run");
    KT_EXPECT(t, intact, "held frames were overwritten");
    KT_EXPECT(t, frame_free_count() == base, "free count %lu, want %lu",
              (unsigned long)frame_free_count(), (unsigned long)base);
}
