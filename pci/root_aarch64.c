// SPDX-License-Identifier: Apache-2.0
/*
 * The aarch64 root complex layout: arch/aarch64/layout.h's ECAM and BAR
 * windows split between the root buses. Built only for that architecture.
 */
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "pci.h"

/* The vSMMUv3s' ITS DeviceIDs live in bus 255's RIDs (layout.h): it must never start a root bus. */
_Static_assert((AARCH64_PCI_ECAM_SIZE >> 20) / PCI_MAX_ROOT_BUSES >= 2 &&
	       AARCH64_VIOMMU_ITS_DEVID_BASE >> 8 == 255,
	       "bus 255 could be a root bus's first bus");

int pci_root_cfg_aarch64(struct pci_root_cfg *ret, unsigned nr_buses, struct irq_line intx)
{
	struct pci_root_cfg c;

	if (nr_buses == 0 || nr_buses > PCI_MAX_ROOT_BUSES)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.ecam_base = AARCH64_PCI_ECAM_BASE;
	c.nr_buses = nr_buses;
	c.intx = intx;
	c.intx_gsi_base = AARCH64_PCI_INTX_SPI_BASE;
	c.intx_gsi_count = AARCH64_PCI_INTX_SPI_COUNT;
	unsigned nbus = (unsigned)(AARCH64_PCI_ECAM_SIZE >> 20) / nr_buses;
	uint64_t m32 = (AARCH64_PCI_MMIO32_SIZE / nr_buses) & ~0xfffffull;
	uint64_t m64 = (AARCH64_PCI_MMIO64_SIZE / nr_buses) & ~0xfffffull;
	for (unsigned i = 0; i < nr_buses; i++) {
		struct pci_root_bus_cfg *b = &c.buses[i];
		b->bus_start = (uint8_t)(i * nbus);
		b->bus_end = (uint8_t)(i * nbus + nbus - 1);
		b->mmio32_base = AARCH64_PCI_MMIO32_BASE + i * m32;
		b->mmio32_size = m32;
		b->mmio64_base = AARCH64_PCI_MMIO64_BASE + i * m64;
		b->mmio64_size = m64;
	}
	*ret = c;
	return 0;
}
