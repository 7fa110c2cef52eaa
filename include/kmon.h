/* Kernel monitor on the serial console (kernel/kmon.c). */
#ifndef KMON_H
#define KMON_H

void kmon_init(void);
void kmon_rx_byte(char c);  /* UART IRQ: one received byte */
void kmon_rx_done(void);    /* UART IRQ: end of a burst */

#endif
