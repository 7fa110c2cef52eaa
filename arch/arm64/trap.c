/* Exception handling in C: decode the syndrome, dispatch IRQs, and turn
 * anything unexpected into a panic that says what happened. */
#include "trap.h"
#include "arch.h"
#include "irq.h"
#include "panic.h"
#include "printk.h"
#include "sched.h"
#include "softirq.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "uaccess.h"
#include "vm.h"

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
/* DFSC/IFSC values (Arm ARM D17.2.37): the type in bits [5:2], the
 * translation-table level in [1:0]. */
#define FSC_TYPE(fsc)   ((fsc) & 0x3c)
#define FSC_TRANSLATION 0x04    /* nothing mapped at that level */
#define FSC_ACCESS_FLAG 0x08
#define FSC_PERMISSION  0x0c
#define FSC_ALIGNMENT   0x21
#define FSC_ADDR_SIZE   0x00
#define FSC_EXTERNAL    0x10

/* A fault the address space may resolve (demand paging, copy-on-write);
 * the rest (external aborts, alignment, TLB conflicts) never are. */
static bool fsc_resolvable(unsigned fsc)
{
    unsigned t = FSC_TYPE(fsc);
    return t == FSC_TRANSLATION || t == FSC_ACCESS_FLAG || t == FSC_PERMISSION;
}

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
    if (fsc == FSC_ALIGNMENT)
        return "alignment fault";
    switch (FSC_TYPE(fsc)) {
    case FSC_TRANSLATION: return "translation fault";
    case FSC_ACCESS_FLAG: return "access flag fault";
    case FSC_PERMISSION:  return "permission fault";
    case FSC_ADDR_SIZE:   return "address size fault";
    case FSC_EXTERNAL:    return "synchronous external abort";
    default:              return "other";
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

/* Walk the frame-pointer chain (AAPCS64 frame records: fp -> {fp, lr}),
 * staying inside kernel addresses and bounded in depth. */
static void dump_backtrace(uint64_t fp)
{
    kprintf("backtrace:");
    for (int depth = 0; depth < 16 && fp >= KIMAGE_BASE && !(fp & 15);
         depth++) {
        const uint64_t *rec = (const uint64_t *)fp;
        if (!rec[1])
            break;
        kprintf(" %lx", (unsigned long)rec[1]);
        if (rec[0] <= fp)
            break;
        fp = rec[0];
    }
    kprintf("\n");
}

/* The panic line first (what the harness and a reader look for), then
 * the decoded syndrome and the registers, then power-off. */
static noreturn void trap_panic(const struct trap_frame *tf, const char *what)
{
    arch_irq_disable();
    console_panic_mode = true;
    klog("KERNEL PANIC: %s at %#lx", what, (unsigned long)tf->elr);
    dump_frame(tf);
    if (!trap_from_user(tf))
        dump_backtrace(tf->x[29]);
    kernel_poweroff(1);
}

/* One entry of __ex_table: a user-access instruction and where to resume
 * if its address turns out to be bad (arch/arm64/uaccess.S). */
struct ex_entry {
    uint64_t insn;
    uint64_t fixup;
};
extern const struct ex_entry __ex_table_start[], __ex_table_end[];

static const struct ex_entry *ex_find(uint64_t pc)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
        if (e->insn == pc)
            return e;
    return NULL;
}

static bool is_abort(unsigned ec)
{
    return ec == EC_DABT_LOW || ec == EC_DABT_CUR || ec == EC_IABT_LOW ||
           ec == EC_IABT_CUR;
}

/* A fault in a user-access instruction of the kernel: resolve it like a
 * user fault (CoW, demand paging) or resume at the fixup (-EFAULT). */
static bool uaccess_fault(struct trap_frame *tf)
{
    const struct ex_entry *e = ex_find(tf->elr);
    struct proc *p = current_proc();

    if (!e)
        return false;
    if (!(tf->spsr & DAIF_I))
        arch_irq_enable();      /* the interrupted copy ran with IRQs on */
    if (fsc_resolvable(ESR_DFSC(tf->esr)) && p && p->mm && tf->far < USER_TOP &&
        vm_fault(p->mm, tf->far, (tf->esr & ESR_WNR) != 0, false) == 0)
        return true;
    tf->elr = e->fixup;
    return true;
}

/* A fault of a user process: resolve it or signal the process
 * (SIGSEGV: SEGV_MAPERR where nothing is mapped, SEGV_ACCERR where the
 * mapping forbids the access; SIGKILL when memory ran out). */
static void user_abort(struct trap_frame *tf, unsigned ec)
{
    struct proc *p = current_proc();
    unsigned fsc = ESR_DFSC(tf->esr);
    bool write = ec == EC_DABT_LOW && (tf->esr & ESR_WNR);
    bool exec = ec == EC_IABT_LOW;

    if (fsc == FSC_ALIGNMENT) {
        signal_force_fault(SIGBUS, BUS_ADRALN, tf->far);
        return;
    }
    int r = -EFAULT;
    if (fsc_resolvable(fsc) && tf->far < USER_TOP)
        r = vm_fault(p->mm, tf->far, write, exec);
    if (r == 0)
        return;
    if (r == -ENOMEM) {
        klog("vm: out of memory: killing pid %d (%s)", p->pid, p->name);
        signal_send(p, SIGKILL, SI_KERNEL, 0);
        return;
    }
    signal_force_fault(SIGSEGV, r == -EACCES ? SEGV_ACCERR : SEGV_MAPERR,
                       tf->far);
}

static void user_sync(struct trap_frame *tf, unsigned ec)
{
    arch_irq_enable();
    switch (ec) {
    case EC_SVC64:
        syscall_dispatch(tf);
        break;
    case EC_DABT_LOW:
    case EC_IABT_LOW:
        user_abort(tf, ec);
        break;
    case EC_PC_ALIGN:
    case EC_SP_ALIGN:
        signal_force_fault(SIGBUS, BUS_ADRALN, tf->far);
        break;
    case EC_BRK64:
        signal_force_fault(SIGTRAP, SI_KERNEL, tf->elr);
        break;
    default:        /* undefined instruction, traps we do not emulate */
        signal_force_fault(SIGILL, ILL_ILLOPC, tf->elr);
        break;
    }
    signal_deliver(tf);
}

void trap_sync(struct trap_frame *tf)
{
    unsigned ec = ESR_EC(tf->esr);

    if (trap_from_user(tf)) {
        user_sync(tf, ec);
        return;
    }
    if (is_abort(ec) && uaccess_fault(tf))
        return;
    trap_panic(tf, esr_class_name(ec));
}

void trap_irq(struct trap_frame *tf)
{
    irq_from_user = trap_from_user(tf);
    irq_dispatch();
    irq_from_user = false;
    /* Bottom halves run with IRQs unmasked, after the EOI. */
    softirq_run();
    sched_preempt_irq();
    if (trap_from_user(tf)) {
        /* Back to user mode: a signal sent meanwhile is delivered now.
         * Deliver with IRQs on: it may write the user stack or exit. */
        arch_irq_enable();
        signal_deliver(tf);
    }
}

/* EL0 access to the cache type, DC ZVA and cache maintenance, as Linux
 * allows (C libraries probe them); PAN where the CPU has it (ARMv8.1):
 * SPAN = 0 makes every exception entry set PSTATE.PAN, so a stray kernel
 * access to user memory faults; the copy loops use LDTR/STTR, which PAN
 * does not block. */
#define SCTLR_SPAN  (1UL << 23)
#define SCTLR_UCT   (1UL << 15)
#define SCTLR_DZE   (1UL << 14)
#define SCTLR_UCI   (1UL << 26)
#define MSR_PAN_1   ".inst 0xd500419f"      /* msr pan, #1 */

void trap_user_init(void)
{
    uint64_t sctlr = read_sysreg(sctlr_el1) | SCTLR_UCT | SCTLR_DZE |
                     SCTLR_UCI;
    bool pan = ((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) != 0;

    if (pan)
        sctlr &= ~SCTLR_SPAN;
    write_sysreg(sctlr_el1, sctlr);
    isb();
    if (pan)
        __asm__ volatile(MSR_PAN_1 ::: "memory");
    klog("user mode: PAN %s", pan ? "on" : "not supported by this CPU");
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
