/* Assembler helpers shared by the .S files. */
#ifndef ARM64_ASM_H
#define ARM64_ASM_H

/* Address of a symbol within +-4 GiB of the PC, position independent. */
.macro adr_l, reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
.endm

#endif
