/* In-kernel tests of drivers/virtio/virtqueue.c: the same ring code the
 * host tests exercise (tests/host/test_virtqueue.c), here on the real
 * target with its DMA memory, barriers and allocator, against a small
 * simulated device that follows the QEMU rules (hw/virtio/virtio.c). */
#include "virtqueue.h"
#include "ktest.h"
#include "mm.h"
#include "string.h"

struct sim_dev {
    struct virtqueue *vq;
    uint16_t last_avail, used_idx, signalled;
    bool signalled_valid;
    unsigned interrupts, notifies;
};

static void sim_notify(struct virtqueue *vq)
{
    struct sim_dev *d = vq->priv;
    d->notifies++;
}

/* Consume up to max available chains, writing `want` bytes into each;
 * publish; returns whether the device would interrupt. */
static bool sim_run(struct sim_dev *d, unsigned max, uint32_t want)
{
    struct virtqueue *vq = d->vq;
    uint16_t mask = vq->size - 1;
    unsigned n = 0;

    while (n < max && READ_ONCE(vq->avail->idx) != d->last_avail) {
        uint16_t head = vq->avail->ring[d->last_avail++ & mask];
        uint32_t writable = 0;
        for (uint16_t i = head;; i = vq->desc[i].next) {
            if (vq->desc[i].flags & VIRTQ_DESC_F_WRITE)
                writable += vq->desc[i].len;
            if (!(vq->desc[i].flags & VIRTQ_DESC_F_NEXT))
                break;
        }
        vq->used->ring[d->used_idx & mask].id = head;
        vq->used->ring[d->used_idx & mask].len = MIN(want, writable);
        d->used_idx++;
        n++;
    }
    if (!n)
        return false;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    WRITE_ONCE(vq->used->idx, d->used_idx);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool irq;
    if (!vq->event_idx) {
        irq = !(READ_ONCE(vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    } else {
        uint16_t old = d->signalled;
        bool valid = d->signalled_valid;
        d->signalled = d->used_idx;
        d->signalled_valid = true;
        irq = !valid || vq_need_event(READ_ONCE(*vq->used_event),
                                      d->used_idx, old);
    }
    if (irq)
        d->interrupts++;
    return irq;
}

static struct virtqueue *sim_create(struct sim_dev *d, unsigned size,
                                    bool event_idx)
{
    memset(d, 0, sizeof(*d));
    d->vq = vq_create(0, size, event_idx, sim_notify, NULL, d, "ktest");
    return d->vq;
}

KTEST(virtqueue, add_get_wraparound)
{
    struct sim_dev d;
    struct virtqueue *vq = sim_create(&d, 4, true);
    KT_ASSERT(t, vq, "vq_create failed");
    paddr_t page = frame_alloc();
    KT_ASSERT(t, page, "no memory");
    uint8_t *buf = phys_to_virt(page);
    unsigned bad = 0, got = 0;

    for (unsigned i = 0; i < 4; i++) {
        struct vq_sg sg = { page + i * 256, 256 };
        KT_EXPECT(t, vq_add_buf(vq, &sg, 0, 1, buf + i * 256) == 0, "add");
    }
    KT_EXPECT(t, vq_kick(vq) && d.notifies == 1, "first kick");
    /* Well past 65536 so both 16-bit indices wrap. */
    while (got < 70000) {
        sim_run(&d, 3, 100);
        void *tok;
        uint32_t len;
        while ((tok = vq_get_buf(vq, &len)) != NULL) {
            unsigned i = (unsigned)((uint8_t *)tok - buf) / 256;
            if (i != got % 4 || len != 100)
                bad++;
            got++;
            struct vq_sg sg = { page + i * 256, 256 };
            if (vq_add_buf(vq, &sg, 0, 1, tok) != 0)
                bad++;
        }
        vq_kick(vq);
    }
    KT_EXPECT(t, bad == 0, "%u bad completions", bad);
    KT_EXPECT(t, !vq_is_broken(vq), "broken");
    KT_EXPECT(t, vq->avail_idx_shadow == (uint16_t)(got + 4), "avail idx");
    /* EVENT_IDX: the device asked for no notifications (avail_event 0),
     * so after the first kick none was needed until the index came round
     * to it again. */
    KT_EXPECT(t, d.notifies < got / 1000, "%u notifications", d.notifies);
    vq_destroy(vq);
    frame_free(page);
}

/* The re-enable race: a buffer published while suppressed must be caught
 * by vq_poll after the re-arm, in both suppression schemes. */
KTEST(virtqueue, enable_poll_race)
{
    for (int ev = 0; ev <= 1; ev++) {
        struct sim_dev d;
        struct virtqueue *vq = sim_create(&d, 8, ev);
        KT_ASSERT(t, vq, "vq_create failed");
        paddr_t page = frame_alloc();
        KT_ASSERT(t, page, "no memory");
        for (unsigned i = 0; i < 8; i++) {
            struct vq_sg sg = { page + i * 64, 64 };
            vq_add_buf(vq, &sg, 0, 1, phys_to_virt(page + i * 64));
        }
        vq_enable_cb(vq);
        sim_run(&d, 1, 10);             /* first notification */
        vq_get_buf(vq, NULL);
        unsigned irqs = d.interrupts;

        vq_disable_cb(vq);
        KT_EXPECT(t, !sim_run(&d, 1, 10), "event_idx=%d: interrupt while "
                  "suppressed", ev);
        uint16_t snap = vq_enable_cb_prepare(vq);
        KT_EXPECT(t, vq_poll(vq, snap), "event_idx=%d: race not seen", ev);
        while (vq_get_buf(vq, NULL))
            ;
        KT_EXPECT(t, vq_enable_cb(vq), "event_idx=%d: pending after drain",
                  ev);
        KT_EXPECT(t, sim_run(&d, 1, 10), "event_idx=%d: no interrupt when "
                  "armed", ev);
        KT_EXPECT(t, d.interrupts == irqs + 1, "event_idx=%d: %u interrupts",
                  ev, d.interrupts - irqs);
        vq_destroy(vq);
        frame_free(page);
    }
}

/* A device writing a used id out of range, or one not in flight, breaks
 * the queue: NULL, counted, no crash, everything refused afterwards. */
KTEST(virtqueue, broken_used_entries)
{
    for (int c = 0; c < 2; c++) {
        struct sim_dev d;
        struct virtqueue *vq = sim_create(&d, 8, false);
        KT_ASSERT(t, vq, "vq_create failed");
        paddr_t page = frame_alloc();
        KT_ASSERT(t, page, "no memory");
        struct vq_sg sg = { page, 64 };
        vq_add_buf(vq, &sg, 0, 1, phys_to_virt(page));
        sim_run(&d, 1, 10);
        vq->used->ring[0].id = c == 0 ? 0xdead : 5;
        uint32_t len;
        KT_EXPECT(t, vq_get_buf(vq, &len) == NULL, "case %d: got a buffer", c);
        KT_EXPECT(t, vq_is_broken(vq) && vq->stats.bad_used == 1,
                  "case %d: not marked broken", c);
        KT_EXPECT(t, vq_add_buf(vq, &sg, 0, 1, phys_to_virt(page)) == -EIO,
                  "case %d: add on a broken queue", c);
        KT_EXPECT(t, !vq_interrupt(vq), "case %d: interrupt handled", c);
        vq_destroy(vq);
        frame_free(page);
    }
}

KTEST(virtqueue, bad_sizes)
{
    KT_EXPECT(t, !vq_create(0, 0, false, sim_notify, NULL, NULL, "x"),
              "size 0 accepted");
    KT_EXPECT(t, !vq_create(0, 100, false, sim_notify, NULL, NULL, "x"),
              "size 100 accepted");
    KT_EXPECT(t, !vq_create(0, VQ_MAX_SIZE * 2, false, sim_notify, NULL,
                            NULL, "x"), "size 65536 accepted");
    struct virtqueue *vq = vq_create(0, 256, true, sim_notify, NULL, NULL,
                                     "x");
    KT_ASSERT(t, vq, "size 256 refused");
    KT_EXPECT(t, IS_ALIGNED(vq->desc_pa, VIRTQ_DESC_ALIGN) &&
              IS_ALIGNED(vq->avail_pa, VIRTQ_AVAIL_ALIGN) &&
              IS_ALIGNED(vq->used_pa, VIRTQ_USED_ALIGN), "misaligned rings");
    vq_destroy(vq);
}
