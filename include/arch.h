/* CPU primitives: system registers, barriers, interrupt masking. */
#ifndef ARCH_H
#define ARCH_H

#include "kernel.h"

#define read_sysreg(r) ({                                   \
    uint64_t __v;                                           \
    __asm__ volatile("mrs %0, " #r : "=r"(__v));            \
    __v;                                                    \
})
#define write_sysreg(r, v) \
    __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

#define isb()       __asm__ volatile("isb" ::: "memory")
#define dsb(opt)    __asm__ volatile("dsb " #opt ::: "memory")
#define dmb(opt)    __asm__ volatile("dmb " #opt ::: "memory")
#define wfi()       __asm__ volatile("wfi" ::: "memory")
#define barrier()   __asm__ volatile("" ::: "memory")

/* Full barrier between normal memory and devices (virtio's virtio_mb). */
#define mb()        dsb(sy)
#define rmb()       dsb(ld)
#define wmb()       dsb(st)

#define DAIF_I      (1UL << 7)

static inline uint64_t arch_irq_save(void)
{
    uint64_t flags = read_sysreg(daif);
    __asm__ volatile("msr daifset, #2" ::: "memory");
    return flags;
}

static inline void arch_irq_restore(uint64_t flags)
{
    write_sysreg(daif, flags);
}

static inline void arch_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

static inline void arch_irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

static inline bool arch_irqs_disabled(void)
{
    return (read_sysreg(daif) & DAIF_I) != 0;
}

/* MMIO accessors.  Device memory is mapped nGnRE, so the compiler only has
 * to be kept from merging or reordering the accesses. */
static inline uint32_t mmio_read32(const volatile void *addr)
{
    uint32_t v = *(const volatile uint32_t *)addr;
    barrier();
    return v;
}

static inline void mmio_write32(volatile void *addr, uint32_t v)
{
    barrier();
    *(volatile uint32_t *)addr = v;
}

static inline uint16_t mmio_read16(const volatile void *addr)
{
    uint16_t v = *(const volatile uint16_t *)addr;
    barrier();
    return v;
}

static inline void mmio_write16(volatile void *addr, uint16_t v)
{
    barrier();
    *(volatile uint16_t *)addr = v;
}

static inline uint8_t mmio_read8(const volatile void *addr)
{
    uint8_t v = *(const volatile uint8_t *)addr;
    barrier();
    return v;
}

static inline void mmio_write8(volatile void *addr, uint8_t v)
{
    barrier();
    *(volatile uint8_t *)addr = v;
}

#endif
