/* Exception vector table (Arm ARM D1.10.2): 16 entries of 0x80 bytes.
 * Every entry saves a struct trap_frame on the current kernel stack and calls
 * one C function; nothing driver-specific ever lives here. */
#include "memlayout.h"
#include "asm.h"

#define KIND_SYNC   0
#define KIND_IRQ    1
#define KIND_FIQ    2
#define KIND_SERROR 3

/* Save x0-x30, the interrupted SP, ELR, SPSR, ESR and FAR. */
.macro save_frame, el
    sub     sp, sp, #TRAP_FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    .if \el == 0
    mrs     x21, sp_el0
    .else
    add     x21, sp, #TRAP_FRAME_SIZE
    .endif
    stp     x30, x21, [sp, #16 * 15]
    mrs     x22, elr_el1
    mrs     x23, spsr_el1
    stp     x22, x23, [sp, #16 * 16]
    mrs     x24, esr_el1
    mrs     x25, far_el1
    stp     x24, x25, [sp, #16 * 17]
.endm

/* An entry from EL1 first checks that SP is still inside its stack: stacks
 * are KSTACK_SIZE long and 2 * KSTACK_SIZE aligned, so bit KSTACK_SHIFT of a
 * valid SP is clear.  The test must not touch memory or clobber registers,
 * hence the add/sub dance that borrows SP to hold x0. */
.macro check_stack
    sub     sp, sp, #TRAP_FRAME_SIZE
    add     sp, sp, x0              // sp = sp' + x0
    sub     x0, sp, x0              // x0 = sp'
    tbnz    x0, #KSTACK_SHIFT, stack_overflow
    sub     x0, sp, x0              // x0 = original x0
    sub     sp, sp, x0              // sp = sp'
    add     sp, sp, #TRAP_FRAME_SIZE
.endm

.macro vector, label
    .balign 0x80
    b       \label
.endm

    .text
    .balign 2048
    .globl vectors
vectors:
    /* Current EL with SP_EL0: never used by this kernel. */
    vector  el1t_sync
    vector  el1t_irq
    vector  el1t_fiq
    vector  el1t_serror
    /* Current EL with SP_EL1: the kernel. */
    vector  el1h_sync
    vector  el1h_irq
    vector  el1h_fiq
    vector  el1h_serror
    /* Lower EL, AArch64: user processes. */
    vector  el0_sync
    vector  el0_irq
    vector  el0_fiq
    vector  el0_serror
    /* Lower EL, AArch32: not supported. */
    vector  el0_32_sync
    vector  el0_32_irq
    vector  el0_32_fiq
    vector  el0_32_serror

.macro unexpected, name, el, kind
\name:
    .if \el == 1
    check_stack
    .endif
    save_frame \el
    mov     x0, sp
    mov     x1, #\kind
    bl      trap_unexpected
    b       .
.endm

    unexpected el1t_sync, 1, KIND_SYNC
    unexpected el1t_irq, 1, KIND_IRQ
    unexpected el1t_fiq, 1, KIND_FIQ
    unexpected el1t_serror, 1, KIND_SERROR
    unexpected el1h_fiq, 1, KIND_FIQ
    unexpected el1h_serror, 1, KIND_SERROR
    unexpected el0_fiq, 0, KIND_FIQ
    unexpected el0_serror, 0, KIND_SERROR
    unexpected el0_32_sync, 0, KIND_SYNC
    unexpected el0_32_irq, 0, KIND_IRQ
    unexpected el0_32_fiq, 0, KIND_FIQ
    unexpected el0_32_serror, 0, KIND_SERROR

el1h_sync:
    check_stack
    save_frame 1
    mov     x0, sp
    bl      trap_sync
    b       trap_return

el1h_irq:
    check_stack
    save_frame 1
    mov     x0, sp
    bl      trap_irq
    b       trap_return

el0_sync:
    save_frame 0
    mov     x0, sp
    bl      trap_sync
    b       trap_return

el0_irq:
    save_frame 0
    mov     x0, sp
    bl      trap_irq
    b       trap_return

/* Restore the frame at SP and return from the exception.  Also the first
 * return to user mode of a new process goes through here. */
    .globl trap_return
trap_return:
    msr     daifset, #0xf
    ldp     x22, x23, [sp, #16 * 16]
    msr     elr_el1, x22
    msr     spsr_el1, x23
    ldp     x30, x21, [sp, #16 * 15]
    tst     x23, #0xf
    b.ne    1f
    msr     sp_el0, x21             // returning to EL0: restore its SP
1:
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #TRAP_FRAME_SIZE
    eret

/* The kernel stack overflowed into its guard page.  x0 and SP are intact
 * (SP is the overflowed one); move to a dedicated stack and report. */
stack_overflow:
    sub     x0, sp, x0              // x0 = original x0
    sub     sp, sp, x0              // sp = sp' (overflowed)
    msr     tpidr_el0, x0           // scratch registers: we panic anyway
    add     x0, sp, #TRAP_FRAME_SIZE
    msr     tpidrro_el0, x0
    adr_l   x0, overflow_stack_top
    mov     sp, x0
    mrs     x0, tpidr_el0
    save_frame 1
    mrs     x1, tpidrro_el0
    str     x1, [sp, #8 * 31]       // frame.sp = the overflowed SP
    mov     x0, sp
    bl      trap_stack_overflow
    b       .

    .bss
    .balign 16
overflow_stack:
    .space  8192
overflow_stack_top:
