/* The network stack's shared definitions: byte order, wire headers,
 * interface configuration and counters.  Wire structs are packed and all
 * multi-byte fields are big-endian on the wire. */
#ifndef NET_H
#define NET_H

#include "kernel.h"
#include "netdev.h"
#include "spinlock.h"

static inline uint16_t htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint16_t ntohs(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t htonl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint32_t ntohl(uint32_t v) { return __builtin_bswap32(v); }

#define ETH_P_IP    0x0800
#define ETH_P_ARP   0x0806

struct eth_hdr {
    uint8_t dst[ETH_ALEN];
    uint8_t src[ETH_ALEN];
    uint16_t type;
} __attribute__((packed));

struct ipv4_hdr {
    uint8_t ver_ihl;
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    uint16_t frag;          /* flags (3 bits) and fragment offset */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum;
    uint32_t src;
    uint32_t dst;
} __attribute__((packed));

#define IP_PROTO_ICMP   1
#define IP_PROTO_TCP    6
#define IP_PROTO_UDP    17
#define IP_FLAG_MF      0x2000
#define IP_FRAG_OFFSET  0x1fff

/* Addresses are kept in network byte order throughout. */
typedef uint32_t in_addr_t;
#define IP4(a, b, c, d) htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* Interface configuration.  Read from softirq (receive path) and thread
 * context (configuration, sends): cfg_lock, IRQ-saving, protects it. */
struct netif {
    struct netdev *nd;
    struct spinlock cfg_lock;
    in_addr_t addr, netmask, gateway;
    in_addr_t dns;          /* nameserver= or DHCP (0 = use the gateway) */
    bool dns_from_cmdline;  /* nameserver= given: DHCP does not override */
    bool configured;
};

struct net_stats {
    uint64_t eth_drop_short, eth_drop_type, eth_drop_notforus;
    uint64_t arp_rx, arp_drop_bad, arp_replies_sent, arp_requests_sent;
    uint64_t arp_queue_drop;
    uint64_t ip_rx, ip_drop_short, ip_drop_version, ip_drop_ihl;
    uint64_t ip_drop_len, ip_drop_csum, ip_drop_frag, ip_drop_notforus;
    uint64_t ip_drop_proto, ip_tx, ip_tx_noroute;
    uint64_t icmp_rx, icmp_drop_bad, icmp_echo_replied, icmp_unreach;
    uint64_t icmp_echo_replies_rx;
};

struct udp_stats {
    uint64_t rx, tx, drop_short, drop_len, drop_csum, drop_noport;
    uint64_t drop_full, drop_nomem;
};

extern struct net_stats net_stats;
extern struct udp_stats udp_stats;
extern struct netif net_if;

/* RFC 1071 Internet checksum over len bytes, folded, not inverted. */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t inet_csum_fold(uint32_t sum);
uint32_t inet_pseudo_sum(in_addr_t src, in_addr_t dst, uint8_t proto,
                         uint16_t len);
static inline uint16_t inet_csum(const void *data, size_t len)
{
    return inet_csum_fold(inet_csum_add(0, data, len));
}

void net_init(void);                 /* attaches to netdev 0, reads ip= */
int net_parse_ip_arg(const char *arg, in_addr_t *addr, in_addr_t *gw,
                     in_addr_t *mask);
bool net_parse_addr(const char *s, in_addr_t *out);
void net_dump(void);

/* Layers (receive path runs in the NET_RX bottom half). */
/* rx_flags: NETDEV_RX_* from the driver, passed up to the transports. */
void eth_input(struct netdev *nd, const void *frame, size_t len,
               unsigned rx_flags);
int eth_output(struct netdev *nd, const uint8_t dst[ETH_ALEN], uint16_t type,
               const void *payload, size_t len);
void arp_input(struct netif *nif, const void *pkt, size_t len);
/* Sends an IPv4 packet (header included) to next_hop, resolving its MAC;
 * queues it (bounded) while the ARP request is out. */
int arp_output(struct netif *nif, in_addr_t next_hop, const void *pkt,
               size_t len);
bool arp_lookup(in_addr_t ip, uint8_t mac[ETH_ALEN]);
void arp_announce(struct netif *nif);
void arp_tick(void);
void ip_input(struct netif *nif, const void *pkt, size_t len,
              unsigned rx_flags);
int ip_output(struct netif *nif, in_addr_t dst, uint8_t proto,
              const void *payload, size_t len);
void icmp_input(struct netif *nif, const struct ipv4_hdr *ip,
                const void *data, size_t len);
void udp_input(struct netif *nif, const struct ipv4_hdr *ip,
               const void *data, size_t len, unsigned rx_flags);
void udp_init(void);
/* Sends one echo request and waits for its reply; returns the round-trip
 * time in ns, or -ETIMEDOUT. */
int64_t icmp_ping(in_addr_t dst, uint16_t seq, uint64_t timeout_ns);

#endif
