/* The initramfs cpio newc parser (fs/cpio.c) on the host, under
 * ASan/UBSan: field decoding, the trailer, padding between concatenated
 * archives, path cleaning ("..", "./", "//"), every kind of malformed
 * header (magic, hex, name size, missing NUL, data past the end, 32-bit
 * sizes that would wrap), every truncation of a valid archive, and a
 * fixed-seed mutation run that checks the walk always makes progress.
 *
 * Built with -DCPIO_FUZZ it is instead a libFuzzer target
 * (`make -C tests/host fuzz-cpio`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpio.h"

struct arc {
    uint8_t buf[16384];
    size_t len;
};

/* Walks an archive like the unpacker; returns entries, or a negative
 * status.  Fails the test if an offset ever goes backwards or stalls. */
static int walk(const uint8_t *buf, size_t len, int *progress_ok)
{
    size_t off = 0;
    int n = 0;
    *progress_ok = 1;
    while (off < len) {
        struct cpio_entry e;
        int s = cpio_parse(buf, len, off, &e);
        if (s < 0)
            return s;
        if (e.next <= off || e.next > len) {
            *progress_ok = 0;
            return -100;
        }
        if (s == CPIO_OK) {
            /* Name and data lie inside the buffer. */
            if ((const uint8_t *)e.name < buf ||
                (const uint8_t *)e.name + e.namesize > buf + len ||
                e.data + e.filesize > buf + len) {
                *progress_ok = 0;
                return -101;
            }
            n++;
        }
        off = e.next;
    }
    return n;
}

#ifndef CPIO_FUZZ
#include "minitest.h"

static void arc_add(struct arc *a, const char *name, uint32_t mode,
                    uint32_t ino, uint32_t nlink, const char *data,
                    uint32_t rmaj, uint32_t rmin)
{
    size_t nlen = strlen(name) + 1, dlen = data ? strlen(data) : 0;
    char hdr[CPIO_HDR_LEN + 1];
    snprintf(hdr, sizeof(hdr),
             "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08zx%08x",
             ino, mode, 1000, 100, nlink, 1700000000, (unsigned)dlen, 3, 4,
             rmaj, rmin, nlen, 0);
    memcpy(a->buf + a->len, hdr, CPIO_HDR_LEN);
    a->len += CPIO_HDR_LEN;
    memcpy(a->buf + a->len, name, nlen);
    a->len = (a->len + nlen + 3) & ~(size_t)3;
    if (dlen)
        memcpy(a->buf + a->len, data, dlen);
    a->len = (a->len + dlen + 3) & ~(size_t)3;
}


static void test_fields(void)
{
    struct arc a = { .len = 0 };
    arc_add(&a, "bin", 040755, 2, 2, NULL, 0, 0);
    arc_add(&a, "bin/sh", 0100755, 3, 1, "#!/bin/true\n", 0, 0);
    arc_add(&a, "dev/console", 020600, 4, 1, NULL, 5, 1);
    arc_add(&a, CPIO_TRAILER, 0, 0, 1, NULL, 0, 0);
    struct cpio_entry e;
    CHECK_EQ(cpio_parse(a.buf, a.len, 0, &e), CPIO_OK);
    CHECK_STR(e.name, "bin");
    CHECK_EQ(e.mode, 040755);
    CHECK_EQ(e.ino, 2);
    CHECK_EQ(e.uid, 1000);
    CHECK_EQ(e.gid, 100);
    CHECK_EQ(e.mtime, 1700000000);
    CHECK_EQ(e.devmajor, 3);
    CHECK_EQ(e.devminor, 4);
    CHECK_EQ(e.next % 4, 0);
    size_t off = e.next;
    CHECK_EQ(cpio_parse(a.buf, a.len, off, &e), CPIO_OK);
    CHECK_STR(e.name, "bin/sh");
    CHECK_EQ(e.filesize, 12);
    CHECK(memcmp(e.data, "#!/bin/true\n", 12) == 0);
    CHECK_EQ(((size_t)(e.data - a.buf)) % 4, 0);
    off = e.next;
    CHECK_EQ(cpio_parse(a.buf, a.len, off, &e), CPIO_OK);
    CHECK_EQ(e.rdevmajor, 5);
    CHECK_EQ(e.rdevminor, 1);
    off = e.next;
    CHECK_EQ(cpio_parse(a.buf, a.len, off, &e), CPIO_END);
    CHECK_EQ(e.next, a.len);

    /* 070702 (with checksum) is accepted too; upper-case hex as well. */
    memcpy(a.buf, "070702", 6);
    memcpy(a.buf + 6 + 8, "000041ED", 8);
    CHECK_EQ(cpio_parse(a.buf, a.len, 0, &e), CPIO_OK);
    CHECK_EQ(e.mode, 040755);
}

static void test_concatenated(void)
{
    struct arc a = { .len = 0 };
    arc_add(&a, "a", 0100644, 1, 1, "1", 0, 0);
    arc_add(&a, CPIO_TRAILER, 0, 0, 1, NULL, 0, 0);
    a.len += 512;                       /* zero padding, as from a loader */
    arc_add(&a, "b", 0100644, 1, 1, "2", 0, 0);
    arc_add(&a, CPIO_TRAILER, 0, 0, 1, NULL, 0, 0);
    a.len += 3;
    int ok;
    CHECK_EQ(walk(a.buf, a.len, &ok), 2);
    CHECK(ok);
    struct cpio_entry e;
    CHECK_EQ(cpio_parse(a.buf, 64, 64, &e), CPIO_END);   /* nothing left */
}

static void test_malformed(void)
{
    struct arc a = { .len = 0 };
    struct cpio_entry e;
    arc_add(&a, "file", 0100644, 1, 1, "data", 0, 0);
    struct arc b = a;
    b.buf[0] = '1';
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_MAGIC);
    b = a;
    b.buf[6 + 8 + 3] = 'g';
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_HEX);
    b = a;
    memcpy(b.buf + 6 + 11 * 8, "00000000", 8);      /* namesize 0 */
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_NAME);
    memcpy(b.buf + 6 + 11 * 8, "ffffffff", 8);      /* namesize huge */
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_NAME);
    memcpy(b.buf + 6 + 11 * 8, "00000003", 8);      /* "fi" + 'l', no NUL */
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_NAME);
    memcpy(b.buf + 6 + 11 * 8, "00001000", 8);      /* name past the end */
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_TRUNC);
    b = a;
    b.buf[CPIO_HDR_LEN + 2] = '\0';                 /* NUL inside the name */
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_NAME);
    b = a;
    memcpy(b.buf + 6 + 6 * 8, "ffffffff", 8);       /* filesize wraps */
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_TRUNC);
    memcpy(b.buf + 6 + 6 * 8, "fffffffc", 8);
    CHECK_EQ(cpio_parse(b.buf, b.len, 0, &e), CPIO_ERR_TRUNC);

    /* Every truncation of a valid two-entry archive fails cleanly. */
    arc_add(&a, "x", 0100644, 2, 1, "0123456789", 0, 0);
    arc_add(&a, CPIO_TRAILER, 0, 0, 1, NULL, 0, 0);
    int bad = 0;
    for (size_t len = 0; len < a.len; len++) {
        int ok;
        uint8_t *copy = malloc(len + 1);    /* exact size: ASan bounds */
        memcpy(copy, a.buf, len);
        int r = walk(copy, len, &ok);
        if (!ok || r > 2)
            bad++;
        free(copy);
    }
    CHECK_EQ(bad, 0);
}

static void test_paths(void)
{
    char out[64];
    CHECK_EQ(cpio_clean_path("./a//b/./c/", out, sizeof(out)), CPIO_OK);
    CHECK_STR(out, "a/b/c");
    CHECK_EQ(cpio_clean_path("/etc/passwd", out, sizeof(out)), CPIO_OK);
    CHECK_STR(out, "etc/passwd");
    CHECK_EQ(cpio_clean_path(".", out, sizeof(out)), CPIO_OK);
    CHECK_STR(out, "");
    CHECK_EQ(cpio_clean_path("...", out, sizeof(out)), CPIO_OK);
    CHECK_STR(out, "...");
    CHECK_EQ(cpio_clean_path("..", out, sizeof(out)), CPIO_ERR_PATH);
    CHECK_EQ(cpio_clean_path("a/../../b", out, sizeof(out)), CPIO_ERR_PATH);
    CHECK_EQ(cpio_clean_path("a/..", out, sizeof(out)), CPIO_ERR_PATH);
    CHECK_EQ(cpio_clean_path("abcdefgh", out, 8), CPIO_ERR_PATH);
    CHECK_EQ(cpio_clean_path("abcdefg", out, 8), CPIO_OK);
}

/* Fixed-seed mutations of a valid archive: never out of bounds (ASan),
 * always progress. */
static void test_mutations(void)
{
    struct arc a = { .len = 0 };
    arc_add(&a, "dir", 040755, 1, 2, NULL, 0, 0);
    arc_add(&a, "dir/f", 0100644, 2, 2, "hello", 0, 0);
    arc_add(&a, "dir/g", 0100644, 2, 2, NULL, 0, 0);
    arc_add(&a, "link", 0120777, 3, 1, "dir/f", 0, 0);
    arc_add(&a, CPIO_TRAILER, 0, 0, 1, NULL, 0, 0);
    uint64_t seed = 12345;
    int stalls = 0;
    static const char alphabet[] = "0123456789abcdefF\0/.07";
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *m = malloc(a.len);
        memcpy(m, a.buf, a.len);
        int edits = 1 + iter % 4;
        for (int k = 0; k < edits; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (seed >> 33) % a.len;
            m[at] = (uint8_t)alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
        }
        size_t len = a.len - (iter % 7 == 0 ? (seed >> 40) % a.len : 0);
        int ok;
        walk(m, len, &ok);
        if (!ok)
            stalls++;
        free(m);
    }
    CHECK_EQ(stalls, 0);
}

int main(void)
{
    MT_RUN(test_fields);
    MT_RUN(test_concatenated);
    MT_RUN(test_malformed);
    MT_RUN(test_paths);
    MT_RUN(test_mutations);
    return mt_finish();
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int ok;
    walk(data, size, &ok);
    if (!ok)
        abort();
    struct cpio_entry e;
    char path[CPIO_NAME_MAX];
    if (cpio_parse(data, size, 0, &e) == CPIO_OK)
        cpio_clean_path(e.name, path, sizeof(path));
    return 0;
}
#endif
