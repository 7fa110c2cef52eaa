/* Out of memory: a child allocates and touches 1 MiB chunks until malloc
 * fails (then it exits 0) or the kernel kills it; either way the parent
 * survives, forks again, and (with /proc/meminfo) the memory comes back.
 * The child stops at OOM_CAP_MB so a host run does not eat the host. */
#include "check.h"
#include <sys/mman.h>

#define CHUNK (1 << 20)
#define OOM_CAP_MB 2048

int main(void)
{
    long free0 = meminfo_kb("MemFree");
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        int mb = 0;
        while (mb < OOM_CAP_MB) {
            char *c = malloc(CHUNK);
            if (!c)
                break;
            for (int i = 0; i < CHUNK; i += 4096)
                c[i] = 1;
            mb++;
            (void)!write(p[1], &mb, sizeof mb);   /* progress, if killed */
        }
        /* Also: one huge request fails cleanly. */
        void *h = mmap(NULL, (size_t)1 << 48, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        _exit(mb >= OOM_CAP_MB ? 2 : h == MAP_FAILED ? 0 : 3);
    }
    close(p[1]);
    int mb = 0, v;
    while (read(p[0], &v, sizeof v) == sizeof v)
        mb = v;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    say("oom: child got %d MiB, %s", mb, status_str(st));
    CHECKF(EXITED_WITH(st, 0) || KILLED_BY(st, SIGKILL) || KILLED_BY(st, SIGSEGV) ||
           KILLED_BY(st, SIGBUS), "oom.child_enomem_or_killed", "%s after %d MiB",
           status_str(st), mb);
    CHECKF(!EXITED_WITH(st, 2), "oom.limit_reached", "allocated %d MiB without failing", mb);

    pid = fork();
    if (pid == 0)
        _exit(4);
    waitpid(pid, &st, 0);
    CHECKF(EXITED_WITH(st, 4), "oom.fork_after", "%s", status_str(st));
    long free1 = meminfo_kb("MemFree");
    if (free0 > 0 && free1 > 0) {
        /* The child's memory is all back, give or take the kernel's own
         * small allocations (1 MiB). */
        CHECKF(free1 > free0 - 1024, "oom.memory_returned", "MemFree %ld kB -> %ld kB",
               free0, free1);
    }
    return check_done();
}
