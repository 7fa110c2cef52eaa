/* System register bit definitions used by boot and the MMU code
 * (Arm ARM DDI 0487, chapter D17).  Included from assembly. */
#ifndef ARM64_SYSREGS_H
#define ARM64_SYSREGS_H

/* MAIR_EL1 attribute indexes and encodings (D17.2.97). */
#define MT_DEVICE_nGnRE     0
#define MT_NORMAL           1
#define MT_NORMAL_NC        2
#define MAIR_VALUE          ((0x04 << (8 * MT_DEVICE_nGnRE)) | \
                             (0xFF << (8 * MT_NORMAL)) |       \
                             (0x44 << (8 * MT_NORMAL_NC)))

/* TCR_EL1 (D17.2.131): 48-bit VA both halves, 4 KiB granule, write-back
 * inner-shareable walks, 16-bit ASIDs.  IPS is filled in from
 * ID_AA64MMFR0_EL1.PARange at boot. */
#define TCR_T0SZ            (16 << 0)
#define TCR_IRGN0_WBWA      (1 << 8)
#define TCR_ORGN0_WBWA      (1 << 10)
#define TCR_SH0_INNER       (3 << 12)
#define TCR_TG0_4K          (0 << 14)
#define TCR_T1SZ            (16 << 16)
#define TCR_IRGN1_WBWA      (1 << 24)
#define TCR_ORGN1_WBWA      (1 << 26)
#define TCR_SH1_INNER       (3 << 28)
#define TCR_TG1_4K          (2 << 30)
#define TCR_IPS_SHIFT       32
#define TCR_AS              (1 << 36)
#define TCR_VALUE           (TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | \
                             TCR_SH0_INNER | TCR_TG0_4K | TCR_T1SZ |       \
                             TCR_IRGN1_WBWA | TCR_ORGN1_WBWA |             \
                             TCR_SH1_INNER | TCR_TG1_4K)

/* SCTLR_EL1 (D17.2.118).  RES1 bits of ARMv8.0 plus the ones we want. */
#define SCTLR_M             (1 << 0)
#define SCTLR_A             (1 << 1)
#define SCTLR_C             (1 << 2)
#define SCTLR_SA            (1 << 3)
#define SCTLR_SA0           (1 << 4)
#define SCTLR_I             (1 << 12)
#define SCTLR_NTWI          (1 << 16)
#define SCTLR_NTWE          (1 << 18)
#define SCTLR_RES1          ((1 << 11) | (1 << 20) | (1 << 22) | (1 << 23) | \
                             (1 << 28) | (1 << 29))
#define SCTLR_MMU_OFF       SCTLR_RES1
#define SCTLR_MMU_ON        (SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | \
                             SCTLR_SA0 | SCTLR_I | SCTLR_NTWI | SCTLR_NTWE)

/* HCR_EL2.RW: EL1 is AArch64. */
#define HCR_RW              (1 << 31)
/* SPSR for "EL1h, all of DAIF masked". */
#define SPSR_EL1H_DAIF      0x3c5
/* CNTHCTL_EL2: let EL1 read the physical counter and use the physical timer. */
#define CNTHCTL_EL1PCTEN    (1 << 0)
#define CNTHCTL_EL1PCEN     (1 << 1)
/* CPTR_EL2 RES1 bits, no traps. */
#define CPTR_EL2_RES1       0x33ff
/* CPACR_EL1.FPEN = 0b11: FP/SIMD does not trap at EL0 or EL1. */
#define CPACR_FPEN          (3 << 20)

/* Translation table descriptor bits (D8.3). */
#define PTE_VALID           (1UL << 0)
#define PTE_TABLE           (1UL << 1)   /* level 0-2: next-level table */
#define PTE_PAGE            (1UL << 1)   /* level 3: page */
#define PTE_BLOCK           (0UL << 1)   /* level 1-2: block */
#define PTE_ATTR(idx)       ((idx) << 2)
#define PTE_NS              (1UL << 5)
#define PTE_AP_EL0          (1UL << 6)   /* AP[1]: EL0 may access */
#define PTE_AP_RO           (1UL << 7)   /* AP[2]: read-only */
#define PTE_SH_INNER        (3UL << 8)
#define PTE_AF              (1UL << 10)
#define PTE_NG              (1UL << 11)
#define PTE_PXN             (1UL << 53)
#define PTE_UXN             (1UL << 54)
#define PTE_ADDR_MASK       0x0000FFFFFFFFF000UL

#endif
