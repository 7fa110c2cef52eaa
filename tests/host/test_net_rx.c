/* The network receive path on the host: well-formed ARP and ICMP get the
 * right answers, malformed frames are counted and dropped, and a fixed-seed
 * mutation run over real frames finds no memory error (ASan/UBSan). */
#define MM_HOST_IMPL
#include "mm_host.h"
#define NET_HOST_IMPL
#include "net_host.h"
#include "minitest.h"
#include "dns.h"
#include "socket.h"


static size_t arp_request(uint8_t *f)
{
    static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    size_t n = eth(f, bcast, ETH_P_ARP);
    const uint8_t body[28] = { 0, 1, 8, 0, 6, 4, 0, 1,
                               2, 0, 0, 0, 0, 1, 192, 0, 2, 1,
                               0, 0, 0, 0, 0, 0, 192, 0, 2, 2 };
    memcpy(f + n, body, sizeof(body));
    return n + sizeof(body);
}

static size_t ip_packet(uint8_t *f, uint8_t proto, const uint8_t *payload,
                        size_t plen)
{
    size_t n = eth(f, guest_mac, ETH_P_IP);
    uint8_t *ip = f + n;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((20 + plen) >> 8);
    ip[3] = (uint8_t)(20 + plen);
    ip[8] = 64;
    ip[9] = proto;
    const uint8_t src[4] = { 192, 0, 2, 1 }, dst[4] = { 192, 0, 2, 2 };
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint16_t c = (uint16_t)~inet_csum(ip, 20);
    memcpy(ip + 10, &c, 2);
    memcpy(ip + 20, payload, plen);
    return n + 20 + plen;
}

static size_t icmp_echo(uint8_t *f, size_t datalen)
{
    uint8_t p[8 + 256];
    memset(p, 0, sizeof(p));
    p[0] = 8;
    p[5] = 7;   /* id */
    p[7] = 1;   /* seq */
    for (size_t i = 0; i < datalen; i++)
        p[8 + i] = (uint8_t)i;
    uint16_t c = (uint16_t)~inet_csum(p, 8 + datalen);
    memcpy(p + 2, &c, 2);
    return ip_packet(f, IP_PROTO_ICMP, p, 8 + datalen);
}

static void test_arp_reply(void)
{
    uint8_t f[128];
    net_host_init();
    size_t n = arp_request(f);
    net_host_input(f, n);
    CHECK_EQ(net_host_ntx, 1u);
    const uint8_t *r = net_host_txq[0].frame;
    CHECK(memcmp(r, host_mac, ETH_ALEN) == 0);
    CHECK(r[12] == 0x08 && r[13] == 0x06);
    CHECK(r[ETH_HLEN + 7] == 2);               /* op = reply */
    CHECK(memcmp(r + ETH_HLEN + 8, guest_mac, ETH_ALEN) == 0);
}

static void test_icmp_echo_reply(void)
{
    uint8_t f[512];
    net_host_init();
    size_t n = arp_request(f);      /* teaches the guest our MAC */
    net_host_input(f, n);
    net_host_ntx = 0;
    n = icmp_echo(f, 56);
    net_host_input(f, n);
    CHECK_EQ(net_host_ntx, 1u);
    const uint8_t *r = net_host_txq[0].frame;
    const uint8_t *ip = r + ETH_HLEN;
    CHECK(inet_csum(ip, 20) == 0xffff);
    CHECK(ip[9] == IP_PROTO_ICMP);
    CHECK(ip[20] == 0);                        /* echo reply */
    CHECK(inet_csum(ip + 20, 8 + 56) == 0xffff);
    CHECK(memcmp(ip + 28, f + ETH_HLEN + 28, 56) == 0);
}

static void test_malformed_counted(void)
{
    uint8_t f[512];
    net_host_init();
    memset(&net_stats, 0, sizeof(net_stats));
    size_t n = icmp_echo(f, 32);

    net_host_input(f, 10);                     /* shorter than a header */
    CHECK_EQ(net_stats.eth_drop_short, 1u);
    uint8_t g[512];
    memcpy(g, f, n);
    g[ETH_HLEN + 10] ^= 0xff;                  /* IP checksum */
    net_host_input(g, n);
    CHECK_EQ(net_stats.ip_drop_csum, 1u);
    memcpy(g, f, n);
    g[ETH_HLEN] = 0x4f;                        /* IHL past the frame */
    net_host_input(g, ETH_HLEN + 24);
    CHECK_EQ(net_stats.ip_drop_ihl, 1u);
    memcpy(g, f, n);
    net_host_input(g, n - 10);                 /* total length past frame */
    CHECK_EQ(net_stats.ip_drop_len, 1u);
    memcpy(g, f, n);
    g[ETH_HLEN + 20 + 2] ^= 0x55;              /* ICMP checksum */
    net_host_input(g, n);
    CHECK_EQ(net_stats.icmp_drop_bad, 1u);
    CHECK_EQ(net_host_ntx, 0u);                /* nothing answered */
}

/* Fixed-seed mutations of real frames: flips, truncations, extensions. */
static void test_mutations(void)
{
    uint8_t seeds[3][512];
    size_t lens[3];
    lens[0] = arp_request(seeds[0]);
    lens[1] = icmp_echo(seeds[1], 56);
    lens[2] = icmp_echo(seeds[2], 200);
    srand(4242);
    net_host_init();
    for (int i = 0; i < 200000; i++) {
        int s = rand() % 3;
        uint8_t f[600];
        size_t len = lens[s];
        memcpy(f, seeds[s], len);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++)
            f[rand() % len] ^= (uint8_t)(1 << (rand() % 8));
        if (rand() % 4 == 0)
            len = (size_t)rand() % (len + 1);
        else if (rand() % 8 == 0) {
            size_t extra = (size_t)rand() % 64;
            for (size_t k = 0; k < extra; k++)
                f[len + k] = (uint8_t)rand();
            len += extra;
        }
        net_host_ntx = 0;
        net_host_input(f, len);
    }
    CHECK(1);   /* reaching here without a sanitizer report is the test */
}

static size_t udp_datagram(uint8_t *f, uint16_t dport, const char *msg,
                           bool good_csum)
{
    uint8_t u[8 + 64];
    size_t ml = strlen(msg);
    u[0] = 0x13; u[1] = 0x88;                  /* sport 5000 */
    u[2] = (uint8_t)(dport >> 8); u[3] = (uint8_t)dport;
    u[4] = 0; u[5] = (uint8_t)(8 + ml);
    u[6] = u[7] = 0;
    memcpy(u + 8, msg, ml);
    /* Pseudo-header checksum (RFC 768). */
    uint8_t ph[12] = { 192, 0, 2, 1, 192, 0, 2, 2, 0, IP_PROTO_UDP, 0,
                       (uint8_t)(8 + ml) };
    uint32_t sum = inet_csum_add(inet_csum_add(0, ph, 12), u, 8 + ml);
    uint16_t c = (uint16_t)~inet_csum_fold(sum);
    if (!good_csum)
        c ^= 0x0101;
    memcpy(u + 6, &c, 2);
    return ip_packet(f, IP_PROTO_UDP, u, 8 + ml);
}

static void test_udp_delivery(void)
{
    uint8_t f[256];
    struct socket *s;
    char buf[64];
    struct sockaddr_in from;

    net_host_init();
    memset(&udp_stats, 0, sizeof(udp_stats));
    CHECK_EQ(sock_create(AF_INET, SOCK_DGRAM, &s), 0);
    struct sockaddr_in a = sockaddr(0, 5353);
    CHECK_EQ(sock_bind(s, &a), 0);
    struct socket *s2;
    CHECK_EQ(sock_create(AF_INET, SOCK_DGRAM, &s2), 0);
    CHECK_EQ(sock_bind(s2, &a), -EADDRINUSE);
    sock_close(s2);
    CHECK_EQ(sock_recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, &from), -EAGAIN);
    net_host_input(f, udp_datagram(f, 5353, "hello", true));
    ssize_t n = sock_recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, &from);
    CHECK_EQ(n, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK(from.sin_addr == IP4(192, 0, 2, 1) && ntohs(from.sin_port) == 5000);
    net_host_input(f, udp_datagram(f, 5353, "bad", false));
    CHECK_EQ(udp_stats.drop_csum, 1u);
    net_host_input(f, udp_datagram(f, 9999, "noport", true));
    CHECK_EQ(udp_stats.drop_noport, 1u);
    for (int i = 0; i < 40; i++)
        net_host_input(f, udp_datagram(f, 5353, "x", true));
    CHECK(udp_stats.drop_full > 0);            /* bounded queue */
    sock_close(s);
}

/* Canned DNS answers, good and hostile (RFC 1035 §4). */
static void test_dns_parse(void)
{
    uint8_t q[512], m[600];
    in_addr_t a;
    uint32_t ttl;
    int ql = dns_build_query(q, sizeof(q), 0x1234, "files.test");
    CHECK(ql > 12);
    uint8_t bad[64];
    CHECK_EQ(dns_build_query(bad, sizeof(bad), 1, "a..b"), -EINVAL);
    CHECK_EQ(dns_build_query(bad, sizeof(bad), 1, ""), -EINVAL);

    /* files.test CNAME -> real.test, real.test A 192.0.2.9 */
    size_t n = (size_t)ql;
    memcpy(m, q, n);
    m[2] = 0x81; m[3] = 0x80; m[7] = 2;        /* QR, 2 answers */
    const uint8_t cname[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7,
                              4, 'r', 'e', 'a', 'l', 0xc0, 18 };
    memcpy(m + n, cname, sizeof(cname));
    size_t real_at = n + 12;
    n += sizeof(cname);
    const uint8_t arec[] = { 0xc0, (uint8_t)real_at, 0, 1, 0, 1, 0, 0, 0, 30,
                             0, 4, 192, 0, 2, 9 };
    memcpy(m + n, arec, sizeof(arec));
    n += sizeof(arec);
    CHECK_EQ(dns_parse_response(m, n, 0x1234, "files.test", &a, &ttl), 0);
    CHECK(a == IP4(192, 0, 2, 9));
    CHECK_EQ(ttl, 30u);
    CHECK_EQ(dns_parse_response(m, n, 0x9999, "files.test", &a, &ttl), -EIO);
    /* Every truncation is an error, never a read past the end (ASan). */
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *t = malloc(cut ? cut : 1);
        memcpy(t, m, cut);
        int e = dns_parse_response(t, cut, 0x1234, "files.test", &a, &ttl);
        CHECK(e == -EIO || e == -ENOENT);
        free(t);
    }
    /* A pointer to itself, and a forward pointer. */
    uint8_t loop[64];
    memcpy(loop, m, (size_t)ql);
    loop[7] = 1;
    loop[ql] = 0xc0;
    loop[ql + 1] = (uint8_t)ql;
    memset(loop + ql + 2, 0, 10);
    CHECK_EQ(dns_parse_response(loop, (size_t)ql + 12, 0x1234, "files.test",
                                &a, &ttl), -EIO);
    loop[ql + 1] = 60;
    CHECK_EQ(dns_parse_response(loop, (size_t)ql + 12, 0x1234, "files.test",
                                &a, &ttl), -EIO);
    /* NXDOMAIN */
    m[3] = 0x83;
    CHECK_EQ(dns_parse_response(m, n, 0x1234, "files.test", &a, &ttl), -ENOENT);
}

int main(void)
{
    MT_RUN(test_udp_delivery);
    MT_RUN(test_dns_parse);
    MT_RUN(test_arp_reply);
    MT_RUN(test_icmp_echo_reply);
    MT_RUN(test_malformed_counted);
    MT_RUN(test_mutations);
    return mt_finish();
}
