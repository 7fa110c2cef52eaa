/* The cpio "newc" archive format (the initramfs format, Linux
 * Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte
 * ASCII header ("070701", or "070702" with a checksum we ignore, then 13
 * eight-digit hex fields), the NUL-terminated name, padding to 4, the
 * data, padding to 4.  "TRAILER!!!" ends an archive.
 *
 * Portable (no kernel headers): tests/host/test_cpio.c runs it on the
 * host and fuzzes it. */
#ifndef FS_CPIO_H
#define FS_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_HDR_LEN    110
#define CPIO_NAME_MAX   4096    /* namesize bound, including the NUL */
#define CPIO_TRAILER    "TRAILER!!!"

enum cpio_status {
    CPIO_OK = 0,
    CPIO_END = 1,               /* the trailer (or only padding) */
    CPIO_ERR_MAGIC = -1,
    CPIO_ERR_TRUNC = -2,
    CPIO_ERR_HEX = -3,
    CPIO_ERR_NAME = -4,
    CPIO_ERR_PATH = -5,
};

struct cpio_entry {
    uint32_t ino, mode, uid, gid, nlink, mtime, filesize;
    uint32_t devmajor, devminor, rdevmajor, rdevminor, namesize;
    const char *name;           /* NUL-terminated, inside the buffer */
    const uint8_t *data;        /* filesize bytes, inside the buffer */
    size_t next;                /* offset of the next header */
};

/* Parses the entry at offset off.  Trailing NUL padding (between
 * concatenated archives, or at the end) is skipped first; only padding
 * left means CPIO_END with e->next = len.  After a trailer, e->next points
 * past it, so a following archive can be parsed too. */
int cpio_parse(const uint8_t *buf, size_t len, size_t off,
               struct cpio_entry *e);

/* Normalizes an archive name into a relative path: drops leading "/" and
 * "./", "." components and repeated slashes.  "" for the root itself.
 * CPIO_ERR_PATH if a component is ".." (it could escape the root) or the
 * result does not fit in cap. */
int cpio_clean_path(const char *name, char *out, size_t cap);

const char *cpio_strerror(int status);

#endif
