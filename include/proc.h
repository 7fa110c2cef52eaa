/* User processes: one kernel thread each (no user threads), an address
 * space (struct mm, mm/vm.c), a descriptor table and working directory
 * (fs/), signal state (kernel/signal.c) and the parent/child tree
 * (kernel/proc.c).  current_proc() is NULL in kernel-only threads. */
#ifndef PROC_H
#define PROC_H

#include "kernel.h"
#include "list.h"
#include "sched.h"
#include "signal.h"

#define PROC_MAX        128     /* fork gets -EAGAIN past this */
#define PROC_NAME_LEN   16

struct mm;
struct fdtable;
struct inode;

enum proc_state {
    PROC_RUNNING,
    PROC_ZOMBIE,        /* exited; holds the wait status until reaped */
};

/* What a pending signal carries into its siginfo. */
struct sig_info {
    int code;           /* si_code */
    int pid;            /* sender, or the child for SIGCHLD */
    int status;         /* SIGCHLD: exit code or signal */
    uint64_t addr;      /* fault address */
};

struct k_sigaction {
    uint64_t handler;   /* SIG_DFL, SIG_IGN or a user address */
    uint64_t flags;     /* SA_* */
    uint64_t restorer;
    sigset_t mask;
};

struct proc {
    int pid;
    int pgid;
    int sid;
    enum proc_state state;
    char name[PROC_NAME_LEN];   /* basename of the executable (comm) */

    struct thread *thread;      /* NULL once a zombie */
    struct mm *mm;              /* NULL once exited */
    struct fdtable *fdt;        /* NULL once exited */
    struct inode *cwd;          /* referenced; NULL once exited */
    unsigned umask;

    /* Family, under proc_lock. */
    struct proc *parent;
    struct list_head children;
    struct list_head sibling;   /* in parent->children */
    struct list_head all_node;  /* in the global process list */
    int wait_status;            /* Linux wait(2) encoding, set at exit */
    struct waitq child_wait;    /* the parent sleeps here in wait4 */
    struct proc *vfork_parent;  /* woken when this child execs or exits */
    bool *vfork_done;           /* on the sleeping parent's stack: the child
                                   may be freed (autoreaped) before the
                                   parent looks, the parent's stack not */

    /* Signals, under sig_lock (IRQ-saving: the TTY raises SIGINT from
     * its receive interrupt). */
    struct k_sigaction sigaction[NSIG];
    sigset_t blocked;
    sigset_t pending;
    uint64_t altstack_sp;
    uint64_t altstack_size;
    int altstack_flags;
    sigset_t saved_mask;        /* rt_sigsuspend's, restored at sigreturn */
    bool restore_saved_mask;
    struct sig_info sinfo[NSIG + 1];
    bool stopped;               /* SIGSTOP & co: sleeps until SIGCONT */
    /* Job control news for the parent's wait (WUNTRACED / WCONTINUED),
     * under proc_lock: a stop by stop_sig, or a continue, not yet
     * reported. */
    bool stop_report, cont_report;
    int stop_sig;
    struct waitq stop_wait;
    bool in_syscall;            /* returning from a syscall: may restart */
    uint64_t set_child_tid;     /* CLONE_CHILD_SETTID, done by the child */

    uint64_t clear_child_tid;   /* set_tid_address */
    uint64_t start_ns;

    /* CPU time: the process's own (final once a zombie; while it runs,
     * its thread has it), and that of its reaped children (wait adds a
     * child's own and children's times, as getrusage(RUSAGE_CHILDREN)). */
    uint64_t itimer_deadline;   /* ITIMER_REAL: time_ns() to fire, 0 off */
    uint64_t itimer_interval;   /* its period, 0 = one shot (proc_lock) */
    uint64_t user_ns, sys_ns;
    uint64_t child_user_ns, child_sys_ns;

    /* argv as NUL-separated strings, kept at exec for /proc/<pid>/cmdline
     * (truncated to the buffer, as ps only shows the start). */
    char cmdline[128];
    size_t cmdline_len;
};

/* Job control: p (the current process) stopped by sig, or continued:
 * records it for the parent's wait and sends the parent SIGCHLD (unless
 * it set SA_NOCLDSTOP). */
void proc_notify_stop(struct proc *p, int sig);
void proc_notify_continue(struct proc *p);

/* Wakes up to n futex waiters on uaddr in address space mm whose bitset
 * meets bitset (kernel/futex.c); returns how many. */
long futex_wake(const void *mm, uint64_t uaddr, int n, uint32_t bitset);

/* The CPU time p has used so far (user, system), in ns.  Caller holds
 * proc_lock or otherwise keeps p alive. */
void proc_cpu_time(const struct proc *p, uint64_t *user_ns, uint64_t *sys_ns);
/* struct rusage (Linux, LP64) filled with the two times; other fields 0. */
#define RUSAGE_SIZE     144
void rusage_fill(uint8_t out[RUSAGE_SIZE], uint64_t user_ns, uint64_t sys_ns);

/* The process the running thread belongs to, NULL for kernel threads. */
struct proc *current_proc(void);

/* Protects the process list, pids and every process's family fields.
 * Thread context only; IRQ-saving because signal_send can run from the
 * TTY interrupt and looks processes up. */
extern struct spinlock proc_lock;

struct proc *proc_find(int pid);            /* caller holds proc_lock */
int proc_count(void);
/* Iterate all processes under proc_lock. */
extern struct list_head proc_list;

/* Starts pid 1 from path with argv/envp (kernel strings).  Returns a
 * negative errno if the program cannot be executed. */
int proc_start_init(const char *path, char *const argv[], char *const envp[]);
/* Terminates the current process with a wait(2) status; never returns. */
noreturn void proc_exit(int wait_status);
/* Which processes are alive: for sysinfo and the monitor. */
void proc_dump(void);

/* execve with kernel strings (pid 1's first program). */
int kernel_execve(const char *path, const char *const argv[],
                  const char *const envp[]);
/* The part of exec that runs once the new image is ready (kernel/exec.c):
 * drops what exec drops (close-on-exec files, caught handlers). */
void proc_exec_reset(struct proc *p, const char *path);
/* A vfork child is done with its parent's memory (exec or exit). */
void proc_vfork_release(struct proc *p);

/* Linux wait(2) status encoding. */
#define W_EXITCODE(code)    (((code) & 0xff) << 8)
#define W_SIGNALED(sig)     ((sig) & 0x7f)

#endif
