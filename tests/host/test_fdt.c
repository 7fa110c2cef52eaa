/* Host tests of lib/fdt.c: the DTB QEMU's virt machine generates, blobs built
 * here, and many broken ones (which must give errors, never bad reads:
 * every blob is handed over in a buffer of exactly its size, so
 * AddressSanitizer catches any read past it).
 * Usage: test_fdt virt.dtb */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fdt.h"
#include "minitest.h"
#include "test_fdt_builder.h"

static uint8_t *real;           /* the QEMU DTB as dumped (1 MiB) */
static size_t real_size;
static uint8_t *small;          /* the same tree, without padding */
static size_t small_size;

/* Struct-block offset of the nth token with this tag in a good blob. */
static uint32_t tok_offset(const uint8_t *blob, uint32_t tag, int nth)
{
    const uint8_t *st = blob + fdtb_get32(blob + 8);
    uint32_t size = fdtb_get32(blob + 36);
    for (uint32_t off = 0; off < size;) {
        uint32_t t = fdtb_get32(st + off);
        if (t == tag && nth-- == 0)
            return off;
        off += 4;
        if (t == FDTB_BEGIN_NODE)
            off += (strlen((const char *)st + off) + 4) & ~3u;
        else if (t == FDTB_PROP)
            off += 8 + ((fdtb_get32(st + off) + 3) & ~3u);
    }
    abort();
}

/* fdt_open on a private exact-size copy of blob[0..n). */
static int open_copy(struct fdt *f, const uint8_t *blob, size_t n,
                     uint8_t **copy)
{
    *copy = fdtb_dup(blob, n);
    return fdt_open(f, *copy, n);
}

/* Opens a mutated copy of the small real blob: word at byte offset `off`
 * replaced by v. */
static int open_mutated(uint32_t off, uint32_t v)
{
    uint8_t *p = fdtb_dup(small, small_size);
    fdtb_put32(p + off, v);
    struct fdt f;
    int r = fdt_open(&f, p, small_size);
    free(p);
    return r;
}

static uint32_t small_hdr(int field)
{
    return fdtb_get32(small + field);
}

/* Calls everything that reads the blob; used on blobs that opened (or failed
 * to) after mutation, where only the absence of sanitizer reports and
 * termination matter. */
static void exercise(const struct fdt *f)
{
    static const char *const props[] = {
        "compatible", "reg", "#address-cells", "interrupts", "phandle",
        "stdout-path", "status", "nonexistent",
    };
    int n = 0, node;
    for (node = fdt_next_node(f, -1); node >= 0 && n < 100000;
         node = fdt_next_node(f, node), n++) {
        const char *name = fdt_node_name(f, node);
        if (name)
            (void)strlen(name);
        for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
            int len;
            const uint8_t *v = fdt_getprop(f, node, props[i], &len);
            if (v && len > 0)
                (void)(v[0] + v[len - 1]);
        }
        uint32_t u;
        (void)fdt_getprop_u32(f, node, "#size-cells", &u);
        const char *s = fdt_getprop_str(f, node, "device_type");
        if (s)
            (void)strlen(s);
        (void)fdt_is_compatible(f, node, "arm,pl011");
        (void)fdt_first_child(f, node);
        (void)fdt_next_sibling(f, node);
        if (n < 4)
            (void)fdt_parent(f, node);
    }
    static const char *const paths[] = {
        "/", "/chosen", "/intc/v2m", "/memory", "serial0", "/a/b/c",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        (void)fdt_path_offset(f, paths[i]);
    for (node = fdt_find_compatible(f, -1, "virtio,mmio"); node >= 0;
         node = fdt_find_compatible(f, node, "virtio,mmio"))
        ;
    (void)fdt_find_phandle(f, 0x8002);
    uint64_t a, sz;
    (void)fdt_rsv_count(f);
    (void)fdt_rsv_get(f, 0, &a, &sz);
}

/* ---- The real QEMU blob -------------------------------------------------- */

static struct fdt F;

static void test_open_real(void)
{
    CHECK_EQ(fdt_open(&F, real, real_size), 0);
    CHECK_EQ(F.totalsize, real_size);
    CHECK_EQ(F.off_struct, fdtb_get32(real + 8));
    CHECK_EQ(F.size_struct, fdtb_get32(real + 36));
    CHECK_EQ(F.size_strings, fdtb_get32(real + 32));
    CHECK_EQ(F.off_rsvmap, fdtb_get32(real + 16));
    CHECK_EQ(fdt_rsv_count(&F), 0);
    CHECK_EQ(fdt_rsv_get(&F, 0, NULL, NULL), -FDT_ERR_NOTFOUND);

    struct fdt g;
    CHECK_EQ(fdt_open(&g, small, small_size), 0);
    CHECK_EQ(g.totalsize, small_size);
    /* More readable than totalsize is fine. */
    uint8_t *p = malloc(small_size + 64);
    memcpy(p, small, small_size);
    CHECK_EQ(fdt_open(&g, p, small_size + 64), 0);
    CHECK_EQ(g.totalsize, small_size);
    free(p);
}

static void test_strerror(void)
{
    for (int e = 0; e <= 6; e++) {
        CHECK(fdt_strerror(-e) != NULL);
        CHECK(fdt_strerror(e) != NULL);
    }
    CHECK(strcmp(fdt_strerror(-FDT_ERR_BADMAGIC),
                 fdt_strerror(-FDT_ERR_TRUNCATED)) != 0);
    CHECK(fdt_strerror(-1000) != NULL);
}

static void test_navigation(void)
{
    int root = fdt_root(&F);
    CHECK(root >= 0);
    CHECK_STR(fdt_node_name(&F, root), "");
    CHECK_EQ(fdt_parent(&F, root), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_next_sibling(&F, root), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_next_node(&F, -1), root);

    /* Root children in document order: first "psci", last "chosen". */
    int c = fdt_first_child(&F, root), last = -1, nchild = 0;
    CHECK_STR(fdt_node_name(&F, c), "psci");
    for (; c >= 0; c = fdt_next_sibling(&F, c)) {
        CHECK_EQ(fdt_parent(&F, c), root);
        last = c;
        nchild++;
    }
    CHECK_EQ(c, -FDT_ERR_NOTFOUND);
    CHECK_STR(fdt_node_name(&F, last), "chosen");
    CHECK(nchild > 40);
    CHECK_EQ(fdt_first_child(&F, last), -FDT_ERR_NOTFOUND);

    /* Document order visits every node once; each is a child of its
     * parent. */
    int n = 0, bad = 0;
    for (int node = fdt_next_node(&F, -1); node >= 0;
         node = fdt_next_node(&F, node), n++) {
        int p = fdt_parent(&F, node);
        if (node == root)
            continue;
        int found = 0;
        for (int k = fdt_first_child(&F, p); k >= 0;
             k = fdt_next_sibling(&F, k))
            found |= k == node;
        bad += !found;
    }
    CHECK_EQ(bad, 0);
    CHECK(n > nchild + 5);

    int cpus = fdt_path_offset(&F, "/cpus");
    int map = fdt_first_child(&F, cpus);
    CHECK_STR(fdt_node_name(&F, map), "cpu-map");
    CHECK_STR(fdt_node_name(&F, fdt_next_sibling(&F, map)), "cpu@0");
    int core0 = fdt_path_offset(&F, "/cpus/cpu-map/socket0/cluster0/core0");
    CHECK_STR(fdt_node_name(&F, core0), "core0");
    CHECK_EQ(fdt_parent(&F, fdt_parent(&F, fdt_parent(&F, fdt_parent(&F,
             core0)))), cpus);
}

static void test_paths(void)
{
    int root = fdt_root(&F);
    CHECK_EQ(fdt_path_offset(&F, "/"), root);
    int chosen = fdt_path_offset(&F, "/chosen");
    CHECK_STR(fdt_node_name(&F, chosen), "chosen");
    int v2m = fdt_path_offset(&F, "/intc@8000000/v2m@8020000");
    CHECK_STR(fdt_node_name(&F, v2m), "v2m@8020000");
    CHECK_EQ(fdt_path_offset(&F, "/intc/v2m"), v2m);
    CHECK_EQ(fdt_path_offset(&F, "/intc@8000000/v2m@8020000/"), v2m);
    CHECK_EQ(fdt_path_offset(&F, "//intc@8000000//v2m"), v2m);
    CHECK_STR(fdt_node_name(&F, fdt_path_offset(&F, "/memory")),
              "memory@40000000");
    CHECK_STR(fdt_node_name(&F, fdt_path_offset(&F, "/pl011@9000000")),
              "pl011@9000000");
    /* 32 virtio_mmio@ nodes: ambiguous without the unit address. */
    CHECK_EQ(fdt_path_offset(&F, "/virtio_mmio"), -FDT_ERR_NOTFOUND);
    CHECK(fdt_path_offset(&F, "/virtio_mmio@a003e00") >= 0);
    CHECK_EQ(fdt_path_offset(&F, "/intc@8000001"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&F, "/pl011@9000000/x"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&F, "/memor"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&F, "/chosenx"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&F, ""), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&F, NULL), -FDT_ERR_NOTFOUND);
    /* No /aliases in this blob. */
    CHECK_EQ(fdt_path_offset(&F, "serial0"), -FDT_ERR_NOTFOUND);
}

static void test_props(void)
{
    int root = fdt_root(&F), len = 0;
    CHECK_STR(fdt_getprop_str(&F, root, "model"), "linux,dummy-virt");
    uint32_t v = 0;
    CHECK(fdt_getprop_u32(&F, root, "#address-cells", &v));
    CHECK_EQ(v, 2);
    CHECK(fdt_getprop_u32(&F, root, "#size-cells", &v));
    CHECK_EQ(v, 2);
    CHECK(fdt_getprop_u32(&F, root, "interrupt-parent", &v));
    CHECK_EQ(v, 0x8002);

    int uart = fdt_path_offset(&F, "/pl011@9000000");
    const uint8_t *reg = fdt_getprop(&F, uart, "reg", &len);
    CHECK(reg != NULL);
    CHECK_EQ(len, 16);
    CHECK_EQ(fdt_read_cells(reg, 2), 0x9000000);
    CHECK_EQ(fdt_read_cells(reg + 8, 2), 0x1000);
    /* 16 bytes is not a u32. */
    CHECK(!fdt_getprop_u32(&F, uart, "reg", &v));
    const char *compat = fdt_getprop(&F, uart, "compatible", &len);
    CHECK_EQ(len, (int)sizeof("arm,pl011\0arm,primecell"));
    CHECK_STR(compat, "arm,pl011");
    CHECK_STR(fdt_getprop_str(&F, uart, "compatible"), "arm,pl011");

    /* Missing: NULL and a negative length. */
    len = 0;
    CHECK(fdt_getprop(&F, uart, "nonexistent", &len) == NULL);
    CHECK_EQ(len, -FDT_ERR_NOTFOUND);
    CHECK(fdt_getprop(&F, uart, "nonexistent", NULL) == NULL);
    CHECK(fdt_getprop(&F, uart, NULL, &len) == NULL);
    CHECK(fdt_getprop_str(&F, uart, "nonexistent") == NULL);
    CHECK(!fdt_getprop_u32(&F, uart, "nonexistent", &v));
    /* Properties of a child are not the parent's. */
    int intc = fdt_path_offset(&F, "/intc");
    CHECK(fdt_getprop(&F, intc, "msi-controller", NULL) == NULL);

    /* Empty properties are present with length 0. */
    len = -1;
    CHECK(fdt_getprop(&F, intc, "ranges", &len) != NULL);
    CHECK_EQ(len, 0);
    CHECK(fdt_getprop(&F, intc, "interrupt-controller", NULL) != NULL);
    CHECK(fdt_getprop_str(&F, intc, "ranges") == NULL);
    CHECK(!fdt_getprop_u32(&F, intc, "ranges", &v));

    CHECK_STR(fdt_getprop_str(&F, fdt_path_offset(&F, "/psci"), "method"),
              "hvc");
    CHECK_STR(fdt_getprop_str(&F, fdt_path_offset(&F, "/chosen"),
                              "stdout-path"), "/pl011@9000000");
}

static int count_compatible(const struct fdt *f, const char *compat)
{
    int n = 0;
    for (int node = fdt_find_compatible(f, -1, compat); node >= 0;
         node = fdt_find_compatible(f, node, compat))
        n++;
    return n;
}

static void test_compatible(void)
{
    int uart = fdt_find_compatible(&F, -1, "arm,pl011");
    CHECK_STR(fdt_node_name(&F, uart), "pl011@9000000");
    CHECK(fdt_is_compatible(&F, uart, "arm,pl011"));
    CHECK(fdt_is_compatible(&F, uart, "arm,primecell"));
    CHECK(!fdt_is_compatible(&F, uart, "arm,pl01"));
    CHECK(!fdt_is_compatible(&F, uart, "arm,pl0111"));
    CHECK(!fdt_is_compatible(&F, uart, ""));
    CHECK(!fdt_is_compatible(&F, uart, NULL));
    CHECK(!fdt_is_compatible(&F, fdt_path_offset(&F, "/cpus"), "arm,pl011"));
    CHECK_EQ(fdt_find_compatible(&F, uart, "arm,pl011"), -FDT_ERR_NOTFOUND);

    CHECK_EQ(count_compatible(&F, "virtio,mmio"), 32);
    CHECK_EQ(count_compatible(&F, "arm,primecell"), 3);
    CHECK_EQ(count_compatible(&F, "arm,armv7-timer"), 1);
    CHECK_EQ(count_compatible(&F, "no,such-device"), 0);
    CHECK_STR(fdt_node_name(&F, fdt_find_compatible(&F, -1,
              "arm,gic-v2m-frame")), "v2m@8020000");
    CHECK_STR(fdt_node_name(&F, fdt_find_compatible(&F, -1,
              "pci-host-ecam-generic")), "pcie@10000000");
}

static void test_phandle(void)
{
    CHECK_STR(fdt_node_name(&F, fdt_find_phandle(&F, 0x8002)),
              "intc@8000000");
    CHECK_STR(fdt_node_name(&F, fdt_find_phandle(&F, 0x8003)),
              "v2m@8020000");
    CHECK_STR(fdt_node_name(&F, fdt_find_phandle(&F, 0x8001)), "cpu@0");
    CHECK_STR(fdt_node_name(&F, fdt_find_phandle(&F, 0x8000)), "apb-pclk");
    CHECK_EQ(fdt_find_phandle(&F, 0), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_find_phandle(&F, 0xffffffff), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_find_phandle(&F, 0x1234), -FDT_ERR_NOTFOUND);
}

static void test_cells(void)
{
    static const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
                                 0xf0, 0x01, 0x02, 0x03, 0x04, 0xff };
    CHECK_EQ(fdt_be32(b), 0x12345678);
    CHECK_EQ(fdt_be32(b + 1), 0x3456789a);     /* unaligned is fine */
    CHECK_EQ(fdt_read_cells(b, 1), 0x12345678);
    CHECK_EQ(fdt_read_cells(b, 2), 0x123456789abcdef0ull);
    CHECK_EQ(fdt_read_cells(b, 3), 0x9abcdef001020304ull);
    CHECK_EQ(fdt_read_cells(b, 0), 0);
}

/* Bogus node offsets give errors, not garbage. */
static void test_bad_offsets(void)
{
    static const int offs[] = { -1, -2, -FDT_ERR_NOTFOUND, 1, 2, 3, 4,
                                0x7fffffff, -0x7fffffff - 1 };
    int len;
    for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        int o = offs[i];
        CHECK(fdt_node_name(&F, o) == NULL);
        CHECK(fdt_getprop(&F, o, "reg", &len) == NULL);
        CHECK(len < 0);
        CHECK(fdt_first_child(&F, o) < 0);
        CHECK(fdt_next_sibling(&F, o) < 0);
        CHECK(fdt_parent(&F, o) < 0);
        CHECK(!fdt_is_compatible(&F, o, "arm,pl011"));
        if (o != -1)
            CHECK(fdt_next_node(&F, o) < 0);
    }
    /* A property token is not a node. */
    int prop = (int)tok_offset(real, FDTB_PROP, 0);
    CHECK(fdt_node_name(&F, prop) == NULL);
    CHECK(fdt_parent(&F, prop) < 0);
    CHECK(fdt_next_sibling(&F, prop) < 0);
    /* Offsets at and past the end of the structure block. */
    CHECK(fdt_node_name(&F, (int)F.size_struct) == NULL);
    CHECK(fdt_node_name(&F, (int)F.size_struct - 4) == NULL);   /* FDT_END */
    CHECK(fdt_next_node(&F, (int)F.size_struct + 4) < 0);
}

/* ---- Broken headers (mutated copies of the real blob) -------------------- */

/* After a failed open the struct is zeroed and every call fails cleanly. */
static void check_closed(const struct fdt *f)
{
    int len;
    CHECK(f->blob == NULL && f->totalsize == 0 && f->size_struct == 0);
    CHECK(fdt_root(f) < 0);
    CHECK(fdt_next_node(f, -1) < 0);
    CHECK(fdt_path_offset(f, "/") < 0);
    CHECK(fdt_getprop(f, 0, "reg", &len) == NULL);
    CHECK(fdt_find_compatible(f, -1, "arm,pl011") < 0);
    CHECK(fdt_find_phandle(f, 1) < 0);
    CHECK(fdt_rsv_count(f) < 0);
}

static void test_bad_header(void)
{
    struct fdt f;
    uint8_t *p;
    uint32_t total = small_hdr(4);

    /* Zero-length, NULL and tiny buffers. */
    CHECK_EQ(fdt_open(&f, small, 0), -FDT_ERR_TRUNCATED);
    check_closed(&f);
    CHECK_EQ(fdt_open(&f, NULL, 4096), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_copy(&f, small, 3, &p), -FDT_ERR_TRUNCATED);
    free(p);
    CHECK_EQ(open_copy(&f, small, 20, &p), -FDT_ERR_TRUNCATED);
    free(p);
    CHECK_EQ(open_copy(&f, small, 39, &p), -FDT_ERR_TRUNCATED);
    free(p);

    /* Bad magic, also on a tiny buffer. */
    CHECK_EQ(open_mutated(0, 0xedfe0dd0), -FDT_ERR_BADMAGIC);
    CHECK_EQ(open_mutated(0, 0), -FDT_ERR_BADMAGIC);
    static const uint8_t four[4] = { 1, 2, 3, 4 };
    CHECK_EQ(fdt_open(&f, four, 4), -FDT_ERR_BADMAGIC);

    /* The blob is shorter than it says (truncated in memory). */
    CHECK_EQ(open_copy(&f, small, small_size - 1, &p), -FDT_ERR_TRUNCATED);
    free(p);
    CHECK_EQ(open_copy(&f, real, 1000, &p), -FDT_ERR_TRUNCATED);
    check_closed(&f);
    free(p);
    CHECK_EQ(open_mutated(4, total + 4), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(4, 0xffffffff), -FDT_ERR_TRUNCATED);
    /* totalsize smaller than the header or than its blocks. */
    CHECK_EQ(open_mutated(4, 8), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(4, total - 4), -FDT_ERR_TRUNCATED);

    /* Blocks outside totalsize. */
    CHECK_EQ(open_mutated(8, total + 4), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(8, 0xfffffffc), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(36, 0xffffffff), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(36, total), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(12, total + 1), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(32, small_hdr(32) + 1), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(32, 0xfffffff0), -FDT_ERR_TRUNCATED);
    CHECK_EQ(open_mutated(16, total + 16), -FDT_ERR_TRUNCATED);
    /* Reserve map without its terminating entry inside the blob. */
    CHECK_EQ(open_mutated(16, total - 8), -FDT_ERR_TRUNCATED);
    /* Structure block overlapping the header, or misaligned. */
    CHECK_EQ(open_mutated(8, 0), -FDT_ERR_TRUNCATED);
    CHECK(open_mutated(8, small_hdr(8) + 1) < 0);
    CHECK(open_mutated(8, small_hdr(8) + 4) < 0);

    /* Versions. */
    CHECK_EQ(open_mutated(20, 15), -FDT_ERR_BADVERSION);
    CHECK_EQ(open_mutated(20, 1), -FDT_ERR_BADVERSION);
    CHECK_EQ(open_mutated(24, 18), -FDT_ERR_BADVERSION);
    CHECK_EQ(open_mutated(24, 16), 0);
    /* Version 16 has no size_dt_struct; the field is then ignored. */
    p = fdtb_dup(small, small_size);
    fdtb_put32(p + 20, 16);
    fdtb_put32(p + 36, 0xffffffff);
    CHECK_EQ(fdt_open(&f, p, small_size), 0);
    CHECK_EQ(fdt_path_offset(&f, "/intc/v2m"), fdt_path_offset(&F,
             "/intc/v2m"));
    free(p);

    CHECK_EQ(fdt_open(&f, small, small_size), 0);
    CHECK_EQ(open_mutated(0, 0xd00dfeed), 0);
}

/* ---- Broken structure blocks --------------------------------------------- */

static void test_bad_struct_real(void)
{
    uint32_t st = small_hdr(8), size_st = small_hdr(36);
    uint32_t size_str = small_hdr(32);
    uint32_t prop = st + tok_offset(small, FDTB_PROP, 0);

    /* Property length running past the block. */
    CHECK_EQ(open_mutated(prop + 4, size_st), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(prop + 4, 0xffffffff), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(prop + 4, 0x7ffffffd), -FDT_ERR_BADSTRUCT);
    /* Lengths that wrap the offset around to this token or before it
     * (a parser adding them unchecked would loop forever). */
    CHECK_EQ(open_mutated(prop + 4, 0xfffffff4), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(prop + 4, 0xfffffff0), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(prop + 4, 0xfffffff8), -FDT_ERR_BADSTRUCT);
    uint32_t lastprop = st + tok_offset(small, FDTB_PROP, 100);
    CHECK_EQ(open_mutated(lastprop + 4, st + size_st - lastprop - 12 + 1),
             -FDT_ERR_BADSTRUCT);

    /* Property name offset outside the strings block. */
    CHECK_EQ(open_mutated(prop + 8, size_str), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(prop + 8, 0xffffffff), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(prop + 8, 0x80000000), -FDT_ERR_BADSTRUCT);
    /* Last string loses its NUL: its users now run off the block. */
    CHECK_EQ(open_mutated(32, size_str - 1), -FDT_ERR_BADSTRUCT);

    /* Missing FDT_END: block cut before it, or END turned into NOP. */
    CHECK_EQ(open_mutated(36, size_st - 4), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(st + size_st - 4, FDTB_NOP), -FDT_ERR_BADSTRUCT);
    /* Block cut inside a node name ("psci", the first child). */
    uint32_t child = tok_offset(small, FDTB_BEGIN_NODE, 1);
    CHECK_EQ(open_mutated(36, child + 6), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(36, child + 8), -FDT_ERR_BADSTRUCT);
    /* Name bytes without NUL up to the end of the block. */
    uint8_t *p = fdtb_dup(small, small_size);
    memset(p + st + child + 4, 'x', size_st - child - 4);
    struct fdt f;
    CHECK_EQ(fdt_open(&f, p, small_size), -FDT_ERR_BADSTRUCT);
    free(p);

    /* Unknown tokens, unbalanced nodes. */
    uint32_t endnode = st + tok_offset(small, FDTB_END_NODE, 0);
    CHECK_EQ(open_mutated(endnode, 5), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(endnode, 0), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(endnode, 0xffffffff), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(endnode, FDTB_NOP), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(endnode, FDTB_END), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(st + size_st - 8, FDTB_NOP), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_mutated(st + size_st - 8, FDTB_BEGIN_NODE),
             -FDT_ERR_BADSTRUCT);
    /* A property token turned into a node start leaves a node unclosed. */
    CHECK_EQ(open_mutated(prop, FDTB_BEGIN_NODE), -FDT_ERR_BADSTRUCT);
}

/* The minimal well-formed tree: / { a = <1>; n { }; }; */
static uint8_t *tiny(size_t *size)
{
    struct fdtb b;
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_prop_cells(&b, "a", 1, 1);
    fdtb_begin(&b, "n");
    fdtb_end(&b);
    fdtb_end(&b);
    return fdtb_finish(&b, 1, size);
}

static int open_built(struct fdtb *b, int add_end)
{
    size_t n;
    uint8_t *p = fdtb_finish(b, add_end, &n);
    struct fdt f;
    int r = fdt_open(&f, p, n);
    if (r == 0)
        exercise(&f);
    free(p);
    return r;
}

static int open_nested(int depth)
{
    struct fdtb b;
    fdtb_init(&b);
    for (int i = 0; i < depth; i++)
        fdtb_begin(&b, i ? "n" : "");
    for (int i = 0; i < depth; i++)
        fdtb_end(&b);
    return open_built(&b, 1);
}

static void test_bad_struct_built(void)
{
    struct fdtb b;
    size_t n;
    struct fdt f;

    uint8_t *p = tiny(&n);
    CHECK_EQ(fdt_open(&f, p, n), 0);
    CHECK_EQ(fdt_path_offset(&f, "/n"), fdt_first_child(&f, fdt_root(&f)));
    free(p);

    /* Unterminated node name at the end of the block. */
    fdtb_init(&b);
    fdtb_u32(&b, FDTB_BEGIN_NODE);
    fdtb_bytes(&b, "abcd", 4);
    CHECK_EQ(open_built(&b, 0), -FDT_ERR_BADSTRUCT);
    /* Empty structure block; only FDT_END; only NOPs. */
    fdtb_init(&b);
    CHECK_EQ(open_built(&b, 0), -FDT_ERR_BADSTRUCT);
    fdtb_init(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    fdtb_init(&b);
    fdtb_u32(&b, FDTB_NOP);
    fdtb_u32(&b, FDTB_NOP);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* Root never closed. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_begin(&b, "a");
    fdtb_end(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* One END_NODE too many. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_end(&b);
    fdtb_end(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* END_NODE first. */
    fdtb_init(&b);
    fdtb_end(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* Two roots. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_end(&b);
    fdtb_begin(&b, "");
    fdtb_end(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* Property outside any node. */
    fdtb_init(&b);
    fdtb_prop_cells(&b, "a", 1, 1);
    fdtb_begin(&b, "");
    fdtb_end(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* Property after a subnode (spec 5.4.2 puts properties first). */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_begin(&b, "a");
    fdtb_end(&b);
    fdtb_prop_cells(&b, "x", 1, 1);
    fdtb_end(&b);
    CHECK_EQ(open_built(&b, 1), -FDT_ERR_BADSTRUCT);
    /* Property header cut off by the end of the block. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_u32(&b, FDTB_PROP);
    fdtb_u32(&b, 0);
    CHECK_EQ(open_built(&b, 0), -FDT_ERR_BADSTRUCT);
    /* Tokens after FDT_END are never read: accepted. */
    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_end(&b);
    fdtb_u32(&b, FDTB_END);
    fdtb_u32(&b, 0x12345678);
    CHECK_EQ(open_built(&b, 0), 0);

    /* Nesting: 32 levels (root included) is the limit. */
    CHECK_EQ(open_nested(1), 0);
    CHECK_EQ(open_nested(32), 0);
    CHECK_EQ(open_nested(33), -FDT_ERR_BADSTRUCT);
    CHECK_EQ(open_nested(1000), -FDT_ERR_BADSTRUCT);
}

/* NOPs anywhere are skipped (spec 5.4.1). */
static void test_nops(void)
{
    struct fdtb b;
    size_t n;
    struct fdt f;

    fdtb_init(&b);
    fdtb_u32(&b, FDTB_NOP);
    fdtb_begin(&b, "");
    fdtb_u32(&b, FDTB_NOP);
    fdtb_prop_cells(&b, "a", 1, 7);
    fdtb_u32(&b, FDTB_NOP);
    fdtb_prop_cells(&b, "b", 1, 8);
    fdtb_u32(&b, FDTB_NOP);
    fdtb_begin(&b, "c1");
    fdtb_end(&b);
    fdtb_u32(&b, FDTB_NOP);
    fdtb_begin(&b, "c2");
    fdtb_u32(&b, FDTB_NOP);
    fdtb_end(&b);
    fdtb_u32(&b, FDTB_NOP);
    fdtb_end(&b);
    fdtb_u32(&b, FDTB_NOP);
    uint8_t *p = fdtb_finish(&b, 1, &n);
    CHECK_EQ(fdt_open(&f, p, n), 0);
    int root = fdt_root(&f);
    CHECK_EQ(root, 4);
    uint32_t v = 0;
    CHECK(fdt_getprop_u32(&f, root, "b", &v));
    CHECK_EQ(v, 8);
    int c1 = fdt_first_child(&f, root);
    CHECK_STR(fdt_node_name(&f, c1), "c1");
    int c2 = fdt_next_sibling(&f, c1);
    CHECK_STR(fdt_node_name(&f, c2), "c2");
    CHECK_EQ(fdt_next_sibling(&f, c2), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_parent(&f, c2), root);
    CHECK_EQ(fdt_next_node(&f, c2), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&f, "/c2"), c2);
    free(p);
}

static void test_rsvmap(void)
{
    struct fdtb b;
    size_t n;
    struct fdt f;
    uint64_t a = 0, s = 0;

    fdtb_init(&b);
    fdtb_rsv(&b, 0x40000000, 0x1000);
    fdtb_rsv(&b, 0x123456789000ull, 0x200000);
    fdtb_begin(&b, "");
    fdtb_end(&b);
    uint8_t *p = fdtb_finish(&b, 1, &n);
    CHECK_EQ(fdt_open(&f, p, n), 0);
    CHECK_EQ(fdt_rsv_count(&f), 2);
    CHECK_EQ(fdt_rsv_get(&f, 0, &a, &s), 0);
    CHECK_EQ(a, 0x40000000);
    CHECK_EQ(s, 0x1000);
    CHECK_EQ(fdt_rsv_get(&f, 1, &a, &s), 0);
    CHECK_EQ(a, 0x123456789000ull);
    CHECK_EQ(s, 0x200000);
    CHECK_EQ(fdt_rsv_get(&f, 2, &a, &s), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_rsv_get(&f, -1, &a, &s), -FDT_ERR_NOTFOUND);
    free(p);
}

static void test_strings_and_aliases(void)
{
    struct fdtb b;
    size_t n;
    struct fdt f;

    fdtb_init(&b);
    fdtb_begin(&b, "");
    fdtb_prop(&b, "compatible", "a\0bc", 4);     /* no final NUL */
    fdtb_prop(&b, "unterminated", "xyz", 3);
    fdtb_prop(&b, "empty", "", 0);
    fdtb_prop_str(&b, "s", "hello");
    fdtb_begin(&b, "aliases");
    fdtb_prop_str(&b, "serial0", "/soc/uart@1000");
    fdtb_prop_str(&b, "relative", "soc");
    fdtb_prop_str(&b, "self", "self");
    fdtb_prop(&b, "unterm", "/soc", 4);
    fdtb_prop_str(&b, "gone", "/nowhere");
    fdtb_end(&b);
    fdtb_begin(&b, "soc");
    fdtb_begin(&b, "uart@1000");
    fdtb_prop_cells(&b, "linux,phandle", 1, 5);
    fdtb_begin(&b, "child");
    fdtb_end(&b);
    fdtb_end(&b);
    fdtb_end(&b);
    fdtb_end(&b);
    uint8_t *p = fdtb_finish(&b, 1, &n);
    CHECK_EQ(fdt_open(&f, p, n), 0);
    int root = fdt_root(&f);

    CHECK(fdt_is_compatible(&f, root, "a"));
    CHECK(!fdt_is_compatible(&f, root, "bc"));
    CHECK(!fdt_is_compatible(&f, root, "b"));
    CHECK(fdt_getprop_str(&f, root, "unterminated") == NULL);
    CHECK(fdt_getprop_str(&f, root, "empty") == NULL);
    CHECK_STR(fdt_getprop_str(&f, root, "s"), "hello");

    int uart = fdt_path_offset(&f, "/soc/uart@1000");
    CHECK(uart >= 0);
    CHECK_EQ(fdt_path_offset(&f, "serial0"), uart);
    CHECK_EQ(fdt_path_offset(&f, "serial0/child"),
             fdt_first_child(&f, uart));
    CHECK_EQ(fdt_path_offset(&f, "/soc/uart"), uart);
    CHECK_EQ(fdt_path_offset(&f, "relative"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&f, "self"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&f, "unterm"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&f, "gone"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&f, "nosuch"), -FDT_ERR_NOTFOUND);
    CHECK_EQ(fdt_path_offset(&f, "serial"), -FDT_ERR_NOTFOUND);
    /* The legacy phandle property. */
    CHECK_EQ(fdt_find_phandle(&f, 5), uart);
    free(p);
}

/* The reads are checked even on a struct fdt that fdt_open never saw
 * (its fields are public): a node name or property running off the end of
 * the structure block is refused, not returned. */
static void test_unvalidated(void)
{
    static const char strings[] = "reg";
    uint8_t *st = calloc(1, 16);
    struct fdt f = { .blob = st, .totalsize = 16, .off_struct = 0,
                     .size_struct = 8, .off_strings = 16, .size_strings = 0 };
    int len = 0;

    /* BEGIN_NODE "abcd" with no NUL before the end of the block. */
    fdtb_put32(st, FDTB_BEGIN_NODE);
    memcpy(st + 4, "abcd", 4);
    CHECK(fdt_node_name(&f, 0) == NULL);
    CHECK(fdt_root(&f) < 0);
    CHECK(fdt_first_child(&f, 0) < 0);

    /* BEGIN_NODE "" then a property longer than the block. */
    uint8_t *blob = calloc(1, 64);
    fdtb_put32(blob, FDTB_BEGIN_NODE);
    fdtb_put32(blob + 8, FDTB_PROP);
    fdtb_put32(blob + 12, 100);         /* len */
    fdtb_put32(blob + 16, 0);           /* nameoff */
    memcpy(blob + 40, strings, sizeof(strings));
    f.blob = blob;
    f.totalsize = 64;
    f.size_struct = 32;
    f.off_strings = 40;
    f.size_strings = sizeof(strings);
    CHECK(fdt_getprop(&f, 0, "reg", &len) == NULL);
    CHECK(len < 0);
    /* ... one that wraps the offset back onto itself ... */
    fdtb_put32(blob + 12, 0xfffffff4);
    CHECK(fdt_getprop(&f, 0, "reg", &len) == NULL);
    CHECK(fdt_next_node(&f, 0) < 0);
    /* ... a name offset past the strings, an unterminated name ... */
    fdtb_put32(blob + 12, 4);
    fdtb_put32(blob + 16, 4);
    CHECK(fdt_getprop(&f, 0, "reg", &len) == NULL);
    fdtb_put32(blob + 16, 0);
    f.size_strings = 3;
    CHECK(fdt_getprop(&f, 0, "reg", &len) == NULL);
    /* ... and, for contrast, the same property when well-formed. */
    f.size_strings = sizeof(strings);
    CHECK(fdt_getprop(&f, 0, "reg", &len) == blob + 20);
    CHECK_EQ(len, 4);
    free(st);
    free(blob);
}

/* ---- Sweeps over every position ------------------------------------------ */

/* Counts nodes through first_child/next_sibling. */
static int count_tree(const struct fdt *f, int node)
{
    int n = 1;
    for (int c = fdt_first_child(f, node); c >= 0; c = fdt_next_sibling(f, c))
        n += count_tree(f, c);
    return n;
}

static int count_doc(const struct fdt *f)
{
    int n = 0;
    for (int node = fdt_next_node(f, -1); node >= 0;
         node = fdt_next_node(f, node))
        n++;
    return n;
}

/* Every prefix of the blob is rejected, and every totalsize short of the
 * real one. */
static void test_truncation_sweep(void)
{
    int wrong = 0;
    struct fdt f;
    for (size_t n = 0; n < small_size; n++) {
        uint8_t *p;
        wrong += open_copy(&f, small, n, &p) != -FDT_ERR_TRUNCATED;
        free(p);
    }
    CHECK_EQ(wrong, 0);
    wrong = 0;
    for (uint32_t t = 0; t < small_size; t++)
        wrong += open_mutated(4, t) >= 0;
    CHECK_EQ(wrong, 0);
}

/* Each 32-bit word of the blob replaced by a few interesting values: either
 * fdt_open rejects it, or the whole API works on it and the two ways of
 * walking the tree agree. */
static void test_mutation_sweep(void)
{
    int opened = 0, rejected = 0, inconsistent = 0;
    uint8_t *p = fdtb_dup(small, small_size);

    for (uint32_t off = 0; off + 4 <= small_size; off += 4) {
        uint32_t orig = fdtb_get32(small + off);
        const uint32_t vals[] = { 0, 1, 2, 3, 4, 9, 0xffffffff, 0x7fffffff,
                                  0x80000000, orig + 4, orig - 4, orig + 1,
                                  orig ^ 0x100 };
        for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
            memcpy(p, small, small_size);
            fdtb_put32(p + off, vals[k]);
            struct fdt f;
            if (fdt_open(&f, p, small_size) < 0) {
                rejected++;
                exercise(&f);
                continue;
            }
            opened++;
            exercise(&f);
            int root = fdt_root(&f);
            if (root < 0 || count_tree(&f, root) != count_doc(&f))
                inconsistent++;
        }
    }
    /* Single bytes of the header and the first tokens. */
    for (uint32_t off = 0; off < small_hdr(8) + 64; off++) {
        const uint8_t vals[] = { 0x00, 0xff, 0x80, 0x01, 0x09 };
        for (size_t k = 0; k < sizeof(vals); k++) {
            memcpy(p, small, small_size);
            p[off] = vals[k];
            struct fdt f;
            if (fdt_open(&f, p, small_size) == 0) {
                exercise(&f);
                inconsistent += count_tree(&f, fdt_root(&f)) != count_doc(&f);
            }
        }
    }
    free(p);
    CHECK(opened > 0);
    CHECK(rejected > 0);
    CHECK_EQ(inconsistent, 0);
    printf("  mutation sweep: %d opened, %d rejected\n", opened, rejected);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s virt.dtb\n", argv[0]);
        return 2;
    }
    real = fdtb_load(argv[1], &real_size);
    small = fdtb_compact(real, &small_size);

    MT_RUN(test_open_real);
    MT_RUN(test_strerror);
    MT_RUN(test_navigation);
    MT_RUN(test_paths);
    MT_RUN(test_props);
    MT_RUN(test_compatible);
    MT_RUN(test_phandle);
    MT_RUN(test_cells);
    MT_RUN(test_bad_offsets);
    MT_RUN(test_bad_header);
    MT_RUN(test_bad_struct_real);
    MT_RUN(test_bad_struct_built);
    MT_RUN(test_nops);
    MT_RUN(test_rsvmap);
    MT_RUN(test_strings_and_aliases);
    MT_RUN(test_unvalidated);
    MT_RUN(test_truncation_sweep);
    MT_RUN(test_mutation_sweep);

    free(real);
    free(small);
    return mt_finish();
}
