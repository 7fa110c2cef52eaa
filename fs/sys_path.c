/* System calls on path names: openat, chdir/fchdir, getcwd, mkdirat,
 * mknodat, unlinkat, renameat/renameat2, linkat, symlinkat, readlinkat,
 * faccessat, mount/umount2.  Each copies the path from user memory first
 * (fs_getname: -EFAULT, -ENAMETOOLONG), resolves dirfd (AT_FDCWD = cwd),
 * then calls the VFS (fs/vfs_ops.c).
 *
 * Context: thread context of the calling process. */
#include "fs_priv.h"
#include "mm.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"

#define RENAME_NOREPLACE    1
#define F_OK                0
#define X_OK                1
#define W_OK                2
#define R_OK                4
#define MS_REMOUNT          32
#define MNT_FORCE           1
#define MNT_DETACH          2
#define FSTYPE_MAX          64

int at_begin(int dirfd, uint64_t upath, bool empty_ok, char **path,
             struct inode **base)
{
    int err = 0;
    *base = NULL;
    *path = fs_getname(upath, &err);
    if (!*path)
        return err;
    if (!(*path)[0] && !empty_ok) {
        kfree(*path);
        *path = NULL;
        return -ENOENT;
    }
    err = namei_dirfd(dirfd, *path, empty_ok, base);
    if (err) {
        kfree(*path);
        *path = NULL;
    }
    return err;
}

void at_end(char *path, struct inode *base)
{
    kfree(path);
    inode_put(base);
}

SYSCALL(__NR_openat, openat)
{
    int dirfd = (int)SC_ARG(0);
    int flags = (int)SC_ARG(2);
    uint32_t mode = (uint32_t)SC_ARG(3) & S_IALLUGO & ~fs_umask();
    char *path;
    struct inode *base;
    int r = at_begin(dirfd, SC_ARG(1), false, &path, &base);
    if (r)
        return r;
    struct file *f;
    r = vfs_open(base, path, flags, mode, &f);
    at_end(path, base);
    if (r)
        return r;
    r = fdtable_install(current_fdt(), f, flags & O_CLOEXEC);
    if (r < 0)
        file_put(f);
    return r;
}

static int set_cwd(struct inode *dir)
{
    struct proc *p = current_proc();
    if (!p) {
        inode_put(dir);
        return -EINVAL;
    }
    struct inode *old = p->cwd;
    p->cwd = dir;           /* only this process's thread touches it */
    inode_put(old);
    return 0;
}

SYSCALL(__NR_chdir, chdir)
{
    char *path;
    struct inode *base, *dir;
    int r = at_begin(AT_FDCWD, SC_ARG(0), false, &path, &base);
    if (r)
        return r;
    r = vfs_lookup(base, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
    at_end(path, base);
    return r ? r : set_cwd(dir);
}

SYSCALL(__NR_fchdir, fchdir)
{
    struct file *f = fd_get_file((int)SC_ARG(0));
    if (!f)
        return -EBADF;
    struct inode *ino = f->inode;
    int r = -ENOTDIR;
    if (ino && S_ISDIR(ino->mode)) {
        inode_get(ino);
        r = set_cwd(ino);
    }
    file_put(f);
    return r;
}

/* Builds the cwd's absolute path right to left by finding each directory's
 * name in its parent.  Returns the length with the NUL, -ERANGE if size is
 * too small, -ENOENT if the cwd was removed (Linux getcwd(2)). */
int fs_getcwd(char *buf, size_t size)
{
    struct inode *cwd = vfs_cwd_inode();
    char *tmp = kmalloc(PATH_MAX);
    int r = 0;
    if (!tmp) {
        inode_put(cwd);
        return -ENOMEM;
    }
    size_t at = PATH_MAX - 1;
    tmp[at] = '\0';
    mutex_lock(&vfs_ns_lock);
    struct inode *d = cwd;
    for (;;) {
        while (d != vfs_root && d->covered)
            d = d->covered;
        if (d == vfs_root)
            break;
        struct inode *up = d->parent;
        if (d->nlink == 0 || !up) {
            r = -ENOENT;
            break;
        }
        struct dentry *name = NULL;
        struct list_head *pos;
        list_for_each(pos, &up->children) {
            struct dentry *e = list_entry(pos, struct dentry, node);
            struct inode *c = e->inode;
            while (c->mounted)
                c = c->mounted;
            if (e->inode == d || c == d) {
                name = e;
                break;
            }
        }
        if (!name) {
            r = -ENOENT;
            break;
        }
        if (at < (size_t)name->len + 1) {
            r = -ENAMETOOLONG;
            break;
        }
        at -= name->len;
        memcpy(tmp + at, name->name, name->len);
        tmp[--at] = '/';
        d = up;
    }
    mutex_unlock(&vfs_ns_lock);
    inode_put(cwd);
    if (!r) {
        if (at == PATH_MAX - 1)
            tmp[--at] = '/';
        size_t len = PATH_MAX - at;     /* with the NUL */
        if (len > size)
            r = -ERANGE;
        else {
            memcpy(buf, tmp + at, len);
            r = (int)len;
        }
    }
    kfree(tmp);
    return r;
}

SYSCALL(__NR_getcwd, getcwd)
{
    uint64_t ubuf = SC_ARG(0);
    size_t size = (size_t)SC_ARG(1);
    char *buf = kmalloc(PATH_MAX);
    if (!buf)
        return -ENOMEM;
    int r = fs_getcwd(buf, MIN(size, (size_t)PATH_MAX));
    if (r > 0 && copy_to_user(ubuf, buf, (size_t)r))
        r = -EFAULT;
    if (r == -ERANGE && size >= PATH_MAX)
        r = -ENAMETOOLONG;
    kfree(buf);
    return r;
}

SYSCALL(__NR_mkdirat, mkdirat)
{
    char *path;
    struct inode *base;
    int r = at_begin((int)SC_ARG(0), SC_ARG(1), false, &path, &base);
    if (r)
        return r;
    r = vfs_mkdir(base, path, (uint32_t)SC_ARG(2) & S_IALLUGO & ~fs_umask());
    at_end(path, base);
    return r;
}

SYSCALL(__NR_mknodat, mknodat)
{
    uint32_t mode = (uint32_t)SC_ARG(2);
    uint32_t dev = (uint32_t)SC_ARG(3);
    switch (mode & S_IFMT) {
    case 0:
    case S_IFREG:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        break;
    case S_IFDIR:
        return -EPERM;
    default:
        return -EINVAL;
    }
    char *path;
    struct inode *base;
    int r = at_begin((int)SC_ARG(0), SC_ARG(1), false, &path, &base);
    if (r)
        return r;
    mode = (mode & S_IFMT) | (mode & S_IALLUGO & ~fs_umask());
    bool dev_node = S_ISCHR(mode) || S_ISBLK(mode);
    r = vfs_mknod(base, path, mode, dev_node ? dev : 0);
    at_end(path, base);
    return r;
}

SYSCALL(__NR_unlinkat, unlinkat)
{
    int flags = (int)SC_ARG(2);
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    char *path;
    struct inode *base;
    int r = at_begin((int)SC_ARG(0), SC_ARG(1), false, &path, &base);
    if (r)
        return r;
    r = vfs_unlink(base, path, flags & AT_REMOVEDIR);
    at_end(path, base);
    return r;
}

static long rename_common(int odfd, uint64_t uold, int ndfd, uint64_t unew,
                          unsigned flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL;
    char *op, *np;
    struct inode *ob, *nb;
    int r = at_begin(odfd, uold, false, &op, &ob);
    if (r)
        return r;
    r = at_begin(ndfd, unew, false, &np, &nb);
    if (r) {
        at_end(op, ob);
        return r;
    }
    struct inode *exist;
    if ((flags & RENAME_NOREPLACE) && !vfs_lookup(nb, np, 0, &exist)) {
        inode_put(exist);
        r = -EEXIST;
    } else {
        r = vfs_rename(ob, op, nb, np);
    }
    at_end(op, ob);
    at_end(np, nb);
    return r;
}

SYSCALL(__NR_renameat, renameat)
{
    return rename_common((int)SC_ARG(0), SC_ARG(1), (int)SC_ARG(2),
                         SC_ARG(3), 0);
}

SYSCALL(__NR_renameat2, renameat2)
{
    return rename_common((int)SC_ARG(0), SC_ARG(1), (int)SC_ARG(2),
                         SC_ARG(3), (unsigned)SC_ARG(4));
}

SYSCALL(__NR_linkat, linkat)
{
    int flags = (int)SC_ARG(4);
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char *op, *np;
    struct inode *ob, *nb;
    int r = at_begin((int)SC_ARG(0), SC_ARG(1), flags & AT_EMPTY_PATH,
                     &op, &ob);
    if (r)
        return r;
    r = at_begin((int)SC_ARG(2), SC_ARG(3), false, &np, &nb);
    if (r) {
        at_end(op, ob);
        return r;
    }
    r = vfs_link_at(ob, op[0] ? op : ".", nb, np, flags & AT_SYMLINK_FOLLOW);
    at_end(op, ob);
    at_end(np, nb);
    return r;
}

SYSCALL(__NR_symlinkat, symlinkat)
{
    int err = 0;
    char *target = fs_getname(SC_ARG(0), &err);
    if (!target)
        return err;
    char *path;
    struct inode *base;
    int r = at_begin((int)SC_ARG(1), SC_ARG(2), false, &path, &base);
    if (!r) {
        r = vfs_symlink(base, target, path);
        at_end(path, base);
    }
    kfree(target);
    return r;
}

SYSCALL(__NR_readlinkat, readlinkat)
{
    uint64_t ubuf = SC_ARG(2);
    int64_t bufsiz = (int64_t)SC_ARG(3);
    if (bufsiz <= 0)
        return -EINVAL;
    char *path;
    struct inode *base, *ino;
    int r = at_begin((int)SC_ARG(0), SC_ARG(1), true, &path, &base);
    if (r)
        return r;
    r = vfs_lookup(base, path, LOOKUP_EMPTY, &ino);
    at_end(path, base);
    if (r)
        return r;
    long ret;
    char dyn[READLINK_DYN_MAX];
    if (S_ISLNK(ino->mode) && ino->iops && ino->iops->readlink) {
        int n = ino->iops->readlink(ino, dyn, sizeof(dyn));
        size_t len = n < 0 ? 0 : MIN((size_t)bufsiz, (size_t)n);
        ret = n < 0 ? n : copy_to_user(ubuf, dyn, len) ? -EFAULT : (long)len;
    } else if (!S_ISLNK(ino->mode) || !ino->symlink) {
        ret = -EINVAL;
    } else {
        /* The target cannot change (symlinks are immutable) and ino is
         * referenced, so no lock is needed for the copy. */
        size_t len = MIN((size_t)bufsiz, strlen(ino->symlink));
        ret = copy_to_user(ubuf, ino->symlink, len) ? -EFAULT : (long)len;
    }
    inode_put(ino);
    return ret;
}

/* access(2) as root: existence, and for X_OK some execute bit (or a
 * directory); W_OK fails on read-only filesystems (procfs). */
static long access_common(int dirfd, uint64_t upath, int mode, int flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char *path;
    struct inode *base, *ino;
    int r = at_begin(dirfd, upath, flags & AT_EMPTY_PATH, &path, &base);
    if (r)
        return r;
    unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (flags & AT_EMPTY_PATH)
        lf |= LOOKUP_EMPTY;
    r = vfs_lookup(base, path, lf, &ino);
    at_end(path, base);
    if (r)
        return r;
    if ((mode & X_OK) && !S_ISDIR(ino->mode) && !(ino->mode & S_IXUGO))
        r = -EACCES;
    else if ((mode & W_OK) && ino->iops && ino->iops->readonly &&
             !S_ISCHR(ino->mode))
        r = -EACCES;
    inode_put(ino);
    return r;
}

SYSCALL(__NR_faccessat, faccessat)
{
    return access_common((int)SC_ARG(0), SC_ARG(1), (int)SC_ARG(2), 0);
}

/* mount(2): "proc" mounts the one procfs instance on a directory;
 * "ramfs", "tmpfs" and "devtmpfs" succeed on an existing directory without
 * mounting anything (everything is in RAM already). */
SYSCALL(__NR_mount, mount)
{
    uint64_t utarget = SC_ARG(1), utype = SC_ARG(2);
    uint64_t flags = SC_ARG(3);
    char fstype[FSTYPE_MAX];
    char *path;
    struct inode *base, *dir;
    if (flags & MS_REMOUNT)
        return 0;
    if (!utype)
        return -EINVAL;
    long n = strncpy_from_user(fstype, utype, sizeof(fstype));
    if (n < 0)
        return n == -ENAMETOOLONG ? -ENODEV : n;
    int r = at_begin(AT_FDCWD, utarget, false, &path, &base);
    if (r)
        return r;
    r = vfs_lookup(base, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
    at_end(path, base);
    if (r)
        return r;
    if (!strcmp(fstype, "ramfs") || !strcmp(fstype, "tmpfs") ||
        !strcmp(fstype, "devtmpfs")) {
        inode_put(dir);
        return 0;
    }
    if (strcmp(fstype, "proc")) {
        inode_put(dir);
        return -ENODEV;
    }
    struct inode *proot = procfs_root();
    if (!proot) {
        inode_put(dir);
        return -ENOMEM;
    }
    mutex_lock(&vfs_ns_lock);
    if (dir == proot || proot->covered || dir->mounted) {
        r = -EBUSY;
    } else {
        inode_get(proot);
        dir->mounted = proot;       /* reference moves to the mount */
        inode_get(dir);
        proot->covered = dir;
        procfs_mounted();
    }
    mutex_unlock(&vfs_ns_lock);
    inode_put(proot);
    inode_put(dir);
    return r;
}

SYSCALL(__NR_umount2, umount2)
{
    int flags = (int)SC_ARG(1);
    if (flags & ~(MNT_FORCE | MNT_DETACH))
        return -EINVAL;
    char *path;
    struct inode *base, *mroot;
    int r = at_begin(AT_FDCWD, SC_ARG(0), false, &path, &base);
    if (r)
        return r;
    r = vfs_lookup(base, path, LOOKUP_FOLLOW, &mroot);
    at_end(path, base);
    if (r)
        return r;
    struct inode *mp = NULL;
    mutex_lock(&vfs_ns_lock);
    if (mroot == vfs_root) {
        r = -EBUSY;
    } else if (!mroot->covered) {
        r = -EINVAL;                /* not a mount point */
    } else {
        /* Lazy, as MNT_DETACH: open files keep the old tree alive. */
        mp = mroot->covered;
        mroot->covered = NULL;
        mp->mounted = NULL;
    }
    mutex_unlock(&vfs_ns_lock);
    if (mp) {
        inode_put(mroot);           /* mp->mounted's reference */
        inode_put(mp);              /* mroot->covered's reference */
    }
    inode_put(mroot);
    return r;
}
