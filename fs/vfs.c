/* Inode lifetime, the root, and start-up (vfs_init).
 *
 * vfs_ns_lock (a sleeping mutex, thread context only) protects every
 * directory's entries, the parent and mount links, link counts, modes and
 * times.  A regular file's pages and size have the per-inode data_lock,
 * taken after vfs_ns_lock when both are needed (open with O_TRUNC). */
#include "fs_priv.h"
#include "dt.h"
#include "mm.h"
#include "panic.h"
#include "printk.h"
#include "string.h"
#include "time.h"

struct mutex vfs_ns_lock;
struct inode *vfs_root;
static uint64_t next_ino = 1;
static bool vfs_started;

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
    ino->nlink = 0;                 /* counted by ramfs_add */
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
     * reference), no open file, no cwd.  A directory is empty by now
     * (rmdir requires it, and each subdirectory holds its parent). */
    inode_put(ino->parent);
    inode_put(ino->mounted);
    inode_put(ino->covered);
    ramfs_free_data(ino);
    kfree(ino->symlink);
    kfree(ino);
}

struct inode *vfs_root_inode(void)
{
    inode_get(vfs_root);
    return vfs_root;
}

int vfs_open_kernel(const char *path, int oflags, struct file **out)
{
    struct inode *base = vfs_cwd_inode();
    int r = vfs_open(base, path, oflags, 0, out);
    inode_put(base);
    return r;
}

/* The device nodes Linux's devtmpfs would provide, where the archive did
 * not bring them (Documentation/admin-guide/devices.txt numbers). */
static const struct {
    const char *path;
    unsigned major, minor;
    uint32_t perm;
} vfs_default_devs[] = {
    { "/dev/console", 5, 1, 0600 },
    { "/dev/tty",     5, 0, 0666 },
    { "/dev/null",    1, 3, 0666 },
    { "/dev/zero",    1, 5, 0666 },
    { "/dev/random",  1, 8, 0666 },
    { "/dev/urandom", 1, 9, 0666 },
};

static void vfs_populate(void)
{
    static const char *const dirs[] = { "/dev", "/proc", "/tmp" };
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        int r = vfs_mkdir(vfs_root, dirs[i], i == 2 ? 01777 : 0755);
        if (r && r != -EEXIST)
            klog("vfs: mkdir %s: error %d\n", dirs[i], r);
    }
    for (size_t i = 0; i < ARRAY_SIZE(vfs_default_devs); i++) {
        int r = vfs_mknod(vfs_root, vfs_default_devs[i].path,
                          S_IFCHR | vfs_default_devs[i].perm,
                          MKDEV(vfs_default_devs[i].major,
                                vfs_default_devs[i].minor));
        if (r && r != -EEXIST)
            klog("vfs: mknod %s: error %d\n", vfs_default_devs[i].path, r);
    }
}

void vfs_init(void)
{
    /* Once only: ktests call it too, in case main has not. */
    if (__atomic_exchange_n(&vfs_started, true, __ATOMIC_ACQ_REL))
        return;
    mutex_init(&vfs_ns_lock, "vfs.ns");
    pipe_init();
    vfs_root = inode_new(S_IFDIR | 0755, FS_DEV_RAMFS);
    if (!vfs_root)
        panic("vfs: no memory for the root inode");
    vfs_root->nlink = 2;

    uint64_t start, end;
    if (dt_initrd(&start, &end) && end > start) {
        struct cpio_stats st = { 0 };
        initramfs_unpack(vfs_root, phys_to_virt(start), end - start, &st);
        klog("initramfs: unpacked %u entries (%llu KiB)\n", st.entries,
             (unsigned long long)DIV_ROUND_UP(st.bytes, 1024));
    } else {
        klog("initramfs: none\n");
    }
    vfs_populate();
}
