/* GICv2m MSI frame (Arm "GICv2m" spec, ARM DDI 0530? / Linux
 * irq-gic-v2m.c): turns a device's MSI write into an SPI. */
#ifndef GICV2M_H
#define GICV2M_H

#include "kernel.h"

struct msi_msg {
    uint64_t address;
    uint32_t data;
};

/* Finds the frame in the DTB (arm,gic-v2m-frame with msi-controller), reads
 * MSI_TYPER.  Returns 0, or -ENODEV when there is none. */
int gicv2m_init(void);
bool gicv2m_present(void);
/* Allocate `count` SPIs (naturally aligned block of the next power of two);
 * returns the first INTID or -ENOSPC.  The SPIs are configured
 * edge-triggered and left disabled. */
int gicv2m_alloc(unsigned count);
void gicv2m_free(unsigned first_intid, unsigned count);
/* The message a device writes to raise `intid`. */
void gicv2m_compose(unsigned intid, struct msi_msg *msg);
/* For tests: cap the number of allocatable SPIs (0 = no cap). */
void gicv2m_set_limit(unsigned max_spis);
unsigned gicv2m_spi_base(void);
unsigned gicv2m_spi_count(void);

#endif
