/* TCP timers: retransmission (RFC 6298, which also serves as the
 * zero-window persist timer and repeats SYNs), delayed ACKs, and the
 * TIME-WAIT / orphaned FIN-WAIT-2 timeout.  Each PCB keeps its deadlines;
 * one kernel thread sleeps until the earliest of them, so an idle stack
 * costs no wake-ups at all. */
#include "panic.h"
#include "printk.h"
#include "sched.h"
#include "tcp_internal.h"
#include "time.h"

static struct waitq timer_wq;
/* Earliest armed deadline as the timer thread last saw it, 0 = none.
 * Written under tcp_lock; the thread also reads it without. */
static uint64_t next_deadline;

void tcp_arm(struct tcp_pcb *pcb, uint64_t *deadline, uint64_t delay_ns)
{
    uint64_t at = time_ns() + delay_ns;

    *deadline = at;
    if (!next_deadline || at < next_deadline) {
        next_deadline = at;
        wake_up(&timer_wq);
    }
}

/* RFC 6298 §2: smoothed RTT and variance, RTO = SRTT + max(G, 4 RTTVAR). */
void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t r)
{
    if (!pcb->srtt) {
        pcb->srtt = r ? r : 1;
        pcb->rttvar = r / 2;
    } else {
        uint64_t d = pcb->srtt > r ? pcb->srtt - r : r - pcb->srtt;
        pcb->rttvar = (3 * pcb->rttvar + d) / 4;
        pcb->srtt = (7 * pcb->srtt + r) / 8;
    }
    uint64_t rto = pcb->srtt + MAX(TCP_CLOCK_G, 4 * pcb->rttvar);
    pcb->rto = MIN(MAX(rto, TCP_RTO_MIN), TCP_RTO_MAX);
}

static void backoff(struct tcp_pcb *pcb)
{
    pcb->rto = MIN(pcb->rto * 2, TCP_RTO_MAX);     /* RFC 6298 (5.5) */
    pcb->rtt_timing = false;                        /* Karn */
}

/* Returns false if the PCB was freed. */
static bool rtx_expired(struct tcp_pcb *pcb)
{
    if (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RECEIVED) {
        unsigned max = pcb->state == TCP_SYN_SENT ? TCP_SYN_RETRIES
                                                  : TCP_SYNACK_RETRIES;
        if (++pcb->retries > max) {
            tcp_stats.timeouts++;
            bool freed = !pcb->sock;
            tcp_abort(pcb, -ETIMEDOUT);
            return !freed;
        }
        backoff(pcb);
        tcp_stats.retransmits++;
        tcp_send_syn(pcb);
        return true;
    }
    uint32_t end = tcp_fin_seq(pcb);
    bool unsent = seq_lt(pcb->snd_nxt, end) ||
                  (pcb->fin_queued && !tcp_fin_sent(pcb));
    if (pcb->snd_wnd == 0 && pcb->snd_una == pcb->snd_nxt && unsent) {
        /* Persist (RFC 9293 §3.8.6.1): one byte past the closed window,
         * again with backoff, for as long as the peer answers.  snd_nxt
         * stays, so a refused probe is no retransmission.  An orphan
         * (nobody will ever read or write it again) gets only as many
         * probes as it would get retransmissions, like Linux's
         * tcp_orphan_retries: a peer may not pin it with a zero window. */
        if (!pcb->sock && !pcb->listener && ++pcb->retries > TCP_DATA_RETRIES) {
            tcp_stats.timeouts++;
            tcp_send_rst(pcb);
            tcp_abort(pcb, -ETIMEDOUT);
            return false;
        }
        tcp_stats.persist_probes++;
        if (seq_lt(pcb->snd_nxt, end)) {
            tcp_send_data(pcb, pcb->snd_nxt, 1, false);
            if (seq_lt(pcb->snd_max, pcb->snd_nxt + 1))
                pcb->snd_max = pcb->snd_nxt + 1;
        } else {
            tcp_send_ack(pcb);
        }
        backoff(pcb);
        tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
        return true;
    }
    if (pcb->snd_una != pcb->snd_max) {
        if (++pcb->retries > TCP_DATA_RETRIES) {
            tcp_stats.timeouts++;
            bool freed = !pcb->sock;
            tcp_send_rst(pcb);
            tcp_abort(pcb, -ETIMEDOUT);
            return !freed;
        }
        /* RFC 5681 §3.1 (4): after a timeout, one segment and slow start;
         * go back to the first unacknowledged byte. */
        uint32_t flight = pcb->snd_max - pcb->snd_una;
        tcp_stats.rto_timeouts++;
        tcp_stats.retransmits++;
        pcb->ssthresh = MAX(flight / 2, 2u * pcb->mss);
        pcb->cwnd = pcb->mss;
        pcb->in_recovery = false;
        pcb->recover = pcb->snd_max;
        pcb->dupacks = 0;
        pcb->snd_nxt = pcb->snd_una;
        backoff(pcb);
    }
    /* Also the retry after a full transmit ring. */
    tcp_output(pcb);
    if (!pcb->rtx_at && pcb->snd_una != pcb->snd_max)
        tcp_arm(pcb, &pcb->rtx_at, pcb->rto);
    return true;
}

/* Runs expired timers of one PCB; returns false if it was freed. */
static bool run_timers(struct tcp_pcb *pcb, uint64_t now)
{
    if (pcb->dack_at && pcb->dack_at <= now) {
        pcb->dack_at = 0;
        tcp_send_ack(pcb);
    }
    if (pcb->rtx_at && pcb->rtx_at <= now) {
        pcb->rtx_at = 0;
        if (!rtx_expired(pcb))
            return false;
    }
    if (pcb->wait_at && pcb->wait_at <= now) {
        pcb->wait_at = 0;
        if (pcb->state == TCP_TIME_WAIT ||
            (pcb->state == TCP_FIN_WAIT_2 && !pcb->sock)) {
            bool freed = !pcb->sock;
            tcp_abort(pcb, 0);
            return !freed;
        }
    }
    return true;
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : MIN(a, b);
}

static void tcp_timer_thread(void *arg)
{
    for (;;) {
        uint64_t flags = spin_lock_irqsave(&tcp_lock);
        uint64_t now = time_ns(), next = 0;
        struct list_head *p, *n;
        list_for_each_safe(p, n, &tcp_pcbs) {
            struct tcp_pcb *pcb = list_entry(p, struct tcp_pcb, node);
            if (!run_timers(pcb, now))
                continue;
            next = earliest(next, earliest(pcb->rtx_at,
                                           earliest(pcb->dack_at, pcb->wait_at)));
        }
        /* Freeing a child also unlinks it from its listener only, never
         * another entry of tcp_pcbs, so the saved next pointer stays valid. */
        next_deadline = next;
        spin_unlock_irqrestore(&tcp_lock, flags);
        if (!next)
            wait_event(&timer_wq, READ_ONCE(next_deadline) != 0);
        else if (next > now)
            wait_event_timeout(&timer_wq, READ_ONCE(next_deadline) != next,
                               next - now);
    }
}

void tcp_timer_init(void)
{
    waitq_init(&timer_wq);
    if (!thread_create("tcp-timer", tcp_timer_thread, NULL))
        klog("tcp: cannot start the timer thread");
}
