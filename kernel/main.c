/* kmain: bring the machine up in dependency order.
 *
 *   console (early UART) -> device tree -> command line -> frames ->
 *   kernel page tables -> console (from the DTB) -> GIC -> GICv2m ->
 *   scheduler -> timer -> RTC -> PCI -> drivers -> softirq thread ->
 *   monitor -> IRQs on -> network configuration -> "kernel ready" ->
 *   syscalls, VFS and initramfs -> tests -> pid 1 (kernel/init.c)
 */
#include "arch.h"
#include "cmdline.h"
#include "console.h"
#include "dt.h"
#include "gic.h"
#include "gicv2m.h"
#include "kmon.h"
#include "ktest.h"
#include "mm.h"
#include "net.h"
#include "netpoll.h"
#include "panic.h"
#include "pci.h"
#include "printk.h"
#include "psci.h"
#include "sched.h"
#include "softirq.h"
#include "syscall.h"
#include "vfs.h"
#include "../arch/arm64/trap.h"
#include "time.h"
#include "virtio.h"

extern char _start[], _end[];
void mmu_drop_identity(void);
void userspace_start(void);

paddr_t kimage_phys;

/* head.S maps physical 1..4 GiB in the boot linear map; the DTB must be
 * in there to be read before mmu_init().  Linux caps a DTB at 2 MiB. */
#define BOOT_LINEAR_START   0x40000000UL
#define BOOT_LINEAR_END     0x100000000UL
#define DTB_MAX_SIZE        0x200000UL

static void dtb_setup(paddr_t dtb)
{
    if (dtb == 0)
        panic("no device tree: the boot loader passed x0 = 0");
    if ((dtb & 7) || dtb < BOOT_LINEAR_START || dtb >= BOOT_LINEAR_END)
        panic("no device tree: x0 = %#lx is not a usable DTB address",
              (unsigned long)dtb);
    size_t avail = MIN(DTB_MAX_SIZE, BOOT_LINEAR_END - dtb);
    int err = dt_init(phys_to_virt(dtb), avail);
    if (err)
        panic("device tree at %#lx: %s", (unsigned long)dtb,
              fdt_strerror(err));
}

static void memory_setup(paddr_t dtb)
{
    struct dt_range mem[DT_MAX_MEM];
    int n = dt_memory(mem, DT_MAX_MEM);

    if (n <= 0)
        panic("device tree: no memory node, cannot find RAM");
    for (int i = 0; i < n; i++) {
        klog("memory: %#lx..%#lx (%lu MiB)", (unsigned long)mem[i].base,
             (unsigned long)(mem[i].base + mem[i].size),
             (unsigned long)(mem[i].size >> 20));
        frame_add_memory(mem[i].base, mem[i].size);
    }
    frame_reserve(kimage_phys, (uint64_t)(_end - _start));
    frame_reserve(dtb, dt_totalsize());
    const struct fdt *f = dt_fdt();
    for (int i = 0; i < fdt_rsv_count(f); i++) {
        uint64_t base, size;
        if (fdt_rsv_get(f, i, &base, &size) == 0 && size)
            frame_reserve(base, size);
    }
    uint64_t rd_start, rd_end;
    if (dt_initrd(&rd_start, &rd_end) && rd_end > rd_start)
        frame_reserve(rd_start, rd_end - rd_start);
    frame_init_done();
    klog("memory: %lu frames free of %lu", (unsigned long)frame_free_count(),
         (unsigned long)frame_total_count());
}

noreturn void kmain(paddr_t dtb, paddr_t image)
{
    kimage_phys = image;
    pl011_early_init();
    klog("booting: image at %#lx, DTB at %#lx", (unsigned long)image,
         (unsigned long)dtb);

    dtb_setup(dtb);
    cmdline_init(dt_bootargs());
    klog("command line: %s", cmdline_raw());
    psci_init();
    memory_setup(dtb);

    mmu_init();
    pl011_init();
    mmu_drop_identity();

    gic_init();
    gicv2m_init();
    sched_init();
    timer_init();
    rtc_init();
    pci_init();
    edu_init();
    softirq_start_thread();
    netpoll_subsys_init();
    virtio_net_init();
    kmon_init();
    arch_irq_enable();
    net_init();

    uint64_t ready = time_ns();
    klog("kernel ready (%lu us)", (unsigned long)(ready / 1000));

    syscall_init();
    trap_user_init();
    vfs_init();
    ktest_run_from_cmdline();
    if (!cmdline_get("ktest"))
        userspace_start();

    sched_idle();
}
