/* ppoll(2) and pselect6(2).  The wait sleeps on every polled file's queue
 * at once: one struct waiter per file, waitq_prepare() on each, a second
 * look at every file (a wake-up between the first look and the prepare is
 * then not lost), schedule(), waitq_finish() on each.  A sigmask argument
 * replaces the blocked set for the wait and is put back on the return to
 * user mode (after a handler it let in is set up), so the swap is atomic
 * as ppoll(2) promises; a signal ends the wait with -EINTR.
 *
 * Context: thread context of the calling process.  File poll callbacks
 * must not sleep (they run while this thread is marked sleeping). */
#include "fs_priv.h"
#include "mm.h"
#include "poll.h"
#include "signal.h"
#include "stat.h"
#include "string.h"
#include "syscall.h"
#include "time.h"
#include "uaccess.h"

#define POLL_MAX_FDS    1024    /* Linux: RLIMIT_NOFILE's default */
#define SELECT_MAX_FDS  1024    /* FD_SETSIZE */

struct pollfd_user {
    int32_t fd;
    int16_t events;
    int16_t revents;
};

struct poll_state {
    struct pollfd_user *pfds;
    struct file **files;
    struct waitq **wqs;         /* from the latest scan */
    struct waitq **prepared;    /* the queues this round is waiting on */
    struct waiter *waiters;
    size_t n;
};

/* One look at every descriptor; returns how many have events. */
static int poll_scan(struct poll_state *ps)
{
    int ready = 0;
    for (size_t i = 0; i < ps->n; i++) {
        struct pollfd_user *p = &ps->pfds[i];
        struct file *f = ps->files[i];
        unsigned m;
        ps->wqs[i] = NULL;
        if (p->fd < 0) {
            p->revents = 0;
            continue;
        }
        if (!f)
            m = POLLNVAL;
        else if (f->ops->poll)
            m = f->ops->poll(f, &ps->wqs[i]);
        else    /* regular files and directories are always ready */
            m = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
        m &= (unsigned)(uint16_t)p->events | POLLERR | POLLHUP | POLLNVAL;
        p->revents = (int16_t)m;
        if (m)
            ready++;
    }
    return ready;
}

/* timeout_ns: 0 = do not wait, UINT64_MAX = for ever. */
static int poll_wait(struct poll_state *ps, uint64_t timeout_ns)
{
    uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX
                                                 : time_ns() + timeout_ns;
    struct waitq idle;      /* sleep here when no file has a queue */
    struct waiter idle_w = { 0 };
    waitq_init(&idle);
    for (;;) {
        int ready = poll_scan(ps);
        if (ready)
            return ready;
        uint64_t now = time_ns();
        if (timeout_ns == 0 || now >= deadline)
            return 0;
        if (signal_pending())
            return -EINTR;
        uint64_t left = deadline == UINT64_MAX ? 0 : deadline - now;
        bool any = false;
        for (size_t i = 0; i < ps->n; i++) {
            ps->prepared[i] = ps->wqs[i];
            if (ps->wqs[i]) {
                waitq_prepare(ps->wqs[i], &ps->waiters[i], left);
                any = true;
            }
        }
        if (!any)
            waitq_prepare(&idle, &idle_w, left);
        /* The second look, now that a wake-up can no longer be missed.
         * Poll callbacks must not sleep, and do not. */
        if (!poll_scan(ps) && !signal_pending())
            schedule();
        for (size_t i = 0; i < ps->n; i++)
            if (ps->prepared[i])
                waitq_finish(ps->prepared[i], &ps->waiters[i]);
        if (!any)
            waitq_finish(&idle, &idle_w);
    }
}

static void poll_free(struct poll_state *ps)
{
    if (ps->files)
        for (size_t i = 0; i < ps->n; i++)
            file_put(ps->files[i]);
    kfree(ps->files);
    kfree(ps->wqs);
    kfree(ps->prepared);
    kfree(ps->waiters);
}

static int poll_alloc(struct poll_state *ps, size_t n)
{
    ps->n = n;
    ps->files = kzalloc(n * sizeof(*ps->files) + 1);
    ps->wqs = kzalloc(n * sizeof(*ps->wqs) + 1);
    ps->prepared = kzalloc(n * sizeof(*ps->prepared) + 1);
    ps->waiters = kzalloc(n * sizeof(*ps->waiters) + 1);
    if (!ps->files || !ps->wqs || !ps->prepared || !ps->waiters)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (ps->pfds[i].fd >= 0)
            ps->files[i] = fd_get_file(ps->pfds[i].fd);
    return 0;
}

/* A struct timespec timeout: UINT64_MAX for NULL. */
static int timeout_from_user(uint64_t uts, uint64_t *ns)
{
    if (!uts) {
        *ns = UINT64_MAX;
        return 0;
    }
    struct timespec_user ts;
    if (copy_from_user(&ts, uts, sizeof(ts)))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    if ((uint64_t)ts.tv_sec >= UINT64_MAX / NSEC_PER_SEC / 2)
        *ns = UINT64_MAX;
    else
        *ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    return 0;
}

SYSCALL(__NR_ppoll, ppoll)
{
    uint64_t ufds = SC_ARG(0), nfds = SC_ARG(1);
    uint64_t timeout;
    if (nfds > POLL_MAX_FDS)
        return -EINVAL;
    int r = timeout_from_user(SC_ARG(2), &timeout);
    if (r)
        return r;
    struct poll_state ps = { 0 };
    ps.pfds = kmalloc(nfds * sizeof(*ps.pfds) + 1);
    if (!ps.pfds)
        return -ENOMEM;
    if (copy_from_user(ps.pfds, ufds, nfds * sizeof(*ps.pfds))) {
        kfree(ps.pfds);
        return -EFAULT;
    }
    r = poll_alloc(&ps, nfds);
    if (!r && SC_ARG(3))
        r = signal_mask_for_call(SC_ARG(3), SC_ARG(4));
    if (!r)
        r = poll_wait(&ps, timeout);
    /* Linux copies revents back even when interrupted. */
    if (r >= 0 || r == -EINTR)
        for (size_t i = 0; i < nfds; i++)
            if (put_user(ps.pfds[i].revents,
                         ufds + i * sizeof(*ps.pfds) +
                             offsetof(struct pollfd_user, revents))) {
                r = -EFAULT;
                break;
            }
    poll_free(&ps);
    kfree(ps.pfds);
    return r;
}

#define SEL_IN  (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLERR)
#define SEL_EX  POLLPRI

/* pselect6(2): fd_sets become a poll list and back. */
SYSCALL(__NR_pselect6, pselect6)
{
    int64_t nfds = (int64_t)SC_ARG(0);
    uint64_t uset[3] = { SC_ARG(1), SC_ARG(2), SC_ARG(3) };
    if (nfds < 0 || nfds > SELECT_MAX_FDS)
        return -EINVAL;
    uint64_t timeout;
    int r = timeout_from_user(SC_ARG(4), &timeout);
    if (r)
        return r;
    size_t words = DIV_ROUND_UP((size_t)nfds, 64), bytes = words * 8;
    uint64_t sets[3][SELECT_MAX_FDS / 64];
    memset(sets, 0, sizeof(sets));
    for (int k = 0; k < 3; k++)
        if (uset[k] && copy_from_user(sets[k], uset[k], bytes))
            return -EFAULT;
    struct poll_state ps = { 0 };
    ps.pfds = kmalloc((size_t)nfds * sizeof(*ps.pfds) + 1);
    if (!ps.pfds)
        return -ENOMEM;
    size_t n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        int16_t ev = 0;
        if (sets[0][fd / 64] & (1ULL << (fd % 64)))
            ev |= SEL_IN;
        if (sets[1][fd / 64] & (1ULL << (fd % 64)))
            ev |= SEL_OUT;
        if (sets[2][fd / 64] & (1ULL << (fd % 64)))
            ev |= SEL_EX;
        if (ev)
            ps.pfds[n++] = (struct pollfd_user){ fd, ev, 0 };
    }
    r = poll_alloc(&ps, n);
    for (size_t i = 0; !r && i < n; i++)
        if (!ps.files[i])
            r = -EBADF;             /* select(2): a set fd that is not open */
    if (!r && SC_ARG(5)) {
        /* The sixth argument points at { const sigset_t *ss; size_t len; }. */
        uint64_t sm[2];
        r = copy_from_user(sm, SC_ARG(5), sizeof(sm));
        if (!r && sm[0])
            r = signal_mask_for_call(sm[0], sm[1]);
    }
    if (!r)
        r = poll_wait(&ps, timeout);
    if (r >= 0) {
        uint64_t out[3][SELECT_MAX_FDS / 64];
        memset(out, 0, sizeof(out));
        int count = 0;
        for (size_t i = 0; i < n; i++) {
            int fd = ps.pfds[i].fd;
            unsigned rev = (uint16_t)ps.pfds[i].revents;
            unsigned ev = (uint16_t)ps.pfds[i].events;
            uint64_t bit = 1ULL << (fd % 64);
            if ((ev & SEL_IN) && (rev & SEL_IN)) {
                out[0][fd / 64] |= bit;
                count++;
            }
            if ((ev & POLLOUT) && (rev & SEL_OUT)) {
                out[1][fd / 64] |= bit;
                count++;
            }
            if ((ev & SEL_EX) && (rev & SEL_EX)) {
                out[2][fd / 64] |= bit;
                count++;
            }
        }
        for (int k = 0; k < 3; k++)
            if (uset[k] && copy_to_user(uset[k], out[k], bytes))
                r = -EFAULT;
        if (r >= 0)
            r = count;
    }
    poll_free(&ps);
    kfree(ps.pfds);
    return r;
}
