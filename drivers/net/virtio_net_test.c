/* In-kernel tests of the virtio-net driver and the virtio PCI transport on
 * QEMU's device.  They need one virtio-net-pci device (the harness passes
 * mac=52:54:00:12:34:56) and FAIL without it; they need no peer: frames
 * sent are completed by QEMU whether or not a backend takes them.  Tests
 * that change the interrupt mode or probe the device afresh put the
 * default (net.irq=) back before they end. */
#include "virtio_net.h"
#include "cmdline.h"
#include "gicv2m.h"
#include "irq.h"
#include "ktest.h"
#include "mm.h"
#include "string.h"
#include "time.h"

#define NO_DEV  "device not present (run QEMU with -device virtio-net-pci," \
                "mac=52:54:00:12:34:56)"
#define WAIT_NS (2000 * NSEC_PER_MSEC)

static const uint8_t expected_mac[ETH_ALEN] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* The first usable virtio-net device (bad ones the harness adds to test
 * refusals may come before it), or the first one to say why not. */
static struct vnet *first_vnet(void)
{
    for (int i = 0; i < vnet_count(); i++)
        if (vnet_get(i)->probe_err == 0)
            return vnet_get(i);
    return vnet_get(0);
}

#define GET_VNET(t, vn)                                                     \
    struct vnet *vn = first_vnet();                                         \
    KT_ASSERT(t, vn != NULL, NO_DEV);                                       \
    KT_ASSERT(t, vn->probe_err == 0 && vn->up,                              \
              "device present but not usable (error %d)", vn->probe_err)

/* Idle: neither poll scheduled, the receive ring full again and every
 * transmitted frame reclaimed. */
static bool wait_idle(struct vnet *vn)
{
    uint64_t end = time_ns() + WAIT_NS;

    while (time_ns() < end) {
        if (!netpoll_is_scheduled(&vn->rx_np) &&
            !netpoll_is_scheduled(&vn->tx_np) &&
            vq_num_free(vn->rxq) == 0 &&
            vq_num_free(vn->txq) == vn->txq->size)
            return true;
        sleep_ms(1);
    }
    return false;
}

/* A broadcast frame no stack answers: EtherType 0x88B5 (IEEE 802 local
 * experimental).  QEMU completes it with or without a backend. */
static void make_frame(struct vnet *vn, uint8_t *f, size_t len)
{
    memset(f, 0xff, ETH_ALEN);
    memcpy(f + ETH_ALEN, vn->nd.mac, ETH_ALEN);
    f[12] = 0x88;
    f[13] = 0xb5;
    for (size_t i = ETH_HLEN; i < len; i++)
        f[i] = (uint8_t)i;
}

/* Sends n frames; returns how many completed (reclaimed) within the wait. */
static unsigned send_and_wait(struct vnet *vn, unsigned n)
{
    uint8_t frame[64];
    uint64_t base = vn->nd.stats.tx_packets;
    unsigned sent = 0;

    make_frame(vn, frame, sizeof(frame));
    for (unsigned i = 0; i < n; i++) {
        if (vn->nd.xmit(&vn->nd, frame, sizeof(frame)) == 0)
            sent++;
    }
    uint64_t end = time_ns() + WAIT_NS;
    while (vn->nd.stats.tx_packets - base < sent && time_ns() < end)
        sleep_ms(1);
    return (unsigned)(vn->nd.stats.tx_packets - base);
}

/* The mode we must end up in when asking for `m`: QEMU's virtio-net has
 * MSI-X (unless vectors=0) and INTx, never plain MSI. */
static enum vnet_mode expected_mode(struct vnet *vn, enum vnet_mode m)
{
    struct pci_dev *d = vn->pci;

    if (m == VNET_MODE_MSIX && !d->cap_msix)
        m = VNET_MODE_MSI;
    if (m == VNET_MODE_MSI && !d->cap_msi)
        m = VNET_MODE_INTX;
    if (m == VNET_MODE_INTX && !d->irq_pin)
        m = VNET_MODE_POLL;
    return m;
}

static enum vnet_mode asked_on_cmdline(void)
{
    const char *s = cmdline_get("net.irq");
    for (int m = VNET_MODE_MSIX; m <= VNET_MODE_POLL; m++)
        if (s && strcmp(s, vnet_mode_name((enum vnet_mode)m)) == 0)
            return (enum vnet_mode)m;
    return VNET_MODE_MSIX;
}

/* The checks every open device passes, in the mode it is in. */
static void check_open_device(struct ktest_ctx *t, struct vnet *vn,
                              const char *when)
{
    KT_EXPECT(t, wait_idle(vn), "%s: receive ring not full (%u free) or a "
              "poll stuck", when, vq_num_free(vn->rxq));
    KT_EXPECT(t, vn->rx_free == NULL, "%s: buffers left unposted", when);

    uint64_t irq_tx = vn->c.irq_tx;
    unsigned done = send_and_wait(vn, 16);
    KT_EXPECT(t, done == 16, "%s: %u of 16 frames completed", when, done);
    if (vn->mode != VNET_MODE_POLL)
        KT_EXPECT(t, vn->c.irq_tx > irq_tx, "%s: no transmit completion "
                  "interrupt", when);
    KT_EXPECT(t, !vq_is_broken(vn->rxq) && !vq_is_broken(vn->txq),
              "%s: queue broken", when);
}

KTEST_DEV(virtio_net, present)
{
    GET_VNET(t, vn);
    bool registered = false;
    for (int i = 0; netdev_get(i); i++)
        if (netdev_get(i) == &vn->nd)
            registered = true;
    KT_EXPECT(t, registered, "%s is not registered as a netdev", vn->name);
    KT_EXPECT(t, virtio_has_feature(&vn->vd, VIRTIO_F_VERSION_1),
              "VERSION_1 not negotiated");
    KT_EXPECT(t, vn->rxq->size > 0 && vn->txq->size > 0, "no queues");
    KT_EXPECT(t, virtio_pci_status(&vn->vd) ==
              (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
               VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK),
              "device status %#x", virtio_pci_status(&vn->vd));
}

KTEST_DEV(virtio_net, mac_from_config)
{
    GET_VNET(t, vn);
    KT_EXPECT(t, virtio_has_feature(&vn->vd, VIRTIO_NET_F_MAC),
              "VIRTIO_NET_F_MAC not negotiated");
    KT_EXPECT(t, memcmp(vn->nd.mac, expected_mac, ETH_ALEN) == 0,
              "MAC %02x:%02x:%02x:%02x:%02x:%02x, want 52:54:00:12:34:56",
              vn->nd.mac[0], vn->nd.mac[1], vn->nd.mac[2], vn->nd.mac[3],
              vn->nd.mac[4], vn->nd.mac[5]);
    KT_EXPECT(t, vn->nd.link_up, "link down");
}

KTEST_DEV(virtio_net, rx_ring_full_after_init)
{
    GET_VNET(t, vn);
    KT_ASSERT(t, wait_idle(vn), "receive ring has %u free entries",
              vq_num_free(vn->rxq));
    KT_EXPECT(t, vn->rx_free == NULL, "pool buffers not posted");
    KT_EXPECT(t, vn->c.rx_refills >= vn->rxq->size, "only %lu posted",
              (unsigned long)vn->c.rx_refills);
    /* Deferred enable happened: the receive vector is no longer held. */
    int v = virtio_pci_vq_vector(&vn->vd, vn->rxq);
    if (v >= 0 && !vn->gic_mask)
        KT_EXPECT(t, vn->vd.vec_hold[v] == 0, "rx vector still masked");
}

KTEST_DEV(virtio_net, mode_matches_cmdline)
{
    GET_VNET(t, vn);
    enum vnet_mode asked = asked_on_cmdline();
    enum vnet_mode want = expected_mode(vn, asked);
    KT_EXPECT(t, vn->mode_asked == asked, "asked %s, net.irq says %s",
              vnet_mode_name(vn->mode_asked), vnet_mode_name(asked));
    KT_EXPECT(t, vn->mode == want, "mode %s, want %s for net.irq=%s",
              vnet_mode_name(vn->mode), vnet_mode_name(want),
              vnet_mode_name(asked));
    static const enum pci_irq_mode pci_mode[] = {
        [VNET_MODE_MSIX] = PCI_IRQ_MSIX, [VNET_MODE_MSI] = PCI_IRQ_MSI,
        [VNET_MODE_INTX] = PCI_IRQ_INTX, [VNET_MODE_POLL] = PCI_IRQ_POLL };
    KT_EXPECT(t, vn->pci->irq_mode == pci_mode[vn->mode], "PCI mode %s",
              pci_irq_mode_name(vn->pci->irq_mode));
    if (vn->mode == VNET_MODE_MSIX)
        KT_EXPECT(t, vn->vd.mode == VIRTIO_IRQ_MSIX_PER_VQ,
                  "transport mode %s, want per-queue vectors",
                  virtio_irq_mode_name(vn->vd.mode));
}

KTEST_DEV(virtio_net, tx_completes)
{
    GET_VNET(t, vn);
    check_open_device(t, vn, vnet_mode_name(vn->mode));
}

/* Bad lengths from the wire are counted drops (the receive path's checks,
 * called as the poll would, with the poll held off). */
KTEST_DEV(virtio_net, rx_bad_lengths)
{
    GET_VNET(t, vn);
    static uint8_t buf[VNET_BUF_SIZE];
    make_frame(vn, buf + VNET_HDR_LEN, 60);

    netpoll_disable(&vn->rx_np);
    /* The stack's handler expects the bottom half: keep it out of this. */
    void (*handler)(struct netdev *, const void *, size_t, unsigned) =
        vn->nd.rx_handler;
    WRITE_ONCE(vn->nd.rx_handler, NULL);
    struct netdev_stats s0 = vn->nd.stats;
    vnet_rx_frame(vn, buf, 0);
    vnet_rx_frame(vn, buf, VNET_HDR_LEN);               /* header only */
    vnet_rx_frame(vn, buf, VNET_HDR_LEN + ETH_HLEN - 1);
    vnet_rx_frame(vn, buf, VNET_HDR_LEN + ETH_MAX_FRAME + 1);
    vnet_rx_frame(vn, buf, VNET_BUF_SIZE + 1);         /* past the buffer */
    vnet_rx_frame(vn, buf, VNET_HDR_LEN + 60);          /* a good one */
    struct netdev_stats s1 = vn->nd.stats;
    WRITE_ONCE(vn->nd.rx_handler, handler);
    netpoll_enable(&vn->rx_np);
    vnet_rx_schedule(vn);       /* whatever arrived meanwhile */

    KT_EXPECT(t, s1.rx_drop_short - s0.rx_drop_short == 3, "short drops %lu",
              (unsigned long)(s1.rx_drop_short - s0.rx_drop_short));
    KT_EXPECT(t, s1.rx_drop_long - s0.rx_drop_long == 2, "long drops %lu",
              (unsigned long)(s1.rx_drop_long - s0.rx_drop_long));
    KT_EXPECT(t, s1.rx_packets - s0.rx_packets == 1 &&
              s1.rx_drop_nohandler - s0.rx_drop_nohandler == 1,
              "good frame: rx_packets +%lu, nohandler +%lu",
              (unsigned long)(s1.rx_packets - s0.rx_packets),
              (unsigned long)(s1.rx_drop_nohandler - s0.rx_drop_nohandler));
}

KTEST_DEV(virtio_net, tx_bad_lengths)
{
    GET_VNET(t, vn);
    uint8_t f[ETH_MAX_FRAME + 1];
    make_frame(vn, f, sizeof(f));
    uint64_t bad = vn->nd.stats.tx_drop_bad;
    KT_EXPECT(t, vn->nd.xmit(&vn->nd, f, 0) == -EINVAL, "len 0 accepted");
    KT_EXPECT(t, vn->nd.xmit(&vn->nd, f, ETH_HLEN - 1) == -EINVAL,
              "len 13 accepted");
    KT_EXPECT(t, vn->nd.xmit(&vn->nd, f, ETH_MAX_FRAME + 1) == -EINVAL,
              "len 1515 accepted");
    KT_EXPECT(t, vn->nd.xmit(&vn->nd, NULL, 60) == -EINVAL, "NULL accepted");
    KT_EXPECT(t, vn->nd.stats.tx_drop_bad - bad == 4, "tx_drop_bad +%lu",
              (unsigned long)(vn->nd.stats.tx_drop_bad - bad));
    KT_EXPECT(t, vn->nd.xmit(&vn->nd, f, ETH_MAX_FRAME) == 0,
              "a full-size frame was refused");
}

/* A burst of a whole ring and more with interrupts off, then a transmit
 * pool with nothing free: -EAGAIN and tx_drop_full, never a hang, and
 * everything accepted completes. */
KTEST_DEV(virtio_net, tx_ring_full)
{
    GET_VNET(t, vn);
    uint8_t f[64];
    make_frame(vn, f, sizeof(f));
    KT_ASSERT(t, wait_idle(vn), "not idle before the test");
    uint64_t base = vn->nd.stats.tx_packets;
    unsigned sent = 0;

    uint64_t flags = arch_irq_save();
    for (unsigned i = 0; i < vn->txq->size + 16u; i++)
        if (vn->nd.xmit(&vn->nd, f, sizeof(f)) == 0)
            sent++;
    arch_irq_restore(flags);
    uint64_t end = time_ns() + WAIT_NS;
    while (vn->nd.stats.tx_packets - base < sent && time_ns() < end)
        sleep_ms(1);
    KT_EXPECT(t, sent >= 16, "only %u of %u sent", sent, vn->txq->size + 16u);
    KT_EXPECT(t, vn->nd.stats.tx_packets - base == sent, "%lu of %u "
              "completed", (unsigned long)(vn->nd.stats.tx_packets - base),
              sent);

    /* Every buffer busy: with all completions reclaimed, take the free
     * list away for a moment. */
    KT_ASSERT(t, wait_idle(vn), "not idle after the burst");
    flags = spin_lock_irqsave(&vn->tx_lock);
    struct vnet_buf *stash = vn->tx_free;
    vn->tx_free = NULL;
    spin_unlock_irqrestore(&vn->tx_lock, flags);
    uint64_t full = vn->nd.stats.tx_drop_full;
    int err = vn->nd.xmit(&vn->nd, f, sizeof(f));
    uint64_t full_after = vn->nd.stats.tx_drop_full;
    flags = spin_lock_irqsave(&vn->tx_lock);
    if (stash) {
        struct vnet_buf *last = stash;
        while (last->next)
            last = last->next;
        last->next = vn->tx_free;
        vn->tx_free = stash;
    }
    spin_unlock_irqrestore(&vn->tx_lock, flags);
    KT_EXPECT(t, err == -EAGAIN && full_after == full + 1,
              "no free buffer: xmit %d, tx_drop_full +%lu", err,
              (unsigned long)(full_after - full));
    KT_EXPECT(t, wait_idle(vn), "not idle afterwards");
}

/* Every interrupt mode the device can give, one after the other, then the
 * default again: vectors are freed and reallocated each time. */
KTEST_DEV(virtio_net, all_modes)
{
    GET_VNET(t, vn);
    unsigned spis = gicv2m_used();
    for (int m = VNET_MODE_MSIX; m <= VNET_MODE_POLL; m++) {
        int err = vnet_reopen(vn, m);
        KT_EXPECT(t, err == 0, "reopen %s: %d", vnet_mode_name(m), err);
        if (err)
            break;
        enum vnet_mode want = expected_mode(vn, (enum vnet_mode)m);
        KT_EXPECT(t, vn->mode == want, "asked %s, got %s, want %s",
                  vnet_mode_name(m), vnet_mode_name(vn->mode),
                  vnet_mode_name(want));
        check_open_device(t, vn, vnet_mode_name(vn->mode));
        if (vn->mode == VNET_MODE_POLL)
            KT_EXPECT(t, vn->c.poll_ticks > 0, "poll mode never ticked");
    }
    KT_ASSERT(t, vnet_reopen(vn, -1) == 0, "reopen default failed");
    KT_EXPECT(t, gicv2m_used() == spis, "SPIs in use %u, %u before",
              gicv2m_used(), spis);
    check_open_device(t, vn, "default again");
}

/* Bad input: the GICv2m frame runs out of SPIs.  Per-queue vectors (3)
 * fail, the shared pair (2) works; with none left the line (INTx) does. */
KTEST_DEV(virtio_net, spi_exhaustion_steps_down)
{
    GET_VNET(t, vn);
    KT_ASSERT(t, gicv2m_present(), "no GICv2m frame");
    if (!vn->pci->cap_msix) {
        /* vectors=0: nothing to exhaust; INTx is what we must be using. */
        KT_EXPECT(t, vn->mode == VNET_MODE_INTX || vn->mode == VNET_MODE_POLL,
                  "no MSI-X but mode %s", vnet_mode_name(vn->mode));
        return;
    }
    vnet_close(vn);
    /* Hold one SPI so the cap below is never 0 (0 means "no cap"). */
    int hold = gicv2m_alloc(1);
    KT_ASSERT(t, hold >= 0, "cannot allocate an SPI: %d", hold);
    unsigned used = gicv2m_used();

    gicv2m_set_limit(used + 2);
    int err = vnet_reopen(vn, VNET_MODE_MSIX);
    KT_EXPECT(t, err == 0 && vn->vd.mode == VIRTIO_IRQ_MSIX_SHARED,
              "2 SPIs left: error %d, mode %s", err,
              virtio_irq_mode_name(vn->vd.mode));
    if (!err)
        check_open_device(t, vn, "shared vector");

    vnet_close(vn);
    gicv2m_set_limit(used);
    err = vnet_reopen(vn, VNET_MODE_MSIX);
    KT_EXPECT(t, err == 0 && vn->mode == VNET_MODE_INTX,
              "no SPI left: error %d, mode %s", err, vnet_mode_name(vn->mode));
    if (!err)
        check_open_device(t, vn, "fallback to INTx");

    vnet_close(vn);
    gicv2m_free((unsigned)hold, 1);
    gicv2m_set_limit(0);
    KT_ASSERT(t, vnet_reopen(vn, -1) == 0, "reopen default failed");
    check_open_device(t, vn, "default again");
}

/* Bad input: a queue the device reports with size 0.  QEMU's virtio-net
 * has receiveq, transmitq and controlq; queue 3 does not exist, so asking
 * for four queues meets queue_size 0.  Probed afresh on a closed device;
 * nothing is left behind. */
KTEST_DEV(virtio_net, queue_size_zero)
{
    GET_VNET(t, vn);
    vnet_close(vn);
    struct virtio_pci_dev *vd = kzalloc(sizeof(*vd));
    KT_ASSERT(t, vd, "out of memory");
    int err = virtio_pci_probe(vd, vn->pci, "qsize0-test");
    KT_EXPECT(t, err == 0, "probe: %d", err);
    if (!err)
        err = virtio_pci_negotiate(vd, VIRTIO_BIT(VIRTIO_F_VERSION_1));
    KT_EXPECT(t, err == 0, "negotiate: %d", err);
    if (!err) {
        KT_EXPECT(t, virtio_pci_queue_size(vd, 3) == 0, "queue 3 exists");
        struct virtio_vq_desc desc[4] = {
            { "q0", NULL, 0, NULL }, { "q1", NULL, 0, NULL },
            { "q2", NULL, 0, NULL }, { "q3", NULL, 0, NULL } };
        struct virtqueue *vqs[4];
        unsigned spis = gicv2m_used();
        err = virtio_pci_find_vqs(vd, 4, desc, vqs, PCI_IRQ_ALLOW_ALL);
        KT_EXPECT(t, err == -ENOENT, "find_vqs with a size-0 queue: %d", err);
        KT_EXPECT(t, vd->mode == VIRTIO_IRQ_NONE && vd->nvec == 0,
                  "vectors left allocated");
        KT_EXPECT(t, gicv2m_used() == spis, "SPIs leaked");
        virtio_pci_fail(vd);
        KT_EXPECT(t, virtio_pci_status(vd) & VIRTIO_STATUS_FAILED,
                  "FAILED not set");
        virtio_pci_teardown(vd);
    }
    kfree(vd);
    KT_ASSERT(t, vnet_reopen(vn, -1) == 0, "reopen failed");
    check_open_device(t, vn, "after the bad probe");
}

/* Every virtio-net function the kernel found: usable, or refused for the
 * right reason.  Bad devices appear only when the harness adds them:
 *   -device virtio-net-pci,disable-modern=on      legacy-only: refused
 *       (-ENODEV, "legacy-only device"), never touched
 *   -device virtio-net-pci,disable-legacy=on,iommu_platform=on
 *       needs VIRTIO_F_ACCESS_PLATFORM, which we do not accept: the device
 *       clears FEATURES_OK, we log "device rejected features", status
 *       FAILED (-EIO) */
KTEST_DEV(virtio_net, every_device_accounted)
{
    KT_ASSERT(t, vnet_count() > 0, NO_DEV);
    for (int i = 0; i < vnet_count(); i++) {
        struct vnet *vn = vnet_get(i);
        struct virtio_pci_dev *vd = &vn->vd;
        if (vn->probe_err == 0) {
            KT_EXPECT(t, vn->up, "%s: no error but down", vn->name);
            KT_EXPECT(t, vn->pci->driver_data == vn, "%s: not owned",
                      vn->name);
            continue;
        }
        KT_EXPECT(t, vn->pci->driver_data == NULL, "%s: refused but owned",
                  vn->name);
        if (!vd->common) {
            KT_EXPECT(t, vn->probe_err == -ENODEV, "%s: legacy-only, error "
                      "%d", vn->name, vn->probe_err);
            continue;
        }
        KT_EXPECT(t, virtio_pci_status(vd) & VIRTIO_STATUS_FAILED,
                  "%s refused but status %#x", vn->name,
                  virtio_pci_status(vd));
        if (vd->device_features & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM))
            KT_EXPECT(t, vn->probe_err == -EIO && vd->features == 0,
                      "%s: needs ACCESS_PLATFORM: error %d, features %#lx",
                      vn->name, vn->probe_err, (unsigned long)vd->features);
    }
}
