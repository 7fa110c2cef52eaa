/* Interface configuration from the Linux-style kernel argument
 *   ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf>
 * (Documentation/admin-guide/nfs/nfsroot.rst), and the counters dump. */
#include "cmdline.h"
#include "dhcp.h"
#include "net.h"
#include "printk.h"
#include "string.h"
#include "tcp.h"

struct netif net_if = { .cfg_lock = SPINLOCK_INIT("netif") };
struct net_stats net_stats;

bool net_parse_addr(const char *s, in_addr_t *out)
{
    uint32_t v = 0;

    for (int part = 0; part < 4; part++) {
        unsigned n = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            n = n * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || n > 255)
            return false;
        v = v << 8 | n;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s && *s != ':')
        return false;
    *out = htonl(v);
    return true;
}

/* Field i (0-based) of a colon-separated argument, copied into buf. */
static const char *ip_field(const char *arg, int i, char *buf, size_t size)
{
    buf[0] = 0;
    for (; i > 0 && arg; i--) {
        arg = strchr(arg, ':');
        if (arg)
            arg++;
    }
    if (!arg)
        return "";
    size_t n = 0;
    while (arg[n] && arg[n] != ':' && n + 1 < size) {
        buf[n] = arg[n];
        n++;
    }
    buf[n] = 0;
    return buf;
}

int net_parse_ip_arg(const char *arg, in_addr_t *addr, in_addr_t *gw,
                     in_addr_t *mask)
{
    char f[32];

    if (!net_parse_addr(ip_field(arg, 0, f, sizeof(f)), addr))
        return -EINVAL;
    *gw = 0;
    ip_field(arg, 2, f, sizeof(f));
    if (*f && !net_parse_addr(f, gw))
        return -EINVAL;
    ip_field(arg, 3, f, sizeof(f));
    if (*f) {
        if (!net_parse_addr(f, mask))
            return -EINVAL;
    } else {
        *mask = IP4(255, 255, 255, 0);
    }
    return 0;
}

void net_init(void)
{
    struct netdev *nd = netdev_get(0);
    const char *arg = cmdline_get("ip");

    /* The protocols exist without a device, as on Linux: sockets can be
     * made and bound, and sending gets -ENETUNREACH (no route). */
    udp_init();
    tcp_init();
    if (!nd) {
        klog("net: no network device");
        return;
    }
    net_if.nd = nd;
    nd->rx_handler = eth_input;
    const char *ns = cmdline_get("nameserver");
    if (ns && !net_parse_addr(ns, &net_if.dns))
        klog("net: cannot parse nameserver=%s, ignored", ns);
    net_if.dns_from_cmdline = net_if.dns != 0;
    if (!arg || !*arg || strcmp(arg, "off") == 0 || strcmp(arg, "none") == 0) {
        klog("net: %s up, no address (no ip= argument)", nd->name);
        return;
    }
    if (strcmp(arg, "dhcp") == 0) {
        klog("net: %s: asking DHCP for an address", nd->name);
        dhcp_start();
        return;
    }
    in_addr_t addr, gw, mask;
    if (net_parse_ip_arg(arg, &addr, &gw, &mask)) {
        klog("net: cannot parse ip=%s (want ip=<addr>::<gw>:<mask>::eth0:off)",
             arg);
        return;
    }
    uint64_t flags = spin_lock_irqsave(&net_if.cfg_lock);
    net_if.addr = addr;
    net_if.gateway = gw;
    net_if.netmask = mask;
    net_if.configured = true;
    spin_unlock_irqrestore(&net_if.cfg_lock, flags);
    uint32_t a = ntohl(addr), g = ntohl(gw), m = ntohl(mask);
    klog("net: %s %u.%u.%u.%u/%u.%u.%u.%u gw %u.%u.%u.%u", nd->name,
         a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
         m >> 24, (m >> 16) & 255, (m >> 8) & 255, m & 255,
         g >> 24, (g >> 16) & 255, (g >> 8) & 255, g & 255);
    arp_announce(&net_if);
}

/* One "net <counter> <value>" line per counter, for the kernel monitor's
 * parseable `stats` output. */
void net_dump(void)
{
    const struct net_stats *s = &net_stats;
    const struct { const char *name; uint64_t v; } c[] = {
        { "eth_drop_short", s->eth_drop_short },
        { "eth_drop_type", s->eth_drop_type },
        { "eth_drop_notforus", s->eth_drop_notforus },
        { "arp_rx", s->arp_rx },
        { "arp_drop_bad", s->arp_drop_bad },
        { "arp_replies_sent", s->arp_replies_sent },
        { "arp_requests_sent", s->arp_requests_sent },
        { "arp_queue_drop", s->arp_queue_drop },
        { "ip_rx", s->ip_rx },
        { "ip_tx", s->ip_tx },
        { "ip_drop_short", s->ip_drop_short },
        { "ip_drop_version", s->ip_drop_version },
        { "ip_drop_ihl", s->ip_drop_ihl },
        { "ip_drop_len", s->ip_drop_len },
        { "ip_drop_csum", s->ip_drop_csum },
        { "ip_drop_frag", s->ip_drop_frag },
        { "ip_drop_notforus", s->ip_drop_notforus },
        { "ip_drop_proto", s->ip_drop_proto },
        { "ip_tx_noroute", s->ip_tx_noroute },
        { "icmp_rx", s->icmp_rx },
        { "icmp_drop_bad", s->icmp_drop_bad },
        { "icmp_echo_replied", s->icmp_echo_replied },
        { "icmp_unreach", s->icmp_unreach },
        { "icmp_echo_replies_rx", s->icmp_echo_replies_rx },
        { "udp_rx", udp_stats.rx },
        { "udp_tx", udp_stats.tx },
        { "udp_drop_short", udp_stats.drop_short },
        { "udp_drop_len", udp_stats.drop_len },
        { "udp_drop_csum", udp_stats.drop_csum },
        { "udp_drop_noport", udp_stats.drop_noport },
        { "udp_drop_full", udp_stats.drop_full },
        { "dhcp_rx", dhcp_stats.rx },
        { "dhcp_drop_bad", dhcp_stats.drop_bad },
        { "dhcp_leases", dhcp_stats.leases },
        { "dhcp_renewals", dhcp_stats.renewals },
    };

    for (size_t i = 0; i < ARRAY_SIZE(c); i++)
        kprintf("net %s %lu\n", c[i].name, (unsigned long)c[i].v);
    tcp_dump();
}
