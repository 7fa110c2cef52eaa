/* The HTTP client's pure parts on the host, under ASan/UBSan: the response
 * parser (net/http_parse.c) with Content-Length, chunked (extensions,
 * trailers), read-until-close and interim bodies, fed whole, byte at a
 * time and split at every offset; malformed and hostile responses
 * (status lines, chunk sizes, Content-Length, header floods, bare CR)
 * rejected with the documented errors; a fixed-seed mutation run that
 * checks the verdict does not depend on how the bytes were split; and the
 * URL parser and request builder (net/http_url.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "minitest.h"

#define BODY_MAX    (64 * 1024)

struct outcome {
    int err;
    int status;
    enum http_framing framing;
    size_t body_len;
    uint64_t body_bytes;
    char body[BODY_MAX];
    int calls;
    int fail_after;             /* callback fails on this call (0 = never) */
};

static int collect(void *ctx, const void *data, size_t len)
{
    struct outcome *o = ctx;

    o->calls++;
    if (o->fail_after && o->calls >= o->fail_after)
        return -ECANCELED;
    if (len > BODY_MAX - o->body_len)
        len = BODY_MAX - o->body_len;   /* keep the count; drop the excess */
    memcpy(o->body + o->body_len, data, len);
    o->body_len += len;
    return 0;
}

static struct http_parser parser;

/* Feeds msg as a client would: pieces of `step` bytes (0 = all at once),
 * each in an exactly-sized heap copy so ASan sees any overread; stops at
 * the first error or once the message is done; otherwise the end of the
 * input is the server closing the connection. */
static void run_steps(const char *msg, size_t len, size_t step,
                      struct outcome *o, int fail_after)
{
    memset(o, 0, sizeof(*o));
    o->fail_after = fail_after;
    http_parser_init(&parser, collect, o);
    if (!step)
        step = len ? len : 1;
    size_t off = 0;
    int err = 0;
    while (off < len && !err && !http_parser_done(&parser)) {
        size_t n = len - off < step ? len - off : step;
        char *piece = malloc(n);
        memcpy(piece, msg + off, n);
        err = http_parser_feed(&parser, piece, n);
        free(piece);
        off += n;
    }
    if (!err && !http_parser_done(&parser))
        err = http_parser_finish(&parser);
    o->err = err;
    o->status = parser.status;
    o->framing = parser.framing;
    o->body_bytes = parser.body_bytes;
}

static struct outcome out, out2;

static void run(const char *msg, struct outcome *o)
{
    run_steps(msg, strlen(msg), 0, o, 0);
}

static int run_err(const char *msg)
{
    run(msg, &out);
    return out.err;
}

/* Same verdict and body however the message is cut: whole, byte by byte,
 * and in two pieces at every offset. */
static void check_split_invariant(const char *msg)
{
    size_t len = strlen(msg);

    run_steps(msg, len, 0, &out, 0);
    run_steps(msg, len, 1, &out2, 0);
    CHECK_EQ(out2.err, out.err);
    CHECK_EQ(out2.body_len, out.body_len);
    CHECK(memcmp(out2.body, out.body, out.body_len) == 0);
    int bad = 0;
    for (size_t cut = 1; cut < len; cut++) {
        memset(&out2, 0, sizeof(out2));
        http_parser_init(&parser, collect, &out2);
        int err = http_parser_feed(&parser, msg, cut);
        if (!err && !http_parser_done(&parser))
            err = http_parser_feed(&parser, msg + cut, len - cut);
        if (!err && !http_parser_done(&parser))
            err = http_parser_finish(&parser);
        if (err != out.err || out2.body_len != out.body_len ||
            memcmp(out2.body, out.body, out.body_len) != 0)
            bad++;
    }
    CHECK_EQ(bad, 0);
}

static void test_content_length(void)
{
    const char *m = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                    "Content-Type: text/plain\r\n\r\nhello";
    run(m, &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.status, 200);
    CHECK_EQ(out.framing, HTTP_BODY_LENGTH);
    CHECK_EQ(out.body_len, 5);
    CHECK(memcmp(out.body, "hello", 5) == 0);
    CHECK(parser.has_length && parser.content_length == 5);
    check_split_invariant(m);

    /* Bytes after the body are ignored; Content-Length: 0 has no body. */
    run("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabEXTRA", &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.body_len, 2);
    run("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.status, 404);
    CHECK_EQ(out.framing, HTTP_BODY_NONE);
    CHECK_EQ(out.calls, 0);

    /* Identical repeated values are one value (RFC 9110 §8.6). */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"), 0);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                     "content-length:3 \r\n\r\nabc"), 0);
    /* Bare LF line endings are accepted (RFC 9112 §2.2). */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc"), 0);
    CHECK_EQ(out.body_len, 3);
    /* HTTP/1.0, no reason phrase. */
    run("HTTP/1.0 200\r\nContent-Length: 1\r\n\r\nx", &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(parser.version_minor, 0);
}

static void test_bad_content_length(void)
{
    static const char *const bad[] = {
        "-1", "+5", "1a", "", " ", "0x10", "5,", ",5", "5, 6", "5 6",
        "18446744073709551616",         /* 2^64 */
        "99999999999999999999999999",
    };
    char m[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(m, sizeof(m), "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n",
                 bad[i]);
        if (!CHECK_EQ(run_err(m), -EPROTO))
            printf("    Content-Length: \"%s\"\n", bad[i]);
    }
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
                     "Content-Length: 4\r\n\r\nabcd"), -EPROTO);
    /* 2^64 - 1 fits; the body is then short. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Length: "
                     "18446744073709551615\r\n\r\nabc"), -EBADMSG);
    CHECK_EQ(out.body_len, 3);
}

static const char chunked_msg[] =
    "HTTP/1.1 200 OK\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Trailer: Expires\r\n"
    "\r\n"
    "5\r\nhello\r\n"
    "1;name=value\r\n \r\n"
    "6 ; a ; b=\"q \\\"x\\\" ;\" ;c=tok\r\nworld!\r\n"
    "000A\r\n0123456789\r\n"
    "0;last\r\n"
    "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
    "X-Checksum: abc\r\n"
    "\r\n";

static void test_chunked(void)
{
    run(chunked_msg, &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.status, 200);
    CHECK_EQ(out.framing, HTTP_BODY_CHUNKED);
    CHECK_EQ(out.body_len, 22);
    CHECK(memcmp(out.body, "hello world!0123456789", 22) == 0);
    CHECK_EQ(out.body_bytes, 22);
    check_split_invariant(chunked_msg);

    /* Lower/mixed case coding, LF-only lines, no trailers, data after. */
    run("HTTP/1.1 200 OK\nTransfer-Encoding: Chunked\n\n3\nabc\n0\n\nNEXT",
        &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.body_len, 3);
    /* Transfer-Encoding overrides Content-Length (RFC 9112 §6.3 rule 3). */
    run("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.body_len, 2);
    /* Empty list elements are ignored (RFC 9110 §5.6.1). */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: , chunked\r\n\r\n"
                     "0\r\n\r\n"), 0);
    /* Large chunk sizes with leading zeros still fit. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "00000000000000000000001\r\nx\r\n0\r\n\r\n"), 0);
}

static void test_bad_chunked(void)
{
    static const char *const bad_sizes[] = {
        "-5", "+5", "0x10", "", " 5", "5 x", "g", "5;", "5;=x", "5;a=",
        "5;a=\"unterminated", "5;a=b c", "5;a=\"ctl\x01\"",
        "10000000000000000",            /* 2^64: 17 hex digits */
        "FFFFFFFFFFFFFFFFF",
    };
    char m[256];
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        snprintf(m, sizeof(m), "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n%s\r\nhello\r\n0\r\n\r\n", bad_sizes[i]);
        if (!CHECK_EQ(run_err(m), -EPROTO))
            printf("    chunk-size line \"%s\"\n", bad_sizes[i]);
    }
    /* The largest size fits; the data is then missing. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "FFFFFFFFFFFFFFFF\r\nabc"), -EBADMSG);
    /* Chunk data must be followed by CRLF. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabcd\r\n0\r\n\r\n"), -EPROTO);
    /* Truncated anywhere: -EBADMSG at close. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nab"), -EBADMSG);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n0\r\n"), -EBADMSG);
    /* Codings we cannot decode, chunked twice or not last, chunked in
     * HTTP/1.0, an empty Transfer-Encoding. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked"
                     "\r\n\r\n0\r\n\r\n"), -EOPNOTSUPP);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip"
                     "\r\n\r\n"), -EOPNOTSUPP);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), -EPROTO);
    CHECK_EQ(run_err("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "0\r\n\r\n"), -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n"),
             -EPROTO);
    /* Malformed trailer field. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "0\r\nno colon here\r\n\r\n"), -EPROTO);
}

static void test_until_close(void)
{
    const char *m = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of this";
    run_steps(m, strlen(m), 0, &out, 0);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.framing, HTTP_BODY_CLOSE);
    CHECK_EQ(out.body_len, strlen("all of this"));
    /* Not done until the close. */
    http_parser_init(&parser, NULL, NULL);
    CHECK_EQ(http_parser_feed(&parser, m, strlen(m)), 0);
    CHECK(parser.headers_done);
    CHECK(!http_parser_done(&parser));
    CHECK_EQ(http_parser_finish(&parser), 0);
    CHECK(http_parser_done(&parser));
    check_split_invariant(m);
}

static void test_no_body_and_interim(void)
{
    /* 204 and 304 have no body whatever the fields say (RFC 9112 §6.3). */
    run("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nJUNK", &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.status, 204);
    CHECK_EQ(out.body_len, 0);
    run("HTTP/1.1 304 Not Modified\r\n\r\n", &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.status, 304);
    /* 1xx are skipped (RFC 9110 §15.2). */
    const char *m = "HTTP/1.1 100 Continue\r\n\r\n"
                    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    run(m, &out);
    CHECK_EQ(out.err, 0);
    CHECK_EQ(out.status, 200);
    CHECK_EQ(out.body_len, 2);
    check_split_invariant(m);
    CHECK_EQ(run_err("HTTP/1.1 101 Switching Protocols\r\n\r\n"), -EPROTO);
    char flood[2048] = "";
    for (int i = 0; i <= HTTP_INTERIM_MAX; i++)
        strcat(flood, "HTTP/1.1 100 Continue\r\n\r\n");
    strcat(flood, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    CHECK_EQ(run_err(flood), -EPROTO);
}

static void test_bad_status_line(void)
{
    static const char *const bad[] = {
        "", "garbage", "HTTP/1.1", "HTTP/1.1 ", "HTTP/1.1 20 OK",
        "HTTP/1.1 2000 OK", "HTTP/1.1 200OK", "HTTP/1.1  200 OK",
        "HTTP/1.1 099 Low", "HTTP/1.1 600 High", "HTTP/1.1 -20 Neg",
        "http/1.1 200 OK", "HTTP/2 200 OK", "HTTP/2.0 200 OK",
        "HTTP/1.x 200 OK", "HTTP/11 200 OK", "HTTP/1.1\t200 OK",
        "HTTP/1.1 200 O\x01K", " HTTP/1.1 200 OK", "SSH-2.0-OpenSSH_9.2",
    };
    char m[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(m, sizeof(m), "%s\r\nContent-Length: 0\r\n\r\n", bad[i]);
        if (!CHECK_EQ(run_err(m), -EPROTO))
            printf("    status line \"%s\"\n", bad[i]);
    }
    /* Nothing at all, or the status line cut short, before the close. */
    CHECK_EQ(run_err(""), -EBADMSG);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Len"), -EBADMSG);
}

static void test_bad_fields(void)
{
    /* Whitespace before the colon (RFC 9112 §5.1), no colon, empty name. */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx"),
             -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"), -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\n: value\r\n\r\n"), -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nBad(Name): v\r\n\r\n"), -EPROTO);
    /* Bare CR and NUL (RFC 9112 §2.2, RFC 9110 §5.5). */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"), -EPROTO);
    {
        static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
        run_steps(nul, sizeof(nul) - 1, 0, &out, 0);
        CHECK_EQ(out.err, -EPROTO);
    }
    /* obs-fold: ignorable inside other fields, refused after the start
     * line and inside framing fields (RFC 9112 §5.2, §2.2). */
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n"
                     "Content-Length: 1\r\n\r\nx"), 0);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\n X: a\r\nContent-Length: 1\r\n\r\nx"),
             -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n 2\r\n\r\nx"),
             -EPROTO);
    CHECK_EQ(run_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     "\tgzip\r\n\r\n0\r\n\r\n"), -EPROTO);
}

static void fill_header(char *m, size_t total, const char *tail)
{
    /* A status line, one long field, and tail; exactly `total` bytes up to
     * and including the blank line. */
    const char *head = "HTTP/1.1 200 OK\r\nX-Pad: ";
    size_t fixed = strlen(head) + strlen("\r\n") + strlen(tail) + 2;
    strcpy(m, head);
    memset(m + strlen(head), 'p', total - fixed);
    m[strlen(head) + total - fixed] = 0;
    strcat(m, "\r\n");
    strcat(m, tail);
    strcat(m, "\r\n");
}

static void test_limits(void)
{
    static char m[HTTP_HEADER_MAX * 3];
    const char *cl = "Content-Length: 1\r\n";

    fill_header(m, HTTP_HEADER_MAX, cl);
    CHECK_EQ(strlen(m), HTTP_HEADER_MAX);
    strcat(m, "x");
    CHECK_EQ(run_err(m), 0);
    CHECK_EQ(out.body_len, 1);
    fill_header(m, HTTP_HEADER_MAX + 1, cl);
    strcat(m, "x");
    CHECK_EQ(run_err(m), -EMSGSIZE);
    check_split_invariant(m);

    /* A flood of small fields, and one endless line without LF. */
    strcpy(m, "HTTP/1.1 200 OK\r\n");
    while (strlen(m) < sizeof(m) - 16)
        strcat(m, "A: b\r\n");
    CHECK_EQ(run_err(m), -EMSGSIZE);
    memset(m, 'H', sizeof(m) - 1);
    m[sizeof(m) - 1] = 0;
    CHECK_EQ(run_err(m), -EMSGSIZE);

    /* The limit is per section: a 1xx before does not count. */
    char *p = m;
    p += sprintf(p, "HTTP/1.1 100 Continue\r\nX: ");
    memset(p, 'c', HTTP_HEADER_MAX / 2);
    p += HTTP_HEADER_MAX / 2;
    p += sprintf(p, "\r\n\r\n");
    fill_header(p, HTTP_HEADER_MAX - 100, cl);
    strcat(p, "x");
    CHECK_EQ(run_err(m), 0);

    /* Chunk-size lines (extensions) and trailer sections are bounded too. */
    p = m;
    p += sprintf(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;e=");
    memset(p, 'e', HTTP_CHUNK_LINE_MAX);
    p += HTTP_CHUNK_LINE_MAX;
    sprintf(p, "\r\nx\r\n0\r\n\r\n");
    CHECK_EQ(run_err(m), -EMSGSIZE);
    p = m;
    p += sprintf(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "0\r\nT: ");
    memset(p, 't', HTTP_HEADER_MAX);
    p += HTTP_HEADER_MAX;
    sprintf(p, "\r\n\r\n");
    CHECK_EQ(run_err(m), -EMSGSIZE);
}

static void test_callback_error(void)
{
    /* The callback's error stops the parse and stays. */
    run_steps(chunked_msg, strlen(chunked_msg), 1, &out, 2);
    CHECK_EQ(out.err, -ECANCELED);
    CHECK_EQ(http_parser_feed(&parser, "x", 1), -ECANCELED);
    CHECK_EQ(http_parser_finish(&parser), -ECANCELED);
    CHECK(!http_parser_done(&parser));
    /* Errors are sticky too. */
    http_parser_init(&parser, NULL, NULL);
    CHECK_EQ(http_parser_feed(&parser, "bogus\r\n", 7), -EPROTO);
    CHECK_EQ(http_parser_feed(&parser, "HTTP/1.1 200 OK\r\n", 17), -EPROTO);
}

/* A body larger than any single feed, split unevenly. */
static void test_large_body(void)
{
    const size_t n = BODY_MAX;
    char *m = malloc(n + 128);
    int h = sprintf(m, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
    for (size_t i = 0; i < n; i++)
        m[h + i] = (char)(i * 7 + 3);
    size_t steps[] = { 1, 3, 1000, 1460, 4096, 65536 };
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        run_steps(m, h + n, steps[s], &out, 0);
        CHECK_EQ(out.err, 0);
        CHECK_EQ(out.body_len, n);
        CHECK(memcmp(out.body, m + h, n) == 0);
    }
    free(m);
}

/* ---- mutation run: hostile bytes never crash, and the verdict does not
 * depend on how they are split ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static void test_mutations(void)
{
    static const char *const seeds[] = {
        chunked_msg,
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nbody",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "a;x=\"y\"\r\n0123456789\r\n0\r\nT: v\r\n\r\n",
    };
    static const char alphabet[] = "\r\n :;=\",0123456789abcdefABCDEF-+\t\\";
    char m[512];
    int mismatches = 0;

    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[rng() % (sizeof(seeds) / sizeof(seeds[0]))];
        size_t len = strlen(seed);
        memcpy(m, seed, len);
        int edits = 1 + rng() % 4;
        for (int e = 0; e < edits && len; e++) {
            size_t at = rng() % len;
            switch (rng() % 4) {
            case 0:                         /* replace with any byte */
                m[at] = (char)rng();
                break;
            case 1:                         /* replace with a syntax byte */
                m[at] = alphabet[rng() % (sizeof(alphabet) - 1)];
                break;
            case 2:                         /* delete */
                memmove(m + at, m + at + 1, len - at - 1);
                len--;
                break;
            default:                        /* insert */
                if (len < sizeof(m)) {
                    memmove(m + at + 1, m + at, len - at);
                    m[at] = alphabet[rng() % (sizeof(alphabet) - 1)];
                    len++;
                }
                break;
            }
        }
        run_steps(m, len, 0, &out, 0);
        run_steps(m, len, 1 + rng() % 7, &out2, 0);
        if (out.err != out2.err || out.body_len != out2.body_len ||
            memcmp(out.body, out2.body, out.body_len) != 0)
            mismatches++;
        /* Whatever the verdict, the body never exceeds the input. */
        if (out.body_len > len)
            mismatches++;
    }
    CHECK_EQ(mismatches, 0);
}

/* ---- URL and request ---- */

static int url_err(const char *url)
{
    struct http_url u;
    return http_url_parse(url, &u);
}

static const char *request(const char *url)
{
    static char buf[HTTP_REQUEST_MAX + 1];
    struct http_url u;

    if (http_url_parse(url, &u))
        return NULL;
    int n = http_build_request(buf, HTTP_REQUEST_MAX, &u);
    if (n < 0)
        return NULL;
    buf[n] = 0;
    return buf;
}

static void test_url(void)
{
    struct http_url u;

    CHECK_EQ(http_url_parse("http://192.0.2.1:8080/files/a.bin", &u), 0);
    CHECK_STR(u.host, "192.0.2.1");
    CHECK_EQ(u.port, 8080);
    CHECK_EQ(u.path_len, strlen("/files/a.bin"));
    CHECK(memcmp(u.path, "/files/a.bin", u.path_len) == 0);
    CHECK_EQ(http_url_parse("HTTP://Files.Test", &u), 0);
    CHECK_STR(u.host, "Files.Test");
    CHECK_EQ(u.port, 80);
    CHECK_EQ(u.path_len, 0);
    CHECK_EQ(http_url_parse("http://h:/x#frag", &u), 0);
    CHECK_EQ(u.port, 80);
    CHECK_EQ(u.path_len, 2);

    CHECK_EQ(url_err("https://files.test/"), -EPROTONOSUPPORT);
    CHECK_EQ(url_err("ftp://files.test/"), -EPROTONOSUPPORT);
    CHECK_EQ(url_err("httpx://files.test/"), -EPROTONOSUPPORT);
    CHECK_EQ(url_err("http://[::1]/"), -EAFNOSUPPORT);
    static const char *const bad[] = {
        "", "files.test/x", "http:/files.test/", "http//x/", "://x/",
        "http://", "http:///path", "http://user@host/", "http://h:0/",
        "http://h:65536/", "http://h:99999999999/", "http://h:8x/",
        "http://h /", "http://h/a b", "http://h/a\r\nX: y",
        "http://h/\x7f", "http://h/\xc3\xa9", "http://h\\x/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!CHECK_EQ(url_err(bad[i]), -EINVAL))
            printf("    url \"%s\"\n", bad[i]);
    char big[HTTP_HOST_MAX + 32] = "http://";
    memset(big + 7, 'h', HTTP_HOST_MAX + 1);
    big[7 + HTTP_HOST_MAX + 1] = 0;
    CHECK_EQ(url_err(big), -EINVAL);
    big[7 + HTTP_HOST_MAX] = 0;
    CHECK_EQ(url_err(big), 0);
}

static void test_request(void)
{
    CHECK_STR(request("http://192.0.2.1/big.bin"),
              "GET /big.bin HTTP/1.1\r\nHost: 192.0.2.1\r\n"
              "Connection: close\r\nUser-Agent: " HTTP_USER_AGENT "\r\n\r\n");
    CHECK_STR(request("http://files.test:8080"),
              "GET / HTTP/1.1\r\nHost: files.test:8080\r\n"
              "Connection: close\r\nUser-Agent: " HTTP_USER_AGENT "\r\n\r\n");
    CHECK_STR(request("http://h?q=1#top"),
              "GET /?q=1 HTTP/1.1\r\nHost: h\r\n"
              "Connection: close\r\nUser-Agent: " HTTP_USER_AGENT "\r\n\r\n");
    CHECK_STR(request("http://h:80/a?b"),
              "GET /a?b HTTP/1.1\r\nHost: h\r\n"
              "Connection: close\r\nUser-Agent: " HTTP_USER_AGENT "\r\n\r\n");

    /* A request that does not fit is refused, at every size below. */
    struct http_url u;
    char buf[128];
    CHECK_EQ(http_url_parse("http://files.test:8080/p", &u), 0);
    int full = http_build_request(buf, sizeof(buf), &u);
    CHECK(full > 0);
    int bad = 0;
    for (int size = 0; size < full; size++) {
        char *b = malloc(size ? size : 1);
        if (http_build_request(b, (size_t)size, &u) != -ENAMETOOLONG)
            bad++;
        free(b);
    }
    CHECK_EQ(bad, 0);
    char *b = malloc(full);
    CHECK_EQ(http_build_request(b, (size_t)full, &u), full);
    free(b);
}

int main(void)
{
    MT_RUN(test_content_length);
    MT_RUN(test_bad_content_length);
    MT_RUN(test_chunked);
    MT_RUN(test_bad_chunked);
    MT_RUN(test_until_close);
    MT_RUN(test_no_body_and_interim);
    MT_RUN(test_bad_status_line);
    MT_RUN(test_bad_fields);
    MT_RUN(test_limits);
    MT_RUN(test_callback_error);
    MT_RUN(test_large_body);
    MT_RUN(test_mutations);
    MT_RUN(test_url);
    MT_RUN(test_request);
    return mt_finish();
}
