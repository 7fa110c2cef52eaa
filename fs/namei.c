/* Path lookup (Linux path_resolution(7) semantics): absolute or relative
 * to a directory, "." and ".." (the root's ".." is the root; a mounted
 * root's ".." leaves the mount), symlinks followed up to SYMLOOP_MAX per
 * lookup (-ELOOP beyond), NAME_MAX per component, and trailing slashes
 * requiring a directory.
 *
 * The walk is iterative: a symlink's target is pushed on a small stack of
 * pending strings and walked before the rest of the path, as Linux's
 * nameidata does, so 40 nested links cost no kernel stack recursion.
 *
 * Context: thread context with vfs_ns_lock held (namei_walk), so every
 * directory and symlink string stays put during the walk. */
#include "fs_priv.h"
#include "proc.h"
#include "string.h"

#define WALK_DYN_LINKS  4       /* computed link targets per lookup */

struct walk {
    const char *stack[SYMLOOP_MAX + 1];     /* pending strings, top last */
    int n;
    /* Storage for computed targets (/proc/self), which have no string of
     * their own to point at. */
    char dyn[WALK_DYN_LINKS][READLINK_DYN_MAX];
    int ndyn;
};

void vfs_touch(struct inode *ino, bool modify)
{
    uint64_t now = vfs_now_ns();
    if (modify)
        ino->mtime_ns = ino->ctime_ns = now;
}

/* The next component across the stack of pending strings.  last: nothing
 * but slashes remains anywhere; trailing: some of that was a slash. */
static bool walk_next(struct walk *w, const char **name, size_t *len,
                      bool *last, bool *trailing)
{
    while (w->n > 0) {
        const char *p = w->stack[w->n - 1];
        while (*p == '/')
            p++;
        if (!*p) {
            w->n--;
            continue;
        }
        *name = p;
        while (*p && *p != '/')
            p++;
        *len = (size_t)(p - *name);
        w->stack[w->n - 1] = p;
        *last = true;
        *trailing = false;
        for (int i = w->n - 1; i >= 0; i--) {
            const char *q = w->stack[i];
            while (*q == '/') {
                q++;
                *trailing = true;
            }
            if (*q) {
                *last = false;
                *trailing = false;
                break;
            }
        }
        return true;
    }
    return false;
}

/* One step from dir to name; *out referenced. */
static int walk_step(struct inode *dir, const char *name, size_t len,
                     struct inode **out)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (dir->nlink == 0)
        return -ENOENT;                 /* inside a removed directory */
    if (len == 1 && name[0] == '.') {
        inode_get(dir);
        *out = dir;
        return 0;
    }
    if (len == 2 && name[0] == '.' && name[1] == '.') {
        struct inode *d = dir;
        while (d != vfs_root && d->covered)
            d = d->covered;             /* a mounted root: its mount point */
        struct inode *up = (d == vfs_root || !d->parent) ? d : d->parent;
        inode_get(up);
        *out = up;
        return 0;
    }
    struct dentry *de = ramfs_find(dir, name, len);
    if (!de)
        return -ENOENT;
    struct inode *c = de->inode;
    while (c->mounted)
        c = c->mounted;
    inode_get(c);
    *out = c;
    return 0;
}

int namei_walk(struct inode *base, const char *path, unsigned flags,
               struct walk_result *res)
{
    struct walk w = { .n = 0, .ndyn = 0 };
    const char *name = NULL;
    size_t len = 0;
    bool last = true, trailing = false, final_trailing = false;
    int links = 0, err;

    res->inode = NULL;
    res->name = NULL;
    res->len = 0;
    res->trailing = false;
    if (strnlen(path, PATH_MAX) >= PATH_MAX)
        return -ENAMETOOLONG;
    if (!*path && !(flags & LOOKUP_EMPTY))
        return -ENOENT;

    struct inode *cur = *path == '/' ? vfs_root : base;
    inode_get(cur);
    w.stack[w.n++] = path;
    while (walk_next(&w, &name, &len, &last, &trailing)) {
        if (len > NAME_MAX) {
            err = -ENAMETOOLONG;
            goto fail;
        }
        if (last && (flags & LOOKUP_PARENT)) {
            if (!S_ISDIR(cur->mode)) {
                err = -ENOTDIR;
                goto fail;
            }
            res->inode = cur;
            res->name = name;
            res->len = len;
            res->trailing = trailing;
            return 0;
        }
        struct inode *next;
        if ((err = walk_step(cur, name, len, &next)))
            goto fail;
        if (S_ISLNK(next->mode) &&
            (!last || trailing || (flags & LOOKUP_FOLLOW))) {
            /* The entry keeps the link inode (and so its target string)
             * alive: nothing unlinks while we hold vfs_ns_lock. */
            const char *target = next->symlink;
            if (next->iops && next->iops->readlink) {
                if (w.ndyn >= WALK_DYN_LINKS ||
                    next->iops->readlink(next, w.dyn[w.ndyn],
                                         READLINK_DYN_MAX) < 0) {
                    inode_put(next);
                    err = w.ndyn >= WALK_DYN_LINKS ? -ELOOP : -ENOENT;
                    goto fail;
                }
                target = w.dyn[w.ndyn++];
            }
            inode_put(next);
            if (++links > SYMLOOP_MAX || w.n >= (int)ARRAY_SIZE(w.stack)) {
                err = -ELOOP;
                goto fail;
            }
            if (!target || !*target) {
                err = -ENOENT;
                goto fail;
            }
            if (*target == '/') {
                inode_put(cur);
                cur = vfs_root;
                inode_get(cur);
            }
            w.stack[w.n++] = target;
            continue;                   /* resolved relative to cur */
        }
        inode_put(cur);
        cur = next;
        if (last)
            final_trailing = trailing;
    }
    if (flags & LOOKUP_PARENT) {
        /* No last component ("/", "//"): the directory itself, named ".". */
        if (!S_ISDIR(cur->mode)) {
            err = -ENOTDIR;
            goto fail;
        }
        res->inode = cur;
        res->name = ".";
        res->len = 1;
        res->trailing = true;
        return 0;
    }
    if ((final_trailing || (flags & LOOKUP_DIRECTORY)) && !S_ISDIR(cur->mode)) {
        err = -ENOTDIR;
        goto fail;
    }
    res->inode = cur;
    res->trailing = final_trailing;
    return 0;
fail:
    inode_put(cur);
    return err;
}

struct inode *vfs_cwd_inode(void)
{
    struct proc *p = current_proc();
    struct inode *c = (p && p->cwd) ? p->cwd : vfs_root;
    inode_get(c);
    return c;
}

int namei_dirfd(int dirfd, const char *path, bool empty_ok,
                struct inode **out)
{
    *out = NULL;
    if (path[0] == '/') {
        *out = vfs_root_inode();
        return 0;
    }
    if (dirfd == AT_FDCWD) {
        *out = vfs_cwd_inode();
        return 0;
    }
    struct file *f = fd_get_file(dirfd);
    if (!f)
        return -EBADF;
    struct inode *ino = f->inode;
    if (!ino || (!S_ISDIR(ino->mode) && !(empty_ok && !path[0]))) {
        file_put(f);
        return -ENOTDIR;
    }
    inode_get(ino);
    file_put(f);
    *out = ino;
    return 0;
}

int vfs_lookup(struct inode *start, const char *path, unsigned flags,
               struct inode **out)
{
    struct walk_result res;
    mutex_lock(&vfs_ns_lock);
    int r = namei_walk(start ? start : vfs_root, path, flags, &res);
    mutex_unlock(&vfs_ns_lock);
    *out = r ? NULL : res.inode;
    return r;
}

int vfs_lookup_at(int dirfd, const char *path, unsigned flags,
                  struct inode **out)
{
    struct inode *base;
    int r = namei_dirfd(dirfd, path, flags & LOOKUP_EMPTY, &base);
    if (r) {
        *out = NULL;
        return r;
    }
    r = vfs_lookup(base, path, flags, out);
    inode_put(base);
    return r;
}
