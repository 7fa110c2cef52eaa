/* GICv2m MSI frame (Arm GICv2m architecture specification; Linux
 * drivers/irqchip/irq-gic-v2m.c): turns a device's MSI write into an SPI.
 * Implemented in drivers/irqchip/gicv2m.c. */
#ifndef GICV2M_H
#define GICV2M_H

#include "kernel.h"

struct msi_msg {
    uint64_t address;
    uint32_t data;
};

/* Finds the frame in the DTB (arm,gic-v2m-frame with msi-controller; the
 * one the PCIe host's msi-map/msi-parent names first), reads MSI_TYPER (or
 * arm,msi-base-spi/arm,msi-num-spis when both are given) and checks the
 * range.  Returns 0; -ENODEV when there is no frame, -EINVAL for a range
 * the GIC cannot deliver, -ENOMEM if it cannot be mapped (all logged).
 * Call after gic_init().  Context: thread, once. */
int gicv2m_init(void);
bool gicv2m_present(void);
/* Allocate `count` SPIs (naturally aligned block of the next power of two);
 * returns the first INTID, -ENOSPC when no such block is free (or the test
 * cap is reached), -ENODEV without a frame, -EINVAL for 0.  The SPIs are
 * configured edge-triggered, aimed at CPU 0 and left disabled.
 * gicv2m_free() takes the same count back.  Context: thread (IRQ-safe). */
int gicv2m_alloc(unsigned count);
void gicv2m_free(unsigned first_intid, unsigned count);
/* The message a device writes to raise `intid`. */
void gicv2m_compose(unsigned intid, struct msi_msg *msg);
/* For tests: cap the number of SPIs allocated at once, counting those
 * already held (0 = no cap). */
void gicv2m_set_limit(unsigned max_spis);
unsigned gicv2m_spi_base(void);
unsigned gicv2m_spi_count(void);
/* SPIs currently allocated (blocks count whole). */
unsigned gicv2m_used(void);
/* The frame's DT node (-1 if none) and physical base, so the PCI host can
 * check that its msi-map / msi-parent names this frame. */
int gicv2m_node(void);
paddr_t gicv2m_frame_phys(void);
/* For tests: raise an SPI the way a device would, by a CPU write of the
 * message data to the MSI_SETSPI_NS doorbell. */
void gicv2m_doorbell_write(uint32_t data);

#endif
