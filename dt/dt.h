/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arm64 guest's device tree (a flattened DTB built with libfdt):
 * memory, CPUs started through PSCI, a GICv3 with its ITS, the architected
 * timer, a PL011 console, PCIe ECAM host bridges (one per root bus, each
 * with an msi-map to the ITS and, when a vSMMUv3 sits in front of it, an
 * iommu-map to that SMMU) and the vSMMUv3s themselves, plus /chosen.
 *
 * The builder takes every address as a parameter (the VM fills them from
 * arch/aarch64/layout.h), so it builds and is tested on any host.
 * Interrupts are SPI numbers (GIC INTID - 32).
 */
#ifndef SKIFF_DT_H
#define SKIFF_DT_H

#include <stddef.h>
#include <stdint.h>

#define DT_MAX_CPUS       256   /* MPIDR Aff1:Aff0 as KVM assigns them: 16 per cluster */
#define DT_MAX_PCI_HOSTS  8
#define DT_MAX_VIOMMUS    8
#define DT_MAX_VIRTIO_MMIO 32

struct dt_range {
	uint64_t base, size;
};

/* One PCIe host bridge: segment-wide ECAM, its bus range and BAR windows. */
struct dt_pci_host {
	uint64_t ecam_base;          /* bus 0 of the segment; bus n at ecam_base + (n << 20) */
	uint8_t bus_start, bus_end;  /* inclusive */
	struct dt_range mmio32;      /* non-prefetchable, below 4 GiB; size 0: none */
	struct dt_range mmio64;      /* size 0: none */
	int viommu;                  /* index into dt_params.viommus, or -1 (no vIOMMU) */
	/*
	 * Bit d: device d (function 0) on bus_start is an assigned device
	 * behind the vSMMUv3 whose stage-1 must map dt_params.msi_window 1:1;
	 * it gets a node of its own naming the window (reserved-memory
	 * iommu-addresses), which Linux turns into a direct mapping.
	 */
	uint32_t msi_direct_devs;
};

/*
 * One vSMMUv3: its two 64 KiB register pages, four consecutive SPIs
 * (eventq, priq, cmdq-sync, gerror) and the ITS DeviceID of its own MSIs.
 * The model signals through MSIs only (docs/vsmmuv3.md), so the node has
 * an msi-parent and Linux takes MSIs from the ITS; the SPIs are what the
 * binding lists for a wired fallback the model does not raise.
 */
struct dt_smmuv3 {
	uint64_t base;
	unsigned spi_base;
	uint32_t its_devid;
};

struct dt_params {
	struct dt_range ram;
	unsigned nr_cpus;                /* 1..DT_MAX_CPUS */
	struct dt_range gic_dist, gic_redist, gic_its;
	unsigned gic_maint_ppi;
	unsigned timer_ppis[4];          /* secure phys, non-secure phys, virtual, hyp phys */
	struct dt_range uart;            /* PL011 */
	unsigned uart_spi;
	uint32_t uart_clock_hz;
	unsigned nr_pci_hosts;           /* 0..DT_MAX_PCI_HOSTS */
	struct dt_pci_host pci[DT_MAX_PCI_HOSTS];
	unsigned pci_intx_spi_base;      /* slot d pin p (0 = INTA) -> base + (d + p) % 4, level */
	unsigned nr_viommus;             /* 0..DT_MAX_VIOMMUS */
	struct dt_smmuv3 viommus[DT_MAX_VIOMMUS];
	/*
	 * The host's MSI doorbell window (iommufd maps the host interrupt
	 * controller there in a nested device's stage-2): the host programs
	 * the device's MSIs with addresses in it, and they pass the guest's
	 * stage-1 first. Size 0: none (then no host may set msi_direct_devs).
	 */
	struct dt_range msi_window;
	/* virtio-mmio transports (pci=off): slot i at base + i * stride, edge SPI spi_base + i */
	unsigned nr_virtio_mmio;         /* 0..DT_MAX_VIRTIO_MMIO */
	uint64_t virtio_mmio_base, virtio_mmio_stride, virtio_mmio_size;
	unsigned virtio_mmio_spi_base;
	const char *bootargs;            /* NULL: none */
	struct dt_range initrd;          /* size 0: none */
};

/* The MPIDR KVM gives vCPU index i by default: Aff0 = i % 16, Aff1 = i / 16. */
uint64_t dt_cpu_mpidr(unsigned i);

/*
 * Build the DTB into buf (size bytes; the arm64 boot protocol allows up to
 * 2 MiB). *len gets the blob's size. -EINVAL for inconsistent parameters
 * (counts out of range, overlapping bus ranges, a vIOMMU index that does
 * not exist, an SPI beyond the GIC's), -ENOSPC if buf is too small.
 */
int dt_build(const struct dt_params *p, void *buf, size_t size, size_t *len)
	__attribute__((warn_unused_result));

/*
 * The stub tree of an ACPI boot (dt_stub.c): only /chosen, with bootargs
 * (NULL: none), the initrd (size 0: none) and the EFI system table and
 * memory map (acpi_build_efi) as the EFI stub passes them.
 */
#define DT_EFI_SECURE_BOOT_DISABLED 2 /* Linux's enum efi_secureboot_mode */

struct dt_efi_stub {
	const char *bootargs;
	struct dt_range initrd;
	uint64_t systab, mmap_start;
	uint32_t mmap_size, desc_size, desc_version;
};

int dt_build_efi_stub(const struct dt_efi_stub *p, void *buf, size_t size, size_t *len)
	__attribute__((warn_unused_result));

#endif
