// SPDX-License-Identifier: Apache-2.0
/*
 * A 16550A UART: enough of the register model for Linux's 8250 driver
 * (including the loopback test its autoconfig runs), transmit straight to
 * a file descriptor, and a receive buffer filled from the host side.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

enum {
	UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_NONE  0x01
#define IIR_THRI  0x02
#define IIR_RDI   0x04
#define IIR_FIFO  0xc0
#define LCR_DLAB  0x80
#define MCR_LOOP  0x10
#define LSR_DR    0x01
#define LSR_THRE  0x20
#define LSR_TEMT  0x40
#define MSR_DCD   0x80
#define MSR_DSR   0x20
#define MSR_CTS   0x10

void serial8250_init(struct serial8250 *s, int out_fd, struct irq_line irq)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq = irq;
	s->mcr = 0x08;  /* OUT2: interrupts routed */
	s->dll = 0x0c;  /* 9600 baud until the guest says otherwise */
}

void serial8250_destroy(struct serial8250 *s)
{
	pthread_mutex_destroy(&s->lock);
}

static uint8_t serial_iir(const struct serial8250 *s)
{
	uint8_t fifo = (s->fcr & 1) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_count)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thr_irq_pending)
		return IIR_THRI | fifo;
	return IIR_NONE | fifo;
}

/* Called with the lock held after every state change. */
static void serial_update_irq(struct serial8250 *s)
{
	bool high = !(serial_iir(s) & IIR_NONE);

	if (high != s->irq_high) {
		s->irq_high = high;
		irq_line_set(&s->irq, high);
	}
}

static void serial_rx_put(struct serial8250 *s, uint8_t byte)
{
	if (s->rx_count == SERIAL8250_RX_BUF) {
		if (!s->rx_dropped_warned)
			log_warn("serial: guest is not reading its console; input dropped");
		s->rx_dropped_warned = true;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % SERIAL8250_RX_BUF] = byte;
	s->rx_count++;
}

static void serial_transmit(struct serial8250 *s, uint8_t byte)
{
	if (s->mcr & MCR_LOOP) {
		serial_rx_put(s, byte);
	} else if (s->out_fd >= 0) {
		ssize_t n;

		do
			n = write(s->out_fd, &byte, 1);
		while (n < 0 && errno == EINTR);
	}
	s->thr_irq_pending = true;
}

size_t serial8250_push_input(struct serial8250 *s, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = SERIAL8250_RX_BUF - s->rx_count;
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		serial_rx_put(s, buf[i]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static uint8_t serial_read_reg(struct serial8250 *s, uint64_t reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL8250_RX_BUF;
		s->rx_count--;
		return v;
	case UART_IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR_FCR:
		v = serial_iir(s);
		if ((v & 0x0f) == IIR_THRI)
			s->thr_irq_pending = false;
		return v;
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (s->rx_count ? LSR_DR : 0);
	case UART_MSR:
		if (s->mcr & MCR_LOOP)  /* DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			return (uint8_t)((s->mcr & 0x01) << 5 | (s->mcr & 0x02) << 3 |
					 (s->mcr & 0x04) << 4 | (s->mcr & 0x08) << 4);
		return MSR_DCD | MSR_DSR | MSR_CTS;
	default:
		return s->scr;
	}
}

static void serial_write_reg(struct serial8250 *s, uint64_t reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB)
			s->dll = v;
		else
			serial_transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
		} else {
			/* Enabling the THR interrupt with an empty THR raises it at once. */
			if ((v & IER_THRI) && !(s->ier & IER_THRI))
				s->thr_irq_pending = true;
			s->ier = v & 0x0f;
		}
		break;
	case UART_IIR_FCR:
		s->fcr = v & 0xc9;
		if (v & 0x02) {  /* clear the receive FIFO */
			s->rx_head = 0;
			s->rx_count = 0;
		}
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & 0x1f;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:  /* LSR and MSR are read-only */
		break;
	}
}

static void serial_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct serial8250 *s = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&s->lock);
	*(uint8_t *)data = serial_read_reg(s, offset);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct serial8250 *s = opaque;

	(void)len;
	pthread_mutex_lock(&s->lock);
	serial_write_reg(s, offset, *(const uint8_t *)data);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

const struct bus_device_ops serial8250_ops = {
	.read = serial_read,
	.write = serial_write,
};
