/* DNS stub resolver: asks the configured nameserver (nameserver= on the
 * command line, else the gateway) over UDP, with retries, and caches
 * answers for their TTL.  Runs in thread context. */
#include "dns.h"
#include "printk.h"
#include "socket.h"
#include "string.h"
#include "time.h"

#define DNS_PORT        53
/* Four tries waiting 1, 2, 4 and 4 s: a lossy link loses several answers
 * in a row often enough that three 1 s tries failed the fault tests;
 * backing off follows RFC 1536 §1. */
#define DNS_TRIES       4
#define DNS_TIMEOUT_NS  (1 * NSEC_PER_SEC)
#define DNS_TIMEOUT_MAX (4 * NSEC_PER_SEC)
#define DNS_CACHE_SIZE  8
#define DNS_MSG_MAX     512             /* RFC 1035 §2.3.4, UDP */

struct dns_cache_entry {
    char name[DNS_NAME_MAX + 1];
    in_addr_t addr;
    uint64_t expires_ns;
};

/* cache_lock protects the cache; thread context only, IRQ-saving as all
 * locks here. */
static struct spinlock cache_lock = SPINLOCK_INIT("dns-cache");
static struct dns_cache_entry cache[DNS_CACHE_SIZE];
static unsigned cache_next;
static uint16_t next_id = 0x4b00;

static bool cache_get(const char *name, in_addr_t *addr)
{
    bool hit = false;
    uint64_t now = time_ns();
    uint64_t flags = spin_lock_irqsave(&cache_lock);

    for (int i = 0; i < DNS_CACHE_SIZE && !hit; i++) {
        if (cache[i].expires_ns > now && strcmp(cache[i].name, name) == 0) {
            *addr = cache[i].addr;
            hit = true;
        }
    }
    spin_unlock_irqrestore(&cache_lock, flags);
    return hit;
}

static void cache_put(const char *name, in_addr_t addr, uint32_t ttl)
{
    if (!ttl)
        return;
    uint64_t flags = spin_lock_irqsave(&cache_lock);
    struct dns_cache_entry *e = &cache[cache_next++ % DNS_CACHE_SIZE];
    strlcpy(e->name, name, sizeof(e->name));
    e->addr = addr;
    e->expires_ns = time_ns() + (uint64_t)ttl * NSEC_PER_SEC;
    spin_unlock_irqrestore(&cache_lock, flags);
}

static in_addr_t dns_server(void)
{
    uint64_t flags = spin_lock_irqsave(&net_if.cfg_lock);
    in_addr_t s = net_if.dns ? net_if.dns : net_if.gateway;
    spin_unlock_irqrestore(&net_if.cfg_lock, flags);
    return s;
}

/* use_cache false skips the cache lookup (resolvebench measures the
 * server round trip); the answer still refreshes the cache. */
static int dns_lookup(const char *name, in_addr_t *addr, bool use_cache)
{
    uint8_t q[DNS_MSG_MAX], r[DNS_MSG_MAX];
    uint16_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    int qlen = dns_build_query(q, sizeof(q), id, name);

    if (qlen < 0)
        return qlen;
    if (net_parse_addr(name, addr))
        return 0;                       /* already an address */
    if (use_cache && cache_get(name, addr))
        return 0;
    in_addr_t server = dns_server();
    if (!server)
        return -ENETUNREACH;

    struct socket *s;
    int err = sock_create(AF_INET, SOCK_DGRAM, &s);
    if (err)
        return err;
    struct sockaddr_in to = sockaddr(server, DNS_PORT);
    err = sock_connect(s, &to);
    int result = -ETIMEDOUT;
    for (int try = 0; !err && try < DNS_TRIES && result == -ETIMEDOUT; try++) {
        uint64_t wait = MIN(DNS_TIMEOUT_NS << try, DNS_TIMEOUT_MAX);
        s->rcv_timeout_ns = wait;
        ssize_t n = sock_send(s, q, (size_t)qlen, 0);
        if (n < 0) {
            result = (int)n;
            break;
        }
        /* Drop stray or forged answers (wrong id) and keep waiting. */
        uint64_t deadline = time_ns() + wait;
        while (time_ns() < deadline) {
            n = sock_recv(s, r, sizeof(r), 0);
            if (n < 0)
                break;
            uint32_t ttl;
            int e = dns_parse_response(r, (size_t)n, id, name, addr, &ttl);
            if (e == -EIO && (n < 2 || (r[0] << 8 | r[1]) != id))
                continue;
            result = e;
            if (!e)
                cache_put(name, *addr, ttl);
            break;
        }
    }
    sock_close(s);
    return err ? err : result;
}

int dns_resolve(const char *name, in_addr_t *addr)
{
    return dns_lookup(name, addr, true);
}

int dns_resolve_nocache(const char *name, in_addr_t *addr)
{
    return dns_lookup(name, addr, false);
}
