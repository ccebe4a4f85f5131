// SPDX-License-Identifier: Apache-2.0
/*
 * The aarch64 VM's device tree from its config and the guest-physical map
 * (arch/aarch64/layout.h). No KVM here: `skiff --dump-dtb` and the VM
 * build the same bytes from the same inputs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dt.h"
#include "iommu.h"
#include "layout.h"
#include "virtio.h"
#include "vm-internal.h"
#include "vm_arm64.h"

unsigned arm64_nr_root_buses(const struct skiff_config *cfg, const char *boot_args)
{
	return boot_args_have(boot_args, "pci=off") ? 0 : vm_nr_root_buses(cfg);
}

static void dt_fixed_params(struct dt_params *p, unsigned nr_cpus, uint64_t ram_size)
{
	memset(p, 0, sizeof(*p));
	p->ram = (struct dt_range){ AARCH64_RAM_BASE, ram_size };
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
}

/*
 * The unit's assigned devices whose host has a software MSI window: their
 * MSIs (host-programmed addresses in that window) pass the guest's
 * stage-1, so the DT asks the guest to map the window 1:1 for them
 * (docs/vsmmuv3.md "MSIs of assigned devices"). The window is the same
 * for every SMMUv3 (the driver's fixed one); the first found is used.
 */
static void msi_direct_devs(const struct iommu_plan *plan, unsigned unit, struct dt_pci_host *h,
			    struct dt_range *win)
{
	for (unsigned i = 0; i < iommu_plan_nr_devs(plan); i++) {
		const struct iommu_dev *d = iommu_plan_dev(plan, i);
		uint64_t base, size;

		if (d->unit != unit || d->why[0] || !d->bdf[0] || d->slot >= 32 ||
		    iommu_sysfs_msi_window(NULL, d->bdf, &base, &size))
			continue;
		if (!win->size)
			*win = (struct dt_range){ base, size };
		if (win->base == base && win->size == size)
			h->msi_direct_devs |= 1u << d->slot;
	}
}

/* One vSMMUv3 node per arm64_vsmmu_units() slot, each the iommu-map target of its unit's root bus. */
static void dt_vsmmus(const struct skiff_config *cfg, const struct iommu_plan *plan, struct dt_params *p)
{
	unsigned units[AARCH64_VIOMMU_MAX];
	unsigned n = arm64_vsmmu_units(cfg, plan, units, AARCH64_VIOMMU_MAX);

	for (unsigned k = 0; k < n && k < DT_MAX_VIOMMUS; k++) {
		unsigned bus = iommu_plan_unit(plan, units[k])->root_bus;

		p->viommus[k] = (struct dt_smmuv3){ .base = AARCH64_VIOMMU_BASE + k * AARCH64_VIOMMU_STRIDE,
						    .spi_base = AARCH64_VIOMMU_SPI_BASE + k * AARCH64_VIOMMU_SPIS_PER,
						    .its_devid = AARCH64_VIOMMU_ITS_DEVID_BASE + k };
		p->nr_viommus = k + 1;
		if (bus < p->nr_pci_hosts) {
			p->pci[bus].viommu = (int)k;
			msi_direct_devs(plan, units[k], &p->pci[bus], &p->msi_window);
		}
	}
}

int arm64_dt_params(const struct skiff_config *cfg, const char *cmdline, const struct pci_root_cfg *rc,
		    const struct iommu_plan *plan, unsigned nr_virtio_mmio, uint64_t initrd_gpa,
		    uint64_t initrd_len, struct dt_params *p, char *msg, size_t msglen)
{
	if (cfg->vcpu_count == 0 || cfg->vcpu_count > AARCH64_MAX_VCPUS) {
		snprintf(msg, msglen, "%s: machine-config.vcpu_count: 1 to %d on aarch64, got %u", cfg->source,
			 AARCH64_MAX_VCPUS, cfg->vcpu_count);
		return -EINVAL;
	}
	dt_fixed_params(p, cfg->vcpu_count, cfg->mem_size_mib << 20);
	p->bootargs = cmdline;
	p->initrd = (struct dt_range){ initrd_gpa, initrd_len };
	if (rc && rc->nr_buses > DT_MAX_PCI_HOSTS) {
		snprintf(msg, msglen, "%s: at most %d PCIe root buses on aarch64, got %u", cfg->source,
			 DT_MAX_PCI_HOSTS, rc->nr_buses);
		return -EINVAL;
	}
	for (unsigned i = 0; rc && i < rc->nr_buses; i++) {
		const struct pci_root_bus_cfg *b = &rc->buses[i];

		p->pci[i] = (struct dt_pci_host){
			.ecam_base = rc->ecam_base, .bus_start = b->bus_start, .bus_end = b->bus_end,
			.mmio32 = { b->mmio32_base, b->mmio32_size }, .mmio64 = { b->mmio64_base, b->mmio64_size },
			.viommu = -1,
		};
	}
	p->nr_pci_hosts = rc ? rc->nr_buses : 0;
	dt_vsmmus(cfg, plan, p);
	p->nr_virtio_mmio = nr_virtio_mmio;
	p->virtio_mmio_base = AARCH64_VIRTIO_MMIO_BASE;
	p->virtio_mmio_stride = AARCH64_VIRTIO_MMIO_STRIDE;
	p->virtio_mmio_size = VIRTIO_MMIO_SIZE;
	p->virtio_mmio_spi_base = AARCH64_VIRTIO_MMIO_SPI_BASE;
	return 0;
}

int arm64_dt_for_config(const struct skiff_config *cfg, const char *cmdline, const struct pci_root_cfg *rc,
			const struct iommu_plan *plan, unsigned nr_virtio_mmio, uint64_t initrd_gpa,
			uint64_t initrd_len, void *buf, size_t size, size_t *len, char *msg, size_t msglen)
{
	struct dt_params p;
	int r = arm64_dt_params(cfg, cmdline, rc, plan, nr_virtio_mmio, initrd_gpa, initrd_len, &p, msg, msglen);

	if (r)
		return r;
	r = dt_build(&p, buf, size, len);
	if (r)
		snprintf(msg, msglen, "building the device tree: %s", r == -ENOSPC ? "it exceeds 2 MiB" : strerror(-r));
	return r;
}
