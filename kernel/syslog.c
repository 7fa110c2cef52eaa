/* syslog(2) (the klogctl interface dmesg uses): reads the kernel log ring
 * of kernel/printk.c.  Action numbers from Linux include/linux/syslog.h.
 * Reading waits for nothing: SYSLOG_ACTION_READ returns what is unread now
 * (0 if nothing), where Linux would block. */
#include "mm.h"
#include "printk.h"
#include "syscall.h"
#include "uaccess.h"

#define SYSLOG_ACTION_CLOSE         0
#define SYSLOG_ACTION_OPEN          1
#define SYSLOG_ACTION_READ          2
#define SYSLOG_ACTION_READ_ALL      3
#define SYSLOG_ACTION_READ_CLEAR    4
#define SYSLOG_ACTION_CLEAR         5
#define SYSLOG_ACTION_CONSOLE_OFF   6
#define SYSLOG_ACTION_CONSOLE_ON    7
#define SYSLOG_ACTION_CONSOLE_LEVEL 8
#define SYSLOG_ACTION_SIZE_UNREAD   9
#define SYSLOG_ACTION_SIZE_BUFFER   10

static long syslog_read(uint64_t ubuf, int64_t len, bool unread_only,
                        bool consume, bool clear)
{
    if (len < 0)
        return -EINVAL;
    if (len == 0)
        return 0;
    size_t cap = MIN((size_t)len, (size_t)LOG_BUF_SIZE);
    if (!user_range_ok(ubuf, cap))
        return -EFAULT;
    char *kbuf = kmalloc(cap);
    if (!kbuf)
        return -ENOMEM;
    size_t n = log_copy(kbuf, cap, unread_only, consume);
    long r = copy_to_user(ubuf, kbuf, n) ? -EFAULT : (long)n;
    kfree(kbuf);
    if (r >= 0 && clear)
        log_clear();
    return r;
}

SYSCALL(__NR_syslog, syslog)
{
    int type = (int)SC_ARG(0);
    uint64_t ubuf = SC_ARG(1);
    int64_t len = (int32_t)SC_ARG(2);

    switch (type) {
    case SYSLOG_ACTION_CLOSE:
    case SYSLOG_ACTION_OPEN:
        return 0;
    case SYSLOG_ACTION_READ:
        return syslog_read(ubuf, len, true, true, false);
    case SYSLOG_ACTION_READ_ALL:
        return syslog_read(ubuf, len, false, false, false);
    case SYSLOG_ACTION_READ_CLEAR:
        return syslog_read(ubuf, len, false, true, true);
    case SYSLOG_ACTION_CLEAR:
        log_clear();
        return 0;
    case SYSLOG_ACTION_CONSOLE_OFF:
    case SYSLOG_ACTION_CONSOLE_ON:
        return 0;
    case SYSLOG_ACTION_CONSOLE_LEVEL:
        return len < 1 || len > 8 ? -EINVAL : 0;
    case SYSLOG_ACTION_SIZE_UNREAD:
        return (long)log_size(true);
    case SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_BUF_SIZE;
    default:
        return -EINVAL;
    }
}
