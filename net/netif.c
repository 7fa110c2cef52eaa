/* Interface configuration from the Linux-style kernel argument
 *   ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf>
 * (Documentation/admin-guide/nfs/nfsroot.rst), and the counters dump. */
#include "cmdline.h"
#include "net.h"
#include "printk.h"
#include "string.h"

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

    if (!nd) {
        klog("net: no network device");
        return;
    }
    net_if.nd = nd;
    nd->rx_handler = eth_input;
    if (!arg || !*arg || strcmp(arg, "off") == 0 || strcmp(arg, "none") == 0) {
        klog("net: %s up, no address (no ip= argument)", nd->name);
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

void net_dump(void)
{
    const struct net_stats *s = &net_stats;

    kprintf("net: eth drop short %lu type %lu notforus %lu\n",
            (unsigned long)s->eth_drop_short, (unsigned long)s->eth_drop_type,
            (unsigned long)s->eth_drop_notforus);
    kprintf("net: arp rx %lu bad %lu replies %lu requests %lu queue-drop %lu\n",
            (unsigned long)s->arp_rx, (unsigned long)s->arp_drop_bad,
            (unsigned long)s->arp_replies_sent,
            (unsigned long)s->arp_requests_sent,
            (unsigned long)s->arp_queue_drop);
    kprintf("net: ip rx %lu tx %lu drop short %lu ver %lu ihl %lu len %lu "
            "csum %lu frag %lu notforus %lu proto %lu noroute %lu\n",
            (unsigned long)s->ip_rx, (unsigned long)s->ip_tx,
            (unsigned long)s->ip_drop_short, (unsigned long)s->ip_drop_version,
            (unsigned long)s->ip_drop_ihl, (unsigned long)s->ip_drop_len,
            (unsigned long)s->ip_drop_csum, (unsigned long)s->ip_drop_frag,
            (unsigned long)s->ip_drop_notforus, (unsigned long)s->ip_drop_proto,
            (unsigned long)s->ip_tx_noroute);
    kprintf("net: icmp rx %lu bad %lu echo-replied %lu unreach %lu "
            "echo-replies-rx %lu\n",
            (unsigned long)s->icmp_rx, (unsigned long)s->icmp_drop_bad,
            (unsigned long)s->icmp_echo_replied, (unsigned long)s->icmp_unreach,
            (unsigned long)s->icmp_echo_replies_rx);
}
