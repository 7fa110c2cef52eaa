/* Driver for QEMU's "edu" teaching device (docs/specs/edu.txt in QEMU):
 * raises an interrupt on demand, by MSI or INTx, so the PCI interrupt
 * paths can be tested end to end.  Interface for kmain and the tests. */
#ifndef EDU_H
#define EDU_H

#include "pci.h"

/* Probes the device (1234:11e8) after pci_init(); a no-op if absent.
 * Kernel argument edu.irq=msi|intx|poll limits the interrupt mode
 * (default: the best one available).  Context: thread, once. */
void edu_init(void);
bool edu_present(void);
struct pci_dev *edu_pci_dev(void);

/* Re-does the interrupt setup with only the modes in `allowed`
 * (PCI_IRQ_ALLOW_*); returns the number of vectors (0 = polling) or a
 * negative errno, in which case the device is left in poll mode.
 * Context: thread. */
int edu_set_irq_mode(unsigned allowed);
enum pci_irq_mode edu_irq_mode(void);
/* INTID in use, -1 in poll mode. */
int edu_irq(void);

/* Writes `value` to the interrupt-raise register: status |= value, and
 * the device signals an interrupt. */
void edu_raise(uint32_t value);
uint32_t edu_irq_status(void);
/* Poll mode: handles pending status as the handler would; returns the
 * bits acknowledged. */
uint32_t edu_poll(void);

struct edu_stats {
    uint64_t raised;        /* edu_raise() calls */
    uint64_t irqs;          /* handler calls that found status set */
    uint64_t not_mine;      /* handler calls with status 0 (shared INTx) */
    uint64_t polled;        /* edu_poll() calls that found status set */
    uint32_t acked_bits;    /* OR of every status acknowledged */
};
void edu_get_stats(struct edu_stats *s);
/* Sleeps until stats.irqs >= target or the timeout passes. */
bool edu_wait_irqs(uint64_t target, uint64_t timeout_ns);

#endif
