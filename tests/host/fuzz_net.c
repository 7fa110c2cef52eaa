/* libFuzzer target: the network receive path from Ethernet up (with a TCP
 * listener, so handshakes and established connections are reached), and the DNS
 * answer parser.  Any input is one received frame (and one DNS message); the
 * stack must drop it or answer with well-formed frames, without a sanitizer
 * report.  `make -C tests/host fuzz-net`. */
#define MM_HOST_IMPL
#include "mm_host.h"
#define NET_HOST_IMPL
#include "net_host.h"
#include "dns.h"
#include "socket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        net_host_init();
        /* A TCP listener on port 80 (the seeds tcp-* talk to it), so
         * inputs reach the handshake and the synchronized states, not
         * only the reset answer for closed ports. */
        struct socket *l;
        struct sockaddr_in a = sockaddr(0, 80);
        if (sock_create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &l) ||
            sock_bind(l, &a) || sock_listen(l, 8))
            abort();
        ready = true;
    }
    net_host_ntx = 0;
    net_host_input(data, size);
    /* The same bytes as a DNS answer (the resolver parses what a server
     * sends), in an exactly-sized copy so ASan sees any overread. */
    uint8_t *m = malloc(size ? size : 1);
    memcpy(m, data, size);
    in_addr_t a;
    uint32_t ttl;
    uint16_t id = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0;
    (void)dns_parse_response(m, size, id, "files.test", &a, &ttl);
    free(m);
    return 0;
}
