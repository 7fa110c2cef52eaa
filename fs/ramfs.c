/* ramfs: the in-memory filesystem the root lives on.  Directories are
 * lists of struct dentry; regular files are arrays of 4 KiB frames (NULL
 * frames are holes that read as zeros), so large files never need
 * contiguous memory.
 *
 * Locking: directory lists under vfs_ns_lock (taken by the callers in
 * fs/namei.c and fs/vfs_ops.c); file pages and size under the inode's
 * data_lock, a mutex, because reads and writes copy to and from user
 * memory, which may fault and sleep. */
#include "fs_priv.h"
#include "mm.h"
#include "string.h"

#define RAMFS_MAX_FILE  (1ULL << 30)    /* -EFBIG past 1 GiB */

/* ---- directories ---- */

struct dentry *ramfs_find(struct inode *dir, const char *name, size_t len)
{
    struct list_head *pos;
    list_for_each(pos, &dir->children) {
        struct dentry *d = list_entry(pos, struct dentry, node);
        if (d->len == len && memcmp(d->name, name, len) == 0)
            return d;
    }
    return NULL;
}

/* Link counts as Linux shows them: a directory has 2 plus one per
 * subdirectory (its ".."), anything else one per name. */
int ramfs_add(struct inode *dir, const char *name, size_t len,
              struct inode *ino)
{
    if (len == 0 || len > NAME_MAX)
        return -ENAMETOOLONG;
    struct dentry *d = kmalloc(sizeof(*d) + len + 1);
    if (!d)
        return -ENOMEM;
    memcpy(d->name, name, len);
    d->name[len] = '\0';
    d->len = (uint16_t)len;
    d->inode = ino;
    inode_get(ino);
    if (dir->next_seq < 2)
        dir->next_seq = 2;          /* 0 and 1 are "." and ".." */
    d->seq = dir->next_seq++;
    list_add_tail(&d->node, &dir->children);
    if (S_ISDIR(ino->mode)) {
        dir->nlink++;
        ino->nlink = 2;
        inode_get(dir);
        inode_put(ino->parent);
        ino->parent = dir;
    } else {
        ino->nlink++;
    }
    ino->ctime_ns = vfs_now_ns();
    vfs_touch(dir, true);
    return 0;
}

void ramfs_remove(struct inode *dir, struct dentry *d)
{
    struct inode *ino = d->inode;
    list_del(&d->node);
    if (S_ISDIR(ino->mode)) {
        dir->nlink--;
        ino->nlink = 0;             /* an rmdir'ed or renamed-over dir */
    } else if (ino->nlink) {
        ino->nlink--;
    }
    ino->ctime_ns = vfs_now_ns();
    vfs_touch(dir, true);
    kfree(d);
    inode_put(ino);
}

bool ramfs_dir_empty(const struct inode *dir)
{
    return list_empty(&dir->children);
}

/* ---- regular file data ---- */

void ramfs_free_data(struct inode *ino)
{
    for (size_t i = 0; i < ino->npages; i++)
        if (ino->pages[i])
            frame_free(virt_to_phys(ino->pages[i]));
    kfree(ino->pages);
    ino->pages = NULL;
    ino->npages = 0;
}

static int ramfs_grow_array(struct inode *ino, size_t need)
{
    if (need <= ino->npages)
        return 0;
    size_t n = MAX(need, MAX(ino->npages * 2, (size_t)8));
    void **p = kzalloc(n * sizeof(void *));
    if (!p)
        return -ENOSPC;
    if (ino->pages)
        memcpy(p, ino->pages, ino->npages * sizeof(void *));
    kfree(ino->pages);
    ino->pages = p;
    ino->npages = n;
    return 0;
}

int ramfs_truncate_locked(struct inode *ino, uint64_t size)
{
    if (size > RAMFS_MAX_FILE)
        return -EFBIG;
    if (size < ino->size) {
        size_t keep = DIV_ROUND_UP(size, PAGE_SIZE);
        for (size_t i = keep; i < ino->npages; i++) {
            if (ino->pages[i]) {
                frame_free(virt_to_phys(ino->pages[i]));
                ino->pages[i] = NULL;
            }
        }
        /* Zero the rest of the last page so a later extension reads 0s. */
        size_t off = size & (PAGE_SIZE - 1);
        if (off && keep - 1 < ino->npages && ino->pages[keep - 1])
            memset((char *)ino->pages[keep - 1] + off, 0, PAGE_SIZE - off);
    }
    ino->size = size;
    ino->mtime_ns = ino->ctime_ns = vfs_now_ns();
    return 0;
}

static int uio_zero(const struct uio *u, size_t off, size_t n)
{
    static const uint8_t zeros[256];
    while (n) {
        size_t c = MIN(n, sizeof(zeros));
        int r = uio_copy_out(u, off, zeros, c);
        if (r)
            return r;
        off += c;
        n -= c;
    }
    return 0;
}

static ssize_t ramfs_read(struct file *f, const struct uio *u, size_t n,
                          uint64_t *pos)
{
    struct inode *ino = f->inode;
    mutex_lock(&ino->data_lock);
    uint64_t p = *pos;
    if (p >= ino->size) {
        mutex_unlock(&ino->data_lock);
        return 0;
    }
    size_t todo = (size_t)MIN((uint64_t)n, ino->size - p), done = 0;
    ssize_t err = 0;
    while (done < todo) {
        uint64_t at = p + done;
        size_t idx = at >> PAGE_SHIFT, off = at & (PAGE_SIZE - 1);
        size_t chunk = MIN(PAGE_SIZE - off, todo - done);
        void *pg = idx < ino->npages ? ino->pages[idx] : NULL;
        int r = pg ? uio_copy_out(u, done, (char *)pg + off, chunk)
                   : uio_zero(u, done, chunk);
        if (r) {
            err = r;
            break;
        }
        done += chunk;
    }
    *pos = p + done;
    mutex_unlock(&ino->data_lock);
    return done ? (ssize_t)done : err;
}

static ssize_t ramfs_write(struct file *f, const struct uio *u, size_t n,
                           uint64_t *pos)
{
    struct inode *ino = f->inode;
    mutex_lock(&ino->data_lock);
    uint64_t p = (f->flags & O_APPEND) ? ino->size : *pos;
    if (p >= RAMFS_MAX_FILE) {
        mutex_unlock(&ino->data_lock);
        return n ? -EFBIG : 0;
    }
    n = (size_t)MIN((uint64_t)n, RAMFS_MAX_FILE - p);
    size_t done = 0;
    ssize_t err = 0;
    if (n && (err = ramfs_grow_array(ino, DIV_ROUND_UP(p + n, PAGE_SIZE))))
        n = 0;
    while (done < n) {
        uint64_t at = p + done;
        size_t idx = at >> PAGE_SHIFT, off = at & (PAGE_SIZE - 1);
        size_t chunk = MIN(PAGE_SIZE - off, n - done);
        if (!ino->pages[idx]) {
            paddr_t pa = frame_alloc();
            if (!pa) {
                err = -ENOSPC;
                break;
            }
            ino->pages[idx] = phys_to_virt(pa);
        }
        int r = uio_copy_in((char *)ino->pages[idx] + off, u, done, chunk);
        if (r) {
            err = r;
            break;
        }
        done += chunk;
    }
    if (p + done > ino->size)
        ino->size = p + done;
    if (done)
        ino->mtime_ns = ino->ctime_ns = vfs_now_ns();
    *pos = p + done;
    mutex_unlock(&ino->data_lock);
    return done ? (ssize_t)done : err;
}

paddr_t file_page_ref(struct file *f, uint64_t off)
{
    struct inode *ino = f->inode;
    paddr_t pa = 0;

    if (!ino || !S_ISREG(ino->mode) || f->ops != &ramfs_file_ops ||
        (off & (PAGE_SIZE - 1)))
        return 0;
    mutex_lock(&ino->data_lock);
    size_t idx = off >> PAGE_SHIFT;
    if (off + PAGE_SIZE <= ino->size && idx < ino->npages && ino->pages[idx]) {
        pa = virt_to_phys(ino->pages[idx]);
        frame_ref(pa);
    }
    mutex_unlock(&ino->data_lock);
    return pa;
}

const struct file_ops ramfs_file_ops = {
    .read = ramfs_read,
    .write = ramfs_write,
};

/* ---- getdents64 (Linux struct linux_dirent64) ---- */

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
} __attribute__((packed));
#define DIRENT64_HDR    offsetof(struct linux_dirent64, d_name)   /* 19 */

static unsigned dtype_of(uint32_t mode)
{
    return (mode & S_IFMT) >> 12;       /* DT_* are the S_IFMT bits >> 12 */
}

/* Emits one record; 1 if it did not fit, 0, or -EFAULT. */
static int dirent_emit(const struct uio *u, size_t n, size_t *used,
                       uint64_t ino, uint64_t next, unsigned type,
                       const char *name, size_t len)
{
    uint8_t rec[ALIGN_UP(DIRENT64_HDR + NAME_MAX + 1, 8)];
    size_t reclen = ALIGN_UP(DIRENT64_HDR + len + 1, 8);
    if (*used + reclen > n)
        return 1;
    memset(rec, 0, reclen);
    struct linux_dirent64 *d = (struct linux_dirent64 *)rec;
    d->d_ino = ino;
    d->d_off = (int64_t)next;
    d->d_reclen = (uint16_t)reclen;
    d->d_type = (uint8_t)type;
    memcpy(d->d_name, name, len);
    if (uio_copy_out(u, *used, rec, reclen))
        return -EFAULT;
    *used += reclen;
    return 0;
}

/* f->pos is the seq of the next entry to return: 0 ".", 1 "..", then the
 * children in list order (seqs grow, so deleting entries while reading, as
 * rm -r does, never skips the ones after). */
static ssize_t ramfs_getdents(struct file *f, const struct uio *u, size_t n)
{
    struct inode *dir = f->inode;
    size_t used = 0;
    int r = 0;

    mutex_lock(&vfs_ns_lock);
    if (dir->nlink == 0)
        goto out;                       /* removed: empty, as Linux */
    if (f->pos == 0) {
        if ((r = dirent_emit(u, n, &used, dir->ino, 1, DT_DIR, ".", 1)))
            goto out;
        f->pos = 1;
    }
    if (f->pos == 1) {
        struct inode *up = dir->covered ? dir->covered : dir;
        up = up->parent ? up->parent : up;
        if ((r = dirent_emit(u, n, &used, up->ino, 2, DT_DIR, "..", 2)))
            goto out;
        f->pos = 2;
    }
    struct list_head *pos;
    list_for_each(pos, &dir->children) {
        struct dentry *d = list_entry(pos, struct dentry, node);
        if (d->seq < f->pos)
            continue;
        if ((r = dirent_emit(u, n, &used, d->inode->ino, d->seq + 1,
                             dtype_of(d->inode->mode), d->name, d->len)))
            goto out;
        f->pos = d->seq + 1;
    }
out:
    mutex_unlock(&vfs_ns_lock);
    if (r < 0 && !used)
        return r;
    if (r == 1 && !used)
        return -EINVAL;                 /* buffer too small for one record */
    return (ssize_t)used;
}

const struct file_ops ramfs_dir_ops = {
    .getdents = ramfs_getdents,
};
