/* User memory access with fault fixup (include/uaccess.h).
 *
 * The loops use the unprivileged loads and stores LDTR/STTR (Arm ARM
 * C6.2.*: "load register (unprivileged)"): they are checked against EL0
 * permissions even though the kernel issues them, so a user pointer into
 * kernel memory faults like any bad pointer, and PAN does not apply to
 * them.  Every such instruction has an __ex_table entry: on a fault the
 * trap handler first tries to resolve it (copy-on-write, demand paging)
 * and, if the address is really bad, resumes at uaccess_fault, which
 * returns -EFAULT.  The C wrappers check that ranges lie below USER_TOP. */
#define EFAULT          14
#define ENAMETOOLONG    36

.macro user insn:vararg
9999:   \insn
    .pushsection __ex_table, "a"
    .balign 8
    .quad   9999b, uaccess_fault
    .popsection
.endm

    .text
/* long arch_copy_from_user(void *dst, uint64_t usrc, size_t n) */
    .globl arch_copy_from_user
arch_copy_from_user:
    cmp     x2, #8
    b.lo    2f
1:  user    ldtr x3, [x1]
    str     x3, [x0], #8
    add     x1, x1, #8
    sub     x2, x2, #8
    cmp     x2, #8
    b.hs    1b
2:  cbz     x2, 4f
3:  user    ldtrb w3, [x1]
    strb    w3, [x0], #1
    add     x1, x1, #1
    subs    x2, x2, #1
    b.ne    3b
4:  mov     x0, #0
    ret

/* long arch_copy_to_user(uint64_t udst, const void *src, size_t n) */
    .globl arch_copy_to_user
arch_copy_to_user:
    cmp     x2, #8
    b.lo    2f
1:  ldr     x3, [x1], #8
    user    sttr x3, [x0]
    add     x0, x0, #8
    sub     x2, x2, #8
    cmp     x2, #8
    b.hs    1b
2:  cbz     x2, 4f
3:  ldrb    w3, [x1], #1
    user    sttrb w3, [x0]
    add     x0, x0, #1
    subs    x2, x2, #1
    b.ne    3b
4:  mov     x0, #0
    ret

/* long arch_clear_user(uint64_t udst, size_t n) */
    .globl arch_clear_user
arch_clear_user:
    cmp     x1, #8
    b.lo    2f
1:  user    sttr xzr, [x0]
    add     x0, x0, #8
    sub     x1, x1, #8
    cmp     x1, #8
    b.hs    1b
2:  cbz     x1, 4f
3:  user    sttrb wzr, [x0]
    add     x0, x0, #1
    subs    x1, x1, #1
    b.ne    3b
4:  mov     x0, #0
    ret

/* long arch_strncpy_from_user(char *dst, uint64_t usrc, size_t max):
 * the string's length, or -ENAMETOOLONG if no NUL in max bytes. */
    .globl arch_strncpy_from_user
arch_strncpy_from_user:
    mov     x4, #0
1:  cmp     x4, x2
    b.hs    3f
    user    ldtrb w3, [x1, #0]
    strb    w3, [x0, x4]
    add     x1, x1, #1
    cbz     w3, 2f
    add     x4, x4, #1
    b       1b
2:  mov     x0, x4
    ret
3:  mov     x0, #-ENAMETOOLONG
    ret

uaccess_fault:
    mov     x0, #-EFAULT
    ret
