// SPDX-License-Identifier: Apache-2.0
/*
 * An ARM PrimeCell PL011 UART: what Linux's amba-pl011 driver and its
 * earlycon use. Transmit goes straight to a file descriptor (the FIFO is
 * always empty, so TXFF never sets), receive from a buffer the host side
 * fills. The interrupt line is level: high while RIS & IMSC. The RX and
 * receive-timeout bits of RIS follow the buffer (set while it holds data),
 * so the guest's ICR writes cannot lose input; TX is raised by each
 * transmitted byte and cleared by ICR, as on the real part when its FIFO
 * drains. The AMBA bus identifies the device by its PrimeCell ID registers.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"

enum {
	PL011_DR = 0x000, PL011_RSR = 0x004, PL011_FR = 0x018, PL011_ILPR = 0x020,
	PL011_IBRD = 0x024, PL011_FBRD = 0x028, PL011_LCR_H = 0x02c, PL011_CR = 0x030,
	PL011_IFLS = 0x034, PL011_IMSC = 0x038, PL011_RIS = 0x03c, PL011_MIS = 0x040,
	PL011_ICR = 0x044, PL011_DMACR = 0x048, PL011_ID = 0xfe0,
};

#define FR_RXFE  (1u << 4)
#define FR_TXFF  (1u << 5)
#define FR_RXFF  (1u << 6)
#define FR_TXFE  (1u << 7)
#define INT_RX   (1u << 4)
#define INT_TX   (1u << 5)
#define INT_RT   (1u << 6)
#define INT_ALL  0x7ffu
#define CR_LBE   (1u << 7)

/* PeriphID0-3 (part 0x011, designer ARM, revision 1), then PrimeCell ID0-3. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

void pl011_init(struct pl011 *u, int out_fd, struct irq_line irq)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->out_fd = out_fd;
	u->irq = irq;
	u->cr = 0x300;     /* TXE | RXE, as after reset */
	u->ifls = 0x12;    /* both FIFO levels at half */
}

void pl011_destroy(struct pl011 *u)
{
	pthread_mutex_destroy(&u->lock);
}

static uint32_t pl011_ris(const struct pl011 *u)
{
	return u->ris_tx | (u->rx_count ? INT_RX | INT_RT : 0);
}

/* Called with the lock held after every state change. */
static void pl011_update_irq(struct pl011 *u)
{
	bool high = (pl011_ris(u) & u->imsc) != 0;

	if (high != u->irq_high) {
		u->irq_high = high;
		irq_line_set(&u->irq, high);
	}
}

static void pl011_rx_put(struct pl011 *u, uint8_t byte)
{
	if (u->rx_count == PL011_RX_BUF) {
		if (!u->rx_dropped_warned)
			log_warn("pl011: guest is not reading its console; input dropped");
		u->rx_dropped_warned = true;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % PL011_RX_BUF] = byte;
	u->rx_count++;
}

static void pl011_transmit(struct pl011 *u, uint8_t byte)
{
	if (u->cr & CR_LBE) {
		pl011_rx_put(u, byte);
	} else if (u->out_fd >= 0) {
		ssize_t n;

		do
			n = write(u->out_fd, &byte, 1);
		while (n < 0 && errno == EINTR);
	}
	u->ris_tx = INT_TX;
}

size_t pl011_push_input(struct pl011 *u, const uint8_t *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = PL011_RX_BUF - u->rx_count;
	if (n > len)
		n = len;
	for (size_t i = 0; i < n; i++)
		pl011_rx_put(u, buf[i]);
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

static uint32_t pl011_read_reg(struct pl011 *u, uint64_t reg)
{
	uint32_t v;

	if (reg >= PL011_ID && reg < PL011_ID + 4 * sizeof(pl011_id))
		return pl011_id[(reg - PL011_ID) / 4];
	switch (reg) {
	case PL011_DR:
		if (!u->rx_count)
			return 0;
		v = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % PL011_RX_BUF;
		u->rx_count--;
		return v;
	case PL011_FR:
		return FR_TXFE | (u->rx_count ? 0 : FR_RXFE) | (u->rx_count == PL011_RX_BUF ? FR_RXFF : 0);
	case PL011_ILPR: return u->ilpr;
	case PL011_IBRD: return u->ibrd;
	case PL011_FBRD: return u->fbrd;
	case PL011_LCR_H: return u->lcr_h;
	case PL011_CR: return u->cr;
	case PL011_IFLS: return u->ifls;
	case PL011_IMSC: return u->imsc;
	case PL011_RIS: return pl011_ris(u);
	case PL011_MIS: return pl011_ris(u) & u->imsc;
	case PL011_DMACR: return u->dmacr;
	default:  /* RSR (no errors ever), ICR (write-only), reserved */
		return 0;
	}
}

static void pl011_write_reg(struct pl011 *u, uint64_t reg, uint32_t v)
{
	switch (reg) {
	case PL011_DR: pl011_transmit(u, (uint8_t)v); break;
	case PL011_ILPR: u->ilpr = v & 0xff; break;
	case PL011_IBRD: u->ibrd = v & 0xffff; break;
	case PL011_FBRD: u->fbrd = v & 0x3f; break;
	case PL011_LCR_H: u->lcr_h = v & 0xff; break;
	case PL011_CR: u->cr = v & 0xff87; break;
	case PL011_IFLS: u->ifls = v & 0x3f; break;
	case PL011_IMSC: u->imsc = v & INT_ALL; break;
	case PL011_ICR: u->ris_tx &= ~(v & INT_TX); break;
	case PL011_DMACR: u->dmacr = v & 0x7; break;  /* no DMA: the driver falls back to PIO */
	default:  /* RSR/ECR clears errors there are none of; FR, RIS, MIS, IDs are read-only */
		break;
	}
}

/* Registers are 32 bits wide at word offsets; narrower accesses see the low bytes. */
static void pl011_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct pl011 *u = opaque;
	uint32_t v = 0;

	memset(data, 0, len);
	if (offset % 4 || len > 4)
		return;
	pthread_mutex_lock(&u->lock);
	v = pl011_read_reg(u, offset);
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	memcpy(data, &v, len);  /* little-endian host and guest */
}

static void pl011_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct pl011 *u = opaque;
	uint32_t v = 0;

	if (offset % 4 || len > 4)
		return;
	memcpy(&v, data, len);
	pthread_mutex_lock(&u->lock);
	pl011_write_reg(u, offset, v);
	pl011_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

const struct bus_device_ops pl011_ops = {
	.read = pl011_read,
	.write = pl011_write,
};
