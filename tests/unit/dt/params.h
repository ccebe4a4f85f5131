/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dt_params for a VM on arch/aarch64/layout.h (shared by test-dt.c and
 * dt-dump.c): nr_cpus vCPUs, nr_hosts root buses splitting the ECAM and
 * windows evenly, and nr_viommus vSMMUv3s, vSMMUv3 i in front of root bus
 * i + 1 (root bus 0 stays without one, as emulated devices are there),
 * each with assigned devices that need the host's MSI window mapped 1:1.
 */
#ifndef SKIFF_TEST_DT_PARAMS_H
#define SKIFF_TEST_DT_PARAMS_H

#include <string.h>

#include "dt.h"
#include "layout.h"

static inline void test_dt_params(struct dt_params *p, unsigned nr_cpus, unsigned nr_hosts,
				  unsigned nr_viommus)
{
	memset(p, 0, sizeof(*p));
	p->ram = (struct dt_range){ AARCH64_RAM_BASE, AARCH64_RAM_DEFAULT_SIZE };
	p->nr_cpus = nr_cpus;
	p->gic_dist = (struct dt_range){ AARCH64_GIC_DIST_BASE, AARCH64_GIC_DIST_SIZE };
	p->gic_redist = (struct dt_range){ AARCH64_GIC_REDIST_BASE, nr_cpus * AARCH64_GIC_REDIST_STRIDE };
	p->gic_its = (struct dt_range){ AARCH64_GIC_ITS_BASE, AARCH64_GIC_ITS_SIZE };
	p->gic_maint_ppi = AARCH64_GIC_MAINT_PPI;
	p->timer_ppis[0] = AARCH64_TIMER_S_EL1_PPI;
	p->timer_ppis[1] = AARCH64_TIMER_NS_EL1_PPI;
	p->timer_ppis[2] = AARCH64_TIMER_VIRT_PPI;
	p->timer_ppis[3] = AARCH64_TIMER_NS_EL2_PPI;
	p->uart = (struct dt_range){ AARCH64_PL011_BASE, AARCH64_PL011_SIZE };
	p->uart_spi = AARCH64_PL011_SPI;
	p->uart_clock_hz = AARCH64_PL011_CLOCK_HZ;
	p->pci_intx_spi_base = AARCH64_PCI_INTX_SPI_BASE;
	p->nr_pci_hosts = nr_hosts;
	unsigned nbus = nr_hosts ? 256 / nr_hosts : 0;
	for (unsigned i = 0; i < nr_hosts; i++) {
		struct dt_pci_host *h = &p->pci[i];
		uint64_t m32 = AARCH64_PCI_MMIO32_SIZE / nr_hosts, m64 = AARCH64_PCI_MMIO64_SIZE / nr_hosts;
		h->ecam_base = AARCH64_PCI_ECAM_BASE;
		h->bus_start = (uint8_t)(i * nbus);
		h->bus_end = (uint8_t)(i * nbus + nbus - 1);
		h->mmio32 = (struct dt_range){ AARCH64_PCI_MMIO32_BASE + i * m32, m32 };
		h->mmio64 = (struct dt_range){ AARCH64_PCI_MMIO64_BASE + i * m64, m64 };
		h->viommu = i >= 1 && i - 1 < nr_viommus ? (int)(i - 1) : -1;
		/* behind a vSMMUv3: assigned device 0 (and 3 on the first) need the MSI window 1:1 */
		h->msi_direct_devs = h->viommu < 0 ? 0 : i == 1 ? 0x9u : 0x1u;
	}
	if (nr_viommus)
		p->msi_window = (struct dt_range){ 0x8000000, 0x100000 };
	p->nr_viommus = nr_viommus;
	for (unsigned i = 0; i < nr_viommus; i++) {
		p->viommus[i].base = AARCH64_VIOMMU_BASE + i * AARCH64_VIOMMU_STRIDE;
		p->viommus[i].spi_base = AARCH64_VIOMMU_SPI_BASE + i * AARCH64_VIOMMU_SPIS_PER;
		p->viommus[i].its_devid = AARCH64_VIOMMU_ITS_DEVID_BASE + i;
	}
	/* virtio-mmio only without PCIe (pci=off), as the VM does: three transports */
	p->nr_virtio_mmio = nr_hosts ? 0 : 3;
	p->virtio_mmio_base = AARCH64_VIRTIO_MMIO_BASE;
	p->virtio_mmio_stride = AARCH64_VIRTIO_MMIO_STRIDE;
	p->virtio_mmio_size = 0x200;
	p->virtio_mmio_spi_base = AARCH64_VIRTIO_MMIO_SPI_BASE;
	p->bootargs = "console=ttyAMA0 earlycon panic=-1";
	p->initrd = (struct dt_range){ AARCH64_RAM_BASE + AARCH64_RAM_DEFAULT_SIZE - (16u << 20), 0x123400 };
}

#endif
