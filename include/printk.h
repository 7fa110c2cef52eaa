/* Kernel console output.  kprintf() writes raw text; klog() prefixes each
 * line with the monotonic time since boot, like Linux's "[    0.001234]". */
#ifndef PRINTK_H
#define PRINTK_H

#include "kernel.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

void kprintf(const char *fmt, ...) __printf(1, 2);
void vkprintf(const char *fmt, va_list ap);
void klog(const char *fmt, ...) __printf(1, 2);

/* Console output sink; the PL011 driver installs itself here. */
void console_set_putc(void (*putc)(char c));
void console_putc(char c);
void console_write_raw(const char *s, size_t n);

/* The kernel log ring behind syslog(2) (kernel/printk.c). */
#define LOG_BUF_SIZE    (32 * 1024)
/* Copy the newest min(cap, available) bytes: all kept, or only the unread
 * ones; consume marks everything read.  Returns the count. */
size_t log_copy(char *dst, size_t cap, bool unread_only, bool consume);
size_t log_size(bool unread_only);
void log_clear(void);

#endif
