/* Network commands of the kernel monitor: an HTTP fetch that hashes the
 * body, fetch and DNS benchmarks, a TCP echo client and a TCP echo server.
 * They run in the monitor's thread (the echo server in its own), so
 * blocking is fine; every path ends in exactly one result line, so the
 * test harness never waits for an answer that will not come.  Formats
 * are listed in kmon.c's header. */
#include "dns.h"
#include "http.h"
#include "kmon_net.h"
#include "mm.h"
#include "printk.h"
#include "sched.h"
#include "sha256.h"
#include "socket.h"
#include "string.h"
#include "time.h"

#define KMON_MAX_ARGS       4
#define KMON_BENCH_MAX      1000        /* iterations per benchmark */
#define NSEC_PER_USEC       1000ULL
#define DECIMAL             10
#define PORT_MAX            65535

/* tcpecho: bytes per send attempt and per receive; how long the transfer
 * may make no progress before it is abandoned. */
#define TCPECHO_CHUNK       4096
#define TCPECHO_IDLE_NS     (10 * NSEC_PER_SEC)
#define TCPECHO_BYTES_MAX   (1ULL << 32)
/* Knuth's multiplicative hash constant (2^32 / golden ratio). */
#define TCPECHO_HASH_MUL    2654435761U
#define TCPECHO_HASH_SHIFT  24

/* tcplisten: backlog, buffer, and how long a connected client may stay
 * silent before the server gives up on it. */
#define TCPLISTEN_BACKLOG   4
#define TCPLISTEN_BUF       4096
#define TCPLISTEN_IDLE_NS   (30 * NSEC_PER_SEC)

static uint64_t elapsed_us(uint64_t start_ns)
{
    return (time_ns() - start_ns) / NSEC_PER_USEC;
}

/* Splits a copy of args at spaces into exactly `want` words.  Returns
 * false (and prints the usage line) if the count is different. */
static bool kmon_split(const char *args, char *buf, size_t size, char **argv,
                       int want, const char *usage)
{
    int n = 0;

    strlcpy(buf, args, size);
    for (char *p = buf; *p;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        if (n == want) {
            n++;
            break;
        }
        argv[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (n != want) {
        kprintf("kmon: usage: %s\n", usage);
        return false;
    }
    return true;
}

/* A decimal number in [min, max]. */
static bool kmon_parse_uint(const char *s, uint64_t min, uint64_t max,
                            uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (d > max || v > (max - d) / DECIMAL)
            return false;
        v = v * DECIMAL + d;
    }
    if (v < min)
        return false;
    *out = v;
    return true;
}

/* Mean and median of n > 0 samples (sorts them; n is small). */
static void kmon_stats_us(uint64_t *v, unsigned n, uint64_t *mean,
                          uint64_t *median)
{
    uint64_t sum = 0;

    for (unsigned i = 1; i < n; i++) {
        uint64_t x = v[i];
        unsigned j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    for (unsigned i = 0; i < n; i++)
        sum += v[i];
    *mean = sum / n;
    *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- wget / wgetbench ---- */

static int wget_hash(void *ctx, const void *data, size_t len)
{
    sha256_update(ctx, data, len);
    return 0;
}

void kmon_wget(const char *args)
{
    char buf[KMON_LINE_MAX + 1], *argv[1];

    if (!kmon_split(args, buf, sizeof(buf), argv, 1, "wget <url>"))
        return;
    const char *url = argv[0];
    struct sha256_ctx sha;
    struct http_result res;
    sha256_init(&sha);
    uint64_t t0 = time_ns();
    int err = http_get(url, &res, wget_hash, &sha);
    uint64_t us = elapsed_us(t0);
    if (err) {
        kprintf("wget %s error %d\n", url, err);
        return;
    }
    uint8_t digest[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];
    sha256_final(&sha, digest);
    sha256_hex(digest, hex);
    kprintf("wget %s status %d bytes %lu sha256 %s us %lu\n", url, res.status,
            (unsigned long)res.body_bytes, hex, (unsigned long)us);
}

void kmon_wgetbench(const char *args)
{
    char buf[KMON_LINE_MAX + 1], *argv[2];
    uint64_t count;

    if (!kmon_split(args, buf, sizeof(buf), argv, 2,
                    "wgetbench <url> <count>"))
        return;
    const char *url = argv[0];
    if (!kmon_parse_uint(argv[1], 1, KMON_BENCH_MAX, &count)) {
        kprintf("wgetbench %s error %d\n", url, -EINVAL);
        return;
    }
    uint64_t *us = kmalloc(count * sizeof(*us));
    if (!us) {
        kprintf("wgetbench %s error %d\n", url, -ENOMEM);
        return;
    }
    struct http_result res = { 0 };
    for (unsigned i = 0; i < count; i++) {
        uint64_t t0 = time_ns();
        int err = http_get(url, &res, NULL, NULL);
        if (err) {
            kprintf("wgetbench %s error %d\n", url, err);
            kfree(us);
            return;
        }
        us[i] = elapsed_us(t0);
    }
    uint64_t mean, median;
    kmon_stats_us(us, (unsigned)count, &mean, &median);
    kprintf("wgetbench %s n %lu mean_us %lu median_us %lu bytes %lu\n", url,
            (unsigned long)count, (unsigned long)mean, (unsigned long)median,
            (unsigned long)res.body_bytes);
    kfree(us);
}

/* ---- resolvebench ---- */

void kmon_resolvebench(const char *args)
{
    char buf[KMON_LINE_MAX + 1], *argv[2];
    uint64_t count;

    if (!kmon_split(args, buf, sizeof(buf), argv, 2,
                    "resolvebench <name> <count>"))
        return;
    const char *name = argv[0];
    if (!kmon_parse_uint(argv[1], 1, KMON_BENCH_MAX, &count)) {
        kprintf("resolvebench %s error %d\n", name, -EINVAL);
        return;
    }
    uint64_t *us = kmalloc(count * sizeof(*us));
    if (!us) {
        kprintf("resolvebench %s error %d\n", name, -ENOMEM);
        return;
    }
    for (unsigned i = 0; i < count; i++) {
        in_addr_t a;
        uint64_t t0 = time_ns();
        int err = dns_resolve_nocache(name, &a);
        if (err) {
            kprintf("resolvebench %s error %d\n", name, err);
            kfree(us);
            return;
        }
        us[i] = elapsed_us(t0);
    }
    uint64_t mean, median;
    kmon_stats_us(us, (unsigned)count, &mean, &median);
    kprintf("resolvebench %s n %lu mean_us %lu median_us %lu\n", name,
            (unsigned long)count, (unsigned long)mean, (unsigned long)median);
    kfree(us);
}

/* ---- ping ---- */

#define KMON_PING_MAX       100
#define KMON_PING_TIMEOUT   (2 * NSEC_PER_SEC)
#define KMON_PING_INTERVAL  200     /* ms between requests */

void kmon_ping(const char *args)
{
    char buf[KMON_LINE_MAX + 1], *argv[2];
    uint64_t count;
    in_addr_t dst;

    if (!kmon_split(args, buf, sizeof(buf), argv, 2, "ping <a.b.c.d> <count>"))
        return;
    if (!net_parse_addr(argv[0], &dst) ||
        !kmon_parse_uint(argv[1], 1, KMON_PING_MAX, &count)) {
        kprintf("ping %s error %d\n", argv[0], -EINVAL);
        return;
    }
    unsigned received = 0;
    int64_t lo = 0, hi = 0, last_err = 0;
    for (unsigned i = 0; i < count; i++) {
        if (i)
            sleep_ms(KMON_PING_INTERVAL);
        int64_t rtt = icmp_ping(dst, (uint16_t)(i + 1), KMON_PING_TIMEOUT);
        if (rtt < 0) {
            last_err = rtt;
            continue;
        }
        lo = received ? MIN(lo, rtt) : rtt;
        hi = received ? MAX(hi, rtt) : rtt;
        received++;
    }
    if (!received && last_err != -ETIMEDOUT) {
        kprintf("ping %s error %ld\n", argv[0], (long)last_err);
        return;
    }
    kprintf("ping %s sent %lu received %u rtt_min_us %ld rtt_max_us %ld\n",
            argv[0], (unsigned long)count, received, (long)(lo / 1000),
            (long)(hi / 1000));
}

/* ---- tcpecho: client ---- */

/* Byte i of the stream: a multiplicative hash of the offset, so a lost,
 * repeated or reordered segment shows as a mismatch (a period-256 pattern
 * would hide a shift by a multiple of 256). */
static uint8_t tcpecho_byte(uint64_t i)
{
    return (uint8_t)(((uint32_t)i * TCPECHO_HASH_MUL) >> TCPECHO_HASH_SHIFT);
}

struct tcpecho {
    struct socket *s;
    uint64_t total, sent, rcvd;
    uint64_t mismatch;          /* offset of the first bad byte */
    bool bad;
    uint8_t tx[TCPECHO_CHUNK];
    uint8_t rx[TCPECHO_CHUNK];
};

/* One non-blocking send of the next chunk; SHUT_WR after the last byte.
 * Returns bytes sent (0 if the send buffer is full) or -errno. */
static ssize_t tcpecho_send(struct tcpecho *e)
{
    size_t n = (size_t)MIN(e->total - e->sent, (uint64_t)TCPECHO_CHUNK);

    for (size_t i = 0; i < n; i++)
        e->tx[i] = tcpecho_byte(e->sent + i);
    ssize_t k = sock_send(e->s, e->tx, n, MSG_DONTWAIT);
    if (k == -EAGAIN)
        return 0;
    if (k < 0)
        return k;
    e->sent += (uint64_t)k;
    if (e->sent == e->total) {
        int err = sock_shutdown(e->s, SHUT_WR);
        if (err)
            return err;
    }
    return k;
}

/* One non-blocking receive, checked against the pattern.  Returns bytes
 * received, 0 if none were waiting, 1 with *eof at end of stream, or
 * -errno. */
static ssize_t tcpecho_recv(struct tcpecho *e, bool *eof)
{
    ssize_t r = sock_recv(e->s, e->rx, sizeof(e->rx), MSG_DONTWAIT);

    if (r == -EAGAIN)
        return 0;
    if (r < 0)
        return r;
    if (r == 0) {
        *eof = true;
        return 1;
    }
    for (ssize_t i = 0; i < r && !e->bad; i++) {
        uint64_t off = e->rcvd + (uint64_t)i;
        if (off >= e->total || e->rx[i] != tcpecho_byte(off)) {
            e->bad = true;
            e->mismatch = MIN(off, e->total);
        }
    }
    e->rcvd += (uint64_t)r;
    return r;
}

/* Send and receive interleaved, never blocking in either, so neither our
 * buffers nor the echoing peer's can fill up and stall both sides; sleep
 * on the socket only when neither direction can move.  Ends at EOF. */
static int tcpecho_transfer(struct tcpecho *e)
{
    bool eof = false;

    if (e->total == 0) {
        int err = sock_shutdown(e->s, SHUT_WR);
        if (err)
            return err;
    }
    while (!eof && !e->bad) {
        ssize_t sent = 0;
        if (e->sent < e->total) {
            sent = tcpecho_send(e);
            if (sent < 0)
                return (int)sent;
        }
        ssize_t got = tcpecho_recv(e, &eof);
        if (got < 0)
            return (int)got;
        if (sent || got)
            continue;
        unsigned want = POLLIN | POLLERR | POLLHUP |
                        (e->sent < e->total ? POLLOUT : 0);
        if (!wait_event_timeout(&e->s->wq, sock_poll(e->s) & want,
                                TCPECHO_IDLE_NS))
            return -ETIMEDOUT;
    }
    if (!e->bad && e->rcvd != e->total) {
        e->bad = true;                  /* EOF before the whole echo */
        e->mismatch = e->rcvd;
    }
    return 0;
}

void kmon_tcpecho(const char *args)
{
    char buf[KMON_LINE_MAX + 1], *argv[3];
    uint64_t port, bytes;
    in_addr_t addr;

    if (!kmon_split(args, buf, sizeof(buf), argv, 3,
                    "tcpecho <a.b.c.d> <port> <bytes>"))
        return;
    if (!net_parse_addr(argv[0], &addr) || strchr(argv[0], ':') ||
        !kmon_parse_uint(argv[1], 1, PORT_MAX, &port) ||
        !kmon_parse_uint(argv[2], 0, TCPECHO_BYTES_MAX, &bytes)) {
        kprintf("tcpecho error %d\n", -EINVAL);
        return;
    }
    struct tcpecho *e = kzalloc(sizeof(*e));
    if (!e) {
        kprintf("tcpecho error %d\n", -ENOMEM);
        return;
    }
    e->total = bytes;
    uint64_t t0 = time_ns();
    int err = sock_create(AF_INET, SOCK_STREAM, &e->s);
    if (!err) {
        e->s->rcv_timeout_ns = TCPECHO_IDLE_NS;
        e->s->snd_timeout_ns = TCPECHO_IDLE_NS;
        struct sockaddr_in to = sockaddr(addr, (uint16_t)port);
        err = sock_connect(e->s, &to);
        if (!err)
            err = tcpecho_transfer(e);
        sock_close(e->s);
    }
    uint64_t us = elapsed_us(t0);
    if (err)
        kprintf("tcpecho error %d\n", err);
    else if (e->bad)
        kprintf("tcpecho mismatch at %lu\n", (unsigned long)e->mismatch);
    else
        kprintf("tcpecho ok bytes %lu us %lu\n", (unsigned long)e->total,
                (unsigned long)us);
    kfree(e);
}

/* ---- tcplisten: echo server thread ---- */

struct tcplisten {
    struct socket *s;
    unsigned port;
    uint8_t buf[TCPLISTEN_BUF];
};

/* Echoes one connection until the client's EOF. */
static int tcplisten_echo(struct socket *c, uint8_t *buf, uint64_t *echoed)
{
    for (;;) {
        ssize_t n = sock_recv(c, buf, TCPLISTEN_BUF, 0);
        if (n == 0)
            return 0;
        if (n < 0)
            return n == -EAGAIN ? -ETIMEDOUT : (int)n;
        for (ssize_t off = 0; off < n;) {
            ssize_t k = sock_send(c, buf + off, (size_t)(n - off), 0);
            if (k < 0)
                return k == -EAGAIN ? -ETIMEDOUT : (int)k;
            off += k;
            *echoed += (uint64_t)k;
        }
    }
}

/* Serves one connection at a time, forever, unless accept itself fails
 * for a reason other than a connection that died in the queue. */
static void tcplisten_thread(void *arg)
{
    struct tcplisten *l = arg;

    for (;;) {
        struct socket *c;
        struct sockaddr_in peer;
        int err = sock_accept(l->s, &c, &peer);
        if (err == -ECONNABORTED || err == -ECONNRESET)
            continue;
        if (err) {
            kprintf("tcplisten %u error %d\n", l->port, err);
            break;
        }
        c->rcv_timeout_ns = TCPLISTEN_IDLE_NS;
        c->snd_timeout_ns = TCPLISTEN_IDLE_NS;
        uint64_t echoed = 0;
        err = tcplisten_echo(c, l->buf, &echoed);
        sock_close(c);
        if (err)
            kprintf("tcplisten %u served %lu error %d\n", l->port,
                    (unsigned long)echoed, err);
        else
            kprintf("tcplisten %u served %lu\n", l->port,
                    (unsigned long)echoed);
    }
    sock_close(l->s);
    kfree(l);
}

static int tcplisten_start(unsigned port)
{
    struct tcplisten *l = kzalloc(sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->port = port;
    int err = sock_create(AF_INET, SOCK_STREAM, &l->s);
    if (err) {
        kfree(l);
        return err;
    }
    struct sockaddr_in any = sockaddr(0, (uint16_t)port);
    err = sock_bind(l->s, &any);
    if (!err)
        err = sock_listen(l->s, TCPLISTEN_BACKLOG);
    if (!err && !thread_create("tcplisten", tcplisten_thread, l))
        err = -ENOMEM;
    if (err) {
        sock_close(l->s);
        kfree(l);
    }
    return err;
}

void kmon_tcplisten(const char *args)
{
    char buf[KMON_LINE_MAX + 1], *argv[1];
    uint64_t port;

    if (!kmon_split(args, buf, sizeof(buf), argv, 1, "tcplisten <port>"))
        return;
    if (!kmon_parse_uint(argv[0], 1, PORT_MAX, &port)) {
        kprintf("tcplisten %s error %d\n", argv[0], -EINVAL);
        return;
    }
    int err = tcplisten_start((unsigned)port);
    if (err)
        kprintf("tcplisten %u error %d\n", (unsigned)port, err);
    else
        kprintf("tcplisten %u ok\n", (unsigned)port);
}
