/* Range checks in front of the fault-fixup copy loops (arch/arm64/
 * uaccess.S).  A range that reaches into the kernel half is refused up
 * front; everything else is left to the MMU, since whether a user page is
 * mapped can change under a system call (another mapping call, CoW). */
#include "uaccess.h"

long arch_copy_from_user(void *dst, uint64_t usrc, size_t n);
long arch_copy_to_user(uint64_t udst, const void *src, size_t n);
long arch_clear_user(uint64_t udst, size_t n);
long arch_strncpy_from_user(char *dst, uint64_t usrc, size_t max);

int copy_from_user(void *dst, uint64_t usrc, size_t len)
{
    if (!user_range_ok(usrc, len))
        return -EFAULT;
    return len ? (int)arch_copy_from_user(dst, usrc, len) : 0;
}

int copy_to_user(uint64_t udst, const void *src, size_t len)
{
    if (!user_range_ok(udst, len))
        return -EFAULT;
    return len ? (int)arch_copy_to_user(udst, src, len) : 0;
}

int clear_user(uint64_t udst, size_t len)
{
    if (!user_range_ok(udst, len))
        return -EFAULT;
    return len ? (int)arch_clear_user(udst, len) : 0;
}

long strncpy_from_user(char *dst, uint64_t usrc, size_t max)
{
    if (usrc >= USER_TOP || max == 0)
        return -EFAULT;
    /* Never read past the end of the user half. */
    if (max > USER_TOP - usrc)
        max = USER_TOP - usrc;
    return arch_strncpy_from_user(dst, usrc, max);
}
