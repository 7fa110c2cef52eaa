/* Spinlock primitives.  Callers use the IRQ-saving wrappers in spinlock.h;
 * these only do the lock word, with acquire/release ordering. */
#include "spinlock.h"
#include "panic.h"

void spin_lock_raw(struct spinlock *l)
{
    /* One CPU: finding the lock taken means we interrupted its holder or
     * recursed, and spinning would hang forever.  Say so instead. */
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        panic("spinlock '%s' already held (recursion or taken with IRQs on)",
              l->name ? l->name : "?");
}

bool spin_trylock_raw(struct spinlock *l)
{
    return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

void spin_unlock_raw(struct spinlock *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
