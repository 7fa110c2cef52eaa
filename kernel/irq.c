/* Interrupt dispatch table.  trap_irq() -> irq_dispatch() acknowledges at
 * the GIC, counts, calls the handlers registered for the id, and EOIs.
 * Handlers do the minimum and defer the rest to a softirq. */
#include "irq.h"
#include "gic.h"
#include "panic.h"
#include "printk.h"
#include "spinlock.h"

#define IRQ_MAX_SHARED 4

struct irq_action {
    irq_handler_t fn;
    void *ctx;
};

struct irq_desc {
    struct irq_action action[IRQ_MAX_SHARED];
    unsigned nactions;
    bool shared;
    const char *name;
    uint64_t count;
};

static struct irq_desc irq_table[IRQ_MAX];
static uint64_t spurious_count;
static unsigned irq_depth;

/* Protects registrations in irq_table; thread context, IRQ-saving so the
 * dispatcher never sees a half-written entry. */
static struct spinlock irq_lock = SPINLOCK_INIT("irq");

static int irq_add(unsigned irq, irq_handler_t fn, void *ctx,
                   const char *name, bool shared)
{
    if (irq >= IRQ_MAX || irq >= gic_num_irqs() || !fn)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&irq_lock);
    struct irq_desc *d = &irq_table[irq];
    if (d->nactions && (!shared || !d->shared)) {
        spin_unlock_irqrestore(&irq_lock, flags);
        return -EBUSY;
    }
    if (d->nactions == IRQ_MAX_SHARED) {
        spin_unlock_irqrestore(&irq_lock, flags);
        return -ENOSPC;
    }
    d->action[d->nactions++] = (struct irq_action){ fn, ctx };
    d->shared = shared;
    d->name = name;
    spin_unlock_irqrestore(&irq_lock, flags);
    return 0;
}

int irq_register(unsigned irq, enum irq_trigger trig, irq_handler_t fn,
                 void *ctx, const char *name)
{
    int err = irq_add(irq, fn, ctx, name, false);

    if (err)
        return err;
    gic_disable(irq);
    gic_set_edge(irq, trig == IRQ_TRIGGER_EDGE);
    gic_set_target(irq, 1);
    gic_clear_pending(irq);
    return 0;
}

int irq_register_shared(unsigned irq, irq_handler_t fn, void *ctx,
                        const char *name)
{
    bool first = irq < IRQ_MAX && irq_table[irq].nactions == 0;
    int err = irq_add(irq, fn, ctx, name, true);

    if (err)
        return err;
    if (first) {
        gic_set_edge(irq, false);
        gic_set_target(irq, 1);
    }
    return 0;
}

void irq_unregister(unsigned irq, void *ctx)
{
    if (irq >= IRQ_MAX)
        return;
    uint64_t flags = spin_lock_irqsave(&irq_lock);
    struct irq_desc *d = &irq_table[irq];
    for (unsigned i = 0; i < d->nactions; i++) {
        if (d->action[i].ctx == ctx) {
            d->action[i] = d->action[--d->nactions];
            break;
        }
    }
    if (d->nactions == 0)
        gic_disable(irq);
    spin_unlock_irqrestore(&irq_lock, flags);
}

void irq_enable(unsigned irq)
{
    if (irq < IRQ_MAX)
        gic_enable(irq);
}

void irq_disable(unsigned irq)
{
    if (irq < IRQ_MAX)
        gic_disable(irq);
}

uint64_t irq_count(unsigned irq)
{
    return irq < IRQ_MAX ? irq_table[irq].count : 0;
}

uint64_t irq_spurious_count(void)
{
    return spurious_count;
}

const char *irq_name(unsigned irq)
{
    return irq < IRQ_MAX ? irq_table[irq].name : NULL;
}

void irq_for_each(void (*fn)(unsigned, const char *, uint64_t, void *),
                  void *arg)
{
    for (unsigned i = 0; i < IRQ_MAX; i++)
        if (irq_table[i].nactions || irq_table[i].count)
            fn(i, irq_table[i].name, irq_table[i].count, arg);
}

bool in_irq(void)
{
    return irq_depth != 0;
}

void irq_dispatch(void)
{
    bool handled = false;

    irq_depth++;
    for (;;) {
        uint32_t iar = gic_ack();
        unsigned id = iar & 0x3ff;

        if (id >= IRQ_MAX) {
            /* 1023: nothing (left) pending.  Counted only when the
             * exception was taken for nothing at all. */
            if (!handled)
                spurious_count++;
            break;
        }
        handled = true;
        struct irq_desc *d = &irq_table[id];
        d->count++;
        if (d->nactions == 0) {
            /* Nobody asked for it: keep it from firing again. */
            gic_disable(id);
            klog("irq: unexpected interrupt %u disabled", id);
        }
        for (unsigned i = 0; i < d->nactions; i++)
            d->action[i].fn(id, d->action[i].ctx);
        gic_eoi(iar);
    }
    irq_depth--;
}
