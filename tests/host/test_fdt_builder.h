/* Test helpers for FDT blobs: a tiny blob builder (well-formed or, through
 * the raw calls, deliberately broken), file loading, and copies of exactly
 * the right size so AddressSanitizer flags any read past a blob.
 * Shared by test_fdt.c and test_dt.c. */
#ifndef TEST_FDT_BUILDER_H
#define TEST_FDT_BUILDER_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FDTB_BEGIN_NODE 1
#define FDTB_END_NODE   2
#define FDTB_PROP       3
#define FDTB_NOP        4
#define FDTB_END        9

struct fdtb {
    uint8_t st[65536];
    size_t sl;
    char str[4096];
    size_t strl;
    uint64_t rsv[8][2];
    int nrsv;
    uint32_t version, last_comp;
};

static inline void fdtb_put32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static inline uint32_t fdtb_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static inline void fdtb_init(struct fdtb *b)
{
    memset(b, 0, sizeof(*b));
    b->version = 17;
    b->last_comp = 16;
}

/* Raw structure-block words and bytes (padded to 4). */
static inline void fdtb_u32(struct fdtb *b, uint32_t v)
{
    fdtb_put32(b->st + b->sl, v);
    b->sl += 4;
}

static inline void fdtb_bytes(struct fdtb *b, const void *p, size_t n)
{
    memcpy(b->st + b->sl, p, n);
    b->sl += n;
    while (b->sl % 4)
        b->st[b->sl++] = 0;
}

static inline uint32_t fdtb_string(struct fdtb *b, const char *s)
{
    for (size_t i = 0; i < b->strl; i += strlen(b->str + i) + 1)
        if (strcmp(b->str + i, s) == 0)
            return (uint32_t)i;
    uint32_t off = (uint32_t)b->strl;
    memcpy(b->str + b->strl, s, strlen(s) + 1);
    b->strl += strlen(s) + 1;
    return off;
}

static inline void fdtb_begin(struct fdtb *b, const char *name)
{
    fdtb_u32(b, FDTB_BEGIN_NODE);
    fdtb_bytes(b, name, strlen(name) + 1);
}

static inline void fdtb_end(struct fdtb *b)
{
    fdtb_u32(b, FDTB_END_NODE);
}

static inline void fdtb_prop(struct fdtb *b, const char *name,
                             const void *val, size_t len)
{
    fdtb_u32(b, FDTB_PROP);
    fdtb_u32(b, (uint32_t)len);
    fdtb_u32(b, fdtb_string(b, name));
    fdtb_bytes(b, val, len);
}

static inline void fdtb_prop_str(struct fdtb *b, const char *name,
                                 const char *s)
{
    fdtb_prop(b, name, s, strlen(s) + 1);
}

static inline void fdtb_prop_cells(struct fdtb *b, const char *name, int n,
                                   ...)
{
    uint8_t buf[256];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        fdtb_put32(buf + 4 * i, va_arg(ap, uint32_t));
    va_end(ap);
    fdtb_prop(b, name, buf, 4 * (size_t)n);
}

static inline void fdtb_rsv(struct fdtb *b, uint64_t addr, uint64_t size)
{
    b->rsv[b->nrsv][0] = addr;
    b->rsv[b->nrsv][1] = size;
    b->nrsv++;
}

/* Lays out header, reserve map, structure block (FDT_END appended if
 * add_end) and strings into a malloc'd buffer of exactly totalsize bytes. */
static inline uint8_t *fdtb_finish(struct fdtb *b, int add_end, size_t *size)
{
    if (add_end)
        fdtb_u32(b, FDTB_END);
    uint32_t off_rsv = 40;
    uint32_t off_st = off_rsv + 16 * (uint32_t)(b->nrsv + 1);
    uint32_t off_str = off_st + (uint32_t)b->sl;
    uint32_t total = off_str + (uint32_t)b->strl;
    uint8_t *p = calloc(1, total);

    fdtb_put32(p + 0, 0xd00dfeed);
    fdtb_put32(p + 4, total);
    fdtb_put32(p + 8, off_st);
    fdtb_put32(p + 12, off_str);
    fdtb_put32(p + 16, off_rsv);
    fdtb_put32(p + 20, b->version);
    fdtb_put32(p + 24, b->last_comp);
    fdtb_put32(p + 28, 0);
    fdtb_put32(p + 32, (uint32_t)b->strl);
    fdtb_put32(p + 36, (uint32_t)b->sl);
    for (int i = 0; i < b->nrsv; i++) {
        fdtb_put32(p + off_rsv + 16 * i, b->rsv[i][0] >> 32);
        fdtb_put32(p + off_rsv + 16 * i + 4, (uint32_t)b->rsv[i][0]);
        fdtb_put32(p + off_rsv + 16 * i + 8, b->rsv[i][1] >> 32);
        fdtb_put32(p + off_rsv + 16 * i + 12, (uint32_t)b->rsv[i][1]);
    }
    memcpy(p + off_st, b->st, b->sl);
    memcpy(p + off_str, b->str, b->strl);
    *size = total;
    return p;
}

/* Whole file into a malloc'd buffer of exactly its size; exits on error,
 * since every later check would fail anyway. */
static inline uint8_t *fdtb_load(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        perror(path);
        exit(2);
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (n <= 0 || fread(p, 1, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(2);
    }
    fclose(fp);
    *size = (size_t)n;
    return p;
}

/* A copy of the first n bytes of p in a buffer of exactly n bytes. */
static inline uint8_t *fdtb_dup(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    memcpy(q, p, n);
    return q;
}

/* The same tree without the padding QEMU leaves after it (its blob is
 * 1 MiB): header, reserve map, structure, strings back to back.  Makes
 * the mutation sweeps fast. */
static inline uint8_t *fdtb_compact(const uint8_t *p, size_t *size)
{
    uint32_t off_st = fdtb_get32(p + 8), off_str = fdtb_get32(p + 12);
    uint32_t off_rsv = fdtb_get32(p + 16);
    uint32_t size_str = fdtb_get32(p + 32), size_st = fdtb_get32(p + 36);
    uint32_t rsv_len = 16;
    while (fdtb_get32(p + off_rsv + rsv_len - 16) ||
           fdtb_get32(p + off_rsv + rsv_len - 12) ||
           fdtb_get32(p + off_rsv + rsv_len - 8) ||
           fdtb_get32(p + off_rsv + rsv_len - 4))
        rsv_len += 16;

    uint32_t n_rsv = 40, n_st = n_rsv + rsv_len, n_str = n_st + size_st;
    uint32_t total = n_str + size_str;
    uint8_t *q = malloc(total);
    memcpy(q, p, 40);
    memcpy(q + n_rsv, p + off_rsv, rsv_len);
    memcpy(q + n_st, p + off_st, size_st);
    memcpy(q + n_str, p + off_str, size_str);
    fdtb_put32(q + 4, total);
    fdtb_put32(q + 8, n_st);
    fdtb_put32(q + 12, n_str);
    fdtb_put32(q + 16, n_rsv);
    *size = total;
    return q;
}

#endif
