/* virtio-net driver internals (virtio 1.2 §5.1), shared by
 * virtio_net.c (probe, open/close, configuration, poll thread),
 * virtio_net_rx.c, virtio_net_tx.c and the tests.  The kernel-wide entry
 * point virtio_net_init() is declared in include/virtio.h. */
#ifndef VIRTIO_NET_PRIV_H
#define VIRTIO_NET_PRIV_H

#include "netdev.h"
#include "netpoll.h"
#include "sched.h"
#include "spinlock.h"
#include "virtio_pci.h"

/* §5.1.3 Feature bits (only those we name). */
#define VIRTIO_NET_F_CSUM           0
#define VIRTIO_NET_F_GUEST_CSUM     1
#define VIRTIO_NET_F_MTU            3
#define VIRTIO_NET_F_MAC            5
#define VIRTIO_NET_F_GUEST_TSO4     7
#define VIRTIO_NET_F_HOST_TSO4      11
#define VIRTIO_NET_F_MRG_RXBUF      15
#define VIRTIO_NET_F_STATUS         16
#define VIRTIO_NET_F_CTRL_VQ        17
#define VIRTIO_NET_F_MQ             22

/* §5.1.4 Device configuration layout (offsets). */
#define VIRTIO_NET_CFG_MAC          0   /* u8 mac[6] */
#define VIRTIO_NET_CFG_STATUS       6   /* le16 status, with F_STATUS */
#define VIRTIO_NET_S_LINK_UP        1
#define VIRTIO_NET_S_ANNOUNCE       2

/* §5.1.6 struct virtio_net_hdr: with VIRTIO_F_VERSION_1 it always has
 * num_buffers, so it is 12 bytes.  Little-endian, like the CPU.  We send
 * it zeroed (no transmit offloads); on receive, flags and num_buffers
 * matter once the offloads below are negotiated. */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr");

#define VNET_HDR_LEN        sizeof(struct virtio_net_hdr)
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1   /* §5.1.6.4: checksum left partial */
#define VIRTIO_NET_HDR_F_DATA_VALID 2   /* checksum already verified */
#define VIRTIO_NET_HDR_GSO_NONE     0
/* With GUEST_TSO4 a received "frame" is a TCP segment of up to an IPv4
 * datagram's 64 KiB (§5.1.6.4.1: the device coalesced the wire's). */
#define VNET_MAX_GSO_FRAME  (ETH_HLEN + 65535)
/* One buffer holds the header and a whole frame (§5.1.6.3.1 asks for at
 * least 1526 bytes without MRG_RXBUF/GSO); two fit in a page. */
#define VNET_BUF_SIZE       2048
#define VNET_BUFS_PER_PAGE  (PAGE_SIZE / VNET_BUF_SIZE)
#define VNET_RX_RING_MAX    256
#define VNET_TX_RING_MAX    256
#define VNET_POLL_PERIOD_MS 10      /* poll mode: 100 Hz */
#define VNET_MAX_DEVS       4

#define VNET_RXQ            0       /* §5.1.2: receiveq1 */
#define VNET_TXQ            1       /* transmitq1 */

/* A DMA buffer from the driver's pools. */
struct vnet_buf {
    uint8_t *va;
    paddr_t pa;
    uint32_t len;               /* tx: frame bytes queued */
    struct vnet_buf *next;      /* free list */
};

/* Interrupt mode asked for (net.irq=) and in effect. */
enum vnet_mode { VNET_MODE_MSIX, VNET_MODE_MSI, VNET_MODE_INTX,
                 VNET_MODE_POLL };

struct vnet_counters {
    uint64_t irq_rx, irq_tx, irq_config;    /* per source, hard IRQ */
    uint64_t rx_polls, tx_polls;
    uint64_t rx_refill_failed;  /* refill found no buffer: deferred */
    uint64_t rx_refills;        /* buffers posted */
    uint64_t tx_reclaimed;      /* completions freed */
    uint64_t tx_reclaim_in_rx;  /* of those, freed from the receive poll */
    uint64_t tx_races;          /* delayed re-arm found completions */
    uint64_t poll_ticks;        /* poll mode timer rounds */
    uint64_t link_changes;
    uint64_t rx_merged;         /* packets spanning several buffers */
    uint64_t rx_gso;            /* coalesced segments (gso_type != NONE) */
    uint64_t rx_csum_ok;        /* checksum vouched for by the device */
    uint64_t rx_drop_merge;     /* num_buffers the ring could not supply */
};

struct vnet {
    struct netdev nd;
    struct virtio_pci_dev vd;
    struct pci_dev *pci;
    int index;
    char name[8];
    char rx_name[16], tx_name[16];
    int probe_err;              /* last open's result, for the tests */

    /* Fixed while open. */
    bool up;
    enum vnet_mode mode_asked;
    enum vnet_mode mode;
    unsigned allowed;           /* PCI_IRQ_ALLOW_* from the mode asked */
    bool gic_mask;              /* mask the vector while a poll is due */
    struct virtqueue *rxq, *txq;
    struct netpoll rx_np, tx_np;

    /* Receive side.  Owned by rx_np: only its poll (softirq) touches rxq
     * and the free list once the device is open (before that: the opening
     * thread, with the poll not yet schedulable). */
    struct vnet_buf *rx_bufs;
    unsigned rx_nbufs;
    struct vnet_buf *rx_free;
    unsigned rx_fail_inject;    /* tests: fail this many refills */
    volatile bool refill_pending;
    /* Receive offloads negotiated (net.offload=0 turns them off): checksum,
     * TSO4 receive, mergeable buffers.  rx_big gathers a merged packet. */
    bool rx_csum, rx_gso, rx_mrg;
    uint8_t *rx_big;

    /* Transmit side.  tx_lock protects txq, tx_free and the tx counters in
     * nd.stats; taken from thread context (xmit), softirq (xmit from the
     * stack, tx poll, the rx poll's trylock reclaim): IRQ-saving, since a
     * softirq may run at the exit of any interrupt that hits a holder. */
    struct spinlock tx_lock;
    struct vnet_buf *tx_bufs;
    unsigned tx_nbufs;
    struct vnet_buf *tx_free;

    /* The driver thread: configuration changes, deferred refill, poll mode.
     * config_pending is set from hard IRQ, cleared by the thread. */
    struct thread *thread;
    struct waitq wq;
    volatile bool config_pending;
    uint8_t cfg_gen;

    struct vnet_counters c;
};

/* virtio_net.c */
struct vnet *vnet_get(int i);           /* probed devices, NULL past end */
int vnet_count(void);
const char *vnet_mode_name(enum vnet_mode m);
/* Tests: close the device and open it again limited to `mode`, or to
 * the mode net.irq= asked for when mode < 0. */
int vnet_reopen(struct vnet *vn, int mode);
void vnet_close(struct vnet *vn);
int vnet_open(struct vnet *vn);
/* DMA buffer pools: n buffers of VNET_BUF_SIZE, two per frame, linked
 * on a free list; NULL when out of memory. */
struct vnet_buf *vnet_pool_alloc(unsigned n, struct vnet_buf **free_list);
void vnet_pool_free(struct vnet_buf *bufs, unsigned n);
/* The re-enable sequence (d.1 step 8), shared by rx and tx polls; `lock`
 * (may be NULL) is the one that serializes vq, held for 8a-8b. */
void vnet_poll_complete(struct vnet *vn, struct netpoll *np,
                        struct virtqueue *vq,
                        void (*resched)(struct vnet *vn),
                        struct spinlock *lock);

/* virtio_net_rx.c */
int vnet_rx_alloc(struct vnet *vn);
void vnet_rx_free(struct vnet *vn);
unsigned vnet_rx_refill(struct vnet *vn);
void vnet_rx_done(struct virtqueue *vq);        /* hard IRQ callback */
void vnet_rx_schedule(struct vnet *vn);
int vnet_rx_poll(struct netpoll *np, int budget);
/* One received buffer's worth: checks and hands the frame up. */
void vnet_rx_frame(struct vnet *vn, const uint8_t *buf, uint32_t len);

/* virtio_net_tx.c */
int vnet_tx_alloc(struct vnet *vn);
void vnet_tx_free(struct vnet *vn);
int vnet_xmit(struct netdev *nd, const void *frame, size_t len);
void vnet_tx_done(struct virtqueue *vq);        /* hard IRQ callback */
void vnet_tx_schedule(struct vnet *vn);
int vnet_tx_poll(struct netpoll *np, int budget);
void vnet_tx_reclaim_try(struct vnet *vn);

#endif
