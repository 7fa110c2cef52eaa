/* TCP input: validating a segment and running it through the "segment
 * arrives" rules of RFC 9293 §3.10.7, with RFC 5961's defences against
 * blind resets and SYNs, RFC 5681/6582 duplicate-ACK handling and an
 * out-of-order queue.  Runs in the NET_RX bottom half. */
#include "mm.h"
#include "string.h"
#include "tcp_internal.h"
#include "time.h"

/* Out-of-order data is bounded by the receive buffer's size in bytes; the
 * count bound only keeps the sorted insert cheap.  A whole window of
 * minimum-size segments fits: dropping data the peer already sent turns
 * one loss into many (and, without SACK on its side, into timeouts). */
#define TCP_OOO_MAX_SEGS    1024

struct tcp_opts {
    uint16_t mss;           /* 0 = absent */
    uint8_t wscale;
    bool has_wscale;
    bool sack_perm;
};

/* The parsed segment, in host order. */
struct tcp_seg {
    uint32_t seq, ack;
    uint32_t wnd;           /* as sent (unscaled) */
    uint8_t flags;
    const uint8_t *data;
    uint32_t len;           /* payload bytes */
    struct tcp_opts opt;
};

/* RFC 9293 §3.1 options: kind, length, value; NOP and EOL are single
 * bytes.  A length under 2 or past the header is malformed. */
static bool parse_options(const uint8_t *o, size_t len, struct tcp_opts *out)
{
    size_t i = 0;

    while (i < len) {
        uint8_t kind = o[i];
        if (kind == TCPOPT_EOL)
            break;
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            return false;
        uint8_t olen = o[i + 1];
        if (olen < 2 || i + olen > len)
            return false;
        if (kind == TCPOPT_MSS) {
            if (olen != TCPOPT_MSS_LEN)
                return false;
            out->mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
        } else if (kind == TCPOPT_WSCALE) {
            if (olen != TCPOPT_WS_LEN)
                return false;
            out->has_wscale = true;
            /* RFC 7323 §2.3: larger shifts are treated as 14. */
            out->wscale = MIN(o[i + 2], TCP_MAX_WSCALE);
        } else if (kind == TCPOPT_SACK_PERM) {
            if (olen != TCPOPT_SACK_PERM_LEN)
                return false;
            out->sack_perm = true;
        } else if (kind == TCPOPT_SACK) {
            /* Blocks the peer holds: we retransmit without them (go-back
             * from the first hole), but a malformed list is still bad. */
            if ((olen - 2) % 8)
                return false;
        }
        i += olen;
    }
    return true;
}

static void take_syn_options(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    uint16_t mss = seg->opt.mss ? seg->opt.mss : TCP_MSS_DEFAULT;

    pcb->mss = MAX(MIN(mss, TCP_MSS_LOCAL), 64);
    pcb->wscale_ok = seg->opt.has_wscale;
    pcb->snd_wscale = seg->opt.has_wscale ? seg->opt.wscale : 0;
    pcb->sack_ok = seg->opt.sack_perm;
    if (!pcb->wscale_ok)
        pcb->rcv_wscale = 0;
    pcb->cwnd = TCP_INIT_CWND_SEGS * pcb->mss;
    pcb->ssthresh = 0xffffffffu;
}

void tcp_ooo_purge(struct tcp_pcb *pcb)
{
    while (!list_empty(&pcb->ooo)) {
        struct tcp_ooo *o = list_first(&pcb->ooo, struct tcp_ooo, node);
        list_del(&o->node);
        kfree(o);
    }
    pcb->ooo_bytes = 0;
}

/* ---- LISTEN (RFC 9293 §3.10.7.2) ---- */

/* The oldest child still in SYN-RECEIVED: evicted when a listener's queue
 * is full, so a SYN flood cannot lock real clients out for good. */
static struct tcp_pcb *oldest_embryonic(struct tcp_pcb *l)
{
    struct list_head *p;

    list_for_each(p, &l->children) {
        struct tcp_pcb *c = list_entry(p, struct tcp_pcb, child_node);
        if (c->state == TCP_SYN_RECEIVED)
            return c;
    }
    return NULL;
}

static void drop_child(struct tcp_pcb *c)
{
    tcp_pcb_free(c);
}

static void listen_input(struct tcp_pcb *l, const struct ipv4_hdr *ip,
                         const struct tcp_hdr *th, const struct tcp_seg *seg)
{
    if (seg->flags & TCP_RST)
        return;
    if (seg->flags & TCP_ACK) {
        tcp_reset_reply(ip, th, seg->len);
        return;
    }
    if (!(seg->flags & TCP_SYN)) {
        tcp_stats.drop_listen++;
        return;
    }
    if (l->nchildren >= l->backlog || tcp_embryonic >= TCP_MAX_EMBRYONIC) {
        struct tcp_pcb *old = oldest_embryonic(l);
        if (!old) {
            tcp_stats.drop_backlog++;
            return;
        }
        tcp_stats.syn_evicted++;
        drop_child(old);
        if (tcp_embryonic >= TCP_MAX_EMBRYONIC) {
            tcp_stats.drop_backlog++;
            return;
        }
    }
    struct tcp_pcb *c = tcp_pcb_new();
    if (!c) {
        tcp_stats.drop_nomem++;
        return;
    }
    c->laddr = ip->dst;
    c->raddr = ip->src;
    c->lport = l->lport;
    c->rport = ntohs(th->sport);
    c->listener = l;
    list_add_tail(&c->child_node, &l->children);
    l->nchildren++;
    tcp_embryonic++;
    c->rcvbuf_size = l->rcvbuf_size;
    c->sndbuf_size = l->sndbuf_size;
    c->rcv_wscale = tcp_wscale_for(c->rcvbuf_size);
    take_syn_options(c, seg);
    c->irs = seg->seq;
    c->rcv_nxt = seg->seq + 1;
    c->iss = tcp_new_iss(c->laddr, c->lport, c->raddr, c->rport);
    c->snd_una = c->snd_max = c->recover = c->iss;
    c->buf_seq = c->iss + 1;
    c->snd_wnd = seg->wnd;          /* a SYN's window is not scaled */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = c->iss;
    c->state = TCP_SYN_RECEIVED;
    c->rtt_timing = true;
    c->rtt_seq = c->iss;
    c->rtt_start = time_ns();
    tcp_stats.passive_opens++;
    /* Data on the SYN is not queued: the peer sends it again once we
     * acknowledge only the SYN. */
    tcp_send_syn(c);
}

/* ---- SYN-SENT (RFC 9293 §3.10.7.3) ---- */

static void syn_sent_input(struct tcp_pcb *pcb, const struct ipv4_hdr *ip,
                           const struct tcp_hdr *th, const struct tcp_seg *seg)
{
    bool ack = seg->flags & TCP_ACK;

    if (ack && (seq_le(seg->ack, pcb->iss) || seq_gt(seg->ack, pcb->snd_max))) {
        tcp_stats.drop_badack++;
        tcp_reset_reply(ip, th, seg->len);
        return;
    }
    if (seg->flags & TCP_RST) {
        if (ack) {
            tcp_stats.rst_rx++;
            tcp_stats.resets++;
            tcp_abort(pcb, -ECONNREFUSED);
        }
        return;
    }
    if (!(seg->flags & TCP_SYN))
        return;
    pcb->irs = seg->seq;
    pcb->rcv_nxt = seg->seq + 1;
    pcb->rcv_adv = pcb->rcv_nxt;    /* nothing advertised for it yet */
    take_syn_options(pcb, seg);
    pcb->snd_wl1 = seg->seq;
    pcb->snd_wl2 = seg->ack;
    if (!ack) {
        /* Simultaneous open (RFC 9293 §3.5, figure 7). */
        pcb->snd_wnd = seg->wnd;
        pcb->max_snd_wnd = pcb->snd_wnd;
        pcb->state = TCP_SYN_RECEIVED;
        pcb->rtt_timing = false;
        tcp_send_syn(pcb);
        return;
    }
    if (tcp_alloc_bufs(pcb)) {
        tcp_stats.drop_nomem++;
        pcb->snd_nxt = seg->ack;
        tcp_send_rst(pcb);
        tcp_abort(pcb, -ENOMEM);
        return;
    }
    pcb->snd_una = seg->ack;
    pcb->snd_wnd = seg->wnd;        /* the SYN-ACK's window is not scaled */
    pcb->max_snd_wnd = pcb->snd_wnd;
    if (pcb->rtt_timing && pcb->retries == 0)
        tcp_rtt_sample(pcb, time_ns() - pcb->rtt_start);
    pcb->rtt_timing = false;
    pcb->retries = 0;
    pcb->rtx_at = 0;
    tcp_set_state(pcb, TCP_ESTABLISHED);
    tcp_send_ack(pcb);
}

/* ---- synchronized states (RFC 9293 §3.10.7.4) ---- */

/* "First, check sequence number": the four cases of the acceptability
 * test, against the window we advertised. */
static bool seq_acceptable(const struct tcp_pcb *pcb, uint32_t seq,
                           uint32_t seg_len)
{
    uint32_t wnd = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
    uint32_t nxt = pcb->rcv_nxt;

    if (seg_len == 0)
        return wnd == 0 ? seq == nxt
                        : seq_ge(seq, nxt) && seq_lt(seq, nxt + wnd);
    if (wnd == 0)
        return false;
    uint32_t last = seq + seg_len - 1;
    return (seq_ge(seq, nxt) && seq_lt(seq, nxt + wnd)) ||
           (seq_ge(last, nxt) && seq_lt(last, nxt + wnd));
}

static void challenge_ack(struct tcp_pcb *pcb)
{
    tcp_stats.challenge_acks++;
    tcp_send_ack(pcb);
}

/* Our FIN has been sent and acknowledged. */
static bool fin_acked(const struct tcp_pcb *pcb)
{
    return pcb->fin_queued && tcp_fin_sent(pcb) &&
           seq_gt(pcb->snd_una, tcp_fin_seq(pcb));
}

/* RFC 6298 §5: retransmission timer after an ACK. */
static void restart_rtx(struct tcp_pcb *pcb)
{
    pcb->rtx_at = 0;
    if (pcb->snd_una != pcb->snd_max)
        tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
}

/* Sends the first unacknowledged segment again: never more than was sent
 * before (an ACK for bytes past snd_max would be refused as acking
 * unsent data), with the FIN if that was in it. */
static void fast_retransmit(struct tcp_pcb *pcb)
{
    uint32_t fin_seq = tcp_fin_seq(pcb);
    bool fin_out = pcb->fin_queued && seq_gt(pcb->snd_max, fin_seq);
    uint32_t end = fin_out ? fin_seq : pcb->snd_max;
    uint32_t len = MIN(end - pcb->snd_una, (uint32_t)pcb->mss);
    bool fin = fin_out && pcb->snd_una + len == fin_seq;

    tcp_stats.retransmits++;
    pcb->rtt_timing = false;    /* Karn: no sample from a retransmission */
    tcp_send_data(pcb, pcb->snd_una, len, fin);
}

/* New data acknowledged: free it, sample the RTT, grow the congestion
 * window (RFC 5681 §3.1) or advance fast recovery (RFC 6582 §3.2). */
static void ack_new_data(struct tcp_pcb *pcb, uint32_t ack)
{
    uint32_t acked = ack - pcb->snd_una;
    uint32_t data_end = tcp_fin_seq(pcb);
    uint32_t upto = seq_lt(ack, data_end) ? ack : data_end;

    if (seq_gt(upto, pcb->buf_seq)) {
        rb_drop(&pcb->sndbuf, upto - pcb->buf_seq);
        pcb->buf_seq = upto;
    }
    if (pcb->rtt_timing && seq_gt(ack, pcb->rtt_seq)) {
        tcp_rtt_sample(pcb, time_ns() - pcb->rtt_start);
        pcb->rtt_timing = false;
    }
    pcb->retries = 0;
    if (pcb->in_recovery) {
        if (seq_ge(ack, pcb->recover)) {
            /* Full acknowledgement: leave recovery. */
            uint32_t flight = pcb->snd_max - ack;
            pcb->cwnd = MIN(pcb->ssthresh, MAX(flight, pcb->mss) + pcb->mss);
            pcb->in_recovery = false;
        } else {
            /* Partial acknowledgement: the next hole is lost too. */
            pcb->snd_una = ack;
            fast_retransmit(pcb);
            pcb->cwnd = pcb->cwnd > acked ? pcb->cwnd - acked + pcb->mss : pcb->mss;
        }
    } else if (pcb->cwnd < pcb->ssthresh) {
        pcb->cwnd += MIN(acked, (uint32_t)pcb->mss);
    } else {
        pcb->cwnd += MAX(1u, (uint32_t)pcb->mss * pcb->mss / pcb->cwnd);
    }
    pcb->dupacks = 0;
    pcb->snd_una = ack;
    if (seq_lt(pcb->snd_nxt, ack))
        pcb->snd_nxt = ack;
    restart_rtx(pcb);
    tcp_wake(pcb);
}

static void dup_ack(struct tcp_pcb *pcb)
{
    tcp_stats.dup_acks++;
    if (++pcb->dupacks == 3 && !pcb->in_recovery &&
        seq_ge(pcb->snd_una, pcb->recover)) {
        uint32_t flight = pcb->snd_max - pcb->snd_una;
        pcb->ssthresh = MAX(flight / 2, 2u * pcb->mss);
        pcb->recover = pcb->snd_max;
        pcb->in_recovery = true;
        tcp_stats.fast_retransmits++;
        fast_retransmit(pcb);
        pcb->cwnd = pcb->ssthresh + 3u * pcb->mss;
    } else if (pcb->dupacks > 3 && pcb->in_recovery) {
        pcb->cwnd += pcb->mss;      /* each dup ACK: a segment has left */
    }
}

/* The FIN is next in sequence (RFC 9293 §3.10.7.4 "eighth"). */
static void fin_arrives(struct tcp_pcb *pcb)
{
    pcb->rcv_nxt++;
    pcb->fin_rcvd = true;
    switch (pcb->state) {
    case TCP_ESTABLISHED:
        tcp_set_state(pcb, TCP_CLOSE_WAIT);
        break;
    case TCP_FIN_WAIT_1:
        tcp_set_state(pcb, TCP_CLOSING);   /* our FIN not yet acked */
        break;
    case TCP_FIN_WAIT_2:
        tcp_set_state(pcb, TCP_TIME_WAIT);
        break;
    default:
        break;
    }
    tcp_send_ack(pcb);
}

/* Appends in-order bytes to the receive buffer (or discards them after
 * shutdown(SHUT_RD)); returns how many were taken. */
static uint32_t take_data(struct tcp_pcb *pcb, const uint8_t *data, uint32_t len)
{
    uint32_t n = pcb->rd_shut ? len : (uint32_t)rb_write(&pcb->rcvbuf, data, len);

    pcb->rcv_nxt += n;
    return n;
}

/* Moves what the out-of-order queue now continues into the buffer. */
static void ooo_drain(struct tcp_pcb *pcb)
{
    while (!list_empty(&pcb->ooo)) {
        struct tcp_ooo *o = list_first(&pcb->ooo, struct tcp_ooo, node);
        if (seq_gt(o->seq, pcb->rcv_nxt))
            break;
        uint32_t skip = pcb->rcv_nxt - o->seq;
        bool done = true;
        if (skip < o->len) {
            uint32_t want = o->len - skip;
            done = take_data(pcb, o->data + skip, want) == want;
        }
        if (done && o->fin && skip <= o->len)
            fin_arrives(pcb);
        if (!done)
            break;
        list_del(&o->node);
        pcb->ooo_bytes -= o->len;
        kfree(o);
    }
}

static void ooo_insert(struct tcp_pcb *pcb, uint32_t seq, const uint8_t *data,
                       uint32_t len, bool fin)
{
    struct list_head *p;

    if (pcb->ooo_bytes + len > pcb->rcvbuf_size) {
        tcp_stats.ooo_drops++;
        return;
    }
    unsigned count = 0;
    list_for_each(p, &pcb->ooo) {
        struct tcp_ooo *o = list_entry(p, struct tcp_ooo, node);
        /* Already held (a duplicate): nothing to add. */
        if (o->seq == seq && o->len >= len && (o->fin || !fin))
            return;
        count++;
    }
    if (count >= TCP_OOO_MAX_SEGS) {
        tcp_stats.ooo_drops++;
        return;
    }
    struct tcp_ooo *n = kmalloc(sizeof(*n) + len);
    if (!n) {
        tcp_stats.ooo_drops++;
        return;
    }
    n->seq = seq;
    n->len = len;
    n->fin = fin;
    memcpy(n->data, data, len);
    /* Keep the queue sorted by starting sequence number. */
    list_for_each(p, &pcb->ooo) {
        struct tcp_ooo *o = list_entry(p, struct tcp_ooo, node);
        if (seq_lt(seq, o->seq))
            break;
    }
    list_insert(&n->node, p->prev, p);
    pcb->ooo_bytes += len;
    pcb->sack_recent = seq;
    tcp_stats.ooo_segments++;
}

/* "Seventh, process the segment text" (and the FIN, "eighth"). */
static void text_input(struct tcp_pcb *pcb, uint32_t seq, const uint8_t *data,
                       uint32_t len, bool fin)
{
    bool had_ooo = !list_empty(&pcb->ooo);

    if (seq == pcb->rcv_nxt) {
        uint32_t n = take_data(pcb, data, len);
        if (n == len && fin) {
            fin_arrives(pcb);
        } else if (n < len) {
            /* Past the real buffer (window rounding): the peer resends. */
            tcp_send_ack(pcb);
        }
        ooo_drain(pcb);
        if (had_ooo) {
            tcp_send_ack(pcb);          /* RFC 5681 §4.2: hole filled */
        } else if (len) {
            /* RFC 9293 §3.8.6.3: at least every second full segment (a
             * segment the NIC coalesced counts as the ones it holds). */
            pcb->unacked_segs += len / pcb->mss;
            if (pcb->unacked_segs >= 2) {
                tcp_send_ack(pcb);
            } else if (!pcb->dack_at) {
                tcp_stats.delayed_acks++;
                tcp_arm(pcb, &pcb->dack_at, TCP_DELACK_NS);
            }
        }
        tcp_wake(pcb);
    } else {
        ooo_insert(pcb, seq, data, len, fin);
        tcp_send_ack(pcb);              /* duplicate ACK for the hole */
    }
}

static void synchronized_input(struct tcp_pcb *pcb, const struct ipv4_hdr *ip,
                               const struct tcp_hdr *th, struct tcp_seg *seg)
{
    uint32_t seq = seg->seq;
    bool fin = seg->flags & TCP_FIN;
    uint32_t seg_len = seg->len + ((seg->flags & TCP_SYN) ? 1 : 0) + (fin ? 1 : 0);

    /* Our SYN-ACK was lost and the peer sends its SYN again. */
    if (pcb->state == TCP_SYN_RECEIVED && (seg->flags & TCP_SYN) &&
        !(seg->flags & TCP_ACK) && seq == pcb->irs) {
        tcp_send_syn(pcb);
        return;
    }
    if (!seq_acceptable(pcb, seq, seg_len)) {
        tcp_stats.drop_unacceptable++;
        if (!(seg->flags & TCP_RST))
            tcp_send_ack(pcb);
        if (pcb->state == TCP_TIME_WAIT && fin)
            tcp_arm(pcb, &pcb->wait_at, TCP_TIMEWAIT_NS);  /* FIN again */
        return;
    }
    /* "Second, check the RST bit" (RFC 5961 §3.2: only an exact match
     * resets; any other in-window RST draws a challenge ACK). */
    if (seg->flags & TCP_RST) {
        if (seq != pcb->rcv_nxt) {
            challenge_ack(pcb);
            return;
        }
        tcp_stats.rst_rx++;
        tcp_stats.resets++;
        int err = -ECONNRESET;
        if (pcb->state == TCP_SYN_RECEIVED && !pcb->listener)
            err = -ECONNREFUSED;
        else if (pcb->state >= TCP_CLOSING)
            err = 0;
        if (pcb->listener && pcb->state == TCP_SYN_RECEIVED) {
            drop_child(pcb);
            return;
        }
        tcp_abort(pcb, err);
        return;
    }
    /* "Fourth, check the SYN bit" (RFC 5961 §4). */
    if (seg->flags & TCP_SYN) {
        challenge_ack(pcb);
        return;
    }
    if (!(seg->flags & TCP_ACK))
        return;

    /* Trim to the window: bytes before rcv_nxt were had already, bytes
     * past the right edge cannot be taken. */
    const uint8_t *data = seg->data;
    uint32_t len = seg->len;
    if (seq_lt(seq, pcb->rcv_nxt)) {
        uint32_t cut = MIN(pcb->rcv_nxt - seq, len);
        data += cut;
        len -= cut;
        seq += cut;
    }
    uint32_t wnd_end = pcb->rcv_adv;
    if (seq_gt(seq + len, wnd_end)) {
        len = seq_gt(wnd_end, seq) ? wnd_end - seq : 0;
        fin = false;
    }

    /* "Fifth, check the ACK field". */
    if (pcb->state == TCP_SYN_RECEIVED) {
        if (seq_le(seg->ack, pcb->snd_una) || seq_gt(seg->ack, pcb->snd_max)) {
            tcp_stats.drop_badack++;
            tcp_reset_reply(ip, th, seg->len);
            return;
        }
        if (tcp_alloc_bufs(pcb)) {
            tcp_stats.drop_nomem++;
            tcp_send_rst(pcb);
            if (pcb->listener) {
                drop_child(pcb);
            } else {
                tcp_abort(pcb, -ENOMEM);
            }
            return;
        }
        if (pcb->listener) {
            tcp_embryonic--;
            pcb->ready = true;
        }
        pcb->snd_wnd = seg->wnd << pcb->snd_wscale;
        pcb->max_snd_wnd = MAX(pcb->max_snd_wnd, pcb->snd_wnd);
        pcb->snd_wl1 = seg->seq;
        pcb->snd_wl2 = seg->ack;
        if (pcb->rtt_timing && pcb->retries == 0)
            tcp_rtt_sample(pcb, time_ns() - pcb->rtt_start);
        pcb->rtt_timing = false;
        pcb->retries = 0;
        pcb->snd_una = seg->ack;
        pcb->rtx_at = 0;
        tcp_set_state(pcb, TCP_ESTABLISHED);
    } else {
        if (seq_gt(seg->ack, pcb->snd_max)) {
            tcp_stats.drop_badack++;
            tcp_send_ack(pcb);
            return;
        }
        uint32_t wnd = seg->wnd << pcb->snd_wscale;
        bool new_ack = seq_gt(seg->ack, pcb->snd_una);
        /* RFC 5681 §2 "duplicate acknowledgment". */
        if (seg->ack == pcb->snd_una && pcb->snd_una != pcb->snd_max &&
            seg->len == 0 && !(seg->flags & TCP_FIN) && wnd == pcb->snd_wnd &&
            wnd != 0)           /* answers to window probes are not */
            dup_ack(pcb);
        /* Window update (RFC 9293 §3.10.7.4, SND.WL1/WL2 rule). */
        if (seq_ge(seg->ack, pcb->snd_una) &&
            (seq_lt(pcb->snd_wl1, seg->seq) ||
             (pcb->snd_wl1 == seg->seq && seq_le(pcb->snd_wl2, seg->ack)))) {
            if (wnd == 0 && pcb->snd_wnd != 0)
                tcp_stats.zero_window_rx++;
            if (wnd > pcb->snd_wnd)
                tcp_wake(pcb);
            pcb->snd_wnd = wnd;
            pcb->max_snd_wnd = MAX(pcb->max_snd_wnd, wnd);
            pcb->snd_wl1 = seg->seq;
            pcb->snd_wl2 = seg->ack;
        }
        if (new_ack)
            ack_new_data(pcb, seg->ack);
    }

    switch (pcb->state) {
    case TCP_FIN_WAIT_1:
        if (fin_acked(pcb)) {
            tcp_set_state(pcb, TCP_FIN_WAIT_2);
            if (!pcb->sock)     /* orphan: do not wait for ever */
                tcp_arm(pcb, &pcb->wait_at, TCP_FIN_WAIT2_NS);
        }
        break;
    case TCP_CLOSING:
        if (fin_acked(pcb))
            tcp_set_state(pcb, TCP_TIME_WAIT);
        break;
    case TCP_LAST_ACK:
        if (fin_acked(pcb)) {
            tcp_abort(pcb, 0);
            return;
        }
        break;
    case TCP_TIME_WAIT:
        return;
    default:
        break;
    }

    /* "Seventh, process the segment text". */
    if (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_FIN_WAIT_1 ||
        pcb->state == TCP_FIN_WAIT_2) {
        if (len && !pcb->sock && !pcb->listener) {
            /* Data for a connection its owner has closed: nobody will
             * read it (RFC 9293 §3.10.4, RFC 2525 §2.17). */
            tcp_send_rst(pcb);
            tcp_abort(pcb, -ECONNRESET);
            return;
        }
        if (len || fin)
            text_input(pcb, seq, data, len, fin);
    }
    tcp_output(pcb);
}

void tcp_input(struct netif *nif, const struct ipv4_hdr *ip, const void *data,
               size_t len, unsigned rx_flags)
{
    struct tcp_hdr th;
    struct tcp_seg seg = { 0 };

    tcp_stats.rx++;
    if (len < TCP_HLEN) {
        tcp_stats.drop_short++;
        return;
    }
    memcpy(&th, data, sizeof(th));
    size_t hlen = (size_t)(th.off >> 4) * 4;
    if (hlen < TCP_HLEN || hlen > len) {
        tcp_stats.drop_hdrlen++;
        return;
    }
    /* Only unicast to our address (ip_input also lets broadcast through). */
    if (ip->dst == 0xffffffff || !ip->src || ip->src == 0xffffffff) {
        tcp_stats.drop_addr++;
        return;
    }
    if (!(rx_flags & NETDEV_RX_CSUM_OK) &&
        tcp_csum(ip->src, ip->dst, data, len) != 0xffff) {
        tcp_stats.drop_csum++;
        return;
    }
    if (!parse_options((const uint8_t *)data + TCP_HLEN, hlen - TCP_HLEN,
                       &seg.opt)) {
        tcp_stats.drop_opts++;
        return;
    }
    seg.seq = ntohl(th.seq);
    seg.ack = ntohl(th.ack);
    seg.wnd = ntohs(th.wnd);
    seg.flags = th.flags;
    seg.data = (const uint8_t *)data + hlen;
    seg.len = (uint32_t)(len - hlen);

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    struct tcp_pcb *pcb = tcp_lookup(ip->dst, ntohs(th.dport), ip->src,
                                     ntohs(th.sport));
    if (!pcb) {
        tcp_stats.drop_noport++;
        tcp_reset_reply(ip, &th, seg.len + ((seg.flags & TCP_SYN) ? 1 : 0) +
                                     ((seg.flags & TCP_FIN) ? 1 : 0));
    } else if (pcb->state == TCP_LISTEN) {
        listen_input(pcb, ip, &th, &seg);
    } else if (pcb->state == TCP_SYN_SENT) {
        syn_sent_input(pcb, ip, &th, &seg);
    } else {
        synchronized_input(pcb, ip, &th, &seg);
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
}

void tcp_icmp_unreach(const struct ipv4_hdr *q, size_t len, uint8_t code)
{
    /* The quoted IP header and at least 8 bytes of ours (RFC 792). */
    if (len < sizeof(*q) || (q->ver_ihl >> 4) != 4)
        return;
    size_t ihl = (size_t)(q->ver_ihl & 0xf) * 4;
    if (ihl < sizeof(*q) || len < ihl + 8 || q->proto != IP_PROTO_TCP)
        return;
    const uint8_t *t = (const uint8_t *)q + ihl;
    uint16_t sport = (uint16_t)(t[0] << 8 | t[1]);
    uint16_t dport = (uint16_t)(t[2] << 8 | t[3]);
    uint32_t seq = (uint32_t)t[4] << 24 | t[5] << 16 | t[6] << 8 | t[7];

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    struct tcp_pcb *pcb = tcp_lookup(q->src, sport, q->dst, dport);
    if (pcb && pcb->state == TCP_SYN_SENT && seq == pcb->iss) {
        /* RFC 1122 §4.2.3.9 makes these soft errors; like Linux we end
         * a connection attempt that cannot succeed. */
        tcp_stats.icmp_errors++;
        tcp_abort(pcb, code == 3 ? -ECONNREFUSED : -EHOSTUNREACH);
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
}
