/* lib/sha256.c against the FIPS 180-4 examples (NIST "Example Algorithm
 * SHA256" one- and two-block messages, and the long message of a million
 * 'a' from the SHA-2 test vectors), fed whole and in awkward pieces so
 * every path through the partial-block buffer is exercised. */
#include <stdlib.h>
#include <string.h>

#include "minitest.h"
#include "sha256.h"

static const char *digest_hex(const void *data, size_t len)
{
    static char hex[SHA256_HEX_SIZE];
    uint8_t d[SHA256_DIGEST_SIZE];

    sha256(data, len, d);
    sha256_hex(d, hex);
    return hex;
}

/* The same message in pieces of `step` bytes (the last one shorter). */
static const char *digest_hex_steps(const uint8_t *data, size_t len,
                                    size_t step)
{
    static char hex[SHA256_HEX_SIZE];
    uint8_t d[SHA256_DIGEST_SIZE];
    struct sha256_ctx c;

    sha256_init(&c);
    for (size_t o = 0; o < len; o += step)
        sha256_update(&c, data + o, len - o < step ? len - o : step);
    sha256_final(&c, d);
    sha256_hex(d, hex);
    return hex;
}

#define EMPTY_SHA256 \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA256 \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MSG448 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define MSG448_SHA256 \
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define MILLION_A_SHA256 \
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
#define MILLION         1000000
/* FIPS 180-4 §5.1.1 boundary: 55 bytes leave room for the length in the
 * block, 56 do not (the padding spills into a second block). */
#define A55_SHA256 \
    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"
#define A56_SHA256 \
    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"
#define A64_SHA256 \
    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"

static void test_fips_vectors(void)
{
    CHECK_STR(digest_hex("", 0), EMPTY_SHA256);
    CHECK_STR(digest_hex("abc", 3), ABC_SHA256);
    CHECK_STR(digest_hex(MSG448, strlen(MSG448)), MSG448_SHA256);
}

static void test_million_a(void)
{
    uint8_t *m = malloc(MILLION);
    memset(m, 'a', MILLION);
    CHECK_STR(digest_hex(m, MILLION), MILLION_A_SHA256);
    /* Pieces that straddle block boundaries in every phase. */
    CHECK_STR(digest_hex_steps(m, MILLION, 1), MILLION_A_SHA256);
    CHECK_STR(digest_hex_steps(m, MILLION, 63), MILLION_A_SHA256);
    CHECK_STR(digest_hex_steps(m, MILLION, 65), MILLION_A_SHA256);
    CHECK_STR(digest_hex_steps(m, MILLION, 4096), MILLION_A_SHA256);
    free(m);
}

static void test_padding_boundaries(void)
{
    uint8_t m[64];
    memset(m, 'a', sizeof(m));
    CHECK_STR(digest_hex(m, 55), A55_SHA256);
    CHECK_STR(digest_hex(m, 56), A56_SHA256);
    CHECK_STR(digest_hex(m, 64), A64_SHA256);
    for (size_t step = 1; step <= 64; step++)
        CHECK_STR(digest_hex_steps((const uint8_t *)MSG448, strlen(MSG448),
                                   step), MSG448_SHA256);
}

/* The context can be reused after init, and final leaves no state. */
static void test_reuse(void)
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    char hex[SHA256_HEX_SIZE];

    sha256_init(&c);
    sha256_update(&c, "junk", 4);
    sha256_final(&c, d);
    sha256_init(&c);
    sha256_update(&c, "a", 1);
    sha256_update(&c, "", 0);
    sha256_update(&c, "bc", 2);
    sha256_final(&c, d);
    sha256_hex(d, hex);
    CHECK_STR(hex, ABC_SHA256);
    CHECK_EQ(strlen(hex), 2 * SHA256_DIGEST_SIZE);
}

int main(void)
{
    MT_RUN(test_fips_vectors);
    MT_RUN(test_million_a);
    MT_RUN(test_padding_boundaries);
    MT_RUN(test_reuse);
    return mt_finish();
}
