/* HTTP/1.1 client: one GET per TCP connection (Connection: close), the
 * body streamed to a callback.  URL parsing and the request text
 * (net/http_url.c) and the response parser (net/http_parse.c) are pure C;
 * http_get (net/http.c) is the kernel glue over sockets and DNS. */
#ifndef HTTP_H
#define HTTP_H

#include "http_parse.h"

#define HTTP_DEFAULT_PORT   80
#define HTTP_HOST_MAX       255     /* a DNS name (RFC 1035 §2.3.4) */
/* The request line and fields we send: the path plus fixed text. */
#define HTTP_REQUEST_MAX    1024
#define HTTP_USER_AGENT     "arm64-kernel-http/0.1"

/* http://host[:port][/path][?query][#fragment], RFC 3986 §3 restricted to
 * what we can use: the http scheme (case-insensitive), a DNS name or
 * dotted quad, no userinfo, no IPv6 literal. */
struct http_url {
    char host[HTTP_HOST_MAX + 1];
    uint16_t port;
    const char *path;           /* into the URL; "" means "/" */
    size_t path_len;            /* up to the fragment, which is not sent */
};

/* 0, or -EINVAL (malformed), -EPROTONOSUPPORT (a scheme other than http,
 * e.g. https), -EAFNOSUPPORT (an IPv6 literal). */
int http_url_parse(const char *url, struct http_url *u);
/* The GET request for u into buf (not NUL-terminated): its length, or
 * -ENAMETOOLONG if it does not fit. */
int http_build_request(char *buf, size_t size, const struct http_url *u);

struct http_result {
    int status;                 /* the final status code, e.g. 200 */
    enum http_framing framing;
    uint64_t body_bytes;        /* handed to the callback */
};

/* GET url; body bytes go to body(ctx, ...) as they arrive (body may be
 * NULL).  Returns 0 once a whole response has been read, whatever its
 * status (see res->status), or a negative errno: those of http_url_parse,
 * dns_resolve, sock_create/connect/send/recv (-ETIMEDOUT when the server
 * is silent for 30 s, HTTP_RECV_TIMEOUT_NS in net/http.c), the parser's (http_parse.h), or
 * the callback's.  Thread context; blocks. */
int http_get(const char *url, struct http_result *res, http_body_fn body,
             void *ctx);

#endif
