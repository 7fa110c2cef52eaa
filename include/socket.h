/* Sockets: the protocol-independent layer the syscall layer will sit on
 * (Linux semantics and errno values).  Each protocol supplies a struct
 * proto_ops; kernel threads use the sock_* calls directly until processes
 * exist.  Addresses are struct sockaddr_in with network-order fields. */
#ifndef SOCKET_H
#define SOCKET_H

#include "kernel.h"
#include "net.h"
#include "sched.h"

#define AF_INET         2
#define SOCK_STREAM     1
#define SOCK_DGRAM      2
#define SOCK_NONBLOCK   0x800   /* O_NONBLOCK, as Linux */

#define SHUT_RD         0
#define SHUT_WR         1
#define SHUT_RDWR       2

/* poll() events (Linux values). */
#define POLLIN          0x001
#define POLLOUT         0x004
#define POLLERR         0x008
#define POLLHUP         0x010

#define MSG_DONTWAIT    0x40
#define MSG_PEEK        0x02

struct sockaddr_in {
    uint16_t sin_family;
    uint16_t sin_port;          /* network order */
    uint32_t sin_addr;          /* network order */
    uint8_t sin_zero[8];
};

struct socket;

/* Blocking socket calls end early when the calling process has a signal
 * to take (kernel/signal.c; false for kernel threads).  Declared here so
 * net/ builds on the host without the kernel's signal.h. */
bool signal_pending(void);

struct proto_ops {
    int (*bind)(struct socket *s, const struct sockaddr_in *addr);
    int (*connect)(struct socket *s, const struct sockaddr_in *addr);
    int (*listen)(struct socket *s, int backlog);
    /* Returns 0 and a new socket in *out. */
    int (*accept)(struct socket *s, struct socket **out,
                  struct sockaddr_in *peer);
    /* Return bytes or -errno; block per the socket's flags and timeouts. */
    ssize_t (*sendto)(struct socket *s, const void *buf, size_t len,
                      int flags, const struct sockaddr_in *to);
    ssize_t (*recvfrom)(struct socket *s, void *buf, size_t len, int flags,
                        struct sockaddr_in *from);
    int (*shutdown)(struct socket *s, int how);
    /* Ready events (POLLIN/POLLOUT/POLLERR/POLLHUP), without blocking. */
    unsigned (*poll)(struct socket *s);
    void (*close)(struct socket *s);
};

struct socket {
    int type;                   /* SOCK_STREAM / SOCK_DGRAM */
    int flags;                  /* SOCK_NONBLOCK */
    uint64_t rcv_timeout_ns;    /* 0 = block forever */
    uint64_t snd_timeout_ns;
    size_t rcvbuf, sndbuf;      /* SO_RCVBUF / SO_SNDBUF, 0 = default;
                                   TCP reads them at connect/listen */
    const struct proto_ops *ops;
    void *pcb;                  /* protocol control block */
    struct waitq wq;            /* woken on any state change (poll too) */
};

/* Creates a socket: AF_INET with SOCK_STREAM (TCP) or SOCK_DGRAM (UDP).
 * Returns 0 or -EAFNOSUPPORT / -EPROTONOSUPPORT / -ENOMEM. */
int sock_create(int family, int type, struct socket **out);
int sock_bind(struct socket *s, const struct sockaddr_in *addr);
int sock_connect(struct socket *s, const struct sockaddr_in *addr);
int sock_listen(struct socket *s, int backlog);
int sock_accept(struct socket *s, struct socket **out, struct sockaddr_in *peer);
ssize_t sock_send(struct socket *s, const void *buf, size_t len, int flags);
ssize_t sock_recv(struct socket *s, void *buf, size_t len, int flags);
ssize_t sock_sendto(struct socket *s, const void *buf, size_t len, int flags,
                    const struct sockaddr_in *to);
ssize_t sock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
                      struct sockaddr_in *from);
int sock_shutdown(struct socket *s, int how);
unsigned sock_poll(struct socket *s);
void sock_close(struct socket *s);

/* Protocols register themselves (net/udp.c, net/tcp*.c). */
void sock_register_proto(int type, const struct proto_ops *ops,
                         int (*init)(struct socket *s));

static inline struct sockaddr_in sockaddr(in_addr_t addr, uint16_t port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr = addr };
    return a;
}

#endif
