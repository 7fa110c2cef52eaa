/* vsnprintf for the kernel: %d %i %u %x %X %o %p %s %c %%, with flags
 * '-', '0', '#', width, precision for strings, and length modifiers l, ll, z, h,
 * hh.  Output is always NUL-terminated; the return value is the length the
 * full output would have had (C11 7.21.6.5). */
#include "printk.h"
#include "string.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        out_char(o, c);
}

static void out_number(struct out *o, uint64_t v, bool neg, unsigned base,
                       bool upper, int width, bool left, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int len = n + (neg ? 1 : 0);
    if (!left && pad == ' ')
        out_pad(o, ' ', width - len);
    if (neg)
        out_char(o, '-');
    if (!left && pad == '0')
        out_pad(o, '0', width - len);
    while (n)
        out_char(o, tmp[--n]);
    if (left)
        out_pad(o, ' ', width - len);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            out_char(&o, *fmt);
            continue;
        }
        fmt++;
        bool left = false, alt = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '#')
                alt = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9')
                prec = prec * 10 + (*fmt++ - '0');
        }
        int lng = 0;    /* 0 int, 1 long, 2 long long, -1 short, -2 char */
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z')
                lng++;
            else if (*fmt == 'h')
                lng--;
            else
                break;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng > 0 ? va_arg(ap, int64_t) : va_arg(ap, int);
            if (lng == -1)
                v = (short)v;
            else if (lng <= -2)
                v = (signed char)v;
            bool neg = v < 0;
            out_number(&o, neg ? -(uint64_t)v : (uint64_t)v, neg, 10, false,
                       width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = lng > 0 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            if (lng == -1)
                v = (unsigned short)v;
            else if (lng <= -2)
                v = (unsigned char)v;
            unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
            if (alt && base == 16) {
                out_char(&o, '0');
                out_char(&o, 'x');
            }
            out_number(&o, v, false, base, *fmt == 'X', width, left, pad);
            break;
        }
        case 'p':
            out_char(&o, '0');
            out_char(&o, 'x');
            out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false,
                       16, false, '0');
            break;
        case 'c':
            out_char(&o, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = (int)strnlen(s, prec >= 0 ? (size_t)prec : (size_t)-1);
            if (!left)
                out_pad(&o, ' ', width - len);
            for (int i = 0; i < len; i++)
                out_char(&o, s[i]);
            if (left)
                out_pad(&o, ' ', width - len);
            break;
        }
        case '%':
            out_char(&o, '%');
            break;
        case 0:
            fmt--;
            break;
        default:
            out_char(&o, '%');
            out_char(&o, *fmt);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = 0;
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
