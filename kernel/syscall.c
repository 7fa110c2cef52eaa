/* The system call dispatcher.  Calls register themselves with SYSCALL()
 * (include/syscall.h) in the .syscalls section; syscall_init() indexes
 * them by number.  Numbers nobody registered return -ENOSYS and are
 * logged once each, with the first caller's name, so a missing call shows
 * up in the log without flooding it. */
#include "syscall.h"
#include "panic.h"
#include "printk.h"
#include "proc.h"
#include "sched.h"

extern const struct syscall_desc __syscalls_start[], __syscalls_end[];

static const struct syscall_desc *table[NR_SYSCALLS];
/* Numbers already reported; written by the calling thread only, a race
 * costs at most a duplicate log line. */
static uint64_t reported[NR_SYSCALLS / 64 + 1];  /* + the out-of-range bit */

void syscall_init(void)
{
    int n = 0;

    for (const struct syscall_desc *d = __syscalls_start; d < __syscalls_end;
         d++, n++) {
        if (d->nr >= NR_SYSCALLS)
            panic("syscall %s: number %u out of range", d->name, d->nr);
        if (table[d->nr])
            panic("syscall %u registered twice (%s, %s)", d->nr,
                  table[d->nr]->name, d->name);
        table[d->nr] = d;
    }
    klog("syscall: %d system calls", n);
}

void syscall_dispatch(struct trap_frame *tf)
{
    uint64_t nr = tf->x[8];
    struct proc *p = current_proc();
    long ret;

    current_thread()->orig_x0 = tf->x[0];
    p->in_syscall = true;
    if (nr < NR_SYSCALLS && table[nr]) {
        ret = table[nr]->fn(tf);
    } else {
        /* Numbers past the table share one "reported" bit, so a fuzzer
         * cannot flood the log. */
        uint64_t slot = nr < NR_SYSCALLS ? nr : NR_SYSCALLS;
        uint64_t bit = 1ULL << (slot % 64);
        if (!(reported[slot / 64] & bit)) {
            reported[slot / 64] |= bit;
            klog("syscall: %lu not implemented (first called by pid %d, %s)",
                 (unsigned long)nr, p->pid, p->name);
        }
        ret = -ENOSYS;
    }
    tf->x[0] = (uint64_t)ret;
}
