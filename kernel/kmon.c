/* The kernel monitor: a line-oriented command reader on the serial console
 * for inspecting a running system (and for the test harness, which types
 * commands and parses the answers).  The UART receive interrupt only
 * queues bytes and wakes the monitor thread.
 *
 * Commands (lines up to KMON_LINE_MAX characters; each network command
 * answers with exactly one line, errors included; -E is a negative Linux
 * errno, times are microseconds):
 *   stats      interrupt counters, network counters, tick and heartbeat
 *   threads    the thread list
 *   poweroff   orderly power-off (status 0)
 *   resolve N  look N up with the DNS resolver: "resolve N a.b.c.d" or
 *              "resolve N error -E"
 *   wget URL   HTTP GET of http://host[:port]/path, body streamed into
 *              SHA-256: "wget URL status S bytes N sha256 HEX us T" or
 *              "wget URL error -E"
 *   wgetbench URL COUNT
 *              COUNT sequential GETs (a new connection each, body
 *              discarded, status not checked): "wgetbench URL n COUNT
 *              mean_us M median_us MD bytes N" (N: body of the last) or
 *              "wgetbench URL error -E"
 *   tcpecho A.B.C.D PORT BYTES
 *              connect, send BYTES of a pattern (byte i = (i * 2654435761
 *              mod 2^32) >> 24) while reading the echo, SHUT_WR, read to
 *              EOF, compare: "tcpecho ok bytes N us T" (connect to EOF),
 *              "tcpecho mismatch at OFFSET" (also a short or long echo) or
 *              "tcpecho error -E"
 *   tcplisten PORT
 *              echo server thread on PORT (backlog 4, one connection at a
 *              time, forever): "tcplisten PORT ok" or "tcplisten PORT
 *              error -E"; later, per connection, "tcplisten PORT served N"
 *              or "tcplisten PORT served N error -E"
 *   resolvebench NAME COUNT
 *              COUNT lookups that skip the resolver's cache:
 *              "resolvebench NAME n COUNT mean_us M median_us MD" or
 *              "resolvebench NAME error -E"
 *   ping A.B.C.D COUNT
 *              COUNT echo requests, one a second at most, 2 s timeout each:
 *              "ping A.B.C.D sent N received M rtt_min_us X rtt_max_us Y"
 *              or "ping A.B.C.D error -E"
 * A command with the wrong number of words prints "kmon: usage: ...".
 *
 * Output of `stats` is bracketed by "kmon: stats begin" / "kmon: stats end"
 * and uses one "key value" item per line so scripts can parse it. */
#include "console.h"
#include "dns.h"
#include "irq.h"
#include "kmon.h"
#include "kmon_net.h"
#include "net.h"
#include "netdev.h"
#include "panic.h"
#include "printk.h"
#include "sched.h"
#include "string.h"
#include "time.h"

#define KMON_RXBUF      256

/* rx_lock protects the receive ring; taken in the UART IRQ handler and
 * the monitor thread (IRQ-saving). */
static struct spinlock rx_lock = SPINLOCK_INIT("kmon-rx");
static char rxbuf[KMON_RXBUF];
static unsigned rx_head, rx_tail;
static struct waitq rx_wq;
static volatile uint64_t heartbeat;

/* Called by the UART driver in IRQ context for each received byte. */
void kmon_rx_byte(char c)
{
    uint64_t flags = spin_lock_irqsave(&rx_lock);

    if (rx_head - rx_tail < KMON_RXBUF)
        rxbuf[rx_head++ % KMON_RXBUF] = c;
    spin_unlock_irqrestore(&rx_lock, flags);
}

void kmon_rx_done(void)
{
    wake_up(&rx_wq);
}

static bool rx_pending(void)
{
    return READ_ONCE(rx_head) != READ_ONCE(rx_tail);
}

static int rx_get(void)
{
    uint64_t flags = spin_lock_irqsave(&rx_lock);
    int c = -1;

    if (rx_head != rx_tail)
        c = (unsigned char)rxbuf[rx_tail++ % KMON_RXBUF];
    spin_unlock_irqrestore(&rx_lock, flags);
    return c;
}

static void print_irq(unsigned irq, const char *name, uint64_t count, void *arg)
{
    kprintf("irq %u %s %lu\n", irq, name ? name : "-", (unsigned long)count);
}

static void kmon_stats(void)
{
    kprintf("kmon: stats begin\n");
    kprintf("time_ns %lu\n", (unsigned long)time_ns());
    kprintf("ticks %lu\n", (unsigned long)timer_ticks());
    kprintf("heartbeat %lu\n", (unsigned long)heartbeat);
    kprintf("switches %lu\n", (unsigned long)sched_switch_count());
    irq_for_each(print_irq, NULL);
    kprintf("irq_spurious %lu\n", (unsigned long)irq_spurious_count());
    for (int i = 0; netdev_get(i); i++) {
        struct netdev *nd = netdev_get(i);
        const struct netdev_stats *s = &nd->stats;
        kprintf("%s rx_packets %lu\n%s rx_bytes %lu\n%s tx_packets %lu\n"
                "%s tx_bytes %lu\n%s irqs %lu\n%s polls %lu\n"
                "%s budget_exhausted %lu\n%s reenable_races %lu\n"
                "%s rx_drop_short %lu\n%s rx_drop_long %lu\n"
                "%s rx_drop_nomem %lu\n%s tx_drop_full %lu\n",
                nd->name, (unsigned long)s->rx_packets,
                nd->name, (unsigned long)s->rx_bytes,
                nd->name, (unsigned long)s->tx_packets,
                nd->name, (unsigned long)s->tx_bytes,
                nd->name, (unsigned long)s->irqs,
                nd->name, (unsigned long)s->polls,
                nd->name, (unsigned long)s->budget_exhausted,
                nd->name, (unsigned long)s->reenable_races,
                nd->name, (unsigned long)s->rx_drop_short,
                nd->name, (unsigned long)s->rx_drop_long,
                nd->name, (unsigned long)s->rx_drop_nomem,
                nd->name, (unsigned long)s->tx_drop_full);
        if (nd->dump)
            nd->dump(nd);
    }
    net_dump();
    kprintf("kmon: stats end\n");
}

static void kmon_resolve(const char *name)
{
    in_addr_t a;
    int err = dns_resolve(name, &a);

    if (err) {
        kprintf("resolve %s error %d\n", name, err);
        return;
    }
    uint32_t h = ntohl(a);
    kprintf("resolve %s %u.%u.%u.%u\n", name, h >> 24, (h >> 16) & 255,
            (h >> 8) & 255, h & 255);
}

/* True if the line's first word is cmd. */
static bool kmon_word(const char *line, const char *cmd)
{
    size_t n = strlen(cmd);
    return strncmp(line, cmd, n) == 0 && (line[n] == ' ' || line[n] == 0);
}

/* The arguments after the command word ("" if none). */
static const char *kmon_args(const char *line)
{
    const char *sp = strchr(line, ' ');
    return sp ? sp + 1 : "";
}

static void kmon_exec(const char *line)
{
    if (strcmp(line, "stats") == 0)
        kmon_stats();
    else if (strcmp(line, "threads") == 0)
        sched_dump();
    else if (strcmp(line, "poweroff") == 0)
        kernel_poweroff(0);
    else if (kmon_word(line, "resolve"))
        kmon_resolve(kmon_args(line));
    else if (kmon_word(line, "wget"))
        kmon_wget(kmon_args(line));
    else if (kmon_word(line, "wgetbench"))
        kmon_wgetbench(kmon_args(line));
    else if (kmon_word(line, "tcpecho"))
        kmon_tcpecho(kmon_args(line));
    else if (kmon_word(line, "tcplisten"))
        kmon_tcplisten(kmon_args(line));
    else if (kmon_word(line, "resolvebench"))
        kmon_resolvebench(kmon_args(line));
    else if (kmon_word(line, "ping"))
        kmon_ping(kmon_args(line));
    else if (*line)
        kprintf("kmon: unknown command '%s' (stats, threads, poweroff, "
                "resolve, wget, wgetbench, tcpecho, tcplisten, "
                "resolvebench, ping)\n", line);
}

static void kmon_thread(void *arg)
{
    char line[KMON_LINE_MAX + 1];
    unsigned len = 0;
    bool overlong = false;

    for (;;) {
        wait_event(&rx_wq, rx_pending());
        int c;
        while ((c = rx_get()) >= 0) {
            if (c == '\r' || c == '\n') {
                line[len] = 0;
                if (overlong)
                    kprintf("kmon: line too long, ignored\n");
                else
                    kmon_exec(line);
                len = 0;
                overlong = false;
            } else if (len < KMON_LINE_MAX) {
                line[len++] = (char)c;
            } else {
                overlong = true;
            }
        }
    }
}

/* Proves the scheduler keeps running threads under interrupt load: ten
 * beats a second, few enough to keep an idle guest nearly asleep. */
static void heartbeat_thread(void *arg)
{
    for (;;) {
        heartbeat++;
        sleep_ms(100);
    }
}

void kmon_init(void)
{
    waitq_init(&rx_wq);
    if (!thread_create("kmon", kmon_thread, NULL) ||
        !thread_create("heartbeat", heartbeat_thread, NULL))
        panic("kmon: cannot start threads");
    pl011_enable_rx_irq();
}
