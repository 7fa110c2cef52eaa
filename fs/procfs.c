/* procfs (proc(5)): files generated at read time.  One instance, mounted
 * by mount(2) with fstype "proc"; read-only.
 *
 *   /proc/meminfo, /proc/uptime, /proc/mounts
 *   /proc/self           symlink to the reader's own /proc/<pid>
 *   /proc/<pid>/stat, status, cmdline, comm   one directory per process,
 *                        zombies included, as busybox ps reads them
 *
 * The tree is ordinary ramfs directories (so lookup and getdents need
 * nothing special): a process's directory is added when it is created
 * and removed when it is reaped.  A file of a process that is gone reads
 * as empty.
 *
 * Context: thread context.  The tree changes under vfs_ns_lock; the
 * generators look processes up under proc_lock and copy what they show
 * before formatting it. */
#include "fs_priv.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "string.h"
#include "time.h"
#include "tty.h"
#include "vm.h"

#define PROCFS_BUF      4096    /* one generated file's text at most */
#define USER_HZ         100     /* clock ticks in stat, as Linux shows */

typedef size_t (*procfs_gen)(struct inode *ino, char *buf, size_t cap);

static const struct inode_ops procfs_iops = { .readonly = true };
static struct inode *proc_root;
static bool proc_mounted_flag;

/* Appends to buf like snprintf, never past cap; returns the new length. */
static size_t __attribute__((format(printf, 4, 5)))
bprintf(char *buf, size_t cap, size_t at, const char *fmt, ...)
{
    if (at >= cap)
        return at;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + at, cap - at, fmt, ap);
    va_end(ap);
    return n > 0 ? MIN(cap, at + (size_t)n) : at;
}

/* ---- global files ---- */

/* Linux fs/proc/meminfo.c layout: name padded to 16, value to 8, " kB". */
static size_t gen_meminfo(struct inode *ino, char *buf, size_t cap)
{
    static const char fmt[] = "%-16s%8llu kB\n";
    unsigned long long page_kb = PAGE_SIZE / 1024;
    unsigned long long total = frame_total_count() * page_kb;
    unsigned long long free = frame_free_count() * page_kb;
    size_t at = 0;
    at = bprintf(buf, cap, at, fmt, "MemTotal:", total);
    at = bprintf(buf, cap, at, fmt, "MemFree:", free);
    at = bprintf(buf, cap, at, fmt, "MemAvailable:", free);
    at = bprintf(buf, cap, at, fmt, "Buffers:", 0ULL);
    at = bprintf(buf, cap, at, fmt, "Cached:", 0ULL);
    at = bprintf(buf, cap, at, fmt, "Slab:",
                 (unsigned long long)kmalloc_bytes_in_use() / 1024);
    return at;
}

/* proc(5): seconds since boot and idle seconds, two decimals. */
static size_t gen_uptime(struct inode *ino, char *buf, size_t cap)
{
    unsigned long long cs = time_ns() / (NSEC_PER_SEC / 100);
    return bprintf(buf, cap, 0, "%llu.%02llu 0.00\n", cs / 100, cs % 100);
}

/* fstab(5) lines, as df and mount read them. */
static size_t gen_mounts(struct inode *ino, char *buf, size_t cap)
{
    size_t at = bprintf(buf, cap, 0, "rootfs / rootfs rw 0 0\n");
    if (READ_ONCE(proc_mounted_flag))
        at = bprintf(buf, cap, at, "proc /proc proc rw,nosuid,nodev,noexec 0 0\n");
    return at;
}

void procfs_mounted(void)
{
    WRITE_ONCE(proc_mounted_flag, true);
}

static int self_readlink(struct inode *ino, char *buf, size_t cap)
{
    struct proc *p = current_proc();
    if (!p)
        return -ENOENT;     /* a kernel thread has no /proc entry */
    int n = snprintf(buf, cap, "%d", p->pid);
    return n > 0 && (size_t)n < cap ? n : -ENAMETOOLONG;
}

static const struct inode_ops procfs_self_iops = {
    .readonly = true,
    .readlink = self_readlink,
};

/* ---- per-process files ---- */

/* What one process's files show, copied under proc_lock. */
struct proc_snap {
    int pid, ppid, pgid, sid;
    char state;
    char name[PROC_NAME_LEN];
    char cmdline[sizeof(((struct proc *)0)->cmdline)];
    size_t cmdline_len;
    uint64_t user_ns, sys_ns, cuser_ns, csys_ns, start_ns;
    uint64_t vsize, rss_pages;
    sigset_t pending, blocked, ignored, caught;
};

static char proc_state_char(const struct proc *p)
{
    if (p->state == PROC_ZOMBIE)
        return 'Z';
    if (p->stopped)
        return 'T';
    if (p->thread && p->thread->state == THREAD_SLEEPING)
        return 'S';
    return 'R';
}

static bool proc_snapshot(int pid, struct proc_snap *s)
{
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct proc *p = proc_find(pid);
    if (p) {
        s->pid = p->pid;
        s->ppid = p->parent ? p->parent->pid : 0;
        s->pgid = p->pgid;
        s->sid = p->sid;
        s->state = proc_state_char(p);
        memcpy(s->name, p->name, sizeof(s->name));
        memcpy(s->cmdline, p->cmdline, sizeof(s->cmdline));
        s->cmdline_len = p->cmdline_len;
        proc_cpu_time(p, &s->user_ns, &s->sys_ns);
        s->cuser_ns = p->child_user_ns;
        s->csys_ns = p->child_sys_ns;
        s->start_ns = p->start_ns;
        /* One CPU and IRQs masked: the process cannot be exiting (and
         * freeing its mm) while this runs. */
        s->vsize = p->mm ? vm_size(p->mm) : 0;
        s->rss_pages = p->mm ? p->mm->pages : 0;
        s->pending = p->pending;
        s->blocked = p->blocked;
        s->ignored = s->caught = 0;
        for (int sig = 1; sig <= NSIG; sig++) {
            uint64_t h = p->sigaction[sig].handler;
            if (h == SIG_IGN)
                s->ignored |= sig_bit(sig);
            else if (h != SIG_DFL)
                s->caught |= sig_bit(sig);
        }
    }
    spin_unlock_irqrestore(&proc_lock, irq);
    return p != NULL;
}

static unsigned long long ns_to_ticks(uint64_t ns)
{
    return ns / (NSEC_PER_SEC / USER_HZ);
}

/* proc(5) /proc/<pid>/stat: 52 fields; the ones we do not track are 0. */
static size_t gen_stat(struct inode *ino, char *buf, size_t cap)
{
    struct proc_snap s;
    if (!proc_snapshot(ino->proc_pid, &s))
        return 0;
    int tty_sid, tty_pgrp;
    tty_owner(&tty_sid, &tty_pgrp);
    bool ctty = tty_sid && tty_sid == s.sid;
    size_t at = bprintf(buf, cap, 0,
        "%d (%s) %c %d %d %d %d %d 0 0 0 0 0 %llu %llu %llu %llu "
        "20 0 1 0 %llu %llu %llu 18446744073709551615 ",
        s.pid, s.name, s.state, s.ppid, s.pgid, s.sid,
        ctty ? TTY_CONSOLE_DEV : 0, ctty ? tty_pgrp : -1,
        ns_to_ticks(s.user_ns), ns_to_ticks(s.sys_ns),
        ns_to_ticks(s.cuser_ns), ns_to_ticks(s.csys_ns),
        ns_to_ticks(s.start_ns), (unsigned long long)s.vsize,
        (unsigned long long)s.rss_pages);
    /* startcode endcode startstack kstkesp kstkeip, then the signal
     * sets (decimal, as Linux prints them), wchan nswap cnswap
     * exit_signal processor rt_priority policy blkio guest cguest, and
     * seven addresses and exit_code. */
    at = bprintf(buf, cap, at,
        "0 0 0 0 0 %llu %llu %llu %llu 0 0 0 17 0 0 0 0 0 0 "
        "0 0 0 0 0 0 0 0\n",
        (unsigned long long)s.pending, (unsigned long long)s.blocked,
        (unsigned long long)s.ignored, (unsigned long long)s.caught);
    return at;
}

static const char *state_name(char c)
{
    switch (c) {
    case 'R': return "R (running)";
    case 'S': return "S (sleeping)";
    case 'T': return "T (stopped)";
    default:  return "Z (zombie)";
    }
}

static size_t gen_status(struct inode *ino, char *buf, size_t cap)
{
    struct proc_snap s;
    if (!proc_snapshot(ino->proc_pid, &s))
        return 0;
    return bprintf(buf, cap, 0,
        "Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n"
        "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
        "VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\nThreads:\t1\n"
        "SigPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
        "SigCgt:\t%016llx\n",
        s.name, state_name(s.state), s.pid, s.pid, s.ppid,
        (unsigned long long)s.vsize / 1024,
        (unsigned long long)s.rss_pages * (PAGE_SIZE / 1024),
        (unsigned long long)s.pending, (unsigned long long)s.blocked,
        (unsigned long long)s.ignored, (unsigned long long)s.caught);
}

/* argv, NUL-separated; empty for a zombie, as Linux shows it. */
static size_t gen_cmdline(struct inode *ino, char *buf, size_t cap)
{
    struct proc_snap s;
    if (!proc_snapshot(ino->proc_pid, &s) || s.state == 'Z')
        return 0;
    size_t n = MIN(cap, s.cmdline_len);
    memcpy(buf, s.cmdline, n);
    return n;
}

static size_t gen_comm(struct inode *ino, char *buf, size_t cap)
{
    struct proc_snap s;
    if (!proc_snapshot(ino->proc_pid, &s))
        return 0;
    return bprintf(buf, cap, 0, "%s\n", s.name);
}

/* ---- files and the tree ---- */

static ssize_t procfs_read(struct file *f, const struct uio *u, size_t n,
                           uint64_t *pos)
{
    procfs_gen gen = (procfs_gen)f->inode->priv;
    char *buf = kmalloc(PROCFS_BUF);
    if (!buf)
        return -ENOMEM;
    size_t len = gen(f->inode, buf, PROCFS_BUF);
    ssize_t r = 0;
    if (*pos < len) {
        size_t c = MIN(n, len - (size_t)*pos);
        if (uio_copy_out(u, 0, buf + *pos, c))
            r = -EFAULT;
        else {
            *pos += c;
            r = (ssize_t)c;
        }
    }
    kfree(buf);
    return r;
}

static const struct file_ops procfs_file_ops = { .read = procfs_read };

/* Caller holds vfs_ns_lock. */
static void procfs_add(struct inode *dir, const char *name, procfs_gen gen,
                       int pid)
{
    struct inode *ino = inode_new(S_IFREG | 0444, FS_DEV_PROCFS);
    if (!ino)
        return;
    ino->iops = &procfs_iops;
    ino->fops = &procfs_file_ops;
    ino->priv = (void *)gen;
    ino->proc_pid = pid;
    ramfs_add(dir, name, strlen(name), ino);
    inode_put(ino);
}

static const struct {
    const char *name;
    procfs_gen gen;
} pid_files[] = {
    { "stat", gen_stat },
    { "status", gen_status },
    { "cmdline", gen_cmdline },
    { "comm", gen_comm },
};

static bool proc_exists(int pid)
{
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    bool there = proc_find(pid) != NULL;
    spin_unlock_irqrestore(&proc_lock, irq);
    return there;
}

/* Caller holds vfs_ns_lock. */
static void pid_dir_add_locked(int pid)
{
    char name[12];
    snprintf(name, sizeof(name), "%d", pid);
    /* Checked under vfs_ns_lock, which procfs_proc_remove also takes:
     * a process reaped before this runs gets no directory. */
    if (!proc_exists(pid) || ramfs_find(proc_root, name, strlen(name)))
        return;
    struct inode *d = inode_new(S_IFDIR | 0555, FS_DEV_PROCFS);
    if (!d)
        return;
    d->nlink = 2;
    d->iops = &procfs_iops;
    d->proc_pid = pid;
    if (ramfs_add(proc_root, name, strlen(name), d) == 0)
        for (size_t i = 0; i < ARRAY_SIZE(pid_files); i++)
            procfs_add(d, pid_files[i].name, pid_files[i].gen, pid);
    inode_put(d);
}

void procfs_proc_add(int pid)
{
    mutex_lock(&vfs_ns_lock);
    if (proc_root)
        pid_dir_add_locked(pid);
    mutex_unlock(&vfs_ns_lock);
}

void procfs_proc_remove(int pid)
{
    char name[12];
    snprintf(name, sizeof(name), "%d", pid);
    mutex_lock(&vfs_ns_lock);
    struct dentry *de = proc_root ? ramfs_find(proc_root, name, strlen(name))
                                  : NULL;
    if (de) {
        struct inode *d = de->inode;
        /* Open files and cwds inside keep their inodes; lookups in the
         * removed directory fail (nlink 0). */
        while (!list_empty(&d->children))
            ramfs_remove(d, list_first(&d->children, struct dentry, node));
        ramfs_remove(proc_root, de);
    }
    mutex_unlock(&vfs_ns_lock);
}

/* The pids alive now, for the first mount.  Caller holds vfs_ns_lock. */
static void add_existing_locked(void)
{
    int pids[PROC_MAX];
    int n = 0;
    uint64_t irq = spin_lock_irqsave(&proc_lock);
    struct list_head *pos;
    list_for_each(pos, &proc_list) {
        if (n < PROC_MAX)
            pids[n++] = list_entry(pos, struct proc, all_node)->pid;
    }
    spin_unlock_irqrestore(&proc_lock, irq);
    for (int i = 0; i < n; i++)
        pid_dir_add_locked(pids[i]);
}

struct inode *procfs_root(void)
{
    mutex_lock(&vfs_ns_lock);
    if (!proc_root) {
        proc_root = inode_new(S_IFDIR | 0555, FS_DEV_PROCFS);
        if (proc_root) {
            proc_root->nlink = 2;
            proc_root->iops = &procfs_iops;
            procfs_add(proc_root, "meminfo", gen_meminfo, 0);
            procfs_add(proc_root, "uptime", gen_uptime, 0);
            procfs_add(proc_root, "mounts", gen_mounts, 0);
            struct inode *self = inode_new(S_IFLNK | 0777, FS_DEV_PROCFS);
            if (self) {
                self->iops = &procfs_self_iops;
                ramfs_add(proc_root, "self", 4, self);
                inode_put(self);
            }
            add_existing_locked();
        }
    }
    if (proc_root)
        inode_get(proc_root);
    mutex_unlock(&vfs_ns_lock);
    return proc_root;
}
