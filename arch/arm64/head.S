/* Entry point: the Linux arm64 Image protocol (Documentation/arch/arm64/
 * booting.rst).  The loader jumps to the first byte with the MMU off and
 * x0 = physical address of the DTB.
 *
 * Steps: leave EL2 if we are in it, clear BSS, build boot page tables that
 * map the image at KIMAGE_BASE, the first 4 GiB identity (so the MMU can be
 * turned on and the early UART reached), and 1..4 GiB of RAM in the linear
 * map; turn the MMU on, jump to the linked address and call kmain().
 * mmu_init() replaces these tables with precise ones later. */
#include "memlayout.h"
#include "sysregs.h"
#include "asm.h"

#define BLOCK_ATTR_NORMAL (PTE_VALID | PTE_BLOCK | PTE_ATTR(MT_NORMAL) | \
                           PTE_SH_INNER | PTE_AF)
#define BLOCK_ATTR_DEVICE (PTE_VALID | PTE_BLOCK | PTE_ATTR(MT_DEVICE_nGnRE) | \
                           PTE_AF | PTE_PXN | PTE_UXN)
#define TABLE_DESC        (PTE_VALID | PTE_TABLE)

    .section .head.text, "ax"
    .globl _head
_head:
    b       primary_entry               // code0
    .long   0                           // code1
    .quad   0                           // text_offset: any 2 MiB-aligned base
    .quad   _image_size                 // image_size, BSS included
    .quad   0xa                         // flags: LE, 4K pages, anywhere in RAM
    .quad   0, 0, 0                     // reserved
    .ascii  "ARM\x64"                   // magic
    .long   0                           // no PE header

    .section .text.boot, "ax"
primary_entry:
    mov     x21, x0                     // DTB physical address
    adrp    x22, _start                 // physical load address of the image

    mrs     x0, CurrentEL
    lsr     x0, x0, #2
    cmp     x0, #2
    b.ne    1f
    bl      el2_to_el1
1:
    msr     daifset, #0xf
    ldr     x0, =SCTLR_MMU_OFF
    msr     sctlr_el1, x0
    isb

    /* The 2 MiB block mapping of the image needs a 2 MiB-aligned load
     * address, which the Image protocol guarantees for text_offset 0. */
    tst     x22, #0x1fffff
    b.ne    .Lhang

    /* Clear BSS (physical addresses: MMU is off). */
    adrp    x0, _bss_start
    adrp    x1, _bss_end
2:  cmp     x0, x1
    b.hs    3f
    stp     xzr, xzr, [x0], #16
    b       2b
3:
    bl      build_boot_tables

    ldr     x0, =MAIR_VALUE
    msr     mair_el1, x0
    ldr     x0, =TCR_VALUE
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #7                  // PARange
    orr     x0, x0, x1, lsl #TCR_IPS_SHIFT
    msr     tcr_el1, x0
    adrp    x0, boot_l0_id
    msr     ttbr0_el1, x0
    adrp    x0, boot_l0_hi
    msr     ttbr1_el1, x0
    mov     x0, #CPACR_FPEN
    msr     cpacr_el1, x0
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x0, =SCTLR_MMU_ON
    msr     sctlr_el1, x0
    isb

    /* Now running through the identity map; jump to the linked address. */
    ldr     x0, =high_entry
    br      x0

high_entry:
    adr_l   x0, boot_stack_top
    mov     sp, x0
    adr_l   x0, vectors
    msr     vbar_el1, x0
    isb
    mov     x29, #0
    mov     x30, #0
    mov     x0, x21
    mov     x1, x22
    bl      kmain
.Lhang:
    wfe
    b       .Lhang

/* Leave EL2 for EL1 with a clean, permissive EL2 configuration. */
el2_to_el1:
    mov     x0, #HCR_RW
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #(CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN)
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mov     x0, #CPTR_EL2_RES1
    msr     cptr_el2, x0
    msr     hstr_el2, xzr
    msr     vttbr_el2, xzr
    ldr     x0, =SCTLR_MMU_OFF
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_DAIF
    msr     spsr_el2, x0
    msr     elr_el2, x30
    eret

/* x22 = physical base of the image.  Clobbers x0-x7. */
build_boot_tables:
    /* TTBR1 L0[0] -> linear L1, L0[256] -> kimage L1. */
    adrp    x0, boot_l0_hi
    adrp    x1, boot_l1_lin
    orr     x1, x1, #TABLE_DESC
    str     x1, [x0]
    adrp    x1, boot_l1_hi
    orr     x1, x1, #TABLE_DESC
    str     x1, [x0, #(256 * 8)]
    /* kimage L1[0] -> L2 */
    adrp    x0, boot_l1_hi
    adrp    x1, boot_l2_hi
    orr     x1, x1, #TABLE_DESC
    str     x1, [x0]
    /* L2: 2 MiB blocks covering the image, plus one spare. */
    adrp    x0, boot_l2_hi
    ldr     x2, =_image_size
    lsr     x2, x2, #21
    add     x2, x2, #2
    ldr     x3, =BLOCK_ATTR_NORMAL
    orr     x3, x3, x22
    mov     x4, #(1 << 21)
4:  str     x3, [x0], #8
    add     x3, x3, x4
    subs    x2, x2, #1
    b.ne    4b
    /* Linear L1: 1 GiB blocks for PA 1..4 GiB (RAM on QEMU virt). */
    adrp    x0, boot_l1_lin
    ldr     x3, =(BLOCK_ATTR_NORMAL | PTE_PXN | PTE_UXN)
    mov     x4, #(1 << 30)
    orr     x3, x3, x4
    str     x3, [x0, #8]
    add     x3, x3, x4
    str     x3, [x0, #16]
    add     x3, x3, x4
    str     x3, [x0, #24]
    /* Identity: L0[0] -> L1; 0..1 GiB device, 1..4 GiB normal. */
    adrp    x0, boot_l0_id
    adrp    x1, boot_l1_id
    orr     x1, x1, #TABLE_DESC
    str     x1, [x0]
    adrp    x0, boot_l1_id
    ldr     x3, =BLOCK_ATTR_DEVICE
    str     x3, [x0]
    ldr     x3, =BLOCK_ATTR_NORMAL
    orr     x3, x3, x4
    str     x3, [x0, #8]
    add     x3, x3, x4
    str     x3, [x0, #16]
    add     x3, x3, x4
    str     x3, [x0, #24]
    dsb     sy
    ret

    .section .bss
    .balign 4096
    .globl boot_l0_hi
boot_l0_hi:   .space 4096
boot_l1_hi:   .space 4096
boot_l2_hi:   .space 4096
boot_l1_lin:  .space 4096
    .globl boot_l0_id
boot_l0_id:   .space 4096
boot_l1_id:   .space 4096

    /* The boot stack becomes the idle thread's stack.  Aligned like every
     * kernel stack (see memlayout.h) so the overflow check in the vectors
     * holds for it too; mmu_init() leaves the page below it unmapped. */
    .balign (2 * KSTACK_SIZE)
    .space  KSTACK_SIZE                 // so the stack base is 2x aligned
    .globl boot_stack_guard
boot_stack_guard:
    .space  KSTACK_SIZE
    .globl boot_stack
boot_stack:
    .space  KSTACK_SIZE
    .globl boot_stack_top
boot_stack_top:
