/* virtio-net receive path (virtio 1.2 §5.1.6.3-4; Linux virtio_net.c
 * skb_recv_done, virtnet_poll, try_fill_recv): the receive queue is kept
 * full of VNET_BUF_SIZE buffers; the interrupt only claims the poll and
 * suppresses; the poll hands up to `budget` frames to the stack, refills,
 * and re-enables race-free (STYLE.md d.1).  Contexts: vnet_rx_done in hard
 * IRQ; vnet_rx_poll in the NET_RX softirq; vnet_rx_refill also from the
 * opening thread before the poll can run. */
#include "virtio_net.h"
#include "mm.h"
#include "printk.h"
#include "string.h"

int vnet_rx_alloc(struct vnet *vn)
{
    vn->rx_nbufs = vn->rxq->size;
    vn->rx_bufs = vnet_pool_alloc(vn->rx_nbufs, &vn->rx_free);
    return vn->rx_bufs ? 0 : -ENOMEM;
}

/* After the device was reset: nothing is in flight any more. */
void vnet_rx_free(struct vnet *vn)
{
    vnet_pool_free(vn->rx_bufs, vn->rx_nbufs);
    vn->rx_bufs = NULL;
    vn->rx_free = NULL;
    vn->rx_nbufs = 0;
}

static struct vnet_buf *rx_buf_get(struct vnet *vn)
{
    if (vn->rx_fail_inject) {
        vn->rx_fail_inject--;
        return NULL;
    }
    struct vnet_buf *b = vn->rx_free;
    if (b)
        vn->rx_free = b->next;
    return b;
}

static void rx_buf_put(struct vnet *vn, struct vnet_buf *b)
{
    b->next = vn->rx_free;
    vn->rx_free = b;
}

/* Post buffers until the queue is full.  If none is left to post, count it
 * and leave the rest to the driver thread, which schedules the poll again
 * every VNET_POLL_PERIOD_MS until a refill succeeds (Linux's refill_work):
 * an empty ring would otherwise never interrupt again.  Returns buffers
 * posted.  Context: the rx poll (or open, before it runs). */
unsigned vnet_rx_refill(struct vnet *vn)
{
    unsigned posted = 0;
    bool failed = false;

    while (vq_num_free(vn->rxq) > 0) {
        struct vnet_buf *b = rx_buf_get(vn);
        if (!b) {
            failed = true;
            break;
        }
        /* One device-writable descriptor: header and frame together
         * (VERSION_1 implies any layout, §2.6.4). */
        struct vq_sg sg = { b->pa, VNET_BUF_SIZE };
        if (vq_add_buf(vn->rxq, &sg, 0, 1, b) != 0) {
            rx_buf_put(vn, b);
            break;          /* broken queue: nothing more to do */
        }
        posted++;
    }
    if (failed) {
        vn->c.rx_refill_failed++;
        vn->nd.stats.rx_drop_nomem++;
        if (!vn->refill_pending) {
            vn->refill_pending = true;
            wake_up(&vn->wq);
        }
    } else {
        vn->refill_pending = false;
    }
    vn->c.rx_refills += posted;
    if (posted && vq_kick_prepare(vn->rxq))
        vq_notify(vn->rxq);
    return posted;
}

/* Claim the receive poll and suppress its interrupt (d.1 step 3).  From
 * the interrupt, the re-enable race check, the opening thread and the
 * poll-mode thread. */
void vnet_rx_schedule(struct vnet *vn)
{
    if (!netpoll_schedule_prep(&vn->rx_np))
        return;
    vq_disable_cb(vn->rxq);
    if (vn->gic_mask)
        virtio_pci_vq_irq_mask(&vn->vd, vn->rxq);
    netpoll_queue(&vn->rx_np);
}

/* The queue's interrupt callback (hard IRQ, through vq_interrupt, which
 * already checked that there is something new): count, suppress,
 * schedule; nothing else. */
void vnet_rx_done(struct virtqueue *vq)
{
    struct vnet *vn = vq->priv;

    vn->c.irq_rx++;
    vn->nd.stats.irqs++;
    vnet_rx_schedule(vn);
}

/* A whole packet, header first, contiguous in buf. */
static void rx_deliver(struct vnet *vn, const uint8_t *buf, uint32_t len)
{
    /* len counts the virtio_net_hdr too.  Bad lengths are the wire's (or
     * the device's) doing: count and drop, never trust them further. */
    if (len < VNET_HDR_LEN + ETH_HLEN) {
        vn->nd.stats.rx_drop_short++;
        return;
    }
    const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)buf;
    uint32_t flen = len - (uint32_t)VNET_HDR_LEN;
    /* Only a coalesced segment (GUEST_TSO4) may exceed the MTU. */
    uint32_t max = vn->rx_gso && h->gso_type != VIRTIO_NET_HDR_GSO_NONE
                       ? VNET_MAX_GSO_FRAME : ETH_MAX_FRAME;
    if (flen > max) {
        vn->nd.stats.rx_drop_long++;
        return;
    }
    unsigned flags = 0;
    /* §5.1.6.4: both flags mean there is no checksum left to verify (with
     * NEEDS_CSUM the field holds only the pseudo-header sum, so checking
     * it would wrongly fail).  Only believed if we asked for GUEST_CSUM. */
    if (vn->rx_csum &&
        (h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))) {
        flags |= NETDEV_RX_CSUM_OK;
        vn->c.rx_csum_ok++;
    }
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE)
        vn->c.rx_gso++;
    netdev_rx(&vn->nd, buf + VNET_HDR_LEN, flen, flags);
}

/* One used receive buffer holding a whole packet. */
void vnet_rx_frame(struct vnet *vn, const uint8_t *buf, uint32_t len)
{
    if (len > VNET_BUF_SIZE) {      /* more than we posted: a device bug */
        vn->nd.stats.rx_drop_long++;
        return;
    }
    rx_deliver(vn, buf, len);
}

/* §5.1.6.4.2: with MRG_RXBUF a packet spans num_buffers used buffers,
 * which the device returns in order; the first one is `first`.  They are
 * gathered into rx_big (one copy; the stack copies again only what it
 * keeps).  A count the ring cannot supply, or a total past the largest
 * packet, is a broken device: counted, and the buffers go back. */
static void rx_merged(struct vnet *vn, struct vnet_buf *first, uint32_t len,
                      unsigned nbufs)
{
    const uint32_t cap = VNET_HDR_LEN + VNET_MAX_GSO_FRAME;
    uint32_t total = 0;
    bool ok = len <= cap;

    vn->c.rx_merged++;
    if (ok) {
        memcpy(vn->rx_big, first->va, len);
        total = len;
    }
    rx_buf_put(vn, first);
    for (unsigned i = 1; i < nbufs; i++) {
        uint32_t l;
        struct vnet_buf *b = vq_get_buf(vn->rxq, &l);
        if (!b) {
            ok = false;
            break;
        }
        if (ok && l <= VNET_BUF_SIZE && total + l <= cap) {
            memcpy(vn->rx_big + total, b->va, l);
            total += l;
        } else {
            ok = false;
        }
        rx_buf_put(vn, b);
    }
    if (!ok) {
        vn->c.rx_drop_merge++;
        vn->nd.stats.rx_drop_long++;
        return;
    }
    rx_deliver(vn, vn->rx_big, total);
}

int vnet_rx_poll(struct netpoll *np, int budget)
{
    struct vnet *vn = np->priv;
    int done = 0;

    vn->c.rx_polls++;
    vn->nd.stats.polls++;
    /* d.1 step 4: transmit completions, if nobody holds the lock now. */
    vnet_tx_reclaim_try(vn);

    /* Step 5: up to budget frames.  A broken queue yields nothing. */
    while (done < budget) {
        uint32_t len;
        struct vnet_buf *b = vq_get_buf(vn->rxq, &len);
        if (!b)
            break;
        unsigned nbufs = 1;
        if (vn->rx_mrg && len >= VNET_HDR_LEN)
            nbufs = ((const struct virtio_net_hdr *)b->va)->num_buffers;
        if (nbufs > 1) {
            rx_merged(vn, b, len, nbufs);
        } else {
            vnet_rx_frame(vn, b->va, len);
            rx_buf_put(vn, b);  /* the stack copied what it keeps */
        }
        done++;
    }
    /* Step 6: keep the ring full ("refilled as consumed"). */
    if (vq_num_free(vn->rxq))
        vnet_rx_refill(vn);

    if (done >= budget) {
        /* Step 7: stay scheduled, interrupts stay off. */
        vn->nd.stats.budget_exhausted++;
        return done;
    }
    /* Step 8: ring dry, re-enable without losing a wake-up. */
    vnet_poll_complete(vn, np, vn->rxq, vnet_rx_schedule, NULL);
    return done;
}
