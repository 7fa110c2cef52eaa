/* Flattened device tree (DTB) reader, Devicetree Specification v0.4 ch. 5.
 * Portable C: no kernel dependencies, built for the host in tests/host.
 * Every read is bounds-checked against the header's totalsize and the size
 * the caller says is readable, so a corrupt blob yields an error, never an
 * out-of-bounds access.  Nodes are identified by their offset in the
 * structure block (>= 0); negative values are errors (-FDT_E*). */
#ifndef FDT_H
#define FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC       0xd00dfeed

#define FDT_ERR_BADMAGIC    1   /* not a DTB */
#define FDT_ERR_TRUNCATED   2   /* sizes point past the readable area */
#define FDT_ERR_BADVERSION  3
#define FDT_ERR_BADSTRUCT   4   /* malformed structure block */
#define FDT_ERR_NOTFOUND    5

struct fdt {
    const uint8_t *blob;
    uint32_t totalsize;
    uint32_t off_struct, size_struct;
    uint32_t off_strings, size_strings;
    uint32_t off_rsvmap;
};

/* Validates the header (magic, version >= 16, every block inside
 * min(totalsize, avail)) and walks the whole structure block once so later
 * calls can trust it.  Returns 0 or -FDT_ERR_*. */
int fdt_open(struct fdt *f, const void *blob, size_t avail);
const char *fdt_strerror(int err);

/* Reserve map entries (memory the OS must not use). */
int fdt_rsv_count(const struct fdt *f);
int fdt_rsv_get(const struct fdt *f, int i, uint64_t *addr, uint64_t *size);

/* Tree navigation. */
int fdt_root(const struct fdt *f);
int fdt_first_child(const struct fdt *f, int node);   /* -FDT_ERR_NOTFOUND */
int fdt_next_sibling(const struct fdt *f, int node);  /* -FDT_ERR_NOTFOUND */
int fdt_parent(const struct fdt *f, int node);
/* Next node after `after` in document order (-1 to start). */
int fdt_next_node(const struct fdt *f, int after);
const char *fdt_node_name(const struct fdt *f, int node);  /* "pl011@9000000" */
/* "/", "/chosen", "/intc@8000000/v2m@8020000"; unit addresses may be
 * omitted when unambiguous ("/memory" matches "memory@40000000"). */
int fdt_path_offset(const struct fdt *f, const char *path);

/* Properties. */
const void *fdt_getprop(const struct fdt *f, int node, const char *name,
                        int *len);
bool fdt_getprop_u32(const struct fdt *f, int node, const char *name,
                     uint32_t *out);
const char *fdt_getprop_str(const struct fdt *f, int node, const char *name);
/* True if any string of the node's "compatible" list equals compat. */
bool fdt_is_compatible(const struct fdt *f, int node, const char *compat);
/* Next node after `after` (-1 to start) with that compatible string. */
int fdt_find_compatible(const struct fdt *f, int after, const char *compat);
int fdt_find_phandle(const struct fdt *f, uint32_t phandle);
/* Big-endian cell helpers. */
uint32_t fdt_be32(const void *p);
uint64_t fdt_read_cells(const void *p, int ncells);   /* ncells 1 or 2 */

#endif
