/* System calls on open descriptors: read(2), write(2), readv/writev,
 * pread64/pwrite64, lseek, close, dup/dup3, fcntl, ioctl, pipe2,
 * getdents64, ftruncate, sync/fsync, sendfile.  Linux aarch64 semantics:
 * -EBADF for a descriptor that is not open (or not open for that
 * direction), -EFAULT for a bad buffer, lengths clamped to MAX_RW_COUNT.
 *
 * Context: thread context of the calling process. */
#include "fs_priv.h"
#include "memlayout.h"
#include "mm.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "uaccess.h"

#define UIO_MAXIOV      1024
#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_GETLK         5
#define F_SETLK         6
#define F_SETLKW        7
#define F_SETOWN        8
#define F_GETOWN        9
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ    1032
#define FD_CLOEXEC      1
#define F_UNLCK         2
#define FIONBIO         0x5421
#define FIONCLEX        0x5450
#define FIOCLEX         0x5451
#define SENDFILE_CHUNK  4096

char *fs_getname(uint64_t upath, int *err)
{
    char *p = kmalloc(PATH_MAX);
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    long n = strncpy_from_user(p, upath, PATH_MAX);
    if (n < 0) {
        kfree(p);
        *err = (int)n;
        return NULL;
    }
    return p;
}

unsigned fs_umask(void)
{
    struct proc *p = current_proc();
    return p ? p->umask : 022;
}

static bool can_read(const struct file *f)
{
    return !(f->flags & O_PATH) && (f->flags & O_ACCMODE) != O_WRONLY;
}

static bool can_write(const struct file *f)
{
    unsigned a = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (a == O_WRONLY || a == O_RDWR);
}

ssize_t fs_file_read(struct file *f, const struct uio *u, size_t n,
                     uint64_t *ppos)
{
    if (f->inode && S_ISDIR(f->inode->mode))
        return -EISDIR;
    if (!f->ops->read)
        return -EINVAL;
    if (ppos)
        return f->stream ? -ESPIPE : f->ops->read(f, u, n, ppos);
    if (f->stream) {
        uint64_t dummy = 0;
        return f->ops->read(f, u, n, &dummy);
    }
    mutex_lock(&f->pos_lock);
    uint64_t pos = f->pos;
    ssize_t r = f->ops->read(f, u, n, &pos);
    f->pos = pos;
    mutex_unlock(&f->pos_lock);
    return r;
}

ssize_t fs_file_write(struct file *f, const struct uio *u, size_t n,
                      uint64_t *ppos)
{
    if (!f->ops->write)
        return -EINVAL;
    if (ppos)
        return f->stream ? -ESPIPE : f->ops->write(f, u, n, ppos);
    if (f->stream) {
        uint64_t dummy = 0;
        return f->ops->write(f, u, n, &dummy);
    }
    mutex_lock(&f->pos_lock);
    uint64_t pos = f->pos;
    ssize_t r = f->ops->write(f, u, n, &pos);
    f->pos = pos;
    mutex_unlock(&f->pos_lock);
    return r;
}

/* The common body of read/write/pread64/pwrite64. */
static long rw_common(int fd, uint64_t ubuf, uint64_t count, bool write,
                      uint64_t *ppos)
{
    struct file *f = fd_get_file(fd);
    if (!f)
        return -EBADF;
    long r;
    if (write ? !can_write(f) : !can_read(f)) {
        r = -EBADF;
        goto out;
    }
    /* Linux checks the whole range (access_ok) before clamping the
     * count to MAX_RW_COUNT, so a huge count is -EFAULT. */
    if (!user_range_ok(ubuf, count)) {
        r = -EFAULT;
        goto out;
    }
    size_t n = (size_t)MIN(count, (uint64_t)MAX_RW_COUNT);
    struct uio u = { .user = true, .uaddr = ubuf };
    r = write ? fs_file_write(f, &u, n, ppos) : fs_file_read(f, &u, n, ppos);
out:
    file_put(f);
    return r;
}

SYSCALL(__NR_read, read)
{
    return rw_common((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), false, NULL);
}

SYSCALL(__NR_write, write)
{
    return rw_common((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), true, NULL);
}

SYSCALL(__NR_pread64, pread64)
{
    int64_t off = (int64_t)SC_ARG(3);
    if (off < 0)
        return -EINVAL;
    uint64_t pos = (uint64_t)off;
    return rw_common((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), false, &pos);
}

SYSCALL(__NR_pwrite64, pwrite64)
{
    int64_t off = (int64_t)SC_ARG(3);
    if (off < 0)
        return -EINVAL;
    uint64_t pos = (uint64_t)off;
    return rw_common((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), true, &pos);
}

struct iovec_user {
    uint64_t base;
    uint64_t len;
};

/* readv/writev on a pipe or TTY: one read (a second one could block after
 * the first returned data) or one write per STREAM_CHUNK (so a writev of
 * at most PIPE_BUF bytes stays atomic), through a kernel buffer. */
#define STREAM_CHUNK    (64 * 1024)
static long rwv_stream(struct file *f, const struct iovec_user *iov,
                       uint64_t cnt, uint64_t total, bool write)
{
    size_t cap = (size_t)MIN(total, (uint64_t)STREAM_CHUNK);
    if (cap == 0)
        return 0;
    char *kbuf = kmalloc(cap);
    if (!kbuf)
        return -ENOMEM;
    struct uio ku = { .user = false, .kaddr = kbuf };
    long done = 0;
    uint64_t seg = 0, segoff = 0;       /* user-side cursor */
    for (;;) {
        size_t fill = 0;
        if (write) {
            /* Gather up to cap bytes from the cursor. */
            uint64_t s = seg, so = segoff;
            while (fill < cap && s < cnt) {
                size_t c = (size_t)MIN(iov[s].len - so, (uint64_t)(cap - fill));
                if (c && copy_from_user(kbuf + fill, iov[s].base + so, c)) {
                    kfree(kbuf);
                    return done ? done : -EFAULT;
                }
                fill += c;
                so += c;
                if (so == iov[s].len) {
                    s++;
                    so = 0;
                }
            }
            if (!fill)
                break;
            ssize_t n = fs_file_write(f, &ku, fill, NULL);
            if (n < 0) {
                if (!done)
                    done = n;
                break;
            }
            done += n;
            /* Advance the cursor by what was written. */
            for (size_t left = (size_t)n; left && seg < cnt;) {
                size_t c = (size_t)MIN(iov[seg].len - segoff, (uint64_t)left);
                left -= c;
                segoff += c;
                if (segoff == iov[seg].len) {
                    seg++;
                    segoff = 0;
                }
            }
            if ((size_t)n < fill || (uint64_t)done >= total)
                break;
        } else {
            ssize_t n = fs_file_read(f, &ku, cap, NULL);
            if (n <= 0) {
                done = n;
                break;
            }
            /* Scatter. */
            size_t at = 0;
            for (uint64_t s = 0; s < cnt && at < (size_t)n; s++) {
                size_t c = (size_t)MIN(iov[s].len, (uint64_t)((size_t)n - at));
                if (c && copy_to_user(iov[s].base, kbuf + at, c))
                    break;
                at += c;
            }
            done = at ? (long)at : -EFAULT;
            break;
        }
    }
    kfree(kbuf);
    return done;
}

/* readv(2)/writev(2): segments in order, stopping at the first short
 * transfer; errors only if nothing moved. */
static long rwv_common(int fd, uint64_t uiov, uint64_t cnt, bool write)
{
    if (cnt > UIO_MAXIOV)
        return -EINVAL;
    struct file *f = fd_get_file(fd);
    if (!f)
        return -EBADF;
    long r = 0;
    struct iovec_user *iov = NULL;
    if (write ? !can_write(f) : !can_read(f)) {
        r = -EBADF;
        goto out;
    }
    if (cnt == 0)
        goto out;
    iov = kmalloc(cnt * sizeof(*iov));
    if (!iov) {
        r = -ENOMEM;
        goto out;
    }
    if (copy_from_user(iov, uiov, cnt * sizeof(*iov))) {
        r = -EFAULT;
        goto out;
    }
    uint64_t total = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if ((int64_t)iov[i].len < 0 || iov[i].len > MAX_RW_COUNT - total) {
            /* Linux: -EINVAL if the sum overflows ssize_t; it clamps
             * at MAX_RW_COUNT otherwise. */
            if ((int64_t)iov[i].len < 0) {
                r = -EINVAL;
                goto out;
            }
            iov[i].len = MAX_RW_COUNT - total;
        }
        total += iov[i].len;
        if (!user_range_ok(iov[i].base, iov[i].len)) {
            r = -EFAULT;
            goto out;
        }
    }
    if (f->stream) {
        r = rwv_stream(f, iov, cnt, total, write);
        goto out;
    }
    long done = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!iov[i].len)
            continue;
        struct uio u = { .user = true, .uaddr = iov[i].base };
        ssize_t n = write ? fs_file_write(f, &u, iov[i].len, NULL)
                          : fs_file_read(f, &u, iov[i].len, NULL);
        if (n < 0) {
            if (!done)
                done = n;
            break;
        }
        done += n;
        if ((uint64_t)n < iov[i].len)
            break;
    }
    r = done;
out:
    kfree(iov);
    file_put(f);
    return r;
}

SYSCALL(__NR_readv, readv)
{
    return rwv_common((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), false);
}

SYSCALL(__NR_writev, writev)
{
    return rwv_common((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), true);
}

SYSCALL(__NR_lseek, lseek)
{
    int fd = (int)SC_ARG(0);
    int64_t off = (int64_t)SC_ARG(1);
    unsigned whence = (unsigned)SC_ARG(2);
    struct file *f = fd_get_file(fd);
    if (!f)
        return -EBADF;
    long r;
    if (f->stream || !f->inode) {
        r = -ESPIPE;
        goto out;
    }
    mutex_lock(&f->pos_lock);
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)f->pos;
        break;
    case SEEK_END:
        base = (int64_t)f->inode->size;
        break;
    default:
        base = -1;
        break;
    }
    if (base < 0 || (off > 0 && base > INT64_MAX - off) || base + off < 0) {
        r = -EINVAL;
    } else {
        f->pos = (uint64_t)(base + off);
        r = (long)f->pos;
    }
    mutex_unlock(&f->pos_lock);
out:
    file_put(f);
    return r;
}

SYSCALL(__NR_close, close)
{
    return fdtable_close(current_fdt(), (int)SC_ARG(0));
}

SYSCALL(__NR_dup, dup)
{
    struct file *f = fd_get_file((int)SC_ARG(0));
    if (!f)
        return -EBADF;
    int r = fdtable_install(current_fdt(), f, false);
    if (r < 0)
        file_put(f);
    return r;
}

SYSCALL(__NR_dup3, dup3)
{
    int oldfd = (int)SC_ARG(0), newfd = (int)SC_ARG(1);
    unsigned flags = (unsigned)SC_ARG(2);
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    if (newfd < 0 || newfd >= FD_MAX)
        return -EBADF;
    struct file *f = fd_get_file(oldfd);
    if (!f)
        return -EBADF;
    return fdtable_install_at(current_fdt(), f, newfd, flags & O_CLOEXEC);
}

SYSCALL(__NR_fcntl, fcntl)
{
    int fd = (int)SC_ARG(0);
    unsigned cmd = (unsigned)SC_ARG(1);
    uint64_t arg = SC_ARG(2);
    struct fdtable *t = current_fdt();
    struct file *f = fd_get_file(fd);
    if (!f)
        return -EBADF;
    long r = 0;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= FD_MAX) {
            r = -EINVAL;
            break;
        }
        file_get(f);
        r = fdtable_install_min(t, f, (int)arg, cmd == F_DUPFD_CLOEXEC);
        if (r < 0)
            file_put(f);
        break;
    case F_GETFD:
        r = fdtable_get_cloexec(t, fd) > 0 ? FD_CLOEXEC : 0;
        break;
    case F_SETFD:
        r = fdtable_set_cloexec(t, fd, arg & FD_CLOEXEC);
        break;
    case F_GETFL:
        r = f->flags;
        break;
    case F_SETFL: {
        /* Only O_APPEND and O_NONBLOCK change (fcntl(2)). */
        unsigned chg = O_APPEND | O_NONBLOCK;
        mutex_lock(&f->pos_lock);
        f->flags = (f->flags & ~chg) | ((unsigned)arg & chg);
        mutex_unlock(&f->pos_lock);
        break;
    }
    case F_GETLK: {
        /* No locks are ever held: report the range unlocked. */
        int16_t type = F_UNLCK;
        r = put_user(type, arg);
        break;
    }
    case F_SETLK:
    case F_SETLKW:
    case F_SETOWN:
        r = 0;                      /* advisory locks are not enforced */
        break;
    case F_GETOWN:
        r = 0;
        break;
    case F_GETPIPE_SZ:
        r = f->inode && S_ISFIFO(f->inode->mode) ? 65536 : -EINVAL;
        break;
    default:
        r = -EINVAL;
        break;
    }
    file_put(f);
    return r;
}

SYSCALL(__NR_ioctl, ioctl)
{
    int fd = (int)SC_ARG(0);
    unsigned long cmd = (unsigned)SC_ARG(1);
    uint64_t arg = SC_ARG(2);
    struct file *f = fd_get_file(fd);
    if (!f)
        return -EBADF;
    long r;
    if (f->flags & O_PATH) {
        r = -EBADF;
    } else if (cmd == FIOCLEX || cmd == FIONCLEX) {
        r = fdtable_set_cloexec(current_fdt(), fd, cmd == FIOCLEX);
    } else if (cmd == FIONBIO) {
        int on;
        r = get_user(on, arg);
        if (!r) {
            mutex_lock(&f->pos_lock);
            f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
            mutex_unlock(&f->pos_lock);
        }
    } else {
        r = f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
    }
    file_put(f);
    return r;
}

SYSCALL(__NR_pipe2, pipe2)
{
    uint64_t ufds = SC_ARG(0);
    unsigned flags = (unsigned)SC_ARG(1);
    if (flags & ~(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    struct fdtable *t = current_fdt();
    struct file *rd, *wr;
    int r = pipe_create(&rd, &wr, flags);
    if (r)
        return r;
    int fds[2];
    fds[0] = fdtable_install(t, rd, flags & O_CLOEXEC);
    if (fds[0] < 0) {
        file_put(rd);
        file_put(wr);
        return fds[0];
    }
    fds[1] = fdtable_install(t, wr, flags & O_CLOEXEC);
    if (fds[1] < 0) {
        fdtable_close(t, fds[0]);
        file_put(wr);
        return fds[1];
    }
    if (copy_to_user(ufds, fds, sizeof(fds))) {
        fdtable_close(t, fds[0]);
        fdtable_close(t, fds[1]);
        return -EFAULT;
    }
    return 0;
}

SYSCALL(__NR_getdents64, getdents64)
{
    uint64_t ubuf = SC_ARG(1);
    size_t n = (uint32_t)SC_ARG(2);     /* unsigned int count in Linux */
    struct file *f = fd_get_file((int)SC_ARG(0));
    if (!f)
        return -EBADF;
    long r;
    if (!f->ops->getdents)
        r = (f->flags & O_PATH) ? -EBADF : -ENOTDIR;
    else if (!user_range_ok(ubuf, n))
        r = -EFAULT;
    else {
        struct uio u = { .user = true, .uaddr = ubuf };
        mutex_lock(&f->pos_lock);
        r = f->ops->getdents(f, &u, n);
        mutex_unlock(&f->pos_lock);
    }
    file_put(f);
    return r;
}

SYSCALL(__NR_ftruncate, ftruncate)
{
    int64_t len = (int64_t)SC_ARG(1);
    if (len < 0)
        return -EINVAL;
    struct file *f = fd_get_file((int)SC_ARG(0));
    if (!f)
        return -EBADF;
    long r;
    if (!can_write(f) || !f->inode)
        r = (f->flags & O_PATH) ? -EBADF : -EINVAL;
    else
        r = vfs_truncate(f->inode, (uint64_t)len);
    file_put(f);
    return r;
}

/* Everything lives in memory: there is nothing to write back. */
SYSCALL(__NR_sync, sync)
{
    return 0;
}

SYSCALL(__NR_fsync, fsync)
{
    struct file *f = fd_get_file((int)SC_ARG(0));
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

/* sendfile(2): in_fd -> out_fd through a kernel buffer, from *offset (and
 * updating it) if offset is given, else from in_fd's position. */
SYSCALL(__NR_sendfile, sendfile)
{
    int outfd = (int)SC_ARG(0), infd = (int)SC_ARG(1);
    uint64_t uoff = SC_ARG(2);
    size_t count = (size_t)MIN(SC_ARG(3), (uint64_t)MAX_RW_COUNT);
    struct file *in = fd_get_file(infd), *out = fd_get_file(outfd);
    long r = 0;
    char *buf = NULL;
    int64_t off = 0;
    if (!in || !out || !can_read(in) || !can_write(out)) {
        r = -EBADF;
        goto done;
    }
    if (uoff) {
        if (get_user(off, uoff)) {
            r = -EFAULT;
            goto done;
        }
        if (off < 0) {
            r = -EINVAL;
            goto done;
        }
    }
    buf = kmalloc(SENDFILE_CHUNK);
    if (!buf) {
        r = -ENOMEM;
        goto done;
    }
    size_t total = 0;
    while (total < count) {
        size_t c = MIN(count - total, (size_t)SENDFILE_CHUNK);
        struct uio ku = { .user = false, .kaddr = buf };
        /* A seekable input is read at an explicit position and its file
         * position moved by what was written, so a short write loses
         * nothing. */
        bool seekable = !in->stream;
        if (seekable && !uoff)
            off = (int64_t)READ_ONCE(in->pos);
        uint64_t pos = (uint64_t)off;
        ssize_t n = fs_file_read(in, &ku, c, seekable ? &pos : NULL);
        if (n <= 0) {
            if (n < 0 && !total)
                r = n;
            break;
        }
        ssize_t w = fs_file_write(out, &ku, (size_t)n, NULL);
        if (w < 0) {
            if (!total)
                r = w;
            break;
        }
        total += (size_t)w;
        off += w;
        if (seekable && !uoff) {
            mutex_lock(&in->pos_lock);
            in->pos = (uint64_t)off;
            mutex_unlock(&in->pos_lock);
        }
        if (w < n || (size_t)n < c)
            break;
        if (signal_pending())
            break;
    }
    if (total)
        r = (long)total;
    if (uoff && total && put_user(off, uoff))
        r = -EFAULT;
done:
    kfree(buf);
    file_put(in);
    file_put(out);
    return r;
}
