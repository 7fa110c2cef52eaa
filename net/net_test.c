/* Network tests.  net.parse needs nothing; net.ping_peer needs the
 * harness's tap device with a peer at the gateway address (or, without a
 * gateway, 192.0.2.1) and fails when there is no network. */
#include "cmdline.h"
#include "ktest.h"
#include "net.h"
#include "printk.h"
#include "time.h"

KTEST(net, parse)
{
    in_addr_t a, g, m;

    KT_EXPECT(t, net_parse_ip_arg("192.0.2.2::192.0.2.1:255.255.255.0::eth0:off",
                                  &a, &g, &m) == 0, "valid ip= rejected");
    KT_EXPECT(t, a == IP4(192, 0, 2, 2) && g == IP4(192, 0, 2, 1) &&
                 m == IP4(255, 255, 255, 0), "wrong fields");
    KT_EXPECT(t, net_parse_ip_arg("192.0.2.2", &a, &g, &m) == 0 && g == 0 &&
                 m == IP4(255, 255, 255, 0), "address only");
    KT_EXPECT(t, net_parse_ip_arg("300.1.1.1", &a, &g, &m) != 0, "300 accepted");
    KT_EXPECT(t, net_parse_ip_arg("1.2.3", &a, &g, &m) != 0, "3 parts accepted");
    KT_EXPECT(t, net_parse_ip_arg("junk:::", &a, &g, &m) != 0, "junk accepted");
    KT_EXPECT(t, net_parse_ip_arg("1.2.3.4::x:", &a, &g, &m) != 0, "bad gw");

    uint8_t hdr[20] = { 0x45, 0, 0, 0x54, 0, 0, 0x40, 0, 0x40, 1, 0, 0,
                        192, 0, 2, 1, 192, 0, 2, 2 };
    uint16_t c = (uint16_t)~inet_csum(hdr, sizeof(hdr));
    hdr[10] = (uint8_t)(c & 0xff);
    hdr[11] = (uint8_t)(c >> 8);
    KT_EXPECT(t, inet_csum(hdr, sizeof(hdr)) == 0xffff, "checksum round trip");
}

KTEST_DEV(net, ping_peer)
{
    KT_ASSERT(t, net_if.nd, "no network device (run with a virtio-net NIC)");
    KT_ASSERT(t, net_if.configured, "no address (run with ip=)");
    in_addr_t peer = net_if.gateway ? net_if.gateway : IP4(192, 0, 2, 1);
    unsigned ok = 0;
    for (uint16_t seq = 1; seq <= 5; seq++) {
        int64_t rtt = icmp_ping(peer, seq, 2 * NSEC_PER_SEC);
        if (rtt >= 0) {
            ok++;
            kprintf("ping seq %u: %ld us\n", seq, (long)(rtt / 1000));
        }
    }
    KT_EXPECT(t, ok == 5, "%u of 5 echo replies", ok);
}
