/* TCP internals shared by net/tcp_*.c: the wire header, the connection
 * (protocol control block), sequence arithmetic and the functions the
 * input, output, timer and socket parts call in each other.
 *
 * Locking: tcp_lock (IRQ-saving) protects every PCB, the PCB list, the
 * buffers and the accept queues.  It is taken by the receive bottom half
 * (tcp_input), the timer thread and socket calls in thread context.
 * Everything in this header named *_locked, and every function taking a
 * struct tcp_pcb, expects it held.  Segments are sent with it held (the
 * layers below take only their own locks, never this one). */
#ifndef TCP_INTERNAL_H
#define TCP_INTERNAL_H

#include "list.h"
#include "ringbuf.h"
#include "socket.h"
#include "tcp.h"

struct tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t off;            /* data offset in 32-bit words, high nibble */
    uint8_t flags;
    uint16_t wnd;
    uint16_t csum;
    uint16_t urg;
} __attribute__((packed));

#define TCP_HLEN        20
#define TCP_MAX_OPTLEN  40

#define TCP_FIN         0x01
#define TCP_SYN         0x02
#define TCP_RST         0x04
#define TCP_PSH         0x08
#define TCP_ACK         0x10
#define TCP_URG         0x20

/* Options (RFC 9293 §3.2, RFC 7323 §2). */
#define TCPOPT_EOL      0
#define TCPOPT_NOP      1
#define TCPOPT_MSS      2
#define TCPOPT_WSCALE   3
#define TCPOPT_SACK_PERM 4          /* RFC 2018 §2 */
#define TCPOPT_SACK     5           /* RFC 2018 §3 */
#define TCPOPT_MSS_LEN  4
#define TCPOPT_WS_LEN   3
#define TCPOPT_SACK_PERM_LEN 2
#define TCP_SACK_MAX_BLOCKS 4       /* 2 + 4 * 8 bytes fit in 40 */
#define TCP_MAX_WSCALE  14          /* RFC 7323 §2.3 */

#define TCP_MSS_DEFAULT 536         /* no MSS option (RFC 9293 §3.7.1) */
#define TCP_MSS_LOCAL   (ETH_MAX_FRAME - ETH_HLEN - 20 - TCP_HLEN)

/* Timing, in ns.  RFC 6298 asks for a 1 s minimum RTO; like Linux we use
 * 200 ms, which a LAN (and the test's 20 ms netem delay) is far above. */
#define TCP_RTO_INITIAL     (1000 * NSEC_PER_MSEC)      /* RFC 6298 (2.1) */
#define TCP_RTO_MIN         (200 * NSEC_PER_MSEC)
#define TCP_RTO_MAX         (60 * NSEC_PER_SEC)         /* RFC 6298 (2.5) */
#define TCP_CLOCK_G         NSEC_PER_MSEC               /* the tick */
#define TCP_DELACK_NS       (40 * NSEC_PER_MSEC)        /* RFC 9293 §3.8.6.3: < 0.5 s */
#define TCP_MSL_NS          (30 * NSEC_PER_SEC)
#define TCP_TIMEWAIT_NS     (2 * TCP_MSL_NS)
#define TCP_FIN_WAIT2_NS    (60 * NSEC_PER_SEC)         /* orphans only */
#define TCP_SYN_RETRIES     5       /* connect: 1+2+4+8+16+32 s */
#define TCP_SYNACK_RETRIES  3
#define TCP_DATA_RETRIES    10
#define TCP_INIT_CWND_SEGS  10      /* RFC 6928 */
#define TCP_MAX_PCBS        256
#define TCP_MAX_EMBRYONIC   64      /* SYN-RECEIVED across all listeners */
#define TCP_EPHEMERAL_FIRST 49152   /* RFC 6335 §6 */
#define TCP_EPHEMERAL_LAST  65535

enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RECEIVED,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
};

/* An out-of-order segment waiting for the hole before it to fill. */
struct tcp_ooo {
    struct list_head node;
    uint32_t seq;
    uint32_t len;
    bool fin;
    uint8_t data[];
};

struct tcp_pcb {
    struct list_head node;          /* tcp_pcbs */
    enum tcp_state state;
    struct socket *sock;            /* NULL once closed by its owner */
    in_addr_t laddr, raddr;         /* network order */
    uint16_t lport, rport;          /* host order */

    /* listeners and their children (RFC 9293 §3.10.7.2) */
    struct tcp_pcb *listener;       /* for a child not yet accepted */
    struct list_head children;      /* listener: SYN-RECEIVED and ready */
    struct list_head child_node;
    unsigned backlog, nchildren;
    bool ready;                     /* child: established, awaiting accept() */

    /* send side (RFC 9293 §3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2;
    uint32_t snd_wnd;               /* scaled, in bytes */
    uint32_t max_snd_wnd;
    uint32_t buf_seq;               /* sequence number of sndbuf's first byte */
    uint8_t snd_wscale;
    uint16_t mss;                   /* effective send MSS */
    uint32_t cwnd, ssthresh;        /* RFC 5681 */
    unsigned dupacks;
    bool in_recovery;               /* NewReno fast recovery (RFC 6582) */
    uint32_t recover;
    bool fin_queued;                /* shutdown(SHUT_WR) or close() */
    struct ringbuf sndbuf;
    size_t sndbuf_size;

    /* receive side */
    uint32_t irs, rcv_nxt;
    uint32_t rcv_adv;               /* right edge last advertised */
    uint8_t rcv_wscale;
    bool wscale_ok;                 /* both sides sent the option */
    bool sack_ok;                   /* the peer's SYN allowed SACK */
    uint32_t sack_recent;           /* start of the last out-of-order arrival */
    bool fin_rcvd;
    bool rd_shut;                   /* shutdown(SHUT_RD) */
    struct ringbuf rcvbuf;
    size_t rcvbuf_size;
    struct list_head ooo;           /* struct tcp_ooo, by sequence */
    size_t ooo_bytes;
    unsigned unacked_segs;          /* full segments received, not ACKed */

    /* RTT and retransmission (RFC 6298) */
    uint64_t srtt, rttvar, rto;
    bool rtt_timing;
    uint32_t rtt_seq;
    uint64_t rtt_start;
    unsigned retries;               /* consecutive timeouts */
    uint64_t rtx_at, dack_at, wait_at;  /* deadlines, 0 = not armed */

    int err;                        /* -errno to report to the owner */
    uint64_t created_ns;
};

/* Sequence space comparisons (RFC 9293 §3.4), modulo 2^32. */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

extern struct spinlock tcp_lock;
extern struct list_head tcp_pcbs;
extern size_t tcp_rmem_default, tcp_wmem_default;
extern unsigned tcp_embryonic;     /* children in SYN-RECEIVED, all listeners */

/* tcp.c: PCBs */
struct tcp_pcb *tcp_pcb_new(void);
void tcp_pcb_free(struct tcp_pcb *pcb);
struct tcp_pcb *tcp_lookup(in_addr_t laddr, uint16_t lport, in_addr_t raddr,
                           uint16_t rport);
int tcp_pick_port(uint16_t *port);
bool tcp_port_in_use(uint16_t port);
uint32_t tcp_new_iss(in_addr_t laddr, uint16_t lport, in_addr_t raddr,
                     uint16_t rport);
int tcp_alloc_bufs(struct tcp_pcb *pcb);
uint8_t tcp_wscale_for(size_t bufsize);
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st);
/* Ends a connection: state CLOSED, timers off, error for the owner, freed
 * if it has no owner. */
void tcp_abort(struct tcp_pcb *pcb, int err);
void tcp_wake(struct tcp_pcb *pcb);
const char *tcp_state_name(enum tcp_state st);

/* tcp_output.c */
void tcp_output(struct tcp_pcb *pcb);
void tcp_send_ack(struct tcp_pcb *pcb);
void tcp_send_syn(struct tcp_pcb *pcb);
void tcp_send_rst(struct tcp_pcb *pcb);
/* Sends one segment of sndbuf data [seq, seq+len) (plus FIN if flagged). */
int tcp_send_data(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool fin);
/* RST answering a segment no connection takes (RFC 9293 §3.10.7.1). */
void tcp_reset_reply(const struct ipv4_hdr *ip, const struct tcp_hdr *th,
                     uint32_t seg_len);
uint16_t tcp_rcv_window(struct tcp_pcb *pcb, bool syn);
size_t tcp_rcv_space(const struct tcp_pcb *pcb);
uint32_t tcp_fin_seq(const struct tcp_pcb *pcb);
bool tcp_fin_sent(const struct tcp_pcb *pcb);
uint16_t tcp_csum(in_addr_t src, in_addr_t dst, const void *seg, size_t len);

/* tcp_timer.c */
void tcp_timer_init(void);
void tcp_arm(struct tcp_pcb *pcb, uint64_t *deadline, uint64_t delay_ns);
void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t rtt_ns);

/* tcp_input.c */
void tcp_ooo_purge(struct tcp_pcb *pcb);

/* tcp_sock.c */
void tcp_sock_init(void);

#endif
