// SPDX-License-Identifier: Apache-2.0
/*
 * acpi-dump-arm64 DIR [cpus=N] [pci=N] [viommus=N]: build the arm64 tables
 * for skiff's aarch64 layout (arch/aarch64/layout.h) and write each to
 * DIR/<SIG>.dat for iasl, printing "SIG gpa=0x... len=N". pci=N host
 * bridges split the 256 buses and both windows evenly (as
 * pci_root_cfg_aarch64 does); viommus=N puts a vSMMUv3 in front of each of
 * the first N hosts (with an MSI RMR each). Builds and runs on any host.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "layout.h"

static int arg(int argc, char **argv, const char *key, unsigned def)
{
	size_t k = strlen(key);

	for (int i = 2; i < argc; i++)
		if (!strncmp(argv[i], key, k) && argv[i][k] == '=')
			return (int)strtoul(argv[i] + k + 1, NULL, 0);
	return (int)def;
}

int main(int argc, char **argv)
{
	static struct acpi_pci_host hosts[ACPI_MAX_PCI_HOSTS];
	static struct acpi_viommu viommus[ACPI_MAX_VIOMMUS];
	static uint64_t mpidrs[ACPI_ARM64_MAX_CPUS];
	static uint8_t buf[1 << 20];
	unsigned cpus, pci, nv;
	struct acpi_layout l;

	if (argc < 2) {
		fprintf(stderr, "usage: acpi-dump-arm64 DIR [cpus=N] [pci=N] [viommus=N]\n");
		return 2;
	}
	cpus = (unsigned)arg(argc, argv, "cpus", 2);
	pci = (unsigned)arg(argc, argv, "pci", 2);
	nv = (unsigned)arg(argc, argv, "viommus", 0);
	if (!cpus || cpus > ACPI_ARM64_MAX_CPUS || pci > ACPI_MAX_PCI_HOSTS || nv > pci) {
		fprintf(stderr, "acpi-dump-arm64: bad counts\n");
		return 2;
	}
	for (unsigned i = 0; i < cpus; i++)
		mpidrs[i] = (uint64_t)(i / 16) << 8 | i % 16; /* dt_cpu_mpidr */
	for (unsigned h = 0; h < pci; h++) {
		unsigned nbus = 256 / pci;
		struct acpi_pci_host *a = &hosts[h];

		a->bus_start = (uint8_t)(h * nbus);
		a->bus_end = (uint8_t)(h * nbus + nbus - 1);
		a->ecam_base = AARCH64_PCI_ECAM_BASE;
		a->mmio32_size = (AARCH64_PCI_MMIO32_SIZE / pci) & ~0xfffffull;
		a->mmio32_base = AARCH64_PCI_MMIO32_BASE + h * a->mmio32_size;
		a->mmio64_size = (AARCH64_PCI_MMIO64_SIZE / pci) & ~0xfffffull;
		a->mmio64_base = AARCH64_PCI_MMIO64_BASE + h * a->mmio64_size;
		for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++)
			for (unsigned p = 0; p < 4; p++)
				a->prt_gsi[d][p] = 32 + AARCH64_PCI_INTX_SPI_BASE + (d + p) % 4;
		a->preserve_boot_config = h < nv;
		if (h < nv)
			viommus[h] = (struct acpi_viommu){ .reg_base = AARCH64_VIOMMU_BASE + h * AARCH64_VIOMMU_STRIDE,
							   .bus_first = a->bus_start, .bus_last = a->bus_end };
	}
	struct acpi_arm64_params p = {
		.nr_cpus = cpus, .mpidrs = mpidrs,
		.gicd_base = AARCH64_GIC_DIST_BASE, .gicr_base = AARCH64_GIC_REDIST_BASE,
		.gicr_size = cpus * AARCH64_GIC_REDIST_STRIDE, .its_base = AARCH64_GIC_ITS_BASE,
		.gic_maint_gsiv = 16 + AARCH64_GIC_MAINT_PPI,
		.timer_gsiv = { 16 + AARCH64_TIMER_S_EL1_PPI, 16 + AARCH64_TIMER_NS_EL1_PPI,
				16 + AARCH64_TIMER_VIRT_PPI, 16 + AARCH64_TIMER_NS_EL2_PPI },
		.uart_base = AARCH64_PL011_BASE, .uart_size = AARCH64_PL011_SIZE,
		.uart_gsiv = 32 + AARCH64_PL011_SPI,
		.nr_pci_hosts = pci, .pci_hosts = hosts,
		.nr_viommus = nv, .viommus = viommus, .viommu_devid_base = AARCH64_VIOMMU_ITS_DEVID_BASE,
		.msi_rmr_base = nv ? AARCH64_MSI_IOVA_BASE : 0, .msi_rmr_size = nv ? AARCH64_MSI_IOVA_SIZE : 0,
		.pa_bits = AARCH64_PA_BITS,
	};
	int r = acpi_build_arm64(&p, 0x7fe11000, buf, sizeof(buf), &l);
	if (!r)
		r = acpi_write_tables(&l, buf, argv[1]);
	if (r) {
		fprintf(stderr, "acpi-dump-arm64: %s\n", strerror(-r));
		return 1;
	}
	for (unsigned i = 0; i < l.nr_tables; i++)
		printf("%s gpa=0x%" PRIx64 " len=%u\n", l.tables[i].signature, l.tables[i].gpa, l.tables[i].length);
	return 0;
}
