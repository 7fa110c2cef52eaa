/* The address space: brk grows and shrinks (a shrunk-away page faults),
 * mmap anonymous / file-backed private read, munmap (touch after it is
 * SIGSEGV), mprotect (write to read-only is SIGSEGV, back to RW works),
 * MAP_FIXED, huge and bad requests fail with ENOMEM / EINVAL. */
#include "check.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PAGE 4096

static volatile char *touch_addr;
static void touch(void *a) { (void)a; *touch_addr = 1; }
static void read_it(void *a) { (void)a; (void)*touch_addr; }

int main(void)
{
    /* brk: raw syscall (musl's sbrk refuses non-zero increments). */
    uintptr_t b0 = syscall(SYS_brk, 0);
    uintptr_t b1 = syscall(SYS_brk, b0 + 64 * PAGE);
    CHECKF(b0 && b1 == b0 + 64 * PAGE, "mem.brk_grow", "brk %#lx -> %#lx", b0, b1);
    if (b1 == b0 + 64 * PAGE) {
        memset((void *)b0, 0xab, 64 * PAGE);
        CHECK(((volatile char *)b0)[64 * PAGE - 1] == (char)0xab, "mem.brk_usable");
        uintptr_t b2 = syscall(SYS_brk, b0 + PAGE);
        CHECKF(b2 == b0 + PAGE, "mem.brk_shrink", "brk %#lx", b2);
        touch_addr = (char *)(b0 + 32 * PAGE);
        int st = run_child(touch, NULL);
        CHECKF(KILLED_BY(st, SIGSEGV), "mem.brk_shrunk_page_faults", "%s", status_str(st));
        uintptr_t b3 = syscall(SYS_brk, b0 + 64 * PAGE);
        CHECKF(b3 == b0 + 64 * PAGE && ((volatile char *)b0)[32 * PAGE] == 0,
               "mem.brk_regrow_zeroed", "brk %#lx", b3);
        syscall(SYS_brk, b0);
    }
    uintptr_t bh = syscall(SYS_brk, (uintptr_t)1 << 47);
    CHECKF(bh != (uintptr_t)1 << 47, "mem.brk_huge_refused", "brk %#lx", bh);

    /* malloc, big and small. */
    char *m = malloc(8 << 20);
    CHECK(m != NULL, "mem.malloc_8m");
    if (m) {
        memset(m, 1, 8 << 20);
        free(m);
    }

    /* Anonymous mmap: zeroed, usable, unmapping faults. */
    char *a = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(a != MAP_FAILED, "mem.mmap_anon");
    int zero = 1;
    for (int i = 0; i < 16 * PAGE; i++)
        zero &= a[i] == 0;
    CHECK(zero, "mem.mmap_zeroed");
    memset(a, 7, 16 * PAGE);
    CHECK(munmap(a + 4 * PAGE, 4 * PAGE) == 0, "mem.munmap_middle");
    touch_addr = a + 5 * PAGE;
    int st = run_child(touch, NULL);
    CHECKF(KILLED_BY(st, SIGSEGV), "mem.munmapped_faults", "%s", status_str(st));
    CHECK(a[3 * PAGE] == 7 && a[8 * PAGE] == 7, "mem.munmap_neighbours_kept");

    /* mprotect. */
    CHECK(mprotect(a, PAGE, PROT_READ) == 0, "mem.mprotect_ro");
    touch_addr = a;
    st = run_child(touch, NULL);
    CHECKF(KILLED_BY(st, SIGSEGV), "mem.mprotect_write_faults", "%s", status_str(st));
    CHECK(a[0] == 7, "mem.mprotect_ro_readable");
    CHECK(mprotect(a, PAGE, PROT_NONE) == 0, "mem.mprotect_none");
    st = run_child(read_it, NULL);
    CHECKF(KILLED_BY(st, SIGSEGV), "mem.prot_none_read_faults", "%s", status_str(st));
    CHECK(mprotect(a, PAGE, PROT_READ | PROT_WRITE) == 0 && (a[0] = 9, a[0] == 9),
          "mem.mprotect_rw_again");
    munmap(a, 16 * PAGE);

    /* MAP_FIXED over an existing mapping replaces it with zeroes. */
    char *f = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(f, 5, 4 * PAGE);
    char *g = mmap(f + PAGE, PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECKF(g == f + PAGE && g[0] == 0 && f[0] == 5 && f[2 * PAGE] == 5, "mem.map_fixed",
           "got %p want %p", (void *)g, (void *)(f + PAGE));
    munmap(f, 4 * PAGE);

    /* A file mapped private and read-only: its bytes. */
    int fd = open("/bin/tiny", O_RDONLY);
    char *e = fd >= 0 ? mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    CHECKF(e != MAP_FAILED && memcmp(e, "\177ELF", 4) == 0, "mem.mmap_file_private",
           "fd %d map %p", fd, (void *)e);
    if (e != MAP_FAILED)
        munmap(e, 2 * PAGE);
    if (fd >= 0)
        close(fd);

    /* Bad requests. */
    errno = 0;
    /* Larger than the whole user address space (48-bit VA): ENOMEM. */
    void *h = mmap(NULL, (size_t)1 << 48, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECKF(h == MAP_FAILED && errno == ENOMEM, "mem.mmap_huge", "got %p errno %d", h, errno);
    errno = 0;
    CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED &&
          errno == EINVAL, "mem.mmap_zero_len");
    errno = 0;
    CHECK(mmap((void *)0x1001, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
          == MAP_FAILED && errno == EINVAL, "mem.mmap_unaligned_fixed");
    errno = 0;
    CHECK(mmap((void *)0xffff000000000000UL, PAGE, PROT_READ,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED &&
          (errno == ENOMEM || errno == EINVAL), "mem.mmap_kernel_fixed");
    errno = 0;
    CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0) == MAP_FAILED && errno == EBADF,
          "mem.mmap_bad_fd");
    errno = 0;
    CHECK(munmap((void *)0x1001, PAGE) == -1 && errno == EINVAL, "mem.munmap_unaligned");
    errno = 0;
    /* Raw: musl's mprotect() rounds the address down itself. */
    CHECK(syscall(SYS_mprotect, 0x1001UL, PAGE, PROT_READ) == -1 && errno == EINVAL,
          "mem.mprotect_unaligned");
    CHECK(madvise(NULL, 0, MADV_NORMAL) == 0, "mem.madvise");

    /* Many small mappings and unmappings (the VMA list). */
    int bad = 0;
    for (int i = 0; i < 500; i++) {
        char *x = mmap(NULL, PAGE * (1 + i % 4), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (x == MAP_FAILED) {
            bad++;
            continue;
        }
        x[0] = 1;
        if (munmap(x, PAGE * (1 + i % 4)) != 0)
            bad++;
    }
    CHECKF(bad == 0, "mem.mmap_munmap_500", "%d failed", bad);
    return check_done();
}
