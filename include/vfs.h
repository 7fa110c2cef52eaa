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

#endif
