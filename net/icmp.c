/* ICMP (RFC 792): answer echo requests, count destination-unreachable,
 * and a kernel-side ping for tests. */
#include "net.h"
#include "sched.h"
#include "string.h"
#include "tcp.h"
#include "time.h"

#define ICMP_ECHO_REPLY     0
#define ICMP_DEST_UNREACH   3
#define ICMP_ECHO_REQUEST   8
#define ICMP_PING_ID        0x4b54      /* our echo identifier */

struct icmp_hdr {
    uint8_t type, code;
    uint16_t csum;
    uint16_t id, seq;
} __attribute__((packed));

/* One outstanding kernel ping at a time; ping_lock protects it (receive
 * bottom half and thread context). */
static struct spinlock ping_lock = SPINLOCK_INIT("ping");
static struct {
    bool waiting, answered;
    uint16_t seq;
    in_addr_t from;
} ping;
static struct waitq ping_wq = {
    .lock = SPINLOCK_INIT("ping-wq"),
    .waiters = LIST_HEAD_INIT(ping_wq.waiters),
};

void icmp_input(struct netif *nif, const struct ipv4_hdr *ip,
                const void *data, size_t len)
{
    struct icmp_hdr h;

    net_stats.icmp_rx++;
    if (len < sizeof(h) || inet_csum(data, len) != 0xffff) {
        net_stats.icmp_drop_bad++;
        return;
    }
    memcpy(&h, data, sizeof(h));
    switch (h.type) {
    case ICMP_ECHO_REQUEST: {
        uint8_t reply[ETH_MAX_FRAME - ETH_HLEN - sizeof(struct ipv4_hdr)];
        if (len > sizeof(reply) || ip->dst == 0xffffffff) {
            net_stats.icmp_drop_bad++;
            return;
        }
        memcpy(reply, data, len);
        struct icmp_hdr *r = (struct icmp_hdr *)reply;
        r->type = ICMP_ECHO_REPLY;
        r->code = 0;
        r->csum = 0;
        r->csum = (uint16_t)~inet_csum(reply, len);
        net_stats.icmp_echo_replied++;
        ip_output(nif, ip->src, IP_PROTO_ICMP, reply, len);
        break;
    }
    case ICMP_ECHO_REPLY: {
        net_stats.icmp_echo_replies_rx++;
        bool wake = false;
        uint64_t flags = spin_lock_irqsave(&ping_lock);
        if (ping.waiting && ntohs(h.id) == ICMP_PING_ID &&
            ntohs(h.seq) == ping.seq && ip->src == ping.from) {
            ping.answered = true;
            wake = true;
        }
        spin_unlock_irqrestore(&ping_lock, flags);
        if (wake)
            wake_up(&ping_wq);
        break;
    }
    case ICMP_DEST_UNREACH:
        net_stats.icmp_unreach++;
        /* The quoted datagram follows the 8-byte header (RFC 792). */
        tcp_icmp_unreach((const struct ipv4_hdr *)((const uint8_t *)data + sizeof(h)),
                         len - sizeof(h), h.code);
        break;
    default:
        break;
    }
}

int64_t icmp_ping(in_addr_t dst, uint16_t seq, uint64_t timeout_ns)
{
    uint8_t pkt[sizeof(struct icmp_hdr) + 56];
    struct icmp_hdr *h = (struct icmp_hdr *)pkt;

    for (size_t i = sizeof(*h); i < sizeof(pkt); i++)
        pkt[i] = (uint8_t)i;
    h->type = ICMP_ECHO_REQUEST;
    h->code = 0;
    h->id = htons(ICMP_PING_ID);
    h->seq = htons(seq);
    h->csum = 0;
    h->csum = (uint16_t)~inet_csum(pkt, sizeof(pkt));

    uint64_t flags = spin_lock_irqsave(&ping_lock);
    ping.waiting = true;
    ping.answered = false;
    ping.seq = seq;
    ping.from = dst;
    spin_unlock_irqrestore(&ping_lock, flags);

    uint64_t t0 = time_ns();
    int err = ip_output(&net_if, dst, IP_PROTO_ICMP, pkt, sizeof(pkt));
    bool ok = err == 0 &&
              wait_event_timeout(&ping_wq, READ_ONCE(ping.answered), timeout_ns);
    uint64_t rtt = time_ns() - t0;

    flags = spin_lock_irqsave(&ping_lock);
    ping.waiting = false;
    spin_unlock_irqrestore(&ping_lock, flags);
    if (err)
        return err;
    return ok ? (int64_t)rtt : -ETIMEDOUT;
}
