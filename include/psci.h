/* PSCI (Arm DEN 0022): power off through the firmware. */
#ifndef PSCI_H
#define PSCI_H

#include "kernel.h"

void psci_init(void);       /* reads the conduit (hvc/smc) from the DTB */
noreturn void psci_system_off(void);

#endif
