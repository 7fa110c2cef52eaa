/* The SOCK_STREAM socket operations (include/socket.h) on top of the TCP
 * connection blocks: blocking calls sleep on the socket's wait queue,
 * which input, timers and the other calls wake on every change. */
#include "mm.h"
#include "string.h"
#include "tcp_internal.h"
#include "time.h"

#define TCP_BACKLOG_MAX 128

static const struct proto_ops tcp_ops;

static bool nonblocking(const struct socket *s, int flags)
{
    return (s->flags & SOCK_NONBLOCK) || (flags & MSG_DONTWAIT);
}

/* Sleeps until cond(pcb) holds, honouring a timeout (0 = none).  Returns
 * 0, -EAGAIN on timeout, or when a signal arrives for the calling process
 * (kernel threads get none) -ERESTARTSYS, or -EINTR if a timeout was set
 * (Linux's sock_intr_errno: such calls are not restarted). */
static int sleep_until(struct socket *s, bool (*cond)(struct tcp_pcb *),
                       uint64_t timeout_ns)
{
    struct tcp_pcb *pcb = s->pcb;

    if (timeout_ns) {
        if (!wait_event_timeout(&s->wq, cond(pcb) || signal_pending(),
                                timeout_ns))
            return -EAGAIN;
    } else {
        wait_event(&s->wq, cond(pcb) || signal_pending());
    }
    if (!cond(pcb) && signal_pending())
        return timeout_ns ? -EINTR : -ERESTARTSYS;
    return 0;
}

static size_t clamp_buf(size_t v)
{
    return MIN(MAX(v, TCP_BUF_MIN), TCP_BUF_MAX);
}

static void take_buf_sizes(struct socket *s, struct tcp_pcb *pcb)
{
    if (s->rcvbuf)
        pcb->rcvbuf_size = clamp_buf(s->rcvbuf);
    if (s->sndbuf)
        pcb->sndbuf_size = clamp_buf(s->sndbuf);
}

static int tcp_bind(struct socket *s, const struct sockaddr_in *a)
{
    struct tcp_pcb *pcb = s->pcb;
    uint16_t port = ntohs(a->sin_port);
    int err = 0;

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    if (pcb->state != TCP_CLOSED || pcb->lport)
        err = -EINVAL;
    else if (!port)
        err = tcp_pick_port(&port);
    else if (tcp_port_in_use(port))
        err = -EADDRINUSE;
    if (!err) {
        pcb->lport = port;
        pcb->laddr = a->sin_addr;
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
    return err;
}

static bool connect_done(struct tcp_pcb *pcb)
{
    return pcb->state != TCP_SYN_SENT && pcb->state != TCP_SYN_RECEIVED;
}

static int connect_result(struct tcp_pcb *pcb)
{
    if (pcb->state == TCP_CLOSED)
        return pcb->err ? pcb->err : -ECONNREFUSED;
    return 0;
}

static int tcp_connect(struct socket *s, const struct sockaddr_in *a)
{
    struct tcp_pcb *pcb = s->pcb;
    int err = 0;

    if (!a->sin_addr || a->sin_addr == 0xffffffff || !a->sin_port)
        return -EINVAL;
    uint64_t f = spin_lock_irqsave(&net_if.cfg_lock);
    in_addr_t src = net_if.configured ? net_if.addr : 0;
    spin_unlock_irqrestore(&net_if.cfg_lock, f);
    if (!src)
        return -ENETUNREACH;

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED)
        err = -EALREADY;
    else if (pcb->state != TCP_CLOSED)
        err = -EISCONN;
    else if (pcb->err)
        err = -EINVAL;      /* a failed connection is not reused */
    else if (!pcb->lport)
        err = tcp_pick_port(&pcb->lport);
    if (err) {
        spin_unlock_irqrestore(&tcp_lock, flags);
        return err;
    }
    take_buf_sizes(s, pcb);
    pcb->laddr = src;
    pcb->raddr = a->sin_addr;
    pcb->rport = ntohs(a->sin_port);
    pcb->iss = tcp_new_iss(pcb->laddr, pcb->lport, pcb->raddr, pcb->rport);
    pcb->snd_una = pcb->snd_max = pcb->recover = pcb->iss;
    pcb->buf_seq = pcb->iss + 1;
    pcb->rcv_wscale = tcp_wscale_for(pcb->rcvbuf_size);
    pcb->state = TCP_SYN_SENT;
    pcb->rtt_timing = true;
    pcb->rtt_seq = pcb->iss;
    pcb->rtt_start = time_ns();
    tcp_stats.active_opens++;
    tcp_send_syn(pcb);
    spin_unlock_irqrestore(&tcp_lock, flags);

    if (nonblocking(s, 0))
        return -EINPROGRESS;
    err = sleep_until(s, connect_done, s->snd_timeout_ns);
    if (err)
        return err == -EAGAIN ? -ETIMEDOUT : -EINTR;
    flags = spin_lock_irqsave(&tcp_lock);
    err = connect_result(pcb);
    spin_unlock_irqrestore(&tcp_lock, flags);
    return err;
}

static int tcp_listen(struct socket *s, int backlog)
{
    struct tcp_pcb *pcb = s->pcb;
    int err = 0;

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    if (pcb->state != TCP_CLOSED && pcb->state != TCP_LISTEN)
        err = -EINVAL;
    else if (!pcb->lport)
        err = tcp_pick_port(&pcb->lport);
    if (!err) {
        take_buf_sizes(s, pcb);
        pcb->backlog = (unsigned)MIN(MAX(backlog, 1), TCP_BACKLOG_MAX);
        pcb->state = TCP_LISTEN;
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
    return err;
}

/* The first child that completed its handshake.  tcp_lock held. */
static struct tcp_pcb *ready_child(struct tcp_pcb *l)
{
    struct list_head *p;

    list_for_each(p, &l->children) {
        struct tcp_pcb *c = list_entry(p, struct tcp_pcb, child_node);
        if (c->ready)
            return c;
    }
    return NULL;
}

static bool accept_ready(struct tcp_pcb *l)
{
    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    bool ok = l->state != TCP_LISTEN || ready_child(l);
    spin_unlock_irqrestore(&tcp_lock, flags);
    return ok;
}

static int tcp_accept(struct socket *s, struct socket **out,
                      struct sockaddr_in *peer)
{
    struct tcp_pcb *l = s->pcb;

    if (READ_ONCE(l->state) != TCP_LISTEN)
        return -EINVAL;
    struct socket *ns = kzalloc(sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&tcp_lock);
        struct tcp_pcb *c = l->state == TCP_LISTEN ? ready_child(l) : NULL;
        int err = l->state == TCP_LISTEN ? 0 : -EINVAL;
        if (c) {
            list_del(&c->child_node);
            l->nchildren--;
            c->listener = NULL;
            ns->type = SOCK_STREAM;
            ns->ops = &tcp_ops;
            waitq_init(&ns->wq);
            ns->pcb = c;
            c->sock = ns;
            if (peer)
                *peer = sockaddr(c->raddr, c->rport);
        }
        spin_unlock_irqrestore(&tcp_lock, flags);
        if (c) {
            *out = ns;
            return 0;
        }
        if (!err && nonblocking(s, 0))
            err = -EAGAIN;
        if (!err)
            err = sleep_until(s, accept_ready, s->rcv_timeout_ns);
        if (err) {
            kfree(ns);
            return err;
        }
    }
}

static bool can_send(struct tcp_pcb *pcb)
{
    return pcb->err || pcb->fin_queued ||
           (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT &&
            connect_done(pcb)) ||
           (pcb->sndbuf.buf && rb_space(&pcb->sndbuf) > 0);
}

static ssize_t tcp_sendto(struct socket *s, const void *buf, size_t len,
                          int flags, const struct sockaddr_in *to)
{
    struct tcp_pcb *pcb = s->pcb;
    const uint8_t *p = buf;
    size_t sent = 0;

    for (;;) {
        int err = 0;
        uint64_t irq = spin_lock_irqsave(&tcp_lock);
        if (pcb->err)
            err = pcb->err;
        else if (pcb->fin_queued)
            err = -EPIPE;
        else if (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT) {
            size_t n = rb_write(&pcb->sndbuf, p + sent, len - sent);
            sent += n;
            if (n)
                tcp_output(pcb);
        } else if (connect_done(pcb)) {
            err = pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN
                      ? -ENOTCONN : -EPIPE;
        }
        spin_unlock_irqrestore(&tcp_lock, irq);
        if (sent == len && len)
            return (ssize_t)sent;
        if (err)
            return sent ? (ssize_t)sent : err;
        if (!len)
            return 0;
        if (nonblocking(s, flags))
            return sent ? (ssize_t)sent : -EAGAIN;
        int w = sleep_until(s, can_send, s->snd_timeout_ns);
        if (w)
            return sent ? (ssize_t)sent : w;
    }
}

static bool can_recv(struct tcp_pcb *pcb)
{
    return (pcb->rcvbuf.buf && rb_len(&pcb->rcvbuf) > 0) || pcb->fin_rcvd ||
           pcb->rd_shut || pcb->err ||
           (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN);
}

/* Receiver-side silly-window avoidance (RFC 9293 §3.8.6.2.2): after a
 * read, tell the peer about the opened window only once it has grown by
 * a useful amount over what it last heard. */
static void maybe_window_update(struct tcp_pcb *pcb)
{
    uint32_t adv = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
    size_t space = rb_space(&pcb->rcvbuf);
    size_t step = MIN(pcb->rcvbuf_size / 2, 2u * pcb->mss);

    if (space >= adv + step && adv < pcb->rcvbuf_size / 2 &&
        (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_FIN_WAIT_1 ||
         pcb->state == TCP_FIN_WAIT_2))
        tcp_send_ack(pcb);
}

static ssize_t tcp_recvfrom(struct socket *s, void *buf, size_t len, int flags,
                            struct sockaddr_in *from)
{
    struct tcp_pcb *pcb = s->pcb;

    for (;;) {
        ssize_t ret = -EAGAIN;
        uint64_t irq = spin_lock_irqsave(&tcp_lock);
        if (pcb->rcvbuf.buf && rb_len(&pcb->rcvbuf) && !pcb->rd_shut && len) {
            size_t n = rb_peek(&pcb->rcvbuf, 0, buf, len);
            if (!(flags & MSG_PEEK)) {
                rb_drop(&pcb->rcvbuf, n);
                maybe_window_update(pcb);
            }
            ret = (ssize_t)n;
        } else if (!len) {
            ret = 0;
        } else if (pcb->fin_rcvd || pcb->rd_shut) {
            ret = 0;                    /* end of stream */
        } else if (pcb->err) {
            ret = pcb->err;
        } else if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN) {
            ret = -ENOTCONN;
        }
        if (ret >= 0 && from)
            *from = sockaddr(pcb->raddr, pcb->rport);
        spin_unlock_irqrestore(&tcp_lock, irq);
        if (ret != -EAGAIN)
            return ret;
        if (nonblocking(s, flags))
            return -EAGAIN;
        int w = sleep_until(s, can_recv, s->rcv_timeout_ns);
        if (w)
            return w;               /* -EAGAIN: SO_RCVTIMEO, as Linux */
    }
}

static int tcp_shutdown(struct socket *s, int how)
{
    struct tcp_pcb *pcb = s->pcb;
    int err = 0;

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN ||
        pcb->state == TCP_SYN_SENT) {
        err = -ENOTCONN;
    } else {
        if (how != SHUT_WR && !pcb->rd_shut) {
            pcb->rd_shut = true;
            if (pcb->rcvbuf.buf)
                rb_drop(&pcb->rcvbuf, rb_len(&pcb->rcvbuf));
        }
        if (how != SHUT_RD && !pcb->fin_queued &&
            (pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT ||
             pcb->state == TCP_SYN_RECEIVED)) {
            pcb->fin_queued = true;
            tcp_output(pcb);
        }
        tcp_wake(pcb);
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
    return err;
}

static unsigned tcp_poll(struct socket *s)
{
    struct tcp_pcb *pcb = s->pcb;
    unsigned ev = 0;

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    if (pcb->state == TCP_LISTEN) {
        if (ready_child(pcb))
            ev |= POLLIN;
    } else {
        if (can_recv(pcb) && pcb->state != TCP_CLOSED)
            ev |= POLLIN;
        if ((pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT) &&
            !pcb->fin_queued && rb_space(&pcb->sndbuf) > 0)
            ev |= POLLOUT;
        if (pcb->err)
            ev |= POLLERR;
        if (pcb->state == TCP_CLOSED && (pcb->err || pcb->fin_rcvd))
            ev |= POLLHUP | POLLIN;
        if (pcb->fin_rcvd && pcb->fin_queued)
            ev |= POLLHUP;
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
    return ev;
}

/* The owner lets go.  A connection with data still to deliver lives on
 * as an orphan and finishes on its own (timers bound how long). */
static void tcp_close(struct socket *s)
{
    struct tcp_pcb *pcb = s->pcb;
    struct list_head *p, *n;

    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    pcb->sock = NULL;
    s->pcb = NULL;
    switch (pcb->state) {
    case TCP_LISTEN:
        list_for_each_safe(p, n, &pcb->children) {
            struct tcp_pcb *c = list_entry(p, struct tcp_pcb, child_node);
            tcp_send_rst(c);
            tcp_pcb_free(c);
        }
        tcp_pcb_free(pcb);
        break;
    case TCP_CLOSED:
    case TCP_SYN_SENT:
        tcp_pcb_free(pcb);
        break;
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        /* Unread data is lost: say so with a reset (RFC 9293 §3.10.4,
         * RFC 2525 §2.17), as Linux does. */
        if ((pcb->rcvbuf.buf && rb_len(&pcb->rcvbuf)) ||
            pcb->state == TCP_SYN_RECEIVED) {
            tcp_send_rst(pcb);
            tcp_pcb_free(pcb);
            break;
        }
        pcb->fin_queued = true;
        tcp_output(pcb);
        break;
    case TCP_FIN_WAIT_2:
        tcp_arm(pcb, &pcb->wait_at, TCP_FIN_WAIT2_NS);
        break;
    default:    /* FIN-WAIT-1, CLOSING, LAST-ACK, TIME-WAIT: timers finish */
        break;
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
}

static int tcp_sock_create(struct socket *s)
{
    uint64_t flags = spin_lock_irqsave(&tcp_lock);
    struct tcp_pcb *pcb = tcp_pcb_new();

    if (pcb) {
        pcb->sock = s;
        s->pcb = pcb;
    }
    spin_unlock_irqrestore(&tcp_lock, flags);
    return pcb ? 0 : -ENOMEM;
}

static const struct proto_ops tcp_ops = {
    .bind = tcp_bind,
    .connect = tcp_connect,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .sendto = tcp_sendto,
    .recvfrom = tcp_recvfrom,
    .shutdown = tcp_shutdown,
    .poll = tcp_poll,
    .close = tcp_close,
};

void tcp_sock_init(void)
{
    sock_register_proto(SOCK_STREAM, &tcp_ops, tcp_sock_create);
}
