/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The aarch64 guest-physical map, all in one place. Devices sit below
 * 1 GiB, RAM starts at 1 GiB (where Linux and firmware expect it on
 * "virt"-like machines), the 64-bit PCI window sits far above RAM. The
 * shape follows QEMU's virt machine (GIC, UART and ECAM in the low 1 GiB)
 * without copying its numbers: one ECAM of 256 buses split between the
 * root buses, as on x86, and a slot per vSMMUv3.
 *
 * Interrupts: SPI n is GIC INTID 32 + n, PPI n is INTID 16 + n (the device
 * tree and the KVM_IRQ_LINE encoding both count SPIs and PPIs from 0).
 */
#ifndef SKIFF_AARCH64_LAYOUT_H
#define SKIFF_AARCH64_LAYOUT_H

/* ---- GICv3 ----------------------------------------------------------------
 * Distributor 64 KiB; ITS two 64 KiB frames (control, translater);
 * redistributors 128 KiB per vCPU (RD_base + SGI_base) packed from
 * AARCH64_GIC_REDIST_BASE, enough for AARCH64_MAX_VCPUS.
 */
#define AARCH64_GIC_DIST_BASE       0x08000000ULL
#define AARCH64_GIC_DIST_SIZE       0x10000ULL
#define AARCH64_GIC_ITS_BASE        0x08080000ULL
#define AARCH64_GIC_ITS_SIZE        0x20000ULL
/* GITS_TRANSLATER: the doorbell every MSI of the VM targets (translater frame + 0x40). */
#define AARCH64_GIC_ITS_DOORBELL    (AARCH64_GIC_ITS_BASE + 0x10040ULL)
#define AARCH64_GIC_REDIST_BASE     0x080a0000ULL
#define AARCH64_GIC_REDIST_STRIDE   0x20000ULL
#define AARCH64_MAX_VCPUS           64
#define AARCH64_GIC_REDIST_SIZE     (AARCH64_MAX_VCPUS * AARCH64_GIC_REDIST_STRIDE)
#define AARCH64_GIC_NR_IRQS         256   /* INTIDs 0..255: 224 SPIs */
/* Maintenance interrupt of the virtual GIC (PPI), as KVM and QEMU use it. */
#define AARCH64_GIC_MAINT_PPI       9

/* Architected timer PPIs: secure phys, non-secure phys, virtual, hyp phys. */
#define AARCH64_TIMER_S_EL1_PPI     13
#define AARCH64_TIMER_NS_EL1_PPI    14
#define AARCH64_TIMER_VIRT_PPI      11
#define AARCH64_TIMER_NS_EL2_PPI    10

/* ---- PL011 UART (console) ------------------------------------------------- */
#define AARCH64_PL011_BASE          0x09000000ULL
#define AARCH64_PL011_SIZE          0x1000ULL
#define AARCH64_PL011_SPI           1
/* The fixed clock the PL011 node names; the guest only uses it to compute baud divisors. */
#define AARCH64_PL011_CLOCK_HZ      24000000u

/* ---- vSMMUv3 frames -------------------------------------------------------
 * Slot i at AARCH64_VIOMMU_BASE + i * AARCH64_VIOMMU_STRIDE: the SMMUv3's
 * two 64 KiB register pages, so 128 KiB aligned. Each takes
 * AARCH64_VIOMMU_SPIS_PER consecutive SPIs from AARCH64_VIOMMU_SPI_BASE,
 * in the order eventq, priq, cmdq-sync, gerror.
 */
#define AARCH64_VIOMMU_BASE         0x09100000ULL
#define AARCH64_VIOMMU_STRIDE       0x20000ULL
#define AARCH64_VIOMMU_MAX          8
#define AARCH64_VIOMMU_SMMUV3_SIZE  0x20000ULL
#define AARCH64_VIOMMU_SPI_BASE     64
#define AARCH64_VIOMMU_SPIS_PER     4
/*
 * The vSMMUv3 model raises MSIs only; slot i's go to the ITS as DeviceID
 * AARCH64_VIOMMU_ITS_DEVID_BASE + i. KVM's ITS has 16-bit DeviceIDs and
 * PCI requester IDs use them all, so these sit in bus 255's RIDs: bus 255
 * is never a root bus's first bus (the only bus with devices: root buses
 * hold integrated endpoints) as long as each root bus gets 2 buses or more.
 */
#define AARCH64_VIOMMU_ITS_DEVID_BASE 0xff00u
/*
 * The host kernel maps its ITS doorbell at this IOVA (its MSI_IOVA_BASE,
 * 1 MiB) in the stage-2 of an assigned device behind a nested vSMMUv3, so
 * the guest's stage-1 must leave the range identity-mapped: ACPI says so
 * with an IORT RMR per vSMMUv3 (docs/arm64.md).
 */
#define AARCH64_MSI_IOVA_BASE       0x08000000ULL
#define AARCH64_MSI_IOVA_SIZE       0x100000ULL
/* Guest-physical address bits that cover RAM and the 64-bit PCI window (the IORT's DMA limit). */
#define AARCH64_PA_BITS             40

/* ---- virtio-mmio: one 4 KiB slot and one edge SPI per device --------------- */
#define AARCH64_VIRTIO_MMIO_BASE    0x0a000000ULL
#define AARCH64_VIRTIO_MMIO_STRIDE  0x1000ULL
#define AARCH64_VIRTIO_MMIO_MAX     32
#define AARCH64_VIRTIO_MMIO_SPI_BASE 16

/* ---- PCI ------------------------------------------------------------------
 * One ECAM of 256 buses (bus n's config space at AARCH64_PCI_ECAM_BASE +
 * (n << 20)); pci_root_cfg_aarch64() splits the buses and both BAR windows
 * evenly between the root buses, and each root bus becomes its own host
 * bridge node whose ECAM "reg" is its slice. INTx: slot d, pin p -> SPI
 * AARCH64_PCI_INTX_SPI_BASE + (d + p) % 4, level. MSIs go through the ITS.
 */
#define AARCH64_PCI_MMIO32_BASE     0x10000000ULL
#define AARCH64_PCI_MMIO32_SIZE     0x20000000ULL /* 512 MiB */
#define AARCH64_PCI_ECAM_BASE       0x30000000ULL
#define AARCH64_PCI_ECAM_SIZE       0x10000000ULL /* 256 buses */
#define AARCH64_PCI_MMIO64_BASE     0x8000000000ULL  /* 512 GiB */
#define AARCH64_PCI_MMIO64_SIZE     0x1000000000ULL  /* 64 GiB */
#define AARCH64_PCI_INTX_SPI_BASE   3
#define AARCH64_PCI_INTX_SPI_COUNT  4

/* ---- RAM ------------------------------------------------------------------
 * From 1 GiB up to the 64-bit PCI window. The kernel Image is loaded at
 * the start (2 MiB aligned, as the arm64 boot protocol asks); the DTB
 * goes in the last AARCH64_FDT_MAX_SIZE of RAM (the protocol limits it to
 * 2 MiB and 8-byte alignment), the initrd right below it.
 */
#define AARCH64_RAM_BASE            0x40000000ULL
#define AARCH64_RAM_DEFAULT_SIZE    0x40000000ULL /* 1 GiB */
#define AARCH64_RAM_MAX_SIZE        (AARCH64_PCI_MMIO64_BASE - AARCH64_RAM_BASE)
#define AARCH64_FDT_MAX_SIZE        0x200000ULL

_Static_assert(AARCH64_GIC_ITS_BASE >= AARCH64_GIC_DIST_BASE + AARCH64_GIC_DIST_SIZE &&
	       AARCH64_GIC_REDIST_BASE >= AARCH64_GIC_ITS_BASE + AARCH64_GIC_ITS_SIZE &&
	       AARCH64_GIC_REDIST_BASE + AARCH64_GIC_REDIST_SIZE <= AARCH64_PL011_BASE,
	       "GIC frames overlap each other or the UART");
_Static_assert(AARCH64_VIOMMU_BASE >= AARCH64_PL011_BASE + AARCH64_PL011_SIZE &&
	       AARCH64_VIOMMU_BASE + AARCH64_VIOMMU_MAX * AARCH64_VIOMMU_STRIDE <= AARCH64_VIRTIO_MMIO_BASE &&
	       AARCH64_VIOMMU_BASE % AARCH64_VIOMMU_STRIDE == 0,
	       "vSMMUv3 slots overlap the UART or virtio-mmio, or are misaligned");
_Static_assert(AARCH64_VIRTIO_MMIO_BASE + AARCH64_VIRTIO_MMIO_MAX * AARCH64_VIRTIO_MMIO_STRIDE <=
	       AARCH64_PCI_MMIO32_BASE &&
	       AARCH64_PCI_MMIO32_BASE + AARCH64_PCI_MMIO32_SIZE <= AARCH64_PCI_ECAM_BASE &&
	       AARCH64_PCI_ECAM_BASE + AARCH64_PCI_ECAM_SIZE <= AARCH64_RAM_BASE,
	       "virtio-mmio, PCI windows and RAM overlap");
_Static_assert(AARCH64_VIOMMU_SPI_BASE + AARCH64_VIOMMU_MAX * AARCH64_VIOMMU_SPIS_PER <=
	       AARCH64_GIC_NR_IRQS - 32 &&
	       AARCH64_VIRTIO_MMIO_SPI_BASE + AARCH64_VIRTIO_MMIO_MAX <= AARCH64_VIOMMU_SPI_BASE &&
	       AARCH64_PCI_INTX_SPI_BASE + AARCH64_PCI_INTX_SPI_COUNT <= AARCH64_VIRTIO_MMIO_SPI_BASE &&
	       AARCH64_PL011_SPI < AARCH64_PCI_INTX_SPI_BASE,
	       "SPI assignments overlap or exceed the GIC");

#endif
