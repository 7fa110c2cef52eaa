/* The register frame saved on the kernel stack by every exception entry
 * (arch/arm64/vectors.S).  The layout is shared with the assembly: keep
 * TRAP_FRAME_SIZE in memlayout.h in step. */
#ifndef ARM64_TRAP_H
#define ARM64_TRAP_H

#include <stdint.h>
#include "memlayout.h"

struct trap_frame {
    uint64_t x[31];     /* x0..x30 */
    uint64_t sp;        /* SP_EL0 when from EL0, else SP before the exception */
    uint64_t elr;
    uint64_t spsr;
    uint64_t esr;
    uint64_t far;
};
_Static_assert(sizeof(struct trap_frame) == TRAP_FRAME_SIZE, "trap frame layout");

/* Called from vectors.S. */
void trap_sync(struct trap_frame *tf);
void trap_irq(struct trap_frame *tf);
void trap_unexpected(struct trap_frame *tf, uint64_t kind);
void trap_stack_overflow(struct trap_frame *tf);

void trap_user_init(void);
/* On every return to user mode: deliver pending signals (kernel/signal.c). */
void signal_deliver(struct trap_frame *tf);

static inline int trap_from_user(const struct trap_frame *tf)
{
    return (tf->spsr & 0xf) == 0;   /* M[3:0] == EL0t */
}

#endif
