/* Copy-on-write after fork: parent and child each see only their own
 * writes to data, bss, heap, stack and private anonymous mappings; a
 * MAP_SHARED anonymous page is seen by both.  And a sole owner's write
 * fault does not copy (checked with MemFree when /proc/meminfo exists).
 * exec maps whole pages of the program file itself: writing an
 * initialized global (a page shared with the file) changes neither the
 * file nor what the next exec of it sees. */
#include "check.h"
#include <sys/mman.h>

#define PAGE 4096
#define NPAGES 64

static int data_var = 1;
static int bss_var;
/* Three pages of initialized data: at least one whole page of it lies in
 * the file, so exec shares it with the file's frames. */
#define FILE_DATA_PAGES 3
static unsigned char file_data[FILE_DATA_PAGES * PAGE] = { [0 ... FILE_DATA_PAGES * PAGE - 1] = 0xa5 };

static int file_data_pristine(void)
{
    for (size_t i = 0; i < sizeof file_data; i++)
        if (file_data[i] != 0xa5)
            return 0;
    return 1;
}

/* A cheap checksum of a file's bytes, or -1. */
static long file_sum(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    static unsigned char buf[4096];
    long sum = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            sum = sum * 31 + buf[i];
    close(fd);
    return sum;
}

static long sum_pages(volatile char *p, int npages)
{
    long s = 0;
    for (int i = 0; i < npages; i++)
        s += p[i * PAGE];
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "pristine") == 0)
        return file_data_pristine() ? 0 : 1;      /* the re-exec below */
    long sum0 = file_sum(argv[0]);
    int pristine0 = file_data_pristine();
    memset(file_data, 0x5a, sizeof file_data);
    long sum1 = file_sum(argv[0]);
    pid_t re = fork();
    if (re == 0) {
        execl(argv[0], argv[0], "pristine", (char *)NULL);
        _exit(99);
    }
    int rst = 0;
    waitpid(re, &rst, 0);
    CHECKF(pristine0 && sum0 != -1 && sum0 == sum1 && EXITED_WITH(rst, 0) &&
           file_data[PAGE] == 0x5a, "cow.exec_file_pages",
           "pristine at start %d, file sum %ld -> %ld, re-exec %s", pristine0, sum0, sum1,
           status_str(rst));

    volatile int stack_var = 1;
    volatile char *heap = malloc(NPAGES * PAGE);
    char *priv = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile int *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(heap && priv != MAP_FAILED && shared != MAP_FAILED, "cow.setup");
    if (!heap || priv == MAP_FAILED || shared == MAP_FAILED)
        return check_done();
    for (int i = 0; i < NPAGES; i++) {
        heap[i * PAGE] = 1;
        priv[i * PAGE] = 1;
    }
    bss_var = 1;
    *shared = 0;

    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    pid_t pid = fork();
    if (pid == 0) {
        /* Child writes 2 everywhere, tells the parent, waits for the
         * parent's writes (3), then checks it still sees its own 2s. */
        data_var = bss_var = stack_var = 2;
        for (int i = 0; i < NPAGES; i++)
            heap[i * PAGE] = priv[i * PAGE] = 2;
        *shared = 2;
        char c = 'c';
        (void)!write(to_parent[1], &c, 1);
        (void)!read(to_child[0], &c, 1);
        int ok = data_var == 2 && bss_var == 2 && stack_var == 2 &&
                 sum_pages(heap, NPAGES) == 2 * NPAGES &&
                 sum_pages(priv, NPAGES) == 2 * NPAGES;
        int sees_shared = *shared == 3;
        _exit((ok ? 0 : 1) | (sees_shared ? 0 : 2));
    }
    char c;
    (void)!read(to_parent[0], &c, 1);
    CHECKF(data_var == 1, "cow.data", "parent sees %d", data_var);
    CHECKF(bss_var == 1, "cow.bss", "parent sees %d", bss_var);
    CHECKF(stack_var == 1, "cow.stack", "parent sees %d", stack_var);
    CHECKF(sum_pages(heap, NPAGES) == NPAGES, "cow.heap", "sum %ld", sum_pages(heap, NPAGES));
    CHECKF(sum_pages(priv, NPAGES) == NPAGES, "cow.mmap_private", "sum %ld",
           sum_pages(priv, NPAGES));
    CHECKF(*shared == 2, "cow.mmap_shared_seen_by_parent", "parent sees %d", *shared);
    data_var = bss_var = stack_var = 3;
    for (int i = 0; i < NPAGES; i++)
        heap[i * PAGE] = priv[i * PAGE] = 3;
    *shared = 3;
    (void)!write(to_child[1], &c, 1);
    int st;
    waitpid(pid, &st, 0);
    CHECKF(st != -1 && WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "cow.child_sees_own",
           "%s", status_str(st));
    CHECKF(st != -1 && WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "cow.mmap_shared_seen_by_child",
           "%s", status_str(st));
    CHECKF(data_var == 3 && sum_pages(priv, NPAGES) == 3 * NPAGES, "cow.parent_after_child",
           "data %d", data_var);

    /* Writes after the child has exited: the parent is the sole owner
     * again, so the faults just make the pages writable.  256 pages
     * copied would cost 1024 kB of MemFree; allow a little for page
     * tables and the kernel's own allocations. */
    enum { SOLE = 256 };
    char *big = mmap(NULL, SOLE * PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < SOLE; i++)
        big[i * PAGE] = 1;
    pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, &st, 0);
    long before = meminfo_kb("MemFree");
    for (int i = 0; i < SOLE; i++)
        big[i * PAGE] = 2;
    long after = meminfo_kb("MemFree");
    if (before < 0) {
        say("PASS cow.sole_owner_no_copy (no /proc/meminfo: not measured)");
    } else {
        CHECKF(before - after < SOLE * 4 / 4, "cow.sole_owner_no_copy",
               "MemFree dropped %ld kB writing %d sole-owned pages", before - after, SOLE);
    }

    /* A child writing a page the parent never touched again (the parent
     * exits first would be the mirror case): many forks in a row. */
    int bad = 0;
    for (int k = 0; k < 20; k++) {
        pid = fork();
        if (pid == 0) {
            priv[0] = 50 + k;
            _exit(priv[0] == 50 + k && priv[PAGE] == 3 ? 0 : 1);
        }
        waitpid(pid, &st, 0);
        if (!EXITED_WITH(st, 0) || priv[0] != 3)
            bad++;
    }
    CHECKF(bad == 0, "cow.repeated_forks", "%d of 20 bad", bad);
    return check_done();
}
