/* IPv4 (RFC 791): header validation on input, header construction and
 * next-hop choice on output.  Fragments are counted and dropped. */
#include "net.h"
#include "string.h"
#include "tcp.h"

#define IP_DEFAULT_TTL  64

void ip_input(struct netif *nif, const void *data, size_t len,
              unsigned rx_flags)
{
    const struct ipv4_hdr *ip = data;

    net_stats.ip_rx++;
    if (len < sizeof(*ip)) {
        net_stats.ip_drop_short++;
        return;
    }
    if ((ip->ver_ihl >> 4) != 4) {
        net_stats.ip_drop_version++;
        return;
    }
    size_t ihl = (size_t)(ip->ver_ihl & 0xf) * 4;
    size_t total = ntohs(ip->total_len);
    if (ihl < sizeof(*ip) || ihl > len) {
        net_stats.ip_drop_ihl++;
        return;
    }
    /* Ethernet pads short frames, so the datagram may be shorter than the
     * payload, never longer. */
    if (total < ihl || total > len) {
        net_stats.ip_drop_len++;
        return;
    }
    if (inet_csum(ip, ihl) != 0xffff) {
        net_stats.ip_drop_csum++;
        return;
    }
    if (ntohs(ip->frag) & (IP_FLAG_MF | IP_FRAG_OFFSET)) {
        net_stats.ip_drop_frag++;
        return;
    }
    uint64_t flags = spin_lock_irqsave(&nif->cfg_lock);
    bool for_us = nif->configured &&
                  (ip->dst == nif->addr || ip->dst == 0xffffffff);
    spin_unlock_irqrestore(&nif->cfg_lock, flags);
    /* DHCP replies (to UDP port 68) come before we have an address, to
     * the offered address or broadcast (RFC 2131 §4.1). */
    const uint8_t *l4 = (const uint8_t *)data + ihl;
    bool dhcp = ip->proto == IP_PROTO_UDP && total - ihl >= 8 &&
                l4[2] == 0 && l4[3] == 68;
    if (!for_us && !dhcp) {
        net_stats.ip_drop_notforus++;
        return;
    }
    /* Options (ihl > 20) are skipped. */
    const uint8_t *payload = (const uint8_t *)data + ihl;
    switch (ip->proto) {
    case IP_PROTO_ICMP:
        icmp_input(nif, ip, payload, total - ihl);
        break;
    case IP_PROTO_UDP:
        udp_input(nif, ip, payload, total - ihl, rx_flags);
        break;
    case IP_PROTO_TCP:
        tcp_input(nif, ip, payload, total - ihl, rx_flags);
        break;
    default:
        net_stats.ip_drop_proto++;
        break;
    }
}

int ip_output(struct netif *nif, in_addr_t dst, uint8_t proto,
              const void *payload, size_t len)
{
    static uint16_t next_id;
    uint8_t pkt[ETH_MAX_FRAME - ETH_HLEN];
    struct ipv4_hdr *ip = (struct ipv4_hdr *)pkt;

    if (len > sizeof(pkt) - sizeof(*ip))
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&nif->cfg_lock);
    bool up = nif->configured;
    in_addr_t src = nif->addr, mask = nif->netmask, gw = nif->gateway;
    spin_unlock_irqrestore(&nif->cfg_lock, flags);
    if (!up) {
        net_stats.ip_tx_noroute++;
        return -ENETUNREACH;
    }
    in_addr_t next_hop = dst;
    if ((dst & mask) != (src & mask)) {
        if (!gw) {
            net_stats.ip_tx_noroute++;
            return -ENETUNREACH;
        }
        next_hop = gw;
    }
    memset(ip, 0, sizeof(*ip));
    ip->ver_ihl = 0x45;
    ip->total_len = htons((uint16_t)(sizeof(*ip) + len));
    ip->id = htons(__atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED));
    ip->ttl = IP_DEFAULT_TTL;
    ip->proto = proto;
    ip->src = src;
    ip->dst = dst;
    ip->csum = (uint16_t)~inet_csum(ip, sizeof(*ip));
    memcpy(pkt + sizeof(*ip), payload, len);
    net_stats.ip_tx++;
    return arp_output(nif, next_hop, pkt, sizeof(*ip) + len);
}
