/* HTTP/1.1 response parser (include/http_parse.h): a byte-driven state
 * machine over RFC 9112.  Lines (status line §4, field lines §5, chunk
 * sizes §7.1, trailers §7.1.2) are gathered in a bounded buffer; body bytes
 * go straight from the caller's buffer to the callback.  Everything the
 * peer sends is checked against a limit before it is stored, so hostile
 * input ends in an error, never an overrun or a hang.  Pure C: kernel.h
 * is included only for the errno values. */
#include "http_parse.h"
#include "kernel.h"
#include "string.h"

enum http_pstate {
    HP_STATUS,                  /* status line (§4) */
    HP_HEADER,                  /* field lines up to the blank line (§5) */
    HP_BODY_LENGTH,             /* Content-Length bytes (§6.2) */
    HP_BODY_CLOSE,              /* until the connection closes (§6.3 rule 8) */
    HP_CHUNK_SIZE,              /* chunk-size [chunk-ext] (§7.1) */
    HP_CHUNK_DATA,
    HP_CHUNK_END,               /* the CRLF after chunk-data */
    HP_TRAILER,                 /* trailer section (§7.1.2) */
    HP_DONE,
};

/* The field a line belonged to, so an obs-fold continuation (§5.2) of a
 * framing field can be refused rather than misread. */
enum http_field {
    HF_NONE,                    /* none yet (just after the start line) */
    HF_OTHER,
    HF_FRAMING,                 /* Content-Length or Transfer-Encoding */
};

#define HTTP_VERSION_PREFIX     "HTTP/"
#define HTTP_STATUS_DIGITS      3
#define HTTP_STATUS_MIN         100     /* RFC 9110 §15: 100..599 */
#define HTTP_STATUS_MAX         599
#define HTTP_STATUS_FINAL_MIN   200     /* below are 1xx interim responses */
#define HTTP_SWITCHING_PROTOCOLS 101
#define HTTP_NO_CONTENT         204
#define HTTP_NOT_MODIFIED       304
#define HTTP_DEL                0x7f
#define HEX_BITS                4
#define DECIMAL                 10

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + DECIMAL;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + DECIMAL;
    return -1;
}

/* OWS / BWS: optional whitespace, SP or HTAB (RFC 9110 §5.6.3). */
static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* tchar (RFC 9110 §5.6.2). */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Control characters other than HTAB, which field values and quoted
 * strings may not carry. */
static bool is_ctl(char c)
{
    unsigned char u = (unsigned char)c;
    return (u < ' ' && u != '\t') || u == HTTP_DEL;
}

static size_t token_len(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && is_tchar(s[i]))
        i++;
    return i;
}

static size_t skip_ows(const char *s, size_t n, size_t i)
{
    while (i < n && is_ows(s[i]))
        i++;
    return i;
}

static char to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive match of s[0..n) against a lower-case literal (field
 * names, RFC 9110 §5.1; transfer codings, RFC 9112 §7). */
static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);

    if (n != l)
        return false;
    for (size_t i = 0; i < n; i++)
        if (to_lower(s[i]) != lit[i])
            return false;
    return true;
}

/* quoted-string (RFC 9110 §5.6.4) at s[0] == '"': its length including
 * both quotes, or 0 if it is unterminated or holds a control character. */
static size_t quoted_len(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (s[i] == '"')
            return i + 1;
        if (s[i] == '\\' && ++i == n)
            return 0;
        if (is_ctl(s[i]))
            return 0;
    }
    return 0;
}

/* State for the next response after a 1xx (and for the first). */
static void reset_response(struct http_parser *p)
{
    p->status = 0;
    p->version_minor = 0;
    p->has_length = false;
    p->content_length = 0;
    p->te_seen = false;
    p->te_chunked = false;
    p->last_field = HF_NONE;
    p->section_bytes = 0;
    p->state = HP_STATUS;
}

void http_parser_init(struct http_parser *p, http_body_fn body, void *ctx)
{
    memset(p, 0, offsetof(struct http_parser, line));
    p->line[0] = 0;
    p->body = body;
    p->ctx = ctx;
    p->framing = HTTP_BODY_NONE;
    reset_response(p);
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (§4).
 * The reason phrase is ignored (§4: it carries no semantics); a missing
 * SP after the code is tolerated, as many clients do. */
static int parse_status_line(struct http_parser *p, const char *s, size_t n)
{
    const size_t plen = sizeof(HTTP_VERSION_PREFIX) - 1;
    /* "HTTP/" DIGIT "." DIGIT SP 3DIGIT */
    const size_t min = plen + 3 + 1 + HTTP_STATUS_DIGITS;

    if (n < min || memcmp(s, HTTP_VERSION_PREFIX, plen) != 0)
        return -EPROTO;
    const char *v = s + plen;
    /* Only major version 1 has this message syntax (RFC 9110 §2.5). */
    if (v[0] != '1' || v[1] != '.' || !is_digit(v[2]) || v[3] != ' ')
        return -EPROTO;
    const char *code = v + 4;
    int status = 0;
    for (int i = 0; i < HTTP_STATUS_DIGITS; i++) {
        if (!is_digit(code[i]))
            return -EPROTO;
        status = status * DECIMAL + (code[i] - '0');
    }
    if (n > min && code[HTTP_STATUS_DIGITS] != ' ')
        return -EPROTO;
    if (status < HTTP_STATUS_MIN || status > HTTP_STATUS_MAX)
        return -EPROTO;
    for (size_t i = min; i < n; i++)
        if (is_ctl(s[i]))
            return -EPROTO;
    p->status = status;
    p->version_minor = v[2] - '0';
    return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6).  A list of identical values
 * ("42, 42", or the field repeated) is accepted as one, as §8.6 allows;
 * differing values, signs, junk or a value past 2^64 are malformed. */
static int parse_content_length(struct http_parser *p, const char *s,
                                size_t n)
{
    size_t i = 0;

    for (;;) {
        i = skip_ows(s, n, i);
        size_t start = i;
        uint64_t v = 0;
        while (i < n && is_digit(s[i])) {
            unsigned d = (unsigned)(s[i++] - '0');
            if (v > (UINT64_MAX - d) / DECIMAL)
                return -EPROTO;
            v = v * DECIMAL + d;
        }
        if (i == start)
            return -EPROTO;
        if (p->has_length && p->content_length != v)
            return -EPROTO;
        p->has_length = true;
        p->content_length = v;
        i = skip_ows(s, n, i);
        if (i == n)
            return 0;
        if (s[i++] != ',')
            return -EPROTO;
    }
}

/* Transfer-Encoding = #transfer-coding (RFC 9112 §6.1).  Only chunked is
 * decoded; it may appear once, last.  Any other coding would leave the
 * body encoded, so it is refused rather than passed on. */
static int parse_transfer_encoding(struct http_parser *p, const char *s,
                                   size_t n)
{
    size_t i = 0;

    p->te_seen = true;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != ',')
            j++;
        size_t a = skip_ows(s, j, i), b = j;
        while (b > a && is_ows(s[b - 1]))
            b--;
        if (b > a) {            /* empty list elements are ignored (§5.6.1) */
            if (!ieq(s + a, b - a, "chunked"))
                return -EOPNOTSUPP;
            if (p->te_chunked)
                return -EPROTO;
            p->te_chunked = true;
        }
        i = j + 1;
    }
    return 0;
}

/* field-line = field-name ":" OWS field-value OWS (§5).  Only the framing
 * fields matter here; the rest are checked for shape and skipped.
 * Trailer fields never frame the message (RFC 9110 §6.5.1). */
static int parse_field_line(struct http_parser *p, const char *s, size_t n,
                            bool trailer)
{
    if (is_ows(s[0])) {
        /* obs-fold (§5.2): harmless inside a field we ignore; right after
         * the start line (§2.2) or inside a framing field it would change
         * how the message is framed, so it is refused. */
        return p->last_field == HF_OTHER ? 0 : -EPROTO;
    }
    size_t name = token_len(s, n);
    /* No whitespace between name and colon (§5.1). */
    if (name == 0 || name == n || s[name] != ':')
        return -EPROTO;
    size_t a = skip_ows(s, n, name + 1), b = n;
    while (b > a && is_ows(s[b - 1]))
        b--;
    p->last_field = HF_OTHER;
    if (trailer)
        return 0;
    if (ieq(s, name, "content-length")) {
        p->last_field = HF_FRAMING;
        return parse_content_length(p, s + a, b - a);
    }
    if (ieq(s, name, "transfer-encoding")) {
        p->last_field = HF_FRAMING;
        return parse_transfer_encoding(p, s + a, b - a);
    }
    return 0;
}

/* The blank line after the fields: decide the body's framing by RFC 9112
 * §6.3, in its order. */
static int parse_headers_end(struct http_parser *p)
{
    if (p->status < HTTP_STATUS_FINAL_MIN) {
        /* We never ask to upgrade, so 101 is a protocol error; other 1xx
         * are skipped (RFC 9110 §15.2), a bounded number of times. */
        if (p->status == HTTP_SWITCHING_PROTOCOLS ||
            ++p->interim > HTTP_INTERIM_MAX)
            return -EPROTO;
        reset_response(p);
        return 0;
    }
    p->headers_done = true;
    if (p->status == HTTP_NO_CONTENT || p->status == HTTP_NOT_MODIFIED) {
        p->framing = HTTP_BODY_NONE;            /* rule 1 */
        p->state = HP_DONE;
    } else if (p->te_seen) {
        /* Rule 4 (chunked not final) is refused in parse_transfer_encoding;
         * Transfer-Encoding in HTTP/1.0 is faulty framing (§6.1). */
        if (!p->te_chunked || p->version_minor == 0)
            return -EPROTO;
        p->framing = HTTP_BODY_CHUNKED;         /* rule 3: overrides C-L */
        p->state = HP_CHUNK_SIZE;
    } else if (p->has_length) {
        p->framing = p->content_length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
        p->remaining = p->content_length;       /* rule 6 */
        p->state = p->content_length ? HP_BODY_LENGTH : HP_DONE;
    } else {
        p->framing = HTTP_BODY_CLOSE;           /* rule 8 */
        p->state = HP_BODY_CLOSE;
    }
    return 0;
}

/* chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * with chunk-ext-val = token / quoted-string (§7.1.1).  Extensions carry
 * nothing we use, so they are checked and ignored.  Trailing BWS without
 * an extension is tolerated. */
static int parse_chunk_ext(const char *s, size_t n)
{
    size_t i = 0;

    for (;;) {
        i = skip_ows(s, n, i);
        if (i == n)
            return 0;
        if (s[i] != ';')
            return -EPROTO;
        i = skip_ows(s, n, i + 1);
        size_t t = token_len(s + i, n - i);
        if (!t)
            return -EPROTO;
        i = skip_ows(s, n, i + t);
        if (i == n || s[i] != '=')
            continue;
        i = skip_ows(s, n, i + 1);
        t = i < n && s[i] == '"' ? quoted_len(s + i, n - i)
                                 : token_len(s + i, n - i);
        if (!t)
            return -EPROTO;
        i += t;
    }
}

/* chunk-size = 1*HEXDIG (§7.1); the size must fit in 64 bits. */
static int parse_chunk_size(struct http_parser *p, const char *s, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    int d;

    while (i < n && (d = hex_value(s[i])) >= 0) {
        if (v > UINT64_MAX >> HEX_BITS)
            return -EPROTO;
        v = v << HEX_BITS | (uint64_t)d;
        i++;
    }
    if (i == 0)
        return -EPROTO;
    int err = parse_chunk_ext(s + i, n - i);
    if (err)
        return err;
    if (v == 0) {                       /* last-chunk: trailers follow */
        p->state = HP_TRAILER;
        p->section_bytes = 0;
        p->last_field = HF_NONE;
    } else {
        p->remaining = v;
        p->state = HP_CHUNK_DATA;
    }
    return 0;
}

/* One complete line, terminator removed. */
static int parse_line(struct http_parser *p, const char *s, size_t n)
{
    switch (p->state) {
    case HP_STATUS: {
        int err = parse_status_line(p, s, n);
        if (!err)
            p->state = HP_HEADER;
        return err;
    }
    case HP_HEADER:
        return n ? parse_field_line(p, s, n, false) : parse_headers_end(p);
    case HP_CHUNK_SIZE:
        return parse_chunk_size(p, s, n);
    case HP_CHUNK_END:
        if (n)
            return -EPROTO;
        p->state = HP_CHUNK_SIZE;
        return 0;
    case HP_TRAILER:
        if (!n) {
            p->state = HP_DONE;
            return 0;
        }
        return parse_field_line(p, s, n, true);
    default:
        return -EPROTO;
    }
}

/* Gathers bytes up to and including LF.  Header and trailer sections are
 * bounded as a whole, chunk lines each; the count is checked before a byte
 * is stored, so line[] (HTTP_HEADER_MAX + 1) cannot overflow. */
static int feed_line(struct http_parser *p, const char *s, size_t len,
                     size_t *used)
{
    bool section = p->state == HP_STATUS || p->state == HP_HEADER ||
                   p->state == HP_TRAILER;

    for (size_t i = 0; i < len; i++) {
        if (section) {
            if (++p->section_bytes > HTTP_HEADER_MAX)
                return -EMSGSIZE;
        } else if (p->line_len + 1 > HTTP_CHUNK_LINE_MAX) {
            return -EMSGSIZE;
        }
        if (s[i] != '\n') {
            p->line[p->line_len++] = s[i];
            continue;
        }
        *used = i + 1;
        size_t n = p->line_len;
        p->line_len = 0;
        /* CRLF, or a lone LF (§2.2 allows recognising it). */
        if (n && p->line[n - 1] == '\r')
            n--;
        p->line[n] = 0;
        /* A bare CR (§2.2) or a NUL (RFC 9110 §5.5) is invalid anywhere. */
        for (size_t k = 0; k < n; k++)
            if (p->line[k] == '\r' || p->line[k] == 0)
                return -EPROTO;
        return parse_line(p, p->line, n);
    }
    *used = len;
    return 0;
}

static int feed_body(struct http_parser *p, const char *s, size_t len,
                     size_t *used)
{
    bool counted = p->state != HP_BODY_CLOSE;
    size_t n = len;

    if (counted && p->remaining < n)
        n = (size_t)p->remaining;
    *used = n;
    p->body_bytes += n;
    if (counted) {
        p->remaining -= n;
        if (!p->remaining)
            p->state = p->state == HP_CHUNK_DATA ? HP_CHUNK_END : HP_DONE;
    }
    int err = p->body ? p->body(p->ctx, s, n) : 0;
    return err < 0 ? err : 0;
}

int http_parser_feed(struct http_parser *p, const void *data, size_t len)
{
    const char *s = data;

    while (!p->error && len && p->state != HP_DONE) {
        size_t used = 0;
        int err;
        if (p->state == HP_BODY_LENGTH || p->state == HP_BODY_CLOSE ||
            p->state == HP_CHUNK_DATA)
            err = feed_body(p, s, len, &used);
        else
            err = feed_line(p, s, len, &used);
        if (err)
            p->error = err;
        s += used;
        len -= used;
    }
    return p->error;
}

int http_parser_finish(struct http_parser *p)
{
    if (p->error)
        return p->error;
    if (p->state == HP_BODY_CLOSE)
        p->state = HP_DONE;
    if (p->state != HP_DONE)
        p->error = -EBADMSG;
    return p->error;
}

bool http_parser_done(const struct http_parser *p)
{
    return !p->error && p->state == HP_DONE;
}
