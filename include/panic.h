/* Fatal errors.  panic() prints its message, a backtrace-free register-less
 * report, the marker line the test harness looks for, and powers off with a
 * non-zero status. */
#ifndef PANIC_H
#define PANIC_H

#include "kernel.h"

/* The last line the kernel prints before powering off.  The host harness
 * reads the status from it: 0 means a clean shutdown. */
#define POWEROFF_MARKER "reboot: power off, status"

noreturn void panic(const char *fmt, ...) __printf(1, 2);
noreturn void kernel_poweroff(int status);

#define BUG_ON(cond)                                                        \
    do {                                                                    \
        if (unlikely(cond))                                                 \
            panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);           \
    } while (0)

#endif
