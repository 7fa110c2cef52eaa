/* execve: the ELF64 loader for static AArch64 programs (ET_EXEC and
 * static-pie ET_DYN), `#!` interpreter scripts, and the Linux initial
 * stack (System V AArch64 ABI; Linux fs/binfmt_elf.c create_elf_tables
 * for the order of argc, argv, envp and the auxiliary vector).
 *
 * The new image is built in a fresh address space while the old one stays
 * intact, so every error up to the switch returns to the caller; only then
 * is the old image dropped.  Segments are read in whole at exec (no page
 * cache to map them from). */
#include "arch.h"
#include "mm.h"
#include "printk.h"
#include "proc.h"
#include "random.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"
#include "vfs.h"
#include "vm.h"

void fpsimd_load(const struct fpsimd_state *s);

#define ARG_MAX         (256 * 1024)    /* argv + envp strings */
#define ARGC_MAX        32768
#define PATH_MAX        4096
#define BINPRM_BUF      256             /* bytes read to identify a file */
#define INTERP_DEPTH    4               /* #! scripts naming #! scripts */

/* ELF (System V gABI, AArch64 ELF ABI). */
#define EI_NIDENT       16
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define EV_CURRENT      1
#define ET_EXEC         2
#define ET_DYN          3
#define EM_AARCH64      183
#define PT_LOAD         1
#define PT_INTERP       3
#define PT_PHDR         6
#define PF_X            1
#define PF_W            2
#define PF_R            4
#define PHNUM_MAX       64

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum,
             e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

/* Auxiliary vector tags (include/uapi/linux/auxvec.h). */
#define AT_NULL         0
#define AT_PHDR         3
#define AT_PHENT        4
#define AT_PHNUM        5
#define AT_PAGESZ       6
#define AT_BASE         7
#define AT_FLAGS        8
#define AT_ENTRY        9
#define AT_UID          11
#define AT_EUID         12
#define AT_GID          13
#define AT_EGID         14
#define AT_PLATFORM     15
#define AT_HWCAP        16
#define AT_CLKTCK       17
#define AT_SECURE       23
#define AT_RANDOM       25
#define AT_HWCAP2       26
#define AT_EXECFN       31

/* HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h). */
#define HWCAP_FP        (1 << 0)
#define HWCAP_ASIMD     (1 << 1)
#define HWCAP_AES       (1 << 3)
#define HWCAP_PMULL     (1 << 4)
#define HWCAP_SHA1      (1 << 5)
#define HWCAP_SHA2      (1 << 6)
#define HWCAP_CRC32     (1 << 7)
#define HWCAP_ATOMICS   (1 << 8)

/* argv and envp, copied into the kernel: NUL-separated strings. */
struct exec_args {
    char *buf;
    size_t len, cap;
    int argc, envc;
};

static int args_push(struct exec_args *a, const char *s, size_t n)
{
    if (a->len + n + 1 > ARG_MAX || a->argc + a->envc >= ARGC_MAX)
        return -E2BIG;
    if (a->len + n + 1 > a->cap) {
        size_t cap = MAX(a->cap * 2, MAX((size_t)4096, a->len + n + 1));
        char *nb = kmalloc(cap);
        if (!nb)
            return -ENOMEM;
        memcpy(nb, a->buf, a->len);
        kfree(a->buf);
        a->buf = nb;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, s, n);
    a->buf[a->len + n] = 0;
    a->len += n + 1;
    return 0;
}

static void args_free(struct exec_args *a)
{
    kfree(a->buf);
    a->buf = NULL;
}

static int args_from_user(struct exec_args *a, uint64_t uvec, bool env)
{
    char *tmp = kmalloc(PAGE_SIZE);

    if (!tmp)
        return -ENOMEM;
    for (int i = 0; uvec; i++) {
        uint64_t up;
        if (get_user(up, uvec + 8 * (uint64_t)i)) {
            kfree(tmp);
            return -EFAULT;
        }
        if (!up)
            break;
        /* Strings may be longer than a page: copy in pieces. */
        for (uint64_t off = 0;; off += PAGE_SIZE - 1) {
            long n = strncpy_from_user(tmp, up + off, PAGE_SIZE);
            if (n == -ENAMETOOLONG)
                n = PAGE_SIZE - 1;
            if (n < 0) {
                kfree(tmp);
                return (int)n;
            }
            /* Append without the separator, then fix up at the end. */
            int err = args_push(a, tmp, (size_t)n);
            if (err) {
                kfree(tmp);
                return err;
            }
            a->len--;       /* drop the NUL: the string may continue */
            if (n < (long)PAGE_SIZE - 1)
                break;
        }
        a->buf[a->len++] = 0;
        if (env)
            a->envc++;
        else
            a->argc++;
    }
    kfree(tmp);
    return 0;
}

static int args_from_kernel(struct exec_args *a, const char *const v[],
                            bool env)
{
    for (int i = 0; v && v[i]; i++) {
        int err = args_push(a, v[i], strlen(v[i]));
        if (err)
            return err;
        if (env)
            a->envc++;
        else
            a->argc++;
    }
    return 0;
}

static uint64_t hwcaps(void)
{
    uint64_t isar0 = read_sysreg(id_aa64isar0_el1);
    uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
    uint64_t caps = 0;

    if (((pfr0 >> 16) & 0xf) != 0xf)
        caps |= HWCAP_FP;
    if (((pfr0 >> 20) & 0xf) != 0xf)
        caps |= HWCAP_ASIMD;
    unsigned aes = (isar0 >> 4) & 0xf;
    if (aes >= 1)
        caps |= HWCAP_AES;
    if (aes >= 2)
        caps |= HWCAP_PMULL;
    if ((isar0 >> 8) & 0xf)
        caps |= HWCAP_SHA1;
    if ((isar0 >> 12) & 0xf)
        caps |= HWCAP_SHA2;
    if ((isar0 >> 16) & 0xf)
        caps |= HWCAP_CRC32;
    if (((isar0 >> 20) & 0xf) >= 2)
        caps |= HWCAP_ATOMICS;
    return caps;
}

struct image {
    uint64_t entry;
    uint64_t phdr;
    unsigned phnum;
    uint64_t bias;
};

static int load_segments(struct mm *mm, struct file *f,
                         const struct elf64_ehdr *eh,
                         const struct elf64_phdr *ph, struct image *img)
{
    uint64_t bias = eh->e_type == ET_DYN ? PIE_BASE : 0;
    uint64_t top = 0, phdr = 0;
    bool any = false;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const struct elf64_phdr *p = &ph[i];
        if (p->p_type == PT_INTERP) {
            klog("exec: dynamically linked programs are not supported");
            return -ENOEXEC;
        }
        if (p->p_type == PT_PHDR)
            phdr = p->p_vaddr;
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        uint64_t va = p->p_vaddr + bias;
        if (p->p_filesz > p->p_memsz ||
            (p->p_vaddr & (PAGE_SIZE - 1)) != (p->p_offset & (PAGE_SIZE - 1)) ||
            p->p_offset + p->p_filesz < p->p_offset ||
            va < p->p_vaddr || va + p->p_memsz < va ||
            va + p->p_memsz > STACK_TOP - STACK_SIZE)
            return -ENOEXEC;
        unsigned prot = ((p->p_flags & PF_R) ? PROT_READ : 0) |
                        ((p->p_flags & PF_W) ? PROT_WRITE : 0) |
                        ((p->p_flags & PF_X) ? PROT_EXEC : 0);
        uint64_t start = ALIGN_DOWN(va, PAGE_SIZE);
        uint64_t end = ALIGN_UP(va + p->p_memsz, PAGE_SIZE);
        /* Overlapping segments, or ones below MMAP_MIN_ADDR, are refused. */
        int err = vm_add(mm, start, end - start, prot, 0);
        if (err)
            return err == -ENOMEM ? err : -ENOEXEC;
        /* The file part: whole pages are the file's own frames, shared
         * (copy-on-write if the segment is writable); partial ones, at
         * the ends, are copied, and the rest of memsz (BSS) stays zero. */
        for (uint64_t done = 0; done < p->p_filesz;) {
            uint64_t a = va + done;
            size_t off = a & (PAGE_SIZE - 1);
            size_t n = MIN(p->p_filesz - done, PAGE_SIZE - off);
            if (n == PAGE_SIZE) {
                paddr_t fpa = file_page_ref(f, p->p_offset + done);
                if (fpa && vm_map_private_frame(mm, a, fpa) == 0) {
                    done += n;
                    continue;
                }
                if (fpa)
                    frame_free(fpa);
            }
            paddr_t pa = vm_page(mm, a);
            if (!pa)
                return -ENOMEM;
            ssize_t r = file_kread(f, (uint8_t *)phys_to_virt(pa) + off, n,
                                   p->p_offset + done);
            if (r < 0)
                return (int)r;
            if ((size_t)r != n)
                return -ENOEXEC;        /* truncated file */
            done += n;
        }
        if (prot & PROT_EXEC)
            vm_sync_icache(mm, start, end - start);
        if (!phdr && p->p_offset == 0)
            phdr = p->p_vaddr + eh->e_phoff;
        top = MAX(top, end);
        any = true;
    }
    if (!any)
        return -ENOEXEC;
    uint64_t entry = eh->e_entry + bias;
    struct vma *v = vm_find(mm, entry);
    if (!v || !(v->prot & PROT_EXEC))
        return -ENOEXEC;
    mm->brk_start = mm->brk = top;
    img->entry = entry;
    img->phdr = phdr ? phdr + bias : 0;
    img->phnum = eh->e_phnum;
    img->bias = bias;
    return 0;
}

/* The signal return trampoline, shared by every process: a handler
 * installed without SA_RESTORER (glibc on arm64 relies on the kernel's)
 * returns here.  "mov x8, #__NR_rt_sigreturn; svc #0". */
#define INSN_MOV_X8_SIGRETURN   (0xd2800008 | (__NR_rt_sigreturn << 5))
#define INSN_SVC_0              0xd4000001
static paddr_t sigpage;

static int map_sigpage(struct mm *mm)
{
    if (!sigpage) {
        sigpage = frame_alloc();
        if (!sigpage)
            return -ENOMEM;
        uint32_t *code = phys_to_virt(sigpage);
        code[0] = INSN_MOV_X8_SIGRETURN;
        code[1] = INSN_SVC_0;
        dsb(ish);
        __asm__ volatile("dc cvau, %0" : : "r"(code) : "memory");
        dsb(ish);
        __asm__ volatile("ic ialluis" ::: "memory");
        dsb(ish);
        isb();
    }
    return vm_map_frame(mm, SIGPAGE_ADDR, sigpage, PROT_READ | PROT_EXEC);
}

/* Strings at the top, then the pointer vectors; returns the initial SP. */
static int build_stack(struct mm *mm, const struct exec_args *a,
                       const char *execfn, const struct image *img,
                       uint64_t *sp_out)
{
    int err = vm_add(mm, STACK_TOP - STACK_SIZE, STACK_SIZE,
                     PROT_READ | PROT_WRITE, VMA_STACK);
    if (err)
        return err;
    uint64_t sp = STACK_TOP;
    size_t fnlen = strlen(execfn) + 1;
    sp -= fnlen;
    uint64_t u_execfn = sp;
    if (vm_copy_out(mm, sp, execfn, fnlen))
        return -ENOMEM;
    sp -= a->len;
    uint64_t u_strings = sp;
    if (vm_copy_out(mm, sp, a->buf, a->len))
        return -ENOMEM;
    static const char platform[] = "aarch64";
    sp -= sizeof(platform);
    uint64_t u_platform = sp;
    if (vm_copy_out(mm, sp, platform, sizeof(platform)))
        return -ENOMEM;
    uint8_t rnd[16];
    random_bytes(rnd, sizeof(rnd));
    sp = ALIGN_DOWN(sp - sizeof(rnd), 16);
    uint64_t u_random = sp;
    if (vm_copy_out(mm, sp, rnd, sizeof(rnd)))
        return -ENOMEM;

    uint64_t auxv[] = {
        AT_PHDR, img->phdr, AT_PHENT, sizeof(struct elf64_phdr),
        AT_PHNUM, img->phnum, AT_PAGESZ, PAGE_SIZE, AT_BASE, 0,
        AT_FLAGS, 0, AT_ENTRY, img->entry, AT_UID, 0, AT_EUID, 0,
        AT_GID, 0, AT_EGID, 0, AT_PLATFORM, u_platform,
        AT_HWCAP, hwcaps(), AT_HWCAP2, 0, AT_CLKTCK, 100, AT_SECURE, 0,
        AT_RANDOM, u_random, AT_EXECFN, u_execfn, AT_NULL, 0,
    };
    size_t nptr = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1;
    size_t bytes = nptr * 8 + sizeof(auxv);
    sp = ALIGN_DOWN(sp - bytes, 16);
    uint64_t *vec = kmalloc(bytes);
    if (!vec)
        return -ENOMEM;
    size_t k = 0;
    vec[k++] = (uint64_t)a->argc;
    uint64_t s = u_strings;
    for (int i = 0; i < a->argc + a->envc; i++) {
        if (i == a->argc)
            vec[k++] = 0;
        vec[k++] = s;
        s += strlen(a->buf + (s - u_strings)) + 1;
    }
    if (a->argc == a->argc + a->envc)
        vec[k++] = 0;
    vec[k++] = 0;
    memcpy(&vec[k], auxv, sizeof(auxv));
    err = vm_copy_out(mm, sp, vec, bytes);
    kfree(vec);
    if (err)
        return -ENOMEM;
    *sp_out = sp;
    return 0;
}

/* Parse "#!interp [arg]" from the first line; rewrites the arguments to
 * interp [arg] path argv[1..]. */
static int script_args(const char *hdr, size_t n, const char *path,
                       struct exec_args *a, char *interp)
{
    size_t i = 2, end;

    for (end = 2; end < n && hdr[end] != '\n'; end++)
        ;
    if (end == n && n == BINPRM_BUF)
        return -ENOEXEC;        /* interpreter line too long */
    while (i < end && (hdr[i] == ' ' || hdr[i] == '\t'))
        i++;
    size_t is = i;
    while (i < end && hdr[i] != ' ' && hdr[i] != '\t')
        i++;
    if (i == is)
        return -ENOEXEC;
    memcpy(interp, hdr + is, i - is);
    interp[i - is] = 0;
    while (i < end && (hdr[i] == ' ' || hdr[i] == '\t'))
        i++;
    size_t as = i, ae = end;
    while (ae > as && (hdr[ae - 1] == ' ' || hdr[ae - 1] == '\t' ||
                       hdr[ae - 1] == '\r'))
        ae--;

    struct exec_args na = { 0 };
    int err = args_push(&na, interp, strlen(interp));
    na.argc = 1;
    if (!err && ae > as) {
        err = args_push(&na, hdr + as, ae - as);
        na.argc++;
    }
    if (!err) {
        err = args_push(&na, path, strlen(path));
        na.argc++;
    }
    const char *s = a->buf;
    for (int k = 0; !err && k < a->argc + a->envc; k++) {
        size_t l = strlen(s);
        if (k > 0) {
            err = args_push(&na, s, l);
            if (k < a->argc)
                na.argc++;
            else
                na.envc++;
        }
        s += l + 1;
    }
    if (err) {
        args_free(&na);
        return err;
    }
    args_free(a);
    *a = na;
    return 0;
}

/* argv (the first argc strings of a->buf) for /proc/<pid>/cmdline. */
static void save_cmdline(struct proc *p, const struct exec_args *a)
{
    size_t len = 0;
    for (int i = 0; i < a->argc && len < a->len; i++)
        len += strnlen(a->buf + len, a->len - len) + 1;
    len = MIN(len, sizeof(p->cmdline));
    memcpy(p->cmdline, a->buf, len);
    if (len)
        p->cmdline[len - 1] = 0;    /* a truncated last string ends too */
    p->cmdline_len = len;
}

static int validate_ehdr(const struct elf64_ehdr *eh, size_t n)
{
    static const uint8_t magic[4] = { 0x7f, 'E', 'L', 'F' };

    if (n < sizeof(*eh) || memcmp(eh->e_ident, magic, 4) ||
        eh->e_ident[4] != ELFCLASS64 || eh->e_ident[5] != ELFDATA2LSB ||
        eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT ||
        (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
        eh->e_machine != EM_AARCH64 ||
        eh->e_phentsize != sizeof(struct elf64_phdr) || eh->e_phnum == 0 ||
        eh->e_phnum > PHNUM_MAX)
        return -ENOEXEC;
    return 0;
}

static const char *basename(const char *path)
{
    const char *b = path;

    for (const char *s = path; *s; s++)
        if (*s == '/' && s[1])
            b = s + 1;
    return b;
}

/* exec a prepared argument list; on success tf is the new image's
 * initial user state. */
static int do_execve(const char *path, struct exec_args *a,
                     struct trap_frame *tf)
{
    struct proc *p = current_proc();
    struct thread *t = current_thread();
    char *interp = kmalloc(BINPRM_BUF + PATH_MAX);
    char *hdr = interp ? interp + PATH_MAX : NULL;
    struct elf64_phdr *ph = NULL;
    struct mm *mm = NULL;
    struct file *f = NULL;
    const char *name = path;
    int err;

    if (!interp)
        return -ENOMEM;
    for (int depth = 0;; depth++) {
        err = vfs_open_kernel(name, O_RDONLY, &f);
        if (err)
            goto out;
        err = file_check_exec(f);
        if (err)
            goto out;
        ssize_t n = file_kread(f, hdr, BINPRM_BUF, 0);
        if (n < 0) {
            err = (int)n;
            goto out;
        }
        if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
            if (depth >= INTERP_DEPTH) {
                err = -ELOOP;
                goto out;
            }
            err = script_args(hdr, (size_t)n, name, a, interp);
            if (err)
                goto out;
            file_put(f);
            f = NULL;
            name = interp;
            continue;
        }
        err = validate_ehdr((struct elf64_ehdr *)hdr, (size_t)n);
        if (err)
            goto out;
        break;
    }
    struct elf64_ehdr eh;
    memcpy(&eh, hdr, sizeof(eh));
    size_t phsize = (size_t)eh.e_phnum * sizeof(*ph);
    ph = kmalloc(phsize);
    err = -ENOMEM;
    if (!ph)
        goto out;
    if (file_kread(f, ph, phsize, eh.e_phoff) != (ssize_t)phsize) {
        err = -ENOEXEC;
        goto out;
    }
    mm = vm_create();
    if (!mm)
        goto out;
    struct image img;
    err = load_segments(mm, f, &eh, ph, &img);
    uint64_t sp = 0;
    if (!err)
        err = build_stack(mm, a, path, &img, &sp);
    if (!err)
        err = map_sigpage(mm);
    if (err)
        goto out;

    /* Point of no return: the old image goes. */
    struct mm *old = p->mm;
    uint64_t irq = arch_irq_save();
    p->mm = mm;
    t->ttbr0 = vm_ttbr0(mm);
    arch_set_ttbr0(t->ttbr0);
    arch_irq_restore(irq);
    mm = NULL;
    proc_vfork_release(p);
    vm_put(old);
    proc_exec_reset(p, path);
    save_cmdline(p, a);
    memset(&t->fp, 0, sizeof(t->fp));
    fpsimd_load(&t->fp);
    t->tpidr_el0 = 0;
    write_sysreg(tpidr_el0, 0);
    memset(tf, 0, sizeof(*tf));
    tf->elr = img.entry;
    tf->sp = sp;
    tf->spsr = 0;       /* EL0t, interrupts unmasked */
    err = 0;
out:
    if (mm)
        vm_put(mm);
    if (f)
        file_put(f);
    kfree(ph);
    kfree(interp);
    return err;
}

void proc_exec_reset(struct proc *p, const char *path)
{
    fdtable_close_on_exec(p->fdt);
    /* Caught signals revert to the default; ignored ones stay ignored
     * (POSIX execve). */
    for (int s = 1; s <= NSIG; s++) {
        struct k_sigaction *ka = &p->sigaction[s];
        if (ka->handler != SIG_IGN)
            *ka = (struct k_sigaction){ 0 };
    }
    p->altstack_sp = p->altstack_size = 0;
    p->clear_child_tid = 0;
    strlcpy(p->name, basename(path), sizeof(p->name));
    if (p->thread)      /* the kernel's thread list shows the new name */
        strlcpy(p->thread->name, p->name, sizeof(p->thread->name));
}

int kernel_execve(const char *path, const char *const argv[],
                  const char *const envp[])
{
    struct exec_args a = { 0 };
    struct thread *t = current_thread();
    struct trap_frame *tf =
        (struct trap_frame *)((uint8_t *)t->stack_top - TRAP_FRAME_SIZE);
    int err = args_from_kernel(&a, argv, false);

    if (!err)
        err = args_from_kernel(&a, envp, true);
    if (!err)
        err = do_execve(path, &a, tf);
    args_free(&a);
    return err;
}

SYSCALL(__NR_execve, execve)
{
    char *path = kmalloc(PATH_MAX);
    struct exec_args a = { 0 };

    if (!path)
        return -ENOMEM;
    long err = strncpy_from_user(path, SC_ARG(0), PATH_MAX);
    if (err >= 0)
        err = args_from_user(&a, SC_ARG(1), false);
    if (err >= 0)
        err = args_from_user(&a, SC_ARG(2), true);
    if (err >= 0)
        err = do_execve(path, &a, tf);
    args_free(&a);
    kfree(path);
    return err;
}
