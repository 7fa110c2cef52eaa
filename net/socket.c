/* The protocol-independent socket layer (include/socket.h): creation by
 * type, and wrappers that check arguments before calling the protocol. */
#include "mm.h"
#include "socket.h"

#define SOCK_TYPE_MAX   3

static const struct proto_ops *protos[SOCK_TYPE_MAX];
static int (*proto_init[SOCK_TYPE_MAX])(struct socket *s);

void sock_register_proto(int type, const struct proto_ops *ops,
                         int (*init)(struct socket *s))
{
    if (type > 0 && type < SOCK_TYPE_MAX) {
        protos[type] = ops;
        proto_init[type] = init;
    }
}

int sock_create(int family, int type, struct socket **out)
{
    int flags = type & SOCK_NONBLOCK;

    type &= ~SOCK_NONBLOCK;
    if (family != AF_INET)
        return -EAFNOSUPPORT;
    if (type <= 0 || type >= SOCK_TYPE_MAX || !protos[type])
        return -EPROTONOSUPPORT;
    struct socket *s = kzalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->type = type;
    s->flags = flags;
    s->ops = protos[type];
    waitq_init(&s->wq);
    int err = proto_init[type] ? proto_init[type](s) : 0;
    if (err) {
        kfree(s);
        return err;
    }
    *out = s;
    return 0;
}

int sock_bind(struct socket *s, const struct sockaddr_in *addr)
{
    if (!addr || addr->sin_family != AF_INET)
        return -EINVAL;
    return s->ops->bind ? s->ops->bind(s, addr) : -EOPNOTSUPP;
}

int sock_connect(struct socket *s, const struct sockaddr_in *addr)
{
    if (!addr || addr->sin_family != AF_INET)
        return -EINVAL;
    return s->ops->connect ? s->ops->connect(s, addr) : -EOPNOTSUPP;
}

int sock_listen(struct socket *s, int backlog)
{
    return s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;
}

int sock_accept(struct socket *s, struct socket **out, struct sockaddr_in *peer)
{
    return s->ops->accept ? s->ops->accept(s, out, peer) : -EOPNOTSUPP;
}

ssize_t sock_sendto(struct socket *s, const void *buf, size_t len, int flags,
                    const struct sockaddr_in *to)
{
    if (to && to->sin_family != AF_INET)
        return -EAFNOSUPPORT;
    return s->ops->sendto ? s->ops->sendto(s, buf, len, flags, to) : -EOPNOTSUPP;
}

ssize_t sock_send(struct socket *s, const void *buf, size_t len, int flags)
{
    return sock_sendto(s, buf, len, flags, NULL);
}

ssize_t sock_recvfrom(struct socket *s, void *buf, size_t len, int flags,
                      struct sockaddr_in *from)
{
    return s->ops->recvfrom ? s->ops->recvfrom(s, buf, len, flags, from)
                            : -EOPNOTSUPP;
}

ssize_t sock_recv(struct socket *s, void *buf, size_t len, int flags)
{
    return sock_recvfrom(s, buf, len, flags, NULL);
}

int sock_shutdown(struct socket *s, int how)
{
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    return s->ops->shutdown ? s->ops->shutdown(s, how) : -EOPNOTSUPP;
}

unsigned sock_poll(struct socket *s)
{
    return s->ops->poll ? s->ops->poll(s) : 0;
}

void sock_close(struct socket *s)
{
    if (!s)
        return;
    if (s->ops->close)
        s->ops->close(s);
    kfree(s);
}
