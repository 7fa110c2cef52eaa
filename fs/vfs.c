/* Inode lifetime and the global namespace lock.
 *
 * vfs_ns_lock (a sleeping mutex, thread context only) protects every
 * directory's entries, parent and mount links, link counts, modes and
 * times.  Regular-file data has its own per-inode data_lock, taken after
 * vfs_ns_lock when both are needed (truncate on open). */
#include "vfs.h"
#include "mm.h"
#include "printk.h"
#include "string.h"
#include "time.h"

struct mutex vfs_ns_lock;
static uint64_t next_ino = 1;
static struct inode *root_inode;

uint64_t vfs_now_ns(void)
{
    return time_realtime_ns();
}

struct inode *inode_new(uint32_t mode, uint32_t dev)
{
    struct inode *ino = kzalloc(sizeof(*ino));
    if (!ino)
        return NULL;
    ino->refs = 1;
    ino->mode = mode;
    ino->nlink = S_ISDIR(mode) ? 2 : 1;
    ino->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
    ino->dev = dev;
    ino->atime_ns = ino->mtime_ns = ino->ctime_ns = vfs_now_ns();
    list_init(&ino->children);
    mutex_init(&ino->data_lock, "inode.data");
    return ino;
}

void inode_get(struct inode *ino)
{
    if (ino)
        __atomic_add_fetch(&ino->refs, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *ino)
{
    if (!ino)
        return;
    if (__atomic_sub_fetch(&ino->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    /* Nothing points here any more: no entry names it (entries hold a
     * reference), no file, no cwd.  A directory's children are gone too
     * (rmdir requires it empty; each child dir holds its parent). */
    inode_put(ino->parent);
    inode_put(ino->mounted);
    inode_put(ino->covered);
    kfree(ino->data);
    kfree(ino);
}

struct inode *vfs_root_inode(void)
{
    inode_get(root_inode);
    return root_inode;
}

void vfs_init(void)
{
    mutex_init(&vfs_ns_lock, "vfs.ns");
    root_inode = inode_new(S_IFDIR | 0755, 1);
    klog("vfs: ramfs root\n");
}

int vfs_open_kernel(const char *path, int oflags, struct file **out)
{
    (void)path;
    (void)oflags;
    *out = NULL;
    return -ENOENT;
}
