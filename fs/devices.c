/* Character devices by major:minor (Linux Documentation/admin-guide/
 * devices.txt): 1:3 null, 1:5 zero, 1:8 random and 1:9 urandom (both from
 * random_bytes(), kernel/random.c), 5:0 tty and 5:1 console, both the one
 * console TTY of drivers/tty.c.  Device files are streams: no position.
 *
 * Context: thread context.  Reads and writes bounce through a small
 * kernel buffer because the TTY interface takes kernel pointers. */
#include "fs_priv.h"
#include "poll.h"
#include "random.h"
#include "signal.h"
#include "string.h"
#include "tty.h"

#define MEM_MAJOR       1
#define MEM_NULL        3
#define MEM_ZERO        5
#define MEM_RANDOM      8
#define MEM_URANDOM     9
#define TTYAUX_MAJOR    5
#define TTYAUX_TTY      0
#define TTYAUX_CONSOLE  1

#define DEV_BOUNCE      256     /* bytes per bounce-buffer round */

static ssize_t null_read(struct file *f, const struct uio *u, size_t n,
                         uint64_t *pos)
{
    return 0;
}

static ssize_t null_write(struct file *f, const struct uio *u, size_t n,
                          uint64_t *pos)
{
    return (ssize_t)n;
}

static unsigned always_ready(struct file *f, struct waitq **wq)
{
    *wq = NULL;
    return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

/* Fills u with bytes from gen (NULL = zeros). */
static ssize_t fill_read(const struct uio *u, size_t n, bool random)
{
    uint8_t buf[DEV_BOUNCE];
    size_t done = 0;
    if (!random)
        memset(buf, 0, sizeof(buf));
    while (done < n) {
        size_t c = MIN(n - done, sizeof(buf));
        if (random)
            random_bytes(buf, c);
        if (uio_copy_out(u, done, buf, c))
            return done ? (ssize_t)done : -EFAULT;
        done += c;
        /* A huge read from /dev/zero must stay interruptible. */
        if (done < n && signal_pending())
            break;
    }
    return (ssize_t)done;
}

static ssize_t zero_read(struct file *f, const struct uio *u, size_t n,
                         uint64_t *pos)
{
    return fill_read(u, n, false);
}

static ssize_t random_read(struct file *f, const struct uio *u, size_t n,
                           uint64_t *pos)
{
    return fill_read(u, n, true);
}

static const struct file_ops null_ops = {
    .read = null_read, .write = null_write, .poll = always_ready,
};
static const struct file_ops zero_ops = {
    .read = zero_read, .write = null_write, .poll = always_ready,
};
/* Writing to /dev/random is accepted and ignored (no entropy pool). */
static const struct file_ops random_ops = {
    .read = random_read, .write = null_write, .poll = always_ready,
};

/* ---- the console TTY ---- */

static ssize_t tty_file_read(struct file *f, const struct uio *u, size_t n,
                             uint64_t *pos)
{
    char buf[DEV_BOUNCE];
    if (n == 0)
        return 0;
    /* One tty_read only: a canonical read returns one line, and the next
     * call could block. */
    ssize_t r = tty_read(buf, MIN(n, sizeof(buf)),
                         (f->flags & O_NONBLOCK) != 0);
    if (r > 0 && uio_copy_out(u, 0, buf, (size_t)r))
        return -EFAULT;
    return r;
}

static ssize_t tty_file_write(struct file *f, const struct uio *u, size_t n,
                              uint64_t *pos)
{
    char buf[DEV_BOUNCE];
    size_t done = 0;
    while (done < n) {
        size_t c = MIN(n - done, sizeof(buf));
        if (uio_copy_in(buf, u, done, c))
            return done ? (ssize_t)done : -EFAULT;
        ssize_t r = tty_write(buf, c);
        if (r < 0)
            return done ? (ssize_t)done : r;
        done += (size_t)r;
        if ((size_t)r < c)
            break;
    }
    return (ssize_t)done;
}

static long tty_file_ioctl(struct file *f, unsigned long cmd, uint64_t uarg)
{
    return tty_ioctl(cmd, uarg);
}

static unsigned tty_file_poll(struct file *f, struct waitq **wq)
{
    *wq = tty_waitq();
    return tty_poll();
}

static const struct file_ops tty_ops = {
    .read = tty_file_read,
    .write = tty_file_write,
    .ioctl = tty_file_ioctl,
    .poll = tty_file_poll,
};

const struct file_ops *chrdev_ops(uint32_t rdev)
{
    unsigned ma = MAJOR(rdev), mi = MINOR(rdev);
    if (ma == MEM_MAJOR) {
        switch (mi) {
        case MEM_NULL:
            return &null_ops;
        case MEM_ZERO:
            return &zero_ops;
        case MEM_RANDOM:
        case MEM_URANDOM:
            return &random_ops;
        }
    } else if (ma == TTYAUX_MAJOR &&
               (mi == TTYAUX_TTY || mi == TTYAUX_CONSOLE)) {
        return &tty_ops;
    }
    return NULL;
}
