/* Pipes (pipe(7)): a 64 KiB ring buffer; writes of at most PIPE_BUF bytes
 * are atomic; read returns 0 once no writer is left; write with no reader
 * raises SIGPIPE and fails with -EPIPE; O_NONBLOCK gives -EAGAIN; blocking
 * waits end with -ERESTARTSYS when a signal arrives.
 *
 * Locking: pipe->lock, a mutex (thread context only), protects the ring
 * and the reader/writer counts; user copies happen under it, which is why
 * it may not be a spinlock.  Readers sleep on rwait, writers on wwait;
 * their conditions are rechecked under the lock after every wake-up. */
#include "fs_priv.h"
#include "mm.h"
#include "poll.h"
#include "proc.h"
#include "signal.h"
#include "uaccess.h"

#define PIPE_SIZE   (64 * 1024)
#define PIPE_BUF    4096        /* POSIX: writes up to this are atomic */
#define FIONREAD    0x541B      /* Linux asm-generic/ioctls.h */

struct pipe {
    struct mutex lock;
    struct inode *fifo;         /* a named pipe's inode (not referenced:
                                   it points back here through ->priv) */
    unsigned r_opens, w_opens;  /* FIFO opens so far, for blocking open */
    uint8_t *buf;
    size_t head;                /* index of the oldest byte */
    size_t count;               /* bytes buffered */
    int readers, writers;       /* open ends */
    struct waitq rwait, wwait;
};

static ssize_t pipe_read(struct file *f, const struct uio *u, size_t n,
                         uint64_t *pos)
{
    struct pipe *p = f->priv;
    if (n == 0)
        return 0;
    for (;;) {
        mutex_lock(&p->lock);
        if (p->count) {
            size_t c = MIN(n, p->count), done = 0;
            int err = 0;
            while (done < c) {
                size_t seg = MIN(c - done, PIPE_SIZE - p->head);
                if ((err = uio_copy_out(u, done, p->buf + p->head, seg)))
                    break;
                p->head = (p->head + seg) % PIPE_SIZE;
                p->count -= seg;
                done += seg;
            }
            mutex_unlock(&p->lock);
            wake_up(&p->wwait);
            return done ? (ssize_t)done : err;
        }
        bool eof = p->writers == 0;
        mutex_unlock(&p->lock);
        if (eof)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (signal_pending())
            return -ERESTARTSYS;
        wait_event(&p->rwait, READ_ONCE(p->count) || !READ_ONCE(p->writers) ||
                              signal_pending());
    }
}

static ssize_t pipe_write(struct file *f, const struct uio *u, size_t n,
                          uint64_t *pos)
{
    struct pipe *p = f->priv;
    size_t done = 0;
    if (n == 0)
        return 0;
    for (;;) {
        mutex_lock(&p->lock);
        if (p->readers == 0) {
            mutex_unlock(&p->lock);
            struct proc *me = current_proc();
            if (me)
                signal_send(me, SIGPIPE, SI_USER, 0);
            return done ? (ssize_t)done : -EPIPE;
        }
        size_t space = PIPE_SIZE - p->count, left = n - done;
        /* Small writes go in whole or wait (atomicity, pipe(7)). */
        if (space && (left > PIPE_BUF || space >= left)) {
            size_t c = MIN(space, left);
            int err = 0;
            size_t moved = 0;
            while (moved < c) {
                size_t tail = (p->head + p->count) % PIPE_SIZE;
                size_t seg = MIN(c - moved, PIPE_SIZE - tail);
                if ((err = uio_copy_in(p->buf + tail, u, done + moved, seg)))
                    break;
                p->count += seg;
                moved += seg;
            }
            done += moved;
            mutex_unlock(&p->lock);
            if (moved)
                wake_up(&p->rwait);
            if (err)
                return done ? (ssize_t)done : err;
            if (done == n)
                return (ssize_t)n;
        } else {
            mutex_unlock(&p->lock);
        }
        if (f->flags & O_NONBLOCK)
            return done ? (ssize_t)done : -EAGAIN;
        if (signal_pending())
            return done ? (ssize_t)done : -ERESTARTSYS;
        size_t need = (n - done) > PIPE_BUF ? 1 : n - done;
        wait_event(&p->wwait, PIPE_SIZE - READ_ONCE(p->count) >= need ||
                              !READ_ONCE(p->readers) || signal_pending());
    }
}

static unsigned pipe_poll(struct file *f, struct waitq **wq)
{
    struct pipe *p = f->priv;
    unsigned m = 0;
    /* Unlocked reads: a stale value only costs one more round of ppoll. */
    if ((f->flags & O_ACCMODE) == O_RDWR) {
        /* A FIFO opened both ways: one queue only; rwait is woken by
         * writes, which is what such a user usually waits for. */
        *wq = &p->rwait;
        if (READ_ONCE(p->count))
            m |= POLLIN | POLLRDNORM;
        if (PIPE_SIZE - READ_ONCE(p->count) >= PIPE_BUF)
            m |= POLLOUT | POLLWRNORM;
    } else if ((f->flags & O_ACCMODE) == O_RDONLY) {
        *wq = &p->rwait;
        if (READ_ONCE(p->count))
            m |= POLLIN | POLLRDNORM;
        if (!READ_ONCE(p->writers))
            m |= POLLHUP;
    } else {
        *wq = &p->wwait;
        if (PIPE_SIZE - READ_ONCE(p->count) >= PIPE_BUF)
            m |= POLLOUT | POLLWRNORM;
        if (!READ_ONCE(p->readers))
            m |= POLLERR;
    }
    return m;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, uint64_t uarg)
{
    struct pipe *p = f->priv;
    if (cmd != FIONREAD)
        return -ENOTTY;
    int n = (int)READ_ONCE(p->count);
    return put_user(n, uarg);
}

/* Protects FIFO inodes' ->priv (their pipe, made at first open and freed
 * at last close).  Taken before pipe->lock. */
static struct mutex fifo_lock;

void pipe_init(void)
{
    mutex_init(&fifo_lock, "fifo");
}

static void pipe_release(struct file *f)
{
    struct pipe *p = f->priv;
    unsigned acc = f->flags & O_ACCMODE;
    bool fifo = p->fifo != NULL;
    if (fifo)
        mutex_lock(&fifo_lock);
    mutex_lock(&p->lock);
    if (acc == O_RDONLY || acc == O_RDWR)
        p->readers--;
    if (acc == O_WRONLY || acc == O_RDWR)
        p->writers--;
    bool last = p->readers == 0 && p->writers == 0;
    /* Wake the other end while p is certainly alive: after the unlock the
     * other end's release may free it. */
    if (!last) {
        wake_up(&p->rwait);
        wake_up(&p->wwait);
    }
    mutex_unlock(&p->lock);
    if (last && fifo)
        p->fifo->priv = NULL;
    if (fifo)
        mutex_unlock(&fifo_lock);
    if (last) {
        kfree(p->buf);
        kfree(p);
    }
}

static const struct file_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .ioctl = pipe_ioctl,
    .poll = pipe_poll,
    .release = pipe_release,
};

static struct pipe *pipe_alloc(void)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return NULL;
    p->buf = kmalloc(PIPE_SIZE);
    if (!p->buf) {
        kfree(p);
        return NULL;
    }
    mutex_init(&p->lock, "pipe");
    waitq_init(&p->rwait);
    waitq_init(&p->wwait);
    return p;
}

/* open(2) of a FIFO (fifo(7)): a reader waits for a writer to open and a
 * writer for a reader, unless O_NONBLOCK (then a writer without reader
 * gets -ENXIO); O_RDWR never waits.  f has no ops yet; on error the
 * caller puts f, which undoes the counts through pipe_release. */
int pipe_fifo_open(struct file *f)
{
    struct inode *ino = f->inode;
    unsigned acc = f->flags & O_ACCMODE;
    bool rd = acc == O_RDONLY || acc == O_RDWR;
    bool wr = acc == O_WRONLY || acc == O_RDWR;
    bool nonblock = f->flags & O_NONBLOCK;

    mutex_lock(&fifo_lock);
    struct pipe *p = ino->priv;
    if (!p) {
        p = pipe_alloc();
        if (!p) {
            mutex_unlock(&fifo_lock);
            return -ENOMEM;
        }
        p->fifo = ino;
        ino->priv = p;
    }
    mutex_lock(&p->lock);
    if (rd) {
        p->readers++;
        p->r_opens++;
    }
    if (wr) {
        p->writers++;
        p->w_opens++;
    }
    unsigned r_seen = p->r_opens, w_seen = p->w_opens;
    bool need_writer = acc == O_RDONLY && !p->writers;
    bool need_reader = acc == O_WRONLY && !p->readers;
    mutex_unlock(&p->lock);
    mutex_unlock(&fifo_lock);
    f->priv = p;
    f->ops = &pipe_ops;
    f->stream = true;
    wake_up(&p->rwait);
    wake_up(&p->wwait);

    if (need_reader && nonblock)
        return -ENXIO;
    if (need_writer && !nonblock) {
        wait_event(&p->rwait, READ_ONCE(p->w_opens) != w_seen ||
                              signal_pending());
        if (READ_ONCE(p->w_opens) == w_seen)
            return -ERESTARTSYS;
    }
    if (need_reader) {
        wait_event(&p->wwait, READ_ONCE(p->r_opens) != r_seen ||
                              signal_pending());
        if (READ_ONCE(p->r_opens) == r_seen)
            return -ERESTARTSYS;
    }
    return 0;
}

int pipe_create(struct file **rd, struct file **wr, unsigned flags)
{
    struct pipe *p = pipe_alloc();
    struct inode *ino = inode_new(S_IFIFO | 0600, FS_DEV_PIPEFS);
    if (!p || !ino)
        goto nomem;
    ino->nlink = 1;
    inode_get(ino);
    *rd = file_alloc(ino, &pipe_ops, O_RDONLY | (flags & O_NONBLOCK));
    *wr = file_alloc(ino, &pipe_ops, O_WRONLY | (flags & O_NONBLOCK));
    if (!*rd || !*wr) {
        /* Not yet pipes: free by hand (release would count ends). */
        if (*rd)
            kfree(*rd);
        if (*wr)
            kfree(*wr);
        inode_put(ino);
        goto nomem;
    }
    p->readers = p->writers = 1;
    (*rd)->priv = p;
    (*wr)->priv = p;
    (*rd)->stream = (*wr)->stream = true;
    return 0;
nomem:
    if (p)
        kfree(p->buf);
    kfree(p);
    inode_put(ino);
    return -ENOMEM;
}
