/* virtio-net transmit path (virtio 1.2 §5.1.6.2; Linux virtio_net.c
 * start_xmit, free_old_xmit, virtnet_poll_tx, virtnet_poll_cleantx): each
 * frame is copied into a buffer of the transmit pool behind a zeroed
 * virtio_net_hdr; completed buffers are reclaimed before each transmit, in
 * the transmit poll (after a completion interrupt) and opportunistically
 * from the receive poll.  Contexts: vnet_xmit from thread or softirq;
 * vnet_tx_done in hard IRQ; vnet_tx_poll in the NET_RX softirq. */
#include "virtio_net.h"
#include "string.h"

int vnet_tx_alloc(struct vnet *vn)
{
    vn->tx_nbufs = vn->txq->size;
    vn->tx_bufs = vnet_pool_alloc(vn->tx_nbufs, &vn->tx_free);
    return vn->tx_bufs ? 0 : -ENOMEM;
}

void vnet_tx_free(struct vnet *vn)
{
    vnet_pool_free(vn->tx_bufs, vn->tx_nbufs);
    vn->tx_bufs = NULL;
    vn->tx_free = NULL;
    vn->tx_nbufs = 0;
}

/* Free every completed buffer.  Caller holds tx_lock. */
static unsigned tx_free_old_locked(struct vnet *vn)
{
    unsigned n = 0;
    struct vnet_buf *b;

    while ((b = vq_get_buf(vn->txq, NULL)) != NULL) {
        vn->nd.stats.tx_packets++;
        vn->nd.stats.tx_bytes += b->len;
        b->next = vn->tx_free;
        vn->tx_free = b;
        n++;
    }
    vn->c.tx_reclaimed += n;
    return n;
}

/* d.1 step 11: sweep with interrupts off, then re-arm for when ~3/4 of what
 * is outstanding has completed; if the device is already past that point,
 * sweep again.  Caller holds tx_lock. */
static unsigned tx_reclaim_locked(struct vnet *vn)
{
    unsigned n = 0;

    do {
        vq_disable_cb(vn->txq);
        n += tx_free_old_locked(vn);
    } while (!vq_enable_cb_delayed(vn->txq) && !vq_is_broken(vn->txq));
    return n;
}

/* d.1 step 4, from the receive poll: only if the lock is free right now
 * (a thread in vnet_xmit holds it when we interrupted it). */
void vnet_tx_reclaim_try(struct vnet *vn)
{
    uint64_t flags = arch_irq_save();
    if (spin_trylock_raw(&vn->tx_lock)) {
        vn->c.tx_reclaim_in_rx += tx_reclaim_locked(vn);
        spin_unlock_raw(&vn->tx_lock);
    }
    arch_irq_restore(flags);
}

int vnet_xmit(struct netdev *nd, const void *frame, size_t len)
{
    struct vnet *vn = nd->priv;

    uint64_t flags = spin_lock_irqsave(&vn->tx_lock);
    if (len < ETH_HLEN || len > ETH_MAX_FRAME || !frame) {
        nd->stats.tx_drop_bad++;
        spin_unlock_irqrestore(&vn->tx_lock, flags);
        return -EINVAL;
    }
    if (!vn->up) {
        nd->stats.tx_drop_full++;
        spin_unlock_irqrestore(&vn->tx_lock, flags);
        return -EAGAIN;
    }
    tx_reclaim_locked(vn);

    struct vnet_buf *b = vn->tx_free;
    if (!b || vq_num_free(vn->txq) == 0 || vq_is_broken(vn->txq)) {
        nd->stats.tx_drop_full++;
        spin_unlock_irqrestore(&vn->tx_lock, flags);
        return -EAGAIN;
    }
    vn->tx_free = b->next;
    memset(b->va, 0, VNET_HDR_LEN);     /* no offloads: all zero (§5.1.6.2) */
    memcpy(b->va + VNET_HDR_LEN, frame, len);
    b->len = (uint32_t)len;
    struct vq_sg sg = { b->pa, (uint32_t)(VNET_HDR_LEN + len) };
    int err = vq_add_buf(vn->txq, &sg, 1, 0, b);
    if (err) {
        b->next = vn->tx_free;
        vn->tx_free = b;
        nd->stats.tx_drop_full++;
        spin_unlock_irqrestore(&vn->tx_lock, flags);
        return -EAGAIN;
    }
    /* Step 12: the ring just filled up: make sure a completion interrupt
     * comes to free it; if completions are already there, schedule the
     * transmit poll to take them. */
    if ((vq_num_free(vn->txq) == 0 || !vn->tx_free) &&
        !vq_enable_cb_delayed(vn->txq))
        vnet_tx_schedule(vn);
    /* Step 13: notify only if the device asked (avail_event / flags). */
    bool kick = vq_kick_prepare(vn->txq);
    spin_unlock_irqrestore(&vn->tx_lock, flags);
    if (kick)
        vq_notify(vn->txq);
    return 0;
}

/* Claim the transmit poll and suppress its interrupt. */
void vnet_tx_schedule(struct vnet *vn)
{
    if (!netpoll_schedule_prep(&vn->tx_np))
        return;
    vq_disable_cb(vn->txq);
    if (vn->gic_mask)
        virtio_pci_vq_irq_mask(&vn->vd, vn->txq);
    netpoll_queue(&vn->tx_np);
}

void vnet_tx_done(struct virtqueue *vq)
{
    struct vnet *vn = vq->priv;

    vn->c.irq_tx++;
    vn->nd.stats.irqs++;
    vnet_tx_schedule(vn);
}

/* Step 14: sweep under the lock, then the 8a-8c re-enable.  Reports no
 * work to netpoll (completions are cheap), so it always completes. */
int vnet_tx_poll(struct netpoll *np, int budget)
{
    struct vnet *vn = np->priv;

    vn->c.tx_polls++;
    uint64_t flags = spin_lock_irqsave(&vn->tx_lock);
    vq_disable_cb(vn->txq);
    tx_free_old_locked(vn);
    spin_unlock_irqrestore(&vn->tx_lock, flags);
    vnet_poll_complete(vn, np, vn->txq, vnet_tx_schedule, &vn->tx_lock);
    return 0;
}
