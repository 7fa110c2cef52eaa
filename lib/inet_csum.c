/* The Internet checksum (RFC 1071): one's complement sum of 16-bit words.
 * The caller inverts the folded sum when writing a header. */
#include "net.h"

uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = sum;

    for (; len >= 2; len -= 2, p += 2)
        s += (uint32_t)(p[0] << 8 | p[1]);
    if (len)
        s += (uint32_t)(p[0] << 8);
    while (s >> 32)
        s = (s & 0xffffffff) + (s >> 32);
    return (uint32_t)s;
}

/* The IPv4 pseudo-header that TCP and UDP checksums cover (RFC 9293
 * §3.1, RFC 768): addresses, protocol and the transport length. */
uint32_t inet_pseudo_sum(in_addr_t src, in_addr_t dst, uint8_t proto,
                         uint16_t len)
{
    struct {
        uint32_t src, dst;
        uint8_t zero, proto;
        uint16_t len;
    } __attribute__((packed)) ph = { src, dst, 0, proto, htons(len) };
    return inet_csum_add(0, &ph, sizeof(ph));
}

/* Returns the folded sum in network byte order, ready to be inverted. */
uint16_t inet_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return htons((uint16_t)sum);
}
