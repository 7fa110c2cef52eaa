/* Tests of the GICv2m frame driver: the SPI allocator (alignment, reuse,
 * exhaustion with and without a cap) and the doorbell itself, written by
 * the CPU as a device would. */
#include "gicv2m.h"
#include "irq.h"
#include "ktest.h"
#include "sched.h"

#define NO_FRAME "no GICv2m frame (run with -machine virt,gic-version=2)"
#define MSI_SETSPI_NS 0x40

static bool in_range(int intid)
{
    return intid >= (int)gicv2m_spi_base() &&
           intid < (int)(gicv2m_spi_base() + gicv2m_spi_count());
}

KTEST(gicv2m, frame_found)
{
    KT_ASSERT(t, gicv2m_present(), NO_FRAME);
    unsigned base = gicv2m_spi_base(), count = gicv2m_spi_count();
    KT_EXPECT(t, base >= 32 && count > 0 && base + count <= 1020,
              "range %u+%u not valid SPIs", base, count);
    struct msi_msg m;
    gicv2m_compose(base, &m);
    KT_EXPECT(t, m.address == gicv2m_frame_phys() + MSI_SETSPI_NS,
              "address %#lx, frame %#lx", (unsigned long)m.address,
              (unsigned long)gicv2m_frame_phys());
    KT_EXPECT(t, m.data == base, "data %u for INTID %u", m.data, base);
}

KTEST(gicv2m, alloc_free)
{
    KT_ASSERT(t, gicv2m_present(), NO_FRAME);
    unsigned used0 = gicv2m_used();

    int a = gicv2m_alloc(1), b = gicv2m_alloc(1), c = gicv2m_alloc(3);
    KT_ASSERT(t, in_range(a) && in_range(b) && in_range(c),
              "allocations %d %d %d outside the frame", a, b, c);
    KT_EXPECT(t, a != b, "same SPI twice");
    KT_EXPECT(t, (c - gicv2m_spi_base()) % 4 == 0,
              "block of 3 at %d is not 4-aligned", c);
    KT_EXPECT(t, !(a >= c && a < c + 4) && !(b >= c && b < c + 4),
              "block %d+4 overlaps %d or %d", c, a, b);
    KT_EXPECT(t, gicv2m_used() == used0 + 6, "used %u, want %u",
              gicv2m_used(), used0 + 6);
    KT_EXPECT(t, gicv2m_alloc(0) == -EINVAL, "alloc(0) accepted");
    gicv2m_free(a, 1);
    gicv2m_free(b, 1);
    gicv2m_free(c, 3);
    KT_EXPECT(t, gicv2m_used() == used0, "used %u after free, want %u",
              gicv2m_used(), used0);
    /* A freed SPI is handed out again. */
    int again = gicv2m_alloc(1);
    KT_EXPECT(t, in_range(again), "no SPI after free");
    gicv2m_free(again, 1);
    /* Bad frees are ignored (and logged), not corrupting. */
    gicv2m_free(gicv2m_spi_base() - 1, 1);
    gicv2m_free(gicv2m_spi_base() + gicv2m_spi_count(), 1);
    KT_EXPECT(t, gicv2m_used() == used0, "bad free changed the count");
}

KTEST(gicv2m, exhaustion)
{
    KT_ASSERT(t, gicv2m_present(), NO_FRAME);
    unsigned used0 = gicv2m_used();
    static int got[1024];
    unsigned n = 0;

    /* The real bitmap: every free SPI once, then -ENOSPC. */
    for (;;) {
        int i = gicv2m_alloc(1);
        if (i < 0) {
            KT_EXPECT(t, i == -ENOSPC, "exhausted allocator returned %d", i);
            break;
        }
        if (n == ARRAY_SIZE(got))
            break;
        got[n++] = i;
    }
    KT_EXPECT(t, n == gicv2m_spi_count() - used0,
              "%u SPIs allocated, %u were free", n,
              gicv2m_spi_count() - used0);
    KT_EXPECT(t, gicv2m_alloc(1) == -ENOSPC, "full allocator gave an SPI");
    for (unsigned i = 0; i < n; i++)
        gicv2m_free(got[i], 1);
    KT_EXPECT(t, gicv2m_used() == used0, "used %u after freeing all",
              gicv2m_used());

    /* The test cap: two more SPIs, then -ENOSPC; lifted again. */
    gicv2m_set_limit(used0 + 2);
    int a = gicv2m_alloc(1), b = gicv2m_alloc(1), c = gicv2m_alloc(1);
    int d = gicv2m_alloc(2);
    gicv2m_set_limit(0);
    KT_EXPECT(t, in_range(a) && in_range(b), "capped allocs failed: %d %d",
              a, b);
    KT_EXPECT(t, c == -ENOSPC && d == -ENOSPC,
              "cap not enforced: got %d and %d", c, d);
    int e = gicv2m_alloc(1);
    KT_EXPECT(t, in_range(e), "cap not lifted: %d", e);
    int all[] = { a, b, c, d, e };
    for (unsigned k = 0; k < ARRAY_SIZE(all); k++)
        if (in_range(all[k]))
            gicv2m_free(all[k], 1);
    KT_EXPECT(t, gicv2m_used() == used0, "leak: used %u, want %u",
              gicv2m_used(), used0);
}

static volatile unsigned doorbell_hits;
static int doorbell_cookie;

static void doorbell_handler(unsigned irq, void *ctx)
{
    doorbell_hits++;
}

/* The CPU writes the message data to MSI_SETSPI_NS, as a device's MSI
 * write would: the frame must raise that SPI, edge-triggered. */
KTEST(gicv2m, doorbell_raises_spi)
{
    KT_ASSERT(t, gicv2m_present(), NO_FRAME);
    int intid = gicv2m_alloc(1);
    KT_ASSERT(t, in_range(intid), "alloc failed: %d", intid);
    KT_ASSERT(t, irq_register(intid, IRQ_TRIGGER_EDGE, doorbell_handler,
                              &doorbell_cookie, "v2m-test") == 0,
              "register %d failed", intid);
    irq_enable(intid);
    doorbell_hits = 0;
    for (unsigned i = 1; i <= 5; i++) {
        struct msi_msg m;
        gicv2m_compose(intid, &m);
        gicv2m_doorbell_write(m.data);
        for (int w = 0; w < 1000 && doorbell_hits < i; w++)
            sleep_ms(1);
        KT_EXPECT(t, doorbell_hits == i, "after %u writes: %u interrupts",
                  i, doorbell_hits);
    }
    /* Data outside the frame's range raises nothing (QEMU ignores it). */
    gicv2m_doorbell_write(gicv2m_spi_base() + gicv2m_spi_count());
    sleep_ms(5);
    KT_EXPECT(t, doorbell_hits == 5, "stray doorbell write counted");
    irq_unregister(intid, &doorbell_cookie);
    gicv2m_free(intid, 1);
}
