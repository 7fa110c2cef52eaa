/* Socket system calls without a peer (the networked cases are in
 * tests/system/test_usernet.py): a socket is a file (fstat S_IFSOCK,
 * SOCK_CLOEXEC, fcntl O_NONBLOCK), receive timeouts and signals end a
 * blocked recvfrom, and bad arguments get the errno Linux gives: EBADF,
 * ENOTSOCK, EAFNOSUPPORT, EINVAL, EFAULT, ENOPROTOOPT, EMSGSIZE. */
#include "check.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static long ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct stat st;
    CHECKF(u >= 0 && fstat(u, &st) == 0 && S_ISSOCK(st.st_mode) &&
           (fcntl(u, F_GETFD) & FD_CLOEXEC), "socket.is_file",
           "fd %d mode %o", u, u >= 0 ? st.st_mode : 0);

    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5555),
                             .sin_addr.s_addr = htonl(INADDR_ANY) };
    CHECKF(bind(u, (struct sockaddr *)&a, sizeof a) == 0, "socket.udp_bind",
           "%s", strerror(errno));
    char buf[64];
    fcntl(u, F_SETFL, O_NONBLOCK);
    errno = 0;
    CHECKF(recvfrom(u, buf, sizeof buf, 0, NULL, NULL) == -1 && errno == EAGAIN,
           "socket.nonblock_eagain", "errno %d", errno);
    fcntl(u, F_SETFL, 0);

    struct timeval tv = { 0, 200000 };
    setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    ssize_t r = recvfrom(u, buf, sizeof buf, 0, NULL, NULL);
    long ms = ms_since(&t0);
    CHECKF(r == -1 && errno == EAGAIN && ms >= 150 && ms < 3000, "socket.rcvtimeo",
           "r %zd errno %d after %ld ms", r, errno, ms);

    /* A signal (no SA_RESTART) ends a blocked recvfrom with EINTR. */
    tv.tv_usec = 0;
    setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);     /* block forever */
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    r = recvfrom(u, buf, sizeof buf, 0, NULL, NULL);
    ms = ms_since(&t0);
    CHECKF(r == -1 && errno == EINTR && alarms == 1 && ms < 5000, "socket.recv_eintr",
           "r %zd errno %d alarms %d after %ld ms", r, errno, alarms, ms);

    errno = 0;
    CHECK(sendto(u, buf, 70000, 0, (struct sockaddr *)&a, sizeof a) == -1 &&
          errno == EMSGSIZE, "socket.udp_too_big");

    /* Bad arguments. */
    int p[2];
    pipe(p);
    errno = 0;
    CHECK(bind(p[0], (struct sockaddr *)&a, sizeof a) == -1 && errno == ENOTSOCK,
          "socket.enotsock");
    errno = 0;
    CHECK(connect(-1, (struct sockaddr *)&a, sizeof a) == -1 && errno == EBADF,
          "socket.ebadf");
    errno = 0;
    CHECK(socket(AF_INET6, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT,
          "socket.eafnosupport");
    errno = 0;
    CHECK(socket(AF_INET, 77, 0) == -1, "socket.bad_type");
    int t = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    CHECK(bind(t, (struct sockaddr *)&a, 3) == -1 && errno == EINVAL, "socket.short_addrlen");
    errno = 0;
    CHECK(bind(t, (struct sockaddr *)8, sizeof a) == -1 && errno == EFAULT, "socket.efault_addr");
    errno = 0;
    /* A kernel address fails before any waiting, data or not. */
    CHECK(recvfrom(u, (void *)0xffff000000001000UL, 10, MSG_DONTWAIT, NULL, NULL) == -1 &&
          errno == EFAULT, "socket.efault_buf");
    errno = 0;
    CHECK(sendto(u, (void *)8, 10, 0, (struct sockaddr *)&a, sizeof a) == -1 &&
          errno == EFAULT, "socket.efault_sendbuf");
    int v = 1;
    errno = 0;
    CHECK(setsockopt(t, 999, 1, &v, sizeof v) == -1 && errno == ENOPROTOOPT,
          "socket.enoprotoopt");
    errno = 0;
    CHECK(setsockopt(t, IPPROTO_TCP, TCP_NODELAY, (void *)8, sizeof v) == -1 &&
          errno == EFAULT, "socket.setsockopt_efault");
    socklen_t len = sizeof v;
    CHECKF(getsockopt(t, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM &&
           len == sizeof v, "socket.so_type", "v %d len %u", v, (unsigned)len);
    a.sin_port = htons(5556);
    CHECKF(bind(t, (struct sockaddr *)&a, sizeof a) == 0 && listen(t, 4) == 0,
           "socket.tcp_listen", "%s", strerror(errno));
    errno = 0;
    fcntl(t, F_SETFL, O_NONBLOCK);
    CHECKF(accept(t, NULL, NULL) == -1 && errno == EAGAIN, "socket.accept_nonblock_eagain",
           "errno %d", errno);
    errno = 0;
    CHECK(syscall(SYS_accept4, t, 0, 0, 0x40000000) == -1 && errno == EINVAL,
          "socket.accept4_flags");
    close(t);
    close(u);
    close(p[0]);
    close(p[1]);
    return check_done();
}
