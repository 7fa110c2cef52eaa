# Build, run and test the kernel.  `make` builds build/kernel.elf and
# build/kernel.bin; `make run` and `make test` install what is missing first.

CC      := clang
LD      := ld.lld
OBJCOPY := llvm-objcopy
BUILD   := build
CMDLINE ?=
CPU     ?= cortex-a57
MEM     ?= 512M

TARGET  := --target=aarch64-none-elf
CFLAGS  := $(TARGET) -std=c11 -ffreestanding -fno-builtin -nostdlib -nostdinc \
           -isystem $(shell $(CC) -print-resource-dir)/include \
           -mcpu=cortex-a57 -mgeneral-regs-only -mcmodel=small -fno-pic \
           -fno-stack-protector -fno-omit-frame-pointer -O2 -g \
           -Wall -Wextra -Werror -Wno-unused-parameter \
           -Iinclude -MMD -MP
ASFLAGS := $(TARGET) -Iinclude -MMD -MP -g
LDFLAGS := -nostdlib -static -T arch/arm64/kernel.ld --no-undefined

SRCS := $(wildcard arch/arm64/*.c arch/arm64/*.S kernel/*.c mm/*.c lib/*.c \
                  drivers/*.c drivers/*/*.c net/*.c fs/*.c)
OBJS := $(patsubst %,$(BUILD)/%.o,$(basename $(SRCS)))

all: $(BUILD)/kernel.bin $(BUILD)/initramfs.cpio

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -c $< -o $@

$(BUILD)/kernel.elf: $(OBJS) arch/arm64/kernel.ld
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) $(OBJS) -o $@

$(BUILD)/kernel.bin: $(BUILD)/kernel.elf
	@echo "  OBJCOPY $@"
	@$(OBJCOPY) -O binary $< $@

# User programs (user/): static arm64 binaries against Debian's musl
# (musl-dev:arm64), built with the aarch64 cross gcc and musl's specs file.
# Test programs in user/tests/ go to /bin/tests/ in the initramfs; t_pie is
# linked static-pie (ET_DYN, self-relocating rcrt1.o), as is /bin/tiny-pie.
UCC      := aarch64-linux-gnu-gcc
MUSL     := /usr/lib/aarch64-linux-musl
UCFLAGS  := -specs=$(MUSL)/musl-gcc.specs -std=c11 -D_GNU_SOURCE -O2 \
            -Wall -Wextra -Werror -Wno-unused-parameter -Iuser/lib
ULDFLAGS := -specs=$(MUSL)/musl-gcc.specs -static -s
UGCC_DIR  = $(dir $(shell $(UCC) -print-libgcc-file-name))
# Static-pie by hand: musl's specs file only knows static and dynamic.
UPIE_LINK = $(UCC) -nostdlib -static-pie $(MUSL)/rcrt1.o $(MUSL)/crti.o \
            $(UGCC_DIR)crtbeginS.o $(1) $(MUSL)/libc.a $(UGCC_DIR)libgcc.a \
            $(UGCC_DIR)crtendS.o $(MUSL)/crtn.o -o $(2)
UBUILD   := $(BUILD)/user
USER_PROGS := init selfcheck tiny fdcheck leak bench_proc
USER_TESTS := $(sort $(notdir $(basename $(wildcard user/tests/*.c))))
USER_BINS  := $(USER_PROGS:%=$(UBUILD)/%) $(UBUILD)/tiny-pie \
              $(USER_TESTS:%=$(UBUILD)/tests/%)
USER_HDRS  := $(wildcard user/lib/*.h)
BADELF     := $(UBUILD)/data/notelf

$(UBUILD)/%.o: user/%.c $(USER_HDRS)
	@mkdir -p $(dir $@)
	@echo "  UCC     $<"
	@$(UCC) $(UCFLAGS) -fPIE -c $< -o $@

$(UBUILD)/tests/t_pie: $(UBUILD)/tests/t_pie.o
	@echo "  ULD     $@ (static-pie)"
	@$(call UPIE_LINK,$<,$@)

$(UBUILD)/tiny-pie: $(UBUILD)/tiny.o
	@echo "  ULD     $@ (static-pie)"
	@$(call UPIE_LINK,$<,$@)

$(UBUILD)/%: $(UBUILD)/%.o
	@echo "  ULD     $@"
	@$(UCC) $(ULDFLAGS) $< -o $@

$(BADELF): $(UBUILD)/tiny user/mkbadelf.py
	@echo "  GEN     $(UBUILD)/data"
	@/usr/bin/python3 user/mkbadelf.py $(UBUILD)/tiny $(UBUILD)/data

# Busybox applets as symlinks in /bin, and the test programs.
BB_LINKS := sh ash ls cat echo true false poweroff reboot ps mkdir rmdir rm \
            cp mv ln sleep env printf test kill mount umount uname dmesg \
            head tail wc grep sed sort hexdump od stat touch pwd id ps free \
            awk basename chmod clear cmp cut date dd df diff dirname du \
            expr find hostname less md5sum mkfifo mknod more nproc pidof \
            readlink realpath seq setsid sha256sum stty sync tee time \
            timeout top tr tty uniq uptime vi which xargs yes \
            wget nc nslookup
# Rewritten only when its text changes (a test added or removed), so the
# archive is rebuilt exactly then.
$(BUILD)/initramfs.list: user/initramfs.list FORCE
	@mkdir -p $(dir $@)
	@{ cat user/initramfs.list; \
	   for l in $(sort $(BB_LINKS)); do echo "slink /bin/$$l busybox 777 0 0"; done; \
	   for t in $(USER_TESTS); do echo "file /bin/tests/$$t $(UBUILD)/tests/$$t 755 0 0"; done; \
	 } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(BUILD)/initramfs.cpio: $(BUILD)/initramfs.list $(USER_BINS) $(BADELF) \
                         tools/mkinitramfs.py $(wildcard user/data/*)
	@test -x $(BUILD)/busybox/bin/busybox || tools/setup.sh
	@echo "  CPIO    $@"
	@/usr/bin/python3 tools/mkinitramfs.py -o $@ $(BUILD)/initramfs.list

initramfs: $(BUILD)/initramfs.cpio

QEMU      := qemu-system-aarch64
QEMUFLAGS := -machine virt,gic-version=2 -cpu $(CPU) -smp 1 -m $(MEM) \
             -nographic -no-reboot -net none
setup:
	@tools/setup.sh

run: setup $(BUILD)/kernel.bin $(BUILD)/initramfs.cpio
	$(QEMU) $(QEMUFLAGS) -kernel $(BUILD)/kernel.bin \
	    -initrd $(BUILD)/initramfs.cpio -append "$(CMDLINE)"

test: setup
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 tests/run_all.py

bench-boot: setup
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 tests/bench/boot.py

bench-net-irq: setup
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 tests/bench/net_irq.py

bench-net: setup
	@tools/setup.sh bench
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 tests/bench/net.py

bench-proc: setup
	@$(MAKE) --no-print-directory all
	@/usr/bin/python3 tests/bench/proc.py

clean:
	rm -rf $(BUILD)

.PHONY: FORCE all setup run test clean bench-boot bench-net-irq bench-net bench-proc initramfs
-include $(OBJS:.o=.d)
