/* Console output: formatting into a line buffer, then one write under the
 * console lock so lines from threads and interrupt handlers never mix. */
#include "printk.h"
#include "spinlock.h"
#include "time.h"

static void (*console_out)(char c);

/* Protects console_out writes; taken from any context (IRQ-saving). */
static struct spinlock console_lock = SPINLOCK_INIT("console");
/* Set by panic(): output no longer takes the lock, which may be held by the
 * code that crashed. */
bool console_panic_mode;

void console_set_putc(void (*putc)(char c))
{
    console_out = putc;
}

void console_putc(char c)
{
    if (!console_out)
        return;
    if (c == '\n')
        console_out('\r');
    console_out(c);
}

/* Bytes exactly as given (the TTY does its own output processing),
 * serialised with kernel messages. */
void console_write_raw(const char *s, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);

    for (size_t i = 0; i < n && console_out; i++)
        console_out(s[i]);
    spin_unlock_irqrestore(&console_lock, flags);
}

/* The kernel log ring, for syslog(2) / dmesg: the last LOG_BUF_SIZE bytes
 * of kernel messages (not user output), under console_lock.  log_end
 * counts every byte ever logged; log_start / log_read are the oldest byte
 * still wanted (moved by SYSLOG_ACTION_CLEAR) and the next unread one. */
static char log_buf[LOG_BUF_SIZE];
static uint64_t log_end, log_start, log_read;

static void log_append_locked(const char *s, size_t n)
{
    for (size_t i = 0; i < n && s[i]; i++)
        log_buf[log_end++ % LOG_BUF_SIZE] = s[i];
    if (log_end - log_start > LOG_BUF_SIZE)
        log_start = log_end - LOG_BUF_SIZE;
    if (log_read < log_start)
        log_read = log_start;
}

size_t log_copy(char *dst, size_t cap, bool unread_only, bool consume)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    uint64_t from = unread_only ? log_read : log_start;
    uint64_t avail = log_end - from;
    if (avail > cap)
        from = log_end - cap;   /* the newest part, as dmesg wants */
    size_t n = (size_t)(log_end - from);
    for (size_t i = 0; i < n; i++)
        dst[i] = log_buf[(from + i) % LOG_BUF_SIZE];
    if (consume)
        log_read = log_end;
    spin_unlock_irqrestore(&console_lock, flags);
    return n;
}

size_t log_size(bool unread_only)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    size_t n = (size_t)(log_end - (unread_only ? log_read : log_start));
    spin_unlock_irqrestore(&console_lock, flags);
    return n;
}

void log_clear(void)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    log_start = log_read = log_end;
    spin_unlock_irqrestore(&console_lock, flags);
}

static void console_write(const char *s, size_t n)
{
    uint64_t flags = 0;

    if (!console_panic_mode)
        flags = spin_lock_irqsave(&console_lock);
    log_append_locked(s, n);
    for (size_t i = 0; i < n && s[i]; i++)
        console_putc(s[i]);
    if (!console_panic_mode)
        spin_unlock_irqrestore(&console_lock, flags);
}

void vkprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vkprintf(fmt, ap);
    va_end(ap);
}

void klog(const char *fmt, ...)
{
    char buf[512];
    uint64_t ns = time_ns();
    int n = snprintf(buf, sizeof(buf), "[%5u.%06u] ",
                     (unsigned)(ns / NSEC_PER_SEC),
                     (unsigned)((ns % NSEC_PER_SEC) / 1000));
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    if (buf[n - 1] != '\n') {
        buf[n++] = '\n';
        buf[n] = 0;
    }
    console_write(buf, n);
}
