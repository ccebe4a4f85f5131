/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The x86_64 guest-physical and I/O-port map, all in one place.
 * Low memory (below 1 MiB) holds the boot structures; the kernel is
 * loaded at 1 MiB; RAM above X86_MMIO_HOLE_START moves above 4 GiB so the
 * [3 GiB, 4 GiB) window stays free for the IOAPIC, LAPIC and (later) PCIe.
 */
#ifndef SKIFF_X86_LAYOUT_H
#define SKIFF_X86_LAYOUT_H

/* Boot structures in low memory. */
#define X86_BOOT_GDT_ADDR        0x0500ULL   /* 5 descriptors */
#define X86_BOOT_IDT_ADDR        0x0540ULL
#define X86_PVH_START_INFO_ADDR  0x6000ULL   /* struct hvm_start_info */
#define X86_PVH_MODLIST_ADDR     0x6040ULL   /* one hvm_modlist_entry (initrd) */
#define X86_PVH_MEMMAP_ADDR      0x6100ULL   /* up to X86_E820_MAX entries */
#define X86_ZERO_PAGE_ADDR       0x7000ULL   /* struct boot_params */
#define X86_PML4_ADDR            0x9000ULL
#define X86_PDPT_ADDR            0xa000ULL
#define X86_PD_ADDR              0xb000ULL   /* 4 pages: 4 GiB of 2 MiB pages */
#define X86_BOOT_STACK_ADDR      0x8ff0ULL
#define X86_CMDLINE_ADDR         0x20000ULL
#define X86_CMDLINE_MAX          0x10000ULL  /* bytes, including the NUL */
#define X86_EBDA_START           0x9fc00ULL  /* reserved from here to 1 MiB */
#define X86_ACPI_TABLES_ADDR     0xe0000ULL  /* RSDP first: Linux also scans here */
#define X86_ACPI_TABLES_SIZE     0x20000ULL
#define X86_HIGH_MEM_START       0x100000ULL /* kernel load address */

#define X86_MMIO_HOLE_START      0xc0000000ULL
#define X86_4G                   0x100000000ULL
#define X86_IOAPIC_ADDR          0xfec00000ULL
#define X86_LAPIC_ADDR           0xfee00000ULL

#define X86_E820_MAX             16

/* ---- PCI (pci/, acpi/) ----------------------------------------------------
 * Segment 0 ECAM for buses 0..255 at 1 MiB per bus (the MCFG base: bus n's
 * config space is at X86_PCI_ECAM_BASE + (n << 20)); the 32-bit BAR
 * window below it, the 64-bit one at 256 GiB (keep RAM below it; fits a
 * 39-bit guest physical address space). pci_root_cfg_x86() splits the
 * buses and both windows evenly between the root buses.
 * INTx: slot d, pin p (0 = INTA) -> GSI X86_PCI_INTX_GSI_BASE + (d + p) % 4,
 * level-triggered, on every root bus. The GED (power button) uses its own GSI.
 */
#define X86_PCI_MMIO32_BASE      0xc0000000ULL
#define X86_PCI_MMIO32_SIZE      0x20000000ULL /* 512 MiB */
#define X86_PCI_ECAM_BASE        0xe0000000ULL
#define X86_PCI_ECAM_SIZE        0x10000000ULL /* 256 buses */
#define X86_PCI_MMIO64_BASE      0x4000000000ULL
#define X86_PCI_MMIO64_SIZE      0x1000000000ULL /* 64 GiB */
#define X86_PCI_INTX_GSI_BASE    16
#define X86_PCI_INTX_GSI_COUNT   4
/*
 * virtio-mmio (only when the guest runs with pci=off, so the PCI 32-bit
 * window is free): one 4 KiB slot per device, ISA GSIs that are edge
 * triggered and not taken by COM1 (4), the RTC (8) or the SCI (9).
 */
#define X86_VIRTIO_MMIO_BASE     0xd0000000ULL
#define X86_VIRTIO_MMIO_STRIDE   0x1000ULL
#define X86_VIRTIO_MMIO_GSIS     { 5, 6, 7, 10, 11, 12, 13, 14, 15 }
#define X86_GED_ADDR             0xfeb00000ULL /* one 32-bit event register */
#define X86_GED_GSI              20
/*
 * vIOMMU register blocks (acpi/ DMAR, IORT): slot i at X86_VIOMMU_BASE +
 * i * X86_VIOMMU_STRIDE, for up to X86_VIOMMU_MAX vIOMMUs. A slot holds a
 * VT-d unit's 4 KiB register page or an SMMUv3's two 64 KiB pages, so it
 * is 128 KiB and 128 KiB aligned. Between the ECAM and the GED, outside
 * every PCI window: 0xfe000000-0xfe0fffff.
 */
#define X86_VIOMMU_BASE          0xfe000000ULL
#define X86_VIOMMU_STRIDE        0x20000ULL
#define X86_VIOMMU_MAX           8
#define X86_VIOMMU_VTD_SIZE      0x1000ULL
#define X86_VIOMMU_SMMUV3_SIZE   0x20000ULL

_Static_assert(X86_VIOMMU_BASE >= X86_PCI_ECAM_BASE + X86_PCI_ECAM_SIZE &&
	       X86_VIOMMU_BASE + X86_VIOMMU_MAX * X86_VIOMMU_STRIDE <= X86_GED_ADDR,
	       "vIOMMU register region overlaps the ECAM or the GED");
_Static_assert(X86_VIOMMU_BASE % X86_VIOMMU_STRIDE == 0 &&
	       X86_VIOMMU_SMMUV3_SIZE <= X86_VIOMMU_STRIDE && X86_VIOMMU_VTD_SIZE <= X86_VIOMMU_STRIDE,
	       "vIOMMU slots must be 128 KiB aligned and hold an SMMUv3 frame");

/* I/O ports. */
#define X86_PORT_I8042_DATA      0x60
#define X86_PORT_I8042_CMD       0x64
#define X86_PORT_COM1            0x3f8
#define X86_IRQ_COM1             4
#define X86_PORT_RTC             0x70
#define X86_IRQ_RTC              8
#define X86_PORT_PVPANIC         0x505
/* ACPI hardware-reduced sleep control/status and reset registers. */
#define X86_PORT_ACPI_SLEEP_CTL  0x600
#define X86_PORT_ACPI_SLEEP_STS  0x601
#define X86_PORT_ACPI_RESET      0x602
#define X86_ACPI_RESET_VALUE     0x01
#define X86_ACPI_S5_SLP_TYP      0x05

#endif
