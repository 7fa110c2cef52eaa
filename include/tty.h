/* The console TTY (drivers/tty.c): line discipline over the PL011 serial
 * port.  Until tty_init() the serial input belongs to the kernel monitor;
 * after it, to the TTY (and so to user processes via /dev/console). */
#ifndef TTY_H
#define TTY_H

#include "kernel.h"

struct waitq;

void tty_init(void);
/* Blocking read of up to n bytes (a line in canonical mode).  Returns the
 * count, -EAGAIN if nonblock and nothing is ready, -ERESTARTSYS if a
 * signal arrived while waiting. */
ssize_t tty_read(char *kbuf, size_t n, bool nonblock);
ssize_t tty_write(const char *kbuf, size_t n);
/* Terminal ioctls (TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP,
 * TIOCSPGRP, TIOCSCTTY, TIOCGSID, FIONREAD ...); uarg is a user pointer.
 * -ENOTTY for anything else. */
long tty_ioctl(unsigned long cmd, uint64_t uarg);
/* POLLIN / POLLOUT readiness now, and the queue woken when it changes. */
unsigned tty_poll(void);
struct waitq *tty_waitq(void);

/* The receive path (PL011 interrupt) and the line discipline's input. */
bool tty_active(void);
void tty_input_byte(char c);
void tty_input_done(void);      /* wakes readers after a burst */
/* The session the console is the controlling terminal of, and its
 * foreground process group (0 when none), for /proc/<pid>/stat. */
void tty_owner(int *session, int *pgrp);
#define TTY_CONSOLE_DEV ((5 << 8) | 1)  /* tty_nr of /dev/console (5:1) */
/* Input counters, for tests. */
uint64_t tty_dropped(void);

#endif
