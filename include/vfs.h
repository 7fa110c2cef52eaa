/* The virtual filesystem: inodes, path lookup, open files and descriptor
 * tables (fs/).  This block is the part the process code (kernel/) relies
 * on; the rest of the VFS interface follows it. */
#ifndef VFS_H
#define VFS_H

#include "kernel.h"

struct inode;
struct file;
struct fdtable;

/* Open flags (Linux aarch64 values, asm-generic/fcntl.h). */
#define O_ACCMODE   00000003
#define O_RDONLY    00000000
#define O_WRONLY    00000001
#define O_RDWR      00000002
#define O_CREAT     00000100
#define O_EXCL      00000200
#define O_NOCTTY    00000400
#define O_TRUNC     00001000
#define O_APPEND    00002000
#define O_NONBLOCK  00004000
#define O_DIRECTORY 00040000
#define O_NOFOLLOW  00100000
#define O_CLOEXEC   02000000
#define O_PATH      010000000
#define AT_FDCWD    (-100)

/* Mount the root RAM filesystem and unpack the initramfs the boot loader
 * passed (DTB /chosen linux,initrd-start/end), if any. */
void vfs_init(void);

/* Open a path for the kernel, relative to the current process's cwd (or
 * the root for kernel threads).  0 and *out referenced, or -errno. */
int vfs_open_kernel(const char *path, int oflags, struct file **out);
/* Read from a file at an offset into kernel memory; bytes or -errno. */
ssize_t file_kread(struct file *f, void *buf, size_t n, uint64_t off);
/* The frame holding the whole page of f at page-aligned off, with a
 * reference taken for the caller, or 0 when it cannot be shared (not a
 * ramfs file, a hole, past the end).  exec maps such pages instead of
 * copying them: a process sees later writes to the file in pages it has
 * not written itself, as with Linux's MAP_PRIVATE. */
paddr_t file_page_ref(struct file *f, uint64_t off);
/* -EACCES unless f is a regular file with an execute bit set. */
int file_check_exec(struct file *f);
void file_get(struct file *f);
void file_put(struct file *f);

struct fdtable *fdtable_new(void);
/* A copy for fork: every open file gets one more reference.  NULL when
 * out of memory. */
struct fdtable *fdtable_clone(struct fdtable *t);
/* Drop the table: closes every descriptor. */
void fdtable_put(struct fdtable *t);
void fdtable_close_on_exec(struct fdtable *t);
/* Install f (the table takes the caller's reference) at the lowest free
 * descriptor; returns it or -EMFILE. */
int fdtable_install(struct fdtable *t, struct file *f, bool cloexec);
/* The open file behind fd in the current process, referenced; NULL if fd
 * is not open. */
struct file *fd_get_file(int fd);

struct inode *vfs_root_inode(void);     /* referenced */
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);

/* ---- the rest of the VFS interface (fs/) ---- */

#include "list.h"
#include "sched.h"

#define PATH_MAX    4096        /* including the NUL (Linux limits.h) */
#define NAME_MAX    255
#define SYMLOOP_MAX 40          /* Linux: 40 links per lookup, then -ELOOP */
#define FD_MAX      256         /* descriptors per process */

/* File type and permission bits (Linux stat.h). */
#define S_IFMT      0170000
#define S_IFSOCK    0140000
#define S_IFLNK     0120000
#define S_IFREG     0100000
#define S_IFBLK     0060000
#define S_IFDIR     0040000
#define S_IFCHR     0020000
#define S_IFIFO     0010000
#define S_ISUID     0004000
#define S_ISGID     0002000
#define S_ISVTX     0001000
#define S_IALLUGO   0007777
#define S_IXUGO     0000111
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

/* Device numbers: Linux's new_encode_dev layout, as st_rdev carries it. */
#define MKDEV(ma, mi)   ((((ma) & 0xfffu) << 8) | ((mi) & 0xffu) | \
                         (((mi) & 0xfff00u) << 12))
#define MAJOR(d)        (((d) >> 8) & 0xfffu)
#define MINOR(d)        (((d) & 0xffu) | (((d) >> 12) & 0xfff00u))

/* *at() flags (Linux fcntl.h). */
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000

#define SEEK_SET    0
#define SEEK_CUR    1
#define SEEK_END    2

/* getdents64 d_type (Linux dirent.h): the S_IFMT bits shifted down. */
#define DT_UNKNOWN  0
#define DT_FIFO     1
#define DT_CHR      2
#define DT_DIR      4
#define DT_BLK      6
#define DT_REG      8
#define DT_LNK      10
#define DT_SOCK     12

struct file_ops;
struct inode_ops;
struct poll_table;

/* Where a read or write moves bytes: user or kernel memory.  File
 * operations never dereference user pointers themselves: they call
 * uio_copy_out / uio_copy_in, which go through uaccess for user buffers. */
struct uio {
    bool user;
    uint64_t uaddr;     /* when user */
    void *kaddr;        /* otherwise */
};
/* Copy n bytes at offset off of the buffer: 0 or -EFAULT. */
int uio_copy_out(const struct uio *u, size_t off, const void *src, size_t n);
int uio_copy_in(void *dst, const struct uio *u, size_t off, size_t n);

/* A directory entry (ramfs keeps them in a list per directory). */
struct dentry {
    struct list_head node;      /* in the parent's children */
    struct inode *inode;        /* referenced by the entry */
    uint64_t seq;               /* getdents position: grows in list order */
    uint16_t len;
    char name[];                /* NUL-terminated */
};

/* An inode.  Lifetime: `refs` counts every pointer held (directory entries,
 * open files, cwds, lookups in progress); the inode is freed at zero.
 * `nlink` is the link count stat shows, not a lifetime count.
 * Namespace fields (children, parent, nlink, mode, times, mount links) are
 * under vfs_ns_lock; a regular file's data and size under data_lock. */
struct inode {
    int refs;                   /* atomic */
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid, gid;
    uint32_t rdev;              /* device nodes: MKDEV() */
    uint64_t ino;
    uint64_t size;
    uint64_t atime_ns, mtime_ns, ctime_ns;   /* CLOCK_REALTIME */
    uint32_t dev;               /* the filesystem's st_dev */
    const struct inode_ops *iops;
    const struct file_ops *fops;    /* what open() installs, NULL = by type */

    struct inode *parent;       /* directories: referenced, for ".." */
    struct list_head children;  /* directories: struct dentry */
    struct inode *mounted;      /* a filesystem root mounted here, referenced */
    struct inode *covered;      /* a mounted root: the mount point (referenced) */

    uint64_t next_seq;          /* directories: getdents cookie of the next entry */

    struct mutex data_lock;     /* regular files: pages, npages, size */
    void **pages;               /* regular files: one frame per 4 KiB, NULL = hole */
    size_t npages;              /* length of the pages array */
    char *symlink;              /* symlinks: the target (kmalloc) */
    void *priv;                 /* filesystem specific (procfs generator,
                                   a FIFO's pipe) */
    int proc_pid;               /* procfs: the process a /proc/<pid> file
                                   describes */
};

/* Per-filesystem inode behaviour beyond ramfs's defaults. */
struct inode_ops {
    bool readonly;              /* no create/unlink/rename/write inside */
    /* Symlinks whose target is computed at each use (/proc/self): writes
     * it into buf (NUL-terminated) and returns its length, or -errno. */
    int (*readlink)(struct inode *ino, char *buf, size_t cap);
};
#define READLINK_DYN_MAX 24     /* buffer for a computed symlink target */

/* An open file description (shared by dup and fork). */
struct file {
    int refs;                   /* atomic */
    const struct file_ops *ops;
    struct inode *inode;        /* referenced; NULL for pipes */
    void *priv;                 /* pipes: struct pipe */
    unsigned flags;             /* O_ACCMODE | O_APPEND | O_NONBLOCK ... */
    uint64_t pos;               /* under pos_lock */
    struct mutex pos_lock;      /* serializes read/write/lseek of one file */
    bool stream;                /* no file position (pipes, ttys) */
};

/* File operations.  pos is the file position to use and advance (NULL for
 * streams); read/write return bytes moved, or -errno. */
struct file_ops {
    ssize_t (*read)(struct file *f, const struct uio *u, size_t n,
                    uint64_t *pos);
    ssize_t (*write)(struct file *f, const struct uio *u, size_t n,
                     uint64_t *pos);
    long (*ioctl)(struct file *f, unsigned long cmd, uint64_t uarg);
    /* Readiness now (POLL* bits) and, in *wq, the queue woken when it may
     * change (NULL if it never changes).  Must not sleep: ppoll calls it
     * while already prepared on other queues. */
    unsigned (*poll)(struct file *f, struct waitq **wq);
    /* Directories: fill linux_dirent64 records into u (user memory); returns
     * bytes, 0 at the end, -EINVAL if the first one does not fit. */
    ssize_t (*getdents)(struct file *f, const struct uio *u, size_t n);
    void (*release)(struct file *f);
};

/* ---- inodes and namespace (fs/vfs.c, fs/namei.c, fs/ramfs.c) ---- */
extern struct mutex vfs_ns_lock;

/* A new unlinked inode with refs 1 (ramfs semantics). */
struct inode *inode_new(uint32_t mode, uint32_t dev);
uint64_t vfs_now_ns(void);

/* Path lookup relative to dirfd (AT_FDCWD = cwd).  *out referenced. */
#define LOOKUP_FOLLOW   0x1     /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2    /* the final component must be a directory */
#define LOOKUP_EMPTY    0x4     /* "" names dirfd itself (AT_EMPTY_PATH) */
int vfs_lookup_at(int dirfd, const char *path, unsigned flags,
                  struct inode **out);
int vfs_lookup(struct inode *start, const char *path, unsigned flags,
               struct inode **out);

/* Kernel-side creation helpers (initramfs, /dev, ktests); paths from the
 * root.  0 or -errno. */
int vfs_mkdir(struct inode *base, const char *path, uint32_t mode);
int vfs_mknod(struct inode *base, const char *path, uint32_t mode,
              uint32_t rdev);
int vfs_symlink(struct inode *base, const char *target, const char *path);
int vfs_link(struct inode *base, const char *oldpath, const char *newpath);
int vfs_link_at(struct inode *obase, const char *oldpath, struct inode *nbase,
                const char *newpath, bool follow);
int vfs_unlink(struct inode *base, const char *path, bool rmdir);
int vfs_rename(struct inode *obase, const char *oldpath,
               struct inode *nbase, const char *newpath);
/* Create (O_CREAT) or open path; *out referenced. */
int vfs_open(struct inode *base, const char *path, int oflags, uint32_t mode,
             struct file **out);
/* Regular files. */
int vfs_truncate(struct inode *ino, uint64_t size);
ssize_t file_kwrite(struct file *f, const void *buf, size_t n, uint64_t off);

/* ---- procfs (fs/procfs.c): a process's /proc/<pid>, from its creation
 * to its reaping.  Thread context (takes vfs_ns_lock). */
void procfs_proc_add(int pid);
void procfs_proc_remove(int pid);

/* ---- files (fs/file.c) ---- */
/* A new file description on ino (referenced by the caller, taken over). */
struct file *file_alloc(struct inode *ino, const struct file_ops *ops,
                        unsigned flags);
struct file *fd_get_file_in(struct fdtable *t, int fd);
int fdtable_close(struct fdtable *t, int fd);
/* dup2/dup3/F_DUPFD: install f at fd (replacing what is there) or at the
 * lowest free >= min; the table takes the caller's reference. */
int fdtable_install_at(struct fdtable *t, struct file *f, int fd,
                       bool cloexec);
int fdtable_install_min(struct fdtable *t, struct file *f, int min,
                        bool cloexec);
int fdtable_get_cloexec(struct fdtable *t, int fd);
int fdtable_set_cloexec(struct fdtable *t, int fd, bool on);
struct fdtable *current_fdt(void);
/* The root and the cwd to resolve from: referenced. */
struct inode *vfs_cwd_inode(void);

#endif
