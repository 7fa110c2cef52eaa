/* SHA-256 (FIPS 180-4 §6.2), streaming: init, update any number of times
 * with any lengths, final.  Pure C with no kernel dependencies beyond the
 * fixed-width types, so user programs can link lib/sha256.c as it is. */
#ifndef SHA256_H
#define SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BLOCK_SIZE   64      /* bytes per message block (§5.2.1) */
#define SHA256_DIGEST_SIZE  32      /* 256-bit message digest */
#define SHA256_HEX_SIZE     (2 * SHA256_DIGEST_SIZE + 1)   /* with NUL */

struct sha256_ctx {
    uint32_t h[8];                  /* the hash value H(i) (§6.2.2) */
    uint64_t bytes;                 /* message length so far */
    uint8_t block[SHA256_BLOCK_SIZE];   /* partial block */
    size_t fill;                    /* bytes in block */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *data, size_t len);
/* Pads the message, writes the digest; c must be re-initialised to reuse. */
void sha256_final(struct sha256_ctx *c, uint8_t digest[SHA256_DIGEST_SIZE]);

/* One-shot digest of a buffer. */
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);
/* Lower-case hex, NUL-terminated (as sha256sum prints it). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE],
                char hex[SHA256_HEX_SIZE]);

#endif
