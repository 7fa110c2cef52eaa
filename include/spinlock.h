/* IRQ-saving spinlocks.  spin_lock_irqsave() masks IRQs, remembers the DAIF
 * value it replaced and takes the lock; spin_unlock_irqrestore() puts that
 * value back, so nested sections restore exactly the state they found.
 * With one CPU the lock word mostly catches recursion; it is a real
 * ticket-free test-and-set so SMP later only needs nothing new. */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include "arch.h"

struct spinlock {
    volatile uint32_t locked;
    const char *name;
};

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n) }

static inline void spin_init(struct spinlock *l, const char *name)
{
    l->locked = 0;
    l->name = name;
}

void spin_lock_raw(struct spinlock *l);
void spin_unlock_raw(struct spinlock *l);
bool spin_trylock_raw(struct spinlock *l);

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = arch_irq_save();
    spin_lock_raw(l);
    return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    spin_unlock_raw(l);
    arch_irq_restore(flags);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
    return l->locked != 0;
}

#endif
