/* The serial console device. */
#ifndef CONSOLE_H
#define CONSOLE_H

void pl011_early_init(void);
void pl011_init(void);
int pl011_getc(void);   /* -1 if nothing received */
/* Deliver received bytes to the kernel monitor by interrupt. */
void pl011_enable_rx_irq(void);

#endif
