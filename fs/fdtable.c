/* Descriptor tables: one per process, FD_MAX slots, each an open file
 * description plus its close-on-exec bit (POSIX open(2)/fcntl(2) FD_CLOEXEC).
 *
 * Context: thread context.  fdt->lock (a spinlock; the table is reached only
 * from its own process, and from fork) protects the slots.  Files are
 * released with file_put() after the lock is dropped, because a release can
 * sleep (a pipe end wakes its peer, a ramfs inode frees its data). */
#include "vfs.h"
#include "mm.h"
#include "proc.h"
#include "spinlock.h"
#include "string.h"

struct fdtable {
    struct spinlock lock;
    struct file *files[FD_MAX];
    uint64_t cloexec[FD_MAX / 64];
};

static void fdt_set_cloexec_locked(struct fdtable *t, int fd, bool on)
{
    if (on)
        t->cloexec[fd / 64] |= 1ULL << (fd % 64);
    else
        t->cloexec[fd / 64] &= ~(1ULL << (fd % 64));
}

struct fdtable *fdtable_new(void)
{
    struct fdtable *t = kzalloc(sizeof(*t));
    if (t)
        spin_init(&t->lock, "fdtable");
    return t;
}

struct fdtable *fdtable_clone(struct fdtable *t)
{
    struct fdtable *n = fdtable_new();
    if (!n || !t)
        return n;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    for (int i = 0; i < FD_MAX; i++) {
        if (t->files[i]) {
            file_get(t->files[i]);
            n->files[i] = t->files[i];
        }
    }
    memcpy(n->cloexec, t->cloexec, sizeof(n->cloexec));
    spin_unlock_irqrestore(&t->lock, fl);
    return n;
}

void fdtable_put(struct fdtable *t)
{
    if (!t)
        return;
    for (int i = 0; i < FD_MAX; i++) {
        if (t->files[i]) {
            struct file *f = t->files[i];
            t->files[i] = NULL;
            file_put(f);
        }
    }
    kfree(t);
}

void fdtable_close_on_exec(struct fdtable *t)
{
    for (int i = 0; i < FD_MAX; i++) {
        uint64_t fl = spin_lock_irqsave(&t->lock);
        struct file *f = NULL;
        if (t->files[i] && (t->cloexec[i / 64] & (1ULL << (i % 64)))) {
            f = t->files[i];
            t->files[i] = NULL;
            fdt_set_cloexec_locked(t, i, false);
        }
        spin_unlock_irqrestore(&t->lock, fl);
        if (f)
            file_put(f);
    }
}

int fdtable_install_min(struct fdtable *t, struct file *f, int min,
                        bool cloexec)
{
    if (min < 0 || min >= FD_MAX)
        return -EINVAL;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    for (int i = min; i < FD_MAX; i++) {
        if (!t->files[i]) {
            t->files[i] = f;
            fdt_set_cloexec_locked(t, i, cloexec);
            spin_unlock_irqrestore(&t->lock, fl);
            return i;
        }
    }
    spin_unlock_irqrestore(&t->lock, fl);
    return -EMFILE;
}

int fdtable_install(struct fdtable *t, struct file *f, bool cloexec)
{
    return fdtable_install_min(t, f, 0, cloexec);
}

/* dup2 semantics: whatever was at fd is closed (silently, as Linux). */
int fdtable_install_at(struct fdtable *t, struct file *f, int fd,
                       bool cloexec)
{
    if (fd < 0 || fd >= FD_MAX)
        return -EBADF;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    struct file *old = t->files[fd];
    t->files[fd] = f;
    fdt_set_cloexec_locked(t, fd, cloexec);
    spin_unlock_irqrestore(&t->lock, fl);
    if (old)
        file_put(old);
    return fd;
}

int fdtable_close(struct fdtable *t, int fd)
{
    if (!t || fd < 0 || fd >= FD_MAX)
        return -EBADF;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    struct file *f = t->files[fd];
    t->files[fd] = NULL;
    fdt_set_cloexec_locked(t, fd, false);
    spin_unlock_irqrestore(&t->lock, fl);
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

struct file *fd_get_file_in(struct fdtable *t, int fd)
{
    if (!t || fd < 0 || fd >= FD_MAX)
        return NULL;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    struct file *f = t->files[fd];
    if (f)
        file_get(f);
    spin_unlock_irqrestore(&t->lock, fl);
    return f;
}

int fdtable_get_cloexec(struct fdtable *t, int fd)
{
    if (!t || fd < 0 || fd >= FD_MAX)
        return -EBADF;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    int r = !t->files[fd] ? -EBADF
                          : !!(t->cloexec[fd / 64] & (1ULL << (fd % 64)));
    spin_unlock_irqrestore(&t->lock, fl);
    return r;
}

int fdtable_set_cloexec(struct fdtable *t, int fd, bool on)
{
    if (!t || fd < 0 || fd >= FD_MAX)
        return -EBADF;
    uint64_t fl = spin_lock_irqsave(&t->lock);
    int r = 0;
    if (!t->files[fd])
        r = -EBADF;
    else
        fdt_set_cloexec_locked(t, fd, on);
    spin_unlock_irqrestore(&t->lock, fl);
    return r;
}

struct fdtable *current_fdt(void)
{
    struct proc *p = current_proc();
    return p ? p->fdt : NULL;
}

struct file *fd_get_file(int fd)
{
    return fd_get_file_in(current_fdt(), fd);
}
