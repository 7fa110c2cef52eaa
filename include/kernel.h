/* Definitions every kernel file uses. */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

typedef uint64_t paddr_t;
typedef int64_t ssize_t;

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)      (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)    ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)    (((x) & ((a) - 1)) == 0)
#define MIN(a, b)           ((a) < (b) ? (a) : (b))
#define MAX(a, b)           ((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d)  (((n) + (d) - 1) / (d))
#define container_of(p, type, member) \
    ((type *)((char *)(p) - offsetof(type, member)))

#define likely(x)           __builtin_expect(!!(x), 1)
#define unlikely(x)         __builtin_expect(!!(x), 0)
#define __unused            __attribute__((unused))
#define __aligned(n)        __attribute__((aligned(n)))
#define __section(s)        __attribute__((section(s)))
#define __printf(a, b)      __attribute__((format(printf, a, b)))

#define READ_ONCE(x)        (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)    (*(volatile __typeof__(x) *)&(x) = (v))

/* Errno values: the Linux ones, so the syscall layer can pass them through. */
#define EPERM       1
#define ENOENT      2
#define ESRCH       3
#define EINTR       4
#define EIO         5
#define ENXIO       6
#define E2BIG       7
#define ENOEXEC     8
#define EBADF       9
#define ECHILD      10
#define EAGAIN      11
#define ENOMEM      12
#define EACCES      13
#define EFAULT      14
#define EBUSY       16
#define EEXIST      17
#define EXDEV       18
#define ENODEV      19
#define ENOTDIR     20
#define EISDIR      21
#define EINVAL      22
#define ENFILE      23
#define EMFILE      24
#define ENOTTY      25
#define ETXTBSY     26
#define EFBIG       27
#define ENOSPC      28
#define ESPIPE      29
#define EROFS       30
#define EMLINK      31
#define EPIPE       32
#define EDOM        33
#define ERANGE      34
#define EDEADLK     35
#define ENAMETOOLONG 36
#define ENOSYS      38
#define ENOTEMPTY   39
#define ELOOP       40
#define EPROTO      71
#define EBADMSG     74
#define ENOTSOCK    88
#define EDESTADDRREQ 89
#define EMSGSIZE    90
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define EOPNOTSUPP  95
#define EAFNOSUPPORT 97
#define EADDRINUSE  98
#define EADDRNOTAVAIL 99
#define ENETDOWN    100
#define ENETUNREACH 101
#define ECONNABORTED 103
#define ECONNRESET  104
#define EISCONN     106
#define ENOTCONN    107
#define EHOSTUNREACH 113
#define EALREADY    114
#define EINPROGRESS 115
#define ECONNREFUSED 111
#define ETIMEDOUT   110
#define ENOTSUP     EOPNOTSUPP
/* Kernel-internal: never seen by user space.  A system call interrupted by
 * a signal returns this; signal delivery turns it into a restart (handler
 * with SA_RESTART, or no handler) or -EINTR. */
#define ERESTARTSYS 512

#endif
