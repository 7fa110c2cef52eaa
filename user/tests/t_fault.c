/* User faults kill only the faulting process, with the signal Linux
 * sends: SIGSEGV for a null or kernel-address access, a write to read-only
 * text, a jump to an unmapped address; SIGILL for an undefined
 * instruction; an unaligned stack pointer access survives; SIGSEGV when
 * a signal frame cannot be written (bad sp).  A SIGSEGV handler gets
 * si_addr and si_code, and a signal taken with an unaligned sp gets a
 * 16-byte aligned frame and returns to the unaligned sp. */
#include "check.h"
#include <setjmp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* Addresses through a volatile variable, so the compiler does not see
 * (and warn about) the deliberate bad accesses. */
static volatile uintptr_t addr_null = 0, addr_8 = 8, addr_kernel = 0xffff000000001000UL;
static void null_read(void *a) { (void)a; (void)*(volatile int *)addr_null; }
static void null_write(void *a) { (void)a; *(volatile int *)addr_8 = 1; }
static void kernel_read(void *a) { (void)a; (void)*(volatile long *)addr_kernel; }
static void text_write(void *a) { (void)a; *(volatile int *)(uintptr_t)&null_read = 0; }
static void jump_unmapped(void *a) { (void)a; ((void (*)(void))0x1000)(); }
static void jump_kernel(void *a) { (void)a; ((void (*)(void))0xffff800000080000UL)(); }
static void undefined_insn(void *a) { (void)a; __asm__ volatile(".inst 0x00000000"); }
static void unaligned_sp(void *a)
{
    (void)a;
    __asm__ volatile("mov x9, sp\n sub x9, x9, #4\n mov sp, x9\n ldr x0, [sp]\n"
                     ::: "x0", "x9", "memory");
}
static void nop(int s) { (void)s; }
static void nothing(void *a) { (void)a; }
static void bad_sp_signal(void *a)
{
    (void)a;
    signal(SIGUSR1, nop);
    pid_t me = getpid();
    __asm__ volatile("mov x19, sp\n mov x9, #16\n mov sp, x9\n"
                     "mov x0, %0\n mov x1, #%1\n mov x8, #%2\n svc #0\n"
                     "mov sp, x19\n"
                     :: "r"((long)me), "i"(SIGUSR1), "i"(SYS_kill)
                     : "x0", "x1", "x8", "x9", "x19", "memory");
}
static volatile long overflow_depth = 1L << 40;
static void stack_overflow(void *a)
{
    volatile char buf[4096];
    buf[0] = 1;
    if ((uintptr_t)a < (uintptr_t)overflow_depth)
        stack_overflow((void *)((uintptr_t)a + 1));
    overflow_depth -= buf[1];
}

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

static volatile uintptr_t handler_sp;
static void on_usr1_sp(int sig) { int x; (void)sig; handler_sp = (uintptr_t)&x; }

struct fault_case {
    const char *name;
    void (*fn)(void *);
    int sig;
};

int main(void)
{
    static const struct fault_case cases[] = {
        { "fault.null_read_segv", null_read, SIGSEGV },
        { "fault.null_write_segv", null_write, SIGSEGV },
        { "fault.kernel_read_segv", kernel_read, SIGSEGV },
        { "fault.text_write_segv", text_write, SIGSEGV },
        { "fault.jump_unmapped_segv", jump_unmapped, SIGSEGV },
        { "fault.jump_kernel_segv", jump_kernel, SIGSEGV },
        { "fault.undefined_insn_sigill", undefined_insn, SIGILL },
        { "fault.bad_sp_signal_segv", bad_sp_signal, SIGSEGV },
        { "fault.stack_overflow_segv", stack_overflow, SIGSEGV },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st = run_child(cases[i].fn, NULL);
        CHECKF(KILLED_BY(st, cases[i].sig), cases[i].name, "want signal %d, child %s",
               cases[i].sig, status_str(st));
    }

    /* A load through an sp that is not 16-byte aligned: Linux leaves
     * SCTLR_EL1.SA0 clear, so it just works there; SIGBUS (SA0 set) is
     * the other acceptable outcome.  Never a kernel crash. */
    int sta = run_child(unaligned_sp, NULL);
    CHECKF(EXITED_WITH(sta, 0) || KILLED_BY(sta, SIGBUS), "fault.unaligned_sp_access",
           "child %s", status_str(sta));

    /* The handler sees the address and SEGV_MAPERR / SEGV_ACCERR, and
     * can leave with siglongjmp. */
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0)
        null_write(NULL);
    CHECKF(fault_addr == (void *)8 && fault_code == SEGV_MAPERR, "fault.siginfo_maperr",
           "si_addr %p si_code %d", fault_addr, fault_code);
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fault_addr = NULL;
    if (sigsetjmp(jb, 1) == 0)
        ro[16] = 1;
    CHECKF(fault_addr == ro + 16 && fault_code == SEGV_ACCERR, "fault.siginfo_accerr",
           "si_addr %p (want %p) si_code %d", fault_addr, (void *)(ro + 16), fault_code);
    signal(SIGSEGV, SIG_DFL);

    /* A signal taken while sp is only 4-byte aligned. */
    signal(SIGUSR1, on_usr1_sp);
    pid_t me = getpid();
    uint64_t sp_after = 0, sp_before = 0;
    __asm__ volatile("mov x19, sp\n sub x9, x19, #4\n mov sp, x9\n mov %1, sp\n"
                     "mov x0, %2\n mov x1, #%3\n mov x8, #%4\n svc #0\n"
                     "mov %0, sp\n mov sp, x19\n"
                     : "=&r"(sp_after), "=&r"(sp_before)
                     : "r"((long)me), "i"(SIGUSR1), "i"(SYS_kill)
                     : "x0", "x1", "x8", "x9", "x19", "memory");
    CHECKF(handler_sp && (handler_sp & 15) != 15 && sp_after == sp_before,
           "fault.unaligned_sp_signal", "handler sp %#lx, sp %#lx -> %#lx",
           (unsigned long)handler_sp, (unsigned long)sp_before, (unsigned long)sp_after);

    /* After all that, this process and fork still work. */
    int st = run_child(nothing, NULL);
    CHECKF(EXITED_WITH(st, 0), "fault.survivor_forks", "%s", status_str(st));
    return check_done();
}
