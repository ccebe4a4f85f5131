// SPDX-License-Identifier: Apache-2.0
/* Unit tests for pci/: MSI-X table, PBA and vector routing over a fake vm_irq_ops. */
#include "ptest.h"

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
	f.bus = 0x21, f.devfn = 0x18;  /* as pci_root_add_func would place it: the ITS DeviceID */
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
	CHECK_EQ(fi.last.devid, 0x2118);
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

int main(void)
{
	log_set_level(LOG_ERROR);
	test_msix();
	return check_summary("test-pci-msix");
}
