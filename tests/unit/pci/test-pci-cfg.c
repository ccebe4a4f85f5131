// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for pci/: config-space masks, capability lists, BAR sizing and
 * moves, root complex configuration and ECAM decode over several root buses.
 */
#include "ptest.h"

/* ---- a function that records BAR moves and reads ---------------------------------- */

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

int main(void)
{
	log_set_level(LOG_ERROR);
	test_cfg_masks();
	test_caps();
	test_root_cfg();
	test_bars();
	test_ecam();
	return check_summary("test-pci-cfg");
}
