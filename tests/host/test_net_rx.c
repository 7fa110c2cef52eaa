/* The network receive path on the host: well-formed ARP and ICMP get the
 * right answers, malformed frames are counted and dropped, and a fixed-seed
 * mutation run over real frames finds no memory error (ASan/UBSan). */
#define MM_HOST_IMPL
#include "mm_host.h"
#define NET_HOST_IMPL
#include "net_host.h"
#include "minitest.h"

static const uint8_t host_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t guest_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static size_t eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, ETH_ALEN);
    memcpy(f + 6, host_mac, ETH_ALEN);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return ETH_HLEN;
}

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

int main(void)
{
    MT_RUN(test_arp_reply);
    MT_RUN(test_icmp_echo_reply);
    MT_RUN(test_malformed_counted);
    MT_RUN(test_mutations);
    return mt_finish();
}
