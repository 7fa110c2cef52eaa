/* Weak fallbacks for interfaces other branches implement (the lead's
 * process core and uaccess, the tty member's drivers/tty.c and
 * kernel/random.c), so fs/ links and its ktests run before those are
 * merged.  Every strong definition overrides these; once all are on main
 * this file can go. */
#include "kernel.h"
#include "printk.h"
#include "proc.h"
#include "random.h"
#include "signal.h"
#include "string.h"
#include "tty.h"
#include "uaccess.h"

#define WEAK __attribute__((weak))

WEAK struct proc *current_proc(void)
{
    return NULL;
}

/* Without the lead's exception-table uaccess there are no user processes,
 * so no user pointers: refuse them all. */
WEAK int copy_from_user(void *dst, uint64_t usrc, size_t len)
{
    return -EFAULT;
}

WEAK int copy_to_user(uint64_t udst, const void *src, size_t len)
{
    return -EFAULT;
}

WEAK int clear_user(uint64_t udst, size_t len)
{
    return -EFAULT;
}

WEAK long strncpy_from_user(char *dst, uint64_t usrc, size_t max)
{
    return -EFAULT;
}

WEAK bool signal_pending(void)
{
    return false;
}

WEAK void signal_send(struct proc *p, int sig, int code, int sender_pid)
{
}

WEAK ssize_t tty_read(char *kbuf, size_t n, bool nonblock)
{
    return -ENOSYS;
}

WEAK ssize_t tty_write(const char *kbuf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kprintf("%c", kbuf[i]);
    return (ssize_t)n;
}

WEAK long tty_ioctl(unsigned long cmd, uint64_t uarg)
{
    return -ENOTTY;
}

WEAK unsigned tty_poll(void)
{
    return 0;
}

WEAK struct waitq *tty_waitq(void)
{
    return NULL;
}

/* Not random: only so /dev/urandom links before kernel/random.c lands. */
WEAK void random_bytes(void *buf, size_t n)
{
    static uint64_t x = 0x9e3779b97f4a7c15ULL;
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}
