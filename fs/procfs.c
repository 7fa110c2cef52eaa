/* A minimal procfs (proc(5)): /proc/meminfo and /proc/uptime, generated
 * at read time.  One instance, mounted by mount(2) with fstype "proc";
 * read-only.  (The full procfs of a later issue replaces this file.)
 *
 * Context: thread context.  The tree is built once under vfs_ns_lock. */
#include "fs_priv.h"
#include "mm.h"
#include "printk.h"
#include "string.h"
#include "time.h"

#define PROCFS_BUF      4096    /* one generated file's text at most */

typedef size_t (*procfs_gen)(char *buf, size_t cap);

static const struct inode_ops procfs_iops = { .readonly = true };
static struct inode *proc_root;

/* Linux fs/proc/meminfo.c layout: name padded to 16, value to 8, " kB". */
static size_t meminfo_line(char *buf, size_t cap, size_t at,
                           const char *name, uint64_t kb)
{
    if (at >= cap)
        return at;
    int n = snprintf(buf + at, cap - at, "%-16s%8llu kB\n", name,
                     (unsigned long long)kb);
    return n > 0 ? MIN(cap, at + (size_t)n) : at;
}

static size_t gen_meminfo(char *buf, size_t cap)
{
    uint64_t page_kb = PAGE_SIZE / 1024;
    uint64_t total = frame_total_count() * page_kb;
    uint64_t free = frame_free_count() * page_kb;
    size_t at = 0;
    at = meminfo_line(buf, cap, at, "MemTotal:", total);
    at = meminfo_line(buf, cap, at, "MemFree:", free);
    at = meminfo_line(buf, cap, at, "MemAvailable:", free);
    at = meminfo_line(buf, cap, at, "Buffers:", 0);
    at = meminfo_line(buf, cap, at, "Cached:", 0);
    at = meminfo_line(buf, cap, at, "Slab:", kmalloc_bytes_in_use() / 1024);
    return at;
}

/* proc(5): seconds since boot and idle seconds, two decimals. */
static size_t gen_uptime(char *buf, size_t cap)
{
    uint64_t ns = time_ns();
    uint64_t cs = ns / (NSEC_PER_SEC / 100);
    int n = snprintf(buf, cap, "%llu.%02llu 0.00\n",
                     (unsigned long long)(cs / 100),
                     (unsigned long long)(cs % 100));
    return n > 0 ? MIN(cap, (size_t)n) : 0;
}

static ssize_t procfs_read(struct file *f, const struct uio *u, size_t n,
                           uint64_t *pos)
{
    procfs_gen gen = (procfs_gen)f->inode->priv;
    char *buf = kmalloc(PROCFS_BUF);
    if (!buf)
        return -ENOMEM;
    size_t len = gen(buf, PROCFS_BUF);
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

static void procfs_add(const char *name, procfs_gen gen)
{
    struct inode *ino = inode_new(S_IFREG | 0444, FS_DEV_PROCFS);
    if (!ino)
        return;
    ino->iops = &procfs_iops;
    ino->fops = &procfs_file_ops;
    ino->priv = (void *)gen;
    ramfs_add(proc_root, name, strlen(name), ino);
    inode_put(ino);
}

struct inode *procfs_root(void)
{
    mutex_lock(&vfs_ns_lock);
    if (!proc_root) {
        proc_root = inode_new(S_IFDIR | 0555, FS_DEV_PROCFS);
        if (proc_root) {
            proc_root->nlink = 2;
            proc_root->iops = &procfs_iops;
            procfs_add("meminfo", gen_meminfo);
            procfs_add("uptime", gen_uptime);
        }
    }
    inode_get(proc_root);
    mutex_unlock(&vfs_ns_lock);
    return proc_root;
}
