/* Host shim for mm/frame.c and mm/kmalloc.c, force-included into every
 * translation unit of test_frame and test_kmalloc (-include mm_host.h).
 *
 *   - arch.h and spinlock.h are replaced (their include guards are defined
 *     here): a spinlock is a plain flag, and taking one that is held or
 *     releasing one that is free aborts, so a lock left held (for example
 *     across a panic) shows up at once.
 *   - mm.h is the kernel's own.  phys_to_virt(pa) is pa + LINEAR_BASE,
 *     which wraps modulo 2^64, so the "physical" address of host memory at
 *     p is mm_host_pa(p) = p - LINEAR_BASE and the allocators reach their
 *     RAM, a page-aligned buffer the test owns, unchanged.
 *   - panic() (panic.h) is defined by the test (MM_HOST_IMPL below): inside
 *     MM_PANICS(statement) it records the message and longjmps back, so
 *     tests can check that misuse is detected; elsewhere it aborts.
 *
 * One test file per program does
 *     #define MM_HOST_IMPL
 *     #include "mm_host.h"
 * to get the definitions (panic, kimage_phys, the panic catcher state). */
#ifndef MM_HOST_H
#define MM_HOST_H

#define ARCH_H
#define SPINLOCK_H

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel.h"
#include "memlayout.h"

struct spinlock {
    volatile uint32_t locked;
    const char *name;
};

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n) }

static inline void mm_host_lock_bug(const struct spinlock *l, const char *what)
{
    fprintf(stderr, "spinlock '%s' %s\n", l->name ? l->name : "?", what);
    abort();
}

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    if (l->locked)
        mm_host_lock_bug(l, "taken while held");
    l->locked = 1;
    return 0x3c0;           /* some DAIF value, checked on restore */
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    if (!l->locked)
        mm_host_lock_bug(l, "released while free");
    if (flags != 0x3c0)
        mm_host_lock_bug(l, "restored with flags it did not return");
    l->locked = 0;
}

static inline bool spin_is_locked(const struct spinlock *l)
{
    return l->locked != 0;
}

/* "Physical" address of host memory (see above). */
static inline paddr_t mm_host_pa(const void *p)
{
    return (paddr_t)(uintptr_t)p - LINEAR_BASE;
}

/* The panic catcher. */
extern jmp_buf *mm_panic_jmp;
extern char mm_panic_msg[256];

/* Runs `stmt`; evaluates to 1 if it panicked (message in mm_panic_msg),
 * 0 if it returned normally. */
#define MM_PANICS(stmt)                                                     \
    __extension__ ({                                                        \
        jmp_buf mm_jb_;                                                     \
        jmp_buf *mm_old_ = mm_panic_jmp;                                    \
        int mm_r_;                                                          \
        mm_panic_msg[0] = '\0';                                             \
        mm_panic_jmp = &mm_jb_;                                             \
        if (setjmp(mm_jb_) == 0) {                                          \
            stmt;                                                           \
            mm_r_ = 0;                                                      \
        } else {                                                            \
            mm_r_ = 1;                                                      \
        }                                                                   \
        mm_panic_jmp = mm_old_;                                             \
        mm_r_;                                                              \
    })

#endif /* MM_HOST_H */

#if defined(MM_HOST_IMPL) && !defined(MM_HOST_IMPL_DONE)
#define MM_HOST_IMPL_DONE
#include "panic.h"

jmp_buf *mm_panic_jmp;
char mm_panic_msg[256];
paddr_t kimage_phys;        /* virt_to_phys() refers to it */

noreturn void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mm_panic_msg, sizeof(mm_panic_msg), fmt, ap);
    va_end(ap);
    if (mm_panic_jmp)
        longjmp(*mm_panic_jmp, 1);
    fprintf(stderr, "unexpected panic: %s\n", mm_panic_msg);
    abort();
}
#endif
