/* PSCI calls (Arm DEN 0022D, 5.1): function id in x0, conduit HVC or SMC as
 * the DTB's /psci "method" says.  QEMU virt uses HVC and ends the emulation
 * on SYSTEM_OFF. */
#include "psci.h"
#include "dt.h"
#include "string.h"

#define PSCI_SYSTEM_OFF     0x84000008

static bool psci_use_smc;

void psci_init(void)
{
    int node = dt_find_compatible(-1, "arm,psci-0.2");

    if (node < 0)
        node = dt_find_compatible(-1, "arm,psci");
    if (node >= 0) {
        int len;
        const char *method = dt_getprop(node, "method", &len);
        psci_use_smc = method && len >= 4 && strncmp(method, "smc", 3) == 0;
    }
}

static void psci_call(uint64_t fn)
{
    register uint64_t x0 __asm__("x0") = fn;

    if (psci_use_smc)
        __asm__ volatile("smc #0" : "+r"(x0) : : "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
}

noreturn void psci_system_off(void)
{
    psci_call(PSCI_SYSTEM_OFF);
    for (;;)
        __asm__ volatile("wfi");
}
