/* The Internet checksum (RFC 1071): one's complement sum of 16-bit words.
 * The caller inverts the folded sum when writing a header. */
#include "net.h"

typedef uint32_t __attribute__((aligned(1), may_alias)) u32_unaligned;

/* Sums in native (little-endian) 32-bit words and swaps once at the end:
 * the one's complement sum is byte-order independent (RFC 1071 §2(B)),
 * and 32-bit words into a 64-bit accumulator cannot overflow for any
 * packet.  The result is the sum of big-endian 16-bit words, as before,
 * so sums can be chained (at even offsets). */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t s = 0;

    for (; len >= 16; len -= 16, p += 16)
        s += (uint64_t)((const u32_unaligned *)p)[0] +
             ((const u32_unaligned *)p)[1] + ((const u32_unaligned *)p)[2] +
             ((const u32_unaligned *)p)[3];
    for (; len >= 4; len -= 4, p += 4)
        s += *(const u32_unaligned *)p;
    if (len >= 2) {
        s += (uint32_t)(p[0] | p[1] << 8);
        p += 2;
        len -= 2;
    }
    if (len)
        s += p[0];      /* the low byte of a little-endian word */
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    uint64_t be = (uint64_t)sum + __builtin_bswap16((uint16_t)s);
    while (be >> 32)
        be = (be & 0xffffffff) + (be >> 32);
    return (uint32_t)be;
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
