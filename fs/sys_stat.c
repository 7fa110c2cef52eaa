/* File status and attributes: fstat, newfstatat, statx, statfs, fstatfs,
 * fchmod/fchmodat, fchown/fchownat, utimensat.  Struct layouts in
 * include/stat.h.  Everybody is root: ownership changes are recorded and
 * never refused.
 *
 * Context: thread context of the calling process. */
#include "fs_priv.h"
#include "mm.h"
#include "stat.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"

#define STAT_BLKSIZE    4096
#define STAT_BLOCK      512     /* st_blocks unit */

static uint64_t ino_blocks(const struct inode *ino)
{
    return DIV_ROUND_UP(ino->size, STAT_BLKSIZE) * (STAT_BLKSIZE / STAT_BLOCK);
}

static void fill_stat(const struct inode *ino, struct kstat_user *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = ino->dev;
    st->st_ino = ino->ino;
    st->st_mode = ino->mode;
    st->st_nlink = ino->nlink;
    st->st_uid = ino->uid;
    st->st_gid = ino->gid;
    st->st_rdev = ino->rdev;
    st->st_size = (int64_t)ino->size;
    st->st_blksize = STAT_BLKSIZE;
    st->st_blocks = (int64_t)ino_blocks(ino);
    st->st_atime_sec = (int64_t)(ino->atime_ns / NSEC_PER_SEC);
    st->st_atime_nsec = ino->atime_ns % NSEC_PER_SEC;
    st->st_mtime_sec = (int64_t)(ino->mtime_ns / NSEC_PER_SEC);
    st->st_mtime_nsec = ino->mtime_ns % NSEC_PER_SEC;
    st->st_ctime_sec = (int64_t)(ino->ctime_ns / NSEC_PER_SEC);
    st->st_ctime_nsec = ino->ctime_ns % NSEC_PER_SEC;
}

static struct statx_timestamp stx_time(uint64_t ns)
{
    return (struct statx_timestamp){ .tv_sec = (int64_t)(ns / NSEC_PER_SEC),
                                     .tv_nsec = (uint32_t)(ns % NSEC_PER_SEC) };
}

/* The inode behind (dirfd, path, flags): AT_EMPTY_PATH with "" names dirfd
 * itself (any file, pipes too), AT_SYMLINK_NOFOLLOW stats a link. */
static int stat_lookup(int dirfd, uint64_t upath, int flags,
                       struct inode **out)
{
    char *path;
    struct inode *base;
    int r = at_begin(dirfd, upath, flags & AT_EMPTY_PATH, &path, &base);
    if (r)
        return r;
    unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (flags & AT_EMPTY_PATH)
        lf |= LOOKUP_EMPTY;
    r = vfs_lookup(base, path, lf, out);
    at_end(path, base);
    return r;
}

static int fd_inode(int fd, struct inode **out)
{
    struct file *f = fd_get_file(fd);
    if (!f)
        return -EBADF;
    *out = f->inode;
    inode_get(*out);
    file_put(f);
    return *out ? 0 : -EBADF;
}

static long stat_out(struct inode *ino, uint64_t ubuf)
{
    struct kstat_user st;
    mutex_lock(&vfs_ns_lock);
    fill_stat(ino, &st);
    mutex_unlock(&vfs_ns_lock);
    inode_put(ino);
    return copy_to_user(ubuf, &st, sizeof(st)) ? -EFAULT : 0;
}

SYSCALL(__NR_fstat, fstat)
{
    struct inode *ino;
    int r = fd_inode((int)SC_ARG(0), &ino);
    return r ? r : stat_out(ino, SC_ARG(1));
}

SYSCALL(__NR_newfstatat, newfstatat)
{
    int flags = (int)SC_ARG(3);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct inode *ino;
    int r = stat_lookup((int)SC_ARG(0), SC_ARG(1), flags, &ino);
    return r ? r : stat_out(ino, SC_ARG(2));
}

SYSCALL(__NR_statx, statx)
{
    int flags = (int)SC_ARG(2);
    uint64_t ubuf = SC_ARG(4);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
                  AT_STATX_SYNC_TYPE))
        return -EINVAL;
    struct inode *ino;
    int r = stat_lookup((int)SC_ARG(0), SC_ARG(1), flags, &ino);
    if (r)
        return r;
    struct statx_user sx;
    memset(&sx, 0, sizeof(sx));
    mutex_lock(&vfs_ns_lock);
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = STAT_BLKSIZE;
    sx.stx_nlink = ino->nlink;
    sx.stx_uid = ino->uid;
    sx.stx_gid = ino->gid;
    sx.stx_mode = (uint16_t)ino->mode;
    sx.stx_ino = ino->ino;
    sx.stx_size = ino->size;
    sx.stx_blocks = ino_blocks(ino);
    sx.stx_atime = stx_time(ino->atime_ns);
    sx.stx_mtime = stx_time(ino->mtime_ns);
    sx.stx_ctime = stx_time(ino->ctime_ns);
    sx.stx_btime = stx_time(ino->ctime_ns);    /* not in the mask */
    sx.stx_rdev_major = MAJOR(ino->rdev);
    sx.stx_rdev_minor = MINOR(ino->rdev);
    sx.stx_dev_major = 0;
    sx.stx_dev_minor = ino->dev;
    mutex_unlock(&vfs_ns_lock);
    inode_put(ino);
    return copy_to_user(ubuf, &sx, sizeof(sx)) ? -EFAULT : 0;
}

static long statfs_out(struct inode *ino, uint64_t ubuf)
{
    struct statfs_user sf;
    memset(&sf, 0, sizeof(sf));
    sf.f_type = ino->dev == FS_DEV_PROCFS ? PROC_SUPER_MAGIC
              : ino->dev == FS_DEV_PIPEFS ? PIPEFS_MAGIC : RAMFS_MAGIC;
    sf.f_bsize = PAGE_SIZE;
    sf.f_frsize = PAGE_SIZE;
    if (ino->dev == FS_DEV_RAMFS) {
        /* RAM is the limit: report the frames as the filesystem's. */
        sf.f_blocks = frame_total_count();
        sf.f_bfree = sf.f_bavail = frame_free_count();
    }
    sf.f_namelen = NAME_MAX;
    sf.f_fsid[0] = (int32_t)ino->dev;
    inode_put(ino);
    return copy_to_user(ubuf, &sf, sizeof(sf)) ? -EFAULT : 0;
}

SYSCALL(__NR_statfs, statfs)
{
    struct inode *ino;
    int r = stat_lookup(AT_FDCWD, SC_ARG(0), 0, &ino);
    return r ? r : statfs_out(ino, SC_ARG(1));
}

SYSCALL(__NR_fstatfs, fstatfs)
{
    struct inode *ino;
    int r = fd_inode((int)SC_ARG(0), &ino);
    return r ? r : statfs_out(ino, SC_ARG(1));
}

static long chmod_inode(struct inode *ino, uint32_t mode)
{
    int r = 0;
    mutex_lock(&vfs_ns_lock);
    if (ino->iops && ino->iops->readonly)
        r = -EPERM;
    else {
        ino->mode = (ino->mode & S_IFMT) | (mode & S_IALLUGO);
        ino->ctime_ns = vfs_now_ns();
    }
    mutex_unlock(&vfs_ns_lock);
    inode_put(ino);
    return r;
}

SYSCALL(__NR_fchmod, fchmod)
{
    struct inode *ino;
    int r = fd_inode((int)SC_ARG(0), &ino);
    return r ? r : chmod_inode(ino, (uint32_t)SC_ARG(1));
}

SYSCALL(__NR_fchmodat, fchmodat)
{
    struct inode *ino;
    int r = stat_lookup((int)SC_ARG(0), SC_ARG(1), 0, &ino);
    return r ? r : chmod_inode(ino, (uint32_t)SC_ARG(2));
}

/* uid/gid -1 (as 32-bit) leave that id unchanged (chown(2)). */
static long chown_inode(struct inode *ino, uint32_t uid, uint32_t gid)
{
    mutex_lock(&vfs_ns_lock);
    if (uid != (uint32_t)-1)
        ino->uid = uid;
    if (gid != (uint32_t)-1)
        ino->gid = gid;
    ino->ctime_ns = vfs_now_ns();
    mutex_unlock(&vfs_ns_lock);
    inode_put(ino);
    return 0;
}

SYSCALL(__NR_fchown, fchown)
{
    struct inode *ino;
    int r = fd_inode((int)SC_ARG(0), &ino);
    return r ? r : chown_inode(ino, (uint32_t)SC_ARG(1), (uint32_t)SC_ARG(2));
}

SYSCALL(__NR_fchownat, fchownat)
{
    int flags = (int)SC_ARG(4);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct inode *ino;
    int r = stat_lookup((int)SC_ARG(0), SC_ARG(1), flags, &ino);
    return r ? r : chown_inode(ino, (uint32_t)SC_ARG(2), (uint32_t)SC_ARG(3));
}

static int ts_to_ns(const struct timespec_user *ts, uint64_t now,
                    uint64_t old, uint64_t *out)
{
    if (ts->tv_nsec == UTIME_NOW) {
        *out = now;
        return 0;
    }
    if (ts->tv_nsec == UTIME_OMIT) {
        *out = old;
        return 0;
    }
    if (ts->tv_nsec < 0 || ts->tv_nsec >= (int64_t)NSEC_PER_SEC ||
        ts->tv_sec < 0)
        return -EINVAL;
    *out = (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
    return 0;
}

/* utimensat(2); a NULL path (Linux extension, futimens) means dirfd. */
SYSCALL(__NR_utimensat, utimensat)
{
    int dirfd = (int)SC_ARG(0);
    uint64_t upath = SC_ARG(1), utimes = SC_ARG(2);
    int flags = (int)SC_ARG(3);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct timespec_user ts[2];
    if (utimes && copy_from_user(ts, utimes, sizeof(ts)))
        return -EFAULT;
    struct inode *ino;
    int r = upath ? stat_lookup(dirfd, upath, flags, &ino)
                  : (dirfd == AT_FDCWD ? -EFAULT : fd_inode(dirfd, &ino));
    if (r)
        return r;
    uint64_t now = vfs_now_ns();
    mutex_lock(&vfs_ns_lock);
    uint64_t a = now, m = now;
    if (utimes) {
        r = ts_to_ns(&ts[0], now, ino->atime_ns, &a);
        if (!r)
            r = ts_to_ns(&ts[1], now, ino->mtime_ns, &m);
    }
    if (!r) {
        ino->atime_ns = a;
        ino->mtime_ns = m;
        ino->ctime_ns = now;
    }
    mutex_unlock(&vfs_ns_lock);
    inode_put(ino);
    return r;
}
