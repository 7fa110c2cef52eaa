/* libFuzzer target: the HTTP response parser and the URL parser.  The
 * first byte picks how the rest is cut into feeds (a TCP stream arrives in
 * arbitrary pieces); the parser must give the same verdict and body as
 * when fed whole, never deliver more body than it was given, and raise no
 * sanitizer report.  The same bytes, as a string, go to http_url_parse and
 * the request builder.  `make -C tests/host fuzz-http`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct fuzz_body {
    uint64_t bytes;
    uint64_t sum;               /* order-sensitive digest of the body */
};

static int fuzz_collect(void *ctx, const void *data, size_t len)
{
    struct fuzz_body *b = ctx;
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++)
        b->sum = b->sum * 31 + p[i];
    b->bytes += len;
    return 0;
}

static int fuzz_parse(const uint8_t *data, size_t size, size_t step,
                      struct fuzz_body *b)
{
    static struct http_parser p;
    int err = 0;

    memset(b, 0, sizeof(*b));
    http_parser_init(&p, fuzz_collect, b);
    for (size_t off = 0; off < size && !err && !http_parser_done(&p);) {
        size_t n = size - off < step ? size - off : step;
        uint8_t *piece = malloc(n);     /* exact size: ASan sees overreads */
        memcpy(piece, data + off, n);
        err = http_parser_feed(&p, piece, n);
        free(piece);
        off += n;
    }
    if (!err && !http_parser_done(&p))
        err = http_parser_finish(&p);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    size_t step = 1 + data[0] % 64;
    data++;
    size--;

    struct fuzz_body whole, split;
    int e1 = fuzz_parse(data, size, size ? size : 1, &whole);
    int e2 = fuzz_parse(data, size, step, &split);
    if (e1 != e2 || whole.bytes != split.bytes || whole.sum != split.sum ||
        whole.bytes > size) {
        fprintf(stderr, "verdict depends on the split: %d/%d, %llu/%llu\n",
                e1, e2, (unsigned long long)whole.bytes,
                (unsigned long long)split.bytes);
        abort();
    }

    char *url = malloc(size + 1);
    memcpy(url, data, size);
    url[size] = 0;
    struct http_url u;
    if (http_url_parse(url, &u) == 0) {
        char req[HTTP_REQUEST_MAX];
        int n = http_build_request(req, sizeof(req), &u);
        /* The URL cannot add lines: exactly the five CRLFs we write
         * (request line, Host, Connection, User-Agent, blank line). */
        int cr = 0, lf = 0;
        for (int i = 0; i < n; i++) {
            cr += req[i] == '\r';
            lf += req[i] == '\n';
        }
        if (n > 0 && (cr != 5 || lf != 5)) {
            fprintf(stderr, "URL injected a line break\n");
            abort();
        }
    }
    free(url);
    return 0;
}
