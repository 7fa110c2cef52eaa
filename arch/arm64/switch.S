/* cpu_switch(prev, next): save the callee-saved registers, frame pointer,
 * return address and SP in prev's struct cpu_context, load next's, and
 * return into next.  Caller-saved registers are dead across the call (AAPCS64
 * 6.1.1), so nothing else needs saving.  Offsets follow struct cpu_context
 * in include/sched.h. */
    .text
    .globl cpu_switch
cpu_switch:
    stp     x19, x20, [x0, #16 * 0]
    stp     x21, x22, [x0, #16 * 1]
    stp     x23, x24, [x0, #16 * 2]
    stp     x25, x26, [x0, #16 * 3]
    stp     x27, x28, [x0, #16 * 4]
    stp     x29, x30, [x0, #16 * 5]
    mov     x9, sp
    str     x9, [x0, #16 * 6]

    ldp     x19, x20, [x1, #16 * 0]
    ldp     x21, x22, [x1, #16 * 1]
    ldp     x23, x24, [x1, #16 * 2]
    ldp     x25, x26, [x1, #16 * 3]
    ldp     x27, x28, [x1, #16 * 4]
    ldp     x29, x30, [x1, #16 * 5]
    ldr     x9, [x1, #16 * 6]
    mov     sp, x9
    ret

/* First code a new thread runs: cpu_switch "returned" here with x19 = the
 * thread. */
    .globl thread_trampoline
thread_trampoline:
    mov     x0, x19
    bl      thread_start
    b       .
