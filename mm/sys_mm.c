/* Memory system calls: brk, mmap, munmap, mprotect, madvise (Linux
 * semantics; the work is in mm/vm.c). */
#include "proc.h"
#include "syscall.h"
#include "vfs.h"
#include "vm.h"

SYSCALL(__NR_brk, brk)
{
    return (long)vm_brk(current_proc()->mm, SC_ARG(0));
}

SYSCALL(__NR_mmap, mmap)
{
    uint64_t addr = SC_ARG(0), len = SC_ARG(1), off = SC_ARG(5);
    unsigned prot = (unsigned)SC_ARG(2), flags = (unsigned)SC_ARG(3);
    int fd = (int)SC_ARG(4);
    struct file *f = NULL;

    if (!(flags & MAP_ANONYMOUS)) {
        f = fd_get_file(fd);
        if (!f)
            return -EBADF;
    }
    long r = vm_mmap(current_proc()->mm, addr, len, prot, flags, f, off);
    if (f)
        file_put(f);
    return r;
}

SYSCALL(__NR_munmap, munmap)
{
    return vm_munmap(current_proc()->mm, SC_ARG(0), SC_ARG(1));
}

SYSCALL(__NR_mprotect, mprotect)
{
    return vm_mprotect(current_proc()->mm, SC_ARG(0), SC_ARG(1),
                       (unsigned)SC_ARG(2));
}

#define MADV_DONTNEED   4

SYSCALL(__NR_madvise, madvise)
{
    if (SC_ARG(0) & 0xfff)
        return -EINVAL;
    /* MADV_DONTNEED must really drop private pages: C libraries count on
     * them reading back as zero.  Other advice changes nothing here. */
    if (SC_ARG(2) == MADV_DONTNEED)
        return vm_dontneed(current_proc()->mm, SC_ARG(0), SC_ARG(1));
    return 0;
}
