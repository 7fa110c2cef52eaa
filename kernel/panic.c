/* panic() and orderly power-off. */
#include "panic.h"
#include "arch.h"
#include "printk.h"
#include "psci.h"

extern bool console_panic_mode;
static bool panicking;

noreturn void kernel_poweroff(int status)
{
    arch_irq_disable();
    klog("%s %d", POWEROFF_MARKER, status);
    psci_system_off();
}

noreturn void panic(const char *fmt, ...)
{
    arch_irq_disable();
    console_panic_mode = true;
    if (panicking) {
        /* A panic while panicking: do not risk a third. */
        kprintf("\nKERNEL PANIC (nested)\n");
        kernel_poweroff(1);
    }
    panicking = true;

    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    klog("KERNEL PANIC: %s", msg);
    kernel_poweroff(1);
}
