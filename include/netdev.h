/* A network interface as the stack sees it.  Drivers fill in the MAC and
 * the transmit hook and hand received frames to netdev_rx() from their
 * bottom half; the stack installs rx_handler. */
#ifndef NETDEV_H
#define NETDEV_H

#include "kernel.h"

#define ETH_ALEN        6
#define ETH_HLEN        14
#define ETH_MIN_FRAME   ETH_HLEN
#define ETH_MAX_FRAME   1514    /* without FCS */

struct netdev_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t tx_packets, tx_bytes;
    uint64_t rx_drop_short;     /* shorter than an Ethernet header */
    uint64_t rx_drop_long;      /* longer than the buffer / MTU */
    uint64_t rx_drop_nomem;     /* no buffer to refill with */
    uint64_t rx_drop_nohandler; /* no stack attached */
    uint64_t tx_drop_full;      /* transmit ring full */
    uint64_t tx_drop_bad;       /* bad length */
    uint64_t irqs;              /* receive/transmit interrupts taken */
    uint64_t polls;             /* bottom-half poll runs */
    uint64_t budget_exhausted;  /* polls that used their whole budget */
    uint64_t reenable_races;    /* work found right after re-enabling */
};

struct netdev {
    char name[8];
    uint8_t mac[ETH_ALEN];
    uint16_t mtu;
    bool link_up;
    /* Queue one frame for transmission (copied); 0 or -EAGAIN when full,
     * -EINVAL for a bad length.  Callable from thread and softirq context. */
    int (*xmit)(struct netdev *nd, const void *frame, size_t len);
    /* Set by the stack; called from the receive bottom half.  flags:
     * NETDEV_RX_* facts the device established about the frame. */
    void (*rx_handler)(struct netdev *nd, const void *frame, size_t len,
                       unsigned flags);
    /* Prints driver counters (per-vector interrupts, mode...). */
    void (*dump)(struct netdev *nd);
    void *priv;
    struct netdev_stats stats;
};

void netdev_register(struct netdev *nd);
struct netdev *netdev_get(int index);   /* NULL past the last */
/* The device checked the transport checksum, or the host handed over a
 * frame whose checksum was never computed (virtio NEEDS_CSUM): either way
 * there is nothing left to verify. */
#define NETDEV_RX_CSUM_OK   0x1

/* Drivers call this for each good received frame. */
void netdev_rx(struct netdev *nd, const void *frame, size_t len,
               unsigned flags);
void netdev_dump(struct netdev *nd);

#endif
