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

static void console_write(const char *s, size_t n)
{
    uint64_t flags = 0;

    if (!console_panic_mode)
        flags = spin_lock_irqsave(&console_lock);
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
