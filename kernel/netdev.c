/* Network interfaces: a small fixed table of struct netdev, the receive
 * hand-off from driver bottom halves to the stack, and the counter dump.
 * Registration runs in thread context at probe time; netdev_rx() runs in
 * the driver's bottom half (softirq). */
#include "netdev.h"
#include "printk.h"
#include "spinlock.h"

#define NETDEV_MAX  8

/* Protects ndevs/nr_ndevs against concurrent registration.  Thread context
 * only (probe), but IRQ-saving like every lock here, so a reader in any
 * context sees either the old count or a fully written entry. */
static struct spinlock netdev_lock = SPINLOCK_INIT("netdev");
static struct netdev *ndevs[NETDEV_MAX];
static volatile int nr_ndevs;

void netdev_register(struct netdev *nd)
{
    uint64_t flags = spin_lock_irqsave(&netdev_lock);
    int i = nr_ndevs;

    if (i >= NETDEV_MAX) {
        spin_unlock_irqrestore(&netdev_lock, flags);
        klog("netdev: table full (%d), %s not registered", NETDEV_MAX,
             nd->name[0] ? nd->name : "device");
        return;
    }
    if (!nd->name[0])
        snprintf(nd->name, sizeof(nd->name), "eth%d", i);
    if (!nd->mtu)
        nd->mtu = ETH_MAX_FRAME - ETH_HLEN;
    ndevs[i] = nd;
    /* Publish the entry before the count that makes it visible. */
    __atomic_store_n(&nr_ndevs, i + 1, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&netdev_lock, flags);
    klog("netdev: %s registered, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s",
         nd->name, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3],
         nd->mac[4], nd->mac[5], nd->link_up ? "up" : "down");
}

struct netdev *netdev_get(int index)
{
    if (index < 0 || index >= __atomic_load_n(&nr_ndevs, __ATOMIC_ACQUIRE))
        return NULL;
    return ndevs[index];
}

/* Context: the driver's receive bottom half.  The frame is only borrowed:
 * the handler copies what it keeps before returning. */
void netdev_rx(struct netdev *nd, const void *frame, size_t len,
               unsigned flags)
{
    nd->stats.rx_packets++;
    nd->stats.rx_bytes += len;
    void (*handler)(struct netdev *, const void *, size_t, unsigned) =
        READ_ONCE(nd->rx_handler);
    if (!handler) {
        nd->stats.rx_drop_nohandler++;
        return;
    }
    handler(nd, frame, len, flags);
}

void netdev_dump(struct netdev *nd)
{
    const struct netdev_stats *s = &nd->stats;

    kprintf("%s: MAC %02x:%02x:%02x:%02x:%02x:%02x mtu %u link %s\n",
            nd->name, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3],
            nd->mac[4], nd->mac[5], nd->mtu, nd->link_up ? "up" : "down");
    kprintf("  rx: packets %lu bytes %lu drops: short %lu long %lu nomem %lu "
            "nohandler %lu\n", (unsigned long)s->rx_packets,
            (unsigned long)s->rx_bytes, (unsigned long)s->rx_drop_short,
            (unsigned long)s->rx_drop_long, (unsigned long)s->rx_drop_nomem,
            (unsigned long)s->rx_drop_nohandler);
    kprintf("  tx: packets %lu bytes %lu drops: full %lu bad %lu\n",
            (unsigned long)s->tx_packets, (unsigned long)s->tx_bytes,
            (unsigned long)s->tx_drop_full, (unsigned long)s->tx_drop_bad);
    kprintf("  irqs %lu polls %lu budget_exhausted %lu reenable_races %lu\n",
            (unsigned long)s->irqs, (unsigned long)s->polls,
            (unsigned long)s->budget_exhausted,
            (unsigned long)s->reenable_races);
    if (nd->dump)
        nd->dump(nd);
}
