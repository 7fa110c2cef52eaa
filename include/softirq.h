/* Deferred work ("bottom halves").  An interrupt handler raises a softirq;
 * it runs once, after the handler's EOI, at interrupt exit with IRQs
 * unmasked, or in the ksoftirqd thread if work keeps arriving.  Raising an
 * already pending softirq does not queue a second run. */
#ifndef SOFTIRQ_H
#define SOFTIRQ_H

#include "kernel.h"

enum softirq_nr {
    SOFTIRQ_TIMER,
    SOFTIRQ_NET_RX,
    SOFTIRQ_NET_TX,
    SOFTIRQ_BLOCK,
    SOFTIRQ_TEST,
    SOFTIRQ_COUNT
};

void softirq_register(enum softirq_nr nr, void (*fn)(void), const char *name);
void softirq_raise(enum softirq_nr nr);
/* Runs pending softirqs; called at IRQ exit and by ksoftirqd. */
void softirq_run(void);
void softirq_start_thread(void);
bool in_softirq(void);

uint64_t softirq_raise_count(enum softirq_nr nr);
uint64_t softirq_run_count(enum softirq_nr nr);

#endif
