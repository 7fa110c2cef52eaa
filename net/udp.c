/* UDP (RFC 768): port demultiplexing, checksums with the IPv4 pseudo-header,
 * bounded per-socket receive queues, and the SOCK_DGRAM socket operations. */
#include "dhcp.h"
#include "list.h"
#include "mm.h"
#include "printk.h"
#include "socket.h"
#include "string.h"
#include "time.h"

#define UDP_HLEN            8
#define UDP_RCVQ_MAX        32          /* datagrams queued per socket */
#define UDP_EPHEMERAL_FIRST 49152       /* RFC 6335 §6 dynamic ports */
#define UDP_EPHEMERAL_LAST  65535
#define UDP_MAX_PAYLOAD     (ETH_MAX_FRAME - ETH_HLEN - 20 - UDP_HLEN)
#define DHCP_CLIENT_PORT    68      /* replies go to the DHCP client */

struct udp_hdr {
    uint16_t sport, dport, len, csum;
} __attribute__((packed));

struct udp_dgram {
    struct list_head node;
    in_addr_t from;
    uint16_t port;          /* network order */
    size_t len;
    uint8_t data[];
};

struct udp_pcb {
    struct list_head node;
    struct socket *sock;
    uint16_t lport;         /* host order, 0 = unbound */
    in_addr_t raddr;        /* connected peer, 0 if none */
    uint16_t rport;         /* network order */
    struct list_head rcvq;
    unsigned nq;
};

struct udp_stats udp_stats;

/* udp_lock protects the PCB list and every receive queue.  Taken from the
 * receive bottom half (udp_input) and thread context (socket calls):
 * IRQ-saving. */
static struct spinlock udp_lock = SPINLOCK_INIT("udp");
static struct list_head pcbs = LIST_HEAD_INIT(pcbs);
static uint16_t next_ephemeral = UDP_EPHEMERAL_FIRST;

/* Pseudo-header + UDP header + data (RFC 768 "Fields"). */
static uint16_t udp_csum(in_addr_t src, in_addr_t dst, const void *udp,
                         size_t len)
{
    uint32_t sum = inet_pseudo_sum(src, dst, IP_PROTO_UDP, (uint16_t)len);
    return inet_csum_fold(inet_csum_add(sum, udp, len));
}

static struct udp_pcb *pcb_by_port(uint16_t port)
{
    struct list_head *p;

    list_for_each(p, &pcbs) {
        struct udp_pcb *pcb = list_entry(p, struct udp_pcb, node);
        if (pcb->lport == port)
            return pcb;
    }
    return NULL;
}

void udp_input(struct netif *nif, const struct ipv4_hdr *ip, const void *data,
               size_t len, unsigned rx_flags)
{
    struct udp_hdr h;

    udp_stats.rx++;
    if (len < UDP_HLEN) {
        udp_stats.drop_short++;
        return;
    }
    memcpy(&h, data, sizeof(h));
    size_t ulen = ntohs(h.len);
    if (ulen < UDP_HLEN || ulen > len) {
        udp_stats.drop_len++;
        return;
    }
    if (h.csum && !(rx_flags & NETDEV_RX_CSUM_OK) &&
        udp_csum(ip->src, ip->dst, data, ulen) != 0xffff) {
        udp_stats.drop_csum++;
        return;
    }
    if (ntohs(h.dport) == DHCP_CLIENT_PORT) {
        dhcp_input(ip, data, ulen);
        return;
    }
    size_t plen = ulen - UDP_HLEN;
    struct udp_dgram *d = kmalloc(sizeof(*d) + plen);
    if (!d) {
        udp_stats.drop_nomem++;
        return;
    }
    d->from = ip->src;
    d->port = h.sport;
    d->len = plen;
    memcpy(d->data, (const uint8_t *)data + UDP_HLEN, plen);

    struct socket *wake = NULL;
    uint64_t flags = spin_lock_irqsave(&udp_lock);
    struct udp_pcb *pcb = pcb_by_port(ntohs(h.dport));
    if (!pcb || (pcb->raddr && (pcb->raddr != ip->src || pcb->rport != h.sport))) {
        udp_stats.drop_noport++;
    } else if (pcb->nq >= UDP_RCVQ_MAX) {
        udp_stats.drop_full++;
    } else {
        list_add_tail(&d->node, &pcb->rcvq);
        pcb->nq++;
        wake = pcb->sock;
        d = NULL;
    }
    spin_unlock_irqrestore(&udp_lock, flags);
    kfree(d);
    if (wake)
        wake_up(&wake->wq);
}

/* Binds to port (host order), or an ephemeral port if 0.  udp_lock held. */
static int bind_locked(struct udp_pcb *pcb, uint16_t port)
{
    if (pcb->lport)
        return -EINVAL;
    if (port) {
        if (pcb_by_port(port))
            return -EADDRINUSE;
        pcb->lport = port;
        return 0;
    }
    for (unsigned i = 0; i <= UDP_EPHEMERAL_LAST - UDP_EPHEMERAL_FIRST; i++) {
        uint16_t p = next_ephemeral;
        next_ephemeral = p == UDP_EPHEMERAL_LAST ? UDP_EPHEMERAL_FIRST : p + 1;
        if (!pcb_by_port(p)) {
            pcb->lport = p;
            return 0;
        }
    }
    return -EADDRINUSE;
}

static int udp_bind(struct socket *s, const struct sockaddr_in *a)
{
    uint64_t flags = spin_lock_irqsave(&udp_lock);
    int err = bind_locked(s->pcb, ntohs(a->sin_port));
    spin_unlock_irqrestore(&udp_lock, flags);
    return err;
}

static int udp_connect(struct socket *s, const struct sockaddr_in *a)
{
    struct udp_pcb *pcb = s->pcb;
    uint64_t flags = spin_lock_irqsave(&udp_lock);
    int err = pcb->lport ? 0 : bind_locked(pcb, 0);

    if (!err) {
        pcb->raddr = a->sin_addr;
        pcb->rport = a->sin_port;
    }
    spin_unlock_irqrestore(&udp_lock, flags);
    return err;
}

static ssize_t udp_sendto(struct socket *s, const void *buf, size_t len,
                          int flags_unused, const struct sockaddr_in *to)
{
    struct udp_pcb *pcb = s->pcb;
    uint8_t pkt[UDP_HLEN + UDP_MAX_PAYLOAD];

    if (len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    uint64_t flags = spin_lock_irqsave(&udp_lock);
    int err = pcb->lport ? 0 : bind_locked(pcb, 0);
    in_addr_t dst = to ? to->sin_addr : pcb->raddr;
    uint16_t dport = to ? to->sin_port : pcb->rport;
    uint16_t sport = htons(pcb->lport);
    spin_unlock_irqrestore(&udp_lock, flags);
    if (err)
        return err;
    if (!dst)
        return -EDESTADDRREQ;

    flags = spin_lock_irqsave(&net_if.cfg_lock);
    in_addr_t src = net_if.addr;
    spin_unlock_irqrestore(&net_if.cfg_lock, flags);
    struct udp_hdr *h = (struct udp_hdr *)pkt;
    h->sport = sport;
    h->dport = dport;
    h->len = htons((uint16_t)(UDP_HLEN + len));
    h->csum = 0;
    memcpy(pkt + UDP_HLEN, buf, len);
    uint16_t c = (uint16_t)~udp_csum(src, dst, pkt, UDP_HLEN + len);
    h->csum = c ? c : 0xffff;   /* 0 means "no checksum" (RFC 768) */
    udp_stats.tx++;
    err = ip_output(&net_if, dst, IP_PROTO_UDP, pkt, UDP_HLEN + len);
    return err < 0 && err != -EAGAIN ? err : (ssize_t)len;
}

static bool rcvq_ready(struct udp_pcb *pcb)
{
    return READ_ONCE(pcb->nq) != 0;
}

static ssize_t udp_recvfrom(struct socket *s, void *buf, size_t len, int flags,
                            struct sockaddr_in *from)
{
    struct udp_pcb *pcb = s->pcb;

    if (!rcvq_ready(pcb)) {
        if ((flags & MSG_DONTWAIT) || (s->flags & SOCK_NONBLOCK))
            return -EAGAIN;
        /* A signal for the calling process ends the wait (kernel
         * threads get none), as in tcp_sock.c's sleep_until. */
        if (s->rcv_timeout_ns) {
            if (!wait_event_timeout(&s->wq, rcvq_ready(pcb) || signal_pending(),
                                    s->rcv_timeout_ns))
                return -EAGAIN;     /* SO_RCVTIMEO, as Linux */
        } else {
            wait_event(&s->wq, rcvq_ready(pcb) || signal_pending());
        }
        if (!rcvq_ready(pcb))
            return s->rcv_timeout_ns ? -EINTR : -ERESTARTSYS;
    }
    uint64_t irq = spin_lock_irqsave(&udp_lock);
    struct udp_dgram *d = NULL;
    if (!list_empty(&pcb->rcvq)) {
        d = list_first(&pcb->rcvq, struct udp_dgram, node);
        if (!(flags & MSG_PEEK)) {
            list_del(&d->node);
            pcb->nq--;
        }
    }
    spin_unlock_irqrestore(&udp_lock, irq);
    if (!d)
        return -EAGAIN;
    size_t n = MIN(len, d->len);    /* the rest is discarded, as Linux */
    memcpy(buf, d->data, n);
    if (from)
        *from = sockaddr(d->from, ntohs(d->port));
    if (!(flags & MSG_PEEK))
        kfree(d);
    return (ssize_t)n;
}

static unsigned udp_poll(struct socket *s)
{
    return POLLOUT | (rcvq_ready(s->pcb) ? POLLIN : 0);
}

static void udp_close(struct socket *s)
{
    struct udp_pcb *pcb = s->pcb;
    uint64_t flags = spin_lock_irqsave(&udp_lock);

    list_del(&pcb->node);
    spin_unlock_irqrestore(&udp_lock, flags);
    while (!list_empty(&pcb->rcvq)) {
        struct udp_dgram *d = list_first(&pcb->rcvq, struct udp_dgram, node);
        list_del(&d->node);
        kfree(d);
    }
    kfree(pcb);
}

static int udp_sock_init(struct socket *s)
{
    struct udp_pcb *pcb = kzalloc(sizeof(*pcb));

    if (!pcb)
        return -ENOMEM;
    pcb->sock = s;
    list_init(&pcb->rcvq);
    s->pcb = pcb;
    uint64_t flags = spin_lock_irqsave(&udp_lock);
    list_add_tail(&pcb->node, &pcbs);
    spin_unlock_irqrestore(&udp_lock, flags);
    return 0;
}

static const struct proto_ops udp_ops = {
    .bind = udp_bind,
    .connect = udp_connect,
    .sendto = udp_sendto,
    .recvfrom = udp_recvfrom,
    .poll = udp_poll,
    .close = udp_close,
};

void udp_init(void)
{
    sock_register_proto(SOCK_DGRAM, &udp_ops, udp_sock_init);
}
