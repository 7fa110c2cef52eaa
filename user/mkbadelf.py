#!/usr/bin/python3
"""Makes the bad and odd executables the exec tests run (user/tests/
t_exec.c), from a good static ELF (build/user/tiny):

  notelf         text without "#!": execve gives ENOEXEC
  trunc_hdr      the first 100 bytes: the program headers are cut, ENOEXEC
  trunc_seg      cut in the middle of a loadable segment: an error, or the
                 process is killed, never a kernel crash
  wrong_machine  e_machine = EM_X86_64: ENOEXEC
  kernel_seg     the first PT_LOAD moved into the kernel half
                 (0xffff800000000000): an error or a killed process
  huge_phnum     e_phnum = 0xffff: ENOEXEC
  bad_entry      e_entry = 0: the process starts and dies of SIGSEGV
  overlap        the second PT_LOAD placed over the first: an error, a
                 killed process, or (as Linux allows) a run

    user/mkbadelf.py <good elf> <output dir>
"""

import struct
import sys
from pathlib import Path

EM_X86_64 = 62
PT_LOAD = 1
EHDR = "<16sHHIQQQIHHHHHH"      # Elf64_Ehdr
PHDR = "<IIQQQQQQ"              # Elf64_Phdr


def main():
    good, out = Path(sys.argv[1]).read_bytes(), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    eh = list(struct.unpack_from(EHDR, good))
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    phdrs = [list(struct.unpack_from(PHDR, good, phoff + i * phentsize))
             for i in range(phnum)]
    loads = [i for i, p in enumerate(phdrs) if p[0] == PT_LOAD]

    def with_header(**kw):
        e = list(eh)
        names = ["ident", "type", "machine", "version", "entry", "phoff",
                 "shoff", "flags", "ehsize", "phentsize", "phnum",
                 "shentsize", "shnum", "shstrndx"]
        for k, v in kw.items():
            e[names.index(k)] = v
        b = bytearray(good)
        struct.pack_into(EHDR, b, 0, *e)
        return bytes(b)

    def with_phdr(i, **kw):
        p = list(phdrs[i])
        names = ["type", "flags", "offset", "vaddr", "paddr", "filesz",
                 "memsz", "align"]
        for k, v in kw.items():
            p[names.index(k)] = v
        b = bytearray(good)
        struct.pack_into(PHDR, b, phoff + i * phentsize, *p)
        return bytes(b)

    first = phdrs[loads[0]]
    files = {
        "notelf": b"this is not an executable\n",
        "trunc_hdr": good[:100],
        "trunc_seg": good[:first[2] + first[5] // 2],
        "wrong_machine": with_header(machine=EM_X86_64),
        "kernel_seg": with_phdr(loads[0], vaddr=0xffff800000000000,
                                paddr=0xffff800000000000),
        "huge_phnum": with_header(phnum=0xffff),
        "bad_entry": with_header(entry=0),
        "overlap": with_phdr(loads[1], vaddr=first[3], paddr=first[4]),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
