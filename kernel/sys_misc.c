/* Time, identity and system-information calls (Linux aarch64 layouts).
 * Everyone is root (uid 0); the set*id calls succeed for root. */
#include "arch.h"
#include "mm.h"
#include "panic.h"
#include "printk.h"
#include "proc.h"
#include "random.h"
#include "sched.h"
#include "string.h"
#include "syscall.h"
#include "time.h"
#include "uaccess.h"

#define CLOCK_REALTIME          0
#define CLOCK_MONOTONIC         1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW     4
#define CLOCK_REALTIME_COARSE   5
#define CLOCK_MONOTONIC_COARSE  6
#define CLOCK_BOOTTIME          7
#define TIMER_ABSTIME           1

static int clock_now(int clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        *ns = time_realtime_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        *ns = time_ns();
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: {
        uint64_t u, s;
        proc_cpu_time(current_proc(), &u, &s);
        *ns = u + s;
        return 0;
    }
    default:
        return -EINVAL;
    }
}

static int put_timespec(uint64_t uts, uint64_t ns)
{
    struct timespec64 ts = { (int64_t)(ns / NSEC_PER_SEC),
                             (int64_t)(ns % NSEC_PER_SEC) };
    return copy_to_user(uts, &ts, sizeof(ts));
}

static int get_timespec(uint64_t uts, uint64_t *ns)
{
    struct timespec64 ts;

    if (copy_from_user(&ts, uts, sizeof(ts)))
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NSEC_PER_SEC)
        return -EINVAL;
    /* Clamp far futures (a year is long enough to be "forever"). */
    uint64_t cap = 365ULL * 86400;
    uint64_t sec = (uint64_t)ts.tv_sec > cap ? cap : (uint64_t)ts.tv_sec;
    *ns = sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    return 0;
}

SYSCALL(__NR_clock_gettime, clock_gettime)
{
    uint64_t ns;
    int err = clock_now((int)SC_ARG(0), &ns);

    return err ? err : put_timespec(SC_ARG(1), ns);
}

SYSCALL(__NR_clock_getres, clock_getres)
{
    uint64_t ns;
    int err = clock_now((int)SC_ARG(0), &ns);

    if (err || !SC_ARG(1))
        return err;
    return put_timespec(SC_ARG(1), 1);
}

SYSCALL(__NR_gettimeofday, gettimeofday)
{
    uint64_t ns = time_realtime_ns();
    int64_t tv[2] = { (int64_t)(ns / NSEC_PER_SEC),
                      (int64_t)(ns % NSEC_PER_SEC / 1000) };

    if (SC_ARG(0) && copy_to_user(SC_ARG(0), tv, sizeof(tv)))
        return -EFAULT;
    if (SC_ARG(1) && clear_user(SC_ARG(1), 8))
        return -EFAULT;
    return 0;
}

/* Sleep until the deadline on that clock or a signal.  -EINTR with the
 * time left (nanosleep is never restarted after a handler: POSIX). */
static long sleep_until(int clk, uint64_t deadline, uint64_t urem)
{
    struct waitq wq;
    struct waiter w = { 0 };
    uint64_t now;

    waitq_init(&wq);
    for (;;) {
        clock_now(clk, &now);
        if (now >= deadline)
            return 0;
        if (signal_pending()) {
            if (urem && put_timespec(urem, deadline - now))
                return -EFAULT;
            return -EINTR;
        }
        waitq_prepare(&wq, &w, deadline - now);
        if (!signal_pending())
            schedule();
        waitq_finish(&wq, &w);
    }
}

SYSCALL(__NR_nanosleep, nanosleep)
{
    uint64_t ns, now = time_ns();
    int err = get_timespec(SC_ARG(0), &ns);

    return err ? err : sleep_until(CLOCK_MONOTONIC, now + ns, SC_ARG(1));
}

SYSCALL(__NR_clock_nanosleep, clock_nanosleep)
{
    int clk = (int)SC_ARG(0);
    uint64_t ns, now;
    int err = clock_now(clk, &now);

    if (err)
        return err;
    if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    err = get_timespec(SC_ARG(2), &ns);
    if (err)
        return err;
    bool abs = SC_ARG(1) & TIMER_ABSTIME;
    return sleep_until(clk, abs ? ns : now + ns, abs ? 0 : SC_ARG(3));
}

struct utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65],
         domainname[65];
};

static char hostname[65] = "ourkernel";

SYSCALL(__NR_uname, uname)
{
    struct utsname u;

    memset(&u, 0, sizeof(u));
    /* "Linux" and a 6.x release: C libraries check the kernel version. */
    strlcpy(u.sysname, "Linux", sizeof(u.sysname));
    strlcpy(u.nodename, hostname, sizeof(u.nodename));
    strlcpy(u.release, "6.1.0-ourkernel", sizeof(u.release));
    strlcpy(u.version, "#1 SMP", sizeof(u.version));
    strlcpy(u.machine, "aarch64", sizeof(u.machine));
    strlcpy(u.domainname, "(none)", sizeof(u.domainname));
    return copy_to_user(SC_ARG(0), &u, sizeof(u));
}

SYSCALL(__NR_sethostname, sethostname)
{
    char buf[65];
    uint64_t len = SC_ARG(1);

    if (len > 64)
        return -EINVAL;
    if (copy_from_user(buf, SC_ARG(0), len))
        return -EFAULT;
    buf[len] = 0;
    memcpy(hostname, buf, len + 1);
    return 0;
}

struct sysinfo_k {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    uint32_t pad3;
};

SYSCALL(__NR_sysinfo, sysinfo)
{
    struct sysinfo_k si;

    memset(&si, 0, sizeof(si));
    si.uptime = (int64_t)(time_ns() / NSEC_PER_SEC);
    si.totalram = frame_total_count() * PAGE_SIZE;
    si.freeram = frame_free_count() * PAGE_SIZE;
    si.procs = (uint16_t)proc_count();
    si.mem_unit = 1;
    return copy_to_user(SC_ARG(0), &si, sizeof(si));
}

/* times(2): struct tms is four clock_t in USER_HZ (100) ticks; the
 * return value is ticks since boot. */
#define USER_HZ         100
#define RUSAGE_SELF     0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD   1

static int64_t ns_to_clock_t(uint64_t ns)
{
    return (int64_t)(ns / (NSEC_PER_SEC / USER_HZ));
}

SYSCALL(__NR_times, times)
{
    struct proc *p = current_proc();
    uint64_t u, s;
    proc_cpu_time(p, &u, &s);
    int64_t tms[4] = { ns_to_clock_t(u), ns_to_clock_t(s),
                       ns_to_clock_t(p->child_user_ns),
                       ns_to_clock_t(p->child_sys_ns) };
    if (SC_ARG(0) && copy_to_user(SC_ARG(0), tms, sizeof(tms)))
        return -EFAULT;
    return ns_to_clock_t(time_ns());
}

SYSCALL(__NR_getrusage, getrusage)
{
    struct proc *p = current_proc();
    int who = (int)SC_ARG(0);
    uint64_t u, s;
    uint8_t ru[RUSAGE_SIZE];

    if (who == RUSAGE_SELF || who == RUSAGE_THREAD) {
        proc_cpu_time(p, &u, &s);
    } else if (who == RUSAGE_CHILDREN) {
        u = p->child_user_ns;
        s = p->child_sys_ns;
    } else {
        return -EINVAL;
    }
    rusage_fill(ru, u, s);
    return copy_to_user(SC_ARG(1), ru, sizeof(ru));
}

#define GRND_NONBLOCK   1
#define GRND_RANDOM     2
#define GRND_INSECURE   4
#define GETRANDOM_MAX   (32u << 20)

SYSCALL(__NR_getrandom, getrandom)
{
    uint64_t ubuf = SC_ARG(0);
    size_t len = SC_ARG(1), done = 0;
    uint8_t chunk[256];

    if (SC_ARG(2) & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if (!user_range_ok(ubuf, len))
        return -EFAULT;
    len = MIN(len, (size_t)GETRANDOM_MAX);     /* short read, as Linux */
    while (done < len) {
        size_t n = MIN(len - done, sizeof(chunk));
        random_bytes(chunk, n);
        if (copy_to_user(ubuf + done, chunk, n))
            return done ? (long)done : -EFAULT;
        done += n;
        if (signal_pending() && done < len)
            return (long)done;
    }
    return (long)done;
}

#define LINUX_REBOOT_MAGIC1     0xfee1dead
#define LINUX_REBOOT_MAGIC2     672274793
#define LINUX_REBOOT_MAGIC2A    85072278
#define LINUX_REBOOT_MAGIC2B    369367448
#define LINUX_REBOOT_MAGIC2C    537993216
#define LINUX_REBOOT_CMD_RESTART    0x01234567
#define LINUX_REBOOT_CMD_HALT       0xcdef0123
#define LINUX_REBOOT_CMD_POWER_OFF  0x4321fedc
#define LINUX_REBOOT_CMD_CAD_ON     0x89abcdef
#define LINUX_REBOOT_CMD_CAD_OFF    0x00000000

SYSCALL(__NR_reboot, reboot)
{
    uint32_t m1 = (uint32_t)SC_ARG(0), m2 = (uint32_t)SC_ARG(1);
    uint32_t cmd = (uint32_t)SC_ARG(2);

    if (m1 != LINUX_REBOOT_MAGIC1 ||
        (m2 != LINUX_REBOOT_MAGIC2 && m2 != LINUX_REBOOT_MAGIC2A &&
         m2 != LINUX_REBOOT_MAGIC2B && m2 != LINUX_REBOOT_MAGIC2C))
        return -EINVAL;
    switch (cmd) {
    case LINUX_REBOOT_CMD_POWER_OFF:
    case LINUX_REBOOT_CMD_HALT:
    case LINUX_REBOOT_CMD_RESTART:     /* -no-reboot QEMU: same as off */
        klog("reboot: requested by pid %d (%s)", current_proc()->pid,
             current_proc()->name);
        kernel_poweroff(0);
    case LINUX_REBOOT_CMD_CAD_ON:
    case LINUX_REBOOT_CMD_CAD_OFF:
        return 0;
    default:
        return -EINVAL;
    }
}

/* ---- identity: everyone is root ---- */

SYSCALL(__NR_getuid, getuid) { return 0; }
SYSCALL(__NR_geteuid, geteuid) { return 0; }
SYSCALL(__NR_getgid, getgid) { return 0; }
SYSCALL(__NR_getegid, getegid) { return 0; }
SYSCALL(__NR_setuid, setuid) { return 0; }
SYSCALL(__NR_setgid, setgid) { return 0; }
SYSCALL(__NR_setresuid, setresuid) { return 0; }
SYSCALL(__NR_setresgid, setresgid) { return 0; }
SYSCALL(__NR_setgroups, setgroups) { return 0; }
SYSCALL(__NR_getgroups, getgroups) { return 0; }

static long put_three_zero(struct trap_frame *tf)
{
    uint32_t z = 0;

    for (int i = 0; i < 3; i++)
        if (put_user(z, SC_ARG(i)))
            return -EFAULT;
    return 0;
}

SYSCALL(__NR_getresuid, getresuid) { return put_three_zero(tf); }
SYSCALL(__NR_getresgid, getresgid) { return put_three_zero(tf); }

SYSCALL(__NR_umask, umask)
{
    struct proc *p = current_proc();
    unsigned old = p->umask;

    p->umask = (unsigned)SC_ARG(0) & 0777;
    return old;
}

/* ---- resource limits ---- */

#define RLIMIT_STACK    3
#define RLIMIT_NOFILE   7
#define RLIM_NLIMITS    16
#define RLIM_INFINITY   (~0ULL)

static uint64_t rlimit_cur(int res)
{
    switch (res) {
    case RLIMIT_STACK:  return 8ULL << 20;      /* STACK_SIZE (vm.h) */
    case RLIMIT_NOFILE: return 256;
    default:            return RLIM_INFINITY;
    }
}

SYSCALL(__NR_prlimit64, prlimit64)
{
    int pid = (int)SC_ARG(0), res = (int)SC_ARG(1);
    uint64_t unew = SC_ARG(2), uold = SC_ARG(3);

    if (res < 0 || res >= RLIM_NLIMITS)
        return -EINVAL;
    if (pid && pid != current_proc()->pid)
        return -ESRCH;
    if (uold) {
        uint64_t lim[2] = { rlimit_cur(res), rlimit_cur(res) };
        if (copy_to_user(uold, lim, sizeof(lim)))
            return -EFAULT;
    }
    if (unew) {
        uint64_t lim[2];
        if (copy_from_user(lim, unew, sizeof(lim)))
            return -EFAULT;
        if (lim[0] > lim[1])
            return -EINVAL;
        /* Accepted, not enforced: the limits are fixed. */
    }
    return 0;
}

SYSCALL(__NR_getrlimit, getrlimit)
{
    int res = (int)SC_ARG(0);
    uint64_t lim[2] = { rlimit_cur(res), rlimit_cur(res) };

    if (res < 0 || res >= RLIM_NLIMITS)
        return -EINVAL;
    return copy_to_user(SC_ARG(1), lim, sizeof(lim));
}

SYSCALL(__NR_setrlimit, setrlimit)
{
    uint64_t lim[2];

    if ((int)SC_ARG(0) < 0 || (int)SC_ARG(0) >= RLIM_NLIMITS)
        return -EINVAL;
    return copy_from_user(lim, SC_ARG(1), sizeof(lim));
}

#define PR_SET_NAME     15
#define PR_GET_NAME     16

SYSCALL(__NR_prctl, prctl)
{
    struct proc *p = current_proc();
    char name[PROC_NAME_LEN];

    switch ((int)SC_ARG(0)) {
    case PR_SET_NAME: {
        long n = strncpy_from_user(name, SC_ARG(1), sizeof(name));
        if (n == -EFAULT)
            return -EFAULT;
        name[sizeof(name) - 1] = 0;
        strlcpy(p->name, name, sizeof(p->name));
        return 0;
    }
    case PR_GET_NAME:
        return copy_to_user(SC_ARG(1), p->name, sizeof(p->name));
    default:
        return -EINVAL;
    }
}
