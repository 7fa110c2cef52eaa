/* Namespace operations (create, link, unlink, rename, open) on top of the
 * path walk, with Linux's error semantics (see the man pages of mkdir(2),
 * unlink(2), rmdir(2), rename(2), link(2), open(2)).  Paths are kernel
 * strings; base is the directory relative paths start from (borrowed).
 *
 * Context: thread context; each operation holds vfs_ns_lock throughout, so
 * it is atomic with respect to every other namespace change. */
#include "fs_priv.h"
#include "mm.h"
#include "string.h"

static bool is_dot(const char *n, size_t len)
{
    return len == 1 && n[0] == '.';
}

static bool is_dotdot(const char *n, size_t len)
{
    return len == 2 && n[0] == '.' && n[1] == '.';
}

static bool dir_readonly(const struct inode *dir)
{
    return dir->iops && dir->iops->readonly;
}

/* Creates a new inode called res->name in res->inode.  Caller holds the
 * lock and has checked the name is free. */
static int create_locked(struct walk_result *res, uint32_t mode,
                         uint32_t rdev, struct inode **out)
{
    struct inode *dir = res->inode;
    if (dir->nlink == 0)
        return -ENOENT;
    if (dir_readonly(dir))
        return -EACCES;
    struct inode *ino = inode_new(mode, dir->dev);
    if (!ino)
        return -ENOMEM;
    ino->rdev = rdev;
    int r = ramfs_add(dir, res->name, res->len, ino);
    if (r) {
        inode_put(ino);
        return r;
    }
    if (out)
        *out = ino;
    else
        inode_put(ino);
    return 0;
}

int vfs_mknod(struct inode *base, const char *path, uint32_t mode,
              uint32_t rdev)
{
    struct walk_result res;
    if (!(mode & S_IFMT))
        mode |= S_IFREG;
    mutex_lock(&vfs_ns_lock);
    int r = namei_walk(base, path, LOOKUP_PARENT, &res);
    if (r)
        goto out;
    if (is_dot(res.name, res.len) || is_dotdot(res.name, res.len) ||
        ramfs_find(res.inode, res.name, res.len))
        r = -EEXIST;
    else if (res.trailing && !S_ISDIR(mode))
        r = -ENOENT;                    /* "mknod foo/" (Linux: ENOENT) */
    else
        r = create_locked(&res, mode, rdev, NULL);
    inode_put(res.inode);
out:
    mutex_unlock(&vfs_ns_lock);
    return r;
}

int vfs_mkdir(struct inode *base, const char *path, uint32_t mode)
{
    return vfs_mknod(base, path, S_IFDIR | (mode & S_IALLUGO), 0);
}

int vfs_symlink(struct inode *base, const char *target, const char *path)
{
    size_t tlen = strnlen(target, PATH_MAX);
    if (tlen == 0)
        return -ENOENT;
    if (tlen >= PATH_MAX)
        return -ENAMETOOLONG;
    char *copy = kmalloc(tlen + 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, target, tlen + 1);

    struct walk_result res;
    struct inode *ino = NULL;
    mutex_lock(&vfs_ns_lock);
    int r = namei_walk(base, path, LOOKUP_PARENT, &res);
    if (r)
        goto out;
    if (is_dot(res.name, res.len) || is_dotdot(res.name, res.len) ||
        ramfs_find(res.inode, res.name, res.len))
        r = -EEXIST;
    else if (res.trailing)
        r = -ENOENT;
    else if (!(r = create_locked(&res, S_IFLNK | 0777, 0, &ino))) {
        ino->symlink = copy;
        ino->size = tlen;
        copy = NULL;
        inode_put(ino);
    }
    inode_put(res.inode);
out:
    mutex_unlock(&vfs_ns_lock);
    kfree(copy);
    return r;
}

int vfs_link_at(struct inode *obase, const char *oldpath, struct inode *nbase,
                const char *newpath, bool follow)
{
    struct walk_result o, n;
    mutex_lock(&vfs_ns_lock);
    int r = namei_walk(obase, oldpath, follow ? LOOKUP_FOLLOW : 0, &o);
    if (r)
        goto out;
    if (S_ISDIR(o.inode->mode)) {
        r = -EPERM;                     /* link(2): no hard links to dirs */
        goto put_old;
    }
    if ((r = namei_walk(nbase, newpath, LOOKUP_PARENT, &n)))
        goto put_old;
    if (is_dot(n.name, n.len) || is_dotdot(n.name, n.len) ||
        ramfs_find(n.inode, n.name, n.len))
        r = -EEXIST;
    else if (n.trailing)
        r = -ENOENT;
    else if (n.inode->dev != o.inode->dev)
        r = -EXDEV;
    else if (n.inode->nlink == 0)
        r = -ENOENT;
    else if (dir_readonly(n.inode))
        r = -EACCES;
    else
        r = ramfs_add(n.inode, n.name, n.len, o.inode);
    inode_put(n.inode);
put_old:
    inode_put(o.inode);
out:
    mutex_unlock(&vfs_ns_lock);
    return r;
}

int vfs_link(struct inode *base, const char *oldpath, const char *newpath)
{
    return vfs_link_at(base, oldpath, base, newpath, false);
}

int vfs_unlink(struct inode *base, const char *path, bool rmdir)
{
    struct walk_result res;
    mutex_lock(&vfs_ns_lock);
    int r = namei_walk(base, path, LOOKUP_PARENT, &res);
    if (r)
        goto out;
    struct inode *dir = res.inode;
    struct dentry *d;
    if (is_dot(res.name, res.len))
        r = rmdir ? -EINVAL : -EISDIR;
    else if (is_dotdot(res.name, res.len))
        r = rmdir ? -ENOTEMPTY : -EISDIR;
    else if (!(d = ramfs_find(dir, res.name, res.len)))
        r = -ENOENT;
    else if (dir_readonly(dir))
        r = -EACCES;
    else if (rmdir) {
        struct inode *ino = d->inode;
        if (!S_ISDIR(ino->mode))
            r = -ENOTDIR;
        else if (ino->mounted)
            r = -EBUSY;
        else if (!ramfs_dir_empty(ino))
            r = -ENOTEMPTY;
        else
            ramfs_remove(dir, d);
    } else {
        if (S_ISDIR(d->inode->mode))
            r = -EISDIR;
        else if (res.trailing)
            r = -ENOTDIR;
        else
            ramfs_remove(dir, d);
    }
    inode_put(dir);
out:
    mutex_unlock(&vfs_ns_lock);
    return r;
}

/* Is dir the same as or below anc? (rename(2): EINVAL when moving a
 * directory into its own subtree.) */
static bool is_below(struct inode *dir, struct inode *anc)
{
    for (struct inode *d = dir; d; d = d->parent) {
        if (d == anc)
            return true;
        if (d == vfs_root)
            break;
    }
    return false;
}

int vfs_rename(struct inode *obase, const char *oldpath,
               struct inode *nbase, const char *newpath)
{
    struct walk_result o, n;
    mutex_lock(&vfs_ns_lock);
    int r = namei_walk(obase, oldpath, LOOKUP_PARENT, &o);
    if (r)
        goto out;
    if ((r = namei_walk(nbase, newpath, LOOKUP_PARENT, &n)))
        goto put_old;
    struct dentry *od = NULL, *nd;
    if (is_dot(o.name, o.len) || is_dotdot(o.name, o.len) ||
        is_dot(n.name, n.len) || is_dotdot(n.name, n.len)) {
        r = -EBUSY;
        goto put_both;
    }
    if (!(od = ramfs_find(o.inode, o.name, o.len))) {
        r = -ENOENT;
        goto put_both;
    }
    struct inode *src = od->inode;
    nd = ramfs_find(n.inode, n.name, n.len);
    if (dir_readonly(o.inode) || dir_readonly(n.inode)) {
        r = -EACCES;
    } else if (o.inode->dev != n.inode->dev || src->mounted) {
        r = src->mounted ? -EBUSY : -EXDEV;
    } else if ((o.trailing || n.trailing) && !S_ISDIR(src->mode)) {
        r = -ENOTDIR;
    } else if (n.inode->nlink == 0) {
        r = -ENOENT;
    } else if (nd && nd->inode == src) {
        r = 0;                          /* same file: nothing to do */
    } else if (S_ISDIR(src->mode) && is_below(n.inode, src)) {
        r = -EINVAL;
    } else if (nd && S_ISDIR(src->mode) && !S_ISDIR(nd->inode->mode)) {
        r = -ENOTDIR;
    } else if (nd && !S_ISDIR(src->mode) && S_ISDIR(nd->inode->mode)) {
        r = -EISDIR;
    } else if (nd && S_ISDIR(nd->inode->mode) &&
               (!ramfs_dir_empty(nd->inode) || nd->inode->mounted)) {
        r = nd->inode->mounted ? -EBUSY : -ENOTEMPTY;
    } else {
        /* Add the new name first so a failure leaves the old one. */
        inode_get(src);
        struct inode *oldparent = o.inode;
        struct dentry *victim = nd;
        if (victim)
            list_del(&victim->node);    /* unhook; released below */
        r = ramfs_add(n.inode, n.name, n.len, src);
        if (r) {
            if (victim)
                list_add_tail(&victim->node, &n.inode->children);
        } else {
            /* ramfs_remove fixes the old parent's link count; for a
             * directory, ramfs_add already repointed ->parent. */
            if (S_ISDIR(src->mode)) {
                list_del(&od->node);
                oldparent->nlink--;
                vfs_touch(oldparent, true);
                kfree(od);
                inode_put(src);         /* the old entry's reference */
            } else {
                ramfs_remove(oldparent, od);    /* undoes add's nlink++ */
            }
            if (victim) {
                /* Re-link then remove so the counts come out right. */
                list_add_tail(&victim->node, &n.inode->children);
                ramfs_remove(n.inode, victim);
            }
        }
        inode_put(src);
    }
put_both:
    inode_put(n.inode);
put_old:
    inode_put(o.inode);
out:
    mutex_unlock(&vfs_ns_lock);
    return r;
}

/* O_PATH descriptors: only for fstat, fchdir and *at() bases. */
static const struct file_ops path_ops = { 0 };

/* Picks the operations for an inode being opened (open(2) errors). */
static int open_ops(struct inode *ino, int oflags,
                    const struct file_ops **ops)
{
    unsigned acc = oflags & O_ACCMODE;
    bool wr = acc == O_WRONLY || acc == O_RDWR;
    if ((oflags & O_DIRECTORY) && !S_ISDIR(ino->mode))
        return -ENOTDIR;
    if (oflags & O_PATH) {
        *ops = &path_ops;
        return 0;
    }
    if (wr && ino->iops && ino->iops->readonly && !S_ISCHR(ino->mode))
        return -EACCES;
    switch (ino->mode & S_IFMT) {
    case S_IFREG:
        *ops = ino->fops ? ino->fops : &ramfs_file_ops;
        return 0;
    case S_IFDIR:
        if (wr || (oflags & O_CREAT))
            return -EISDIR;
        *ops = ino->fops ? ino->fops : &ramfs_dir_ops;
        return 0;
    case S_IFCHR:
        *ops = chrdev_ops(ino->rdev);
        return *ops ? 0 : -ENXIO;
    case S_IFIFO:
        *ops = NULL;                /* pipe_fifo_open, after the lock */
        return 0;
    case S_IFLNK:
        return -ELOOP;
    default:
        return -ENXIO;              /* block devices, sockets */
    }
}

int vfs_open(struct inode *base, const char *path, int oflags, uint32_t mode,
             struct file **out)
{
    struct walk_result res;
    struct inode *ino = NULL;
    int r;

    *out = NULL;
    if ((oflags & O_ACCMODE) == O_ACCMODE)
        return -EINVAL;
    mutex_lock(&vfs_ns_lock);
    if (oflags & O_CREAT) {
        if ((r = namei_walk(base, path, LOOKUP_PARENT, &res)))
            goto out;
        struct inode *dir = res.inode;
        struct dentry *d = NULL;
        if (is_dot(res.name, res.len) || is_dotdot(res.name, res.len) ||
            res.trailing)
            r = -EISDIR;
        else if (!(d = ramfs_find(dir, res.name, res.len)))
            r = create_locked(&res, S_IFREG | (mode & S_IALLUGO), 0, &ino);
        else if (oflags & O_EXCL)
            r = -EEXIST;
        else if (S_ISLNK(d->inode->mode)) {
            if (oflags & O_NOFOLLOW) {
                r = -ELOOP;
            } else {
                /* Follow it; a dangling link is not created through
                 * (Linux would create the target). */
                struct walk_result t;
                r = namei_walk(dir, res.name, LOOKUP_FOLLOW, &t);
                ino = t.inode;
            }
        } else {
            ino = d->inode;
            while (ino->mounted)
                ino = ino->mounted;
            inode_get(ino);
        }
        inode_put(dir);
        if (r)
            goto out;
    } else {
        unsigned lf = (oflags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
        if (oflags & O_DIRECTORY)
            lf |= LOOKUP_DIRECTORY;
        if ((r = namei_walk(base, path, lf, &res)))
            goto out;
        ino = res.inode;
    }

    const struct file_ops *ops;
    if ((r = open_ops(ino, oflags, &ops)))
        goto put;
    if ((oflags & O_TRUNC) && S_ISREG(ino->mode) && !(oflags & O_PATH) &&
        !ino->fops) {
        mutex_lock(&ino->data_lock);
        r = ramfs_truncate_locked(ino, 0);
        mutex_unlock(&ino->data_lock);
        if (r)
            goto put;
    }
    unsigned keep = oflags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC |
                               O_CLOEXEC);
    struct file *f = file_alloc(ino, ops, keep);
    if (!f) {
        r = -ENOMEM;
        goto put;
    }
    f->stream = S_ISCHR(ino->mode);
    mutex_unlock(&vfs_ns_lock);
    if (!ops) {
        /* A FIFO: may wait for the other end, so not under the lock. */
        r = pipe_fifo_open(f);
        if (r) {
            file_put(f);
            return r;
        }
    }
    *out = f;                       /* the file took our inode reference */
    return 0;
put:
    inode_put(ino);
out:
    mutex_unlock(&vfs_ns_lock);
    return r;
}

int vfs_truncate(struct inode *ino, uint64_t size)
{
    if (S_ISDIR(ino->mode))
        return -EISDIR;
    if (!S_ISREG(ino->mode) || ino->fops)
        return -EINVAL;
    mutex_lock(&ino->data_lock);
    int r = ramfs_truncate_locked(ino, size);
    mutex_unlock(&ino->data_lock);
    return r;
}
