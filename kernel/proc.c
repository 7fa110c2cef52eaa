/* Processes: creation (pid 1, fork/vfork), exit, wait, and the identity
 * system calls.  Each process is one kernel thread whose stack top holds
 * its saved user registers (the trap frame the EL0 entry pushes).
 *
 * Exit frees everything at once, from the exiting thread itself: the
 * address space, descriptors and working directory; the kernel stack goes
 * as soon as the CPU is off it (sched.c's dead list).  What remains is the
 * small struct proc, a zombie holding the wait status, until the parent
 * (or init, which inherits orphans) reaps it. */
#include "proc.h"
#include "arch.h"
#include "mm.h"
#include "panic.h"
#include "printk.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"

void fpsimd_save(struct fpsimd_state *s);
noreturn void enter_user(struct trap_frame *tf);

struct spinlock proc_lock = SPINLOCK_INIT("proc");
struct list_head proc_list = LIST_HEAD_INIT(proc_list);
static int nprocs;              /* including zombies; under proc_lock */
static int next_pid = 1;
static struct proc *init_proc;

#define PID_MAX         32768

/* wait4/waitid options (Linux include/uapi/linux/wait.h). */
#define WNOHANG         0x00000001
#define WUNTRACED       0x00000002
#define WEXITED         0x00000004
#define WCONTINUED      0x00000008
#define WNOWAIT         0x01000000
#define __WNOTHREAD     0x20000000
#define __WALL          0x40000000
#define __WCLONE        0x80000000
#define P_ALL           0
#define P_PID           1
#define P_PGID          2

/* clone flags (include/uapi/linux/sched.h). */
#define CSIGNAL                 0x000000ff
#define CLONE_VM                0x00000100
#define CLONE_FS                0x00000200
#define CLONE_FILES             0x00000400
#define CLONE_SIGHAND           0x00000800
#define CLONE_VFORK             0x00004000
#define CLONE_PARENT            0x00008000
#define CLONE_THREAD            0x00010000
#define CLONE_SETTLS            0x00080000
#define CLONE_PARENT_SETTID     0x00100000
#define CLONE_CHILD_CLEARTID    0x00200000
#define CLONE_CHILD_SETTID      0x01000000

struct proc *current_proc(void)
{
    struct thread *t = current_thread();

    return t ? t->owner : NULL;
}

struct proc *proc_find(int pid)
{
    struct list_head *pos;

    list_for_each(pos, &proc_list) {
        struct proc *p = list_entry(pos, struct proc, all_node);
        if (p->pid == pid)
            return p;
    }
    return NULL;
}

int proc_count(void)
{
    return READ_ONCE(nprocs);
}

static bool pid_in_use(int pid)
{
    struct list_head *pos;

    list_for_each(pos, &proc_list) {
        struct proc *p = list_entry(pos, struct proc, all_node);
        if (p->pid == pid || p->pgid == pid || p->sid == pid)
            return true;
    }
    return false;
}

/* Caller holds proc_lock and has checked nprocs < PROC_MAX. */
static int pid_alloc(void)
{
    for (;;) {
        int pid = next_pid++;
        if (next_pid >= PID_MAX)
            next_pid = 2;
        if (!pid_in_use(pid))
            return pid;
    }
}

static struct proc *proc_alloc(void)
{
    struct proc *p = kzalloc(sizeof(*p));

    if (!p)
        return NULL;
    list_init(&p->children);
    list_init(&p->sibling);
    waitq_init(&p->child_wait);
    waitq_init(&p->stop_wait);
    p->umask = 022;
    p->start_ns = time_ns();
    return p;
}

static struct trap_frame *user_frame(struct thread *t)
{
    return (struct trap_frame *)((uint8_t *)t->stack_top - TRAP_FRAME_SIZE);
}

/* First code of a process's thread: straight to user mode. */
static void proc_thread_start(void *arg)
{
    struct proc *p = arg;
    struct thread *t = current_thread();

    if (p->set_child_tid) {
        int32_t tid = p->pid;
        put_user(tid, p->set_child_tid);
        p->set_child_tid = 0;
    }
    enter_user(user_frame(t));
}

/* ---- pid 1 ---- */

static void init_thread(void *arg)
{
    const char *const *args = arg;      /* path, then argv..., NULL */
    static const char *const envp[] = { "HOME=/", "TERM=linux", NULL };
    int err = kernel_execve(args[0], args, envp);

    if (err) {
        klog("init: cannot run %s: error %d", args[0], err);
        current_thread()->owner = NULL;
        kernel_poweroff(1);
    }
    enter_user(user_frame(current_thread()));
}

int proc_start_init(const char *path, char *const argv[], char *const envp[])
{
    static const char *args[64];
    struct proc *p = proc_alloc();
    int n = 0;

    (void)envp;
    if (!p)
        return -ENOMEM;
    args[n++] = path;
    for (int i = 0; argv && argv[i] && n < (int)ARRAY_SIZE(args) - 1; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    p->fdt = fdtable_new();
    p->cwd = vfs_root_inode();
    if (!p->fdt)
        return -ENOMEM;
    struct file *con;
    if (vfs_open_kernel("/dev/console", O_RDWR, &con) == 0) {
        fdtable_install(p->fdt, con, false);
        file_get(con);
        fdtable_install(p->fdt, con, false);
        file_get(con);
        fdtable_install(p->fdt, con, false);
    } else {
        klog("init: warning: unable to open an initial console");
    }
    uint64_t flags = spin_lock_irqsave(&proc_lock);
    p->pid = pid_alloc();
    p->pgid = p->sid = p->pid;
    list_add_tail(&p->all_node, &proc_list);
    nprocs++;
    init_proc = p;
    spin_unlock_irqrestore(&proc_lock, flags);
    strlcpy(p->name, "init", sizeof(p->name));

    flags = arch_irq_save();    /* not scheduled before it is complete */
    struct thread *t = thread_create("init", init_thread, args);
    if (t) {
        t->owner = p;
        p->thread = t;
    }
    arch_irq_restore(flags);
    if (t)
        procfs_proc_add(p->pid);
    return t ? 0 : -ENOMEM;
}

/* ---- fork ---- */

static long do_clone(struct trap_frame *tf, uint64_t flags, uint64_t stack,
                     uint64_t ptid, uint64_t tls, uint64_t ctid)
{
    struct proc *parent = current_proc();
    bool vfork = (flags & (CLONE_VM | CLONE_VFORK)) ==
                 (CLONE_VM | CLONE_VFORK);
    /* Threads and shared tables are not supported: only fork and vfork
     * (plus the flags C libraries pass with them). */
    uint64_t ok = CSIGNAL | CLONE_SETTLS | CLONE_PARENT_SETTID |
                  CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID |
                  (vfork ? CLONE_VM | CLONE_VFORK : 0);

    if (flags & ~ok)
        return -EINVAL;
    if ((flags & CSIGNAL) && (flags & CSIGNAL) != SIGCHLD &&
        (flags & CSIGNAL) > NSIG)
        return -EINVAL;
    if (proc_count() >= PROC_MAX)
        return -EAGAIN;

    struct proc *c = proc_alloc();
    bool vfork_done = false;
    if (!c)
        return -ENOMEM;
    if (vfork) {
        c->mm = parent->mm;
        c->mm->users++;
    } else {
        c->mm = vm_clone(parent->mm);
    }
    c->fdt = fdtable_clone(parent->fdt);
    if (!c->mm || !c->fdt) {
        vm_put(c->mm);
        if (c->fdt)
            fdtable_put(c->fdt);
        kfree(c);
        return -ENOMEM;
    }
    inode_get(parent->cwd);
    c->cwd = parent->cwd;
    c->umask = parent->umask;
    memcpy(c->name, parent->name, sizeof(c->name));
    memcpy(c->cmdline, parent->cmdline, sizeof(c->cmdline));
    c->cmdline_len = parent->cmdline_len;
    memcpy(c->sigaction, parent->sigaction, sizeof(c->sigaction));
    c->blocked = parent->blocked;
    c->altstack_sp = parent->altstack_sp;
    c->altstack_size = parent->altstack_size;
    c->pgid = parent->pgid;
    c->sid = parent->sid;
    if (flags & CLONE_CHILD_SETTID)
        c->set_child_tid = ctid;
    if (flags & CLONE_CHILD_CLEARTID)
        c->clear_child_tid = ctid;

    struct thread *t = NULL;
    int err = -EAGAIN;
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    if (nprocs >= PROC_MAX) {
        spin_unlock_irqrestore(&proc_lock, irq);
        goto undo;
    }
    c->pid = pid_alloc();
    c->parent = parent;
    list_add_tail(&c->sibling, &parent->children);
    list_add_tail(&c->all_node, &proc_list);
    nprocs++;
    spin_unlock_irqrestore(&proc_lock, irq);
    if (vfork) {
        c->vfork_parent = parent;
        c->vfork_done = &vfork_done;
    }

    /* Complete the thread before the scheduler can pick it. */
    irq = arch_irq_save();
    t = thread_create(c->name, proc_thread_start, c);
    if (t) {
        t->owner = c;
        t->ttbr0 = vm_ttbr0(c->mm);
        t->tpidr_el0 = (flags & CLONE_SETTLS) ? tls
                                              : read_sysreg(tpidr_el0);
        fpsimd_save(&t->fp);
        struct trap_frame *ctf = user_frame(t);
        *ctf = *tf;
        ctf->x[0] = 0;
        if (stack)
            ctf->sp = stack;
        c->thread = t;
    }
    arch_irq_restore(irq);
    if (!t) {
        irq = spin_lock_irqsave(&proc_lock);
        list_del(&c->sibling);
        list_del(&c->all_node);
        nprocs--;
        spin_unlock_irqrestore(&proc_lock, irq);
        err = -ENOMEM;
        goto undo;
    }
    int pid = c->pid;
    procfs_proc_add(pid);       /* c may already be gone: it checks */
    if (flags & CLONE_PARENT_SETTID) {
        int32_t v = pid;
        put_user(v, ptid);
    }
    if (vfork) {
        /* The parent sleeps until the child stops using its memory. */
        wait_event(&parent->child_wait, READ_ONCE(vfork_done));
    }
    return pid;

undo:
    vm_put(c->mm);
    fdtable_put(c->fdt);
    inode_put(c->cwd);
    kfree(c);
    return err;
}

SYSCALL(__NR_clone, clone)
{
    /* arm64 order: flags, stack, parent_tid, tls, child_tid. */
    return do_clone(tf, SC_ARG(0), SC_ARG(1), SC_ARG(2), SC_ARG(3),
                    SC_ARG(4));
}

void proc_vfork_release(struct proc *p)
{
    struct proc *parent = p->vfork_parent;

    if (!parent)
        return;
    p->vfork_parent = NULL;
    WRITE_ONCE(*p->vfork_done, true);
    p->vfork_done = NULL;
    wake_up(&parent->child_wait);
}

/* ---- exit ---- */

static bool parent_ignores_sigchld(struct proc *parent)
{
    struct k_sigaction *ka = &parent->sigaction[SIGCHLD];

    return ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}

noreturn void proc_exit(int status)
{
    struct proc *p = current_proc();
    struct thread *t = current_thread();

    if (p == init_proc) {
        klog("init (pid 1) exited with status %#x; powering off", status);
        kernel_poweroff(status ? 1 : 0);
    }
    if (p->clear_child_tid) {
        /* set_tid_address(2): zero the word and wake a futex waiter. */
        int32_t zero = 0;
        if (put_user(zero, p->clear_child_tid) == 0)
            futex_wake(p->mm, p->clear_child_tid, 1, ~0u);
    }
    proc_vfork_release(p);
    fdtable_put(p->fdt);
    p->fdt = NULL;
    inode_put(p->cwd);
    p->cwd = NULL;
    /* Off the address space before it is freed. */
    uint64_t irq = arch_irq_save();
    t->ttbr0 = 0;
    arch_set_ttbr0(0);
    arch_irq_restore(irq);
    vm_put(p->mm);
    p->mm = NULL;

    bool autoreap = false;
    irq = spin_lock_irqsave(&proc_lock);
    /* Orphans go to init, and init hears about the ones already dead. */
    bool zombies = false;
    while (!list_empty(&p->children)) {
        struct proc *c = list_first(&p->children, struct proc, sibling);
        list_del(&c->sibling);
        c->parent = init_proc;
        list_add_tail(&c->sibling, &init_proc->children);
        zombies |= c->state == PROC_ZOMBIE;
    }
    if (zombies) {
        signal_send(init_proc, SIGCHLD, CLD_EXITED, 0);
        wake_up(&init_proc->child_wait);
    }
    struct proc *parent = p->parent;
    p->wait_status = status;
    thread_cpu_time(t, &p->user_ns, &p->sys_ns);
    p->thread = NULL;
    if (parent_ignores_sigchld(parent)) {
        /* POSIX: no zombie when the parent ignores SIGCHLD. */
        list_del(&p->sibling);
        list_del(&p->all_node);
        nprocs--;
        autoreap = true;
    } else {
        struct sig_info si = {
            .code = (status & 0x7f) ? CLD_KILLED : CLD_EXITED,
            .pid = p->pid,
            .status = (status & 0x7f) ? (status & 0x7f) : (status >> 8) & 0xff,
        };
        p->state = PROC_ZOMBIE;
        signal_send_info(parent, SIGCHLD, &si);
        wake_up(&parent->child_wait);
    }
    /* From here this thread is a kernel thread: the parent may free p as
     * soon as the lock is dropped. */
    t->owner = NULL;
    spin_unlock_irqrestore(&proc_lock, irq);
    if (autoreap) {
        int pid = p->pid;
        kfree(p);
        procfs_proc_remove(pid);
    }
    thread_exit();
}

SYSCALL(__NR_exit, exit)
{
    proc_exit(W_EXITCODE((int)SC_ARG(0)));
}

SYSCALL(__NR_exit_group, exit_group)
{
    proc_exit(W_EXITCODE((int)SC_ARG(0)));
}

/* ---- job control ---- */

static void notify_parent(struct proc *p, int code, int status)
{
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct proc *parent = p->parent;
    if (code == CLD_STOPPED) {
        p->stop_report = true;
        p->cont_report = false;
        p->stop_sig = status;
    } else {
        p->cont_report = true;
        p->stop_report = false;
    }
    if (parent) {
        if (!(parent->sigaction[SIGCHLD].flags & SA_NOCLDSTOP)) {
            struct sig_info si = { .code = code, .pid = p->pid,
                                   .status = status };
            signal_send_info(parent, SIGCHLD, &si);
        }
        wake_up(&parent->child_wait);
    }
    spin_unlock_irqrestore(&proc_lock, irq);
}

void proc_notify_stop(struct proc *p, int sig)
{
    notify_parent(p, CLD_STOPPED, sig);
}

void proc_notify_continue(struct proc *p)
{
    notify_parent(p, CLD_CONTINUED, SIGCONT);
}

/* ---- wait ---- */

static bool wait_match(struct proc *me, struct proc *c, int idtype, int id)
{
    switch (idtype) {
    case P_ALL:  return true;
    case P_PID:  return c->pid == id;
    default:     return c->pgid == (id ? id : me->pgid);
    }
}

/* Finds a zombie child matching (idtype, id).  Returns its pid (and
 * status; reaped unless nowait), 0 if matching children are all alive,
 * -ECHILD if none match.  Sleeps unless nohang. */
#define W_STOPCODE(sig)     ((((sig) & 0xff) << 8) | 0x7f)
#define W_CONTINUED         0xffff

/* What wait found: an exit (reaped unless WNOWAIT), a stop or a
 * continue (reported once unless WNOWAIT; the child stays). */
enum wait_kind { WAIT_EXITED, WAIT_STOPPED, WAIT_CONTINUED };

static int wait_common(int idtype, int id, unsigned options, int *status,
                       uint8_t *ru, enum wait_kind *kind)
{
    struct proc *me = current_proc();
    struct waiter w = { 0 };
    bool nohang = options & WNOHANG, nowait = options & WNOWAIT;
    int ret;

    for (;;) {
        waitq_prepare(&me->child_wait, &w, 0);
        struct proc *found = NULL;
        bool any = false;
        uint64_t irq = spin_lock_irqsave(&proc_lock);
        struct list_head *pos;
        list_for_each(pos, &me->children) {
            struct proc *c = list_entry(pos, struct proc, sibling);
            if (!wait_match(me, c, idtype, id))
                continue;
            any = true;
            if (c->state == PROC_ZOMBIE && (options & WEXITED)) {
                found = c;
                *kind = WAIT_EXITED;
                break;
            }
            if (c->state != PROC_ZOMBIE && (options & WUNTRACED) &&
                c->stop_report) {
                found = c;
                *kind = WAIT_STOPPED;
                *status = W_STOPCODE(c->stop_sig);
                c->stop_report = nowait;
                break;
            }
            if (c->state != PROC_ZOMBIE && (options & WCONTINUED) &&
                c->cont_report) {
                found = c;
                *kind = WAIT_CONTINUED;
                *status = W_CONTINUED;
                c->cont_report = nowait;
                break;
            }
        }
        if (found && *kind != WAIT_EXITED) {
            uint64_t u, sy;
            proc_cpu_time(found, &u, &sy);
            ret = found->pid;
            spin_unlock_irqrestore(&proc_lock, irq);
            if (ru)
                rusage_fill(ru, u, sy);
            break;
        }
        if (found && !nowait) {
            list_del(&found->sibling);
            list_del(&found->all_node);
            nprocs--;
            me->child_user_ns += found->user_ns + found->child_user_ns;
            me->child_sys_ns += found->sys_ns + found->child_sys_ns;
        }
        spin_unlock_irqrestore(&proc_lock, irq);
        if (found) {
            *status = found->wait_status;
            if (ru)
                rusage_fill(ru, found->user_ns + found->child_user_ns,
                            found->sys_ns + found->child_sys_ns);
            ret = found->pid;
            if (!nowait) {
                kfree(found);
                procfs_proc_remove(ret);
            }
            break;
        }
        if (!any) {
            ret = -ECHILD;
            break;
        }
        if (nohang) {
            ret = 0;
            break;
        }
        if (signal_pending()) {
            ret = -ERESTARTSYS;
            break;
        }
        schedule();
        waitq_finish(&me->child_wait, &w);
    }
    waitq_finish(&me->child_wait, &w);
    return ret;
}

SYSCALL(__NR_wait4, wait4)
{
    int pid = (int)SC_ARG(0);
    uint64_t ustatus = SC_ARG(1), urusage = SC_ARG(3);
    unsigned options = (unsigned)SC_ARG(2);
    int32_t status = 0;

    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD |
                    __WALL | __WCLONE))
        return -EINVAL;
    if (pid == INT32_MIN)
        return -ESRCH;
    /* Check the pointers before reaping, so a bad one loses no status. */
    if ((ustatus && put_user(status, ustatus)) ||
        (urusage && clear_user(urusage, RUSAGE_SIZE)))
        return -EFAULT;
    int idtype = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
    int id = pid < -1 ? -pid : pid > 0 ? pid : 0;
    int st = 0;
    uint8_t ru[RUSAGE_SIZE];
    enum wait_kind kind;
    int r = wait_common(idtype, id, (options & (WNOHANG | WUNTRACED |
                                                WCONTINUED)) | WEXITED,
                        &st, ru, &kind);
    if (r > 0 && ustatus) {
        status = st;
        put_user(status, ustatus);
    }
    if (r > 0 && urusage)
        copy_to_user(urusage, ru, sizeof(ru));
    return r;
}

struct waitid_info {
    int32_t si_signo, si_errno, si_code, pad;
    int32_t si_pid;
    uint32_t si_uid;
    int32_t si_status;
    uint8_t rest[128 - 28];
};

SYSCALL(__NR_waitid, waitid)
{
    int idtype = (int)SC_ARG(0), id = (int)SC_ARG(1);
    uint64_t uinfo = SC_ARG(2), urusage = SC_ARG(4);
    unsigned options = (unsigned)SC_ARG(3);
    struct waitid_info info = { 0 };

    if ((options & ~(WNOHANG | WEXITED | WUNTRACED | WCONTINUED | WNOWAIT |
                     __WNOTHREAD | __WALL | __WCLONE)) ||
        !(options & (WEXITED | WUNTRACED | WCONTINUED)))
        return -EINVAL;
    if (idtype < P_ALL || idtype > P_PGID || (idtype == P_PID && id <= 0) ||
        (idtype == P_PGID && id < 0))
        return -EINVAL;
    if ((uinfo && copy_to_user(uinfo, &info, sizeof(info))) ||
        (urusage && clear_user(urusage, RUSAGE_SIZE)))
        return -EFAULT;
    int st = 0;
    uint8_t ru[RUSAGE_SIZE];
    enum wait_kind kind;
    /* waitid's WSTOPPED is wait4's WUNTRACED (both 2). */
    int r = wait_common(idtype, id, options, &st, ru, &kind);
    if (r <= 0)
        return r;
    if (urusage)
        copy_to_user(urusage, ru, sizeof(ru));
    info.si_signo = SIGCHLD;
    info.si_pid = r;
    if (kind == WAIT_STOPPED) {
        info.si_code = CLD_STOPPED;
        info.si_status = (st >> 8) & 0xff;
    } else if (kind == WAIT_CONTINUED) {
        info.si_code = CLD_CONTINUED;
        info.si_status = SIGCONT;
    } else if (st & 0x7f) {
        info.si_code = CLD_KILLED;
        info.si_status = st & 0x7f;
    } else {
        info.si_code = CLD_EXITED;
        info.si_status = (st >> 8) & 0xff;
    }
    if (uinfo)
        copy_to_user(uinfo, &info, sizeof(info));
    return 0;
}

/* ---- CPU time ---- */

void proc_cpu_time(const struct proc *p, uint64_t *user_ns, uint64_t *sys_ns)
{
    if (p->thread) {
        thread_cpu_time(p->thread, user_ns, sys_ns);
    } else {
        *user_ns = p->user_ns;
        *sys_ns = p->sys_ns;
    }
}

/* struct rusage starts with ru_utime and ru_stime, two struct timeval
 * (tv_sec, tv_usec as 64-bit longs); the 14 longs after stay 0. */
void rusage_fill(uint8_t out[RUSAGE_SIZE], uint64_t user_ns, uint64_t sys_ns)
{
    int64_t tv[4] = {
        (int64_t)(user_ns / NSEC_PER_SEC),
        (int64_t)(user_ns % NSEC_PER_SEC / 1000),
        (int64_t)(sys_ns / NSEC_PER_SEC),
        (int64_t)(sys_ns % NSEC_PER_SEC / 1000),
    };
    memset(out, 0, RUSAGE_SIZE);
    memcpy(out, tv, sizeof(tv));
}

/* ---- identity ---- */

SYSCALL(__NR_getpid, getpid)
{
    return current_proc()->pid;
}

SYSCALL(__NR_gettid, gettid)
{
    return current_proc()->pid;
}

SYSCALL(__NR_getppid, getppid)
{
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct proc *parent = current_proc()->parent;
    int ppid = parent ? parent->pid : 0;
    spin_unlock_irqrestore(&proc_lock, irq);
    return ppid;
}

SYSCALL(__NR_set_tid_address, set_tid_address)
{
    struct proc *p = current_proc();

    p->clear_child_tid = SC_ARG(0);
    return p->pid;
}

SYSCALL(__NR_set_robust_list, set_robust_list)
{
    /* Robust futexes only matter for threads, which we do not have. */
    return SC_ARG(1) == 24 ? 0 : -EINVAL;
}

SYSCALL(__NR_sched_yield, sched_yield)
{
    yield();
    return 0;
}

SYSCALL(__NR_setpgid, setpgid)
{
    struct proc *me = current_proc();
    int pid = (int)SC_ARG(0), pgid = (int)SC_ARG(1);
    long ret = 0;

    if (pgid < 0)
        return -EINVAL;
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct proc *p = pid ? proc_find(pid) : me;
    if (!p || (p != me && p->parent != me)) {
        ret = -ESRCH;
    } else if (p->sid == p->pid || p->sid != me->sid) {
        ret = -EPERM;       /* session leaders cannot move */
    } else {
        int g = pgid ? pgid : p->pid;
        bool exists = g == p->pid;
        struct list_head *pos;
        list_for_each(pos, &proc_list) {
            struct proc *q = list_entry(pos, struct proc, all_node);
            if (q->pgid == g && q->sid == me->sid)
                exists = true;
        }
        if (!exists)
            ret = -EPERM;
        else
            p->pgid = g;
    }
    spin_unlock_irqrestore(&proc_lock, irq);
    return ret;
}

SYSCALL(__NR_getpgid, getpgid)
{
    int pid = (int)SC_ARG(0);
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct proc *p = pid ? proc_find(pid) : current_proc();
    long ret = p ? p->pgid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, irq);
    return ret;
}

SYSCALL(__NR_getsid, getsid)
{
    int pid = (int)SC_ARG(0);
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct proc *p = pid ? proc_find(pid) : current_proc();
    long ret = p ? p->sid : -ESRCH;
    spin_unlock_irqrestore(&proc_lock, irq);
    return ret;
}

SYSCALL(__NR_setsid, setsid)
{
    struct proc *me = current_proc();
    long ret;
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct list_head *pos;
    bool leader = false;

    list_for_each(pos, &proc_list) {
        struct proc *q = list_entry(pos, struct proc, all_node);
        if (q->pgid == me->pid)
            leader = true;
    }
    if (leader) {
        ret = -EPERM;       /* a group leader cannot start a session */
    } else {
        me->sid = me->pgid = me->pid;
        ret = me->pid;
    }
    spin_unlock_irqrestore(&proc_lock, irq);
    return ret;
}

void proc_dump(void)
{
    static const char *const states[] = { "run", "zombie" };
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct list_head *pos;

    list_for_each(pos, &proc_list) {
        struct proc *p = list_entry(pos, struct proc, all_node);
        kprintf("  pid %4d ppid %4d pgid %4d %-7s %s\n", p->pid,
                p->parent ? p->parent->pid : 0, p->pgid, states[p->state],
                p->name);
    }
    spin_unlock_irqrestore(&proc_lock, irq);
}
