/* Open file descriptions: reference counting, kernel-side reads for the
 * ELF loader (file_kread), and the user/kernel buffer helpers (struct uio).
 *
 * Context: thread context.  refs is atomic; the last file_put() calls the
 * ops' release (which may sleep) and drops the inode. */
#include "vfs.h"
#include "mm.h"
#include "string.h"
#include "uaccess.h"

int uio_copy_out(const struct uio *u, size_t off, const void *src, size_t n)
{
    if (u->user)
        return copy_to_user(u->uaddr + off, src, n);
    memcpy((char *)u->kaddr + off, src, n);
    return 0;
}

int uio_copy_in(void *dst, const struct uio *u, size_t off, size_t n)
{
    if (u->user)
        return copy_from_user(dst, u->uaddr + off, n);
    memcpy(dst, (const char *)u->kaddr + off, n);
    return 0;
}

struct file *file_alloc(struct inode *ino, const struct file_ops *ops,
                        unsigned flags)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->inode = ino;
    f->flags = flags;
    mutex_init(&f->pos_lock, "file.pos");
    return f;
}

void file_get(struct file *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
    if (!f)
        return;
    if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (f->ops && f->ops->release)
        f->ops->release(f);
    if (f->inode)
        inode_put(f->inode);
    kfree(f);
}

ssize_t file_kread(struct file *f, void *buf, size_t n, uint64_t off)
{
    if (!f->ops || !f->ops->read)
        return -EINVAL;
    struct uio u = { .user = false, .kaddr = buf };
    uint64_t pos = off;
    return f->ops->read(f, &u, n, f->stream ? NULL : &pos);
}

ssize_t file_kwrite(struct file *f, const void *buf, size_t n, uint64_t off)
{
    if (!f->ops || !f->ops->write)
        return -EINVAL;
    struct uio u = { .user = false, .kaddr = (void *)buf };
    uint64_t pos = off;
    return f->ops->write(f, &u, n, f->stream ? NULL : &pos);
}

/* execve(2): EACCES unless a regular file with some execute bit (we run
 * everything as root, and root still needs one x bit, as on Linux). */
int file_check_exec(struct file *f)
{
    if (!f->inode || !S_ISREG(f->inode->mode))
        return -EACCES;
    if (!(f->inode->mode & S_IXUGO))
        return -EACCES;
    return 0;
}
