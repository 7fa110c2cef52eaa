/* DNS message building and parsing (RFC 1035 §4).  Every read is checked
 * against the message length; compression pointers (§4.1.4) may only point
 * backwards and are followed a bounded number of times, so loops and
 * out-of-range offsets are errors, never hangs or overreads. */
#include "dns.h"
#include "string.h"

#define DNS_HDR_LEN         12
#define DNS_TYPE_A          1
#define DNS_TYPE_CNAME      5
#define DNS_CLASS_IN        1
#define DNS_FLAG_QR         0x8000
#define DNS_FLAG_RD         0x0100
#define DNS_RCODE_MASK      0x000f
#define DNS_RCODE_NXDOMAIN  3
#define DNS_MAX_POINTERS    16
#define DNS_MAX_CNAMES      8

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

int dns_build_query(uint8_t *buf, size_t size, uint16_t id, const char *name)
{
    size_t nlen = strnlen(name, DNS_NAME_MAX + 1);

    if (nlen == 0 || nlen > DNS_NAME_MAX || size < DNS_HDR_LEN + nlen + 2 + 4)
        return -EINVAL;
    memset(buf, 0, DNS_HDR_LEN);
    buf[0] = (uint8_t)(id >> 8);
    buf[1] = (uint8_t)id;
    buf[2] = DNS_FLAG_RD >> 8;
    buf[5] = 1;                         /* one question */
    size_t o = DNS_HDR_LEN;
    const char *label = name;
    while (*label) {
        const char *dot = strchr(label, '.');
        size_t l = dot ? (size_t)(dot - label) : strlen(label);
        if (l == 0 || l > 63)
            return -EINVAL;
        buf[o++] = (uint8_t)l;
        memcpy(buf + o, label, l);
        o += l;
        label += l;
        if (*label == '.')
            label++;
    }
    buf[o++] = 0;
    buf[o++] = 0;
    buf[o++] = DNS_TYPE_A;
    buf[o++] = 0;
    buf[o++] = DNS_CLASS_IN;
    return (int)o;
}

/* Reads the (possibly compressed) name at *off into out as dotted text;
 * advances *off past it.  Returns 0 or -EIO. */
static int read_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
    size_t o = *off, n = 0;
    bool jumped = false;
    int jumps = 0;

    for (;;) {
        if (o >= len)
            return -EIO;
        uint8_t l = m[o];
        if ((l & 0xc0) == 0xc0) {
            if (o + 1 >= len || ++jumps > DNS_MAX_POINTERS)
                return -EIO;
            size_t target = (size_t)(l & 0x3f) << 8 | m[o + 1];
            if (target >= o)            /* only backwards: no loops */
                return -EIO;
            if (!jumped)
                *off = o + 2;
            jumped = true;
            o = target;
            continue;
        }
        if (l & 0xc0)
            return -EIO;
        o++;
        if (l == 0)
            break;
        if (o + l > len || n + l + 1 > DNS_NAME_MAX)
            return -EIO;
        if (n)
            out[n++] = '.';
        memcpy(out + n, m + o, l);
        n += l;
        o += l;
    }
    out[n] = 0;
    if (!jumped)
        *off = o;
    return 0;
}

static bool name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
        char y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

int dns_parse_response(const uint8_t *m, size_t len, uint16_t id,
                       const char *name, in_addr_t *addr, uint32_t *ttl)
{
    char owner[DNS_NAME_MAX + 1], target[DNS_NAME_MAX + 1];

    if (len < DNS_HDR_LEN || rd16(m) != id || !(rd16(m + 2) & DNS_FLAG_QR))
        return -EIO;
    unsigned rcode = rd16(m + 2) & DNS_RCODE_MASK;
    if (rcode == DNS_RCODE_NXDOMAIN)
        return -ENOENT;
    if (rcode != 0)
        return -EIO;
    unsigned qd = rd16(m + 4), an = rd16(m + 6);
    size_t o = DNS_HDR_LEN;
    for (unsigned i = 0; i < qd; i++) {
        if (read_name(m, len, &o, owner) || o + 4 > len)
            return -EIO;
        o += 4;
    }
    strlcpy(target, name, sizeof(target));
    int cnames = 0;
    uint32_t min_ttl = UINT32_MAX;
    /* Answers may come in any order: rescan after each CNAME step. */
    size_t first = o;
    for (int pass = 0; pass <= DNS_MAX_CNAMES; pass++) {
        bool moved = false;
        o = first;
        for (unsigned i = 0; i < an; i++) {
            if (read_name(m, len, &o, owner) || o + 10 > len)
                return -EIO;
            uint16_t type = rd16(m + o), cls = rd16(m + o + 2);
            uint32_t t = (uint32_t)rd16(m + o + 4) << 16 | rd16(m + o + 6);
            uint16_t rdlen = rd16(m + o + 8);
            o += 10;
            if (o + rdlen > len)
                return -EIO;
            if (cls != DNS_CLASS_IN || !name_eq(owner, target)) {
                o += rdlen;
                continue;
            }
            if (type == DNS_TYPE_A && rdlen == 4) {
                memcpy(addr, m + o, 4);
                *ttl = MIN(min_ttl, t);
                return 0;
            }
            if (type == DNS_TYPE_CNAME && !moved) {
                size_t ro = o;
                if (read_name(m, len, &ro, target) || ro > o + rdlen)
                    return -EIO;
                min_ttl = MIN(min_ttl, t);
                moved = true;
                if (++cnames > DNS_MAX_CNAMES)
                    return -EIO;
            }
            o += rdlen;
        }
        if (!moved)
            break;
    }
    return -ENOENT;
}
