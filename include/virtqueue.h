/* Split virtqueues (virtio 1.2 §2.7), the driver side: a descriptor table,
 * an available ring the driver writes and a used ring the device writes, in
 * one physically contiguous DMA allocation.  Transport-independent and
 * portable: tests/host/test_virtqueue.c builds it on the host against a
 * simulated device.
 *
 * Serialization (as Linux's virtio_ring.c): the caller serializes every
 * operation on one queue, except vq_disable_cb(), vq_more_used() and
 * vq_interrupt(), which are hints and may run from the interrupt handler
 * while a bottom half owns the queue.  Typically the queue is owned by the
 * bottom half (NAPI-style netpoll) or by a lock the driver documents.
 *
 * Buffers are scatter lists of DMA (physical) addresses: out entries first
 * (device-readable), then in entries (device-writable).  Each buffer carries
 * a non-NULL token, handed back by vq_get_buf() when the device is done.
 *
 * Interrupt suppression mirrors Linux: vq_disable_cb() asks the device not to
 * interrupt, vq_enable_cb_prepare() re-arms and returns a snapshot, and
 * vq_poll(snapshot) issues a full barrier and says whether buffers arrived
 * since the snapshot (the race-free re-enable, DESIGN/STYLE d.1 steps 8-9).
 */
#ifndef VIRTQUEUE_H
#define VIRTQUEUE_H

#include "kernel.h"

/* virtio 1.2 §2.7.5: descriptor flags. */
#define VIRTQ_DESC_F_NEXT       1   /* chain continues in `next` */
#define VIRTQ_DESC_F_WRITE      2   /* device-writable (else readable) */
#define VIRTQ_DESC_F_INDIRECT   4   /* not used by us */

/* virtio 1.2 §2.7.6 / §2.7.8: suppression flags (only without EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT  1   /* driver: no used-buffer interrupts */
#define VIRTQ_USED_F_NO_NOTIFY      1   /* device: no avail notifications */

/* virtio 1.2 §2.7: queue sizes are at most 32768; we also require a power
 * of two (16-bit ring indices wrap at 65536 and are taken modulo the size). */
#define VQ_MAX_SIZE             32768

/* Part alignments, virtio 1.2 §2.7 table "Virtqueue Part Alignment". */
#define VIRTQ_DESC_ALIGN        16
#define VIRTQ_AVAIL_ALIGN       2
#define VIRTQ_USED_ALIGN        4

/* Ring layouts, little-endian as on our CPU (virtio 1.x is LE). */
struct virtq_desc {
    uint64_t addr;      /* guest-physical buffer address */
    uint32_t len;
    uint16_t flags;     /* VIRTQ_DESC_F_* */
    uint16_t next;      /* next descriptor if F_NEXT */
};

struct virtq_avail {
    uint16_t flags;     /* VIRTQ_AVAIL_F_* (0 with EVENT_IDX) */
    uint16_t idx;       /* where the driver puts the next entry (mod 2^16) */
    uint16_t ring[];    /* heads of chains; then le16 used_event */
};

struct virtq_used_elem {
    uint32_t id;        /* head of the used chain */
    uint32_t len;       /* bytes written into the chain's writable part */
};

struct virtq_used {
    uint16_t flags;     /* VIRTQ_USED_F_* */
    uint16_t idx;       /* where the device puts the next entry */
    struct virtq_used_elem ring[];  /* then le16 avail_event */
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "ring fields are stored without byte swapping");

/* virtio 1.2 §2.7.10 (vring_need_event): with EVENT_IDX, the other side
 * wants a notification if the index moved from old to new_idx across
 * event_idx, i.e. event_idx lies in [old, new_idx) modulo 2^16. */
static inline bool vq_need_event(uint16_t event_idx, uint16_t new_idx,
                                 uint16_t old)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* One scatter-gather entry: a DMA address and a length. */
struct vq_sg {
    paddr_t addr;
    uint32_t len;
};

struct vq_stats {
    uint64_t added;             /* buffers made available */
    uint64_t used;              /* buffers returned by vq_get_buf */
    uint64_t kicks;             /* vq_kick_prepare said "notify" */
    uint64_t kicks_suppressed;  /* ... said the device does not need one */
    uint64_t interrupts;        /* vq_interrupt found work */
    uint64_t interrupts_none;   /* vq_interrupt found nothing ("not mine") */
    uint64_t bad_used;          /* used entries that broke the queue */
};

/* Our own record of a chain in flight, indexed by its head descriptor.  The
 * device can write the rings but never this, so freeing a chain does not
 * trust shared memory. */
struct vq_desc_state {
    void *token;        /* NULL: not a head in flight */
    uint32_t in_len;    /* device-writable bytes in the chain */
    uint16_t ndesc;     /* descriptors in the chain */
};

struct virtqueue {
    /* Fixed at vq_create(). */
    const char *name;
    unsigned index;             /* queue number at the transport */
    uint16_t size;              /* entries, a power of two */
    bool event_idx;             /* VIRTIO_F_EVENT_IDX negotiated */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t *used_event;       /* in the avail ring, driver-written */
    uint16_t *avail_event;      /* in the used ring, device-written */
    paddr_t desc_pa, avail_pa, used_pa;
    paddr_t ring_pa;            /* the whole allocation */
    size_t ring_frames;
    void (*notify)(struct virtqueue *vq);   /* transport: tell the device */
    void (*callback)(struct virtqueue *vq); /* driver: used buffers arrived */
    void *priv;                 /* driver's */
    void *transport;            /* transport's */

    /* Driver-side state, serialized by the caller. */
    uint16_t free_head;         /* first free descriptor */
    uint16_t num_free;
    uint16_t avail_idx_shadow;  /* our copy of avail->idx */
    uint16_t avail_flags_shadow;/* our copy of the suppression state */
    uint16_t num_added;         /* made available since the last kick */
    uint16_t last_used_idx;     /* next used entry we will read */
    struct vq_desc_state *state;
    uint16_t *next;             /* private copy of the chain links */

    /* Written from interrupt context too (hints, single writes). */
    volatile bool broken;       /* the device broke the protocol: stop */
    volatile bool event_triggered;  /* EVENT_IDX: an interrupt fired, the
                                     * device will not fire again until we
                                     * re-arm, so disabling can be skipped */
    struct vq_stats stats;
};

/* Bytes of ring memory for `size` entries (descriptor table, avail ring,
 * used ring with the used ring cache-line aligned). */
size_t vq_ring_bytes(unsigned size);

/* Allocate a queue of `size` entries (a power of two, 1..VQ_MAX_SIZE) with
 * zeroed rings in DMA memory.  notify is required; callback may be NULL
 * (then interrupts start disabled).  Returns NULL for a bad size or when
 * out of memory.  Context: thread. */
struct virtqueue *vq_create(unsigned index, unsigned size, bool event_idx,
                            void (*notify)(struct virtqueue *),
                            void (*callback)(struct virtqueue *),
                            void *priv, const char *name);
/* Free the queue.  The device must no longer use it (reset first). */
void vq_destroy(struct virtqueue *vq);

/* Expose a buffer of out + in entries.  Returns 0; -ENOSPC if fewer than
 * out + in descriptors are free; -EINVAL for no entries, a NULL token or a
 * zero-length entry; -EIO if the queue is broken.  Does not notify. */
int vq_add_buf(struct virtqueue *vq, const struct vq_sg *sg, unsigned out,
               unsigned in, void *token);
/* Next buffer the device has finished with: its token, and in *len the
 * bytes the device wrote.  NULL if there is none, or if the used entry is
 * bad (id out of range, not a head in flight, length beyond the writable
 * part, index running ahead): the queue is then marked broken (counted,
 * logged once) and every later call returns NULL. */
void *vq_get_buf(struct virtqueue *vq, uint32_t *len);
/* After a batch of vq_add_buf: true if the device wants a notification
 * (VIRTQ_USED_F_NO_NOTIFY / avail_event, §2.7.10).  Then call vq_notify(),
 * which may be done outside the caller's lock. */
bool vq_kick_prepare(struct virtqueue *vq);
void vq_notify(struct virtqueue *vq);
/* vq_kick_prepare() + vq_notify(); returns whether it notified. */
bool vq_kick(struct virtqueue *vq);

/* Interrupt suppression, see the file comment.  vq_disable_cb is a hint
 * (the device may still interrupt once), callable from interrupt context. */
void vq_disable_cb(struct virtqueue *vq);
uint16_t vq_enable_cb_prepare(struct virtqueue *vq);
/* Full barrier, then: did the device publish used buffers after snapshot? */
bool vq_poll(struct virtqueue *vq, uint16_t snapshot);
/* Re-arm; false if buffers are already pending (the caller polls again). */
bool vq_enable_cb(struct virtqueue *vq);
/* Re-arm for when about 3/4 of the outstanding buffers are used (transmit
 * completions); false if the device is already past that point. */
bool vq_enable_cb_delayed(struct virtqueue *vq);

/* Used buffers waiting?  A hint when called outside the owner's context. */
bool vq_more_used(const struct virtqueue *vq);
/* The interrupt-side entry (Linux's vring_interrupt): false if the queue has
 * nothing new or is broken (count it as not ours); otherwise notes the event
 * and calls the callback.  Context: hard IRQ. */
bool vq_interrupt(struct virtqueue *vq);

/* Teardown, after the device was reset: tokens of buffers never used, one
 * per call, NULL when none are left. */
void *vq_detach_unused_buf(struct virtqueue *vq);

static inline unsigned vq_num_free(const struct virtqueue *vq)
{
    return vq->num_free;
}

static inline bool vq_is_broken(const struct virtqueue *vq)
{
    return vq->broken;
}

/* Mark the queue broken (also used by transports on device errors). */
void vq_mark_broken(struct virtqueue *vq, const char *fmt, ...) __printf(2, 3);

#endif
