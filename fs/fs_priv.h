/* Internals shared by the files of fs/ (not for the rest of the kernel). */
#ifndef FS_PRIV_H
#define FS_PRIV_H

#include "vfs.h"

/* st_dev of each filesystem instance. */
#define FS_DEV_RAMFS    1
#define FS_DEV_PROCFS   2
#define FS_DEV_PIPEFS   3
#define FS_DEV_SOCKFS   4

extern struct inode *vfs_root;          /* the ramfs root, never freed */

/* ---- ramfs (fs/ramfs.c) ----  Directory functions: caller holds
 * vfs_ns_lock. */
struct dentry *ramfs_find(struct inode *dir, const char *name, size_t len);
int ramfs_add(struct inode *dir, const char *name, size_t len,
              struct inode *ino);
void ramfs_remove(struct inode *dir, struct dentry *d);
bool ramfs_dir_empty(const struct inode *dir);
/* Frees a regular file's pages (the inode is going away). */
void ramfs_free_data(struct inode *ino);
/* Caller holds ino->data_lock. */
int ramfs_truncate_locked(struct inode *ino, uint64_t size);
extern const struct file_ops ramfs_file_ops;
extern const struct file_ops ramfs_dir_ops;

/* ---- path walk (fs/namei.c) ----  Caller holds vfs_ns_lock. */
#define LOOKUP_PARENT   0x100   /* stop before the last component */
struct walk_result {
    struct inode *inode;        /* referenced: the result, or the parent */
    const char *name;           /* LOOKUP_PARENT: the last component, */
    size_t len;                 /* pointing into the path */
    bool trailing;              /* the path ended in '/' */
};
int namei_walk(struct inode *base, const char *path, unsigned flags,
               struct walk_result *res);
/* The starting directory for dirfd and path, referenced (root for an
 * absolute path, the cwd for AT_FDCWD).  empty_ok: AT_EMPTY_PATH, any file
 * type is fine. */
int namei_dirfd(int dirfd, const char *path, bool empty_ok,
                struct inode **out);
void vfs_touch(struct inode *ino, bool modify);

/* ---- devices (fs/devices.c) ---- */
/* File operations for a character device, NULL if no driver. */
const struct file_ops *chrdev_ops(uint32_t rdev);

/* ---- pipes (fs/pipe.c) ---- */
int pipe_create(struct file **rd, struct file **wr, unsigned flags);
void pipe_init(void);
/* Attach f (a FIFO inode opened, no ops yet) to the FIFO's pipe. */
int pipe_fifo_open(struct file *f);

/* ---- procfs (fs/procfs.c) ---- */
struct inode *procfs_root(void);        /* referenced, NULL if no memory */
void procfs_mounted(void);              /* for /proc/mounts */

/* ---- initramfs (fs/initramfs.c) ---- */
struct cpio_stats {
    unsigned entries;
    uint64_t bytes;
};
/* Unpack a newc archive from memory under root; 0, or -errno after
 * logging why it stopped (what was unpacked stays). */
int initramfs_unpack(struct inode *root, const void *buf, size_t len,
                     struct cpio_stats *st);

#endif

/* ---- system call helpers (fs/sys_file.c) ---- */
/* A user path copied into a new PATH_MAX kernel buffer; free with
 * kfree().  NULL with *err = -EFAULT / -ENAMETOOLONG / -ENOMEM. */
char *fs_getname(uint64_t upath, int *err);
unsigned fs_umask(void);
/* read/write through f honouring its position (pos_lock) or at *ppos. */
ssize_t fs_file_read(struct file *f, const struct uio *u, size_t n,
                     uint64_t *ppos);
ssize_t fs_file_write(struct file *f, const struct uio *u, size_t n,
                      uint64_t *ppos);
#define MAX_RW_COUNT    (0x7fffffffUL & ~(PAGE_SIZE - 1))  /* Linux clamp */
/* Copies the user path and resolves dirfd to its base directory
 * (referenced); free both with at_end(). */
int at_begin(int dirfd, uint64_t upath, bool empty_ok, char **path,
             struct inode **base);
void at_end(char *path, struct inode *base);
int fs_getcwd(char *buf, size_t size);
