/* Ethernet II framing (IEEE 802.3 clause 3 with the DIX type field). */
#include "net.h"
#include "string.h"

static const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct netdev *nd, const void *frame, size_t len,
               unsigned rx_flags)
{
    const struct eth_hdr *eh = frame;

    if (len < ETH_HLEN) {
        net_stats.eth_drop_short++;
        return;
    }
    if (memcmp(eh->dst, nd->mac, ETH_ALEN) != 0 &&
        memcmp(eh->dst, eth_broadcast, ETH_ALEN) != 0) {
        net_stats.eth_drop_notforus++;
        return;
    }
    const uint8_t *payload = (const uint8_t *)frame + ETH_HLEN;
    size_t plen = len - ETH_HLEN;
    switch (ntohs(eh->type)) {
    case ETH_P_ARP:
        arp_input(&net_if, payload, plen);
        break;
    case ETH_P_IP:
        ip_input(&net_if, payload, plen, rx_flags);
        break;
    default:
        net_stats.eth_drop_type++;
        break;
    }
}

int eth_output(struct netdev *nd, const uint8_t dst[ETH_ALEN], uint16_t type,
               const void *payload, size_t len)
{
    uint8_t frame[ETH_MAX_FRAME];

    if (len > ETH_MAX_FRAME - ETH_HLEN)
        return -EINVAL;
    struct eth_hdr *eh = (struct eth_hdr *)frame;
    memcpy(eh->dst, dst, ETH_ALEN);
    memcpy(eh->src, nd->mac, ETH_ALEN);
    eh->type = htons(type);
    memcpy(frame + ETH_HLEN, payload, len);
    /* Pad to the 60-byte minimum frame (without FCS). */
    size_t total = ETH_HLEN + len;
    if (total < 60) {
        memset(frame + total, 0, 60 - total);
        total = 60;
    }
    return nd->xmit(nd, frame, total);
}
