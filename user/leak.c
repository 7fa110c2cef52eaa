/* The no-leak headline test: CYCLES rounds of fork + execve(/bin/tiny) +
 * exit + wait must bring the free memory and the kernel heap back to
 * their baseline.  MemFree and Slab come from /proc/meminfo (kB), read
 * after WARMUP rounds (so one-time allocations such as the first
 * process-table or page-table-cache growth are in the baseline) and again
 * after the run.  No slack: each round frees everything it allocated, and
 * the measurements are taken at the same point of a round (right after
 * wait), so any difference is a leak.
 *
 *   leak [cycles]     prints "leak: ..." figures and PASS/FAIL lines */
#include "check.h"

#define WARMUP 10
#define CYCLES 1000

static int cycle(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = { "/bin/tiny", NULL };
        char *envp[] = { NULL };
        execve("/bin/tiny", argv, envp);
        _exit(99);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return EXITED_WITH(st, 0) ? 0 : -1;
}

int main(int argc, char **argv)
{
    int cycles = argc > 1 ? atoi(argv[1]) : CYCLES;
    int bad = 0;
    for (int i = 0; i < WARMUP; i++)
        bad += cycle() != 0;
    long free0 = meminfo_kb("MemFree"), slab0 = meminfo_kb("Slab");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < cycles; i++)
        bad += cycle() != 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long free1 = meminfo_kb("MemFree"), slab1 = meminfo_kb("Slab");
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    say("leak: %d cycles in %.2f s, MemFree %ld -> %ld kB, Slab %ld -> %ld kB",
        cycles, secs, free0, free1, slab0, slab1);
    CHECKF(bad == 0, "leak.cycles_ok", "%d of %d cycles failed", bad, cycles + WARMUP);
    CHECKF(free0 > 0 && slab0 >= 0, "leak.meminfo", "MemFree %ld Slab %ld", free0, slab0);
    CHECKF(free1 == free0, "leak.memfree_baseline", "MemFree %ld -> %ld kB (%+ld)",
           free0, free1, free1 - free0);
    CHECKF(slab1 == slab0, "leak.slab_baseline", "Slab %ld -> %ld kB (%+ld)",
           slab0, slab1, slab1 - slab0);
    return check_done();
}
