/* Split virtqueues, driver side (virtio 1.2 §2.7; the algorithm follows
 * Linux's drivers/virtio/virtio_ring.c, split-ring half).  Called by
 * transports (drivers/virtio/virtio_pci.c) to create queues and by device
 * drivers from thread, softirq and (for the hint functions) hard-IRQ
 * context; see include/virtqueue.h for who serializes what.
 *
 * Portable: only kernel.h, arch.h barriers, mm.h allocation and klog.
 * tests/host/test_virtqueue.c compiles this file with host shims.
 */
#include "virtqueue.h"
#include "arch.h"
#include "mm.h"
#include "printk.h"

/* The used ring is written by the device while we write the avail ring:
 * keep them on different cache lines. */
#define VQ_USED_RING_ALIGN  64

static size_t vq_avail_off(unsigned size)
{
    return sizeof(struct virtq_desc) * size;
}

static size_t vq_used_off(unsigned size)
{
    /* avail: flags, idx, ring[size], used_event (§2.7.6) */
    size_t avail_end = vq_avail_off(size) + 6 + 2 * (size_t)size;
    return ALIGN_UP(avail_end, (size_t)VQ_USED_RING_ALIGN);
}

size_t vq_ring_bytes(unsigned size)
{
    /* used: flags, idx, ring[size] (8 bytes each), avail_event (§2.7.8) */
    return vq_used_off(size) + 6 + 8 * (size_t)size;
}

struct virtqueue *vq_create(unsigned index, unsigned size, bool event_idx,
                            void (*notify)(struct virtqueue *),
                            void (*callback)(struct virtqueue *),
                            void *priv, const char *name)
{
    if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1)) || !notify)
        return NULL;

    struct virtqueue *vq = kzalloc(sizeof(*vq));
    if (!vq)
        return NULL;
    vq->state = kzalloc(sizeof(*vq->state) * size);
    vq->next = kzalloc(sizeof(*vq->next) * size);
    vq->ring_frames = DIV_ROUND_UP(vq_ring_bytes(size), PAGE_SIZE);
    vq->ring_pa = frame_alloc_contig(vq->ring_frames);  /* zeroed */
    if (!vq->state || !vq->next || !vq->ring_pa)
        goto err_free;

    uint8_t *base = phys_to_virt(vq->ring_pa);
    vq->name = name;
    vq->index = index;
    vq->size = (uint16_t)size;     /* 32768 fits; masks use size - 1 */
    vq->event_idx = event_idx;
    vq->desc = (struct virtq_desc *)base;
    vq->avail = (struct virtq_avail *)(base + vq_avail_off(size));
    vq->used = (struct virtq_used *)(base + vq_used_off(size));
    vq->used_event = &vq->avail->ring[size];
    vq->avail_event = (uint16_t *)&vq->used->ring[size];
    vq->desc_pa = vq->ring_pa;
    vq->avail_pa = vq->ring_pa + vq_avail_off(size);
    vq->used_pa = vq->ring_pa + vq_used_off(size);
    vq->notify = notify;
    vq->callback = callback;
    vq->priv = priv;

    /* All descriptors on the free list, linked in order. */
    vq->free_head = 0;
    vq->num_free = (uint16_t)size;
    for (unsigned i = 0; i + 1 < size; i++)
        vq->next[i] = (uint16_t)(i + 1);

    /* No callback: tell the device not to bother (Linux does the same).
     * With EVENT_IDX the flags field must stay 0 (§2.7.7.1) and used_event
     * is parked instead, see vq_disable_cb. */
    if (!callback)
        vq_disable_cb(vq);
    return vq;

err_free:
    if (vq->ring_pa)
        frame_free_contig(vq->ring_pa, vq->ring_frames);
    kfree(vq->next);
    kfree(vq->state);
    kfree(vq);
    return NULL;
}

void vq_destroy(struct virtqueue *vq)
{
    if (!vq)
        return;
    frame_free_contig(vq->ring_pa, vq->ring_frames);
    kfree(vq->next);
    kfree(vq->state);
    kfree(vq);
}

void vq_mark_broken(struct virtqueue *vq, const char *fmt, ...)
{
    char why[96];
    va_list ap;

    vq->stats.bad_used++;
    if (vq->broken)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    vq->broken = true;
    klog("virtqueue %s (%u): broken: %s; queue stopped",
         vq->name ? vq->name : "?", vq->index, why);
}

int vq_add_buf(struct virtqueue *vq, const struct vq_sg *sg, unsigned out,
               unsigned in, void *token)
{
    unsigned total = out + in;

    if (vq->broken)
        return -EIO;
    /* Very unlikely (65535 adds without a kick), but the kick window is a
     * 16-bit difference: notify rather than let it wrap (as Linux does). */
    if (unlikely(vq->num_added == 0xffff))
        vq_kick(vq);
    if (total == 0 || !token)
        return -EINVAL;
    if (total > vq->num_free)
        return -ENOSPC;
    for (unsigned k = 0; k < total; k++)
        if (sg[k].len == 0)
            return -EINVAL;

    uint16_t mask = (uint16_t)(vq->size - 1);
    uint16_t head = vq->free_head;
    uint16_t i = head;
    uint32_t in_len = 0;

    for (unsigned k = 0; k < total; k++) {
        uint16_t flags = 0;
        if (k >= out) {
            flags |= VIRTQ_DESC_F_WRITE;
            in_len += sg[k].len;
        }
        if (k + 1 < total)
            flags |= VIRTQ_DESC_F_NEXT;
        vq->desc[i].addr = sg[k].addr;
        vq->desc[i].len = sg[k].len;
        vq->desc[i].flags = flags;
        vq->desc[i].next = vq->next[i];
        i = vq->next[i];    /* after the last one: the new free head */
    }
    vq->free_head = i;
    vq->num_free -= (uint16_t)total;
    vq->state[head] = (struct vq_desc_state){
        .token = token, .in_len = in_len, .ndesc = (uint16_t)total };

    vq->avail->ring[vq->avail_idx_shadow & mask] = head;
    /* Order: the descriptors and the ring slot must be visible to the
     * device before the index that publishes them (§2.7.13.3). */
    wmb();
    vq->avail_idx_shadow++;
    WRITE_ONCE(vq->avail->idx, vq->avail_idx_shadow);
    vq->num_added++;
    vq->stats.added++;
    return 0;
}

bool vq_kick_prepare(struct virtqueue *vq)
{
    uint16_t new_idx = vq->avail_idx_shadow;
    uint16_t old = (uint16_t)(new_idx - vq->num_added);
    bool needs;

    /* Order: publish avail->idx (store) before reading the device's
     * suppression state (load); otherwise we could read a stale "no
     * notify" while the device, not seeing our index yet, goes to sleep
     * (§2.7.13.4). */
    mb();
    vq->num_added = 0;
    if (vq->event_idx)
        needs = vq_need_event(READ_ONCE(*vq->avail_event), new_idx, old);
    else
        needs = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
    if (needs)
        vq->stats.kicks++;
    else
        vq->stats.kicks_suppressed++;
    return needs;
}

void vq_notify(struct virtqueue *vq)
{
    if (!vq->broken)
        vq->notify(vq);
}

bool vq_kick(struct virtqueue *vq)
{
    if (!vq_kick_prepare(vq))
        return false;
    vq_notify(vq);
    return true;
}

bool vq_more_used(const struct virtqueue *vq)
{
    if (vq->broken)
        return false;
    return vq->last_used_idx != READ_ONCE(vq->used->idx);
}

/* Put a used chain back on the free list, walking our private links. */
static void vq_free_chain(struct virtqueue *vq, uint16_t head)
{
    struct vq_desc_state *st = &vq->state[head];
    uint16_t last = head;

    for (unsigned k = 1; k < st->ndesc; k++)
        last = vq->next[last];
    vq->next[last] = vq->free_head;
    vq->free_head = head;
    vq->num_free += st->ndesc;
    st->token = NULL;
    st->ndesc = 0;
    st->in_len = 0;
}

void *vq_get_buf(struct virtqueue *vq, uint32_t *len)
{
    if (vq->broken)
        return NULL;

    uint16_t used_idx = READ_ONCE(vq->used->idx);
    if (used_idx == vq->last_used_idx)
        return NULL;
    if ((uint16_t)(used_idx - vq->last_used_idx) > vq->size) {
        vq_mark_broken(vq, "used idx %u is %u entries past %u (size %u)",
                       used_idx, (uint16_t)(used_idx - vq->last_used_idx),
                       vq->last_used_idx, vq->size);
        return NULL;
    }
    /* Order: read the index before the entry it covers (§2.7.14), so we
     * never read an entry the device has not finished writing. */
    rmb();

    uint16_t slot = vq->last_used_idx & (uint16_t)(vq->size - 1);
    uint32_t id = READ_ONCE(vq->used->ring[slot].id);
    uint32_t l = READ_ONCE(vq->used->ring[slot].len);

    if (id >= vq->size) {
        vq_mark_broken(vq, "used id %u out of range (size %u)", id, vq->size);
        return NULL;
    }
    struct vq_desc_state *st = &vq->state[id];
    if (!st->token) {
        vq_mark_broken(vq, "used id %u is not a buffer in flight", id);
        return NULL;
    }
    if (l > st->in_len) {
        vq_mark_broken(vq, "used id %u: len %u > writable %u", id, l,
                       st->in_len);
        return NULL;
    }

    void *token = st->token;
    vq_free_chain(vq, (uint16_t)id);
    vq->last_used_idx++;
    vq->stats.used++;
    if (len)
        *len = l;

    /* Interrupts enabled with EVENT_IDX: ask for one at the next entry.
     * Order: the used_event store before our next read of used->idx
     * (store, then full barrier), else the device could skip it. */
    if (vq->event_idx &&
        !(vq->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
        WRITE_ONCE(*vq->used_event, vq->last_used_idx);
        mb();
    }
    return token;
}

void vq_disable_cb(struct virtqueue *vq)
{
    if (vq->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT)
        return;
    vq->avail_flags_shadow |= VIRTQ_AVAIL_F_NO_INTERRUPT;

    /* EVENT_IDX: the device already interrupted for used_event and will not
     * again until it is moved, so there is nothing to write (Linux's
     * event_triggered shortcut). */
    if (vq->event_triggered)
        return;
    if (vq->event_idx) {
        /* Park used_event one behind our consumer index: the device's used
         * index is at or ahead of last_used_idx, so it would have to travel
         * all the way round the 16-bit space to cross it (§2.7.10).  The
         * flags field must stay 0 with EVENT_IDX (§2.7.7.1). */
        WRITE_ONCE(*vq->used_event, (uint16_t)(vq->last_used_idx - 1));
    } else {
        WRITE_ONCE(vq->avail->flags, vq->avail_flags_shadow);
    }
    /* No barrier: this is only a hint, the device may interrupt once more
     * and the handler copes (d.1 step 3). */
}

uint16_t vq_enable_cb_prepare(struct virtqueue *vq)
{
    uint16_t snapshot = vq->last_used_idx;

    vq->event_triggered = false;
    if (vq->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT) {
        vq->avail_flags_shadow &= (uint16_t)~VIRTQ_AVAIL_F_NO_INTERRUPT;
        if (!vq->event_idx)
            WRITE_ONCE(vq->avail->flags, vq->avail_flags_shadow);
    }
    /* With EVENT_IDX: interrupt when the device uses the entry at our
     * consumer index, i.e. the very next one.  Written unconditionally
     * (the slot exists in the ring either way, §2.7.6). */
    WRITE_ONCE(*vq->used_event, snapshot);
    return snapshot;
}

bool vq_poll(struct virtqueue *vq, uint16_t snapshot)
{
    /* Order: the re-arm stores (flags / used_event) before the load of
     * used->idx.  Without the full barrier the load may be satisfied first:
     * we would read a stale index while the device publishes a buffer and
     * reads the stale "suppressed" state, and nobody would look at the
     * buffer (d.1 step 9).  QEMU's device runs in another host thread. */
    mb();
    if (vq->broken)
        return false;
    return snapshot != READ_ONCE(vq->used->idx);
}

bool vq_enable_cb(struct virtqueue *vq)
{
    return !vq_poll(vq, vq_enable_cb_prepare(vq));
}

bool vq_enable_cb_delayed(struct virtqueue *vq)
{
    vq->event_triggered = false;
    if (vq->avail_flags_shadow & VIRTQ_AVAIL_F_NO_INTERRUPT) {
        vq->avail_flags_shadow &= (uint16_t)~VIRTQ_AVAIL_F_NO_INTERRUPT;
        if (!vq->event_idx)
            WRITE_ONCE(vq->avail->flags, vq->avail_flags_shadow);
    }
    /* Ask for an interrupt once ~3/4 of the outstanding buffers are used
     * (only meaningful with EVENT_IDX; without it any use interrupts). */
    uint16_t outstanding =
        (uint16_t)(vq->avail_idx_shadow - vq->last_used_idx);
    uint16_t bufs = (uint16_t)(outstanding * 3 / 4);
    WRITE_ONCE(*vq->used_event, (uint16_t)(vq->last_used_idx + bufs));
    /* Order: used_event store before the used->idx load, as in vq_poll. */
    mb();
    if (vq->broken)
        return true;
    return (uint16_t)(READ_ONCE(vq->used->idx) - vq->last_used_idx) <= bufs;
}

bool vq_interrupt(struct virtqueue *vq)
{
    if (!vq_more_used(vq)) {
        vq->stats.interrupts_none++;
        return false;
    }
    vq->stats.interrupts++;
    /* A hint, racy by design: see vq_disable_cb. */
    if (vq->event_idx)
        vq->event_triggered = true;
    if (vq->callback)
        vq->callback(vq);
    return true;
}

void *vq_detach_unused_buf(struct virtqueue *vq)
{
    for (unsigned i = 0; i < vq->size; i++) {
        void *token = vq->state[i].token;
        if (!token)
            continue;
        vq_free_chain(vq, (uint16_t)i);
        /* Take it back out of the avail ring our shadow knows about. */
        vq->avail_idx_shadow--;
        WRITE_ONCE(vq->avail->idx, vq->avail_idx_shadow);
        return token;
    }
    return NULL;
}
