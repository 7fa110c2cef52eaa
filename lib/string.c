/* Freestanding string and memory functions.  clang may also emit calls to
 * memcpy/memset for struct copies, so these must exist even with
 * -fno-builtin. */
#include "string.h"
#include <stdint.h>

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t pattern = (unsigned char)c * 0x0101010101010101ULL;

    while (n && ((uintptr_t)d & 7)) {
        *d++ = (unsigned char)c;
        n--;
    }
    for (; n >= 8; n -= 8, d += 8)
        *(uint64_t *)d = pattern;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

/* Unaligned 64-bit access is allowed on Normal memory with SCTLR_EL1.A
 * clear (ARM ARM B2.5.2), and all C code runs with the MMU on; packet
 * payloads are rarely 8-byte aligned, so copy in words regardless.
 * (Device memory must never be passed here: it faults on unaligned
 * access.) */
typedef uint64_t __attribute__((aligned(1), may_alias)) u64_unaligned;

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    for (; n >= 32; n -= 32, d += 32, s += 32) {
        uint64_t a = ((const u64_unaligned *)s)[0];
        uint64_t b = ((const u64_unaligned *)s)[1];
        uint64_t c = ((const u64_unaligned *)s)[2];
        uint64_t e = ((const u64_unaligned *)s)[3];
        ((u64_unaligned *)d)[0] = a;
        ((u64_unaligned *)d)[1] = b;
        ((u64_unaligned *)d)[2] = c;
        ((u64_unaligned *)d)[3] = e;
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(u64_unaligned *)d = *(const u64_unaligned *)s;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (; *s; s++)
        if (*s == (char)c)
            return (char *)s;
    return c == 0 ? (char *)s : NULL;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}
