/* In-kernel tests of the VFS: path lookup, ramfs operations, pipes,
 * descriptor tables, procfs, and the cpio unpacker on good and malformed
 * archives built in memory.  Each test works in its own directory under
 * /ktest-* so they can run in any order. */
#include "fs_priv.h"
#include "cpio.h"
#include "dt.h"
#include "ktest.h"
#include "mm.h"
#include "printk.h"
#include "sched.h"
#include "string.h"

static struct inode *kt_dir(const char *path)
{
    vfs_init();
    struct inode *root = vfs_root_inode(), *d = NULL;
    vfs_mkdir(root, path, 0755);
    vfs_lookup(root, path, LOOKUP_DIRECTORY, &d);
    inode_put(root);
    return d;
}

static int kt_lookup(struct inode *base, const char *path, unsigned flags,
                     struct inode **out)
{
    struct inode *tmp;
    int r = vfs_lookup(base, path, flags, out ? out : &tmp);
    if (!r && !out)
        inode_put(tmp);
    return r;
}

static int kt_write(struct inode *base, const char *path, const char *s,
                    int extra)
{
    struct file *f;
    int r = vfs_open(base, path, O_WRONLY | O_CREAT | extra, 0644, &f);
    if (r)
        return r;
    ssize_t w = file_kwrite(f, s, strlen(s), f->pos);
    file_put(f);
    return w < 0 ? (int)w : 0;
}

/* Reads a whole small file into buf (NUL-terminated); length or -errno. */
static ssize_t kt_read(struct inode *base, const char *path, char *buf,
                       size_t cap)
{
    struct file *f;
    int r = vfs_open(base, path, O_RDONLY, 0, &f);
    if (r)
        return r;
    ssize_t n = file_kread(f, buf, cap - 1, 0);
    file_put(f);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

KTEST(vfs, lookup)
{
    struct inode *d = kt_dir("/ktest-lookup"), *a, *b;
    KT_ASSERT(t, d, "no test directory");
    KT_EXPECT(t, vfs_mkdir(d, "a", 0755) == 0, "mkdir a");
    KT_EXPECT(t, vfs_mkdir(d, "a/b", 0755) == 0, "mkdir a/b");
    KT_EXPECT(t, vfs_mkdir(d, "a/b", 0755) == -EEXIST, "mkdir twice");
    KT_EXPECT(t, kt_write(d, "a/b/f", "x", 0) == 0, "create file");
    KT_ASSERT(t, kt_lookup(d, "a", 0, &a) == 0, "lookup a");
    KT_ASSERT(t, kt_lookup(d, "a/./b/../b//", 0, &b) == 0, "dots");
    KT_EXPECT(t, kt_lookup(a, "b/../../a/b", 0, NULL) == 0, "relative ..");
    struct inode *r1, *r2;
    KT_ASSERT(t, kt_lookup(d, "/..", 0, &r1) == 0, "root ..");
    KT_ASSERT(t, kt_lookup(d, "/", 0, &r2) == 0, "root");
    KT_EXPECT(t, r1 == r2 && r1 == vfs_root, "root's .. is root");
    inode_put(r1);
    inode_put(r2);
    KT_EXPECT(t, kt_lookup(d, "a/b/f/", 0, NULL) == -ENOTDIR, "file/");
    KT_EXPECT(t, kt_lookup(d, "a/b/f/x", 0, NULL) == -ENOTDIR, "file/x");
    KT_EXPECT(t, kt_lookup(d, "a/nope", 0, NULL) == -ENOENT, "ENOENT");
    KT_EXPECT(t, kt_lookup(d, "", 0, NULL) == -ENOENT, "empty path");

    /* Symlinks: relative, absolute, to a directory, dangling, loops. */
    KT_EXPECT(t, vfs_symlink(d, "a/b/f", "lf") == 0, "symlink");
    KT_EXPECT(t, vfs_symlink(d, "/ktest-lookup/a", "la") == 0, "abs link");
    KT_EXPECT(t, vfs_symlink(d, "nowhere", "dangle") == 0, "dangling");
    KT_EXPECT(t, vfs_symlink(d, "loop2", "loop1") == 0, "loop1");
    KT_EXPECT(t, vfs_symlink(d, "loop1", "loop2") == 0, "loop2");
    struct inode *f1, *f2;
    KT_ASSERT(t, kt_lookup(d, "lf", LOOKUP_FOLLOW, &f1) == 0, "follow lf");
    KT_ASSERT(t, kt_lookup(d, "la/b/f", 0, &f2) == 0, "through la");
    KT_EXPECT(t, f1 == f2 && S_ISREG(f1->mode), "same file both ways");
    inode_put(f1);
    inode_put(f2);
    KT_ASSERT(t, kt_lookup(d, "lf", 0, &f1) == 0, "nofollow lf");
    KT_EXPECT(t, S_ISLNK(f1->mode) && f1->size == 5, "link itself");
    inode_put(f1);
    KT_EXPECT(t, kt_lookup(d, "la/", 0, NULL) == 0, "la/ follows");
    KT_EXPECT(t, kt_lookup(d, "dangle", LOOKUP_FOLLOW, NULL) == -ENOENT,
              "dangling");
    KT_EXPECT(t, kt_lookup(d, "loop1", LOOKUP_FOLLOW, NULL) == -ELOOP,
              "loop");
    KT_EXPECT(t, kt_lookup(d, "loop1/x", 0, NULL) == -ELOOP, "loop mid");

    /* A chain of 40 links resolves, 41 do not (Linux's limit). */
    char name[16], target[16];
    KT_EXPECT(t, vfs_symlink(d, "a", "c0") == 0, "c0");
    for (int i = 1; i <= 40; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        snprintf(target, sizeof(target), "c%d", i - 1);
        vfs_symlink(d, target, name);
    }
    KT_EXPECT(t, kt_lookup(d, "c39", LOOKUP_FOLLOW, NULL) == 0, "40 links");
    KT_EXPECT(t, kt_lookup(d, "c40", LOOKUP_FOLLOW, NULL) == -ELOOP,
              "41 links");

    /* Name and path limits. */
    char *longp = kmalloc(PATH_MAX + 8);
    KT_ASSERT(t, longp, "no memory");
    memset(longp, 'n', NAME_MAX + 1);
    longp[NAME_MAX + 1] = '\0';
    KT_EXPECT(t, kt_lookup(d, longp, 0, NULL) == -ENAMETOOLONG, "NAME_MAX+1");
    longp[NAME_MAX] = '\0';
    KT_EXPECT(t, kt_lookup(d, longp, 0, NULL) == -ENOENT, "NAME_MAX ok");
    for (int i = 0; i < PATH_MAX + 4; i++)
        longp[i] = (i % 2) ? '/' : 'a';
    longp[PATH_MAX + 4] = '\0';
    KT_EXPECT(t, kt_lookup(d, longp, 0, NULL) == -ENAMETOOLONG, "PATH_MAX");
    kfree(longp);

    inode_put(a);
    inode_put(b);
    inode_put(d);
}

KTEST(vfs, ramfs_ops)
{
    struct inode *d = kt_dir("/ktest-ramfs"), *ino;
    char buf[64];
    KT_ASSERT(t, d, "no test directory");

    KT_EXPECT(t, kt_write(d, "f", "hello", 0) == 0, "create");
    KT_EXPECT(t, kt_read(d, "f", buf, sizeof(buf)) == 5 &&
                 !strcmp(buf, "hello"), "read back");
    KT_EXPECT(t, kt_write(d, "f", " world", O_APPEND) == 0, "append");
    KT_EXPECT(t, kt_read(d, "f", buf, sizeof(buf)) == 11 &&
                 !strcmp(buf, "hello world"), "appended");
    struct file *f;
    KT_EXPECT(t, vfs_open(d, "f", O_CREAT | O_EXCL | O_WRONLY, 0644, &f) ==
                 -EEXIST, "O_EXCL");
    KT_EXPECT(t, vfs_open(d, "f/", O_RDONLY, 0, &f) == -ENOTDIR, "f/");
    KT_EXPECT(t, vfs_open(d, ".", O_WRONLY, 0, &f) == -EISDIR, "write dir");
    KT_EXPECT(t, vfs_open(d, "f", O_DIRECTORY, 0, &f) == -ENOTDIR,
              "O_DIRECTORY");

    /* A sparse file: a hole reads as zeros, across a page boundary. */
    KT_ASSERT(t, vfs_open(d, "sparse", O_CREAT | O_RDWR, 0600, &f) == 0,
              "sparse");
    KT_EXPECT(t, file_kwrite(f, "Z", 1, 3 * PAGE_SIZE + 7) == 1, "far write");
    KT_EXPECT(t, f->inode->size == 3 * PAGE_SIZE + 8, "size %llu",
              (unsigned long long)f->inode->size);
    memset(buf, 1, sizeof(buf));
    KT_EXPECT(t, file_kread(f, buf, 16, PAGE_SIZE - 8) == 16 &&
                 buf[0] == 0 && buf[15] == 0, "hole reads zeros");
    KT_EXPECT(t, vfs_truncate(f->inode, 5) == 0 && f->inode->size == 5,
              "truncate");
    KT_EXPECT(t, file_kread(f, buf, 16, 0) == 5, "read after truncate");
    file_put(f);

    /* Hard links share the inode; unlink keeps an open file alive. */
    KT_EXPECT(t, vfs_link(d, "f", "g") == 0, "link");
    KT_ASSERT(t, kt_lookup(d, "g", 0, &ino) == 0, "lookup link");
    KT_EXPECT(t, ino->nlink == 2, "nlink %u", ino->nlink);
    KT_EXPECT(t, vfs_link(d, ".", "dl") == -EPERM, "link to dir");
    KT_ASSERT(t, vfs_open(d, "g", O_RDONLY, 0, &f) == 0, "open g");
    KT_EXPECT(t, vfs_unlink(d, "f", false) == 0, "unlink f");
    KT_EXPECT(t, vfs_unlink(d, "g", false) == 0, "unlink g");
    KT_EXPECT(t, ino->nlink == 0, "nlink 0");
    KT_EXPECT(t, file_kread(f, buf, sizeof(buf) - 1, 0) == 11,
              "unlinked but open");
    file_put(f);
    inode_put(ino);
    KT_EXPECT(t, vfs_unlink(d, "g", false) == -ENOENT, "gone");

    /* Directories: rmdir rules and rename rules. */
    KT_EXPECT(t, vfs_mkdir(d, "dir", 0755) == 0, "mkdir");
    KT_EXPECT(t, kt_write(d, "dir/x", "1", 0) == 0, "file in dir");
    KT_EXPECT(t, vfs_unlink(d, "dir", true) == -ENOTEMPTY, "ENOTEMPTY");
    KT_EXPECT(t, vfs_unlink(d, "dir", false) == -EISDIR, "unlink dir");
    KT_EXPECT(t, vfs_unlink(d, "dir/x", true) == -ENOTDIR, "rmdir file");
    KT_EXPECT(t, vfs_unlink(d, ".", true) == -EINVAL, "rmdir .");
    KT_EXPECT(t, vfs_rename(d, "dir", d, "dir/sub") == -EINVAL,
              "into itself");
    KT_EXPECT(t, vfs_mkdir(d, "dir2", 0755) == 0, "mkdir dir2");
    KT_EXPECT(t, vfs_rename(d, "dir2", d, "dir") == -ENOTEMPTY,
              "over non-empty");
    KT_EXPECT(t, kt_write(d, "y", "2", 0) == 0, "y");
    KT_EXPECT(t, vfs_rename(d, "y", d, "dir/x") == 0, "file over file");
    KT_EXPECT(t, kt_read(d, "dir/x", buf, sizeof(buf)) == 1 && buf[0] == '2',
              "renamed content");
    KT_EXPECT(t, kt_lookup(d, "y", 0, NULL) == -ENOENT, "old name gone");
    KT_EXPECT(t, vfs_rename(d, "dir", d, "dir2/moved") == 0, "move dir");
    KT_ASSERT(t, kt_lookup(d, "dir2/moved/..", 0, &ino) == 0, "moved ..");
    struct inode *dir2;
    KT_ASSERT(t, kt_lookup(d, "dir2", 0, &dir2) == 0, "dir2");
    KT_EXPECT(t, ino == dir2 && dir2->nlink == 3, "parent updated (nlink %u)",
              dir2->nlink);
    KT_EXPECT(t, d->nlink == 3, "test dir nlink %u", d->nlink);
    inode_put(ino);
    inode_put(dir2);

    /* getdents64 through a kernel buffer: ".", "..", then entries. */
    KT_ASSERT(t, vfs_open(d, "dir2/moved", O_RDONLY | O_DIRECTORY, 0, &f) == 0,
              "open dir");
    uint8_t dbuf[256];
    struct uio u = { .user = false, .kaddr = dbuf };
    ssize_t n = f->ops->getdents(f, &u, sizeof(dbuf));
    int names = 0;
    bool saw_x = false;
    for (ssize_t off = 0; off < n;) {
        uint16_t reclen;
        memcpy(&reclen, dbuf + off + 16, 2);
        KT_ASSERT(t, reclen >= 20 && reclen % 8 == 0, "reclen %u", reclen);
        if (!strcmp((char *)dbuf + off + 19, "x"))
            saw_x = dbuf[off + 18] == DT_REG;
        names++;
        off += reclen;
    }
    KT_EXPECT(t, names == 3 && saw_x, "getdents: %d names, x %d", names,
              saw_x);
    KT_EXPECT(t, f->ops->getdents(f, &u, sizeof(dbuf)) == 0, "then EOF");
    file_put(f);

    /* Device nodes open by major:minor. */
    KT_EXPECT(t, vfs_mknod(d, "null", S_IFCHR | 0666, MKDEV(1, 3)) == 0,
              "mknod");
    KT_ASSERT(t, vfs_open(d, "null", O_RDWR, 0, &f) == 0, "open null");
    KT_EXPECT(t, file_kwrite(f, "abc", 3, 0) == 3 &&
                 file_kread(f, buf, 3, 0) == 0, "null semantics");
    file_put(f);
    KT_EXPECT(t, vfs_mknod(d, "nodev", S_IFCHR | 0666, MKDEV(99, 1)) == 0,
              "mknod 99");
    KT_EXPECT(t, vfs_open(d, "nodev", O_RDWR, 0, &f) == -ENXIO, "ENXIO");
    inode_put(d);
}

struct pipe_kt {
    struct file *w;
    volatile bool done;
};

static void pipe_writer(void *arg)
{
    struct pipe_kt *pk = arg;
    sleep_ms(20);
    file_kwrite(pk->w, "late", 4, 0);
    file_put(pk->w);
    pk->done = true;
    thread_exit();
}

KTEST(vfs, pipe)
{
    struct file *r, *w;
    char buf[16];
    vfs_init();
    KT_ASSERT(t, pipe_create(&r, &w, O_NONBLOCK) == 0, "pipe_create");
    KT_EXPECT(t, file_kread(r, buf, sizeof(buf), 0) == -EAGAIN, "EAGAIN");
    KT_EXPECT(t, file_kwrite(w, "abc", 3, 0) == 3, "write");
    KT_EXPECT(t, file_kread(r, buf, sizeof(buf), 0) == 3 &&
                 !memcmp(buf, "abc", 3), "read");
    /* Fill it: 64 KiB then EAGAIN. */
    char *big = kzalloc(PAGE_SIZE);
    KT_ASSERT(t, big, "no memory");
    size_t total = 0;
    for (;;) {
        ssize_t n = file_kwrite(w, big, PAGE_SIZE, 0);
        if (n <= 0) {
            KT_EXPECT(t, n == -EAGAIN, "full pipe gives %ld", (long)n);
            break;
        }
        total += (size_t)n;
    }
    KT_EXPECT(t, total == 64 * 1024, "capacity %zu", total);
    kfree(big);
    file_put(w);
    while (file_kread(r, buf, sizeof(buf), 0) > 0)
        ;
    KT_EXPECT(t, file_kread(r, buf, sizeof(buf), 0) == 0, "EOF");
    file_put(r);

    /* Blocking read woken by a writer thread. */
    struct pipe_kt pk = { 0 };
    KT_ASSERT(t, pipe_create(&r, &pk.w, 0) == 0, "pipe 2");
    KT_ASSERT(t, thread_create("kt-pipe", pipe_writer, &pk), "thread");
    ssize_t n = file_kread(r, buf, sizeof(buf), 0);
    KT_EXPECT(t, n == 4 && !memcmp(buf, "late", 4), "blocking read %ld",
              (long)n);
    while (!pk.done)
        sleep_ms(1);
    KT_EXPECT(t, file_kread(r, buf, sizeof(buf), 0) == 0, "EOF 2");
    file_put(r);

    /* No reader: EPIPE. */
    KT_ASSERT(t, pipe_create(&r, &w, 0) == 0, "pipe 3");
    file_put(r);
    KT_EXPECT(t, file_kwrite(w, "x", 1, 0) == -EPIPE, "EPIPE");
    file_put(w);
}

KTEST(vfs, fdtable)
{
    vfs_init();
    struct fdtable *tb = fdtable_new();
    KT_ASSERT(t, tb, "fdtable_new");
    struct file *r, *w;
    KT_ASSERT(t, pipe_create(&r, &w, 0) == 0, "pipe");
    KT_EXPECT(t, fdtable_install(tb, r, false) == 0, "fd 0");
    KT_EXPECT(t, fdtable_install(tb, w, true) == 1, "fd 1");
    file_get(r);
    KT_EXPECT(t, fdtable_install_at(tb, r, 9, false) == 9, "dup2 to 9");
    struct fdtable *c = fdtable_clone(tb);
    KT_ASSERT(t, c, "clone");
    KT_EXPECT(t, r->refs == 4, "refs after clone %d", r->refs);
    fdtable_close_on_exec(c);
    KT_EXPECT(t, fd_get_file_in(c, 1) == NULL, "cloexec closed");
    KT_EXPECT(t, fdtable_get_cloexec(tb, 1) == 1, "cloexec bit");
    KT_EXPECT(t, fdtable_close(tb, 5) == -EBADF, "close unused");
    KT_EXPECT(t, fdtable_close(tb, 9) == 0, "close 9");
    for (int i = 0; i < FD_MAX - 2; i++) {
        file_get(r);
        if (fdtable_install(tb, r, false) < 0) {
            file_put(r);
            KT_EXPECT(t, false, "ran out at %d", i);
            break;
        }
    }
    file_get(r);
    KT_EXPECT(t, fdtable_install(tb, r, false) == -EMFILE, "EMFILE");
    file_put(r);
    fdtable_put(c);
    fdtable_put(tb);
}

KTEST(vfs, procfs)
{
    vfs_init();
    struct inode *proot = procfs_root();
    char *buf = kmalloc(1024);
    KT_ASSERT(t, proot && buf, "procfs root");
    ssize_t n = kt_read(proot, "meminfo", buf, 1024);
    KT_EXPECT(t, n > 0 && !memcmp(buf, "MemTotal:", 9), "meminfo");
    bool free_line = false, slab = false;
    for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        free_line |= !strncmp(p, "MemFree:", 8);
        slab |= !strncmp(p, "Slab:", 5);
    }
    KT_EXPECT(t, free_line && slab, "MemFree and Slab lines");
    n = kt_read(proot, "uptime", buf, 1024);
    KT_EXPECT(t, n > 4 && strchr(buf, '.'), "uptime");
    struct file *f;
    KT_EXPECT(t, vfs_open(proot, "meminfo", O_WRONLY, 0, &f) == -EACCES,
              "read-only");
    KT_EXPECT(t, vfs_mkdir(proot, "x", 0755) == -EACCES, "no mkdir");
    kfree(buf);
    inode_put(proot);
}

/* ---- cpio ---- */

struct kt_cpio {
    uint8_t *buf;
    size_t len, cap;
};

static void kt_cpio_add(struct kt_cpio *c, const char *name, uint32_t mode,
                        uint32_t ino, uint32_t nlink, const char *data,
                        uint32_t rmaj, uint32_t rmin)
{
    size_t nlen = strlen(name) + 1, dlen = data ? strlen(data) : 0;
    char hdr[CPIO_HDR_LEN + 1];
    snprintf(hdr, sizeof(hdr),
             "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08zx%08x",
             ino, mode, 0, 0, nlink, 1700000000, (unsigned)dlen, 0, 0, rmaj,
             rmin, nlen, 0);
    memcpy(c->buf + c->len, hdr, CPIO_HDR_LEN);
    c->len += CPIO_HDR_LEN;
    memcpy(c->buf + c->len, name, nlen);
    c->len = ALIGN_UP(c->len + nlen, 4);
    if (dlen)
        memcpy(c->buf + c->len, data, dlen);
    c->len = ALIGN_UP(c->len + dlen, 4);
}

KTEST(vfs, cpio_good)
{
    struct inode *d = kt_dir("/ktest-cpio"), *ino, *ino2;
    struct kt_cpio c = { .buf = kzalloc(8192), .cap = 8192 };
    char buf[32];
    KT_ASSERT(t, d && c.buf, "setup");
    kt_cpio_add(&c, ".", S_IFDIR | 0755, 1, 2, NULL, 0, 0);
    kt_cpio_add(&c, "bin", S_IFDIR | 0755, 2, 2, NULL, 0, 0);
    kt_cpio_add(&c, "./bin/sh", S_IFREG | 0755, 3, 2, "#!x", 0, 0);
    kt_cpio_add(&c, "bin/ash", S_IFREG | 0755, 3, 2, NULL, 0, 0);
    kt_cpio_add(&c, "bin/ls", S_IFLNK | 0777, 4, 1, "sh", 0, 0);
    /* GNU cpio style: the data comes with the last link only. */
    kt_cpio_add(&c, "bin/l1", S_IFREG | 0755, 9, 2, NULL, 0, 0);
    kt_cpio_add(&c, "bin/l2", S_IFREG | 0755, 9, 2, "data", 0, 0);
    kt_cpio_add(&c, "dev", S_IFDIR | 0755, 5, 2, NULL, 0, 0);
    kt_cpio_add(&c, "dev/ttyS0", S_IFCHR | 0600, 6, 1, NULL, 4, 64);
    kt_cpio_add(&c, "dev/sda", S_IFBLK | 0600, 7, 1, NULL, 8, 0);
    kt_cpio_add(&c, CPIO_TRAILER, 0, 0, 1, NULL, 0, 0);
    struct cpio_stats st = { 0 };
    KT_EXPECT(t, initramfs_unpack(d, c.buf, c.len, &st) == 0, "unpack");
    KT_EXPECT(t, kt_read(d, "bin/l1", buf, sizeof(buf)) == 4 &&
                 !strcmp(buf, "data"), "data on the last link");
    KT_EXPECT(t, st.entries == 9 && st.bytes == 9, "stats %u %llu",
              st.entries, (unsigned long long)st.bytes);
    KT_EXPECT(t, kt_read(d, "bin/ls", buf, sizeof(buf)) == 3 &&
                 !strcmp(buf, "#!x"), "symlink to file");
    KT_ASSERT(t, kt_lookup(d, "bin/sh", 0, &ino) == 0, "sh");
    KT_ASSERT(t, kt_lookup(d, "bin/ash", 0, &ino2) == 0, "ash");
    KT_EXPECT(t, ino == ino2 && ino->nlink == 2 && (ino->mode & 0777) == 0755,
              "hard link (nlink %u)", ino->nlink);
    KT_EXPECT(t, ino->mtime_ns == 1700000000ULL * 1000000000ULL, "mtime");
    inode_put(ino);
    inode_put(ino2);
    KT_ASSERT(t, kt_lookup(d, "dev/ttyS0", 0, &ino) == 0, "ttyS0");
    KT_EXPECT(t, S_ISCHR(ino->mode) && MAJOR(ino->rdev) == 4 &&
                 MINOR(ino->rdev) == 64, "char dev");
    inode_put(ino);
    KT_ASSERT(t, kt_lookup(d, "dev/sda", 0, &ino) == 0, "sda");
    KT_EXPECT(t, S_ISBLK(ino->mode) && MAJOR(ino->rdev) == 8, "block dev");
    inode_put(ino);
    kfree(c.buf);
    inode_put(d);
}

KTEST(vfs, cpio_bad)
{
    struct inode *d = kt_dir("/ktest-cpiobad");
    struct kt_cpio c = { .buf = kzalloc(8192), .cap = 8192 };
    struct cpio_stats st = { 0 };
    KT_ASSERT(t, d && c.buf, "setup");

    /* Good entries, then one whose data runs past the end. */
    kt_cpio_add(&c, "ok1", S_IFREG | 0644, 1, 1, "one", 0, 0);
    size_t cut = c.len;
    kt_cpio_add(&c, "trunc", S_IFREG | 0644, 2, 1, "0123456789", 0, 0);
    KT_EXPECT(t, initramfs_unpack(d, c.buf, cut + CPIO_HDR_LEN + 8, &st) ==
                 -EINVAL, "truncated refused");
    KT_EXPECT(t, st.entries == 1 && kt_lookup(d, "ok1", 0, NULL) == 0 &&
                 kt_lookup(d, "trunc", 0, NULL) == -ENOENT, "kept ok1");

    /* Bad magic. */
    c.len = 0;
    kt_cpio_add(&c, "ok2", S_IFREG | 0644, 3, 1, "two", 0, 0);
    size_t at = c.len;
    kt_cpio_add(&c, "bad", S_IFREG | 0644, 4, 1, "x", 0, 0);
    c.buf[at] = 'X';
    memset(&st, 0, sizeof(st));
    KT_EXPECT(t, initramfs_unpack(d, c.buf, c.len, &st) == -EINVAL &&
                 st.entries == 1, "bad magic");

    /* Escaping with "..", and a name size past the end. */
    c.len = 0;
    kt_cpio_add(&c, "sub/../../escape", S_IFREG | 0644, 5, 1, "e", 0, 0);
    memset(&st, 0, sizeof(st));
    KT_EXPECT(t, initramfs_unpack(d, c.buf, c.len, &st) == -EINVAL &&
                 st.entries == 0, "escape refused");
    KT_EXPECT(t, kt_lookup(vfs_root, "/escape", 0, NULL) == -ENOENT,
              "nothing escaped");
    c.len = 0;
    kt_cpio_add(&c, "n", S_IFREG | 0644, 6, 1, "e", 0, 0);
    memcpy(c.buf + 6 + 11 * 8, "7fffffff", 8);    /* namesize */
    memset(&st, 0, sizeof(st));
    KT_EXPECT(t, initramfs_unpack(d, c.buf, c.len, &st) == -EINVAL,
              "huge namesize");
    memcpy(c.buf + 6 + 11 * 8, "00000002", 8);
    memcpy(c.buf + 6 + 6 * 8, "ffffffff", 8);     /* filesize */
    KT_EXPECT(t, initramfs_unpack(d, c.buf, c.len, &st) == -EINVAL,
              "huge filesize");
    /* Garbage of every length never crashes. */
    static const char hexish[] = "0123456789abcdefZ";
    for (size_t len = 0; len < 300; len += 7) {
        for (size_t i = 0; i < len; i++)
            c.buf[i] = (uint8_t)(i < 6 ? "070701"[i]
                                       : hexish[(i * 7 + len) % 17]);
        memset(&st, 0, sizeof(st));
        initramfs_unpack(d, c.buf, len, &st);
    }
    kfree(c.buf);
    inode_put(d);
}

/* Boot with -initrd of any newc archive: vfs_init unpacked it into the
 * root, and the defaults exist whatever it held. */
KTEST_DEV(vfs, initrd)
{
    uint64_t s, e;
    KT_ASSERT(t, dt_initrd(&s, &e), "no initrd (boot with QEMU -initrd)");
    vfs_init();
    static const char *const must[] = { "/dev/console", "/dev/tty",
        "/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/proc",
        "/tmp" };
    for (size_t i = 0; i < ARRAY_SIZE(must); i++)
        KT_EXPECT(t, kt_lookup(vfs_root, must[i], 0, NULL) == 0, "%s missing",
                  must[i]);
    /* List the top level into the log, for the harness to compare. */
    struct file *f;
    KT_ASSERT(t, vfs_open(vfs_root, "/", O_RDONLY | O_DIRECTORY, 0, &f) == 0,
              "open /");
    uint8_t dbuf[512];
    struct uio u = { .user = false, .kaddr = dbuf };
    ssize_t n;
    while ((n = f->ops->getdents(f, &u, sizeof(dbuf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            uint16_t reclen;
            memcpy(&reclen, dbuf + off + 16, 2);
            kprintf("vfs.initrd: /%s type %u\n", (char *)dbuf + off + 19,
                    dbuf[off + 18]);
            off += reclen;
        }
    }
    file_put(f);
}

struct fifo_kt {
    struct inode *dir;
    volatile int result;
};

static void fifo_writer(void *arg)
{
    struct fifo_kt *fk = arg;
    struct file *w;
    sleep_ms(20);
    fk->result = vfs_open(fk->dir, "fifo", O_WRONLY, 0, &w);
    if (!fk->result) {
        file_kwrite(w, "via fifo", 8, 0);
        file_put(w);
    }
    fk->result = fk->result ? fk->result : 1;
    thread_exit();
}

KTEST(vfs, fifo)
{
    struct inode *d = kt_dir("/ktest-fifo");
    struct file *r, *w;
    char buf[16];
    KT_ASSERT(t, d, "setup");
    KT_ASSERT(t, vfs_mknod(d, "fifo", S_IFIFO | 0644, 0) == 0, "mkfifo");
    KT_EXPECT(t, vfs_open(d, "fifo", O_WRONLY | O_NONBLOCK, 0, &w) == -ENXIO,
              "writer without reader");
    /* A blocking reader open waits for the writer thread's open. */
    struct fifo_kt fk = { .dir = d };
    KT_ASSERT(t, thread_create("kt-fifo", fifo_writer, &fk), "thread");
    KT_ASSERT(t, vfs_open(d, "fifo", O_RDONLY, 0, &r) == 0, "reader open");
    ssize_t n = 0, got = 0;
    while ((n = file_kread(r, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
        got += n;
    buf[got] = '\0';
    KT_EXPECT(t, got == 8 && !strcmp(buf, "via fifo"), "read %ld", (long)got);
    while (!fk.result)
        sleep_ms(1);
    KT_EXPECT(t, fk.result == 1, "writer open %d", fk.result);
    file_put(r);
    /* Last close freed the pipe; O_RDWR opens never wait. */
    KT_ASSERT(t, vfs_open(d, "fifo", O_RDWR, 0, &r) == 0, "O_RDWR");
    KT_EXPECT(t, file_kwrite(r, "x", 1, 0) == 1 &&
                 file_kread(r, buf, 4, 0) == 1, "rdwr loop");
    file_put(r);
    inode_put(d);
}

/* Every object the VFS allocates comes back: a round of file, directory,
 * link, rename, pipe and FIFO operations leaves the heap and the frame
 * count exactly where they were (the process leak test relies on it). */
static void leak_round(struct inode *d)
{
    static char data[10000];
    struct file *f, *r, *w;
    if (!vfs_open(d, "f", O_CREAT | O_RDWR | O_TRUNC, 0644, &f)) {
        file_kwrite(f, data, sizeof(data), 0);
        file_kwrite(f, data, 10, 5 * PAGE_SIZE);
        file_put(f);
    }
    vfs_link(d, "f", "f2");
    vfs_rename(d, "f2", d, "f3");
    vfs_symlink(d, "f3", "s");
    vfs_mkdir(d, "sub", 0755);
    vfs_rename(d, "f3", d, "sub/f4");
    if (!vfs_open(d, "s", O_RDONLY, 0, &f))
        file_put(f);                    /* dangling now: fails, fine */
    if (!vfs_open(d, "f", O_RDONLY, 0, &f)) {
        vfs_unlink(d, "f", false);      /* open across the unlink */
        file_put(f);
    }
    vfs_unlink(d, "sub/f4", false);
    vfs_unlink(d, "sub", true);
    vfs_unlink(d, "s", false);
    if (!pipe_create(&r, &w, O_NONBLOCK)) {
        file_kwrite(w, data, sizeof(data), 0);
        file_kread(r, data, 100, 0);
        file_put(w);
        file_put(r);
    }
    vfs_mknod(d, "fifo", S_IFIFO | 0644, 0);
    if (!vfs_open(d, "fifo", O_RDWR, 0, &f)) {
        file_kwrite(f, "x", 1, 0);
        file_put(f);
    }
    vfs_unlink(d, "fifo", false);
    struct fdtable *t = fdtable_new();
    if (t && !pipe_create(&r, &w, 0)) {
        fdtable_install(t, r, false);
        fdtable_install(t, w, true);
        struct fdtable *c = fdtable_clone(t);
        fdtable_close_on_exec(c);
        fdtable_put(c);
    }
    fdtable_put(t);
}

KTEST(vfs, no_leak)
{
    struct inode *d = kt_dir("/ktest-leak");
    KT_ASSERT(t, d, "setup");
    for (int i = 0; i < 3; i++)
        leak_round(d);
    size_t heap0 = kmalloc_bytes_in_use(), free0 = frame_free_count();
    for (int i = 0; i < 50; i++)
        leak_round(d);
    size_t heap1 = kmalloc_bytes_in_use(), free1 = frame_free_count();
    KT_EXPECT(t, heap1 == heap0, "heap %zu -> %zu", heap0, heap1);
    KT_EXPECT(t, free1 == free0, "free frames %zu -> %zu", free0, free1);
    KT_EXPECT(t, ramfs_dir_empty(d), "directory left non-empty");
    inode_put(d);
}
