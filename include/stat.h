/* File status structures of the Linux aarch64 ABI: struct stat (the
 * asm-generic 128-byte layout arm64 uses for fstat/newfstatat), struct
 * statx (statx(2)), struct statfs (asm-generic statfs.h, 64-bit words)
 * and the timespec pairs of utimensat(2). */
#ifndef STAT_H
#define STAT_H

#include "kernel.h"

struct kstat_user {
    uint64_t st_dev;
    uint64_t st_ino;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint64_t __pad1;
    int64_t st_size;
    int32_t st_blksize;
    int32_t __pad2;
    int64_t st_blocks;
    int64_t st_atime_sec;
    uint64_t st_atime_nsec;
    int64_t st_mtime_sec;
    uint64_t st_mtime_nsec;
    int64_t st_ctime_sec;
    uint64_t st_ctime_nsec;
    uint32_t __unused4;
    uint32_t __unused5;
};
_Static_assert(sizeof(struct kstat_user) == 128, "struct stat layout");
_Static_assert(offsetof(struct kstat_user, st_size) == 48, "st_size");
_Static_assert(offsetof(struct kstat_user, st_mtime_sec) == 88, "st_mtime");

struct statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t __reserved;
};

struct statx_user {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t __spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major;
    uint32_t stx_rdev_minor;
    uint32_t stx_dev_major;
    uint32_t stx_dev_minor;
    uint64_t __spare2[14];
};
_Static_assert(sizeof(struct statx_user) == 256, "struct statx layout");
_Static_assert(offsetof(struct statx_user, stx_rdev_major) == 128, "stx_rdev");

/* statx(2) mask bits. */
#define STATX_TYPE          0x0001
#define STATX_MODE          0x0002
#define STATX_NLINK         0x0004
#define STATX_UID           0x0008
#define STATX_GID           0x0010
#define STATX_ATIME         0x0020
#define STATX_MTIME         0x0040
#define STATX_CTIME         0x0080
#define STATX_INO           0x0100
#define STATX_SIZE          0x0200
#define STATX_BLOCKS        0x0400
#define STATX_BASIC_STATS   0x07ff
#define AT_STATX_SYNC_TYPE  0x6000

struct statfs_user {
    int64_t f_type;
    int64_t f_bsize;
    uint64_t f_blocks;
    uint64_t f_bfree;
    uint64_t f_bavail;
    uint64_t f_files;
    uint64_t f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct statfs_user) == 120, "struct statfs layout");

/* Filesystem magic numbers (Linux include/uapi/linux/magic.h). */
#define RAMFS_MAGIC         0x858458f6
#define PROC_SUPER_MAGIC    0x9fa0
#define PIPEFS_MAGIC        0x50495045

struct timespec_user {
    int64_t tv_sec;
    int64_t tv_nsec;
};

#define UTIME_NOW   ((1L << 30) - 1L)
#define UTIME_OMIT  ((1L << 30) - 2L)

#endif
