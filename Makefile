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

all: $(BUILD)/kernel.bin

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

QEMU      := qemu-system-aarch64
QEMUFLAGS := -machine virt,gic-version=2 -cpu $(CPU) -smp 1 -m $(MEM) \
             -nographic -no-reboot -net none
setup:
	@tools/setup.sh

run: setup $(BUILD)/kernel.bin
	$(QEMU) $(QEMUFLAGS) -kernel $(BUILD)/kernel.bin -append "$(CMDLINE)"

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

clean:
	rm -rf $(BUILD)

.PHONY: all setup run test clean bench-boot bench-net-irq bench-net
-include $(OBJS:.o=.d)
