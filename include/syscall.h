/* System call registration and argument access (Linux aarch64 ABI:
 * `svc #0`, number in x8, arguments in x0-x5, result or -errno in x0).
 *
 * Each subsystem defines its own calls next to its code:
 *
 *     SYSCALL(__NR_getpid, getpid)
 *     {
 *         return current_proc()->pid;
 *     }
 *
 * The body sees `tf`, the caller's saved registers; SC_ARG(n) is argument
 * n.  SYSCALL places a descriptor in the .syscalls linker section and the
 * dispatcher (kernel/syscall.c) indexes them by number at boot, so adding a
 * call never means editing a central table. */
#ifndef SYSCALL_H
#define SYSCALL_H

#include "kernel.h"
#include "../arch/arm64/trap.h"
#include "syscall_nr.h"

struct syscall_desc {
    unsigned nr;
    const char *name;
    long (*fn)(struct trap_frame *tf);
};

#define SC_ARG(n)   (tf->x[(n)])

#define SYSCALL(nr_, name_)                                                 \
    static long sys_##name_(struct trap_frame *tf);                         \
    static const struct syscall_desc __syscall_##name_                      \
        __section(".syscalls") __attribute__((used, aligned(8))) =          \
        { (nr_), #name_, sys_##name_ };                                     \
    static long sys_##name_(__unused struct trap_frame *tf)

void syscall_init(void);
/* Called by trap_sync for an SVC from EL0; writes the result to x0. */
void syscall_dispatch(struct trap_frame *tf);

#endif
