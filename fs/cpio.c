/* cpio newc parsing; see cpio.h.  Every length from the archive is checked
 * against the buffer before it is used, in 64-bit arithmetic so that no
 * sum can wrap. */
#include "cpio.h"

static int cpio_hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return CPIO_ERR_HEX;
        v = (v << 4) | d;
    }
    *out = v;
    return 0;
}

static uint64_t cpio_align4(uint64_t x)
{
    return (x + 3) & ~(uint64_t)3;
}

int cpio_parse(const uint8_t *buf, size_t len, size_t off,
               struct cpio_entry *e)
{
    /* Padding: Linux's unpacker skips zero bytes between archives. */
    while (off < len && buf[off] == 0)
        off++;
    if (off >= len) {
        e->next = len;
        return CPIO_END;
    }
    if (len - off < CPIO_HDR_LEN)
        return CPIO_ERR_TRUNC;
    const uint8_t *h = buf + off;
    static const char magic1[] = "070701", magic2[] = "070702";
    bool m1 = true, m2 = true;
    for (int i = 0; i < 6; i++) {
        m1 = m1 && h[i] == (uint8_t)magic1[i];
        m2 = m2 && h[i] == (uint8_t)magic2[i];
    }
    if (!m1 && !m2)
        return CPIO_ERR_MAGIC;
    uint32_t f[13];
    for (int i = 0; i < 13; i++)
        if (cpio_hex8(h + 6 + 8 * i, &f[i]))
            return CPIO_ERR_HEX;
    e->ino = f[0];
    e->mode = f[1];
    e->uid = f[2];
    e->gid = f[3];
    e->nlink = f[4];
    e->mtime = f[5];
    e->filesize = f[6];
    e->devmajor = f[7];
    e->devminor = f[8];
    e->rdevmajor = f[9];
    e->rdevminor = f[10];
    e->namesize = f[11];
    /* f[12] is the checksum of 070702 archives: not verified. */

    if (e->namesize == 0 || e->namesize > CPIO_NAME_MAX)
        return CPIO_ERR_NAME;
    uint64_t name_at = (uint64_t)off + CPIO_HDR_LEN;
    if (name_at + e->namesize > len)
        return CPIO_ERR_TRUNC;
    const char *name = (const char *)buf + name_at;
    for (uint32_t i = 0; i + 1 < e->namesize; i++)
        if (name[i] == '\0')
            return CPIO_ERR_NAME;
    if (name[e->namesize - 1] != '\0')
        return CPIO_ERR_NAME;
    uint64_t data_at = cpio_align4(name_at + e->namesize);
    if (data_at > len || e->filesize > len - data_at)
        return CPIO_ERR_TRUNC;
    e->name = name;
    e->data = buf + data_at;
    uint64_t next = cpio_align4(data_at + e->filesize);
    e->next = next > len ? len : (size_t)next;

    static const char trailer[] = CPIO_TRAILER;
    bool is_trailer = e->namesize == sizeof(trailer);
    for (uint32_t i = 0; is_trailer && i < e->namesize; i++)
        is_trailer = name[i] == trailer[i];
    return is_trailer ? CPIO_END : CPIO_OK;
}

int cpio_clean_path(const char *name, char *out, size_t cap)
{
    size_t o = 0;
    const char *p = name;
    if (cap == 0)
        return CPIO_ERR_PATH;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - c);
        if (n == 1 && c[0] == '.')
            continue;
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return CPIO_ERR_PATH;
        if (o + (o ? 1 : 0) + n + 1 > cap)
            return CPIO_ERR_PATH;
        if (o)
            out[o++] = '/';
        for (size_t i = 0; i < n; i++)
            out[o++] = c[i];
    }
    out[o] = '\0';
    return CPIO_OK;
}

const char *cpio_strerror(int status)
{
    switch (status) {
    case CPIO_OK:
        return "ok";
    case CPIO_END:
        return "end of archive";
    case CPIO_ERR_MAGIC:
        return "bad magic (not a newc archive)";
    case CPIO_ERR_TRUNC:
        return "truncated entry";
    case CPIO_ERR_HEX:
        return "bad hex field in header";
    case CPIO_ERR_NAME:
        return "bad name size";
    case CPIO_ERR_PATH:
        return "path escapes the root or is too long";
    }
    return "unknown error";
}
