/* TCP (RFC 9293): the interface the rest of the stack sees.  Sockets reach
 * TCP through the SOCK_STREAM proto_ops it registers (include/socket.h);
 * the receive path calls tcp_input() from the NET_RX bottom half. */
#ifndef TCP_H
#define TCP_H

#include "net.h"

/* Default buffer sizes, overridable with tcp.rmem= / tcp.wmem= on the
 * command line and per socket (struct socket rcvbuf / sndbuf) before
 * connect() or listen(). */
#define TCP_RMEM_DEFAULT    (256 * 1024)
#define TCP_WMEM_DEFAULT    (128 * 1024)
#define TCP_BUF_MIN         (4 * 1024)
#define TCP_BUF_MAX         (4 * 1024 * 1024)

struct tcp_stats {
    uint64_t rx, tx;
    /* input drops */
    uint64_t drop_short, drop_csum, drop_hdrlen, drop_opts, drop_addr;
    uint64_t drop_noport, drop_backlog, drop_nomem, drop_unacceptable;
    uint64_t drop_badack, drop_listen;
    /* events */
    uint64_t rst_rx, rst_tx, challenge_acks, dup_acks, ooo_segments;
    uint64_t ooo_drops, retransmits, rto_timeouts, fast_retransmits;
    uint64_t persist_probes, zero_window_rx, delayed_acks, syn_evicted;
    uint64_t active_opens, passive_opens, established, resets, timeouts;
    uint64_t time_wait, tw_recycled, pcbs_in_use, icmp_errors;
};

extern struct tcp_stats tcp_stats;

void tcp_init(void);
void tcp_input(struct netif *nif, const struct ipv4_hdr *ip, const void *seg,
               size_t len, unsigned rx_flags);
/* An ICMP destination-unreachable quoting one of our segments (RFC 1122
 * §4.2.3.9): aborts a connection still in SYN-SENT. */
void tcp_icmp_unreach(const struct ipv4_hdr *quoted, size_t len, uint8_t code);
/* "net tcp_<counter> <value>" lines for the monitor's stats. */
void tcp_dump(void);

#endif
