/* Host harness for the network receive path (net/eth.c, arp.c, ipv4.c,
 * icmp.c, udp.c, socket.c, dns_parse.c, dhcp.c, netif.c, lib/inet_csum.c), shared by test_net_rx.c and
 * fuzz_net.c.  Built with mm_host.h force-included (spinlocks become
 * checked flags); the few kernel services the stack calls (time, wait
 * queues, logging, the command line) are stubbed in NET_HOST_IMPL.
 *
 * A fake interface "eth0" (52:54:00:12:34:56, 192.0.2.2/24, gateway
 * 192.0.2.1) records every frame the stack transmits, after checking that
 * it is a sane Ethernet frame. */
#ifndef NET_HOST_H
#define NET_HOST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "sched.h"
#include "tcp.h"

#define NET_HOST_MAX_TX 64

struct net_host_tx {
    size_t len;
    uint8_t frame[ETH_MAX_FRAME];
};

extern struct netdev net_host_dev;
extern struct net_host_tx net_host_txq[NET_HOST_MAX_TX];
extern unsigned net_host_ntx;

/* The peer the tests play, 192.0.2.1, and the stack's own MAC. */
static const uint8_t host_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t guest_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* An Ethernet header from the peer to dst; returns its length. */
static inline size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, ETH_ALEN);
    memcpy(f + 6, host_mac, ETH_ALEN);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return ETH_HLEN;
}

void net_host_init(void);
void net_host_input(const uint8_t *frame, size_t len);

#ifdef NET_HOST_IMPL
struct netdev net_host_dev;
struct net_host_tx net_host_txq[NET_HOST_MAX_TX];
unsigned net_host_ntx;
static uint64_t net_host_clock;

static int net_host_xmit(struct netdev *nd, const void *frame, size_t len)
{
    /* What the stack hands the driver must be a whole Ethernet frame. */
    if (len < 60 || len > ETH_MAX_FRAME) {
        fprintf(stderr, "xmit: bad frame length %zu\n", len);
        abort();
    }
    if (net_host_ntx < NET_HOST_MAX_TX) {
        net_host_txq[net_host_ntx].len = len;
        memcpy(net_host_txq[net_host_ntx].frame, frame, len);
    }
    net_host_ntx++;
    return 0;
}

void net_host_init(void)
{
    memset(&net_host_dev, 0, sizeof(net_host_dev));
    strcpy(net_host_dev.name, "eth0");
    memcpy(net_host_dev.mac, guest_mac, ETH_ALEN);
    net_host_dev.xmit = net_host_xmit;
    net_if.nd = &net_host_dev;
    net_if.addr = IP4(192, 0, 2, 2);
    net_if.netmask = IP4(255, 255, 255, 0);
    net_if.gateway = IP4(192, 0, 2, 1);
    net_if.configured = true;
    net_host_ntx = 0;
    static bool udp_ready;
    if (!udp_ready) {
        udp_init();
        tcp_init();
        udp_ready = true;
    }
}

void net_host_input(const uint8_t *frame, size_t len)
{
    /* Exactly len bytes, so ASan catches any read past the frame. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, frame, len);
    net_host_clock += 1000000;      /* 1 ms per frame */
    eth_input(&net_host_dev, copy, len, 0);
    free(copy);
}

/* ---- kernel services the stack uses ---- */
uint64_t time_ns(void) { return net_host_clock; }
void klog(const char *fmt, ...) { (void)fmt; }
void kprintf(const char *fmt, ...) { (void)fmt; }
const char *cmdline_get(const char *key) { (void)key; return NULL; }
uint64_t cmdline_get_uint(const char *key, uint64_t def) { (void)key; return def; }
struct netdev *netdev_get(int i) { return i == 0 ? &net_host_dev : NULL; }
void wake_up(struct waitq *wq) { (void)wq; }
/* No processes on the host: nothing ever interrupts a wait. */
bool signal_pending(void) { return false; }
void waitq_init(struct waitq *wq) { memset(wq, 0, sizeof(*wq)); }
size_t strlcpy(char *d, const char *s, size_t n)
{
    size_t l = strlen(s);
    if (n) {
        size_t c = l < n - 1 ? l : n - 1;
        memcpy(d, s, c);
        d[c] = 0;
    }
    return l;
}
void waitq_prepare(struct waitq *wq, struct waiter *w, uint64_t t)
{
    (void)wq; (void)w; (void)t;
}
bool waitq_finish(struct waitq *wq, struct waiter *w)
{
    (void)wq; (void)w;
    return true;
}
void schedule(void) { net_host_clock += 1000000; }
struct thread *thread_create(const char *n, void (*fn)(void *), void *a)
{
    (void)n; (void)fn; (void)a;
    return NULL;
}
void sleep_ms(uint64_t ms) { net_host_clock += ms * 1000000; }
uint64_t time_counter(void) { return net_host_clock; }
void *kmalloc(size_t n) { return malloc(n ? n : 1); }
void *kzalloc(size_t n) { return calloc(1, n ? n : 1); }
void kfree(void *p) { free(p); }
#endif
#endif
