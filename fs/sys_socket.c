/* Socket system calls (socket(2), bind, listen, accept/accept4, connect,
 * sendto, recvfrom, shutdown, setsockopt, getsockopt): the kernel's
 * sockets (net/socket.c, AF_INET TCP and UDP) behind file descriptors, so
 * read/write/ppoll/close/dup/fork work on them like on any file.
 *
 * A file owns its socket: the last close (file_put) closes it.  User data
 * goes through a kernel bounce buffer of at most SOCK_CHUNK bytes per
 * call into the socket layer.  Blocking calls end with -ERESTARTSYS when
 * a signal arrives (net/tcp_sock.c, net/udp.c).
 *
 * Not done: getsockname/getpeername, sendmsg/recvmsg, AF_UNIX. */
#include "fs_priv.h"
#include "mm.h"
#include "socket.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"

#define SOCK_CLOEXEC    0x80000         /* O_CLOEXEC, as Linux */
#define SOCK_TYPE_MASK  0xf
#define IPPROTO_TCP     6
#define IPPROTO_UDP     17
#define SOCK_CHUNK      (64 * 1024)     /* bounce buffer per call */
#define UDP_MAX_PAYLOAD 65507

#define SOL_SOCKET      1
#define SO_REUSEADDR    2
#define SO_TYPE         3
#define SO_ERROR        4
#define SO_BROADCAST    6
#define SO_SNDBUF       7
#define SO_RCVBUF       8
#define SO_KEEPALIVE    9
#define SO_RCVTIMEO     20
#define SO_SNDTIMEO     21
#define TCP_NODELAY     1

static struct socket *file_sock(struct file *f)
{
    return f->priv;
}

static ssize_t sockf_read(struct file *f, const struct uio *u, size_t n,
                          uint64_t *pos);
static ssize_t sockf_write(struct file *f, const struct uio *u, size_t n,
                           uint64_t *pos);

static unsigned sockf_poll(struct file *f, struct waitq **wq)
{
    struct socket *s = file_sock(f);
    *wq = &s->wq;
    return sock_poll(s);
}

static void sockf_release(struct file *f)
{
    sock_close(file_sock(f));
}

static const struct file_ops sock_file_ops = {
    .read = sockf_read,
    .write = sockf_write,
    .poll = sockf_poll,
    .release = sockf_release,
};

/* The socket behind fd, with a file reference (put with file_put). */
static struct socket *sock_from_fd(int fd, struct file **fp, int *err)
{
    struct file *f = fd_get_file(fd);
    *err = -EBADF;
    if (!f)
        return NULL;
    if (f->ops != &sock_file_ops) {
        file_put(f);
        *err = -ENOTSOCK;
        return NULL;
    }
    *fp = f;
    return file_sock(f);
}

/* The file's O_NONBLOCK (fcntl F_SETFL) is the socket's SOCK_NONBLOCK. */
static void sync_nonblock(struct file *f)
{
    struct socket *s = file_sock(f);
    if (f->flags & O_NONBLOCK)
        s->flags |= SOCK_NONBLOCK;
    else
        s->flags &= ~SOCK_NONBLOCK;
}

/* Wraps s in a new file and installs it; on failure s is closed. */
static int sock_install(struct socket *s, unsigned flags)
{
    struct inode *ino = inode_new(S_IFSOCK | 0777, FS_DEV_SOCKFS);
    struct file *f = ino ? file_alloc(ino, &sock_file_ops,
                                      O_RDWR | (flags & O_NONBLOCK))
                         : NULL;
    if (!f) {
        if (ino)
            inode_put(ino);
        sock_close(s);
        return -ENOMEM;
    }
    f->priv = s;
    f->stream = true;
    sync_nonblock(f);
    int fd = fdtable_install(current_fdt(), f, flags & SOCK_CLOEXEC);
    if (fd < 0)
        file_put(f);        /* closes s */
    return fd;
}

static int addr_from_user(uint64_t uaddr, uint64_t len, struct sockaddr_in *a)
{
    if (len < sizeof(*a))
        return -EINVAL;
    if (copy_from_user(a, uaddr, sizeof(*a)))
        return -EFAULT;
    return a->sin_family == AF_INET ? 0 : -EAFNOSUPPORT;
}

/* accept/recvfrom's (addr, *addrlen) out-parameters, as Linux: at most
 * *addrlen bytes written, *addrlen set to the full size. */
static int addr_to_user(uint64_t uaddr, uint64_t ulen,
                        const struct sockaddr_in *a)
{
    if (!uaddr)
        return 0;
    int32_t len;
    if (get_user(len, ulen))
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    size_t n = MIN((size_t)len, sizeof(*a));
    if (copy_to_user(uaddr, a, n))
        return -EFAULT;
    int32_t full = sizeof(*a);
    return put_user(full, ulen);
}

SYSCALL(__NR_socket, socket)
{
    int family = (int)SC_ARG(0), type = (int)SC_ARG(1);
    int proto = (int)SC_ARG(2);
    int base = type & SOCK_TYPE_MASK;

    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    if (family != AF_INET)
        return -EAFNOSUPPORT;
    if (proto && !(base == SOCK_STREAM && proto == IPPROTO_TCP) &&
        !(base == SOCK_DGRAM && proto == IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    struct socket *s;
    int r = sock_create(family, base, &s);
    if (r)
        return r;
    return sock_install(s, (type & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
                           (type & SOCK_CLOEXEC));
}

SYSCALL(__NR_bind, bind)
{
    struct sockaddr_in a;
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    err = addr_from_user(SC_ARG(1), SC_ARG(2), &a);
    if (!err)
        err = sock_bind(s, &a);
    file_put(f);
    return err;
}

SYSCALL(__NR_connect, connect)
{
    struct sockaddr_in a;
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    sync_nonblock(f);
    err = addr_from_user(SC_ARG(1), SC_ARG(2), &a);
    if (!err)
        err = sock_connect(s, &a);
    file_put(f);
    return err;
}

SYSCALL(__NR_listen, listen)
{
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    err = sock_listen(s, (int)SC_ARG(1));
    file_put(f);
    return err;
}

static long do_accept(int fd, uint64_t uaddr, uint64_t ulen, unsigned flags)
{
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *f;
    int err;
    struct socket *s = sock_from_fd(fd, &f, &err);
    if (!s)
        return err;
    sync_nonblock(f);
    struct socket *ns;
    struct sockaddr_in peer;
    memset(&peer, 0, sizeof(peer));
    err = sock_accept(s, &ns, &peer);
    file_put(f);
    if (err)
        return err;
    int nfd = sock_install(ns, (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0) |
                               (flags & SOCK_CLOEXEC));
    if (nfd >= 0 && addr_to_user(uaddr, ulen, &peer)) {
        fdtable_close(current_fdt(), nfd);
        return -EFAULT;
    }
    return nfd;
}

SYSCALL(__NR_accept, accept)
{
    return do_accept((int)SC_ARG(0), SC_ARG(1), SC_ARG(2), 0);
}

SYSCALL(__NR_accept4, accept4)
{
    return do_accept((int)SC_ARG(0), SC_ARG(1), SC_ARG(2),
                     (unsigned)SC_ARG(3));
}

/* Send from u: datagrams in one piece, streams in chunks until all is
 * sent or the socket stops taking more. */
static ssize_t send_common(struct socket *s, const struct uio *u, size_t len,
                           int flags, const struct sockaddr_in *to)
{
    if (s->type == SOCK_DGRAM && len > UDP_MAX_PAYLOAD)
        return -EMSGSIZE;
    size_t cap = MIN(MAX(len, (size_t)1), (size_t)SOCK_CHUNK);
    char *kbuf = kmalloc(cap);
    if (!kbuf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t r = 0;
    do {
        size_t n = s->type == SOCK_DGRAM ? len : MIN(len - done, cap);
        if (s->type == SOCK_DGRAM && len > cap) {
            r = -EMSGSIZE;
            break;
        }
        if (uio_copy_in(kbuf, u, done, n)) {
            r = -EFAULT;
            break;
        }
        r = sock_sendto(s, kbuf, n, flags, to);
        if (r <= 0)
            break;
        done += (size_t)r;
        if ((size_t)r < n)
            break;          /* non-blocking, or the peer went away */
    } while (done < len && s->type == SOCK_STREAM);
    kfree(kbuf);
    return done ? (ssize_t)done : r;
}

static ssize_t recv_common(struct socket *s, const struct uio *u, size_t len,
                           int flags, struct sockaddr_in *from)
{
    size_t cap = MIN(MAX(len, (size_t)1), (size_t)SOCK_CHUNK);
    char *kbuf = kmalloc(cap);
    if (!kbuf)
        return -ENOMEM;
    ssize_t r = sock_recvfrom(s, kbuf, MIN(len, cap), flags, from);
    if (r > 0 && uio_copy_out(u, 0, kbuf, (size_t)r))
        r = -EFAULT;
    kfree(kbuf);
    return r;
}

static ssize_t sockf_read(struct file *f, const struct uio *u, size_t n,
                          uint64_t *pos)
{
    sync_nonblock(f);
    return recv_common(file_sock(f), u, n, 0, NULL);
}

static ssize_t sockf_write(struct file *f, const struct uio *u, size_t n,
                           uint64_t *pos)
{
    sync_nonblock(f);
    return send_common(file_sock(f), u, n, 0, NULL);
}

SYSCALL(__NR_sendto, sendto)
{
    uint64_t ubuf = SC_ARG(1), len = SC_ARG(2);
    int flags = (int)SC_ARG(3);
    struct sockaddr_in to, *top = NULL;
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    sync_nonblock(f);
    long r = 0;
    if (SC_ARG(4)) {
        r = addr_from_user(SC_ARG(4), SC_ARG(5), &to);
        top = &to;
    }
    if (!r && !user_range_ok(ubuf, len))
        r = -EFAULT;
    if (!r) {
        struct uio u = { .user = true, .uaddr = ubuf };
        r = send_common(s, &u, MIN(len, (uint64_t)MAX_RW_COUNT), flags, top);
    }
    file_put(f);
    return r;
}

SYSCALL(__NR_recvfrom, recvfrom)
{
    uint64_t ubuf = SC_ARG(1), len = SC_ARG(2);
    int flags = (int)SC_ARG(3);
    struct sockaddr_in from;
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    sync_nonblock(f);
    long r = user_range_ok(ubuf, len) ? 0 : -EFAULT;
    memset(&from, 0, sizeof(from));
    if (!r) {
        struct uio u = { .user = true, .uaddr = ubuf };
        r = recv_common(s, &u, len, flags, &from);
    }
    if (r >= 0 && SC_ARG(4) && addr_to_user(SC_ARG(4), SC_ARG(5), &from))
        r = -EFAULT;
    file_put(f);
    return r;
}

SYSCALL(__NR_shutdown, shutdown)
{
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    int how = (int)SC_ARG(1);
    err = how < SHUT_RD || how > SHUT_RDWR ? -EINVAL : sock_shutdown(s, how);
    file_put(f);
    return err;
}

struct timeval_k {
    int64_t tv_sec, tv_usec;
};

SYSCALL(__NR_setsockopt, setsockopt)
{
    int level = (int)SC_ARG(1), name = (int)SC_ARG(2);
    uint64_t uval = SC_ARG(3), ulen = SC_ARG(4);
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    int32_t iv = 0;
    struct timeval_k tv;
    err = 0;
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        if (ulen < sizeof(tv))
            err = -EINVAL;
        else if (copy_from_user(&tv, uval, sizeof(tv)))
            err = -EFAULT;
        else if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            err = -EDOM;
    } else if (ulen < sizeof(iv)) {
        err = -EINVAL;
    } else if (copy_from_user(&iv, uval, sizeof(iv))) {
        err = -EFAULT;
    }
    if (err)
        goto out;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            uint64_t ns = (uint64_t)tv.tv_sec * NSEC_PER_SEC +
                          (uint64_t)tv.tv_usec * 1000;
            if (name == SO_RCVTIMEO)
                s->rcv_timeout_ns = ns;
            else
                s->snd_timeout_ns = ns;
            break;
        }
        case SO_RCVBUF:
            s->rcvbuf = iv > 0 ? (size_t)iv : 0;
            break;
        case SO_SNDBUF:
            s->sndbuf = iv > 0 ? (size_t)iv : 0;
            break;
        case SO_REUSEADDR:
        case SO_KEEPALIVE:
        case SO_BROADCAST:
            break;          /* accepted; the stack has no use for them */
        default:
            err = -ENOPROTOOPT;
        }
    } else if (level == IPPROTO_TCP && name == TCP_NODELAY &&
               s->type == SOCK_STREAM) {
        /* Accepted: segments already go out as soon as they can. */
    } else {
        err = -ENOPROTOOPT;
    }
out:
    file_put(f);
    return err;
}

SYSCALL(__NR_getsockopt, getsockopt)
{
    int level = (int)SC_ARG(1), name = (int)SC_ARG(2);
    uint64_t uval = SC_ARG(3), ulen = SC_ARG(4);
    struct file *f;
    int err;
    struct socket *s = sock_from_fd((int)SC_ARG(0), &f, &err);
    if (!s)
        return err;
    int32_t len, v = 0;
    err = get_user(len, ulen) ? -EFAULT : len < 0 ? -EINVAL : 0;
    if (!err && level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE:   v = s->type; break;
        case SO_ERROR:  v = 0; break;   /* errors are returned by the calls */
        case SO_RCVBUF: v = (int32_t)s->rcvbuf; break;
        case SO_SNDBUF: v = (int32_t)s->sndbuf; break;
        default:        err = -ENOPROTOOPT;
        }
    } else if (!err) {
        err = -ENOPROTOOPT;
    }
    if (!err) {
        size_t n = MIN((size_t)len, sizeof(v));
        int32_t full = sizeof(v);
        if (copy_to_user(uval, &v, n) || put_user(full, ulen))
            err = -EFAULT;
    }
    file_put(f);
    return err;
}
