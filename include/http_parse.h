/* Incremental HTTP/1.1 response parser (RFC 9112 message syntax, RFC 9110
 * semantics): feed it the bytes as they arrive, in pieces of any size; it
 * finds the status, frames the body (Content-Length, chunked, or until
 * the connection closes, RFC 9112 §6.3) and hands body bytes to a
 * callback without buffering them.  No kernel dependencies (only the
 * Linux errno values), so a user program can link net/http_parse.c too.
 *
 * Errors (negative, Linux errno values), sticky once returned:
 *   -EPROTO      malformed: status line, field line, Content-Length, chunk
 *                size or extension, bare CR or NUL, 101 Switching Protocols
 *   -EMSGSIZE    header section (or trailer section) over HTTP_HEADER_MAX
 *                bytes, or a chunk-size line over HTTP_CHUNK_LINE_MAX
 *   -EOPNOTSUPP  a transfer coding other than chunked (gzip, ...)
 *   -EBADMSG     http_parser_finish(): the connection ended mid-message
 *   anything the body callback returns */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest header section accepted: status line, field lines and the blank
 * line (RFC 9112 §2.3 leaves the limit to the recipient; 8 KiB is what
 * common servers allow for requests).  Trailer sections get the same. */
#define HTTP_HEADER_MAX         8192
/* Largest chunk-size line, extensions included (RFC 9112 §7.1.1 asks
 * recipients to limit extension length). */
#define HTTP_CHUNK_LINE_MAX     1024
/* 1xx interim responses skipped before the final one (RFC 9110 §15.2). */
#define HTTP_INTERIM_MAX        8

/* Body bytes as they arrive; return 0, or a negative errno to stop the
 * parse (http_parser_feed then returns it). */
typedef int (*http_body_fn)(void *ctx, const void *data, size_t len);

enum http_framing {
    HTTP_BODY_NONE,             /* 204, 304, or Content-Length: 0 */
    HTTP_BODY_LENGTH,           /* Content-Length */
    HTTP_BODY_CHUNKED,          /* Transfer-Encoding: chunked */
    HTTP_BODY_CLOSE,            /* until the server closes the connection */
};

struct http_parser {
    /* Results: valid once headers_done. */
    int status;                 /* 100..599 */
    int version_minor;          /* HTTP/1.x */
    bool headers_done;
    enum http_framing framing;
    bool has_length;
    uint64_t content_length;
    uint64_t body_bytes;        /* delivered to the callback so far */

    /* Private. */
    int state;
    int error;
    http_body_fn body;
    void *ctx;
    uint64_t remaining;         /* of the Content-Length body or the chunk */
    size_t section_bytes;       /* of the current header/trailer section */
    unsigned interim;           /* 1xx responses skipped */
    int last_field;             /* for obs-fold: which field came last */
    bool te_seen, te_chunked;
    size_t line_len;
    char line[HTTP_HEADER_MAX + 1];
};

void http_parser_init(struct http_parser *p, http_body_fn body, void *ctx);
/* Consumes len bytes; 0 or a negative errno.  Bytes after the end of the
 * message are ignored (with Connection: close there should be none). */
int http_parser_feed(struct http_parser *p, const void *data, size_t len);
/* The connection has closed: 0 if the message is complete (or was framed
 * by the close), else -EBADMSG or the earlier error. */
int http_parser_finish(struct http_parser *p);
/* True once the whole message, body included, has been parsed. */
bool http_parser_done(const struct http_parser *p);

#endif
