/* The console TTY: a small line discipline in the manner of Linux's n_tty
 * and POSIX termios (POSIX.1-2017 XBD chapter 11, "General Terminal
 * Interface") over the PL011 serial port.
 *
 * Input arrives byte by byte from the receive interrupt.  In canonical
 * mode (ICANON) it is edited in `line` (VERASE, VKILL, VWERASE, VEOF) and
 * moved to the read buffer when a line ends; `lines` counts the complete
 * lines there, and an end-of-file at the start of a line is queued as an
 * empty line (a zero-length read).  In non-canonical mode bytes go to the
 * read buffer at once and VMIN/VTIME decide when a read returns.  ISIG
 * turns ^C, ^\ and ^Z into signals to the foreground process group.
 *
 * tty_lock protects every field; it is taken from the receive interrupt
 * and from thread context (IRQ-saving) and is never held across a user
 * copy or a sleep. */
#include "tty.h"
#include "arch.h"
#include "poll.h"
#include "printk.h"
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "string.h"
#include "uaccess.h"

/* termios flags and control characters (asm-generic/termbits.h). */
#define NCCS        19
#define VINTR       0
#define VQUIT       1
#define VERASE      2
#define VKILL       3
#define VEOF        4
#define VTIME       5
#define VMIN        6
#define VSTART      8
#define VSTOP       9
#define VSUSP       10
#define VEOL        11
#define VREPRINT    12
#define VWERASE     14
#define VLNEXT      15
#define VEOL2       16

#define IGNCR       0000200
#define ICRNL       0000400
#define INLCR       0000100
#define IXON        0002000
#define OPOST       0000001
#define ONLCR       0000004
#define B38400      0000017
#define CS8         0000060
#define CREAD       0000200
#define HUPCL       0002000
#define ISIG        0000001
#define ICANON      0000002
#define ECHO        0000010
#define ECHOE       0000020
#define ECHOK       0000040
#define ECHONL      0000100
#define ECHOCTL     0001000
#define ECHOKE      0004000
#define IEXTEN      0100000

/* ioctl numbers (asm-generic/ioctls.h). */
#define TCGETS      0x5401
#define TCSETS      0x5402
#define TCSETSW     0x5403
#define TCSETSF     0x5404
#define TCSBRK      0x5409
#define TCXONC      0x540A
#define TCFLSH      0x540B
#define TIOCSCTTY   0x540E
#define TIOCGPGRP   0x540F
#define TIOCSPGRP   0x5410
#define TIOCOUTQ    0x5411
#define TIOCGWINSZ  0x5413
#define TIOCSWINSZ  0x5414
#define FIONREAD    0x541B
#define TIOCNOTTY   0x5422
#define TIOCGSID    0x5429
#define TCIFLUSH    0
#define TCIOFLUSH   2

struct termios_k {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[NCCS];
};
_Static_assert(sizeof(struct termios_k) == 36, "struct termios layout");

struct winsize_k {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

#define RBUF_SIZE   4096
#define LINE_MAX    1024
#define LINES_MAX   64

static struct {
    struct spinlock lock;
    struct termios_k tio;
    struct winsize_k ws;
    char rbuf[RBUF_SIZE];       /* ring: data ready for read() */
    unsigned rhead, rtail;
    unsigned line_len[LINES_MAX];   /* canonical: lengths of the lines */
    unsigned lhead, ltail;
    char line[LINE_MAX];        /* the line being edited */
    unsigned llen;
    int session, pgrp;          /* controlling session, foreground group */
    uint64_t dropped;
    bool active;
    struct waitq rwq;
} tty = { .lock = SPINLOCK_INIT("tty") };

static const struct termios_k tio_default = {
    .c_iflag = ICRNL | IXON,
    .c_oflag = OPOST | ONLCR,
    .c_cflag = B38400 | CS8 | CREAD | HUPCL,
    .c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE |
               IEXTEN,
    .c_cc = {
        [VINTR] = 3, [VQUIT] = 0x1c, [VERASE] = 0x7f, [VKILL] = 0x15,
        [VEOF] = 4, [VTIME] = 0, [VMIN] = 1, [VSTART] = 0x11,
        [VSTOP] = 0x13, [VSUSP] = 0x1a, [VREPRINT] = 0x12,
        [VWERASE] = 0x17, [VLNEXT] = 0x16,
    },
};

void tty_init(void)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);

    tty.tio = tio_default;
    tty.ws = (struct winsize_k){ .ws_row = 24, .ws_col = 80 };
    waitq_init(&tty.rwq);
    tty.active = true;
    spin_unlock_irqrestore(&tty.lock, flags);
}

bool tty_active(void)
{
    return READ_ONCE(tty.active);
}

void tty_owner(int *session, int *pgrp)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);
    *session = tty.session;
    *pgrp = tty.pgrp;
    spin_unlock_irqrestore(&tty.lock, flags);
}

uint64_t tty_dropped(void)
{
    return tty.dropped;
}

struct waitq *tty_waitq(void)
{
    return &tty.rwq;
}

/* ---- output ---- */

/* OPOST/ONLCR processing; lock not needed (console_write_raw has its
 * own), flags read once. */
static void out_bytes(const char *s, size_t n)
{
    bool onlcr = (tty.tio.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
    size_t start = 0;

    for (size_t i = 0; i < n; i++) {
        if (onlcr && s[i] == '\n') {
            console_write_raw(s + start, i - start);
            console_write_raw("\r\n", 2);
            start = i + 1;
        }
    }
    console_write_raw(s + start, n - start);
}

ssize_t tty_write(const char *kbuf, size_t n)
{
    out_bytes(kbuf, n);
    return (ssize_t)n;
}

static void echo_char(char c)
{
    if (!(tty.tio.c_lflag & ECHO)) {
        if (c == '\n' && (tty.tio.c_lflag & ECHONL))
            out_bytes("\n", 1);
        return;
    }
    if ((uint8_t)c < 0x20 && c != '\n' && c != '\t' &&
        (tty.tio.c_lflag & ECHOCTL)) {
        char s[2] = { '^', (char)(c + '@') };
        out_bytes(s, 2);
        return;
    }
    out_bytes(&c, 1);
}

static void echo_erase(unsigned count)
{
    if (!(tty.tio.c_lflag & ECHO))
        return;
    while (count--)
        out_bytes("\b \b", 3);
}

/* ---- input (interrupt context, tty.lock held) ---- */

static unsigned rbuf_count(void)
{
    return tty.rhead - tty.rtail;
}

static bool rbuf_put(char c)
{
    if (rbuf_count() >= RBUF_SIZE) {
        tty.dropped++;
        return false;
    }
    tty.rbuf[tty.rhead++ % RBUF_SIZE] = c;
    return true;
}

/* A canonical line is complete: move it to the read buffer. */
static void line_commit(bool eof)
{
    unsigned n = tty.llen;

    if (tty.lhead - tty.ltail >= LINES_MAX ||
        rbuf_count() + n > RBUF_SIZE) {
        tty.dropped += n;
        tty.llen = 0;
        return;
    }
    for (unsigned i = 0; i < n; i++)
        rbuf_put(tty.line[i]);
    (void)eof;
    tty.line_len[tty.lhead++ % LINES_MAX] = n;
    tty.llen = 0;
}

static void send_sig(int sig, char c)
{
    int pgrp = tty.pgrp;

    echo_char(c);
    tty.llen = 0;
    if (pgrp > 0) {
        /* proc_lock then sig_lock: both IRQ-saving and never held while
         * waiting for tty.lock, so taking them here cannot deadlock. */
        signal_send_pgrp(pgrp, sig);
    }
}

static void input_locked(char c)
{
    const struct termios_k *t = &tty.tio;
    const uint8_t *cc = t->c_cc;

    if (c == '\r') {
        if (t->c_iflag & IGNCR)
            return;
        if (t->c_iflag & ICRNL)
            c = '\n';
    } else if (c == '\n' && (t->c_iflag & INLCR)) {
        c = '\r';
    }
    if (t->c_lflag & ISIG) {
        if (cc[VINTR] && (uint8_t)c == cc[VINTR]) {
            send_sig(SIGINT, c);
            return;
        }
        if (cc[VQUIT] && (uint8_t)c == cc[VQUIT]) {
            send_sig(SIGQUIT, c);
            return;
        }
        if (cc[VSUSP] && (uint8_t)c == cc[VSUSP]) {
            send_sig(SIGTSTP, c);
            return;
        }
    }
    if (!(t->c_lflag & ICANON)) {
        if (rbuf_put(c))
            echo_char(c);
        return;
    }
    if ((uint8_t)c == cc[VERASE] || c == '\b') {
        if (tty.llen) {
            tty.llen--;
            echo_erase(1);
        }
        return;
    }
    if ((uint8_t)c == cc[VKILL]) {
        echo_erase(tty.llen);
        tty.llen = 0;
        return;
    }
    if ((uint8_t)c == cc[VWERASE] && (t->c_lflag & IEXTEN)) {
        unsigned n = 0;
        while (tty.llen && tty.line[tty.llen - 1] == ' ')
            tty.llen--, n++;
        while (tty.llen && tty.line[tty.llen - 1] != ' ')
            tty.llen--, n++;
        echo_erase(n);
        return;
    }
    if ((uint8_t)c == cc[VEOF]) {
        line_commit(true);      /* an empty line reads as end-of-file */
        return;
    }
    bool eol = c == '\n' || (cc[VEOL] && (uint8_t)c == cc[VEOL]) ||
               (cc[VEOL2] && (uint8_t)c == cc[VEOL2]);
    if (tty.llen >= LINE_MAX - 1 && !eol) {
        tty.dropped++;          /* the line is full: only its end fits */
        return;
    }
    tty.line[tty.llen++] = c;
    echo_char(c);
    if (eol)
        line_commit(false);
}

void tty_input_byte(char c)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);

    input_locked(c);
    spin_unlock_irqrestore(&tty.lock, flags);
}

void tty_input_done(void)
{
    wake_up(&tty.rwq);
}

/* ---- reading ---- */

/* How many bytes a read of n may take now; 0 means wait.  Caller holds
 * the lock.  *eof is set for a canonical end-of-file. */
static size_t readable(size_t n, bool *eof)
{
    *eof = false;
    if (tty.tio.c_lflag & ICANON) {
        if (tty.lhead == tty.ltail)
            return 0;
        unsigned len = tty.line_len[tty.ltail % LINES_MAX];
        if (len == 0)
            *eof = true;
        return MIN(n, (size_t)len);
    }
    unsigned vmin = tty.tio.c_cc[VMIN];
    unsigned have = rbuf_count();
    if (have == 0 || have < MIN((size_t)vmin, n))
        return 0;
    return MIN(n, (size_t)have);
}

static size_t take(char *kbuf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kbuf[i] = tty.rbuf[tty.rtail++ % RBUF_SIZE];
    if (tty.tio.c_lflag & ICANON) {
        unsigned *len = &tty.line_len[tty.ltail % LINES_MAX];
        *len -= (unsigned)n;
        if (*len == 0)
            tty.ltail++;
    }
    return n;
}

ssize_t tty_read(char *kbuf, size_t n, bool nonblock)
{
    struct waiter w = { 0 };
    ssize_t ret;

    if (n == 0)
        return 0;
    uint64_t flags = spin_lock_irqsave(&tty.lock);
    bool canon = tty.tio.c_lflag & ICANON;
    unsigned vmin = tty.tio.c_cc[VMIN], vtime = tty.tio.c_cc[VTIME];
    spin_unlock_irqrestore(&tty.lock, flags);
    /* VMIN = 0: a timed read (VTIME tenths of a second), or a poll. */
    uint64_t timeout = (!canon && vmin == 0) ? vtime * 100 * NSEC_PER_MSEC
                                             : 0;
    uint64_t deadline = time_ns() + timeout;

    for (;;) {
        waitq_prepare(&tty.rwq, &w, timeout ? deadline - MIN(deadline,
                                                              time_ns()) + 1
                                            : 0);
        bool eof;
        flags = spin_lock_irqsave(&tty.lock);
        size_t k = readable(n, &eof);
        if (eof) {
            tty.ltail++;
            spin_unlock_irqrestore(&tty.lock, flags);
            ret = 0;
            break;
        }
        if (!k && !canon && vmin == 0 && rbuf_count())
            k = MIN(n, (size_t)rbuf_count());
        if (k) {
            ret = (ssize_t)take(kbuf, k);
            spin_unlock_irqrestore(&tty.lock, flags);
            break;
        }
        spin_unlock_irqrestore(&tty.lock, flags);
        if (!canon && vmin == 0 && (vtime == 0 || time_ns() >= deadline)) {
            ret = 0;
            break;
        }
        if (nonblock) {
            ret = -EAGAIN;
            break;
        }
        if (signal_pending()) {
            ret = -ERESTARTSYS;
            break;
        }
        schedule();
        waitq_finish(&tty.rwq, &w);
    }
    waitq_finish(&tty.rwq, &w);
    return ret;
}

unsigned tty_poll(void)
{
    uint64_t flags = spin_lock_irqsave(&tty.lock);
    bool eof;
    bool in = readable(SIZE_MAX, &eof) || eof ||
              (!(tty.tio.c_lflag & ICANON) && rbuf_count());
    spin_unlock_irqrestore(&tty.lock, flags);
    return POLLOUT | POLLWRNORM | (in ? POLLIN | POLLRDNORM : 0);
}

/* ---- ioctl ---- */

static void flush_input(void)
{
    tty.rtail = tty.rhead;
    tty.ltail = tty.lhead;
    tty.llen = 0;
}

long tty_ioctl(unsigned long cmd, uint64_t uarg)
{
    struct proc *p = current_proc();
    struct termios_k t;
    struct winsize_k ws;
    int32_t v;
    uint64_t flags;

    switch (cmd) {
    case TCGETS:
        flags = spin_lock_irqsave(&tty.lock);
        t = tty.tio;
        spin_unlock_irqrestore(&tty.lock, flags);
        return copy_to_user(uarg, &t, sizeof(t));
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        if (copy_from_user(&t, uarg, sizeof(t)))
            return -EFAULT;
        flags = spin_lock_irqsave(&tty.lock);
        bool was_canon = tty.tio.c_lflag & ICANON;
        tty.tio = t;
        if (cmd == TCSETSF)
            flush_input();
        if (was_canon && !(t.c_lflag & ICANON)) {
            /* Pending edited text becomes readable input. */
            for (unsigned i = 0; i < tty.llen; i++)
                rbuf_put(tty.line[i]);
            tty.llen = 0;
            tty.ltail = tty.lhead;
        } else if (!was_canon && (t.c_lflag & ICANON) && rbuf_count()) {
            tty.line_len[tty.lhead++ % LINES_MAX] = rbuf_count();
        }
        spin_unlock_irqrestore(&tty.lock, flags);
        wake_up(&tty.rwq);
        return 0;
    case TIOCGWINSZ:
        ws = tty.ws;
        return copy_to_user(uarg, &ws, sizeof(ws));
    case TIOCSWINSZ:
        if (copy_from_user(&ws, uarg, sizeof(ws)))
            return -EFAULT;
        tty.ws = ws;
        return 0;
    case TIOCSCTTY:
        if (!p || p->sid != p->pid)
            return -EPERM;      /* only a session leader */
        tty.session = p->sid;
        tty.pgrp = p->pgid;
        return 0;
    case TIOCNOTTY:
        if (p && tty.session == p->sid) {
            tty.session = 0;
            tty.pgrp = 0;
        }
        return 0;
    case TIOCGPGRP:
        if (!p || tty.session != p->sid)
            return -ENOTTY;     /* not our controlling terminal */
        v = tty.pgrp;
        return put_user(v, uarg);
    case TIOCSPGRP:
        if (!p || tty.session != p->sid)
            return -ENOTTY;
        if (get_user(v, uarg))
            return -EFAULT;
        if (v <= 0)
            return -EINVAL;
        tty.pgrp = v;
        return 0;
    case TIOCGSID:
        if (!p || tty.session != p->sid)
            return -ENOTTY;
        v = tty.session;
        return put_user(v, uarg);
    case FIONREAD:
        flags = spin_lock_irqsave(&tty.lock);
        v = (int32_t)rbuf_count();
        spin_unlock_irqrestore(&tty.lock, flags);
        return put_user(v, uarg);
    case TIOCOUTQ:
        v = 0;                  /* output is written synchronously */
        return put_user(v, uarg);
    case TCFLSH:
        if (uarg == TCIFLUSH || uarg == TCIOFLUSH) {
            flags = spin_lock_irqsave(&tty.lock);
            flush_input();
            spin_unlock_irqrestore(&tty.lock, flags);
        }
        return 0;
    case TCXONC:
    case TCSBRK:
        return 0;
    default:
        return -ENOTTY;
    }
}
