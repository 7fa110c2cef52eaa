/* Unpacks a cpio newc archive (the initramfs) into a ramfs directory, as
 * Linux's init/initramfs.c does: directories, regular files, symlinks,
 * device nodes, FIFOs; hard links by (ino, dev) for entries with nlink > 1;
 * mode, owner and mtime from the header.  A malformed archive stops the
 * unpacking with a log line; what was unpacked stays.
 *
 * Context: thread context (vfs_init, after the scheduler is up; ktests). */
#include "fs_priv.h"
#include "cpio.h"
#include "mm.h"
#include "printk.h"
#include "string.h"

struct hardlink {
    uint32_t ino, major, minor;
    char *path;
};

struct unpack {
    struct inode *root;
    struct hardlink *links;
    size_t nlinks, caplinks;
};

static const char *hardlink_find(struct unpack *up, const struct cpio_entry *e)
{
    for (size_t i = 0; i < up->nlinks; i++) {
        struct hardlink *h = &up->links[i];
        if (h->ino == e->ino && h->major == e->devmajor &&
            h->minor == e->devminor)
            return h->path;
    }
    return NULL;
}

static void hardlink_add(struct unpack *up, const struct cpio_entry *e,
                         const char *path)
{
    if (up->nlinks == up->caplinks) {
        size_t n = up->caplinks ? up->caplinks * 2 : 16;
        struct hardlink *a = kmalloc(n * sizeof(*a));
        if (!a)
            return;             /* later links become copies */
        if (up->links)
            memcpy(a, up->links, up->nlinks * sizeof(*a));
        kfree(up->links);
        up->links = a;
        up->caplinks = n;
    }
    size_t len = strlen(path);
    char *copy = kmalloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, path, len + 1);
    up->links[up->nlinks++] = (struct hardlink){ e->ino, e->devmajor,
                                                 e->devminor, copy };
}

static int write_data(struct unpack *up, const char *path,
                      const struct cpio_entry *e, bool create)
{
    struct file *f;
    int flags = O_WRONLY | O_TRUNC | (create ? O_CREAT | O_EXCL : 0);
    int r = vfs_open(up->root, path, flags, e->mode & S_IALLUGO, &f);
    if (r)
        return r;
    ssize_t w = file_kwrite(f, e->data, e->filesize, 0);
    file_put(f);
    if (w < 0)
        return (int)w;
    return (size_t)w == e->filesize ? 0 : -ENOSPC;
}

/* Header metadata onto the new inode (Linux keeps uid/gid and mtime). */
static void apply_meta(struct unpack *up, const char *path,
                       const struct cpio_entry *e)
{
    struct inode *ino;
    if (vfs_lookup(up->root, path, 0, &ino))
        return;
    mutex_lock(&vfs_ns_lock);
    ino->mode = (ino->mode & S_IFMT) | (e->mode & S_IALLUGO);
    ino->uid = e->uid;
    ino->gid = e->gid;
    ino->mtime_ns = (uint64_t)e->mtime * 1000000000ULL;
    mutex_unlock(&vfs_ns_lock);
    inode_put(ino);
}

static int unpack_entry(struct unpack *up, const struct cpio_entry *e,
                        const char *path)
{
    uint32_t type = e->mode & S_IFMT;
    int r;

    /* Like Linux, an existing non-directory is replaced. */
    if (type != S_IFDIR)
        vfs_unlink(up->root, path, false);
    switch (type) {
    case S_IFDIR:
        r = vfs_mkdir(up->root, path, e->mode & S_IALLUGO);
        if (r == -EEXIST)
            r = 0;              /* mode applied below */
        break;
    case S_IFREG: {
        const char *first = e->nlink > 1 ? hardlink_find(up, e) : NULL;
        if (first) {
            r = vfs_link(up->root, first, path);
            /* GNU cpio puts the data on the last link only. */
            if (!r && e->filesize)
                r = write_data(up, path, e, false);
        } else {
            r = write_data(up, path, e, true);
            if (!r && e->nlink > 1)
                hardlink_add(up, e, path);
        }
        break;
    }
    case S_IFLNK: {
        if (e->filesize == 0 || e->filesize >= PATH_MAX)
            return -ENAMETOOLONG;
        char *target = kmalloc(e->filesize + 1);
        if (!target)
            return -ENOMEM;
        memcpy(target, e->data, e->filesize);
        target[e->filesize] = '\0';
        r = vfs_symlink(up->root, target, path);
        kfree(target);
        return r;               /* symlink metadata is not applied */
    }
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        r = vfs_mknod(up->root, path, e->mode,
                      MKDEV(e->rdevmajor, e->rdevminor));
        break;
    default:
        return -EINVAL;
    }
    if (!r)
        apply_meta(up, path, e);
    return r;
}

int initramfs_unpack(struct inode *root, const void *buf, size_t len,
                     struct cpio_stats *st)
{
    struct unpack up = { .root = root };
    char *path = kmalloc(PATH_MAX);
    size_t off = 0;
    int ret = 0;

    if (!path)
        return -ENOMEM;
    while (off < len) {
        struct cpio_entry e;
        int s = cpio_parse(buf, len, off, &e);
        if (s == CPIO_END) {
            off = e.next;       /* a concatenated archive may follow */
            continue;
        }
        if (s < 0) {
            klog("initramfs: %s at offset %zu; stopped after %u entries\n",
                 cpio_strerror(s), off, st->entries);
            ret = -EINVAL;
            break;
        }
        s = cpio_clean_path(e.name, path, PATH_MAX);
        if (s < 0) {
            klog("initramfs: %s: \"%.64s\" at offset %zu; stopped\n",
                 cpio_strerror(s), e.name, off);
            ret = -EINVAL;
            break;
        }
        off = e.next;
        if (!path[0])
            continue;           /* "." : the root itself */
        int r = unpack_entry(&up, &e, path);
        if (r) {
            klog("initramfs: %s: error %d (skipped)\n", path, r);
            continue;
        }
        st->entries++;
        st->bytes += e.filesize;
    }
    for (size_t i = 0; i < up.nlinks; i++)
        kfree(up.links[i].path);
    kfree(up.links);
    kfree(path);
    return ret;
}
