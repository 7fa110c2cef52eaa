/* Flattened device tree reader (Devicetree Specification v0.4, chapter 5).
 *
 * The blob comes from outside the kernel (the boot loader, or QEMU), so
 * nothing in it is trusted: every read goes through fdt_token(), which checks
 * the token and everything it points at (node name, property value, property
 * name in the strings block) against the block bounds before returning it.
 * fdt_open() additionally walks the structure block once to check its shape
 * (balanced nodes, properties before subnodes, one root, FDT_END last), so the
 * navigation functions can assume a well-formed tree; they still never read
 * outside the blob even when given a bogus node offset.
 *
 * Nodes are offsets into the structure block.  Nothing is cached: each call
 * walks tokens from a known point, which is fast enough for boot-time use and
 * needs no memory. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "fdt.h"

/* Structure block tokens (spec 5.4.1). */
#define FDT_BEGIN_NODE  0x1
#define FDT_END_NODE    0x2
#define FDT_PROP        0x3
#define FDT_NOP         0x4
#define FDT_END         0x9

/* Header layout (spec 5.2): ten big-endian u32 fields.  Version 16 lacks the
 * last one (size_dt_struct). */
#define FDT_HDR_MAGIC           0
#define FDT_HDR_TOTALSIZE       4
#define FDT_HDR_OFF_STRUCT      8
#define FDT_HDR_OFF_STRINGS     12
#define FDT_HDR_OFF_RSVMAP      16
#define FDT_HDR_VERSION         20
#define FDT_HDR_LAST_COMP       24
#define FDT_HDR_SIZE_STRINGS    32
#define FDT_HDR_SIZE_STRUCT     36
#define FDT_HDR_V16_SIZE        36
#define FDT_HDR_V17_SIZE        40

/* The highest version whose format we understand; a blob whose
 * last_comp_version is newer is not backwards compatible with it. */
#define FDT_LAST_KNOWN_VERSION  17
#define FDT_FIRST_KNOWN_VERSION 16

/* Maximum node depth, root = 1.  Bounds fdt_parent()'s stack and rejects
 * pathological blobs; real trees are a handful of levels deep. */
#define FDT_MAX_DEPTH   32

/* Offsets are returned as int, so the blob must fit in one, with room for
 * the 4-byte padding of the last token. */
#define FDT_MAX_SIZE    0x7ffffff0u

/* One decoded token of the structure block. */
struct fdt_tok {
    uint32_t tag;
    int next;               /* offset of the following token */
    const char *name;       /* BEGIN_NODE: unit name; PROP: property name */
    const uint8_t *val;     /* PROP: value */
    int len;                /* PROP: value length */
};

uint32_t fdt_be32(const void *p)
{
    /* Byte loads: the blob need not be aligned in memory, and the format is
     * big-endian regardless of the CPU (spec 5.1). */
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
           (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static uint64_t fdt_be64(const void *p)
{
    const uint8_t *b = p;
    return (uint64_t)fdt_be32(b) << 32 | fdt_be32(b + 4);
}

/* Values wider than 64 bits (ncells > 2, e.g. PCI addresses) keep their low
 * 64 bits: cells are most-significant first (spec 2.2.4.1), so those are the
 * last two. */
uint64_t fdt_read_cells(const void *p, int ncells)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    for (int i = 0; i < ncells; i++)
        v = v << 32 | fdt_be32(b + 4 * i);
    return v;
}

const char *fdt_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case 0:                     return "no error";
    case FDT_ERR_BADMAGIC:      return "bad magic (not a device tree blob)";
    case FDT_ERR_TRUNCATED:     return "blob truncated or block outside it";
    case FDT_ERR_BADVERSION:    return "unsupported device tree version";
    case FDT_ERR_BADSTRUCT:     return "malformed structure block";
    case FDT_ERR_NOTFOUND:      return "not found";
    default:                    return "unknown device tree error";
    }
}

/* ---- Header (spec 5.2) -------------------------------------------------- */

static uint32_t fdt_hdr(const uint8_t *blob, int field)
{
    return fdt_be32(blob + field);
}

/* True if [off, off + size) lies inside [start, limit).  Written without
 * off + size so a huge size cannot wrap around. */
static bool fdt_range_ok(uint32_t off, uint32_t size, uint32_t start,
                         uint32_t limit)
{
    return off >= start && off <= limit && size <= limit - off;
}

/* Memory reservation block (spec 5.3): (address, size) u64 pairs ending with
 * a pair of zeros.  Returns the entry count, or an error if the terminator is
 * not inside the blob. */
static int fdt_rsv_scan(const struct fdt *f)
{
    for (uint32_t off = f->off_rsvmap, n = 0;; off += 16, n++) {
        if (!fdt_range_ok(off, 16, 0, f->totalsize))
            return -FDT_ERR_TRUNCATED;
        if (fdt_be64(f->blob + off) == 0 && fdt_be64(f->blob + off + 8) == 0)
            return (int)n;
    }
}

/* Checks the header fields and fills in f; the structure block itself is
 * checked afterwards by fdt_check_struct(). */
static int fdt_check_header(struct fdt *f, const uint8_t *blob, size_t avail)
{
    if (blob == NULL || avail < 4)
        return -FDT_ERR_TRUNCATED;
    if (fdt_hdr(blob, FDT_HDR_MAGIC) != FDT_MAGIC)
        return -FDT_ERR_BADMAGIC;
    if (avail < FDT_HDR_VERSION + 4)
        return -FDT_ERR_TRUNCATED;

    uint32_t version = fdt_hdr(blob, FDT_HDR_VERSION);
    uint32_t hdr_size = version >= 17 ? FDT_HDR_V17_SIZE : FDT_HDR_V16_SIZE;
    if (avail < hdr_size)
        return -FDT_ERR_TRUNCATED;
    if (version < FDT_FIRST_KNOWN_VERSION ||
        fdt_hdr(blob, FDT_HDR_LAST_COMP) > FDT_LAST_KNOWN_VERSION)
        return -FDT_ERR_BADVERSION;

    uint32_t total = fdt_hdr(blob, FDT_HDR_TOTALSIZE);
    if (total > avail || total < hdr_size)
        return -FDT_ERR_TRUNCATED;
    if (total > FDT_MAX_SIZE)
        return -FDT_ERR_TRUNCATED;

    f->blob = blob;
    f->totalsize = total;
    f->off_struct = fdt_hdr(blob, FDT_HDR_OFF_STRUCT);
    f->off_strings = fdt_hdr(blob, FDT_HDR_OFF_STRINGS);
    f->size_strings = fdt_hdr(blob, FDT_HDR_SIZE_STRINGS);
    f->off_rsvmap = fdt_hdr(blob, FDT_HDR_OFF_RSVMAP);
    /* Version 16 has no size_dt_struct: the block may run to the end of the
     * blob, and the walk stops at FDT_END anyway. */
    if (version >= 17)
        f->size_struct = fdt_hdr(blob, FDT_HDR_SIZE_STRUCT);
    else if (f->off_struct <= total)
        f->size_struct = total - f->off_struct;

    /* Every block must sit after the header and inside the blob. */
    if (!fdt_range_ok(f->off_struct, f->size_struct, hdr_size, total) ||
        !fdt_range_ok(f->off_strings, f->size_strings, hdr_size, total) ||
        !fdt_range_ok(f->off_rsvmap, 0, hdr_size, total))
        return -FDT_ERR_TRUNCATED;
    /* Tokens are 32-bit aligned (spec 5.4.1); offsets relative to the block
     * keep that only if the block itself is aligned. */
    if (f->off_struct % 4 != 0)
        return -FDT_ERR_BADSTRUCT;

    int n = fdt_rsv_scan(f);
    return n < 0 ? n : 0;
}

/* ---- Structure block tokens (spec 5.4) ---------------------------------- */

/* A property name: an offset into the strings block, whose string must end
 * inside the block (spec 5.5). */
static const char *fdt_string(const struct fdt *f, uint32_t nameoff)
{
    if (nameoff >= f->size_strings)
        return NULL;
    const char *s = (const char *)f->blob + f->off_strings + nameoff;
    size_t room = f->size_strings - nameoff;
    return strnlen(s, room) < room ? s : NULL;
}

static uint32_t fdt_align4(uint32_t x)
{
    return (x + 3) & ~3u;
}

/* Decodes the token at struct offset `off` into t, checking that the token
 * and all it refers to are inside the blocks.  This is the only place that
 * reads the structure block, so bounds are checked once, here.
 * Returns 0 or -FDT_ERR_BADSTRUCT. */
static int fdt_token(const struct fdt *f, int off, struct fdt_tok *t)
{
    uint32_t size = f->size_struct;
    if (off < 0 || off % 4 != 0 || (uint32_t)off > size || size - off < 4)
        return -FDT_ERR_BADSTRUCT;

    const uint8_t *base = f->blob + f->off_struct;
    uint32_t pos = (uint32_t)off + 4;
    t->tag = fdt_be32(base + off);
    t->name = NULL;
    t->val = NULL;
    t->len = 0;

    switch (t->tag) {
    case FDT_BEGIN_NODE: {
        /* Node name, NUL-terminated, padded to 4 bytes (spec 5.4.1). */
        const char *name = (const char *)base + pos;
        size_t len = strnlen(name, size - pos);
        if (len == size - pos)
            return -FDT_ERR_BADSTRUCT;
        t->name = name;
        pos = fdt_align4(pos + (uint32_t)len + 1);
        break;
    }
    case FDT_PROP: {
        /* struct { u32 len; u32 nameoff; } then len bytes, padded. */
        if (size - pos < 8)
            return -FDT_ERR_BADSTRUCT;
        uint32_t len = fdt_be32(base + pos);
        uint32_t nameoff = fdt_be32(base + pos + 4);
        pos += 8;
        if (len > size - pos)
            return -FDT_ERR_BADSTRUCT;
        t->name = fdt_string(f, nameoff);
        if (t->name == NULL)
            return -FDT_ERR_BADSTRUCT;
        t->val = base + pos;
        t->len = (int)len;
        pos = fdt_align4(pos + len);
        break;
    }
    case FDT_END_NODE:
    case FDT_NOP:
    case FDT_END:
        break;
    default:
        return -FDT_ERR_BADSTRUCT;
    }
    /* Padding may run past the block only for the very last token; the
     * next read then fails the size check above.  pos <= size + 3 and
     * size < 2^31, so it still fits in an int. */
    t->next = (int)pos;
    return 0;
}

/* Checks the shape of the structure block (spec 5.4.2): an optional run of
 * NOPs, one root node holding properties before subnodes, nesting within
 * FDT_MAX_DEPTH, then FDT_END. */
static int fdt_check_struct(const struct fdt *f)
{
    int depth = 0;
    bool seen_root = false;
    bool props_ok = false;   /* no subnode seen yet in the current node */
    struct fdt_tok t;

    for (int off = 0;; off = t.next) {
        int err = fdt_token(f, off, &t);
        if (err < 0)
            return err;
        switch (t.tag) {
        case FDT_BEGIN_NODE:
            if (depth == 0 && seen_root)
                return -FDT_ERR_BADSTRUCT;    /* a second root */
            if (++depth > FDT_MAX_DEPTH)
                return -FDT_ERR_BADSTRUCT;
            seen_root = true;
            props_ok = true;
            break;
        case FDT_END_NODE:
            if (depth == 0)
                return -FDT_ERR_BADSTRUCT;
            depth--;
            props_ok = false;
            break;
        case FDT_PROP:
            if (depth == 0 || !props_ok)
                return -FDT_ERR_BADSTRUCT;
            break;
        case FDT_NOP:
            break;
        case FDT_END:
            return depth == 0 && seen_root ? 0 : -FDT_ERR_BADSTRUCT;
        }
    }
}

int fdt_open(struct fdt *f, const void *blob, size_t avail)
{
    struct fdt tmp = { 0 };

    /* On failure f stays all zero: size_struct 0 makes every later token
     * read fail its bounds check, so a caller that ignores the error still
     * cannot read through the bad blob. */
    *f = tmp;
    int err = fdt_check_header(&tmp, blob, avail);
    if (err == 0)
        err = fdt_check_struct(&tmp);
    if (err == 0)
        *f = tmp;
    return err;
}

/* ---- Reserve map (spec 5.3) --------------------------------------------- */

int fdt_rsv_count(const struct fdt *f)
{
    if (f->blob == NULL)
        return -FDT_ERR_NOTFOUND;
    return fdt_rsv_scan(f);
}

int fdt_rsv_get(const struct fdt *f, int i, uint64_t *addr, uint64_t *size)
{
    int n = fdt_rsv_count(f);
    if (n < 0)
        return n;
    if (i < 0 || i >= n)
        return -FDT_ERR_NOTFOUND;
    const uint8_t *e = f->blob + f->off_rsvmap + 16 * (uint32_t)i;
    if (addr)
        *addr = fdt_be64(e);
    if (size)
        *size = fdt_be64(e + 8);
    return 0;
}

/* ---- Navigation --------------------------------------------------------- */

/* Skips FDT_NOP tokens (spec 5.4.1: ignored by parsers); returns the offset
 * of the next other token and decodes it into t. */
static int fdt_skip_nops(const struct fdt *f, int off, struct fdt_tok *t)
{
    for (;; off = t->next) {
        int err = fdt_token(f, off, t);
        if (err < 0)
            return err;
        if (t->tag != FDT_NOP)
            return off;
    }
}

/* Offset of the first token after node's name, i.e. its first property. */
static int fdt_node_body(const struct fdt *f, int node)
{
    struct fdt_tok t;
    int err = fdt_token(f, node, &t);
    if (err < 0)
        return err;
    return t.tag == FDT_BEGIN_NODE ? t.next : -FDT_ERR_BADSTRUCT;
}

int fdt_root(const struct fdt *f)
{
    struct fdt_tok t;
    int off = fdt_skip_nops(f, 0, &t);
    if (off < 0)
        return off;
    return t.tag == FDT_BEGIN_NODE ? off : -FDT_ERR_BADSTRUCT;
}

int fdt_first_child(const struct fdt *f, int node)
{
    struct fdt_tok t;
    int off = fdt_node_body(f, node);

    /* Properties come before subnodes (spec 5.4.2). */
    for (; off >= 0; off = t.next) {
        int err = fdt_token(f, off, &t);
        if (err < 0)
            return err;
        if (t.tag == FDT_BEGIN_NODE)
            return off;
        if (t.tag == FDT_END_NODE)
            return -FDT_ERR_NOTFOUND;
        if (t.tag == FDT_END)
            return -FDT_ERR_BADSTRUCT;
    }
    return off;
}

/* Offset just past the FDT_END_NODE that closes node. */
static int fdt_node_end(const struct fdt *f, int node)
{
    struct fdt_tok t;
    int depth = 0;

    for (int off = node;; off = t.next) {
        int err = fdt_token(f, off, &t);
        if (err < 0)
            return err;
        if (t.tag == FDT_BEGIN_NODE)
            depth++;
        else if (t.tag == FDT_END_NODE && --depth == 0)
            return t.next;
        else if (t.tag == FDT_END || depth <= 0)
            return -FDT_ERR_BADSTRUCT;
    }
}

int fdt_next_sibling(const struct fdt *f, int node)
{
    struct fdt_tok t;
    if (fdt_node_body(f, node) < 0)
        return -FDT_ERR_BADSTRUCT;
    int off = fdt_node_end(f, node);
    if (off < 0)
        return off;
    off = fdt_skip_nops(f, off, &t);
    if (off < 0)
        return off;
    return t.tag == FDT_BEGIN_NODE ? off : -FDT_ERR_NOTFOUND;
}

/* No parent links in the format, so walk from the start keeping the chain of
 * open nodes. */
int fdt_parent(const struct fdt *f, int node)
{
    int stack[FDT_MAX_DEPTH];
    int depth = 0;
    struct fdt_tok t;

    if (fdt_node_body(f, node) < 0)
        return -FDT_ERR_BADSTRUCT;
    for (int off = 0;; off = t.next) {
        int err = fdt_token(f, off, &t);
        if (err < 0)
            return err;
        if (t.tag == FDT_BEGIN_NODE) {
            if (off == node)
                return depth > 0 ? stack[depth - 1] : -FDT_ERR_NOTFOUND;
            if (depth == FDT_MAX_DEPTH)
                return -FDT_ERR_BADSTRUCT;
            stack[depth++] = off;
        } else if (t.tag == FDT_END_NODE) {
            if (depth == 0)
                return -FDT_ERR_BADSTRUCT;
            depth--;
        } else if (t.tag == FDT_END) {
            return -FDT_ERR_NOTFOUND;   /* node was not a real node start */
        }
    }
}

int fdt_next_node(const struct fdt *f, int after)
{
    struct fdt_tok t;

    if (after == -1)
        return fdt_root(f);
    if (after < 0)
        return -FDT_ERR_NOTFOUND;   /* an error code passed back in */
    int off = fdt_node_body(f, after);
    for (; off >= 0; off = t.next) {
        int err = fdt_token(f, off, &t);
        if (err < 0)
            return err;
        if (t.tag == FDT_BEGIN_NODE)
            return off;
        if (t.tag == FDT_END)
            return -FDT_ERR_NOTFOUND;
    }
    return off;
}

const char *fdt_node_name(const struct fdt *f, int node)
{
    struct fdt_tok t;
    if (fdt_token(f, node, &t) < 0 || t.tag != FDT_BEGIN_NODE)
        return NULL;
    return t.name;
}

/* ---- Paths (spec 2.2.3) ------------------------------------------------- */

static bool fdt_has_char(const char *s, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == c)
            return true;
    return false;
}

/* The child of parent called name[0..len).  An exact match wins; without a
 * unit address in `name`, a single child whose name before '@' matches is
 * taken too ("memory" finds "memory@40000000"), but two such children are
 * ambiguous and give NOTFOUND. */
static int fdt_subnode(const struct fdt *f, int parent, const char *name,
                       size_t len)
{
    bool want_base = !fdt_has_char(name, len, '@');
    int match = -FDT_ERR_NOTFOUND;
    int nmatch = 0;
    int child;

    for (child = fdt_first_child(f, parent); child >= 0;
         child = fdt_next_sibling(f, child)) {
        const char *cn = fdt_node_name(f, child);
        if (cn == NULL)
            return -FDT_ERR_BADSTRUCT;
        if (strlen(cn) == len && memcmp(cn, name, len) == 0)
            return child;
        const char *at = strchr(cn, '@');
        if (want_base && at && (size_t)(at - cn) == len &&
            memcmp(cn, name, len) == 0) {
            match = child;
            nmatch++;
        }
    }
    if (child != -FDT_ERR_NOTFOUND)
        return child;
    return nmatch == 1 ? match : -FDT_ERR_NOTFOUND;
}

static const void *fdt_getprop_namelen(const struct fdt *f, int node,
                                       const char *name, size_t namelen,
                                       int *lenp);

/* Walks the '/'-separated components of path[0..len) down from node. */
static int fdt_walk_path(const struct fdt *f, int node, const char *path,
                         size_t len)
{
    size_t i = 0;
    while (node >= 0 && i < len) {
        if (path[i] == '/') {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        node = fdt_subnode(f, node, path + start, i - start);
    }
    return node;
}

/* A path not starting with '/' begins with an alias name, whose value in
 * /aliases is an absolute path (spec 3.3). */
static int fdt_alias_node(const struct fdt *f, const char *alias, size_t len)
{
    int root = fdt_root(f);
    int aliases = root < 0 ? root : fdt_subnode(f, root, "aliases", 7);
    if (aliases < 0)
        return aliases;
    int vlen;
    const char *val = fdt_getprop_namelen(f, aliases, alias, len, &vlen);
    if (val == NULL)
        return -FDT_ERR_NOTFOUND;
    /* Only absolute targets, which also rules out alias loops. */
    if (vlen < 2 || val[0] != '/' || strnlen(val, (size_t)vlen) == (size_t)vlen)
        return -FDT_ERR_NOTFOUND;
    return fdt_walk_path(f, root, val, strlen(val));
}

int fdt_path_offset(const struct fdt *f, const char *path)
{
    if (path == NULL || path[0] == '\0')
        return -FDT_ERR_NOTFOUND;
    size_t len = strlen(path);
    if (path[0] == '/')
        return fdt_walk_path(f, fdt_root(f), path, len);

    size_t alen = 0;
    while (alen < len && path[alen] != '/')
        alen++;
    int node = fdt_alias_node(f, path, alen);
    return fdt_walk_path(f, node, path + alen, len - alen);
}

/* ---- Properties (spec 5.4.1 FDT_PROP) ----------------------------------- */

/* When the property is missing, *lenp gets the (negative) reason, as in
 * the usual FDT reader convention. */
static const void *fdt_getprop_namelen(const struct fdt *f, int node,
                                       const char *name, size_t namelen,
                                       int *lenp)
{
    struct fdt_tok t;
    int err = fdt_node_body(f, node);

    for (int off = err; off >= 0; off = t.next) {
        err = fdt_token(f, off, &t);
        if (err < 0)
            break;
        if (t.tag == FDT_PROP) {
            if (strlen(t.name) == namelen &&
                memcmp(t.name, name, namelen) == 0) {
                if (lenp)
                    *lenp = t.len;
                return t.val;
            }
        } else if (t.tag != FDT_NOP) {
            err = t.tag == FDT_END ? -FDT_ERR_BADSTRUCT : -FDT_ERR_NOTFOUND;
            break;
        }
    }
    if (lenp)
        *lenp = err;
    return NULL;
}

const void *fdt_getprop(const struct fdt *f, int node, const char *name,
                        int *len)
{
    if (name == NULL) {
        if (len)
            *len = -FDT_ERR_NOTFOUND;
        return NULL;
    }
    return fdt_getprop_namelen(f, node, name, strlen(name), len);
}

/* A <u32> property is exactly one cell (spec 2.2.4.1). */
bool fdt_getprop_u32(const struct fdt *f, int node, const char *name,
                     uint32_t *out)
{
    int len;
    const void *p = fdt_getprop(f, node, name, &len);
    if (p == NULL || len != 4)
        return false;
    if (out)
        *out = fdt_be32(p);
    return true;
}

/* A <string> must carry its NUL inside the value (spec 2.2.4.1); one that
 * does not is treated as absent rather than read past. */
const char *fdt_getprop_str(const struct fdt *f, int node, const char *name)
{
    int len;
    const char *p = fdt_getprop(f, node, name, &len);
    if (p == NULL || len <= 0 || strnlen(p, (size_t)len) == (size_t)len)
        return NULL;
    return p;
}

/* "compatible" is a <stringlist>: NUL-terminated strings back to back
 * (spec 2.3.1).  An unterminated tail is ignored. */
bool fdt_is_compatible(const struct fdt *f, int node, const char *compat)
{
    int len;
    const char *p = fdt_getprop(f, node, "compatible", &len);
    if (p == NULL || compat == NULL)
        return false;

    size_t want = strlen(compat);
    for (size_t pos = 0; pos < (size_t)len;) {
        size_t n = strnlen(p + pos, (size_t)len - pos);
        if (n == (size_t)len - pos)
            break;
        if (n == want && memcmp(p + pos, compat, n) == 0)
            return true;
        pos += n + 1;
    }
    return false;
}

int fdt_find_compatible(const struct fdt *f, int after, const char *compat)
{
    int node;
    for (node = fdt_next_node(f, after); node >= 0;
         node = fdt_next_node(f, node))
        if (fdt_is_compatible(f, node, compat))
            return node;
    return node;
}

/* phandle (spec 2.3.3), or the older "linux,phandle".  0 and 0xffffffff are
 * never valid phandles. */
int fdt_find_phandle(const struct fdt *f, uint32_t phandle)
{
    if (phandle == 0 || phandle == 0xffffffffu)
        return -FDT_ERR_NOTFOUND;

    int node;
    for (node = fdt_next_node(f, -1); node >= 0;
         node = fdt_next_node(f, node)) {
        uint32_t v;
        if ((fdt_getprop_u32(f, node, "phandle", &v) ||
             fdt_getprop_u32(f, node, "linux,phandle", &v)) && v == phandle)
            return node;
    }
    return node;
}
