/* The request side of the HTTP client: splitting an http URL (RFC 3986
 * §3, RFC 9110 §4.2.1) and writing the GET request in origin-form (RFC
 * 9112 §3.2.1).  Pure C, like the response parser, so it is host-tested
 * and reusable from user programs.  Every character that reaches the
 * request is checked, so a URL cannot inject a line into it. */
#include "http.h"
#include "kernel.h"
#include "string.h"

#define HTTP_SCHEME         "http"
#define HTTP_SCHEME_SEP     "://"
#define HTTP_PORT_MAX       65535
#define HTTP_DEL            0x7f
#define DECIMAL             10
#define UINT_DIGITS_MAX     10      /* 4294967295 */

static char to_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The host names we can resolve: letters, digits, '-', '.', and '_'
 * (seen in practice in DNS names), which is also all a dotted quad
 * needs. */
static bool is_host_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
}

/* Path and query: printable ASCII without space (RFC 3986 §2: anything
 * else must arrive percent-encoded, and CR/LF would split the request). */
static bool is_path_char(char c)
{
    return c > ' ' && c < HTTP_DEL;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1);
 * returns the length of the scheme before "://", or 0. */
static size_t scheme_len(const char *url)
{
    size_t i = 0;

    if (!is_alpha(url[0]))
        return 0;
    while (is_alpha(url[i]) || is_digit(url[i]) || url[i] == '+' ||
           url[i] == '-' || url[i] == '.')
        i++;
    return strncmp(url + i, HTTP_SCHEME_SEP, sizeof(HTTP_SCHEME_SEP) - 1) == 0
               ? i : 0;
}

int http_url_parse(const char *url, struct http_url *u)
{
    size_t sl = scheme_len(url);

    if (!sl)
        return -EINVAL;
    if (sl != sizeof(HTTP_SCHEME) - 1)
        return -EPROTONOSUPPORT;
    for (size_t i = 0; i < sl; i++)
        if (to_lower(url[i]) != HTTP_SCHEME[i])
            return -EPROTONOSUPPORT;

    const char *s = url + sl + sizeof(HTTP_SCHEME_SEP) - 1;
    if (*s == '[')
        return -EAFNOSUPPORT;           /* IP-literal (RFC 3986 §3.2.2) */
    size_t h = 0;
    while (is_host_char(s[h]))
        h++;
    if (h == 0 || h > HTTP_HOST_MAX)
        return -EINVAL;
    memcpy(u->host, s, h);
    u->host[h] = 0;
    s += h;

    u->port = HTTP_DEFAULT_PORT;
    if (*s == ':') {
        /* An empty port means the default (RFC 3986 §3.2.3). */
        unsigned port = 0, digits = 0;
        for (s++; is_digit(*s); s++, digits++) {
            port = port * DECIMAL + (unsigned)(*s - '0');
            if (port > HTTP_PORT_MAX)
                return -EINVAL;
        }
        if (digits) {
            if (port == 0)
                return -EINVAL;
            u->port = (uint16_t)port;
        }
    }
    /* The authority ends at '/', '?', '#' or the end; anything else here
     * (userinfo '@', stray characters) is refused. */
    if (*s && *s != '/' && *s != '?' && *s != '#')
        return -EINVAL;
    u->path = s;
    size_t n = 0;
    while (s[n] && s[n] != '#') {
        if (!is_path_char(s[n]))
            return -EINVAL;
        n++;
    }
    u->path_len = n;
    return 0;
}

struct http_buf {
    char *p;
    size_t size, len;
    bool overflow;
};

static void put(struct http_buf *b, const char *s, size_t n)
{
    if (n > b->size - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void put_str(struct http_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_uint(struct http_buf *b, unsigned v)
{
    char tmp[UINT_DIGITS_MAX];
    size_t n = sizeof(tmp);

    do {
        tmp[--n] = (char)('0' + v % DECIMAL);
        v /= DECIMAL;
    } while (v);
    put(b, tmp + n, sizeof(tmp) - n);
}

/* GET origin-form HTTP/1.1 with Host (RFC 9110 §7.2: the port only when
 * it is not the default), Connection: close (RFC 9112 §9.6: one request
 * per connection, so the end of the body can also be the close). */
int http_build_request(char *buf, size_t size, const struct http_url *u)
{
    struct http_buf b = { buf, size, 0, false };

    put_str(&b, "GET ");
    /* An empty path is sent as "/" (RFC 9112 §3.2.1), before any query. */
    if (u->path_len == 0 || u->path[0] != '/')
        put_str(&b, "/");
    put(&b, u->path, u->path_len);
    put_str(&b, " HTTP/1.1\r\nHost: ");
    put_str(&b, u->host);
    if (u->port != HTTP_DEFAULT_PORT) {
        put_str(&b, ":");
        put_uint(&b, u->port);
    }
    put_str(&b, "\r\nConnection: close\r\nUser-Agent: " HTTP_USER_AGENT
                "\r\n\r\n");
    return b.overflow ? -ENAMETOOLONG : (int)b.len;
}
