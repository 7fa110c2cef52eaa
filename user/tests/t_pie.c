/* Built static-pie (ET_DYN, loaded at a base the kernel picks, relocated
 * by musl's rcrt1.o): it runs at all, its auxv describes it (AT_PHDR
 * inside the image, AT_ENTRY = the ELF entry plus the load base,
 * AT_PAGESZ, AT_RANDOM 16 readable bytes, AT_EXECFN), thread-local
 * storage (PT_TLS) works, and relocated data pointers are right. */
#include "check.h"
#include <elf.h>
#include <stdint.h>
#include <sys/auxv.h>

static __thread int tls_init = 1234;
static __thread int tls_bss;
static const char *const strings[] = { "alpha", "beta" };   /* needs relocs */

int main(int argc, char **argv)
{
    CHECK(1, "pie.runs");
    uintptr_t phdr = getauxval(AT_PHDR), entry = getauxval(AT_ENTRY);
    uintptr_t text = (uintptr_t)&main;
    CHECKF(phdr && entry && text > phdr && text - phdr < (1u << 24) && entry - phdr < (1u << 24),
           "pie.auxv_phdr_entry", "AT_PHDR %#lx AT_ENTRY %#lx main %#lx", phdr, entry, text);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(phdr - sizeof(Elf64_Ehdr));
    CHECKF(getauxval(AT_PHENT) == sizeof(Elf64_Phdr) && getauxval(AT_PHNUM) > 1 &&
           memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_type == ET_DYN,
           "pie.auxv_phent_phnum", "phent %lu phnum %lu", getauxval(AT_PHENT),
           getauxval(AT_PHNUM));
    CHECKF(getauxval(AT_PAGESZ) == 4096, "pie.auxv_pagesz", "%lu", getauxval(AT_PAGESZ));
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nz = 0;
    for (int i = 0; rnd && i < 16; i++)
        nz |= rnd[i];
    CHECKF(rnd && nz, "pie.auxv_random", "AT_RANDOM %p", (const void *)rnd);
    const char *fn = (const char *)getauxval(AT_EXECFN);
    CHECKF(fn && strstr(fn, "t_pie"), "pie.auxv_execfn", "AT_EXECFN %s", fn ? fn : "(none)");
    CHECKF(getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
           getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid() &&
           getauxval(AT_SECURE) == 0, "pie.auxv_ids", "uid %lu", getauxval(AT_UID));
    CHECKF(tls_init == 1234 && tls_bss == 0, "pie.tls", "tls %d %d", tls_init, tls_bss);
    tls_bss = 5;
    CHECK(strcmp(strings[1], "beta") == 0, "pie.relocated_data");
    CHECKF(argc >= 1 && strstr(argv[0], "t_pie"), "pie.argv", "argv[0] %s", argv[0]);
    return check_done();
}
