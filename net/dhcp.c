/* DHCP client (RFC 2131, options RFC 2132), selected by ip=dhcp: DISCOVER,
 * OFFER, REQUEST, ACK; then renewal at T1 by unicast REQUEST, starting over
 * after a NAK or when the lease runs out.  Runs in its own thread; replies
 * arrive from the receive softirq through dhcp_input(), which only copies
 * them into a one-slot mailbox.  Packets are built by hand because the
 * interface has no address yet (source 0.0.0.0, broadcast destination). */
#include "dhcp.h"
#include "printk.h"
#include "sched.h"
#include "string.h"
#include "time.h"

#define DHCP_SERVER_PORT    67
#define DHCP_CLIENT_PORT    68
#define BOOTREQUEST         1
#define BOOTREPLY           2
#define DHCP_MAGIC          0x63825363
#define DHCP_FLAG_BROADCAST 0x8000

/* Message types (RFC 2132 §9.6). */
#define DHCPDISCOVER    1
#define DHCPOFFER       2
#define DHCPREQUEST     3
#define DHCPACK         5
#define DHCPNAK         6

/* Options (RFC 2132). */
#define OPT_PAD         0
#define OPT_SUBNET      1
#define OPT_ROUTER      3
#define OPT_DNS         6
#define OPT_REQ_IP      50
#define OPT_LEASE       51
#define OPT_MSG_TYPE    53
#define OPT_SERVER_ID   54
#define OPT_PARAM_LIST  55
#define OPT_T1          58
#define OPT_END         255

#define DHCP_FIXED_LEN  236     /* op .. file, before the magic cookie */
#define DHCP_MSG_MAX    576
#define DHCP_TIMEOUT_NS (2 * NSEC_PER_SEC)
#define DHCP_TRIES      5

struct dhcp_msg {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64];
    uint8_t file[128];
    uint32_t magic;
    uint8_t options[DHCP_MSG_MAX - DHCP_FIXED_LEN - 4];
} __attribute__((packed));

struct dhcp_lease {
    uint8_t type;
    in_addr_t addr, mask, router, dns, server;
    uint32_t lease_s, t1_s;
};

struct dhcp_stats dhcp_stats;

/* box_lock protects the mailbox: written by dhcp_input (softirq), read by
 * the DHCP thread; IRQ-saving. */
static struct spinlock box_lock = SPINLOCK_INIT("dhcp-box");
static struct dhcp_msg box;
static size_t box_len;
static bool box_full;
static struct waitq box_wq;
static uint32_t cur_xid;

/* Parses the options of a reply; false if malformed (RFC 2132 §2: code,
 * length, data; every length checked against the end). */
static bool dhcp_parse(const struct dhcp_msg *m, size_t len,
                       struct dhcp_lease *l)
{
    memset(l, 0, sizeof(*l));
    if (len < DHCP_FIXED_LEN + 4 || m->op != BOOTREPLY ||
        ntohl(m->magic) != DHCP_MAGIC)
        return false;
    l->addr = m->yiaddr;
    const uint8_t *o = m->options;
    size_t n = len - DHCP_FIXED_LEN - 4;
    for (size_t i = 0; i < n;) {
        uint8_t code = o[i++];
        if (code == OPT_PAD)
            continue;
        if (code == OPT_END)
            break;
        if (i >= n || i + 1 + o[i] > n)
            return false;
        uint8_t ol = o[i++];
        const uint8_t *v = o + i;
        i += ol;
        uint32_t v32 = 0;
        if (ol >= 4)
            memcpy(&v32, v, 4);
        switch (code) {
        case OPT_MSG_TYPE: if (ol >= 1) l->type = v[0]; break;
        case OPT_SUBNET:   if (ol >= 4) l->mask = v32; break;
        case OPT_ROUTER:   if (ol >= 4) l->router = v32; break;
        case OPT_DNS:      if (ol >= 4) l->dns = v32; break;
        case OPT_SERVER_ID: if (ol >= 4) l->server = v32; break;
        case OPT_LEASE:    if (ol >= 4) l->lease_s = ntohl(v32); break;
        case OPT_T1:       if (ol >= 4) l->t1_s = ntohl(v32); break;
        default: break;
        }
    }
    return l->type != 0;
}

void dhcp_input(const struct ipv4_hdr *ip, const uint8_t *udp, size_t len)
{
    (void)ip;
    const struct dhcp_msg *m = (const void *)(udp + 8);
    size_t mlen = len - 8;

    dhcp_stats.rx++;
    if (len < 8 + DHCP_FIXED_LEN + 4 || mlen > sizeof(box) ||
        m->xid != cur_xid || m->op != BOOTREPLY) {
        dhcp_stats.drop_bad++;
        return;
    }
    uint64_t flags = spin_lock_irqsave(&box_lock);
    memcpy(&box, m, mlen);
    box_len = mlen;
    box_full = true;
    spin_unlock_irqrestore(&box_lock, flags);
    wake_up(&box_wq);
}

/* Sends a client message; broadcast unless dst is given (renewal). */
static void dhcp_send(uint8_t type, in_addr_t ciaddr, in_addr_t req_ip,
                      in_addr_t server, in_addr_t dst)
{
    struct {
        struct ipv4_hdr ip;
        uint8_t udp[8];
        struct dhcp_msg m;
    } __attribute__((packed)) p;
    struct netdev *nd = net_if.nd;

    memset(&p, 0, sizeof(p));
    p.m.op = BOOTREQUEST;
    p.m.htype = 1;
    p.m.hlen = ETH_ALEN;
    p.m.xid = cur_xid;
    p.m.flags = dst ? 0 : htons(DHCP_FLAG_BROADCAST);
    p.m.ciaddr = ciaddr;
    memcpy(p.m.chaddr, nd->mac, ETH_ALEN);
    p.m.magic = htonl(DHCP_MAGIC);
    uint8_t *o = p.m.options;
    *o++ = OPT_MSG_TYPE; *o++ = 1; *o++ = type;
    if (req_ip) {
        *o++ = OPT_REQ_IP; *o++ = 4; memcpy(o, &req_ip, 4); o += 4;
    }
    if (server) {
        *o++ = OPT_SERVER_ID; *o++ = 4; memcpy(o, &server, 4); o += 4;
    }
    *o++ = OPT_PARAM_LIST; *o++ = 4;
    *o++ = OPT_SUBNET; *o++ = OPT_ROUTER; *o++ = OPT_DNS; *o++ = OPT_LEASE;
    *o++ = OPT_END;
    size_t mlen = DHCP_FIXED_LEN + 4 + (size_t)(o - p.m.options);
    if (mlen < 300)
        mlen = 300;     /* BOOTP minimum, some servers insist (RFC 1542) */

    if (dst) {          /* renewal: we have an address, use the normal path */
        static uint8_t buf[8 + sizeof(struct dhcp_msg)];
        uint16_t h[4] = { htons(DHCP_CLIENT_PORT), htons(DHCP_SERVER_PORT),
                          htons((uint16_t)(8 + mlen)), 0 };
        memcpy(buf, h, 8);
        memcpy(buf + 8, &p.m, mlen);
        ip_output(&net_if, dst, IP_PROTO_UDP, buf, 8 + mlen);
        dhcp_stats.tx++;
        return;
    }
    size_t ulen = 8 + mlen;
    uint16_t u[4] = { htons(DHCP_CLIENT_PORT), htons(DHCP_SERVER_PORT),
                      htons((uint16_t)ulen), 0 };
    memcpy(p.udp, u, 8);        /* checksum 0: none (RFC 768) */
    p.ip.ver_ihl = 0x45;
    p.ip.total_len = htons((uint16_t)(20 + ulen));
    p.ip.ttl = 64;
    p.ip.proto = IP_PROTO_UDP;
    p.ip.src = 0;
    p.ip.dst = 0xffffffff;
    p.ip.csum = (uint16_t)~inet_csum(&p.ip, 20);
    static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    eth_output(nd, bcast, ETH_P_IP, &p, 20 + ulen);
    dhcp_stats.tx++;
}

/* Waits for a reply of one of two types; false on timeout. */
static bool dhcp_wait(uint8_t want1, uint8_t want2, struct dhcp_lease *l)
{
    uint64_t end = time_ns() + DHCP_TIMEOUT_NS;

    while (time_ns() < end) {
        wait_event_timeout(&box_wq, READ_ONCE(box_full), end - time_ns());
        uint64_t flags = spin_lock_irqsave(&box_lock);
        bool have = box_full;
        struct dhcp_msg m;
        size_t len = box_len;
        if (have)
            memcpy(&m, &box, len);
        box_full = false;
        spin_unlock_irqrestore(&box_lock, flags);
        if (!have)
            continue;
        if (!dhcp_parse(&m, len, l)) {
            dhcp_stats.drop_bad++;
            continue;
        }
        if (l->type == want1 || l->type == want2)
            return true;
    }
    return false;
}

static void dhcp_apply(const struct dhcp_lease *l)
{
    uint64_t flags = spin_lock_irqsave(&net_if.cfg_lock);
    net_if.addr = l->addr;
    net_if.netmask = l->mask ? l->mask : IP4(255, 255, 255, 0);
    net_if.gateway = l->router;
    if (l->dns && !net_if.dns_from_cmdline)
        net_if.dns = l->dns;
    net_if.configured = true;
    spin_unlock_irqrestore(&net_if.cfg_lock, flags);
    uint32_t a = ntohl(l->addr), g = ntohl(l->router);
    klog("dhcp: lease %u.%u.%u.%u gw %u.%u.%u.%u for %u s (renew at %u s)",
         a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
         g >> 24, (g >> 16) & 255, (g >> 8) & 255, g & 255,
         l->lease_s, l->t1_s);
}

static void dhcp_thread(void *arg)
{
    struct dhcp_lease offer, ack;

    for (;;) {
        bool bound = false;
        for (int try = 0; try < DHCP_TRIES && !bound; try++) {
            cur_xid = htonl((uint32_t)time_counter() ^ 0x5a5a0000u);
            dhcp_send(DHCPDISCOVER, 0, 0, 0, 0);
            if (!dhcp_wait(DHCPOFFER, DHCPOFFER, &offer))
                continue;
            dhcp_send(DHCPREQUEST, 0, offer.addr, offer.server, 0);
            if (dhcp_wait(DHCPACK, DHCPNAK, &ack) && ack.type == DHCPACK)
                bound = true;
        }
        if (!bound) {
            klog("dhcp: no lease after %d tries, retrying in 10 s", DHCP_TRIES);
            sleep_ms(10000);
            continue;
        }
        if (!ack.server)
            ack.server = offer.server;
        dhcp_apply(&ack);
        dhcp_stats.leases++;
        arp_announce(&net_if);
        /* Renew at T1 (default half the lease, RFC 2131 §4.4.5). */
        for (;;) {
            uint32_t t1 = ack.t1_s ? ack.t1_s : ack.lease_s / 2;
            sleep_ms((uint64_t)(t1 ? t1 : 60) * 1000);
            cur_xid = htonl((uint32_t)time_counter() ^ 0xa5a50000u);
            dhcp_send(DHCPREQUEST, ack.addr, 0, 0, ack.server);
            struct dhcp_lease r;
            if (dhcp_wait(DHCPACK, DHCPNAK, &r) && r.type == DHCPACK) {
                r.server = r.server ? r.server : ack.server;
                ack = r;
                dhcp_stats.renewals++;
                klog("dhcp: renewed");
                continue;
            }
            klog("dhcp: renewal failed, starting over");
            break;
        }
    }
}

void dhcp_start(void)
{
    waitq_init(&box_wq);
    if (!thread_create("dhcp", dhcp_thread, NULL))
        klog("dhcp: cannot start the client thread");
}
