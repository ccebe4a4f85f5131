// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for pci/: config-space masks, BAR sizing and moves, capability
 * lists, ECAM decode over several root buses, MSI-X over a fake
 * vm_irq_ops, and the virtio-pci common configuration against a trivial
 * fake virtio device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "layout.h"
#include "pci.h"
#include "virtio.h"

/* ---- fake vm_irq_ops ---------------------------------------------------------- */
#define FAKE_MAX 64

struct fake_irq {
	int efd[FAKE_MAX];
	bool used[FAKE_MAX];
	unsigned nr_updates;
	struct { int handle; uint64_t addr; uint32_t data; bool masked; } last;
	struct { uint64_t addr; unsigned len; int efd; bool on; } ioev[FAKE_MAX];
	unsigned nr_ioev_calls;
	unsigned gsi_high[32];
	int fail_create_after; /* -1: never */
};

static int fake_msi_create(void *opaque, int *ret_handle, int *ret_efd)
{
	struct fake_irq *fi = opaque;

	if (fi->fail_create_after == 0)
		return -ENOSPC;
	if (fi->fail_create_after > 0)
		fi->fail_create_after--;
	for (int i = 0; i < FAKE_MAX; i++) {
		if (fi->used[i])
			continue;
		fi->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fi->efd[i] < 0)
			return -errno;
		fi->used[i] = true;
		*ret_handle = i;
		*ret_efd = fi->efd[i];
		return 0;
	}
	return -ENOSPC;
}

static int fake_msi_update(void *opaque, int handle, uint64_t addr, uint32_t data, bool masked)
{
	struct fake_irq *fi = opaque;

	if (handle < 0 || handle >= FAKE_MAX || !fi->used[handle])
		return -EINVAL;
	fi->nr_updates++;
	fi->last.handle = handle;
	fi->last.addr = addr;
	fi->last.data = data;
	fi->last.masked = masked;
	return 0;
}

static void fake_msi_destroy(void *opaque, int handle)
{
	struct fake_irq *fi = opaque;

	if (handle >= 0 && handle < FAKE_MAX && fi->used[handle]) {
		close(fi->efd[handle]);
		fi->used[handle] = false;
	}
}

static int fake_ioeventfd(void *opaque, uint64_t addr, unsigned len, int64_t datamatch, int efd,
			  bool assign)
{
	struct fake_irq *fi = opaque;

	(void)datamatch;
	fi->nr_ioev_calls++;
	for (int i = 0; i < FAKE_MAX; i++) {
		if (assign && !fi->ioev[i].on) {
			fi->ioev[i].addr = addr;
			fi->ioev[i].len = len;
			fi->ioev[i].efd = efd;
			fi->ioev[i].on = true;
			return 0;
		}
		if (!assign && fi->ioev[i].on && fi->ioev[i].addr == addr && fi->ioev[i].efd == efd) {
			fi->ioev[i].on = false;
			return 0;
		}
	}
	return assign ? -ENOSPC : -ENOENT;
}

static int fake_ioev_find(struct fake_irq *fi, uint64_t addr)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (fi->ioev[i].on && fi->ioev[i].addr == addr)
			return fi->ioev[i].efd;
	return -1;
}

static unsigned fake_ioev_count(struct fake_irq *fi)
{
	unsigned n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += fi->ioev[i].on;
	return n;
}

static void fake_set_level(void *opaque, unsigned gsi, bool high)
{
	struct fake_irq *fi = opaque;

	if (gsi < 32)
		fi->gsi_high[gsi] = high;
}

static unsigned fake_open_msi(struct fake_irq *fi)
{
	unsigned n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += fi->used[i];
	return n;
}

static struct vm_irq_ops fake_ops(struct fake_irq *fi)
{
	memset(fi, 0, sizeof(*fi));
	fi->fail_create_after = -1;
	return (struct vm_irq_ops){
		.msi_create = fake_msi_create,
		.msi_update = fake_msi_update,
		.msi_destroy = fake_msi_destroy,
		.ioeventfd = fake_ioeventfd,
		.opaque = fi,
	};
}

static uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* ---- helpers -------------------------------------------------------------------- */

static uint32_t cfg_rd(struct pci_func *f, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	pci_func_cfg_read(f, reg, &v, len);
	return v;
}

static void cfg_wr(struct pci_func *f, unsigned reg, uint32_t v, unsigned len)
{
	pci_func_cfg_write(f, reg, &v, len);
}

struct moved {
	unsigned n;
	unsigned bar;
	uint64_t old_addr, new_addr;
	uint64_t last_off;
	unsigned reads;
};

static void t_bar_moved(struct pci_func *f, unsigned bar, uint64_t o, uint64_t n)
{
	struct moved *m = f->opaque;

	m->n++;
	m->bar = bar;
	m->old_addr = o;
	m->new_addr = n;
}

static void t_bar_read(struct pci_func *f, unsigned bar, uint64_t off, void *data, unsigned len)
{
	struct moved *m = f->opaque;

	m->reads++;
	m->last_off = off;
	memset(data, 0x5a + (int)bar, len);
}

static const struct pci_func_ops t_ops = { .bar_read = t_bar_read, .bar_moved = t_bar_moved };

static const struct pci_func_params t_params = {
	.vendor_id = 0x1234, .device_id = 0x5678, .subsys_vendor_id = 0x1af4, .subsys_id = 0x1100,
	.revision = 3, .class_code = 0x0c0330, .intx_pin = 2, .pcie = true,
};

static struct pci_window *find_window(struct pci_window *w, unsigned n, uint64_t addr, bool pio)
{
	for (unsigned i = 0; i < n; i++)
		if (w[i].pio == pio && addr >= w[i].base && addr - w[i].base < w[i].size)
			return &w[i];
	return NULL;
}

static uint64_t mmio_rd(struct pci_window *w, unsigned n, uint64_t addr, unsigned len)
{
	struct pci_window *x = find_window(w, n, addr, false);
	uint64_t v = 0;

	if (!x)
		return ~0ull;
	x->ops->read(x->opaque, addr - x->base, &v, len);
	return v;
}

static void mmio_wr(struct pci_window *w, unsigned n, uint64_t addr, uint64_t v, unsigned len)
{
	struct pci_window *x = find_window(w, n, addr, false);

	if (x)
		x->ops->write(x->opaque, addr - x->base, &v, len);
}

/* ---- config space ----------------------------------------------------------------- */

static void test_cfg_masks(void)
{
	struct pci_func f;
	struct moved m = { 0 };

	pci_func_init(&f, &t_params, &t_ops, &m);
	CHECK_EQ(cfg_rd(&f, PCI_VENDOR_ID, 4), 0x56781234);
	cfg_wr(&f, PCI_VENDOR_ID, 0xffffffff, 4);
	CHECK_EQ(cfg_rd(&f, PCI_VENDOR_ID, 4), 0x56781234);
	CHECK_EQ(cfg_rd(&f, PCI_CLASS_PROG, 1), 0x30);
	CHECK_EQ(cfg_rd(&f, PCI_REVISION_ID, 4), 0x0c033003);
	CHECK_EQ(cfg_rd(&f, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	CHECK_EQ(cfg_rd(&f, PCI_HEADER_TYPE, 1), 0);
	CHECK_EQ(cfg_rd(&f, PCI_INTERRUPT_PIN, 1), 2);
	cfg_wr(&f, PCI_INTERRUPT_PIN, 4, 1);
	CHECK_EQ(cfg_rd(&f, PCI_INTERRUPT_PIN, 1), 2);
	cfg_wr(&f, PCI_INTERRUPT_LINE, 0x2a, 1);
	CHECK_EQ(cfg_rd(&f, PCI_INTERRUPT_LINE, 1), 0x2a);

	/* Command: only the defined bits stick. */
	cfg_wr(&f, PCI_COMMAND, 0xffff, 2);
	CHECK_EQ(cfg_rd(&f, PCI_COMMAND, 2), 0x0547);
	cfg_wr(&f, PCI_COMMAND, 0, 2);
	CHECK_EQ(cfg_rd(&f, PCI_COMMAND, 2), 0);

	/* Status: capability list is read-only, error bits are W1C. */
	uint16_t st = (uint16_t)cfg_rd(&f, PCI_STATUS, 2);
	CHECK(st & PCI_STATUS_CAP_LIST);
	f.cfg[PCI_STATUS + 1] = 0xf9;
	cfg_wr(&f, PCI_STATUS, 0, 2);
	CHECK_EQ(cfg_rd(&f, PCI_STATUS, 2), st | 0xf900);
	cfg_wr(&f, PCI_STATUS, 0x0100 | PCI_STATUS_CAP_LIST, 2);
	CHECK_EQ(cfg_rd(&f, PCI_STATUS, 2), st | 0xf800);
	cfg_wr(&f, PCI_STATUS + 1, 0xff, 1);
	CHECK_EQ(cfg_rd(&f, PCI_STATUS, 2), st);

	/* Bad accesses: all-ones, dropped. */
	CHECK_EQ(cfg_rd(&f, PCI_CFG_SIZE - 2, 4), 0xffffffff);
	CHECK_EQ(cfg_rd(&f, 0, 3), 0x00ffffff);
	cfg_wr(&f, PCI_CFG_SIZE - 1, 0xffffffff, 4);
	/* Extended space: empty capability list reads 0. */
	CHECK_EQ(cfg_rd(&f, PCI_EXT_CAP_START, 4), 0);
	CHECK_EQ(cfg_rd(&f, PCI_CFG_SIZE - 4, 4), 0);

	/* INTx: status bit and INTx disable. */
	pci_func_set_intx(&f, true);
	CHECK(cfg_rd(&f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_func_set_intx(&f, false);
	CHECK(!(cfg_rd(&f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT));
	pci_func_destroy(&f);
}

static void test_caps(void)
{
	struct pci_func f;
	uint8_t body[8] = { 0 };
	uint16_t off[4];

	pci_func_init(&f, &(struct pci_func_params){ .vendor_id = 1 }, NULL, NULL);
	CHECK(!(cfg_rd(&f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST));
	CHECK_EQ(cfg_rd(&f, PCI_CAPABILITY_LIST, 1), 0);
	CHECK(!pci_cap_add(&f, 0x09, body, 6, &off[0]));
	CHECK(!pci_cap_add(&f, 0x05, body, 8, &off[1]));
	CHECK_EQ(off[0], 0x40);
	CHECK_EQ(off[1], 0x48); /* dword aligned */
	CHECK(cfg_rd(&f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CHECK_EQ(cfg_rd(&f, PCI_CAPABILITY_LIST, 1), 0x40);
	CHECK_EQ(cfg_rd(&f, 0x40, 2), 0x4809);
	CHECK_EQ(cfg_rd(&f, 0x48, 2), 0x0005);
	uint8_t big[0xc0] = { 0 };
	CHECK(pci_cap_add(&f, 0x10, big, sizeof(big), NULL) == -ENOSPC);

	CHECK(!pci_ext_cap_add(&f, 0x000b, 1, body, 8, &off[2]));
	CHECK(!pci_ext_cap_add(&f, 0x0023, 1, body, 8, &off[3]));
	CHECK_EQ(off[2], 0x100);
	CHECK_EQ(off[3], 0x108);
	CHECK_EQ(cfg_rd(&f, 0x100, 4), 0x1081000b);
	CHECK_EQ(cfg_rd(&f, 0x108, 4), 0x00010023);
	CHECK(pci_ext_cap_add(&f, 1, 1, big, 0xf00, NULL) == -ENOSPC);
	/* Capabilities are read-only to the guest by default. */
	cfg_wr(&f, 0x41, 0, 1);
	CHECK_EQ(cfg_rd(&f, 0x41, 1), 0x48);
	pci_func_destroy(&f);
}

/* ---- BARs, root complex, ECAM ------------------------------------------------ */

static struct pci_root *make_root(unsigned nr, struct fake_irq *fi, bool io)
{
	struct pci_root_cfg c;
	struct pci_root *root = NULL;

	CHECK(!pci_root_cfg_x86(&c, nr, (struct irq_line){ fake_set_level, fi, 0 }));
	if (io) {
		c.buses[0].io_base = 0xc000;
		c.buses[0].io_size = 0x1000;
	}
	CHECK(!pci_root_create(&c, &root));
	return root;
}

static void test_bars(void)
{
	struct fake_irq fi;
	struct vm_irq_ops irq = fake_ops(&fi);
	struct pci_root *root = make_root(2, &fi, true);
	struct pci_func f;
	struct moved m = { 0 };
	struct pci_window w[PCI_MAX_WINDOWS];
	int slot = -1;

	(void)irq;
	pci_func_init(&f, &t_params, &t_ops, &m);
	CHECK(!pci_func_add_bar(&f, 0, PCI_BAR_MEM32, 0x1000, false));
	CHECK(!pci_func_add_bar(&f, 2, PCI_BAR_MEM64, 0x100000, true));
	CHECK(!pci_func_add_bar(&f, 4, PCI_BAR_IO, 0x20, false));
	CHECK(pci_func_add_bar(&f, 3, PCI_BAR_MEM32, 0x1000, false) == -EINVAL); /* upper half */
	CHECK(pci_func_add_bar(&f, 5, PCI_BAR_MEM64, 0x1000, false) == -EINVAL);
	CHECK(pci_func_add_bar(&f, 5, PCI_BAR_MEM32, 0x1001, false) == -EINVAL);
	CHECK(!pci_root_add_func(root, 0, -1, &f, &slot));
	CHECK_EQ(slot, 0);

	uint32_t bar0 = cfg_rd(&f, PCI_BASE_ADDRESS_0, 4);
	CHECK_EQ(bar0, X86_PCI_MMIO32_BASE);
	uint64_t bar2 = cfg_rd(&f, PCI_BASE_ADDRESS_0 + 8, 4) |
			(uint64_t)cfg_rd(&f, PCI_BASE_ADDRESS_0 + 12, 4) << 32;
	CHECK_EQ(bar2, X86_PCI_MMIO64_BASE | 0xc);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0 + 16, 4), 0xc000 | 1);
	CHECK_EQ(cfg_rd(&f, PCI_INTERRUPT_LINE, 1), X86_PCI_INTX_GSI_BASE + 1); /* slot 0, INTB */
	CHECK_EQ(m.n, 0); /* decoding is off until the guest enables it */

	/* Sizing by all-ones writes. */
	cfg_wr(&f, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 8, 0xffffffff, 4);
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 12, 0xffffffff, 4);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0 + 8, 4), 0xfff0000c);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0 + 12, 4), 0xffffffff);
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 16, 0xffffffff, 4);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0 + 16, 4), 0xffffffe1);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0 + 20, 4), 0); /* unused BAR */
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 20, 0xffffffff, 4);
	CHECK_EQ(cfg_rd(&f, PCI_BASE_ADDRESS_0 + 20, 4), 0);
	CHECK_EQ(cfg_rd(&f, PCI_ROM_ADDRESS, 4), 0);

	/* Memory enable with sizing values in place decodes nothing. */
	cfg_wr(&f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CHECK_EQ(m.n, 0);
	CHECK_EQ(f.bars[2].mapped, PCI_BAR_UNMAPPED);

	/* Move BAR 0 within the window and BAR 2 into the second root bus's 64-bit window. */
	uint64_t new0 = X86_PCI_MMIO32_BASE + 0x10000;
	cfg_wr(&f, PCI_BASE_ADDRESS_0, (uint32_t)new0, 4);
	CHECK_EQ(m.n, 1);
	CHECK_EQ(m.bar, 0);
	CHECK_EQ(m.old_addr, PCI_BAR_UNMAPPED);
	CHECK_EQ(m.new_addr, new0);
	uint64_t new2 = X86_PCI_MMIO64_BASE + 0x200000;
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 12, (uint32_t)(new2 >> 32), 4);
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 8, (uint32_t)new2, 4);
	CHECK_EQ(m.bar, 2);
	CHECK_EQ(m.new_addr, new2);
	CHECK_EQ(pci_func_bar_addr(&f, 2), new2);

	unsigned n = pci_root_windows(root, w);
	CHECK_EQ(n, 7); /* 2 x (ECAM, MMIO32, MMIO64) + one I/O window */
	CHECK_EQ(mmio_rd(w, n, new0 + 0x10, 4), 0x5a5a5a5a);
	CHECK_EQ(m.last_off, 0x10);
	CHECK_EQ(mmio_rd(w, n, new2 + 0xffffc, 4), 0x5c5c5c5c);
	CHECK_EQ(m.last_off, 0xffffc);
	CHECK_EQ(mmio_rd(w, n, new2 + 0xffffe, 4), 0xffffffff); /* crosses the BAR's end */
	CHECK_EQ(mmio_rd(w, n, X86_PCI_MMIO32_BASE, 4), 0xffffffff); /* old place */
	unsigned reads = m.reads;
	/* Disabling memory decode unmaps both. */
	cfg_wr(&f, PCI_COMMAND, 0, 2);
	CHECK_EQ(f.bars[0].mapped, PCI_BAR_UNMAPPED);
	CHECK_EQ(m.new_addr, PCI_BAR_UNMAPPED);
	CHECK_EQ(mmio_rd(w, n, new0 + 0x10, 4), 0xffffffff);
	CHECK_EQ(m.reads, reads);
	/* I/O BAR decodes with the I/O enable, through the I/O window. */
	cfg_wr(&f, PCI_BASE_ADDRESS_0 + 16, 0xc040, 4);
	cfg_wr(&f, PCI_COMMAND, PCI_COMMAND_IO, 2);
	CHECK_EQ(f.bars[4].mapped, 0xc040);
	struct pci_window *io = find_window(w, n, 0xc040, true);
	CHECK(io != NULL);
	if (io) {
		uint8_t b = 0;
		io->ops->read(io->opaque, 0xc041 - io->base, &b, 1);
		CHECK_EQ(b, 0x5e);
	}

	/* Slot allocation. */
	struct pci_func g, h;
	pci_func_init(&g, &t_params, NULL, NULL);
	pci_func_init(&h, &t_params, NULL, NULL);
	CHECK(pci_root_add_func(root, 0, 0, &g, NULL) == -EBUSY);
	CHECK(pci_root_add_func(root, 2, 0, &g, NULL) == -EINVAL);
	CHECK(pci_root_add_func(root, 0, 32, &g, NULL) == -EINVAL);
	CHECK(!pci_root_add_func(root, 0, -1, &g, &slot));
	CHECK_EQ(slot, 1);
	CHECK(!pci_root_add_func(root, 1, 31, &h, &slot));
	CHECK_EQ(slot, 31);
	CHECK_EQ(h.bus, 128);
	CHECK(pci_root_find(root, 128, 31, 0) == &h);
	CHECK(pci_root_find(root, 128, 31, 1) == NULL);
	CHECK(strncmp(h.name, "0000:80:1f.0 ", 13) == 0);

	/* A BAR that cannot fit. */
	struct pci_func big;
	pci_func_init(&big, &t_params, NULL, NULL);
	CHECK(!pci_func_add_bar(&big, 0, PCI_BAR_MEM32, 1ull << 31, false));
	CHECK(pci_root_add_func(root, 0, -1, &big, NULL) == -ENOSPC);
	CHECK(big.root == NULL);

	pci_root_remove_func(root, &g);
	CHECK(pci_root_find(root, 0, 1, 0) == NULL);
	pci_func_destroy(&big);
	pci_func_destroy(&g);
	pci_func_destroy(&h);
	pci_func_destroy(&f);
	pci_root_destroy(root);
}

static void test_root_cfg(void)
{
	struct pci_root_cfg c;
	struct pci_root *root = NULL;
	struct pci_root_bus_info info;

	CHECK(pci_root_cfg_x86(&c, 0, (struct irq_line){ 0 }) == -EINVAL);
	CHECK(pci_root_cfg_x86(&c, PCI_MAX_ROOT_BUSES + 1, (struct irq_line){ 0 }) == -EINVAL);
	CHECK(!pci_root_cfg_x86(&c, 3, (struct irq_line){ 0 }));
	CHECK_EQ(c.buses[1].bus_start, 85);
	CHECK_EQ(c.buses[2].bus_end, 254);
	struct pci_root_cfg bad = c;
	bad.buses[1].bus_start = 80; /* overlaps bus 0's range */
	CHECK(pci_root_create(&bad, &root) == -EINVAL);
	bad = c;
	bad.buses[1].mmio32_base = bad.buses[0].mmio32_base;
	CHECK(pci_root_create(&bad, &root) == -EINVAL);
	bad = c;
	bad.buses[0].mmio32_base = X86_PCI_ECAM_BASE; /* overlaps ECAM */
	CHECK(pci_root_create(&bad, &root) == -EINVAL);
	bad = c;
	bad.ecam_base += 0x1000;
	CHECK(pci_root_create(&bad, &root) == -EINVAL);
	CHECK(!pci_root_create(&c, &root));
	CHECK_EQ(pci_root_nr_buses(root), 3);
	CHECK(!pci_root_bus_info(root, 2, &info));
	CHECK_EQ(info.bus_start, 170);
	CHECK_EQ(info.ecam_base, X86_PCI_ECAM_BASE);
	CHECK_EQ(info.ecam_window, X86_PCI_ECAM_BASE + (170ull << 20));
	CHECK(info.mmio32_base + info.mmio32_size <= X86_PCI_MMIO32_BASE + X86_PCI_MMIO32_SIZE);
	CHECK(pci_root_bus_info(root, 3, &info) == -EINVAL);
	/* The swizzle. */
	CHECK_EQ(pci_root_intx_gsi(root, 0, 0), 16);
	CHECK_EQ(pci_root_intx_gsi(root, 1, 0), 17);
	CHECK_EQ(pci_root_intx_gsi(root, 3, 1), 16);
	CHECK_EQ(pci_root_intx_gsi(root, 31, 3), 18);
	pci_root_destroy(root);
}

static void test_ecam(void)
{
	struct fake_irq fi;
	struct vm_irq_ops irq = fake_ops(&fi);
	struct pci_root *root = make_root(2, &fi, false);
	struct pci_func a, b;
	struct pci_window w[PCI_MAX_WINDOWS];

	(void)irq;
	pci_func_init(&a, &t_params, NULL, NULL);
	pci_func_init(&b, &(struct pci_func_params){ .vendor_id = 0xabcd, .device_id = 0x0001 },
		      NULL, NULL);
	CHECK(!pci_root_add_func(root, 0, 3, &a, NULL));
	CHECK(!pci_root_add_func(root, 1, 0, &b, NULL));
	unsigned n = pci_root_windows(root, w);
	CHECK_EQ(n, 6);
	struct pci_window *e0 = NULL, *e1 = NULL;
	for (unsigned i = 0; i < n; i++) {
		if (w[i].base == X86_PCI_ECAM_BASE)
			e0 = &w[i];
		if (w[i].base == X86_PCI_ECAM_BASE + (128ull << 20))
			e1 = &w[i];
	}
	CHECK(e0 && e1);
	if (!e0 || !e1)
		goto out;
	CHECK_EQ(e0->size, 128ull << 20);
	CHECK(strstr(e0->name, "ecam") != NULL);

	uint32_t v;
	uint64_t a_off = 3u << 15;
	e0->ops->read(e0->opaque, a_off, &v, 4);
	CHECK_EQ(v, 0x56781234);
	uint16_t v16;
	e0->ops->read(e0->opaque, a_off + 2, &v16, 2);
	CHECK_EQ(v16, 0x5678);
	uint8_t v8;
	e0->ops->read(e0->opaque, a_off + PCI_INTERRUPT_PIN, &v8, 1);
	CHECK_EQ(v8, 2);
	e0->ops->read(e0->opaque, a_off + 1, &v8, 1);
	CHECK_EQ(v8, 0x12);
	/* Sub-dword write to the command register's high byte only. */
	v8 = PCI_COMMAND_INTX_DISABLE >> 8;
	e0->ops->write(e0->opaque, a_off + PCI_COMMAND + 1, &v8, 1);
	CHECK_EQ(cfg_rd(&a, PCI_COMMAND, 2), PCI_COMMAND_INTX_DISABLE);
	/* Unknown device, function, bus: all-ones; writes vanish. */
	e0->ops->read(e0->opaque, 4u << 15, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	e0->ops->read(e0->opaque, a_off | 1u << 12, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	e0->ops->read(e0->opaque, 1u << 20 | a_off, &v, 4); /* bus 1: nothing behind */
	CHECK_EQ(v, 0xffffffff);
	v = 0;
	e0->ops->write(e0->opaque, 4u << 15 | PCI_COMMAND, &v, 4);
	/* Bad lengths, the end of the window. */
	uint64_t q = 0;
	e0->ops->read(e0->opaque, a_off, &q, 8);
	CHECK_EQ(q, ~0ull);
	e0->ops->read(e0->opaque, e0->size - 4, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	e0->ops->read(e0->opaque, a_off + 0xffe, &v, 4); /* crosses into the next function */
	CHECK_EQ(v, 0xffffffff);
	e0->ops->read(e0->opaque, e0->size, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	e0->ops->read(e0->opaque, a_off + 0xffc, &v, 4);
	CHECK_EQ(v, 0);
	/* The second root bus: its first bus is 128, at the start of its window. */
	e1->ops->read(e1->opaque, 0, &v, 4);
	CHECK_EQ(v, 0x0001abcd);
	e1->ops->read(e1->opaque, 3u << 15, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	e1->ops->read(e1->opaque, e1->size - 1, &v8, 1);
	CHECK_EQ(v8, 0xff);
out:
	pci_func_destroy(&a);
	pci_func_destroy(&b);
	pci_root_destroy(root);
}

/* ---- MSI-X ------------------------------------------------------------------------ */

static void msix_entry(struct pci_func *f, unsigned v, uint64_t addr, uint32_t data, uint32_t ctrl)
{
	uint32_t d[4] = { (uint32_t)addr, (uint32_t)(addr >> 32), data, ctrl };

	for (int i = 0; i < 4; i++)
		pci_func_bar_write(f, 0, 0x1000 + v * 16 + 4 * i, &d[i], 4);
}

static void test_msix(void)
{
	struct fake_irq fi;
	struct vm_irq_ops irq = fake_ops(&fi);
	struct pci_func f;
	uint32_t v;

	pci_func_init(&f, &t_params, NULL, NULL);
	CHECK(!pci_func_add_bar(&f, 0, PCI_BAR_MEM32, 0x4000, false));
	CHECK(pci_msix_init(&f, &irq, 4, 1, 0x1000, 0x2000) == -EINVAL);   /* no BAR 1 */
	CHECK(pci_msix_init(&f, &irq, 4, 0, 0x1000, 0x1020) == -EINVAL);   /* overlap */
	CHECK(pci_msix_init(&f, &irq, 4, 0, 0x3ff8, 0x2000) == -EINVAL);   /* outside */
	CHECK(pci_msix_init(&f, &irq, 0, 0, 0x1000, 0x2000) == -EINVAL);
	fi.fail_create_after = 2;
	CHECK(pci_msix_init(&f, &irq, 4, 0, 0x1000, 0x2000) == -ENOSPC);
	CHECK_EQ(fake_open_msi(&fi), 0); /* the two created were destroyed */
	fi.fail_create_after = -1;
	CHECK(!pci_msix_init(&f, &irq, 20, 0, 0x1000, 0x2000));
	CHECK_EQ(fake_open_msi(&fi), 20);
	unsigned cap = f.msix.cap;
	CHECK_EQ(cfg_rd(&f, cap, 1), PCI_CAP_ID_MSIX);
	CHECK_EQ(cfg_rd(&f, cap + PCI_MSIX_FLAGS, 2), 19);
	CHECK_EQ(cfg_rd(&f, cap + PCI_MSIX_TABLE, 4), 0x1000);
	CHECK_EQ(cfg_rd(&f, cap + PCI_MSIX_PBA, 4), 0x2000);
	cfg_wr(&f, cap + PCI_MSIX_FLAGS, 0xffff, 2); /* only enable and mask-all stick */
	CHECK_EQ(cfg_rd(&f, cap + PCI_MSIX_FLAGS, 2), 0xc000 | 19);
	cfg_wr(&f, cap + PCI_MSIX_FLAGS, 0, 2);
	CHECK_EQ(fi.nr_updates, 0); /* everything stayed masked */

	/* Entries start masked; only the mask bit of Vector Control is writable. */
	pci_func_bar_read(&f, 0, 0x1000 + 12, &v, 4);
	CHECK_EQ(v, 1);
	msix_entry(&f, 3, 0xfee01000, 0x4041, 0xfffffffe);
	CHECK_EQ(fi.last.handle, f.msix.vec[3].handle);
	CHECK_EQ(fi.last.addr, 0xfee01000);
	CHECK_EQ(fi.last.data, 0x4041);
	CHECK(fi.last.masked); /* MSI-X still disabled */
	pci_func_bar_read(&f, 0, 0x1000 + 3 * 16 + 12, &v, 4);
	CHECK_EQ(v, 0);
	uint64_t q;
	pci_func_bar_read(&f, 0, 0x1000 + 3 * 16, &q, 8);
	CHECK_EQ(q, 0xfee01000);

	/* Enable: vector 3 is unmasked now. */
	unsigned before = fi.nr_updates;
	cfg_wr(&f, cap + PCI_MSIX_FLAGS + 1, PCI_MSIX_FLAGS_ENABLE >> 8, 1);
	CHECK(pci_msix_enabled(&f));
	CHECK_EQ(fi.nr_updates, before + 1);
	CHECK_EQ(fi.last.handle, f.msix.vec[3].handle);
	CHECK(!fi.last.masked);
	CHECK(!pci_msix_fire(&f, 3));
	CHECK_EQ(efd_count(pci_msix_vector_fd(&f, 3)), 1);
	CHECK(pci_msix_fire(&f, 20) == -EINVAL);
	CHECK_EQ(pci_msix_vector_fd(&f, 20), -1);

	/* Function mask: vector 3 masked; fire → pending in the PBA. */
	cfg_wr(&f, cap + PCI_MSIX_FLAGS + 1, (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8, 1);
	CHECK(fi.last.masked);
	CHECK_EQ(fi.last.handle, f.msix.vec[3].handle);
	CHECK(!pci_msix_fire(&f, 3));
	pci_func_bar_read(&f, 0, 0x2000, &q, 8);
	CHECK_EQ(q, 1u << 3);
	CHECK(!pci_msix_fire(&f, 19)); /* entry-masked vector */
	pci_func_bar_read(&f, 0, 0x2000, &v, 4);
	CHECK_EQ(v, 1u << 19 | 1u << 3);
	uint32_t ones = 0xffffffff;
	pci_func_bar_write(&f, 0, 0x2000, &ones, 4); /* PBA is read-only */
	pci_func_bar_read(&f, 0, 0x2000, &v, 4);
	CHECK_EQ(v, 1u << 19 | 1u << 3);
	cfg_wr(&f, cap + PCI_MSIX_FLAGS + 1, PCI_MSIX_FLAGS_ENABLE >> 8, 1);
	CHECK(!fi.last.masked);
	pci_func_bar_read(&f, 0, 0x2000, &v, 4);
	CHECK_EQ(v, 1u << 19);
	/* Unmasking one entry delivers it too. */
	msix_entry(&f, 19, 0xfee02000, 0x30, 0);
	CHECK_EQ(fi.last.handle, f.msix.vec[19].handle);
	CHECK(!fi.last.masked);
	pci_func_bar_read(&f, 0, 0x2000, &v, 4);
	CHECK_EQ(v, 0);
	uint32_t one = 1;
	pci_func_bar_write(&f, 0, 0x1000 + 19 * 16 + 12, &one, 4);
	CHECK(fi.last.masked);

	/* Bounds: odd sizes, beyond the table. */
	before = fi.nr_updates;
	uint16_t h = 0x1234;
	pci_func_bar_write(&f, 0, 0x1000, &h, 2);
	pci_func_bar_write(&f, 0, 0x1002, &one, 4);
	pci_func_bar_write(&f, 0, 0x1000 + 20 * 16, &one, 4);
	CHECK_EQ(fi.nr_updates, before);
	pci_func_bar_read(&f, 0, 0x1000 + 20 * 16, &v, 4);
	CHECK_EQ(v, 0xffffffff); /* not ours: no bar_read op → all-ones */
	pci_func_bar_read(&f, 0, 0x1000 + 19 * 16 + 14, &v, 4);
	CHECK_EQ(v, 0xffffffff);
	pci_func_destroy(&f);
	CHECK_EQ(fake_open_msi(&fi), 0);
}

/* ---- virtio-pci ------------------------------------------------------------------- */

struct fake_vdev {
	struct virtio_device vdev;
	unsigned activated, resets, destroyed;
	uint8_t config[8];
	int activate_ret;
};

static uint64_t fv_features(struct virtio_device *vdev)
{
	(void)vdev;
	return 1ull << 0 | 1ull << 5 | 1ull << VIRTIO_F_EVENT_IDX;
}

static void fv_read_config(struct virtio_device *vdev, uint64_t off, void *data, unsigned len)
{
	struct fake_vdev *fv = vdev->priv;

	memset(data, 0, len);
	if (off < sizeof(fv->config) && len <= sizeof(fv->config) - off)
		memcpy(data, fv->config + off, len);
}

static void fv_write_config(struct virtio_device *vdev, uint64_t off, const void *data, unsigned len)
{
	struct fake_vdev *fv = vdev->priv;

	if (off < sizeof(fv->config) && len <= sizeof(fv->config) - off)
		memcpy(fv->config + off, data, len);
}

static int fv_activate(struct virtio_device *vdev)
{
	struct fake_vdev *fv = vdev->priv;

	fv->activated++;
	return fv->activate_ret;
}

static void fv_reset(struct virtio_device *vdev)
{
	((struct fake_vdev *)vdev->priv)->resets++;
}

static void fv_destroy(struct virtio_device *vdev)
{
	((struct fake_vdev *)vdev->priv)->destroyed++;
}

static const struct virtio_device_ops fv_ops = {
	fv_features, fv_read_config, fv_write_config, fv_activate, fv_reset, fv_destroy,
};

static void fake_vdev_init(struct fake_vdev *fv, unsigned nr_queues)
{
	memset(fv, 0, sizeof(*fv));
	fv->vdev.name = "virtio-fake";
	fv->vdev.device_id = VIRTIO_ID_RNG;
	fv->vdev.ops = &fv_ops;
	fv->vdev.priv = fv;
	fv->vdev.nr_queues = nr_queues;
	for (unsigned q = 0; q < nr_queues; q++)
		fv->vdev.queues[q].max_size = 256;
	memcpy(fv->config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
}

struct vp_env {
	struct fake_irq fi;
	struct vm_irq_ops irq;
	struct pci_root *root;
	struct fake_vdev fv;
	struct virtio_pci *vp;
	struct pci_func *f;
	struct pci_window w[PCI_MAX_WINDOWS];
	unsigned nw;
	uint64_t bar;
};

static int vp_env_init(struct vp_env *e, unsigned nr_queues)
{
	e->irq = fake_ops(&e->fi);
	e->root = make_root(2, &e->fi, false);
	fake_vdev_init(&e->fv, nr_queues);
	if (!e->root || virtio_pci_create(e->root, 1, 5, &e->fv.vdev, &e->irq, &e->vp))
		return -1;
	e->f = virtio_pci_func(e->vp);
	e->nw = pci_root_windows(e->root, e->w);
	e->bar = pci_func_bar_addr(e->f, 0);
	return 0;
}

static void vp_env_destroy(struct vp_env *e)
{
	virtio_pci_destroy(e->vp);
	pci_root_destroy(e->root);
}

static uint64_t com_rd(struct vp_env *e, unsigned off, unsigned len)
{
	return mmio_rd(e->w, e->nw, e->bar + off, len);
}

static void com_wr(struct vp_env *e, unsigned off, uint64_t v, unsigned len)
{
	mmio_wr(e->w, e->nw, e->bar + off, v, len);
}

static void test_virtio_pci_header(void)
{
	struct vp_env e;

	CHECK(!vp_env_init(&e, 2));
	struct pci_func *f = e.f;
	CHECK_EQ(cfg_rd(f, PCI_VENDOR_ID, 4), (0x1040u + VIRTIO_ID_RNG) << 16 | 0x1af4);
	CHECK_EQ(cfg_rd(f, PCI_REVISION_ID, 1), 1);
	CHECK_EQ(cfg_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	CHECK(cfg_rd(f, PCI_SUBSYSTEM_ID, 2) >= 0x40);
	CHECK_EQ(f->bus, 128);
	CHECK_EQ(f->devfn, 5 << 3);
	CHECK_EQ(cfg_rd(f, PCI_BASE_ADDRESS_0, 4) & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK(e.bar >= X86_PCI_MMIO64_BASE + X86_PCI_MMIO64_SIZE / 2);

	/* Walk the capability list: PCIe, 5 virtio caps (types 1..5), MSI-X. */
	unsigned off = cfg_rd(f, PCI_CAPABILITY_LIST, 1), n = 0;
	uint8_t ids[16], types[16];
	while (off && n < 16) {
		CHECK(off >= 0x40 && off <= 0xfc && off % 4 == 0);
		ids[n] = (uint8_t)cfg_rd(f, off, 1);
		types[n] = (uint8_t)cfg_rd(f, off + 3, 1);
		if (ids[n] == PCI_CAP_ID_VNDR) {
			CHECK_EQ(cfg_rd(f, off + 4, 1), 0); /* BAR 0 */
			if (types[n] == 2)
				CHECK_EQ(cfg_rd(f, off + 16, 4), 4); /* notify_off_multiplier */
			if (types[n] == 1)
				CHECK_EQ(cfg_rd(f, off + 8, 4), 0);
		}
		n++;
		off = cfg_rd(f, off + 1, 1);
	}
	CHECK_EQ(n, 7);
	CHECK_EQ(ids[0], PCI_CAP_ID_EXP);
	for (unsigned i = 1; i <= 5; i++) {
		CHECK_EQ(ids[i], PCI_CAP_ID_VNDR);
		CHECK_EQ(types[i], i);
	}
	CHECK_EQ(ids[6], PCI_CAP_ID_MSIX);
	CHECK_EQ(f->msix.nr, 3);
	vp_env_destroy(&e);
	CHECK_EQ(fake_open_msi(&e.fi), 0);
	CHECK_EQ(fake_ioev_count(&e.fi), 0);
}

static void drv_status(struct vp_env *e, uint8_t s)
{
	com_wr(e, 0x14, s, 1);
}

static void test_virtio_pci_common(void)
{
	struct vp_env e;

	CHECK(!vp_env_init(&e, 2));
	/* Nothing decodes until the driver enables memory space. */
	CHECK_EQ(com_rd(&e, 0x12, 2), 0xffff);
	CHECK_EQ(fake_ioev_count(&e.fi), 0);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	CHECK_EQ(fake_ioev_count(&e.fi), 2);
	CHECK_EQ(fake_ioev_find(&e.fi, e.bar + 0x2000), e.fv.vdev.queues[0].kick_fd);
	CHECK_EQ(fake_ioev_find(&e.fi, e.bar + 0x2004), e.fv.vdev.queues[1].kick_fd);

	CHECK_EQ(com_rd(&e, 0x12, 2), 2);          /* num_queues */
	CHECK_EQ(com_rd(&e, 0x10, 2), 0xffff);     /* config_msix_vector */
	/* Features: window 0, window 1, beyond. */
	com_wr(&e, 0x00, 0, 4);
	CHECK_EQ(com_rd(&e, 0x04, 4), 1u << 0 | 1u << 5 | 1u << VIRTIO_F_EVENT_IDX);
	com_wr(&e, 0x00, 1, 4);
	CHECK_EQ(com_rd(&e, 0x04, 4), 1);          /* VERSION_1 */
	com_wr(&e, 0x00, 7, 4);
	CHECK_EQ(com_rd(&e, 0x04, 4), 0);

	drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE);
	drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* A feature not offered (bit 1) is refused at FEATURES_OK. */
	com_wr(&e, 0x08, 0, 4);
	com_wr(&e, 0x0c, 1u << 0 | 1u << 1, 4);
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, 0x0b);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x03);
	/* Without VERSION_1, too. */
	com_wr(&e, 0x08, 0, 4);
	com_wr(&e, 0x0c, 1u << 0, 4);
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 0, 4);
	drv_status(&e, 0x0b);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x03);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, 0x0b);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x0b);
	CHECK_EQ(e.fv.vdev.driver_features, 1ull << 32 | 1);
	com_wr(&e, 0x08, 0, 4);
	CHECK_EQ(com_rd(&e, 0x0c, 4), 1);
	com_wr(&e, 0x0c, 0xffffffff, 4); /* ignored after FEATURES_OK */
	CHECK_EQ(e.fv.vdev.driver_features, 1ull << 32 | 1);

	/* Queue setup. */
	com_wr(&e, 0x16, 1, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 256);
	CHECK_EQ(com_rd(&e, 0x1e, 2), 1); /* queue_notify_off */
	com_wr(&e, 0x18, 100, 2);         /* not a power of two */
	CHECK_EQ(com_rd(&e, 0x18, 2), 256);
	com_wr(&e, 0x18, 512, 2);         /* above max */
	CHECK_EQ(com_rd(&e, 0x18, 2), 256);
	com_wr(&e, 0x18, 64, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 64);
	com_wr(&e, 0x20, 0x1000, 4);
	com_wr(&e, 0x24, 0x1, 4);
	com_wr(&e, 0x28, 0x2000, 4);
	com_wr(&e, 0x30, 0x3000, 4);
	com_wr(&e, 0x1a, 2, 2);
	CHECK_EQ(com_rd(&e, 0x1a, 2), 2);
	com_wr(&e, 0x10, 0, 2);
	CHECK_EQ(com_rd(&e, 0x10, 2), 0);
	com_wr(&e, 0x10, 3, 2); /* beyond the table: NO_VECTOR */
	CHECK_EQ(com_rd(&e, 0x10, 2), 0xffff);
	com_wr(&e, 0x10, 0, 2);
	com_wr(&e, 0x1c, 1, 2);
	CHECK_EQ(com_rd(&e, 0x1c, 2), 1);
	struct virtio_queue_cfg *q1 = &e.fv.vdev.queues[1];
	CHECK_EQ(q1->size, 64);
	CHECK_EQ(q1->desc, 0x100001000ull);
	CHECK_EQ(q1->avail, 0x2000);
	CHECK_EQ(q1->used, 0x3000);
	CHECK(q1->enabled);
	CHECK_EQ(com_rd(&e, 0x24, 4), 1);
	com_wr(&e, 0x20, 0x5000, 4); /* enabled: ignored */
	CHECK_EQ(q1->desc, 0x100001000ull);
	/* Out-of-range queue_select. */
	com_wr(&e, 0x16, 2, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 0);
	com_wr(&e, 0x18, 16, 2);
	com_wr(&e, 0x16, 0xffff, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 0);
	CHECK_EQ(com_rd(&e, 0x1a, 2), 0xffff);
	/* Bad widths read zero and are ignored. */
	CHECK_EQ(com_rd(&e, 0x12, 4), 0);
	CHECK_EQ(com_rd(&e, 0x13, 1), 0);

	/* Device config. */
	CHECK_EQ(com_rd(&e, 0x1000, 4), 0x44332211);
	com_wr(&e, 0x1004, 0xa5, 1);
	CHECK_EQ(e.fv.config[4], 0xa5);

	drv_status(&e, 0x0f);
	CHECK_EQ(e.fv.activated, 1);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x0f);

	/* Notify: a trapped write kicks the eventfd by hand. */
	com_wr(&e, 0x2004, 1, 2);
	CHECK_EQ(efd_count(q1->kick_fd), 1);
	com_wr(&e, 0x2008, 2, 2); /* no queue 2: nothing */

	/* signal_used with MSI-X enabled: vector 2's eventfd. */
	unsigned cap = e.f->msix.cap;
	cfg_wr(e.f, cap + PCI_MSIX_FLAGS + 1, PCI_MSIX_FLAGS_ENABLE >> 8, 1);
	uint32_t d[4] = { 0xfee00000, 0, 0x41, 0 };
	for (int i = 0; i < 4; i++)
		com_wr(&e, 0x3000 + 2 * 16 + 4 * i, d[i], 4);
	CHECK(!e.fi.last.masked);
	virtio_signal_used(&e.fv.vdev, 1);
	CHECK_EQ(efd_count(pci_msix_vector_fd(e.f, 2)), 1);
	virtio_signal_used(&e.fv.vdev, 0); /* NO_VECTOR: nothing */
	CHECK_EQ(efd_count(pci_msix_vector_fd(e.f, 0)), 0);
	virtio_signal_config(&e.fv.vdev); /* vector 0, masked: pending */
	CHECK_EQ(com_rd(&e, 0x3800, 4), 1);

	/* signal_used with MSI-X off: INTx + ISR. */
	cfg_wr(e.f, cap + PCI_MSIX_FLAGS + 1, 0, 1);
	unsigned gsi = e.f->intx.gsi;
	CHECK_EQ(gsi, X86_PCI_INTX_GSI_BASE + (5 + 0) % 4);
	virtio_signal_used(&e.fv.vdev, 1);
	CHECK(e.fi.gsi_high[gsi]);
	CHECK(cfg_rd(e.f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	CHECK_EQ(com_rd(&e, 0x800, 1), 1);
	CHECK(!e.fi.gsi_high[gsi]);
	CHECK_EQ(com_rd(&e, 0x800, 1), 0);
	virtio_signal_config(&e.fv.vdev);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 2);
	CHECK(!e.fi.gsi_high[gsi]);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CHECK(e.fi.gsi_high[gsi]);
	CHECK_EQ(com_rd(&e, 0x800, 1), 2);

	/* Reset clears everything and resets the device. */
	drv_status(&e, 0);
	CHECK_EQ(e.fv.resets, 1);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0);
	CHECK_EQ(e.fv.vdev.driver_features, 0);
	CHECK(!q1->enabled);
	CHECK_EQ(q1->size, 256);
	CHECK_EQ(q1->desc, 0);
	CHECK_EQ(q1->msix_vector, 0xffff);
	CHECK_EQ(com_rd(&e, 0x10, 2), 0xffff);
	CHECK_EQ(com_rd(&e, 0x16, 2), 0);
	CHECK(q1->kick_fd >= 0);

	/* Moving the BAR moves the ioeventfds. */
	uint64_t nb = e.bar + 0x10000;
	cfg_wr(e.f, PCI_BASE_ADDRESS_0, (uint32_t)nb | 4, 4);
	CHECK_EQ(fake_ioev_count(&e.fi), 2);
	CHECK_EQ(fake_ioev_find(&e.fi, nb + 0x2004), q1->kick_fd);
	CHECK_EQ(fake_ioev_find(&e.fi, e.bar + 0x2004), -1);
	e.bar = nb;
	CHECK_EQ(com_rd(&e, 0x12, 2), 2);
	cfg_wr(e.f, PCI_COMMAND, 0, 2);
	CHECK_EQ(fake_ioev_count(&e.fi), 0);
	vp_env_destroy(&e);
	CHECK_EQ(fake_open_msi(&e.fi), 0);
}

static void test_virtio_pci_activate_fail_and_cfg_cap(void)
{
	struct vp_env e;

	CHECK(!vp_env_init(&e, 1));
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	e.fv.activate_ret = -EIO;
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, 0x0b);
	drv_status(&e, 0x0f);
	CHECK_EQ(e.fv.activated, 1);
	CHECK(com_rd(&e, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	drv_status(&e, 0);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0);

	/* VIRTIO_PCI_CAP_PCI_CFG: find it, read num_queues and the device config through it. */
	unsigned off = cfg_rd(e.f, PCI_CAPABILITY_LIST, 1), c = 0;
	for (int i = 0; off && i < 16; i++, off = cfg_rd(e.f, off + 1, 1))
		if (cfg_rd(e.f, off, 1) == PCI_CAP_ID_VNDR && cfg_rd(e.f, off + 3, 1) == 5)
			c = off;
	CHECK(c != 0);
	if (c) {
		cfg_wr(e.f, c + 4, 0, 1);
		cfg_wr(e.f, c + 8, 0x12, 4);
		cfg_wr(e.f, c + 12, 2, 4);
		CHECK_EQ(cfg_rd(e.f, c + 16, 2), 1);
		cfg_wr(e.f, c + 8, 0x1000, 4);
		cfg_wr(e.f, c + 12, 4, 4);
		CHECK_EQ(cfg_rd(e.f, c + 16, 4), 0x44332211);
		/* A write through the window: queue_select = 0, queue_size = 32. */
		cfg_wr(e.f, c + 8, 0x18, 4);
		cfg_wr(e.f, c + 12, 2, 4);
		cfg_wr(e.f, c + 16, 32, 2);
		CHECK_EQ(e.fv.vdev.queues[0].size, 32);
		/* Bad windows are ignored. */
		cfg_wr(e.f, c + 8, 0x3fff, 4);
		cfg_wr(e.f, c + 12, 4, 4);
		cfg_wr(e.f, c + 16, 0xffffffff, 4);
		cfg_wr(e.f, c + 4, 3, 1);
		cfg_wr(e.f, c + 16, 0xffffffff, 4);
	}
	vp_env_destroy(&e);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_cfg_masks();
	test_caps();
	test_root_cfg();
	test_bars();
	test_ecam();
	test_msix();
	test_virtio_pci_header();
	test_virtio_pci_common();
	test_virtio_pci_activate_fail_and_cfg_cap();
	return check_summary("test-pci");
}
