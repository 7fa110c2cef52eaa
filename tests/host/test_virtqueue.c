/* Host tests of drivers/virtio/virtqueue.c against a simulated device.
 *
 * The real virtqueue.c is compiled into this file (as Linux's tools/virtio
 * does with virtio_ring.c): the kernel-only headers arch.h, mm.h and
 * printk.h are replaced by the small shims below (their include guards are
 * defined first), everything else is the kernel's own code.  "Physical"
 * addresses are host addresses (identity mapping).
 *
 * The fake device consumes available entries and produces used entries as
 * QEMU's hw/virtio/virtio.c does, including the EVENT_IDX notification rule
 * (virtio_should_notify).  A threaded test runs the device in its own
 * thread against a NAPI-style driver loop, checking that no buffer is ever
 * left unseen (no lost wake-up) and that the sequence arrives in order. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- shims for the kernel headers virtqueue.c uses ---- */
#define ARCH_H
#define MM_H
#define PRINTK_H
#include "kernel.h"

#define PAGE_SIZE 4096UL
/* mb = full barrier (the StoreLoad one that matters, mfence on x86);
 * rmb/wmb as acquire/release fences. */
#define mb()    __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()   __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()   __atomic_thread_fence(__ATOMIC_RELEASE)

static int frames_live;         /* contiguous allocations not yet freed */
static int fail_frame_allocs;   /* fail the next N frame allocations */
static char last_log[256];
static int log_lines;

static paddr_t frame_alloc_contig(size_t count)
{
    if (fail_frame_allocs > 0) {
        fail_frame_allocs--;
        return 0;
    }
    void *p = aligned_alloc(PAGE_SIZE, count * PAGE_SIZE);
    if (!p)
        return 0;
    memset(p, 0, count * PAGE_SIZE);
    frames_live++;
    return (paddr_t)(uintptr_t)p;
}

static void frame_free_contig(paddr_t pa, size_t count)
{
    (void)count;
    free((void *)(uintptr_t)pa);
    frames_live--;
}

static void *phys_to_virt(paddr_t pa)
{
    return (void *)(uintptr_t)pa;
}

static void *kzalloc(size_t n)
{
    return calloc(1, n);
}

static void kfree(void *p)
{
    free(p);
}

static void klog(const char *fmt, ...) __printf(1, 2);
static void klog(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_log, sizeof(last_log), fmt, ap);
    va_end(ap);
    log_lines++;
    printf("  [klog] %s\n", last_log);
}

#include "../../drivers/virtio/virtqueue.c"
#include "minitest.h"

/* ---- the fake device ---- */

struct fake_dev {
    struct virtqueue *vq;
    uint16_t last_avail;        /* next avail entry to consume */
    uint16_t used_idx;          /* device's copy of used->idx */
    uint16_t signalled_used;    /* used idx at the last notify decision */
    bool signalled_valid;
    unsigned interrupts;        /* used-buffer notifications sent */
    unsigned notifies;          /* driver notifications received */
};

static void fake_init(struct fake_dev *d, struct virtqueue *vq)
{
    memset(d, 0, sizeof(*d));
    d->vq = vq;
}

static void fake_notify(struct virtqueue *vq)
{
    struct fake_dev *d = vq->priv;
    if (d)
        d->notifies++;
}

static unsigned cb_calls;
static void count_cb(struct virtqueue *vq)
{
    (void)vq;
    cb_calls++;
}

static uint16_t avail_pending(struct fake_dev *d)
{
    uint16_t idx = __atomic_load_n(&d->vq->avail->idx, __ATOMIC_ACQUIRE);
    return (uint16_t)(idx - d->last_avail);
}

/* Take one available chain, write up to `want` bytes into its writable
 * part (a 32-bit tag first if it fits), return its head and fill *len.  The
 * used entry is written but not published. */
static uint16_t fake_take(struct fake_dev *d, uint32_t want, uint32_t tag,
                          uint32_t *len)
{
    struct virtqueue *vq = d->vq;
    uint16_t mask = vq->size - 1;
    uint16_t head = vq->avail->ring[d->last_avail & mask];
    uint32_t written = 0;
    uint16_t i = head;

    d->last_avail++;
    for (unsigned n = 0; n < vq->size; n++) {
        struct virtq_desc *desc = &vq->desc[i];
        if ((desc->flags & VIRTQ_DESC_F_WRITE) && written < want) {
            uint32_t k = MIN(desc->len, want - written);
            uint8_t *buf = (uint8_t *)(uintptr_t)desc->addr;
            if (written == 0 && k >= 4)
                memcpy(buf, &tag, 4);
            written += k;
        }
        if (!(desc->flags & VIRTQ_DESC_F_NEXT))
            break;
        i = desc->next;
    }
    uint16_t slot = d->used_idx & mask;
    vq->used->ring[slot].id = head;
    vq->used->ring[slot].len = written;
    d->used_idx++;
    *len = written;
    return head;
}

/* Publish the used index and decide on an interrupt, as QEMU does
 * (virtqueue_flush + virtio_should_notify). */
static bool fake_publish(struct fake_dev *d)
{
    struct virtqueue *vq = d->vq;

    __atomic_thread_fence(__ATOMIC_RELEASE);    /* entries before idx */
    __atomic_store_n(&vq->used->idx, d->used_idx, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* idx before flags read */
    bool irq;
    if (!vq->event_idx) {
        irq = !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
                VIRTQ_AVAIL_F_NO_INTERRUPT);
    } else {
        bool valid = d->signalled_valid;
        uint16_t old = d->signalled_used;
        d->signalled_valid = true;
        d->signalled_used = d->used_idx;
        uint16_t ev = __atomic_load_n(vq->used_event, __ATOMIC_RELAXED);
        irq = !valid || vq_need_event(ev, d->used_idx, old);
    }
    if (irq)
        d->interrupts++;
    return irq;
}

/* Consume up to max chains, writing `want` bytes each; returns how many. */
static unsigned fake_run(struct fake_dev *d, unsigned max, uint32_t want)
{
    unsigned n = 0;
    uint32_t len;
    while (n < max && avail_pending(d)) {
        fake_take(d, want, n, &len);
        n++;
    }
    if (n)
        fake_publish(d);
    return n;
}

/* ---- helpers ---- */

static uint8_t bufmem[64][256];

static struct vq_sg sg_of(void *p, uint32_t len)
{
    return (struct vq_sg){ (paddr_t)(uintptr_t)p, len };
}

static struct virtqueue *mk(unsigned size, bool event_idx, struct fake_dev *d)
{
    struct virtqueue *vq = vq_create(0, size, event_idx, fake_notify,
                                     count_cb, d, "test");
    if (vq)
        fake_init(d, vq);
    return vq;
}

/* ---- tests ---- */

static void test_create_layout(void)
{
    struct fake_dev d;
    CHECK(vq_create(0, 0, false, fake_notify, NULL, NULL, "x") == NULL);
    CHECK(vq_create(0, 3, false, fake_notify, NULL, NULL, "x") == NULL);
    CHECK(vq_create(0, 65536, false, fake_notify, NULL, NULL, "x") == NULL);
    CHECK(vq_create(0, 8, false, NULL, NULL, NULL, "x") == NULL);

    struct virtqueue *vq = mk(256, true, &d);
    CHECK(vq != NULL);
    if (!vq)
        return;
    CHECK_EQ(vq->desc_pa % VIRTQ_DESC_ALIGN, 0);
    CHECK_EQ(vq->avail_pa % VIRTQ_AVAIL_ALIGN, 0);
    CHECK_EQ(vq->used_pa % VIRTQ_USED_ALIGN, 0);
    CHECK_EQ(vq->avail_pa - vq->desc_pa, 16 * 256);
    CHECK(vq->used_pa >= vq->avail_pa + 6 + 2 * 256);
    CHECK(vq->used_pa + 6 + 8 * 256 <=
          vq->ring_pa + vq->ring_frames * PAGE_SIZE);
    CHECK_EQ((uintptr_t)vq->used_event, (uintptr_t)vq->avail + 4 + 2 * 256);
    CHECK_EQ((uintptr_t)vq->avail_event, (uintptr_t)vq->used + 4 + 8 * 256);
    CHECK_EQ(vq_num_free(vq), 256);
    vq_destroy(vq);

    /* The largest size the spec allows. */
    vq = mk(VQ_MAX_SIZE, false, &d);
    CHECK(vq != NULL);
    if (vq) {
        CHECK_EQ(vq_num_free(vq), VQ_MAX_SIZE);
        vq_destroy(vq);
    }

    /* Out of memory: NULL and nothing leaked. */
    fail_frame_allocs = 1;
    CHECK(mk(64, false, &d) == NULL);
    fail_frame_allocs = 0;
    CHECK_EQ(frames_live, 0);
}

static void test_add_get(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(8, false, &d);
    int tok[4];

    struct vq_sg one_in = sg_of(bufmem[0], 100);
    struct vq_sg out_in[2] = { sg_of(bufmem[1], 12), sg_of(bufmem[2], 50) };
    struct vq_sg three_out[3] = { sg_of(bufmem[3], 1), sg_of(bufmem[4], 2),
                                  sg_of(bufmem[5], 3) };
    CHECK_EQ(vq_add_buf(vq, &one_in, 0, 1, &tok[0]), 0);
    CHECK_EQ(vq_add_buf(vq, out_in, 1, 1, &tok[1]), 0);
    CHECK_EQ(vq_add_buf(vq, three_out, 3, 0, &tok[2]), 0);
    CHECK_EQ(vq_num_free(vq), 8 - 6);

    /* Descriptor flags as the spec wants them. */
    uint16_t h = vq->avail->ring[1];
    CHECK_EQ(vq->desc[h].flags, VIRTQ_DESC_F_NEXT);
    CHECK_EQ(vq->desc[vq->desc[h].next].flags, VIRTQ_DESC_F_WRITE);
    CHECK_EQ(vq->avail->idx, 3);

    CHECK(vq_kick(vq));
    CHECK_EQ(d.notifies, 1);
    CHECK(vq_get_buf(vq, NULL) == NULL);     /* nothing used yet */
    CHECK(!vq_more_used(vq));

    CHECK_EQ(fake_run(&d, 8, 40), 3);
    CHECK(vq_more_used(vq));
    uint32_t len = 999;
    CHECK(vq_get_buf(vq, &len) == &tok[0]);
    CHECK_EQ(len, 40);
    CHECK(vq_get_buf(vq, &len) == &tok[1]);
    CHECK_EQ(len, 40);
    CHECK(vq_get_buf(vq, &len) == &tok[2]);
    CHECK_EQ(len, 0);                        /* nothing writable */
    CHECK(vq_get_buf(vq, &len) == NULL);
    CHECK_EQ(vq_num_free(vq), 8);
    CHECK_EQ(vq->stats.added, 3);
    CHECK_EQ(vq->stats.used, 3);
    vq_destroy(vq);
}

static void test_bad_add(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(4, false, &d);
    int tok;
    struct vq_sg five[5];
    for (int i = 0; i < 5; i++)
        five[i] = sg_of(bufmem[i], 8);
    struct vq_sg zero = sg_of(bufmem[0], 0);

    CHECK_EQ(vq_add_buf(vq, five, 2, 3, &tok), -ENOSPC);
    CHECK_EQ(vq_add_buf(vq, five, 0, 0, &tok), -EINVAL);
    CHECK_EQ(vq_add_buf(vq, five, 1, 0, NULL), -EINVAL);
    CHECK_EQ(vq_add_buf(vq, &zero, 1, 0, &tok), -EINVAL);
    CHECK_EQ(vq_num_free(vq), 4);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(vq_add_buf(vq, &five[i], 0, 1, &tok), 0);
    CHECK_EQ(vq_add_buf(vq, five, 0, 1, &tok), -ENOSPC);
    CHECK_EQ(vq->avail->idx, 4);
    vq_destroy(vq);
}

/* Chains of random length completed out of order: the free list must
 * survive, every token come back exactly once. */
static void test_out_of_order(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(16, false, &d);
    int tok[16];
    int outstanding[16] = { 0 };
    unsigned seed = 12345;

    for (int round = 0; round < 2000; round++) {
        /* Add while there is room. */
        for (;;) {
            unsigned n = 1 + (seed = seed * 1103515245 + 12345) % 3;
            struct vq_sg sg[3];
            for (unsigned k = 0; k < n; k++)
                sg[k] = sg_of(bufmem[k], 16);
            int t = -1;
            for (int i = 0; i < 16; i++)
                if (!outstanding[i]) { t = i; break; }
            if (t < 0 || vq_add_buf(vq, sg, 1, n - 1, &tok[t]) != 0)
                break;
            outstanding[t] = 1;
        }
        /* The device completes pending chains in reverse order. */
        uint16_t heads[16];
        unsigned k = 0;
        while (avail_pending(&d) && k < 16) {
            heads[k++] = vq->avail->ring[d.last_avail & 15];
            d.last_avail++;
        }
        while (k--) {
            uint16_t slot = d.used_idx & 15;
            vq->used->ring[slot].id = heads[k];
            vq->used->ring[slot].len = 0;
            d.used_idx++;
        }
        fake_publish(&d);
        void *t;
        while ((t = vq_get_buf(vq, NULL)) != NULL) {
            int i = (int *)t - tok;
            CHECK(i >= 0 && i < 16 && outstanding[i]);
            if (i >= 0 && i < 16)
                outstanding[i] = 0;
        }
        if (vq_num_free(vq) != 16) {
            CHECK_EQ(vq_num_free(vq), 16);
            break;
        }
    }
    CHECK(!vq_is_broken(vq));
    vq_destroy(vq);
}

/* 16-bit ring indices wrap at 65536: run well past it. */
static void test_wraparound(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(8, true, &d);
    int tok[8];
    unsigned got = 0, bad = 0;

    for (unsigned i = 0; i < 8; i++) {
        struct vq_sg sg = sg_of(bufmem[i], 64);
        vq_add_buf(vq, &sg, 0, 1, &tok[i]);
    }
    vq_kick(vq);
    for (unsigned iter = 0; iter < 70000 / 3 + 10; iter++) {
        fake_run(&d, 3, 10);
        void *t;
        uint32_t len;
        while ((t = vq_get_buf(vq, &len)) != NULL) {
            int i = (int *)t - tok;
            if (i != (int)(got % 8) || len != 10)
                bad++;
            got++;
            struct vq_sg sg = sg_of(bufmem[i], 64);
            if (vq_add_buf(vq, &sg, 0, 1, t) != 0)
                bad++;
        }
        vq_kick(vq);
    }
    CHECK(got > 70000);
    CHECK_EQ(bad, 0);
    CHECK(!vq_is_broken(vq));
    /* The indices really wrapped. */
    CHECK(vq->avail_idx_shadow < got);
    CHECK_EQ((uint16_t)(vq->avail_idx_shadow - vq->last_used_idx), 8);
    CHECK_EQ(vq->avail->idx, vq->avail_idx_shadow);
    vq_destroy(vq);
}

/* Without EVENT_IDX: VIRTQ_AVAIL_F_NO_INTERRUPT does the suppression. */
static void test_suppress_flags(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(8, false, &d);
    int tok[8];
    for (int i = 0; i < 8; i++) {
        struct vq_sg sg = sg_of(bufmem[i], 64);
        vq_add_buf(vq, &sg, 0, 1, &tok[i]);
    }
    CHECK_EQ(vq->avail->flags, 0);
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 1);

    vq_disable_cb(vq);
    CHECK_EQ(vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 1);               /* suppressed */

    CHECK(!vq_enable_cb(vq));                /* two buffers pending */
    CHECK_EQ(vq->avail->flags, 0);
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 2);

    /* Device asks not to be notified. */
    vq->used->flags = VIRTQ_USED_F_NO_NOTIFY;
    uint32_t len;
    void *t = vq_get_buf(vq, &len);
    struct vq_sg sg = sg_of(bufmem[0], 64);
    vq_add_buf(vq, &sg, 0, 1, t);
    unsigned before = d.notifies;
    CHECK(!vq_kick(vq));
    CHECK_EQ(d.notifies, before);
    CHECK_EQ(vq->stats.kicks_suppressed, 1);
    vq->used->flags = 0;
    t = vq_get_buf(vq, &len);
    vq_add_buf(vq, &sg, 0, 1, t);
    CHECK(vq_kick(vq));
    CHECK_EQ(d.notifies, before + 1);
    vq_destroy(vq);
}

/* With EVENT_IDX: used_event / avail_event do it, flags stay 0. */
static void test_event_idx(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(16, true, &d);
    int tok[16];
    uint32_t len;
    for (int i = 0; i < 16; i++) {
        struct vq_sg sg = sg_of(bufmem[i], 64);
        vq_add_buf(vq, &sg, 0, 1, &tok[i]);
    }
    /* Initially armed at 0: the first used entry interrupts. */
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 1);
    /* Not consumed yet: used_event still 0, the next does not. */
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 1);

    /* Consuming with callbacks on re-arms at the next entry. */
    CHECK(vq_get_buf(vq, &len) == &tok[0]);
    CHECK(vq_get_buf(vq, &len) == &tok[1]);
    CHECK_EQ(*vq->used_event, 2);
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 2);

    /* Disabled: flags untouched, used_event parked out of reach. */
    vq_disable_cb(vq);
    CHECK_EQ(vq->avail->flags, 0);
    CHECK(vq_get_buf(vq, &len) == &tok[2]);
    fake_run(&d, 5, 8);
    CHECK_EQ(d.interrupts, 2);

    /* Prepare + poll sees the five pending. */
    uint16_t snap = vq_enable_cb_prepare(vq);
    CHECK_EQ(snap, 3);
    CHECK_EQ(*vq->used_event, 3);
    CHECK(vq_poll(vq, snap));
    while (vq_get_buf(vq, &len))
        ;
    snap = vq_enable_cb_prepare(vq);
    CHECK(!vq_poll(vq, snap));
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 3);

    /* Event-triggered hint: disabling right after an interrupt writes
     * nothing (the device will not fire again until re-armed). */
    vq->event_triggered = false;
    CHECK(vq_interrupt(vq));
    CHECK(vq->event_triggered);
    uint16_t ev = *vq->used_event;
    vq_disable_cb(vq);
    CHECK_EQ(*vq->used_event, ev);
    fake_run(&d, 1, 8);
    CHECK_EQ(d.interrupts, 3);

    /* Delayed re-arm: interrupt at ~3/4 of the outstanding buffers. */
    while (vq_get_buf(vq, &len))
        ;
    unsigned outstanding =
        (uint16_t)(vq->avail_idx_shadow - vq->last_used_idx);
    CHECK_EQ(outstanding, 16 - 10);         /* 10 used so far */
    CHECK(vq_enable_cb_delayed(vq));
    CHECK_EQ(*vq->used_event,
             (uint16_t)(vq->last_used_idx + outstanding * 3 / 4));
    unsigned irq0 = d.interrupts;
    fake_run(&d, outstanding * 3 / 4, 8);   /* up to the event: silent */
    CHECK_EQ(d.interrupts, irq0);
    fake_run(&d, 1, 8);                     /* crossing it: interrupt */
    CHECK_EQ(d.interrupts, irq0 + 1);
    /* Already past the point: enable_cb_delayed reports the race. */
    CHECK(!vq_enable_cb_delayed(vq));

    /* avail_event: kick only when crossing what the device asked for. */
    while (vq_get_buf(vq, &len))
        ;
    struct vq_sg sg = sg_of(bufmem[0], 64);
    *vq->avail_event = (uint16_t)(vq->avail_idx_shadow + 1);
    vq_add_buf(vq, &sg, 0, 1, &tok[0]);
    CHECK(!vq_kick_prepare(vq));             /* idx moved to event: not past */
    vq_add_buf(vq, &sg, 0, 1, &tok[1]);
    CHECK(vq_kick_prepare(vq));              /* crossed it */
    vq_destroy(vq);
}

/* The race the re-enable sequence exists for: a buffer lands while
 * interrupts are suppressed, just before the re-arm. */
static void test_enable_poll_race(void)
{
    for (int ev = 0; ev <= 1; ev++) {
        struct fake_dev d;
        struct virtqueue *vq = mk(8, ev, &d);
        int tok[8];
        for (int i = 0; i < 8; i++) {
            struct vq_sg sg = sg_of(bufmem[i], 64);
            vq_add_buf(vq, &sg, 0, 1, &tok[i]);
        }
        /* Warm-up: QEMU always notifies the first time after a reset. */
        fake_run(&d, 1, 8);
        CHECK(vq_get_buf(vq, NULL) == &tok[0]);
        vq_disable_cb(vq);
        /* Drained: nothing pending. */
        uint16_t snap = vq_enable_cb_prepare(vq);
        CHECK(!vq_poll(vq, snap));
        vq_disable_cb(vq);

        /* The device publishes while we are still suppressed: no interrupt. */
        unsigned irq0 = d.interrupts;
        fake_run(&d, 1, 8);
        CHECK_EQ(d.interrupts, irq0);
        /* Re-arm; poll must catch it, or the buffer would sit unseen. */
        snap = vq_enable_cb_prepare(vq);
        CHECK(vq_poll(vq, snap));
        CHECK(!vq_enable_cb(vq));
        /* After draining, a buffer published after the re-arm interrupts. */
        while (vq_get_buf(vq, NULL))
            ;
        CHECK(vq_enable_cb(vq));
        fake_run(&d, 1, 8);
        CHECK_EQ(d.interrupts, irq0 + 1);
        vq_destroy(vq);
    }
}

static void test_interrupt_entry(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(4, false, &d);
    int tok;
    struct vq_sg sg = sg_of(bufmem[0], 64);
    vq_add_buf(vq, &sg, 0, 1, &tok);
    cb_calls = 0;
    CHECK(!vq_interrupt(vq));               /* nothing used: not ours */
    CHECK_EQ(cb_calls, 0);
    CHECK_EQ(vq->stats.interrupts_none, 1);
    fake_run(&d, 1, 8);
    CHECK(vq_interrupt(vq));
    CHECK_EQ(cb_calls, 1);
    CHECK_EQ(vq->stats.interrupts, 1);
    vq_destroy(vq);
}

/* A device that writes garbage into the used ring breaks the queue: NULL,
 * counted, logged, and everything after is refused, never a crash. */
static void test_broken(void)
{
    enum { BAD_ID, NOT_HEAD, BAD_LEN, IDX_JUMP, NCASES };
    for (int c = 0; c < NCASES; c++) {
        struct fake_dev d;
        struct virtqueue *vq = mk(8, c & 1, &d);
        int tok[2];
        struct vq_sg sg[2] = { sg_of(bufmem[0], 12), sg_of(bufmem[1], 100) };
        vq_add_buf(vq, sg, 1, 1, &tok[0]);
        vq_add_buf(vq, sg, 1, 1, &tok[1]);
        uint32_t len;
        uint16_t head = fake_take(&d, 50, 0, &len);
        switch (c) {
        case BAD_ID:
            vq->used->ring[0].id = 8;
            break;
        case NOT_HEAD:
            vq->used->ring[0].id = vq->desc[head].next;  /* mid-chain */
            break;
        case BAD_LEN:
            vq->used->ring[0].len = 101;    /* writable part is 100 */
            break;
        case IDX_JUMP:
            d.used_idx = 9;                 /* more than size in flight */
            break;
        }
        fake_publish(&d);
        int lines = log_lines;
        CHECK(vq_get_buf(vq, &len) == NULL);
        CHECK(vq_is_broken(vq));
        CHECK_EQ(vq->stats.bad_used, 1);
        CHECK_EQ(log_lines, lines + 1);
        CHECK(strstr(last_log, "broken") != NULL);
        /* Refused from now on, without more log lines. */
        CHECK(vq_get_buf(vq, &len) == NULL);
        CHECK_EQ(vq_add_buf(vq, sg, 1, 1, &tok[0]), -EIO);
        CHECK(!vq_more_used(vq));
        CHECK(!vq_interrupt(vq));
        CHECK(!vq_poll(vq, 0));
        vq_mark_broken(vq, "again");
        CHECK_EQ(log_lines, lines + 1);
        vq_destroy(vq);
    }
    /* The same queue without the corruption is fine (control case). */
    struct fake_dev d;
    struct virtqueue *vq = mk(8, false, &d);
    int tok;
    struct vq_sg sg = sg_of(bufmem[0], 100);
    vq_add_buf(vq, &sg, 0, 1, &tok);
    fake_run(&d, 1, 100);
    uint32_t len;
    CHECK(vq_get_buf(vq, &len) == &tok);
    CHECK_EQ(len, 100);
    CHECK(!vq_is_broken(vq));
    vq_destroy(vq);
}

static void test_detach_unused(void)
{
    struct fake_dev d;
    struct virtqueue *vq = mk(8, false, &d);
    int tok[3];
    for (int i = 0; i < 3; i++) {
        struct vq_sg sg[2] = { sg_of(bufmem[0], 8), sg_of(bufmem[1], 8) };
        vq_add_buf(vq, sg, 1, 1, &tok[i]);
    }
    int seen = 0;
    void *t;
    while ((t = vq_detach_unused_buf(vq)) != NULL)
        seen |= 1 << ((int *)t - tok);
    CHECK_EQ(seen, 7);
    CHECK_EQ(vq_num_free(vq), 8);
    CHECK_EQ(vq->avail->idx, 0);
    vq_destroy(vq);
}

/* ---- threaded: device thread vs NAPI-style driver loop ---- */

#define STRESS_PACKETS  200000
#define STRESS_SIZE     64
#define STRESS_BUDGET   16

struct stress {
    struct fake_dev dev;
    volatile int irq_pending;       /* the "interrupt line" (an edge) */
    volatile int stop;
    volatile unsigned produced;     /* written by the device thread */
    volatile unsigned received;     /* written by the driver thread */
};

static void *stress_device(void *arg)
{
    struct stress *s = arg;
    unsigned seed = 99;

    while (!s->stop && s->produced < STRESS_PACKETS) {
        unsigned burst = 1 + (seed = seed * 1103515245 + 12345) % 8;
        unsigned n = 0;
        uint32_t len;
        while (n < burst && avail_pending(&s->dev) &&
               s->produced < STRESS_PACKETS) {
            fake_take(&s->dev, 64, s->produced++, &len);
            n++;
        }
        if (n && fake_publish(&s->dev))
            __atomic_store_n(&s->irq_pending, 1, __ATOMIC_SEQ_CST);
        /* Mostly wait until the driver has caught up, so publishing lands
         * while it finishes its poll (the re-enable window) and no later
         * traffic can rescue a lost wake-up. */
        if ((seed >> 16) % 8 != 0)
            while (!s->stop && s->received != s->produced)
                ;
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stress_run(bool event_idx)
{
    struct stress s;
    memset(&s, 0, sizeof(s));
    struct virtqueue *vq = vq_create(0, STRESS_SIZE, event_idx, fake_notify,
                                     NULL, NULL, "stress");
    fake_init(&s.dev, vq);
    static uint8_t bufs[STRESS_SIZE][64];
    for (int i = 0; i < STRESS_SIZE; i++) {
        struct vq_sg sg = sg_of(bufs[i], 64);
        vq_add_buf(vq, &sg, 0, 1, bufs[i]);
    }
    /* Start "open": interrupts armed. */
    vq_enable_cb(vq);

    pthread_t th;
    pthread_create(&th, NULL, stress_device, &s);

    unsigned received = 0, out_of_order = 0, races = 0, irqs = 0, polls = 0;
    unsigned lost_count = 0;
    bool lost = false;
    double idle_since = now_s();
    while (received < STRESS_PACKETS) {
        if (!__atomic_exchange_n(&s.irq_pending, 0, __ATOMIC_SEQ_CST)) {
            /* Idle with interrupts armed.  The device waits for us, so a
             * buffer that sits unseen with no interrupt coming is a lost
             * wake-up: count it, then pick it up to go on. */
            if (now_s() - idle_since > 0.05) {
                if (vq_more_used(vq) && !s.irq_pending) {
                    lost = true;
                    lost_count++;
                    __atomic_store_n(&s.irq_pending, 1, __ATOMIC_SEQ_CST);
                }
                idle_since = now_s();
            }
            continue;
        }
        irqs++;
        vq_disable_cb(vq);                  /* step 3: suppress */
        for (;;) {                          /* the scheduled poll */
            polls++;
            int done = 0;
            void *t;
            uint32_t len;
            while (done < STRESS_BUDGET && (t = vq_get_buf(vq, &len))) {
                uint32_t tag;
                memcpy(&tag, t, 4);
                if (tag != received)
                    out_of_order++;
                received++;
                s.received = received;
                done++;
                struct vq_sg sg = sg_of(t, 64);
                vq_add_buf(vq, &sg, 0, 1, t);
            }
            vq_kick_prepare(vq);
            if (done == STRESS_BUDGET)
                continue;                   /* step 7: stay scheduled */
            uint16_t snap = vq_enable_cb_prepare(vq);   /* 8a */
            if (vq_poll(vq, snap)) {                    /* 8c */
                races++;
                vq_disable_cb(vq);
                continue;
            }
            break;
        }
        idle_since = now_s();
    }
    s.stop = 1;
    pthread_join(th, NULL);
    printf("  stress (event_idx=%d): %u received, %u interrupts, %u polls, "
           "%u re-enable races caught, %u lost wake-ups\n", event_idx,
           received, irqs, polls, races, lost_count);
    CHECK(!lost);
    CHECK_EQ(received, STRESS_PACKETS);
    CHECK_EQ(out_of_order, 0);
    CHECK(!vq_is_broken(vq));
    CHECK(irqs < received);                 /* suppression did something */
    vq_destroy(vq);
}

static void test_stress_flags(void)
{
    stress_run(false);
}

static void test_stress_event_idx(void)
{
    stress_run(true);
}

static void test_no_leaks(void)
{
    CHECK_EQ(frames_live, 0);
}

int main(void)
{
    MT_RUN(test_create_layout);
    MT_RUN(test_add_get);
    MT_RUN(test_bad_add);
    MT_RUN(test_out_of_order);
    MT_RUN(test_wraparound);
    MT_RUN(test_suppress_flags);
    MT_RUN(test_event_idx);
    MT_RUN(test_enable_poll_race);
    MT_RUN(test_interrupt_entry);
    MT_RUN(test_broken);
    MT_RUN(test_detach_unused);
    MT_RUN(test_stress_flags);
    MT_RUN(test_stress_event_idx);
    MT_RUN(test_no_leaks);
    return mt_finish();
}
