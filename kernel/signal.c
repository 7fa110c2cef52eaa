/* Signals: sending, delivery on the way back to user mode, the arm64
 * rt_sigframe (Linux arch/arm64/include/uapi/asm/sigcontext.h and
 * ucontext layout, so musl's and glibc's restorers work), and the signal
 * system calls.
 *
 * One pending instance per signal number (no queued real-time signals).
 * sig_lock protects every process's pending set, mask and actions; it is
 * IRQ-saving because the TTY raises SIGINT from its receive path.  Lock
 * order: proc_lock, then sig_lock, then the scheduler's locks. */
#include "signal.h"
#include "arch.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "sched.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"
#include "vm.h"

void fpsimd_save(struct fpsimd_state *s);
void fpsimd_load(const struct fpsimd_state *s);

static struct spinlock sig_lock = SPINLOCK_INIT("signal");

#define UNBLOCKABLE     (sig_bit(SIGKILL) | sig_bit(SIGSTOP))
#define STOP_SIGS       (sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | \
                         sig_bit(SIGTTIN) | sig_bit(SIGTTOU))
#define DFL_IGNORE      (sig_bit(SIGCHLD) | sig_bit(SIGURG) | \
                         sig_bit(SIGWINCH) | sig_bit(SIGCONT))

/* ---- the user-visible layouts ---- */

struct user_siginfo {
    int32_t si_signo;
    int32_t si_errno;
    int32_t si_code;
    int32_t pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
            int32_t status;
            int32_t pad;
            int64_t utime, stime;
        } chld;
        uint64_t addr;
    } f;
    uint8_t rest[128 - 48];
};
_Static_assert(sizeof(struct user_siginfo) == 128, "siginfo is 128 bytes");

#define FPSIMD_MAGIC    0x46508001

struct fpsimd_record {
    uint32_t magic, size;
    uint32_t fpsr, fpcr;
    uint64_t vregs[64];
};

struct user_sigcontext {
    uint64_t fault_address;
    uint64_t regs[31];
    uint64_t sp, pc, pstate;
    uint8_t reserved[4096] __aligned(16);
};

struct user_stack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

struct user_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct user_stack uc_stack;
    sigset_t uc_sigmask;
    uint8_t unused[1024 / 8 - sizeof(sigset_t)];
    struct user_sigcontext uc_mcontext __aligned(16);
};
_Static_assert(offsetof(struct user_ucontext, uc_mcontext) == 176,
               "ucontext layout");

struct rt_sigframe {
    struct user_siginfo info;
    struct user_ucontext uc;
};

struct frame_record {
    uint64_t fp, lr;
};

/* ---- sending ---- */

static bool sig_ignored(struct proc *p, int sig)
{
    uint64_t h = p->sigaction[sig].handler;

    if (p->blocked & sig_bit(sig))
        return false;       /* the handler may change before unblocking */
    return h == SIG_IGN || (h == SIG_DFL && (DFL_IGNORE & sig_bit(sig)));
}

static void queue_locked(struct proc *p, int sig, const struct sig_info *si)
{
    if (sig == SIGCONT) {
        p->pending &= ~STOP_SIGS;
        p->stopped = false;
    } else if (STOP_SIGS & sig_bit(sig)) {
        p->pending &= ~sig_bit(SIGCONT);
    }
    if (sig_ignored(p, sig) && sig != SIGCONT)
        return;
    p->pending |= sig_bit(sig);
    p->sinfo[sig] = *si;
}

static void kick(struct proc *p)
{
    if (p->thread)
        thread_wake(p->thread);
    wake_up(&p->stop_wait);
}

void signal_send_info(struct proc *p, int sig, const struct sig_info *si)
{
    if (!p || p->state == PROC_ZOMBIE || sig < 1 || sig > NSIG)
        return;
    uint64_t flags = spin_lock_irqsave(&sig_lock);
    queue_locked(p, sig, si);
    spin_unlock_irqrestore(&sig_lock, flags);
    kick(p);
}

void signal_send(struct proc *p, int sig, int code, int sender_pid)
{
    struct sig_info si = { .code = code, .pid = sender_pid };

    signal_send_info(p, sig, &si);
}

int signal_send_pgrp(int pgrp, int sig)
{
    uint64_t flags = spin_lock_irqsave(&proc_lock);
    struct list_head *pos;
    int found = 0;

    list_for_each(pos, &proc_list) {
        struct proc *p = list_entry(pos, struct proc, all_node);
        if (p->pgid == pgrp && p->state != PROC_ZOMBIE) {
            signal_send(p, sig, SI_KERNEL, 0);
            found++;
        }
    }
    spin_unlock_irqrestore(&proc_lock, flags);
    return found ? 0 : -ESRCH;
}

/* A synchronous fault cannot be ignored or blocked: if it is, the action
 * reverts to the default (Linux force_sig_info), so the process dies
 * instead of faulting for ever. */
void signal_force_fault(int sig, int code, uint64_t addr)
{
    struct proc *p = current_proc();
    struct sig_info si = { .code = code, .addr = addr };
    uint64_t flags = spin_lock_irqsave(&sig_lock);

    if (p->sigaction[sig].handler == SIG_IGN || (p->blocked & sig_bit(sig)))
        p->sigaction[sig].handler = SIG_DFL;
    p->blocked &= ~sig_bit(sig);
    p->pending |= sig_bit(sig);
    p->sinfo[sig] = si;
    spin_unlock_irqrestore(&sig_lock, flags);
}

bool signal_pending(void)
{
    struct proc *p = current_proc();

    return p && (p->pending & ~(p->blocked & ~UNBLOCKABLE)) != 0;
}

/* ---- delivery ---- */

static int dequeue(struct proc *p, struct sig_info *si)
{
    uint64_t flags = spin_lock_irqsave(&sig_lock);
    sigset_t ready = p->pending & ~(p->blocked & ~UNBLOCKABLE);
    int sig = 0;

    if (ready) {
        /* SIGKILL first, then the lowest number, as Linux does for the
         * synchronous ones. */
        sig = (ready & sig_bit(SIGKILL)) ? SIGKILL
                                          : __builtin_ctzll(ready) + 1;
        p->pending &= ~sig_bit(sig);
        *si = p->sinfo[sig];
    }
    spin_unlock_irqrestore(&sig_lock, flags);
    return sig;
}

static void do_stop(struct proc *p, int sig)
{
    struct waiter w = { 0 };

    p->stopped = true;
    proc_notify_stop(p, sig);
    for (;;) {
        waitq_prepare(&p->stop_wait, &w, 0);
        if (!p->stopped || (p->pending & sig_bit(SIGKILL)))
            break;
        schedule();
        waitq_finish(&p->stop_wait, &w);
    }
    waitq_finish(&p->stop_wait, &w);
    p->stopped = false;
    if (!(p->pending & sig_bit(SIGKILL)))
        proc_notify_continue(p);
}

static bool on_altstack(struct proc *p, uint64_t sp)
{
    return p->altstack_size && sp > p->altstack_sp &&
           sp <= p->altstack_sp + p->altstack_size;
}

static int setup_frame(struct proc *p, struct trap_frame *tf, int sig,
                       const struct sig_info *si, struct k_sigaction *ka)
{
    struct thread *t = current_thread();
    uint64_t sp = tf->sp;

    if ((ka->flags & SA_ONSTACK) && p->altstack_size &&
        !(p->altstack_flags & SS_DISABLE) && !on_altstack(p, sp))
        sp = p->altstack_sp + p->altstack_size;
    uint64_t rec_at = ALIGN_DOWN(sp - sizeof(struct frame_record), 16);
    uint64_t frame_at = ALIGN_DOWN(rec_at - sizeof(struct rt_sigframe), 16);

    /* Built in kernel memory (4.7 KiB: too much for the stack), then
     * copied out in one go. */
    struct rt_sigframe *f = kzalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->info.si_signo = sig;
    f->info.si_code = si->code;
    if (sig == SIGCHLD) {
        f->info.f.chld.pid = si->pid;
        f->info.f.chld.status = si->status;
    } else if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
               sig == SIGTRAP || sig == SIGFPE) {
        f->info.f.addr = si->addr;
    } else {
        f->info.f.chld.pid = si->pid;
    }
    f->uc.uc_stack.ss_sp = p->altstack_sp;
    f->uc.uc_stack.ss_size = p->altstack_size;
    f->uc.uc_stack.ss_flags = !p->altstack_size ? SS_DISABLE
                              : on_altstack(p, tf->sp) ? SS_ONSTACK : 0;
    f->uc.uc_sigmask = p->restore_saved_mask ? p->saved_mask : p->blocked;
    struct user_sigcontext *mc = &f->uc.uc_mcontext;
    mc->fault_address = si->addr;
    memcpy(mc->regs, tf->x, sizeof(mc->regs));
    mc->sp = tf->sp;
    mc->pc = tf->elr;
    mc->pstate = tf->spsr;
    struct fpsimd_record *fr = (struct fpsimd_record *)mc->reserved;
    fpsimd_save(&t->fp);
    fr->magic = FPSIMD_MAGIC;
    fr->size = sizeof(*fr);
    fr->fpsr = t->fp.fpsr;
    fr->fpcr = t->fp.fpcr;
    memcpy(fr->vregs, t->fp.v, sizeof(fr->vregs));
    /* The record after it stays zero: the terminator (magic 0, size 0). */

    struct frame_record rec = { tf->x[29], tf->x[30] };
    int err = copy_to_user(frame_at, f, sizeof(*f));
    kfree(f);
    if (err || copy_to_user(rec_at, &rec, sizeof(rec)))
        return -EFAULT;

    tf->x[0] = (uint64_t)sig;
    tf->x[1] = frame_at + offsetof(struct rt_sigframe, info);
    tf->x[2] = frame_at + offsetof(struct rt_sigframe, uc);
    tf->x[29] = rec_at;
    tf->x[30] = (ka->flags & SA_RESTORER) ? ka->restorer : SIGPAGE_ADDR;
    tf->sp = frame_at;
    tf->elr = ka->handler;
    /* PSTATE for the handler: EL0, flags cleared (Linux also resets
     * BTYPE and SSBS, which this CPU does not have). */
    tf->spsr = 0;

    uint64_t flags = spin_lock_irqsave(&sig_lock);
    if (p->restore_saved_mask) {
        p->blocked = p->saved_mask;
        p->restore_saved_mask = false;
    }
    p->blocked |= ka->mask;
    if (!(ka->flags & SA_NODEFER))
        p->blocked |= sig_bit(sig);
    p->blocked &= ~UNBLOCKABLE;
    if (ka->flags & SA_RESETHAND)
        ka->handler = SIG_DFL;
    spin_unlock_irqrestore(&sig_lock, flags);
    return 0;
}

static void restart_syscall(struct trap_frame *tf)
{
    tf->x[0] = current_thread()->orig_x0;
    tf->elr -= 4;       /* back onto the svc instruction */
}

void signal_deliver(struct trap_frame *tf)
{
    struct proc *p = current_proc();
    struct sig_info si;
    int sig;

    if (!p)
        return;
    bool restart = p->in_syscall && (int64_t)tf->x[0] == -ERESTARTSYS;
    p->in_syscall = false;
    while ((sig = dequeue(p, &si)) != 0) {
        struct k_sigaction *ka = &p->sigaction[sig];
        uint64_t h = ka->handler;
        if (sig == SIGKILL)
            proc_exit(W_SIGNALED(SIGKILL));
        if (h == SIG_IGN)
            continue;
        if (h == SIG_DFL) {
            if (DFL_IGNORE & sig_bit(sig))
                continue;
            if (STOP_SIGS & sig_bit(sig)) {
                do_stop(p, sig);
                continue;
            }
            /* pid 1 only gets the signals it asked for (Linux). */
            if (p->pid == 1 && si.code != SI_KERNEL)
                continue;
            if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
                sig == SIGTRAP || sig == SIGFPE)
                /* Linux's show_unhandled_signals: say where it died. */
                klog("pid %d (%s): unhandled signal %d code %d at pc %#lx, "
                     "address %#lx, sp %#lx", p->pid, p->name, sig, si.code,
                     (unsigned long)tf->elr, (unsigned long)si.addr,
                     (unsigned long)tf->sp);
            proc_exit(W_SIGNALED(sig));
        }
        if (restart) {
            if (ka->flags & SA_RESTART)
                restart_syscall(tf);
            else
                tf->x[0] = (uint64_t)-EINTR;
            restart = false;
        }
        if (setup_frame(p, tf, sig, &si, ka)) {
            /* No room for the frame: Linux kills with SIGSEGV. */
            klog("signal: pid %d (%s): bad stack for signal %d, killed",
                 p->pid, p->name, sig);
            proc_exit(W_SIGNALED(SIGSEGV));
        }
        return;
    }
    if (restart)
        restart_syscall(tf);
    if (p->restore_saved_mask) {
        p->blocked = p->saved_mask;
        p->restore_saved_mask = false;
    }
}

/* ---- system calls ---- */

struct user_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    sigset_t mask;
};

SYSCALL(__NR_rt_sigreturn, rt_sigreturn)
{
    struct proc *p = current_proc();
    struct thread *t = current_thread();
    uint64_t frame = tf->sp;
    struct user_ucontext *uc = kmalloc(sizeof(*uc));

    p->in_syscall = false;      /* x0 is the interrupted code's, not ours */
    if (!uc)
        proc_exit(W_SIGNALED(SIGSEGV));
    if ((frame & 15) ||
        copy_from_user(uc, frame + offsetof(struct rt_sigframe, uc),
                       sizeof(*uc))) {
        kfree(uc);
        klog("signal: pid %d (%s): bad rt_sigreturn frame, killed", p->pid,
             p->name);
        proc_exit(W_SIGNALED(SIGSEGV));
    }
    struct user_sigcontext *mc = &uc->uc_mcontext;
    memcpy(tf->x, mc->regs, sizeof(tf->x));
    tf->sp = mc->sp;
    tf->elr = mc->pc;
    /* Only the condition flags come back: a frame must not be able to
     * return to EL1 or mask interrupts at EL0. */
    tf->spsr = mc->pstate & 0xf0000000UL;
    const struct fpsimd_record *fr = (const void *)mc->reserved;
    if (fr->magic == FPSIMD_MAGIC && fr->size == sizeof(*fr)) {
        memcpy(t->fp.v, fr->vregs, sizeof(t->fp.v));
        t->fp.fpsr = fr->fpsr;
        t->fp.fpcr = fr->fpcr;
        fpsimd_load(&t->fp);
    }
    uint64_t flags = spin_lock_irqsave(&sig_lock);
    p->blocked = uc->uc_sigmask & ~UNBLOCKABLE;
    spin_unlock_irqrestore(&sig_lock, flags);
    if (!(uc->uc_stack.ss_flags & SS_DISABLE) && !on_altstack(p, tf->sp) &&
        uc->uc_stack.ss_size >= MINSIGSTKSZ) {
        p->altstack_sp = uc->uc_stack.ss_sp;
        p->altstack_size = uc->uc_stack.ss_size;
        p->altstack_flags = 0;
    }
    kfree(uc);
    return (long)tf->x[0];
}

SYSCALL(__NR_rt_sigaction, rt_sigaction)
{
    int sig = (int)SC_ARG(0);
    uint64_t uact = SC_ARG(1), uold = SC_ARG(2);
    struct proc *p = current_proc();
    struct user_sigaction act, old;

    if (SC_ARG(3) != sizeof(sigset_t) || sig < 1 || sig > NSIG)
        return -EINVAL;
    if (uact && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    if (uact && copy_from_user(&act, uact, sizeof(act)))
        return -EFAULT;
    uint64_t flags = spin_lock_irqsave(&sig_lock);
    struct k_sigaction *ka = &p->sigaction[sig];
    old = (struct user_sigaction){ ka->handler, ka->flags, ka->restorer,
                                   ka->mask };
    if (uact) {
        ka->handler = act.handler;
        ka->flags = act.flags;
        ka->restorer = act.restorer;
        ka->mask = act.mask & ~UNBLOCKABLE;
        /* POSIX: setting SIG_IGN (or a default that ignores) discards a
         * pending instance. */
        if (sig_ignored(p, sig) || act.handler == SIG_IGN)
            p->pending &= ~sig_bit(sig);
    }
    spin_unlock_irqrestore(&sig_lock, flags);
    if (uold && copy_to_user(uold, &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

SYSCALL(__NR_rt_sigprocmask, rt_sigprocmask)
{
    int how = (int)SC_ARG(0);
    uint64_t uset = SC_ARG(1), uold = SC_ARG(2);
    struct proc *p = current_proc();
    sigset_t set = 0, old = p->blocked;

    if (SC_ARG(3) != sizeof(sigset_t))
        return -EINVAL;
    if (uset && copy_from_user(&set, uset, sizeof(set)))
        return -EFAULT;
    if (uset && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
        return -EINVAL;
    if (uold && copy_to_user(uold, &old, sizeof(old)))
        return -EFAULT;
    if (!uset)
        return 0;
    uint64_t flags = spin_lock_irqsave(&sig_lock);
    if (how == SIG_BLOCK)
        p->blocked |= set;
    else if (how == SIG_UNBLOCK)
        p->blocked &= ~set;
    else
        p->blocked = set;
    p->blocked &= ~UNBLOCKABLE;
    spin_unlock_irqrestore(&sig_lock, flags);
    return 0;
}

SYSCALL(__NR_rt_sigpending, rt_sigpending)
{
    struct proc *p = current_proc();
    sigset_t set = p->pending & p->blocked;

    if (SC_ARG(1) != sizeof(sigset_t))
        return -EINVAL;
    return copy_to_user(SC_ARG(0), &set, sizeof(set));
}

int signal_mask_for_call(uint64_t umask, uint64_t size)
{
    struct proc *p = current_proc();
    sigset_t mask;

    if (size != sizeof(sigset_t))
        return -EINVAL;
    if (copy_from_user(&mask, umask, sizeof(mask)))
        return -EFAULT;
    uint64_t flags = spin_lock_irqsave(&sig_lock);
    p->saved_mask = p->blocked;
    p->restore_saved_mask = true;
    p->blocked = mask & ~UNBLOCKABLE;
    spin_unlock_irqrestore(&sig_lock, flags);
    return 0;
}

SYSCALL(__NR_rt_sigsuspend, rt_sigsuspend)
{
    struct waitq wq;
    struct waiter w = { 0 };
    int r = signal_mask_for_call(SC_ARG(0), SC_ARG(1));

    if (r)
        return r;
    /* Sleep until a signal: signal_send wakes the thread directly. */
    waitq_init(&wq);
    for (;;) {
        waitq_prepare(&wq, &w, 0);
        if (signal_pending())
            break;
        schedule();
        waitq_finish(&wq, &w);
    }
    waitq_finish(&wq, &w);
    return -EINTR;
}

SYSCALL(__NR_sigaltstack, sigaltstack)
{
    struct proc *p = current_proc();
    uint64_t uss = SC_ARG(0), uold = SC_ARG(1);
    struct user_stack old = {
        .ss_sp = p->altstack_sp, .ss_size = p->altstack_size,
        .ss_flags = !p->altstack_size ? SS_DISABLE
                    : on_altstack(p, tf->sp) ? SS_ONSTACK : 0,
    };
    struct user_stack ss;

    if (uss) {
        if (copy_from_user(&ss, uss, sizeof(ss)))
            return -EFAULT;
        if (on_altstack(p, tf->sp))
            return -EPERM;
        if (ss.ss_flags & ~SS_DISABLE)
            return -EINVAL;
    }
    if (uold && copy_to_user(uold, &old, sizeof(old)))
        return -EFAULT;
    if (uss) {
        if (ss.ss_flags & SS_DISABLE) {
            p->altstack_sp = p->altstack_size = 0;
        } else {
            if (ss.ss_size < MINSIGSTKSZ)
                return -ENOMEM;
            p->altstack_sp = ss.ss_sp;
            p->altstack_size = ss.ss_size;
        }
        p->altstack_flags = 0;
    }
    return 0;
}

/* kill(2): pid > 0 one process, 0 the caller's group, -1 everyone but
 * init and the caller, < -1 the group -pid.  Signal 0 only checks. */
static int kill_one(struct proc *p, int sig, int sender)
{
    if (p->state == PROC_ZOMBIE)
        return 0;
    if (sig)
        signal_send(p, sig, SI_USER, sender);
    return 1;
}

SYSCALL(__NR_kill, kill)
{
    int pid = (int)SC_ARG(0), sig = (int)SC_ARG(1);
    struct proc *me = current_proc();
    int hit = 0;

    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&proc_lock);
    if (pid > 0) {
        struct proc *p = proc_find(pid);
        hit = p ? (kill_one(p, sig, me->pid), 1) : 0;
    } else {
        int pgrp = pid == 0 ? me->pgid : -pid;
        struct list_head *pos;
        list_for_each(pos, &proc_list) {
            struct proc *p = list_entry(pos, struct proc, all_node);
            if (pid == -1 ? (p->pid != 1 && p != me) : p->pgid == pgrp)
                hit += kill_one(p, sig, me->pid);
        }
    }
    spin_unlock_irqrestore(&proc_lock, flags);
    return hit ? 0 : -ESRCH;
}

static long tkill_common(int tgid, int tid, int sig)
{
    struct proc *me = current_proc();

    if (sig < 0 || sig > NSIG || tid <= 0)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&proc_lock);
    struct proc *p = proc_find(tid);     /* one thread per process */
    int hit = p && (tgid < 0 || tgid == tid) && p->state != PROC_ZOMBIE;
    if (hit && sig)
        signal_send(p, sig, SI_TKILL, me->pid);
    spin_unlock_irqrestore(&proc_lock, flags);
    return hit ? 0 : -ESRCH;
}

SYSCALL(__NR_tgkill, tgkill)
{
    if ((int)SC_ARG(0) <= 0)
        return -EINVAL;
    return tkill_common((int)SC_ARG(0), (int)SC_ARG(1), (int)SC_ARG(2));
}

SYSCALL(__NR_tkill, tkill)
{
    return tkill_common(-1, (int)SC_ARG(0), (int)SC_ARG(1));
}
