/* Signals: numbers and structure layouts of the Linux aarch64 ABI, and the
 * kernel's interface to raise and check them (kernel/signal.c). */
#ifndef SIGNAL_H
#define SIGNAL_H

#include "kernel.h"

#define SIGHUP      1
#define SIGINT      2
#define SIGQUIT     3
#define SIGILL      4
#define SIGTRAP     5
#define SIGABRT     6
#define SIGBUS      7
#define SIGFPE      8
#define SIGKILL     9
#define SIGUSR1     10
#define SIGSEGV     11
#define SIGUSR2     12
#define SIGPIPE     13
#define SIGALRM     14
#define SIGTERM     15
#define SIGSTKFLT   16
#define SIGCHLD     17
#define SIGCONT     18
#define SIGSTOP     19
#define SIGTSTP     20
#define SIGTTIN     21
#define SIGTTOU     22
#define SIGURG      23
#define SIGXCPU     24
#define SIGXFSZ     25
#define SIGVTALRM   26
#define SIGPROF     27
#define SIGWINCH    28
#define SIGIO       29
#define SIGPWR      30
#define SIGSYS      31
#define NSIG        64

#define SIG_DFL     0UL
#define SIG_IGN     1UL

#define SA_NOCLDSTOP    0x00000001
#define SA_NOCLDWAIT    0x00000002
#define SA_SIGINFO      0x00000004
#define SA_ONSTACK      0x08000000
#define SA_RESTART      0x10000000
#define SA_NODEFER      0x40000000
#define SA_RESETHAND    0x80000000
#define SA_RESTORER     0x04000000

#define SIG_BLOCK       0
#define SIG_UNBLOCK     1
#define SIG_SETMASK     2

#define SS_ONSTACK      1
#define SS_DISABLE      2
#define MINSIGSTKSZ     5120

/* si_code values. */
#define SI_USER         0
#define SI_KERNEL       0x80
#define SI_TKILL        (-6)
#define SEGV_MAPERR     1
#define SEGV_ACCERR     2
#define BUS_ADRALN      1
#define ILL_ILLOPC      1
#define CLD_EXITED      1
#define CLD_KILLED      2
#define CLD_DUMPED      3
#define CLD_TRAPPED     4
#define CLD_STOPPED     5
#define CLD_CONTINUED   6
#define CLD_DUMPED      3

typedef uint64_t sigset_t;

static inline sigset_t sig_bit(int sig)
{
    return 1ULL << (sig - 1);
}

struct proc;

/* Queue signal sig for process p (any context except hard IRQ with
 * proc_lock held).  Wakes p if it sleeps interruptibly. */
void signal_send(struct proc *p, int sig, int code, int sender_pid);
struct sig_info;
void signal_send_info(struct proc *p, int sig, const struct sig_info *si);
/* Deliver a fault signal to the current process (from the trap handler). */
void signal_force_fault(int sig, int code, uint64_t addr);
/* True if the current process has an unblocked signal pending: blocking
 * system calls check this and return -EINTR (or -ERESTARTSYS). */
bool signal_pending(void);
/* ppoll/pselect6's sigmask: install the user's mask (size must be
 * sizeof(sigset_t)) for the duration of the call; the old one comes back
 * on the return to user mode, after any handler the wait let in has been
 * set up (as rt_sigsuspend).  0, -EINVAL or -EFAULT. */
int signal_mask_for_call(uint64_t umask, uint64_t size);
/* Send sig to every process in process group pgrp; -ESRCH if none. */
int signal_send_pgrp(int pgrp, int sig);

#endif
