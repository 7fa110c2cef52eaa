/* ARM PL011 UART (PrimeCell UART TRM, DDI 0183), polled transmit.
 * Until the DTB has been read, output goes to QEMU virt's UART through the
 * boot identity map (the only hard-coded device address in the kernel); then
 * pl011_init() maps the UART that /chosen/stdout-path names. */
#include "arch.h"
#include "console.h"
#include "dt.h"
#include "mm.h"
#include "irq.h"
#include "kmon.h"
#include "tty.h"
#include "printk.h"

#define UART_DR         0x00    /* data */
#define UART_FR         0x18    /* flags */
#define UART_FR_TXFF    (1 << 5)
#define UART_FR_RXFE    (1 << 4)
#define UART_IMSC       0x38    /* interrupt mask set/clear */
#define UART_ICR        0x44    /* interrupt clear */
#define UART_INT_RX     (1 << 4)    /* receive */
#define UART_INT_RT     (1 << 6)    /* receive timeout */

#define EARLY_UART_PHYS 0x09000000UL

static volatile uint8_t *uart_base;
static int uart_irq = -1;

static void pl011_putc(char c)
{
    while (mmio_read32(uart_base + UART_FR) & UART_FR_TXFF)
        ;
    mmio_write32(uart_base + UART_DR, (uint8_t)c);
}

void pl011_early_init(void)
{
    /* Identity-mapped by head.S (first GiB as device memory). */
    uart_base = (volatile uint8_t *)EARLY_UART_PHYS;
    console_set_putc(pl011_putc);
}

int pl011_getc(void)
{
    if (mmio_read32(uart_base + UART_FR) & UART_FR_RXFE)
        return -1;
    return mmio_read32(uart_base + UART_DR) & 0xff;
}

void pl011_init(void)
{
    int node = dt_stdout_node();
    uint64_t pa, size;

    if (node < 0 || !dt_is_compatible(node, "arm,pl011")) {
        node = dt_find_compatible(-1, "arm,pl011");
    }
    if (node < 0 || !dt_reg(node, 0, &pa, &size)) {
        klog("pl011: no UART in the device tree, keeping the early one");
        return;
    }
    volatile uint8_t *va = ioremap(pa, size);
    if (!va)
        return;
    uart_irq = dt_irq(node, 0, NULL);
    mmio_write32(va + UART_IMSC, 0);
    mmio_write32(va + UART_ICR, 0x7ff);
    uart_base = va;
    klog("console: pl011 at %#lx (%s)", (unsigned long)pa, dt_node_name(node));
}

/* Receive interrupt: drain the FIFO into the TTY or the monitor.  Clear first, then drain: a byte landing between the last
 * read and a later clear would have its interrupt wiped while it sits in
 * the FIFO, and QEMU's PL011 only raises RX again when the FIFO goes from
 * empty to non-empty, so console input would stop for good.  In this
 * order a byte that arrives during the drain is read by it (at worst one
 * spurious interrupt finds the FIFO empty). */
static void pl011_irq(unsigned irq, void *ctx)
{
    int c;

    mmio_write32(uart_base + UART_ICR, UART_INT_RX | UART_INT_RT);
    /* After tty_init() the console belongs to user space. */
    bool tty = tty_active();
    while ((c = pl011_getc()) >= 0) {
        if (tty)
            tty_input_byte((char)c);
        else
            kmon_rx_byte((char)c);
    }
    if (tty)
        tty_input_done();
    else
        kmon_rx_done();
}

void pl011_enable_rx_irq(void)
{
    if (uart_irq < 0) {
        klog("pl011: no interrupt in the device tree, no console input");
        return;
    }
    if (irq_register(uart_irq, IRQ_TRIGGER_LEVEL, pl011_irq, NULL, "pl011"))
        return;
    mmio_write32(uart_base + UART_IMSC, UART_INT_RX | UART_INT_RT);
    irq_enable(uart_irq);
}
