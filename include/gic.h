/* GICv2 distributor and CPU interface (Arm IHI 0048B). */
#ifndef GIC_H
#define GIC_H

#include "kernel.h"

void gic_init(void);
void gic_enable(unsigned irq);
void gic_disable(unsigned irq);
void gic_set_priority(unsigned irq, uint8_t prio);
void gic_set_edge(unsigned irq, bool edge);
void gic_set_target(unsigned irq, uint8_t cpumask);
void gic_clear_pending(unsigned irq);
void gic_set_pending(unsigned irq);
bool gic_is_pending(unsigned irq);
/* Returns the full IAR value (INTID in bits 9:0, source CPU for SGIs). */
uint32_t gic_ack(void);
void gic_eoi(uint32_t iar);
/* Software-generated interrupt to this CPU. */
void gic_send_sgi_self(unsigned sgi);
/* Number of interrupt ids the distributor implements. */
unsigned gic_num_irqs(void);

#endif
