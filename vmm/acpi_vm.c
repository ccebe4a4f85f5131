// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI for an aarch64 guest (boot-source.firmware_tables = "acpi"). The
 * tables describe exactly what the device tree would (they are built from
 * the same struct dt_params, arm64_dt_params), and the guest finds them
 * the way the Linux EFI stub would hand them over: a stub DTB with only
 * /chosen pointing at an EFI system table and memory map (acpi/efi.c).
 *
 * The firmware area, where the DTB goes otherwise (the end of RAM):
 *
 *   +0        stub DTB (at most ARM64_FW_STUB_DTB_MAX)
 *   +64 KiB   EFI system table, config tables, memory map (one page)
 *   +68 KiB   RSDP, XSDT, ... (acpi_build_arm64)
 *
 * The memory map calls [+64 KiB, end of the area) ACPI reclaim memory and
 * the rest of RAM conventional; the kernel reserves its image, the initrd
 * and the stub DTB itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "dt.h"
#include "layout.h"
#include "vm-internal.h"
#include "vm_arm64.h"

#define EFI_PAGE 0x1000ULL

struct arm64_acpi_tmp {
	uint64_t mpidrs[DT_MAX_CPUS];
	struct acpi_pci_host hosts[DT_MAX_PCI_HOSTS];
	struct acpi_viommu viommus[DT_MAX_VIOMMUS];
	struct acpi_virtio_mmio mmio[DT_MAX_VIRTIO_MMIO];
};

static void host_from_dt(const struct dt_params *dp, const struct dt_pci_host *h, struct acpi_pci_host *a)
{
	memset(a, 0, sizeof(*a));
	a->bus_start = h->bus_start;
	a->bus_end = h->bus_end;
	a->ecam_base = h->ecam_base;
	a->mmio32_base = h->mmio32.base;
	a->mmio32_size = h->mmio32.size;
	a->mmio64_base = h->mmio64.base;
	a->mmio64_size = h->mmio64.size;
	/* The device tree's interrupt-map: slot d pin p -> SPI base + (d + p) % 4. */
	for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++)
		for (unsigned pin = 0; pin < 4; pin++)
			a->prt_gsi[d][pin] = 32 + dp->pci_intx_spi_base + (d + pin) % 4;
}

/*
 * vIOMMU k of the device tree (the SMMUv3 its root bus's iommu-map names)
 * becomes IORT SMMUv3 node k over that root bus's buses; its own MSIs keep
 * the DeviceID the device tree gives them.
 */
static int viommus_from_dt(const struct dt_params *dp, struct arm64_acpi_tmp *t, struct acpi_arm64_params *a,
			   char *msg, size_t msglen)
{
	for (unsigned k = 0; k < dp->nr_viommus; k++) {
		int host = -1;

		for (unsigned h = 0; h < dp->nr_pci_hosts; h++)
			if (dp->pci[h].viommu == (int)k)
				host = (int)h;
		if (host < 0 || dp->viommus[k].its_devid != dp->viommus[0].its_devid + k) {
			snprintf(msg, msglen, "ACPI: vSMMUv3 %u is not in front of exactly one root bus", k);
			return -EINVAL;
		}
		/* Its RMR names the bus's PCI StreamIDs: Linux honours it only with a preserved config. */
		t->hosts[host].preserve_boot_config = true;
		t->viommus[k] = (struct acpi_viommu){
			.reg_base = dp->viommus[k].base,
			.bus_first = dp->pci[host].bus_start,
			.bus_last = dp->pci[host].bus_end,
		};
	}
	a->nr_viommus = dp->nr_viommus;
	a->viommus = t->viommus;
	a->viommu_devid_base = dp->nr_viommus ? dp->viommus[0].its_devid : 0;
	/* The DT's MSI window when its host told one (iommu_sysfs_msi_window), else the host kernel's default. */
	if (dp->nr_viommus) {
		a->msi_rmr_base = dp->msi_window.size ? dp->msi_window.base : AARCH64_MSI_IOVA_BASE;
		a->msi_rmr_size = dp->msi_window.size ? dp->msi_window.size : AARCH64_MSI_IOVA_SIZE;
	}
	return 0;
}

static int acpi_params_from_dt(const struct dt_params *dp, struct arm64_acpi_tmp *t, struct acpi_arm64_params *a,
			       char *msg, size_t msglen)
{
	memset(a, 0, sizeof(*a));
	for (unsigned i = 0; i < dp->nr_cpus; i++)
		t->mpidrs[i] = dt_cpu_mpidr(i);
	a->nr_cpus = dp->nr_cpus;
	a->mpidrs = t->mpidrs;
	a->gicd_base = dp->gic_dist.base;
	a->gicr_base = dp->gic_redist.base;
	a->gicr_size = dp->gic_redist.size;
	a->its_base = dp->gic_its.base;
	a->gic_maint_gsiv = 16 + dp->gic_maint_ppi;
	for (unsigned i = 0; i < 4; i++)
		a->timer_gsiv[i] = 16 + dp->timer_ppis[i];
	a->uart_base = dp->uart.base;
	a->uart_size = dp->uart.size;
	a->uart_gsiv = 32 + dp->uart_spi;
	for (unsigned h = 0; h < dp->nr_pci_hosts; h++)
		host_from_dt(dp, &dp->pci[h], &t->hosts[h]);
	for (unsigned i = 0; i < dp->nr_virtio_mmio; i++)
		t->mmio[i] = (struct acpi_virtio_mmio){
			.base = (uint32_t)(dp->virtio_mmio_base + i * dp->virtio_mmio_stride),
			.size = (uint32_t)dp->virtio_mmio_size,
			.gsi = 32 + dp->virtio_mmio_spi_base + i,
		};
	a->nr_virtio_mmio = dp->nr_virtio_mmio;
	a->virtio_mmio = t->mmio;
	a->nr_pci_hosts = dp->nr_pci_hosts;
	a->pci_hosts = t->hosts;
	a->pa_bits = AARCH64_PA_BITS;
	return viommus_from_dt(dp, t, a, msg, msglen);
}

static int fail(char *msg, size_t msglen, int r, const char *what)
{
	snprintf(msg, msglen, "building the ACPI tables: %s: %s", what,
		 r == -ENOSPC ? "they do not fit in the 2 MiB firmware area" : strerror(-r));
	return r == -EINVAL ? -EIO : r; /* inputs the config allowed: skiff's fault, not the config's */
}

int arm64_acpi_for_config(const struct skiff_config *cfg, const char *cmdline, const struct pci_root_cfg *rc,
			  const struct iommu_plan *plan, unsigned nr_virtio_mmio, uint64_t initrd_gpa,
			  uint64_t initrd_len, uint64_t area_gpa, void *area, size_t area_size,
			  struct acpi_layout *tables, char *msg, size_t msglen)
{
	const size_t efi_off = ARM64_FW_STUB_DTB_MAX, acpi_off = efi_off + EFI_PAGE;
	struct arm64_acpi_tmp t; /* about 13 KiB */
	struct acpi_arm64_params ap;
	struct acpi_efi_layout el;
	struct acpi_layout al;
	struct dt_params dp;
	size_t dtb_len;
	int r;

	if (area_size < acpi_off + EFI_PAGE || area_gpa % EFI_PAGE || area_size % EFI_PAGE)
		return fail(msg, msglen, -ENOSPC, "firmware area");
	r = arm64_dt_params(cfg, cmdline, rc, plan, nr_virtio_mmio, initrd_gpa, initrd_len, &dp, msg, msglen);
	if (!r)
		r = acpi_params_from_dt(&dp, &t, &ap, msg, msglen);
	if (r)
		return r;
	memset(area, 0, area_size);
	r = acpi_build_arm64(&ap, area_gpa + acpi_off, (uint8_t *)area + acpi_off, area_size - acpi_off, &al);
	if (r)
		return fail(msg, msglen, r, "tables");
	struct acpi_efi_params ep = {
		.ram_base = dp.ram.base, .ram_size = dp.ram.size,
		.reserved_base = area_gpa + efi_off, .reserved_size = area_size - efi_off,
		.rsdp_gpa = al.rsdp_gpa,
	};
	r = acpi_build_efi(&ep, area_gpa + efi_off, (uint8_t *)area + efi_off, EFI_PAGE, &el);
	if (r)
		return fail(msg, msglen, r, "EFI system table");
	struct dt_efi_stub stub = {
		.bootargs = cmdline, .initrd = dp.initrd, .systab = el.systab_gpa, .mmap_start = el.mmap_gpa,
		.mmap_size = el.mmap_size, .desc_size = el.desc_size, .desc_version = el.desc_version,
	};
	r = dt_build_efi_stub(&stub, area, ARM64_FW_STUB_DTB_MAX, &dtb_len);
	if (r)
		return fail(msg, msglen, r, "stub device tree");
	if (tables) {
		*tables = al;
		for (unsigned i = 0; i < al.nr_tables; i++)
			tables->tables[i].offset += (uint32_t)acpi_off;
		tables->used = acpi_off + al.used;
	}
	return 0;
}
