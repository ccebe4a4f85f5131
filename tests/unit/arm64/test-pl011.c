// SPDX-License-Identifier: Apache-2.0
/* The PL011 model's registers, as Linux's amba-pl011 driver and earlycon use them. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "devices.h"

struct line {
	bool high;
	unsigned changes;
	unsigned gsi;
};

static void set_level(void *opaque, unsigned gsi, bool high)
{
	struct line *l = opaque;

	l->high = high;
	l->gsi = gsi;
	l->changes++;
}

static uint32_t rd(struct pl011 *u, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	pl011_ops.read(u, off, &v, 4);
	return v;
}

static void wr(struct pl011 *u, uint64_t off, uint32_t v)
{
	pl011_ops.write(u, off, &v, 4);
}

int main(void)
{
	static const uint8_t ids[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	struct line line = { 0 };
	struct pl011 u;
	int fds[2];
	char out[16] = { 0 };
	uint8_t b;
	uint16_t w;

	if (!check_ok(pipe2(fds, O_NONBLOCK) == 0))
		return check_summary("pl011");
	pl011_init(&u, fds[1], (struct irq_line){ set_level, &line, 1 });

	/* The AMBA bus matches the PrimeCell IDs (arm,primecell, part 0x011). */
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(rd(&u, 0xfe0 + 4 * i), ids[i]);
	/* Reset: TX FIFO empty, RX FIFO empty, TXE|RXE. */
	CHECK_EQ(rd(&u, 0x018), 0x90);
	CHECK_EQ(rd(&u, 0x030), 0x300);

	/* Transmit goes to the fd; with TXIM unmasked the TX interrupt follows, ICR clears it. */
	wr(&u, 0x000, 'o');
	wr(&u, 0x000, 'k');
	CHECK_EQ(read(fds[0], out, sizeof(out)), 2);
	CHECK(!memcmp(out, "ok", 2));
	CHECK(!line.high);
	CHECK_EQ(rd(&u, 0x03c), 0x20);  /* RIS.TX */
	CHECK_EQ(rd(&u, 0x040), 0);     /* masked */
	wr(&u, 0x038, 0x20);
	CHECK(line.high);
	CHECK_EQ(line.gsi, 1);
	CHECK_EQ(rd(&u, 0x040), 0x20);
	wr(&u, 0x044, 0x20);
	CHECK(!line.high);
	CHECK_EQ(rd(&u, 0x03c), 0);

	/* Receive: RX and RT status while data waits, FR.RXFE clear; reading drains. */
	wr(&u, 0x038, 0x50);  /* RXIM | RTIM */
	CHECK_EQ(pl011_push_input(&u, (const uint8_t *)"hi", 2), 2);
	CHECK(line.high);
	CHECK_EQ(rd(&u, 0x018) & 0x10, 0);
	CHECK_EQ(rd(&u, 0x03c), 0x50);
	wr(&u, 0x044, 0x7ff);  /* ICR cannot drop input that is still there */
	CHECK(line.high);
	CHECK_EQ(rd(&u, 0x000), 'h');
	CHECK_EQ(rd(&u, 0x000), 'i');
	CHECK(!line.high);
	CHECK_EQ(rd(&u, 0x018) & 0x10, 0x10);
	CHECK_EQ(rd(&u, 0x000), 0);     /* empty: reads 0 */

	/* Loopback (CR.LBE): transmitted bytes come back as input, not out of the fd. */
	wr(&u, 0x030, 0x381);
	wr(&u, 0x000, 'x');
	CHECK_EQ(rd(&u, 0x000), 'x');
	CHECK(read(fds[0], out, sizeof(out)) < 0);
	wr(&u, 0x030, 0x301);

	/* Writable fields keep only their bits; read-only registers ignore writes. */
	wr(&u, 0x024, 0xffffffff);
	CHECK_EQ(rd(&u, 0x024), 0xffff);
	wr(&u, 0x028, 0xff);
	CHECK_EQ(rd(&u, 0x028), 0x3f);
	wr(&u, 0x02c, 0x170);
	CHECK_EQ(rd(&u, 0x02c), 0x70);
	wr(&u, 0x018, 0);
	CHECK_EQ(rd(&u, 0x018), 0x90);
	wr(&u, 0xfe0, 0);
	CHECK_EQ(rd(&u, 0xfe0), 0x11);

	/* Narrow accesses see the low bytes; unaligned or wide ones read 0 and write nothing. */
	pl011_ops.read(&u, 0x018, &b, 1);
	CHECK_EQ(b, 0x90);
	pl011_ops.read(&u, 0x030, &w, 2);
	CHECK_EQ(w, 0x301);
	{
		uint32_t v = 0xffffffff;
		uint64_t q = ~0ULL;

		pl011_ops.read(&u, 0x019, &v, 4);
		CHECK_EQ(v, 0);
		pl011_ops.read(&u, 0x018, &q, 8);
		CHECK_EQ(q, 0);
		pl011_ops.write(&u, 0x001, &v, 1);
		CHECK(read(fds[0], out, sizeof(out)) < 0);
	}

	/* The receive buffer is bounded: input beyond it is refused. */
	{
		static uint8_t big[PL011_RX_BUF + 10];

		CHECK_EQ(pl011_push_input(&u, big, sizeof(big)), PL011_RX_BUF);
		CHECK_EQ(rd(&u, 0x018) & 0x40, 0x40);  /* RXFF */
		CHECK_EQ(pl011_push_input(&u, big, 1), 0);
	}
	pl011_destroy(&u);
	close(fds[0]);
	close(fds[1]);
	return check_summary("pl011");
}
