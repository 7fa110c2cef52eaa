/* TCP on the host: the test plays the peer at 192.0.2.1, hand-building
 * segments and reading what the stack transmits, through passive and
 * active opens, in-order and out-of-order data, FIN in both directions,
 * RST (RFC 5961 challenge ACKs), bad options, closed ports and a mutation
 * run over segments of a live connection (ASan/UBSan watch for errors). */
#define MM_HOST_IMPL
#include "mm_host.h"
#define NET_HOST_IMPL
#include "net_host.h"
#include "minitest.h"
#include "socket.h"
#include "tcp.h"

#define F_FIN   0x01
#define F_SYN   0x02
#define F_RST   0x04
#define F_PSH   0x08
#define F_ACK   0x10
#define TCP_MAX_PCBS_FOR_TEST 256   /* TCP_MAX_PCBS in net/tcp_internal.h */


/* A segment the stack sent, decoded. */
struct seg {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;
    uint16_t mss;
    int wscale;         /* -1 if absent */
    bool sack_perm;
    unsigned nsack;     /* SACK blocks */
    uint32_t sack[4][2];
    size_t len;
    const uint8_t *data;
};

/* Teaches the stack the host's MAC (an ARP request for our address). */
static void arp_hello(void)
{
    static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t f[64] = { 0 };
    size_t n = eth(f, bcast, ETH_P_ARP);
    const uint8_t body[28] = { 0, 1, 8, 0, 6, 4, 0, 1,
                               2, 0, 0, 0, 0, 1, 192, 0, 2, 1,
                               0, 0, 0, 0, 0, 0, 192, 0, 2, 2 };
    memcpy(f + n, body, sizeof(body));
    net_host_input(f, 60);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }
static in_addr_t addr_at(const uint8_t *p) { in_addr_t a; memcpy(&a, p, 4); return a; }

/* Sends a segment from 192.0.2.1:sport to the stack; opts/optlen are raw
 * option bytes (a multiple of 4 unless testing bad ones). */
static void send_raw(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                     uint8_t flags, uint16_t wnd, const uint8_t *opts,
                     size_t optlen, const void *data, size_t len, bool bad_csum)
{
    uint8_t f[1600] = { 0 };
    size_t n = eth(f, guest_mac, ETH_P_IP);
    uint8_t *ip = f + n, *t = ip + 20;
    size_t hlen = 20 + ((optlen + 3) & ~(size_t)3);
    size_t tlen = hlen + len;

    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + tlen));
    ip[8] = 64;
    ip[9] = IP_PROTO_TCP;
    const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint16_t c = (uint16_t)~inet_csum(ip, 20);
    memcpy(ip + 10, &c, 2);
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)((hlen / 4) << 4);
    t[13] = flags;
    put16(t + 14, wnd);
    if (optlen)
        memcpy(t + 20, opts, optlen);
    if (len)
        memcpy(t + hlen, data, len);
    uint32_t s = inet_pseudo_sum(addr_at(ip + 12), addr_at(ip + 16),
                                 IP_PROTO_TCP, (uint16_t)tlen);
    c = (uint16_t)~inet_csum_fold(inet_csum_add(s, t, tlen));
    if (bad_csum)
        c ^= 0x1234;
    memcpy(t + 16, &c, 2);
    size_t total = n + 20 + tlen;
    net_host_input(f, total < 60 ? 60 : total);
}

static void send_seg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                     uint8_t flags, const void *data, size_t len)
{
    send_raw(sport, dport, seq, ack, flags, 65535, NULL, 0, data, len, false);
}

/* Decodes transmitted frame i as TCP; false if it is not. */
static bool tx_seg(unsigned i, struct seg *s)
{
    if (i >= net_host_ntx || i >= NET_HOST_MAX_TX)
        return false;
    const uint8_t *f = net_host_txq[i].frame;
    if (get16(f + 12) != ETH_P_IP || f[14 + 9] != IP_PROTO_TCP)
        return false;
    const uint8_t *ip = f + 14, *t = ip + 20;
    size_t tlen = get16(ip + 2) - 20u;
    size_t hlen = (size_t)(t[12] >> 4) * 4;
    uint32_t sum = inet_pseudo_sum(addr_at(ip + 12), addr_at(ip + 16),
                                   IP_PROTO_TCP, (uint16_t)tlen);
    if (inet_csum_fold(inet_csum_add(sum, t, tlen)) != 0xffff)
        return false;   /* the stack must never send a bad checksum */
    memset(s, 0, sizeof(*s));
    s->sport = get16(t);
    s->dport = get16(t + 2);
    s->seq = get32(t + 4);
    s->ack = get32(t + 8);
    s->flags = t[13];
    s->wnd = get16(t + 14);
    s->wscale = -1;
    for (size_t o = 20; o < hlen;) {
        if (t[o] == 0)
            break;
        if (t[o] == 1) {
            o++;
            continue;
        }
        if (t[o] == 2)
            s->mss = get16(t + o + 2);
        if (t[o] == 3)
            s->wscale = t[o + 2];
        if (t[o] == 4)
            s->sack_perm = true;
        if (t[o] == 5)
            for (size_t b = 0; b < (t[o + 1] - 2u) / 8 && b < 4; b++) {
                s->sack[b][0] = get32(t + o + 2 + 8 * b);
                s->sack[b][1] = get32(t + o + 6 + 8 * b);
                s->nsack = (unsigned)b + 1;
            }
        o += t[o + 1];
    }
    s->len = tlen - hlen;
    s->data = t + hlen;
    return true;
}

/* The last TCP segment transmitted since the counter was reset. */
static bool last_seg(struct seg *s)
{
    for (unsigned i = net_host_ntx; i-- > 0;)
        if (tx_seg(i, s))
            return true;
    return false;
}

static const uint8_t syn_opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };  /* MSS 1460, WS 7 */

struct conn {
    struct socket *sock;
    uint16_t port;          /* the peer's port */
    uint32_t seq;           /* peer's next sequence number */
    uint32_t ack;           /* peer's view of the stack's next byte */
};

/* Listener on 80 and an accepted connection from port p. */
static struct socket *listener;

static bool open_passive_opts(struct conn *c, uint16_t port,
                              const uint8_t *opts, size_t optlen, bool sack)
{
    c->port = port;
    c->seq = 1000;
    net_host_ntx = 0;
    send_raw(port, 80, c->seq, 0, F_SYN, 65535, opts, optlen, NULL, 0, false);
    struct seg s;
    if (!CHECK(last_seg(&s)))
        return false;
    CHECK_EQ(s.flags, F_SYN | F_ACK);
    CHECK_EQ(s.ack, 1001);
    CHECK_EQ(s.mss, 1460);
    CHECK(s.wscale >= 0);
    /* SACK-permitted only in answer to a SYN that offered it. */
    CHECK_EQ(s.sack_perm, sack);
    c->seq = 1001;
    c->ack = s.seq + 1;
    send_seg(port, 80, c->seq, c->ack, F_ACK, NULL, 0);
    struct sockaddr_in peer;
    int err = sock_accept(listener, &c->sock, &peer);
    CHECK_EQ(err, 0);
    if (err)
        return false;
    CHECK_EQ(ntohs(peer.sin_port), port);
    c->sock->flags |= SOCK_NONBLOCK;
    return true;
}

static bool open_passive(struct conn *c, uint16_t port)
{
    return open_passive_opts(c, port, syn_opts, sizeof(syn_opts), false);
}

/* With SACK permitted, a duplicate ACK reports what the out-of-order
 * queue holds: the latest arrival's block first (RFC 2018 §4). */
static void test_sack_blocks(void)
{
    const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2 };
    struct conn c;
    struct seg s;
    char buf[64];

    if (!open_passive_opts(&c, 40010, opts, sizeof(opts), true))
        return;
    send_seg(c.port, 80, c.seq + 10, c.ack, F_ACK, "bbbbb", 5);   /* [10,15) */
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq + 15, c.ack, F_ACK, "ccccc", 5);   /* [15,20) */
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq);
    CHECK_EQ(s.nsack, 1);
    CHECK_EQ(s.sack[0][0], c.seq + 10);                 /* merged run */
    CHECK_EQ(s.sack[0][1], c.seq + 20);
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq + 30, c.ack, F_ACK, "eeeee", 5);   /* [30,35) */
    CHECK(last_seg(&s));
    CHECK_EQ(s.nsack, 2);
    CHECK_EQ(s.sack[0][0], c.seq + 30);                 /* latest first */
    CHECK_EQ(s.sack[1][0], c.seq + 10);
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq, c.ack, F_ACK, "aaaaaaaaaa", 10);  /* [0,10) */
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq + 20);
    CHECK_EQ(s.nsack, 1);
    CHECK_EQ(s.sack[0][0], c.seq + 30);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), 20);
    sock_close(c.sock);
}

static void test_passive_open_and_data(void)
{
    struct conn c;
    char buf[64];

    if (!open_passive(&c, 40000))
        return;
    CHECK(sock_poll(c.sock) & POLLOUT);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), -EAGAIN);

    send_seg(c.port, 80, c.seq, c.ack, F_ACK | F_PSH, "hello", 5);
    c.seq += 5;
    CHECK(sock_poll(c.sock) & POLLIN);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);

    /* Out of order: bytes 5..9 after 10..14 are held, then delivered. */
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq + 5, c.ack, F_ACK, "KLMNO", 5);
    struct seg s;
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq);                 /* duplicate ACK for the hole */
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), -EAGAIN);
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq, c.ack, F_ACK, "FGHIJ", 5);
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq + 10);            /* immediate ACK: hole filled */
    c.seq += 10;
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), 10);
    CHECK(memcmp(buf, "FGHIJKLMNO", 10) == 0);

    /* A retransmission of old data is acknowledged, not delivered again. */
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq - 5, c.ack, F_ACK, "KLMNO", 5);
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), -EAGAIN);

    /* Sending. */
    net_host_ntx = 0;
    CHECK_EQ(sock_send(c.sock, "world", 5, 0), 5);
    CHECK(last_seg(&s));
    CHECK_EQ(s.seq, c.ack);
    CHECK_EQ(s.len, 5);
    CHECK(s.len == 5 && memcmp(s.data, "world", 5) == 0);
    c.ack += 5;
    send_seg(c.port, 80, c.seq, c.ack, F_ACK, NULL, 0);

    /* Peer closes: end of stream, then our FIN, then its ACK. */
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq, c.ack, F_ACK | F_FIN, NULL, 0);
    c.seq++;
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), 0);
    uint64_t before = tcp_stats.pcbs_in_use;
    net_host_ntx = 0;
    sock_close(c.sock);
    CHECK(last_seg(&s));
    CHECK(s.flags & F_FIN);
    CHECK_EQ(s.seq, c.ack);
    send_seg(c.port, 80, c.seq, c.ack + 1, F_ACK, NULL, 0);
    CHECK_EQ(tcp_stats.pcbs_in_use, before - 1);    /* LAST-ACK done: freed */
}

static void test_rst_rules(void)
{
    struct conn c;
    char buf[8];

    if (!open_passive(&c, 40001))
        return;
    /* In the window but not at rcv_nxt: a challenge ACK (RFC 5961 §3.2). */
    uint64_t challenges = tcp_stats.challenge_acks;
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq + 100, 0, F_RST, NULL, 0);
    CHECK_EQ(tcp_stats.challenge_acks, challenges + 1);
    struct seg s;
    CHECK(last_seg(&s));
    CHECK_EQ(s.flags, F_ACK);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), -EAGAIN);
    /* A SYN on an open connection: also a challenge ACK (RFC 5961 §4). */
    send_seg(c.port, 80, c.seq, 0, F_SYN, NULL, 0);
    CHECK_EQ(tcp_stats.challenge_acks, challenges + 2);
    /* Exactly at rcv_nxt: the connection is reset. */
    send_seg(c.port, 80, c.seq, 0, F_RST, NULL, 0);
    CHECK_EQ(sock_recv(c.sock, buf, sizeof(buf), 0), -ECONNRESET);
    CHECK(sock_poll(c.sock) & POLLERR);
    CHECK_EQ(sock_send(c.sock, "x", 1, 0), -ECONNRESET);
    sock_close(c.sock);
}

static void test_active_open(void)
{
    struct socket *s;
    CHECK_EQ(sock_create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &s), 0);
    struct sockaddr_in to = sockaddr(IP4(192, 0, 2, 1), 8080);
    net_host_ntx = 0;
    CHECK_EQ(sock_connect(s, &to), -EINPROGRESS);
    struct seg g;
    CHECK(last_seg(&g));
    CHECK_EQ(g.flags, F_SYN);
    CHECK_EQ(g.dport, 8080);
    CHECK_EQ(g.mss, 1460);
    CHECK(g.wscale >= 0);
    CHECK(g.sack_perm);
    CHECK(!(sock_poll(s) & POLLOUT));
    /* An ACK for something else: answered with a RST, still connecting. */
    net_host_ntx = 0;
    send_seg(8080, g.sport, 5000, g.seq + 7, F_SYN | F_ACK, NULL, 0);
    struct seg r;
    CHECK(last_seg(&r));
    CHECK_EQ(r.flags, F_RST);
    CHECK_EQ(r.seq, g.seq + 7);
    /* The real SYN-ACK (no window scaling: the stack must not scale). */
    const uint8_t mss_only[] = { 2, 4, 0x02, 0x00 };
    net_host_ntx = 0;
    send_raw(8080, g.sport, 5000, g.seq + 1, F_SYN | F_ACK, 1024, mss_only,
             sizeof(mss_only), NULL, 0, false);
    CHECK(last_seg(&r));
    CHECK_EQ(r.flags, F_ACK);
    CHECK_EQ(r.ack, 5001);
    CHECK(sock_poll(s) & POLLOUT);
    /* MSS 512 from the peer and a 1024-byte window bound what goes out. */
    static uint8_t big[3000];
    net_host_ntx = 0;
    CHECK_EQ(sock_send(s, big, sizeof(big), 0), (long long)sizeof(big));
    size_t bytes = 0;
    for (unsigned i = 0; i < net_host_ntx; i++) {
        if (tx_seg(i, &r)) {
            CHECK(r.len <= 512);
            bytes += r.len;
        }
    }
    CHECK_EQ(bytes, 1024);
    /* The window opens: the rest follows. */
    net_host_ntx = 0;
    send_raw(8080, g.sport, 5001, g.seq + 1 + 1024, F_ACK, 4000, NULL, 0, NULL,
             0, false);
    bytes = 0;
    for (unsigned i = 0; i < net_host_ntx; i++)
        if (tx_seg(i, &r))
            bytes += r.len;
    CHECK_EQ(bytes, 3000 - 1024);
    /* Close with everything acknowledged: FIN. */
    send_raw(8080, g.sport, 5001, g.seq + 1 + 3000, F_ACK, 4000, NULL, 0, NULL,
             0, false);
    net_host_ntx = 0;
    CHECK_EQ(sock_shutdown(s, SHUT_WR), 0);
    CHECK(last_seg(&r));
    CHECK(r.flags & F_FIN);
    CHECK_EQ(sock_send(s, "x", 1, 0), -EPIPE);
    sock_close(s);
}

/* Three duplicate ACKs: the first unacknowledged segment goes again, no
 * longer than it was (a small window let only 600 bytes out; resending
 * an MSS worth would put bytes past snd_max on the wire). */
static void test_fast_retransmit(void)
{
    struct socket *s;
    CHECK_EQ(sock_create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &s), 0);
    struct sockaddr_in to = sockaddr(IP4(192, 0, 2, 1), 8081);
    net_host_ntx = 0;
    CHECK_EQ(sock_connect(s, &to), -EINPROGRESS);
    struct seg g, r;
    CHECK(last_seg(&g));
    const uint8_t mss1000[] = { 2, 4, 0x03, 0xe8 };
    send_raw(8081, g.sport, 7000, g.seq + 1, F_SYN | F_ACK, 600, mss1000,
             sizeof(mss1000), NULL, 0, false);
    static uint8_t data[3000];
    net_host_ntx = 0;
    CHECK_EQ(sock_send(s, data, sizeof(data), 0), (long long)sizeof(data));
    CHECK(last_seg(&r));
    CHECK_EQ(r.len, 600);
    uint64_t fr = tcp_stats.fast_retransmits;
    net_host_ntx = 0;
    for (int i = 0; i < 3; i++)
        send_raw(8081, g.sport, 7001, g.seq + 1, F_ACK, 600, NULL, 0, NULL, 0,
                 false);
    CHECK_EQ(tcp_stats.fast_retransmits, fr + 1);
    CHECK(last_seg(&r));
    CHECK_EQ(r.seq, g.seq + 1);
    CHECK_EQ(r.len, 600);
    sock_close(s);
}

static void test_bad_segments(void)
{
    struct tcp_stats before = tcp_stats;

    net_host_ntx = 0;
    const uint8_t zero_len[] = { 2, 0, 0, 0 };
    send_raw(40100, 80, 1, 0, F_SYN, 65535, zero_len, sizeof(zero_len), NULL, 0,
             false);
    const uint8_t past_end[] = { 1, 1, 3, 9 };
    send_raw(40101, 80, 1, 0, F_SYN, 65535, past_end, sizeof(past_end), NULL, 0,
             false);
    const uint8_t no_len[] = { 1, 1, 1, 5 };    /* a kind without a length */
    send_raw(40102, 80, 1, 0, F_SYN, 65535, no_len, sizeof(no_len), NULL, 0,
             false);
    CHECK_EQ(tcp_stats.drop_opts, before.drop_opts + 3);
    send_raw(40103, 80, 1, 0, F_SYN, 65535, NULL, 0, NULL, 0, true);
    CHECK_EQ(tcp_stats.drop_csum, before.drop_csum + 1);
    CHECK_EQ(net_host_ntx, 0);              /* no SYN-ACK for any of them */

    /* A SYN to a closed port: RST|ACK acknowledging it. */
    send_seg(40104, 81, 77, 0, F_SYN, NULL, 0);
    struct seg s;
    CHECK(last_seg(&s));
    CHECK_EQ(s.flags, F_RST | F_ACK);
    CHECK_EQ(s.ack, 78);
    CHECK_EQ(tcp_stats.drop_noport, before.drop_noport + 1);
    /* A RST to a closed port draws nothing. */
    net_host_ntx = 0;
    send_seg(40104, 81, 77, 0, F_RST, NULL, 0);
    CHECK_EQ(net_host_ntx, 0);
}

/* A SYN flood: the listener's queue stays bounded and old half-open
 * connections make room; real clients still get in. */
static void test_syn_flood(void)
{
    uint64_t in_use = tcp_stats.pcbs_in_use;
    for (unsigned i = 0; i < 2000; i++)
        send_raw((uint16_t)(20000 + i), 80, i * 7919u, 0, F_SYN, 65535, NULL, 0,
                 NULL, 0, false);
    CHECK(tcp_stats.pcbs_in_use <= in_use + 16);
    CHECK(tcp_stats.syn_evicted > 0);
    struct conn c;
    if (open_passive(&c, 41000))
        sock_close(c.sock);
}

/* Simultaneous close (RFC 9293 §3.6, figure 13): both FINs cross, each
 * side acknowledges the other's, and ours ends in TIME-WAIT through
 * CLOSING. */
static void test_simultaneous_close(void)
{
    struct conn c;
    struct seg s;

    if (!open_passive(&c, 40020))
        return;
    uint64_t tw = tcp_stats.time_wait;
    net_host_ntx = 0;
    sock_close(c.sock);
    CHECK(last_seg(&s));
    CHECK(s.flags & F_FIN);
    /* The peer's FIN, not yet acknowledging ours. */
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq, c.ack, F_ACK | F_FIN, NULL, 0);
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq + 1);
    CHECK_EQ(tcp_stats.time_wait, tw);          /* CLOSING, not yet */
    /* Now it acknowledges our FIN. */
    send_seg(c.port, 80, c.seq + 1, c.ack + 1, F_ACK, NULL, 0);
    CHECK_EQ(tcp_stats.time_wait, tw + 1);
    /* A retransmitted FIN in TIME-WAIT is acknowledged again. */
    net_host_ntx = 0;
    send_seg(c.port, 80, c.seq, c.ack + 1, F_ACK | F_FIN, NULL, 0);
    CHECK(last_seg(&s));
    CHECK_EQ(s.ack, c.seq + 1);
}

/* Active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT.  More connections than
 * the table holds, each left in TIME-WAIT: the oldest make room. */
static void test_time_wait_recycled(void)
{
    uint64_t before = tcp_stats.tw_recycled;
    int opened = 0;

    for (unsigned i = 0; i < TCP_MAX_PCBS_FOR_TEST + 20; i++) {
        struct conn c;
        struct seg s;
        if (!open_passive(&c, (uint16_t)(30000 + i)))
            break;
        opened++;
        net_host_ntx = 0;
        sock_close(c.sock);                 /* our FIN first */
        if (!CHECK(last_seg(&s)) || !CHECK(s.flags & F_FIN))
            break;
        send_seg(c.port, 80, c.seq, c.ack + 1, F_ACK, NULL, 0);
        net_host_ntx = 0;
        send_seg(c.port, 80, c.seq, c.ack + 1, F_ACK | F_FIN, NULL, 0);
        if (!CHECK(last_seg(&s)) || !CHECK_EQ(s.ack, c.seq + 1))
            break;
    }
    CHECK_EQ(opened, TCP_MAX_PCBS_FOR_TEST + 20);
    CHECK(tcp_stats.tw_recycled > before);
    CHECK(tcp_stats.pcbs_in_use <= TCP_MAX_PCBS_FOR_TEST);
}

/* Random mutations of segments aimed at a live connection. */
static void test_mutations(void)
{
    struct conn c;
    if (!open_passive(&c, 40002))
        return;
    uint32_t rng = 12345;
    uint8_t data[600];
    char buf[2048];
    for (unsigned i = 0; i < 20000; i++) {
        rng = rng * 1103515245u + 12345u;
        uint8_t flags = (uint8_t)(rng >> 8);
        uint32_t seq = c.seq + ((rng >> 4) % 4096) - 2048;
        rng = rng * 1103515245u + 12345u;
        uint32_t ack = c.ack + ((rng >> 4) % 4096) - 2048;
        size_t len = (rng >> 20) % sizeof(data);
        for (size_t j = 0; j < len; j++)
            data[j] = (uint8_t)(rng >> (j % 24));
        uint8_t opts[12];
        size_t optlen = (rng >> 12) % 13;
        for (size_t j = 0; j < optlen; j++)
            opts[j] = (uint8_t)(rng >> (j % 28));
        net_host_ntx = 0;
        send_raw(c.port, 80, seq, ack, flags, (uint16_t)(rng >> 3), opts, optlen,
                 data, len, false);
        while (sock_recv(c.sock, buf, sizeof(buf), 0) > 0)
            ;
    }
    sock_close(c.sock);
    CHECK(1);
}

/* The word-at-a-time checksum against RFC 1071's definition, at every
 * alignment and length, chained after a pseudo-header-like prefix. */
static uint16_t ref_csum(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t s = sum;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        s += (uint32_t)(p[len - 1] << 8);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return htons((uint16_t)s);
}

static void test_checksum(void)
{
    uint8_t buf[300];
    uint32_t rng = 7;
    for (size_t i = 0; i < sizeof(buf); i++) {
        rng = rng * 1103515245u + 12345u;
        buf[i] = (uint8_t)(rng >> 16);
    }
    memset(buf + 100, 0xff, 64);    /* runs of 0xffff words: carries */
    int bad = 0;
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len < 280; len++) {
            uint8_t whole[12 + 300];
            memcpy(whole, buf + 280, 12);
            memcpy(whole + 12, buf + off, len);
            uint32_t pre = inet_csum_add(0, buf + 280, 12);
            if (inet_csum_fold(inet_csum_add(pre, buf + off, len)) !=
                ref_csum(0, whole, 12 + len))
                bad++;
        }
    CHECK_EQ(bad, 0);
}

int main(void)
{
    net_host_init();
    arp_hello();
    CHECK_EQ(sock_create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &listener), 0);
    struct sockaddr_in a = sockaddr(0, 80);
    CHECK_EQ(sock_bind(listener, &a), 0);
    CHECK_EQ(sock_listen(listener, 8), 0);

    MT_RUN(test_checksum);
    MT_RUN(test_passive_open_and_data);
    MT_RUN(test_rst_rules);
    MT_RUN(test_sack_blocks);
    MT_RUN(test_active_open);
    MT_RUN(test_fast_retransmit);
    MT_RUN(test_bad_segments);
    MT_RUN(test_syn_flood);
    MT_RUN(test_simultaneous_close);
    MT_RUN(test_time_wait_recycled);
    MT_RUN(test_mutations);
    sock_close(listener);
    return mt_finish();
}
