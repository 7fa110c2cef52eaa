/* Deliberate crashes: the harness checks that each one ends in a clear
 * panic and a non-zero power-off status.  Only run when named explicitly
 * (ktest=panic.<name>), never by ktest=all or a bare "*". */
#include "ktest.h"

#define UNMAPPED_ADDRESS 0x0000dead0000UL   /* TTBR0: nothing mapped */

KTEST_CRASHES(panic, data_abort)
{
    *(volatile uint64_t *)UNMAPPED_ADDRESS = 1;
    KT_EXPECT(t, false, "write to an unmapped address did not fault");
}

/* Recurses until `limit`, which is far more than a kernel stack holds. */
static __attribute__((noinline)) uint64_t recurse(volatile uint64_t depth,
                                                 uint64_t limit)
{
    volatile uint8_t pad[512];

    pad[0] = (uint8_t)depth;
    if (depth >= limit)
        return pad[0];
    return recurse(depth + 1, limit) + pad[0];
}

KTEST_CRASHES(panic, stack_overflow)
{
    KT_EXPECT(t, recurse(0, 1UL << 20) == 0, "recursion returned");
}
