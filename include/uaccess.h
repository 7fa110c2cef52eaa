/* Access to user memory from the kernel.  Every user pointer a system call
 * receives goes through these: the address range is checked to lie in the
 * user half, and a fault on the access itself (unmapped, or read-only for a
 * write) is caught by the exception table (__ex_table) and turned into
 * -EFAULT instead of a kernel crash.  Copy-on-write and lazily mapped pages
 * fault in normally first.  PAN stays on outside these functions. */
#ifndef UACCESS_H
#define UACCESS_H

#include "kernel.h"

#define USER_TOP    0x0000800000000000UL    /* 47-bit user VA space */

static inline bool user_range_ok(uint64_t addr, size_t len)
{
    return addr < USER_TOP && len <= USER_TOP - addr;
}

/* 0 or -EFAULT. */
int copy_from_user(void *dst, uint64_t usrc, size_t len);
int copy_to_user(uint64_t udst, const void *src, size_t len);
int clear_user(uint64_t udst, size_t len);
/* Copies a NUL-terminated string of at most max-1 characters plus the NUL.
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL is within max. */
long strncpy_from_user(char *dst, uint64_t usrc, size_t max);

/* Typed single values. */
#define get_user(var, uaddr) copy_from_user(&(var), (uaddr), sizeof(var))
#define put_user(var, uaddr) copy_to_user((uaddr), &(var), sizeof(var))

#endif
