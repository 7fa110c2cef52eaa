/* ARP for IPv4 over Ethernet (RFC 826), with a small cache and a bounded
 * queue of packets waiting for an answer. */
#include "net.h"
#include "printk.h"
#include "string.h"
#include "time.h"

#define ARP_HTYPE_ETHER     1
#define ARP_OP_REQUEST      1
#define ARP_OP_REPLY        2
#define ARP_CACHE_SIZE      16
#define ARP_QUEUE_SIZE      8
#define ARP_MAX_AGE_NS      (60 * NSEC_PER_SEC)  /* then re-resolve */
#define ARP_RETRY_NS        (1 * NSEC_PER_SEC)

struct arp_pkt {
    uint16_t htype, ptype;
    uint8_t hlen, plen;
    uint16_t op;
    uint8_t sha[ETH_ALEN];
    uint32_t spa;
    uint8_t tha[ETH_ALEN];
    uint32_t tpa;
} __attribute__((packed));

struct arp_entry {
    in_addr_t ip;
    uint8_t mac[ETH_ALEN];
    bool valid;             /* mac known */
    uint64_t updated_ns;    /* last reply, or last request if !valid */
};

struct arp_queued {
    in_addr_t next_hop;     /* 0 = free slot */
    size_t len;
    uint8_t pkt[ETH_MAX_FRAME - ETH_HLEN];
};

/* arp_lock protects the cache and the queue.  Taken from the receive
 * bottom half and from thread context (sends): IRQ-saving. */
static struct spinlock arp_lock = SPINLOCK_INIT("arp");
static struct arp_entry cache[ARP_CACHE_SIZE];
static struct arp_queued queue[ARP_QUEUE_SIZE];

static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct arp_entry *cache_find(in_addr_t ip)
{
    for (int i = 0; i < ARP_CACHE_SIZE; i++)
        if (cache[i].ip == ip && ip)
            return &cache[i];
    return NULL;
}

/* A slot for ip: free, or else the oldest entry. */
static struct arp_entry *cache_slot(in_addr_t ip)
{
    struct arp_entry *e = cache_find(ip), *oldest = &cache[0];

    if (e)
        return e;
    for (int i = 0; i < ARP_CACHE_SIZE; i++) {
        if (!cache[i].ip)
            return &cache[i];
        if (cache[i].updated_ns < oldest->updated_ns)
            oldest = &cache[i];
    }
    memset(oldest, 0, sizeof(*oldest));
    return oldest;
}

static void arp_send(struct netif *nif, uint16_t op, const uint8_t *tha,
                     in_addr_t tpa, const uint8_t *dst)
{
    struct arp_pkt p = {
        .htype = htons(ARP_HTYPE_ETHER), .ptype = htons(ETH_P_IP),
        .hlen = ETH_ALEN, .plen = 4, .op = htons(op),
        .spa = nif->addr, .tpa = tpa,
    };

    memcpy(p.sha, nif->nd->mac, ETH_ALEN);
    memcpy(p.tha, tha, ETH_ALEN);
    if (op == ARP_OP_REQUEST)
        net_stats.arp_requests_sent++;
    else
        net_stats.arp_replies_sent++;
    eth_output(nif->nd, dst, ETH_P_ARP, &p, sizeof(p));
}

static const uint8_t zero_mac[ETH_ALEN];

/* Gratuitous ARP at link-up (RFC 5227 §3 "announcement"). */
void arp_announce(struct netif *nif)
{
    arp_send(nif, ARP_OP_REQUEST, zero_mac, nif->addr, bcast);
}

/* Sends the packets that waited for `ip`, now that its MAC is known. */
static void arp_flush(struct netif *nif, in_addr_t ip, const uint8_t *mac)
{
    static uint8_t buf[ETH_MAX_FRAME - ETH_HLEN];

    for (int i = 0; i < ARP_QUEUE_SIZE; i++) {
        uint64_t flags = spin_lock_irqsave(&arp_lock);
        size_t len = 0;
        if (queue[i].next_hop == ip) {
            len = queue[i].len;
            memcpy(buf, queue[i].pkt, len);
            queue[i].next_hop = 0;
        }
        spin_unlock_irqrestore(&arp_lock, flags);
        if (len)
            eth_output(nif->nd, mac, ETH_P_IP, buf, len);
    }
}

void arp_input(struct netif *nif, const void *data, size_t len)
{
    struct arp_pkt p;

    net_stats.arp_rx++;
    if (len < sizeof(p)) {
        net_stats.arp_drop_bad++;
        return;
    }
    memcpy(&p, data, sizeof(p));
    if (ntohs(p.htype) != ARP_HTYPE_ETHER || ntohs(p.ptype) != ETH_P_IP ||
        p.hlen != ETH_ALEN || p.plen != 4 ||
        (ntohs(p.op) != ARP_OP_REQUEST && ntohs(p.op) != ARP_OP_REPLY) ||
        (p.sha[0] & 1)) {
        net_stats.arp_drop_bad++;
        return;
    }
    uint64_t flags = spin_lock_irqsave(&nif->cfg_lock);
    in_addr_t me = nif->configured ? nif->addr : 0;
    spin_unlock_irqrestore(&nif->cfg_lock, flags);
    if (!me)
        return;

    /* RFC 826 "merge": update an existing entry for the sender; add one
     * if the packet is for us. */
    bool for_us = p.tpa == me;
    bool learned = false;
    flags = spin_lock_irqsave(&arp_lock);
    struct arp_entry *e = cache_find(p.spa);
    if (!e && for_us && p.spa)
        e = cache_slot(p.spa);
    if (e) {
        e->ip = p.spa;
        memcpy(e->mac, p.sha, ETH_ALEN);
        e->valid = true;
        e->updated_ns = time_ns();
        learned = true;
    }
    spin_unlock_irqrestore(&arp_lock, flags);

    if (for_us && ntohs(p.op) == ARP_OP_REQUEST)
        arp_send(nif, ARP_OP_REPLY, p.sha, p.spa, p.sha);
    if (learned)
        arp_flush(nif, p.spa, p.sha);
}

bool arp_lookup(in_addr_t ip, uint8_t mac[ETH_ALEN])
{
    uint64_t flags = spin_lock_irqsave(&arp_lock);
    struct arp_entry *e = cache_find(ip);
    bool ok = e && e->valid;

    if (ok)
        memcpy(mac, e->mac, ETH_ALEN);
    spin_unlock_irqrestore(&arp_lock, flags);
    return ok;
}

int arp_output(struct netif *nif, in_addr_t next_hop, const void *pkt,
               size_t len)
{
    uint8_t mac[ETH_ALEN];
    bool send_request = false, queued = false, known;
    uint64_t now = time_ns();

    if (len > sizeof(queue[0].pkt))
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&arp_lock);
    struct arp_entry *e = cache_find(next_hop);
    known = e && e->valid;
    if (known) {
        memcpy(mac, e->mac, ETH_ALEN);
        /* Old entry: keep using it, but ask again (refresh). */
        if (now - e->updated_ns > ARP_MAX_AGE_NS) {
            send_request = true;
            e->updated_ns = now - ARP_MAX_AGE_NS + ARP_RETRY_NS;
        }
    } else {
        if (!e) {
            e = cache_slot(next_hop);
            e->ip = next_hop;
            /* Never asked: a request is due now (time_ns() starts at 0, so
             * a zero stamp would look recent during the first second). */
            e->updated_ns = now - ARP_RETRY_NS;
        }
        if (now - e->updated_ns >= ARP_RETRY_NS) {
            send_request = true;
            e->updated_ns = now;
        }
        for (int i = 0; i < ARP_QUEUE_SIZE && !queued; i++) {
            if (!queue[i].next_hop) {
                queue[i].next_hop = next_hop;
                queue[i].len = len;
                memcpy(queue[i].pkt, pkt, len);
                queued = true;
            }
        }
        if (!queued)
            net_stats.arp_queue_drop++;
    }
    spin_unlock_irqrestore(&arp_lock, flags);

    if (send_request)
        arp_send(nif, ARP_OP_REQUEST, zero_mac, next_hop, bcast);
    if (known)
        return eth_output(nif->nd, mac, ETH_P_IP, pkt, len);
    return queued ? 0 : -EAGAIN;
}
