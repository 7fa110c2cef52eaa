/* TCP connection blocks: allocation, demultiplexing, ports, initial
 * sequence numbers, state changes and the counters.  The segment
 * arrival rules are in tcp_input.c, sending in tcp_output.c, timers in
 * tcp_timer.c and the socket calls in tcp_sock.c. */
#include "cmdline.h"
#include "mm.h"
#include "printk.h"
#include "string.h"
#include "tcp_internal.h"
#include "time.h"

struct spinlock tcp_lock = SPINLOCK_INIT("tcp");
struct list_head tcp_pcbs = LIST_HEAD_INIT(tcp_pcbs);
struct tcp_stats tcp_stats;
size_t tcp_rmem_default = TCP_RMEM_DEFAULT;
size_t tcp_wmem_default = TCP_WMEM_DEFAULT;

static unsigned npcbs;
unsigned tcp_embryonic;
static uint64_t iss_secret;
static uint16_t next_port;

static const char *const state_names[] = {
    [TCP_CLOSED] = "CLOSED", [TCP_LISTEN] = "LISTEN",
    [TCP_SYN_SENT] = "SYN-SENT", [TCP_SYN_RECEIVED] = "SYN-RECEIVED",
    [TCP_ESTABLISHED] = "ESTABLISHED", [TCP_FIN_WAIT_1] = "FIN-WAIT-1",
    [TCP_FIN_WAIT_2] = "FIN-WAIT-2", [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
    [TCP_CLOSING] = "CLOSING", [TCP_LAST_ACK] = "LAST-ACK",
    [TCP_TIME_WAIT] = "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state st)
{
    return st < ARRAY_SIZE(state_names) ? state_names[st] : "?";
}

/* At the connection limit, the oldest orphan in TIME-WAIT makes room
 * (Linux's tcp_max_tw_buckets does the same): it only guards against old
 * duplicates of a connection that is over. */
static bool recycle_time_wait(void)
{
    struct tcp_pcb *oldest = NULL;
    struct list_head *p;

    list_for_each(p, &tcp_pcbs) {
        struct tcp_pcb *pcb = list_entry(p, struct tcp_pcb, node);
        if (pcb->state == TCP_TIME_WAIT && !pcb->sock &&
            (!oldest || pcb->wait_at < oldest->wait_at))
            oldest = pcb;
    }
    if (!oldest)
        return false;
    tcp_stats.tw_recycled++;
    tcp_pcb_free(oldest);
    return true;
}

struct tcp_pcb *tcp_pcb_new(void)
{
    if (npcbs >= TCP_MAX_PCBS && !recycle_time_wait())
        return NULL;
    struct tcp_pcb *pcb = kzalloc(sizeof(*pcb));
    if (!pcb)
        return NULL;
    npcbs++;
    tcp_stats.pcbs_in_use = npcbs;
    list_init(&pcb->children);
    list_init(&pcb->child_node);
    list_init(&pcb->ooo);
    pcb->mss = TCP_MSS_DEFAULT;
    pcb->rto = TCP_RTO_INITIAL;
    pcb->rcvbuf_size = tcp_rmem_default;
    pcb->sndbuf_size = tcp_wmem_default;
    pcb->created_ns = time_ns();
    list_add_tail(&pcb->node, &tcp_pcbs);
    return pcb;
}

void tcp_pcb_free(struct tcp_pcb *pcb)
{
    list_del(&pcb->node);
    list_del(&pcb->child_node);
    if (pcb->listener) {
        pcb->listener->nchildren--;
        if (!pcb->ready)
            tcp_embryonic--;
    }
    tcp_ooo_purge(pcb);
    rb_release(&pcb->sndbuf);
    rb_release(&pcb->rcvbuf);
    kfree(pcb);
    npcbs--;
    tcp_stats.pcbs_in_use = npcbs;
}

/* The connection a segment belongs to: an exact four-tuple match first,
 * else a listener on the port (RFC 9293 §3.10.7: "the connection whose
 * socket pair matches, else a LISTEN one"). */
struct tcp_pcb *tcp_lookup(in_addr_t laddr, uint16_t lport, in_addr_t raddr,
                           uint16_t rport)
{
    struct tcp_pcb *listener = NULL;
    struct list_head *p;

    list_for_each(p, &tcp_pcbs) {
        struct tcp_pcb *pcb = list_entry(p, struct tcp_pcb, node);
        if (pcb->lport != lport || pcb->state == TCP_CLOSED)
            continue;
        if (pcb->state == TCP_LISTEN) {
            if (!pcb->laddr || pcb->laddr == laddr)
                listener = pcb;
            continue;
        }
        if (pcb->rport == rport && pcb->raddr == raddr && pcb->laddr == laddr)
            return pcb;
    }
    return listener;
}

static bool port_in_use(uint16_t port)
{
    struct list_head *p;

    list_for_each(p, &tcp_pcbs) {
        struct tcp_pcb *pcb = list_entry(p, struct tcp_pcb, node);
        if (pcb->lport == port)
            return true;
    }
    return false;
}

/* An ephemeral port not used by any connection (RFC 6056 §3.3.2-like:
 * a moving start point rather than always the first free port). */
int tcp_pick_port(uint16_t *port)
{
    const unsigned span = TCP_EPHEMERAL_LAST - TCP_EPHEMERAL_FIRST + 1;

    for (unsigned i = 0; i < span; i++) {
        uint16_t p = (uint16_t)(TCP_EPHEMERAL_FIRST + (next_port + i) % span);
        if (!port_in_use(p)) {
            next_port = (uint16_t)((next_port + i + 1) % span);
            *port = p;
            return 0;
        }
    }
    return -EADDRINUSE;
}

bool tcp_port_in_use(uint16_t port)
{
    return port_in_use(port);
}

/* splitmix64's finaliser: a cheap keyed mix, good enough to keep initial
 * sequence numbers unguessable off-path for a teaching kernel. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* RFC 6528 §3: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
uint32_t tcp_new_iss(in_addr_t laddr, uint16_t lport, in_addr_t raddr,
                     uint16_t rport)
{
    uint64_t f = mix64(iss_secret ^ ((uint64_t)laddr << 32 | raddr) ^
                       mix64((uint64_t)lport << 16 | rport));
    return (uint32_t)(time_ns() / 4000) + (uint32_t)f;
}

/* The smallest shift that lets a 16-bit window cover the buffer. */
uint8_t tcp_wscale_for(size_t bufsize)
{
    uint8_t s = 0;

    while (s < TCP_MAX_WSCALE && ((size_t)0xffff << s) < bufsize)
        s++;
    return s;
}

int tcp_alloc_bufs(struct tcp_pcb *pcb)
{
    if (pcb->rcvbuf.buf && pcb->sndbuf.buf)
        return 0;
    if (rb_alloc(&pcb->rcvbuf, pcb->rcvbuf_size) ||
        rb_alloc(&pcb->sndbuf, pcb->sndbuf_size)) {
        rb_release(&pcb->rcvbuf);
        rb_release(&pcb->sndbuf);
        return -ENOMEM;
    }
    return 0;
}

void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st)
{
    if (st == TCP_ESTABLISHED && pcb->state != TCP_ESTABLISHED)
        tcp_stats.established++;
    if (st == TCP_TIME_WAIT) {
        tcp_stats.time_wait++;
        /* Nothing more will be sent or read: keep only the four-tuple. */
        pcb->rtx_at = pcb->dack_at = 0;
        tcp_arm(pcb, &pcb->wait_at, TCP_TIMEWAIT_NS);
    }
    pcb->state = st;
    tcp_wake(pcb);
}

void tcp_wake(struct tcp_pcb *pcb)
{
    if (pcb->sock)
        wake_up(&pcb->sock->wq);
    if (pcb->listener && pcb->listener->sock)
        wake_up(&pcb->listener->sock->wq);
}

void tcp_abort(struct tcp_pcb *pcb, int err)
{
    pcb->rtx_at = pcb->dack_at = pcb->wait_at = 0;
    if (err && !pcb->err)
        pcb->err = err;
    pcb->state = TCP_CLOSED;
    tcp_wake(pcb);
    /* A child nobody accepted yet, or a connection its owner closed. */
    if (!pcb->sock)
        tcp_pcb_free(pcb);
}

void tcp_init(void)
{
    iss_secret = mix64(time_counter() ^ 0x5443502069737321ULL);
    next_port = (uint16_t)(mix64(iss_secret) %
                           (TCP_EPHEMERAL_LAST - TCP_EPHEMERAL_FIRST + 1));
    size_t r = cmdline_get_uint("tcp.rmem", TCP_RMEM_DEFAULT);
    size_t w = cmdline_get_uint("tcp.wmem", TCP_WMEM_DEFAULT);
    tcp_rmem_default = MIN(MAX(r, TCP_BUF_MIN), TCP_BUF_MAX);
    tcp_wmem_default = MIN(MAX(w, TCP_BUF_MIN), TCP_BUF_MAX);
    tcp_sock_init();
    tcp_timer_init();
}

void tcp_dump(void)
{
    const struct tcp_stats *s = &tcp_stats;
    const struct { const char *name; uint64_t v; } c[] = {
        { "rx", s->rx }, { "tx", s->tx },
        { "drop_short", s->drop_short }, { "drop_csum", s->drop_csum },
        { "drop_hdrlen", s->drop_hdrlen }, { "drop_opts", s->drop_opts },
        { "drop_addr", s->drop_addr }, { "drop_noport", s->drop_noport },
        { "drop_backlog", s->drop_backlog }, { "drop_nomem", s->drop_nomem },
        { "drop_unacceptable", s->drop_unacceptable },
        { "drop_badack", s->drop_badack }, { "drop_listen", s->drop_listen },
        { "rst_rx", s->rst_rx }, { "rst_tx", s->rst_tx },
        { "challenge_acks", s->challenge_acks }, { "dup_acks", s->dup_acks },
        { "ooo_segments", s->ooo_segments }, { "ooo_drops", s->ooo_drops },
        { "retransmits", s->retransmits }, { "rto_timeouts", s->rto_timeouts },
        { "fast_retransmits", s->fast_retransmits },
        { "persist_probes", s->persist_probes },
        { "zero_window_rx", s->zero_window_rx },
        { "delayed_acks", s->delayed_acks }, { "syn_evicted", s->syn_evicted },
        { "active_opens", s->active_opens },
        { "passive_opens", s->passive_opens },
        { "established", s->established }, { "resets", s->resets },
        { "timeouts", s->timeouts }, { "time_wait", s->time_wait },
        { "tw_recycled", s->tw_recycled },
        { "pcbs_in_use", s->pcbs_in_use }, { "icmp_errors", s->icmp_errors },
    };

    for (size_t i = 0; i < ARRAY_SIZE(c); i++)
        kprintf("net tcp_%s %lu\n", c[i].name, (unsigned long)c[i].v);
}
