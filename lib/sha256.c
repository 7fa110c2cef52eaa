/* SHA-256 as specified in FIPS 180-4: functions §4.1.2, constants §4.2.2,
 * padding §5.1.1, initial hash value §5.3.3, computation §6.2.2.  Written
 * for clarity first; whole blocks are hashed straight from the caller's
 * buffer, so streaming a large body costs no extra copy. */
#include "sha256.h"
#include "string.h"

#define SHA256_LEN_BYTES    8       /* the 64-bit length ending the padding */
#define SHA256_PAD_START    0x80    /* the single '1' bit after the message */
#define SHA256_ROUNDS       64

/* §4.2.2: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes. */
static const uint32_t sha256_k[SHA256_ROUNDS] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* §5.3.3: the first 32 bits of the fractional parts of the square roots of
 * the first 8 primes. */
static const uint32_t sha256_h0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
    return x >> n | x << (32 - n);
}

/* §4.1.2, (4.2)-(4.7). */
#define CH(x, y, z)     (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z)    (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)        (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BSIG1(x)        (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SSIG0(x)        (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SSIG1(x)        (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One round of §6.2.2 step 3, with the working variables renamed instead
 * of shifted (the caller rotates the argument order each round). */
#define SHA256_ROUND(a, b, c, d, e, f, g, h, kt, wt)                       \
    do {                                                                   \
        uint32_t t1 = (h) + BSIG1(e) + CH(e, f, g) + (kt) + (wt);          \
        (d) += t1;                                                         \
        (h) = t1 + BSIG0(a) + MAJ(a, b, c);                                \
    } while (0)

/* (6.2.2 step 1) W[t] for t >= 16, in a 16-word ring: W[t] only depends
 * on the previous 16 words. */
#define SHA256_W(w, t)                                                     \
    ((w)[(t) & 15] += SSIG1((w)[((t) - 2) & 15]) + (w)[((t) - 7) & 15] +   \
                      SSIG0((w)[((t) - 15) & 15]))

/* §6.2.2 steps 1-4 for one 512-bit block, eight rounds per iteration so
 * the variables never move (this runs under TCG emulation, where every
 * saved instruction counts). */
static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[16];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
    const uint32_t *k = sha256_k;

    for (int t = 0; t < 16; t++)
        w[t] = load_be32(p + 4 * t);
    for (int t = 0; t < SHA256_ROUNDS; t += 8) {
        if (t >= 16) {
            for (int i = t; i < t + 8; i++)
                SHA256_W(w, i);
        }
        SHA256_ROUND(a, b, c, d, e, f, g, hh, k[t + 0], w[(t + 0) & 15]);
        SHA256_ROUND(hh, a, b, c, d, e, f, g, k[t + 1], w[(t + 1) & 15]);
        SHA256_ROUND(g, hh, a, b, c, d, e, f, k[t + 2], w[(t + 2) & 15]);
        SHA256_ROUND(f, g, hh, a, b, c, d, e, k[t + 3], w[(t + 3) & 15]);
        SHA256_ROUND(e, f, g, hh, a, b, c, d, k[t + 4], w[(t + 4) & 15]);
        SHA256_ROUND(d, e, f, g, hh, a, b, c, k[t + 5], w[(t + 5) & 15]);
        SHA256_ROUND(c, d, e, f, g, hh, a, b, k[t + 6], w[(t + 6) & 15]);
        SHA256_ROUND(b, c, d, e, f, g, hh, a, k[t + 7], w[(t + 7) & 15]);
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void sha256_init(struct sha256_ctx *c)
{
    memcpy(c->h, sha256_h0, sizeof(c->h));
    c->bytes = 0;
    c->fill = 0;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
    const uint8_t *p = data;

    c->bytes += len;
    if (c->fill) {
        size_t room = SHA256_BLOCK_SIZE - c->fill;
        size_t n = len < room ? len : room;
        memcpy(c->block + c->fill, p, n);
        c->fill += n;
        p += n;
        len -= n;
        if (c->fill < SHA256_BLOCK_SIZE)
            return;
        sha256_block(c->h, c->block);
        c->fill = 0;
    }
    for (; len >= SHA256_BLOCK_SIZE; len -= SHA256_BLOCK_SIZE,
                                     p += SHA256_BLOCK_SIZE)
        sha256_block(c->h, p);
    if (len) {
        memcpy(c->block, p, len);
        c->fill = len;
    }
}

/* §5.1.1: append the bit '1', zeros up to 448 mod 512 bits, then the
 * message length in bits as a 64-bit big-endian integer. */
void sha256_final(struct sha256_ctx *c, uint8_t digest[SHA256_DIGEST_SIZE])
{
    uint64_t bits = c->bytes * 8;

    c->block[c->fill++] = SHA256_PAD_START;
    if (c->fill > SHA256_BLOCK_SIZE - SHA256_LEN_BYTES) {
        memset(c->block + c->fill, 0, SHA256_BLOCK_SIZE - c->fill);
        sha256_block(c->h, c->block);
        c->fill = 0;
    }
    memset(c->block + c->fill, 0,
           SHA256_BLOCK_SIZE - SHA256_LEN_BYTES - c->fill);
    uint8_t *tail = c->block + SHA256_BLOCK_SIZE - SHA256_LEN_BYTES;
    store_be32(tail, (uint32_t)(bits >> 32));
    store_be32(tail + 4, (uint32_t)bits);
    sha256_block(c->h, c->block);
    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, c->h[i]);
    memset(c, 0, sizeof(*c));       /* no message state left behind */
}

void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx c;

    sha256_init(&c);
    sha256_update(&c, data, len);
    sha256_final(&c, digest);
}

void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE],
                char hex[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
    hex[2 * SHA256_DIGEST_SIZE] = 0;
}
