/* Exception handling in C: decode the syndrome, dispatch IRQs, and turn
 * anything unexpected into a panic that says what happened. */
#include "trap.h"
#include "arch.h"
#include "irq.h"
#include "panic.h"
#include "printk.h"
#include "sched.h"
#include "softirq.h"

/* ESR_EL1.EC values (Arm ARM D17.2.37). */
#define EC_UNKNOWN      0x00
#define EC_WFX          0x01
#define EC_FP_ASIMD     0x07
#define EC_ILLEGAL      0x0e
#define EC_SVC64        0x15
#define EC_SYSREG       0x18
#define EC_IABT_LOW     0x20
#define EC_IABT_CUR     0x21
#define EC_PC_ALIGN     0x22
#define EC_DABT_LOW     0x24
#define EC_DABT_CUR     0x25
#define EC_SP_ALIGN     0x26
#define EC_SERROR       0x2f
#define EC_BRK64        0x3c

#define ESR_EC(esr)     (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)    ((esr) & 0x1ffffff)
#define ESR_DFSC(esr)   ((esr) & 0x3f)
#define ESR_WNR         (1 << 6)

static const char *esr_class_name(unsigned ec)
{
    switch (ec) {
    case EC_UNKNOWN:    return "undefined instruction";
    case EC_WFX:        return "WFI/WFE trap";
    case EC_FP_ASIMD:   return "FP/SIMD access trap";
    case EC_ILLEGAL:    return "illegal execution state";
    case EC_SVC64:      return "SVC (system call)";
    case EC_SYSREG:     return "system register access trap";
    case EC_IABT_LOW:   return "instruction abort from EL0";
    case EC_IABT_CUR:   return "instruction abort";
    case EC_PC_ALIGN:   return "PC alignment fault";
    case EC_DABT_LOW:   return "data abort from EL0";
    case EC_DABT_CUR:   return "data abort";
    case EC_SP_ALIGN:   return "SP alignment fault";
    case EC_SERROR:     return "SError";
    case EC_BRK64:      return "BRK instruction";
    default:            return "unknown exception class";
    }
}

/* Fault status codes of data/instruction aborts (D17.2.37, DFSC). */
static const char *fault_status_name(unsigned fsc)
{
    switch (fsc & 0x3c) {
    case 0x04: return "translation fault";
    case 0x08: return "access flag fault";
    case 0x0c: return "permission fault";
    case 0x00: return "address size fault";
    case 0x10: return "synchronous external abort";
    case 0x20: return fsc == 0x21 ? "alignment fault" : "other";
    default:   return "other";
    }
}

static void dump_frame(const struct trap_frame *tf)
{
    uint64_t esr = tf->esr;
    unsigned ec = ESR_EC(esr);

    kprintf("ESR %#lx class: %s (EC %#x)", (unsigned long)esr,
            esr_class_name(ec), ec);
    if (ec == EC_DABT_CUR || ec == EC_DABT_LOW || ec == EC_IABT_CUR ||
        ec == EC_IABT_LOW)
        kprintf(", %s, level %u%s", fault_status_name(ESR_DFSC(esr)),
                (unsigned)(esr & 3),
                (ec == EC_DABT_CUR || ec == EC_DABT_LOW)
                    ? ((esr & ESR_WNR) ? ", write" : ", read") : "");
    kprintf("\nFAR %016lx  ELR %016lx  SPSR %016lx  SP %016lx\n",
            (unsigned long)tf->far, (unsigned long)tf->elr,
            (unsigned long)tf->spsr, (unsigned long)tf->sp);
    for (int i = 0; i < 31; i++)
        kprintf("x%-2d %016lx%s", i, (unsigned long)tf->x[i],
                (i % 4 == 3 || i == 30) ? "\n" : "  ");
    struct thread *t = current_thread();
    if (t)
        kprintf("thread %d '%s'\n", t->tid, t->name);
}

extern bool console_panic_mode;

/* The panic line first (what the harness and a reader look for), then
 * the decoded syndrome and the registers, then power-off. */
static noreturn void trap_panic(const struct trap_frame *tf, const char *what)
{
    arch_irq_disable();
    console_panic_mode = true;
    klog("KERNEL PANIC: %s at %#lx", what, (unsigned long)tf->elr);
    dump_frame(tf);
    kernel_poweroff(1);
}

void trap_sync(struct trap_frame *tf)
{
    unsigned ec = ESR_EC(tf->esr);

    if (trap_from_user(tf)) {
        /* No user processes yet: anything from EL0 is unexpected. */
        trap_panic(tf, "exception from user mode");
    }
    trap_panic(tf, esr_class_name(ec));
}

void trap_irq(struct trap_frame *tf)
{
    irq_dispatch();
    /* Bottom halves run with IRQs unmasked, after the EOI. */
    softirq_run();
    sched_preempt_irq();
}

void trap_unexpected(struct trap_frame *tf, uint64_t kind)
{
    static const char *const kinds[] = { "synchronous", "IRQ", "FIQ", "SError" };
    char what[64];

    snprintf(what, sizeof(what), "unexpected %s exception (vector)",
             kinds[kind & 3]);
    trap_panic(tf, what);
}

void trap_stack_overflow(struct trap_frame *tf)
{
    trap_panic(tf, "kernel stack overflow (guard page hit)");
}
