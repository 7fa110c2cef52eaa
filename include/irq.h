/* Interrupt dispatch: one table indexed by GIC interrupt id.  Drivers
 * register a handler; the exception path calls irq_dispatch() and never
 * contains driver code.  See docs/architecture.md, "Interrupt path". */
#ifndef IRQ_H
#define IRQ_H

#include "kernel.h"

#define IRQ_MAX         1020    /* GICv2 INTIDs 0..1019 */
#define IRQ_SPURIOUS    1023

/* GIC interrupt id ranges (GIC architecture spec 2.2.1). */
#define IRQ_SGI_BASE    0
#define IRQ_PPI_BASE    16
#define IRQ_SPI_BASE    32

typedef void (*irq_handler_t)(unsigned irq, void *ctx);

enum irq_trigger { IRQ_TRIGGER_LEVEL, IRQ_TRIGGER_EDGE };

/* Register a handler for interrupt id irq (configures trigger, priority and
 * target at the GIC, but leaves it disabled: call irq_enable()).
 * Returns 0, -EINVAL for a bad id, -EBUSY if the id already has a handler
 * and the existing or new registration is not shared. */
int irq_register(unsigned irq, enum irq_trigger trig, irq_handler_t fn,
                 void *ctx, const char *name);
/* Shared registration for level-triggered lines (PCI INTx): every handler
 * on the line is called. */
int irq_register_shared(unsigned irq, irq_handler_t fn, void *ctx,
                        const char *name);
void irq_unregister(unsigned irq, void *ctx);
void irq_enable(unsigned irq);
void irq_disable(unsigned irq);

/* Counters, for tests and (later) /proc/interrupts. */
uint64_t irq_count(unsigned irq);
uint64_t irq_spurious_count(void);
const char *irq_name(unsigned irq);
/* Calls fn for every registered interrupt id. */
void irq_for_each(void (*fn)(unsigned irq, const char *name, uint64_t count,
                             void *arg), void *arg);

/* Nesting depth of hard-IRQ handling (0 in thread context). */
bool in_irq(void);

/* Called from trap_irq(). */
void irq_dispatch(void);

#endif
