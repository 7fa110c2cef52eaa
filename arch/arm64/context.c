/* The user half of a context switch: FP/SIMD registers, the TLS register
 * TPIDR_EL0 and the address space (TTBR0 with its ASID, so no TLB flush is
 * needed; Arm ARM D8.13 "ASIDs").  Kernel threads run with the empty user
 * table, so a freed address space is never left in TTBR0. */
#include "arch.h"
#include "mm.h"
#include "sched.h"

void fpsimd_save(struct fpsimd_state *s);
void fpsimd_load(const struct fpsimd_state *s);
uint64_t mmu_empty_ttbr0(void);

void arch_set_ttbr0(uint64_t ttbr0)
{
    write_sysreg(ttbr0_el1, ttbr0 ? ttbr0 : mmu_empty_ttbr0());
    isb();
}

void arch_thread_switch(struct thread *prev, struct thread *next)
{
    if (prev->ttbr0) {
        fpsimd_save(&prev->fp);
        prev->tpidr_el0 = read_sysreg(tpidr_el0);
    }
    if (next->ttbr0) {
        fpsimd_load(&next->fp);
        write_sysreg(tpidr_el0, next->tpidr_el0);
    }
    if (prev->ttbr0 != next->ttbr0)
        arch_set_ttbr0(next->ttbr0);
}
