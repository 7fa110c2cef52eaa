/* TCP output: building segments (header, MSS and window-scale options,
 * checksum) and deciding what to send now (RFC 9293 §3.8.6, RFC 5681
 * congestion window, sender-side silly-window avoidance). */
#include "string.h"
#include "tcp_internal.h"
#include "time.h"

uint16_t tcp_csum(in_addr_t src, in_addr_t dst, const void *seg, size_t len)
{
    uint32_t sum = inet_pseudo_sum(src, dst, IP_PROTO_TCP, (uint16_t)len);
    return inet_csum_fold(inet_csum_add(sum, seg, len));
}

size_t tcp_rcv_space(const struct tcp_pcb *pcb)
{
    if (!pcb->rcvbuf.buf)
        return pcb->rcvbuf_size;
    return rb_space(&pcb->rcvbuf);
}

/* The window field to send: the free receive buffer, scaled, never moving
 * the right edge left (RFC 9293 §3.8.6.2.2 "shrinking the window"
 * is discouraged; rounding by the scale could otherwise do it). */
uint16_t tcp_rcv_window(struct tcp_pcb *pcb, bool syn)
{
    size_t space = tcp_rcv_space(pcb);

    if (syn) {  /* the SYN's window is never scaled (RFC 7323 §2.2) */
        uint16_t w = (uint16_t)MIN(space, 0xffff);
        pcb->rcv_adv = pcb->rcv_nxt + w;
        return w;
    }
    uint8_t ws = pcb->wscale_ok ? pcb->rcv_wscale : 0;
    uint32_t w = (uint32_t)MIN(space >> ws, 0xffff);
    uint32_t edge = pcb->rcv_nxt + (w << ws);
    if (seq_lt(edge, pcb->rcv_adv)) {
        uint32_t need = pcb->rcv_adv - pcb->rcv_nxt;
        w = MIN((need + (1u << ws) - 1) >> ws, 0xffff);
        edge = pcb->rcv_nxt + (w << ws);
    }
    pcb->rcv_adv = edge;
    return (uint16_t)w;
}

uint32_t tcp_fin_seq(const struct tcp_pcb *pcb)
{
    return pcb->buf_seq + (uint32_t)rb_len(&pcb->sndbuf);
}

bool tcp_fin_sent(const struct tcp_pcb *pcb)
{
    return pcb->fin_queued && seq_gt(pcb->snd_nxt, tcp_fin_seq(pcb));
}

/* SACK blocks for what the out-of-order queue holds (RFC 2018 §3-4): the
 * block holding the latest arrival first, then the highest others;
 * adjacent and overlapping segments merge into one block.  Only sent on
 * segments without data, so a full data segment never outgrows the MTU.
 * Returns the option bytes written. */
struct sack_set {
    uint32_t recent_s, recent_e;
    bool have_recent;
    uint32_t s[TCP_SACK_MAX_BLOCKS - 1], e[TCP_SACK_MAX_BLOCKS - 1];
    unsigned n;                 /* others seen; the last ones are kept */
};

static void sack_add_run(struct sack_set *set, const struct tcp_pcb *pcb,
                         uint32_t s, uint32_t e)
{
    if (seq_le(e, pcb->rcv_nxt))
        return;
    if (seq_lt(s, pcb->rcv_nxt))
        s = pcb->rcv_nxt;
    if (seq_ge(pcb->sack_recent, s) && seq_lt(pcb->sack_recent, e)) {
        set->recent_s = s;
        set->recent_e = e;
        set->have_recent = true;
        return;
    }
    unsigned i = set->n++ % (TCP_SACK_MAX_BLOCKS - 1);
    set->s[i] = s;
    set->e[i] = e;
}

static uint8_t *put_block(uint8_t *b, uint32_t s, uint32_t e)
{
    uint32_t bs = htonl(s), be = htonl(e);
    memcpy(b, &bs, 4);
    memcpy(b + 4, &be, 4);
    return b + 8;
}

static size_t sack_blocks(const struct tcp_pcb *pcb, uint8_t *o)
{
    struct sack_set set = { 0 };
    struct list_head *p;
    bool open = false;
    uint32_t s = 0, e = 0;

    if (!pcb->sack_ok || list_empty(&pcb->ooo))
        return 0;
    list_for_each(p, &pcb->ooo) {
        const struct tcp_ooo *q = list_entry(p, struct tcp_ooo, node);
        if (open && seq_le(q->seq, e)) {
            if (seq_gt(q->seq + q->len, e))
                e = q->seq + q->len;
            continue;
        }
        if (open)
            sack_add_run(&set, pcb, s, e);
        s = q->seq;
        e = q->seq + q->len;
        open = true;
    }
    if (open)
        sack_add_run(&set, pcb, s, e);
    unsigned others = MIN(set.n, (unsigned)(TCP_SACK_MAX_BLOCKS - 1));
    unsigned total = others + (set.have_recent ? 1 : 0);
    if (!total)
        return 0;
    o[0] = TCPOPT_NOP;
    o[1] = TCPOPT_NOP;
    o[2] = TCPOPT_SACK;
    o[3] = (uint8_t)(2 + 8 * total);
    uint8_t *b = o + 4;
    if (set.have_recent)
        b = put_block(b, set.recent_s, set.recent_e);
    for (unsigned k = 0; k < others; k++) {     /* highest first */
        unsigned i = (set.n - 1 - k) % (TCP_SACK_MAX_BLOCKS - 1);
        b = put_block(b, set.s[i], set.e[i]);
    }
    return 4 + 8 * total;
}

/* Builds and sends one segment.  data/len is the payload (already
 * copied out of the send buffer). */
static int send_segment(struct tcp_pcb *pcb, uint32_t seq, uint8_t flags,
                        const void *data, size_t len)
{
    uint8_t seg[TCP_HLEN + TCP_MAX_OPTLEN + TCP_MSS_LOCAL];
    struct tcp_hdr *th = (struct tcp_hdr *)seg;
    size_t hlen = TCP_HLEN;
    bool syn = flags & TCP_SYN;

    if (syn) {
        uint8_t *o = seg + TCP_HLEN;
        o[0] = TCPOPT_MSS;
        o[1] = TCPOPT_MSS_LEN;
        o[2] = TCP_MSS_LOCAL >> 8;
        o[3] = TCP_MSS_LOCAL & 0xff;
        hlen += TCPOPT_MSS_LEN;
        /* A SYN-ACK carries the option only if the peer's SYN did
         * (RFC 7323 §1.3). */
        if (!(flags & TCP_ACK) || pcb->wscale_ok) {
            o[4] = TCPOPT_NOP;
            o[5] = TCPOPT_WSCALE;
            o[6] = TCPOPT_WS_LEN;
            o[7] = pcb->rcv_wscale;
            hlen += 4;
        }
        /* The same rule for SACK-permitted (RFC 2018 §2). */
        if (!(flags & TCP_ACK) || pcb->sack_ok) {
            o = seg + hlen;
            o[0] = TCPOPT_NOP;
            o[1] = TCPOPT_NOP;
            o[2] = TCPOPT_SACK_PERM;
            o[3] = TCPOPT_SACK_PERM_LEN;
            hlen += 4;
        }
    } else if (!len && !(flags & TCP_RST)) {
        hlen += sack_blocks(pcb, seg + hlen);
    }
    memset(th, 0, TCP_HLEN);
    th->sport = htons(pcb->lport);
    th->dport = htons(pcb->rport);
    th->seq = htonl(seq);
    th->ack = (flags & TCP_ACK) ? htonl(pcb->rcv_nxt) : 0;
    th->off = (uint8_t)(hlen / 4) << 4;
    th->flags = flags;
    th->wnd = htons((flags & TCP_RST) ? 0 : tcp_rcv_window(pcb, syn));
    if (len)
        memcpy(seg + hlen, data, len);
    th->csum = (uint16_t)~tcp_csum(pcb->laddr, pcb->raddr, seg, hlen + len);
    if (flags & TCP_ACK) {
        /* Whatever we owed an ACK for is acknowledged now. */
        pcb->dack_at = 0;
        pcb->unacked_segs = 0;
    }
    tcp_stats.tx++;
    return ip_output(&net_if, pcb->raddr, IP_PROTO_TCP, seg, hlen + len);
}

void tcp_send_ack(struct tcp_pcb *pcb)
{
    send_segment(pcb, pcb->snd_nxt, TCP_ACK, NULL, 0);
}

void tcp_send_rst(struct tcp_pcb *pcb)
{
    tcp_stats.rst_tx++;
    send_segment(pcb, pcb->snd_nxt, TCP_RST | TCP_ACK, NULL, 0);
}

/* SYN (active open) or SYN-ACK (passive), first time or again. */
void tcp_send_syn(struct tcp_pcb *pcb)
{
    uint8_t flags = pcb->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;

    send_segment(pcb, pcb->iss, flags, NULL, 0);
    pcb->snd_nxt = pcb->iss + 1;
    if (seq_lt(pcb->snd_max, pcb->snd_nxt))
        pcb->snd_max = pcb->snd_nxt;
    if (!pcb->rtx_at)
        tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
}

int tcp_send_data(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin)
{
    uint8_t buf[TCP_MSS_LOCAL];
    uint8_t flags = TCP_ACK;

    len = MIN(len, (uint32_t)sizeof(buf));
    size_t n = rb_peek(&pcb->sndbuf, seq - pcb->buf_seq, buf, len);
    if (fin)
        flags |= TCP_FIN;
    /* PSH on the last segment of what the application gave us. */
    if (seq + n == tcp_fin_seq(pcb))
        flags |= TCP_PSH;
    return send_segment(pcb, seq, flags, buf, n);
}

/* Sends what the windows allow: new data from snd_nxt, and the FIN once
 * all data is out.  Called after anything that may let more go out. */
void tcp_output(struct tcp_pcb *pcb)
{
    switch (pcb->state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        break;
    default:
        return;
    }
    /* Limited transmit (RFC 3042): each of the first two duplicate ACKs
     * lets one new segment out beyond cwnd, so a small flight still
     * gathers the three duplicates fast retransmit needs. */
    uint32_t cwnd = pcb->cwnd;
    if (!pcb->in_recovery && pcb->dupacks && pcb->dupacks < 3)
        cwnd += pcb->dupacks * (uint32_t)pcb->mss;
    uint32_t wnd = MIN(pcb->snd_wnd, cwnd);
    uint32_t end = tcp_fin_seq(pcb);

    for (;;) {
        uint32_t avail = seq_lt(pcb->snd_nxt, end) ? end - pcb->snd_nxt : 0;
        uint32_t inflight = pcb->snd_nxt - pcb->snd_una;
        uint32_t usable = wnd > inflight ? wnd - inflight : 0;
        uint32_t n = MIN(MIN(avail, usable), pcb->mss);
        /* The FIN goes with the last data, if the window has room for
         * its sequence number too. */
        bool fin = pcb->fin_queued && !tcp_fin_sent(pcb) && n == avail &&
                   usable > n;
        if (!n && !fin)
            break;
        /* Sender SWS avoidance (RFC 9293 §3.8.6.2.1): a short segment
         * only if it is all we have, or nothing is in flight, or it is
         * at least half the largest window the peer offered. */
        if (n < pcb->mss && n < avail && inflight &&
            n < pcb->max_snd_wnd / 2)
            break;
        uint64_t sent_at = time_ns();
        int err = tcp_send_data(pcb, pcb->snd_nxt, n, fin);
        if (err == -EAGAIN && n) {
            /* Transmit ring full: try again from the retransmission
             * timer or the next ACK rather than lose the segment. */
            if (!pcb->rtx_at)
                tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
            break;
        }
        /* Time one new segment per round trip (RFC 6298 §3). */
        if (!pcb->rtt_timing && pcb->snd_nxt == pcb->snd_max && n) {
            pcb->rtt_timing = true;
            pcb->rtt_seq = pcb->snd_nxt;
            pcb->rtt_start = sent_at;
        }
        pcb->snd_nxt += n + (fin ? 1 : 0);
        if (seq_gt(pcb->snd_nxt, pcb->snd_max))
            pcb->snd_max = pcb->snd_nxt;
        if (!pcb->rtx_at)
            tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
        if (fin) {
            if (pcb->state == TCP_ESTABLISHED)
                tcp_set_state(pcb, TCP_FIN_WAIT_1);
            else if (pcb->state == TCP_CLOSE_WAIT)
                tcp_set_state(pcb, TCP_LAST_ACK);
            break;
        }
    }
    /* Zero window with data waiting and nothing in flight: probe it
     * (RFC 9293 §3.8.6.1); the retransmission timer doubles as the
     * persist timer. */
    if (pcb->snd_wnd == 0 && pcb->snd_una == pcb->snd_nxt &&
        (seq_lt(pcb->snd_nxt, end) || (pcb->fin_queued && !tcp_fin_sent(pcb))) &&
        !pcb->rtx_at)
        tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
}

/* RFC 9293 §3.10.7.1: the answer to a segment for no connection. */
void tcp_reset_reply(const struct ipv4_hdr *ip, const struct tcp_hdr *th,
                     uint32_t seg_len)
{
    uint8_t seg[TCP_HLEN];
    struct tcp_hdr *r = (struct tcp_hdr *)seg;

    if (th->flags & TCP_RST)
        return;
    memset(r, 0, sizeof(seg));
    r->sport = th->dport;
    r->dport = th->sport;
    if (th->flags & TCP_ACK) {
        r->seq = th->ack;
        r->flags = TCP_RST;
    } else {
        r->ack = htonl(ntohl(th->seq) + seg_len);
        r->flags = TCP_RST | TCP_ACK;
    }
    r->off = (TCP_HLEN / 4) << 4;
    r->csum = (uint16_t)~tcp_csum(ip->dst, ip->src, seg, sizeof(seg));
    tcp_stats.rst_tx++;
    tcp_stats.tx++;
    ip_output(&net_if, ip->src, IP_PROTO_TCP, seg, sizeof(seg));
}
