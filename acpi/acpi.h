/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACPI tables for an x86 microVM: RSDP, XSDT, FADT (hardware-reduced),
 * DSDT (with \_S5, COM1, the pvpanic device), MADT, MCFG with PCI, DMAR
 * with vIOMMUs. The builder lays the tables out in a caller-provided
 * buffer that will be copied to guest memory at base_gpa, fixes up their
 * cross-pointers and checksums. The IORT (the arm64 vIOMMU table) is
 * built on its own for x86's --dump-acpi; acpi_build_arm64() builds the
 * whole set for an aarch64 guest (GIC MADT, GTDT, SPCR, MCFG, IORT with
 * RMRs), and acpi_build_efi() the minimal EFI system table and memory map
 * through which an arm64 Linux finds them (docs/arm64.md).
 */
#ifndef SKIFF_ACPI_H
#define SKIFF_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_PCI_HOSTS 8
#define ACPI_PCI_SLOTS     32

/*
 * One PCIe root bus (host bridge \_SB.PCIn, n = index): an MCFG allocation
 * and a PNP0A08 device with _SEG 0, _BBN bus_start, _UID n, a _CRS with its
 * bus range and windows, and a _PRT with prt_gsi (ACPI GSIs, hardwired:
 * source 0; 0 = no entry) for every slot's INTA..INTD.
 */
struct acpi_pci_host {
	uint8_t bus_start, bus_end;
	uint64_t ecam_base;          /* MCFG base address: config space of bus 0 */
	uint64_t mmio32_base, mmio32_size;  /* DWordMemory; size 0: none */
	uint64_t mmio64_base, mmio64_size;  /* QWordMemory; size 0: none */
	uint16_t io_base, io_size;   /* WordIO; size 0: none */
	uint32_t prt_gsi[ACPI_PCI_SLOTS][4];
	/*
	 * A _DSM (PCI Firmware 3.3, function 5) telling the OS to keep the
	 * boot configuration: IORT RMRs name PCI StreamIDs, which Linux only
	 * honours for a host bridge that says so (Arm DEN 0049E.d 3.1.1.5).
	 */
	bool preserve_boot_config;
};

/*
 * Generic Event Device (ACPI0013, \_SB.GED0): on its interrupt (a GSI,
 * level-triggered, active-high) the OS runs _EVT, which reads the 32-bit
 * event register at ged_addr (SystemMemory; reading returns the pending
 * events and clears them) and, for ACPI_GED_EVT_POWER_BUTTON, notifies the
 * power button \_SB.PWRB (PNP0C0C) with 0x80: Linux then shuts down. The
 * device model raises the GSI while any event is pending.
 */
#define ACPI_GED_REG_SIZE          4
#define ACPI_GED_EVT_POWER_BUTTON  (1u << 1)

/* A virtio-mmio device (LNRO0005): its register window and GSI (edge, active-high). */
struct acpi_virtio_mmio {
	uint32_t base, size;
	uint32_t gsi;
};

/*
 * vIOMMUs (DMAR on x86, IORT on arm64; docs/acpi.md). Each vIOMMU owns one
 * PCIe root bus and the buses behind its root ports: the bus range
 * [bus_first, bus_last] on its segment, bus_first being the root bus.
 * Ranges of two vIOMMUs on one segment must not overlap.
 *
 * DMAR: one DMA-remapping hardware unit (DRHD) per vIOMMU, with reg_base
 * its 4 KiB VT-d register page. A unit either has include_all set
 * (INCLUDE_PCI_ALL: every device of the segment that no other unit
 * claims; at most one per segment, and it gets no PCI scopes) or lists
 * device scopes: the functions on its root bus, each an endpoint or a
 * bridge/root port (a bridge scope covers everything below it). Units
 * come out in the order given, include_all ones moved after all others.
 *
 * IORT: one SMMUv3 node per vIOMMU, reg_base its 128 KiB register frame
 * (two 64 KiB pages, 64 KiB aligned); its bus range's requester IDs map
 * to it with StreamID = RID. include_all and scopes are not used there.
 */
#define ACPI_MAX_VIOMMUS       8
#define ACPI_VIOMMU_MAX_SCOPES 256 /* every function of a root bus */

enum acpi_viommu_scope_type {
	ACPI_VIOMMU_SCOPE_ENDPOINT = 1, /* a PCI endpoint (DMAR scope type 1) */
	ACPI_VIOMMU_SCOPE_BRIDGE = 2,   /* a root port or bridge and all below it (type 2) */
};

struct acpi_viommu_scope {
	uint8_t type;  /* enum acpi_viommu_scope_type */
	uint8_t dev;   /* 0..31, on the vIOMMU's root bus (bus_first) */
	uint8_t fn;    /* 0..7 */
};

struct acpi_viommu {
	uint64_t reg_base;
	uint16_t segment;
	uint8_t bus_first, bus_last;
	bool include_all;
	unsigned nr_scopes;
	struct acpi_viommu_scope scopes[ACPI_VIOMMU_MAX_SCOPES];
};

/*
 * Check a vIOMMU list for DMAR (the IORT builder checks its own extra
 * rules): at most ACPI_MAX_VIOMMUS, reg_base non-zero, 4 KiB aligned and
 * distinct, bus_first <= bus_last, no overlapping bus ranges on a segment,
 * at most one include_all unit per segment and none with scopes, scopes
 * valid (type, dev < 32, fn < 8, no duplicate). Returns 0, or -E2BIG (too
 * many) / -EINVAL with one sentence in msg (msg_len bytes; may be NULL).
 */
int acpi_viommus_check(const struct acpi_viommu *v, unsigned n, char *msg, size_t msg_len);

struct acpi_x86_params {
	unsigned nr_cpus;            /* one Processor Local APIC entry each, APIC IDs 0..n-1 */
	uint64_t lapic_addr;         /* 0xFEE00000 */
	uint64_t ioapic_addr;        /* 0xFEC00000 */
	uint8_t ioapic_id;
	/* Hardware-reduced sleep control/status and reset: I/O ports. */
	uint16_t sleep_control_port; /* guest writes (SLP_TYP << 2) | SLP_EN (bit 5) */
	uint16_t sleep_status_port;
	uint16_t reset_port;         /* guest writes reset_value */
	uint8_t reset_value;
	uint8_t s5_slp_typ;          /* SLP_TYP value advertised in \_S5 */
	/* COM1 in the DSDT (PNP0501): port and ISA IRQ; port 0 leaves it out. */
	uint16_t com1_port;
	uint8_t com1_irq;
	/* CMOS RTC (PNP0B00): two ports and ISA IRQ; port 0 leaves it out. */
	uint16_t rtc_port;
	uint8_t rtc_irq;
	/* pvpanic (QEMU0001) I/O port; 0 leaves it out. */
	uint16_t pvpanic_port;
	/* PCIe host bridges (MCFG, DSDT); 0/NULL: no PCI. */
	unsigned nr_pci_hosts;
	const struct acpi_pci_host *pci_hosts;
	/* virtio-mmio devices, described in the DSDT as \_SB.VRnn; 0/NULL: none. */
	unsigned nr_virtio_mmio;
	const struct acpi_virtio_mmio *virtio_mmio;
	/* GED + power button; ged_addr 0 leaves them out. */
	uint64_t ged_addr;
	uint32_t ged_gsi;
	/*
	 * vIOMMUs: a DMAR with one DRHD each; 0/NULL: no DMAR. VMs pass their
	 * vVT-d units (vmm/vm_viommu.c). phys_addr_bits is
	 * the guest's physical address width (CPUID 0x80000008 EAX[7:0]),
	 * the DMAR's host address width; 32..64, used only with vIOMMUs.
	 */
	unsigned nr_viommus;
	const struct acpi_viommu *viommus;
	uint8_t phys_addr_bits;
};

#define ACPI_MAX_TABLES 12

struct acpi_table_ref {
	char signature[5];  /* "RSD PTR " is reported as "RSDP" */
	uint64_t gpa;
	uint32_t length;
	uint32_t offset;    /* within the output buffer */
};

struct acpi_layout {
	uint64_t rsdp_gpa;
	size_t used;        /* bytes of the buffer used */
	unsigned nr_tables;
	struct acpi_table_ref tables[ACPI_MAX_TABLES];
};

/*
 * Build all tables into buf (len bytes) destined for guest address
 * base_gpa; the RSDP comes first (16-byte aligned at base_gpa).
 * Returns 0, or -ENOSPC if buf is too small, -EINVAL for bad params.
 *
 * base_gpa must be 16-byte aligned; nr_cpus 1..255; lapic_addr and
 * ioapic_addr below 4 GiB; the sleep control/status and reset ports
 * non-zero; s5_slp_typ 0..7; com1_irq 0..15 (if com1_port).
 * Nothing is written to buf on failure. On -ENOSPC, ret->used (if ret is
 * non-NULL) is set to the number of bytes needed. ret may be NULL.
 * Table signatures in ret->tables: RSDP, XSDT, FACP, DSDT, APIC, MCFG
 * if there are PCI hosts (at most ACPI_MAX_PCI_HOSTS, bus_start <=
 * bus_end, windows not wrapping, mmio32 below 4 GiB, prt_gsi below 2^32),
 * and DMAR if there are vIOMMUs (acpi_viommus_check() passes and, with PCI
 * hosts, each vIOMMU's bus range lies inside one host's on segment 0).
 */
int acpi_build_x86(const struct acpi_x86_params *params, uint64_t base_gpa, uint8_t *buf,
		   size_t len, struct acpi_layout *ret);

/*
 * Write each table of a built layout (buf as filled by acpi_build_x86)
 * to DIR/<SIG>.dat, e.g. for `iasl -d`. 0 or -errno (first failure).
 */
int acpi_write_tables(const struct acpi_layout *l, const uint8_t *buf, const char *dir);

/*
 * Build one vIOMMU table into buf (len bytes): the DMAR (x86) or the IORT
 * (arm64). On success *ret_len is its length; on -ENOSPC (buf too small,
 * e.g. NULL and 0 to ask) *ret_len is the length needed and buf is
 * untouched; -E2BIG / -EINVAL for a list acpi_viommus_check() rejects.
 * addr_bits: the DMAR's host address width / the IORT root complexes'
 * memory address size limit, 32..64.
 *
 * The IORT also needs: reg_base 64 KiB aligned with 128 KiB frames not
 * overlapping, segment < ACPI_IORT_MAX_SEGMENT. Its nodes: one ITS group
 * (ITS ID 0), one SMMUv3 node per vIOMMU, one root complex per segment
 * used, in increasing segment order. Interrupt IDs at the ITS: a PCI
 * function's DeviceID is (segment << 16) | RID, SMMUv3 node i's own MSIs
 * use DeviceID ACPI_IORT_SMMU_DEVID_BASE + i.
 */
#define ACPI_IORT_MAX_SEGMENT     16
#define ACPI_IORT_SMMU_DEVID_BASE (ACPI_IORT_MAX_SEGMENT << 16)
int acpi_build_dmar(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, uint8_t *buf,
		    size_t len, size_t *ret_len);
int acpi_build_iort(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, uint8_t *buf,
		    size_t len, size_t *ret_len);

/*
 * --dump-acpi for the arm64 table: build the IORT for v and write it to
 * DIR/IORT.dat. With n == 0 it writes nothing and returns 0.
 * 0 or -errno.
 */
int acpi_write_iort(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, const char *dir);

/*
 * arm64 (docs/arm64.md "ACPI"): RSDP, XSDT, FADT (hardware-reduced,
 * revision 6.5, PSCI via HVC), DSDT (PL011 ARMH0011, CPUs ACPI0007, PCI
 * host bridges as on x86), MADT (a GICC per vCPU, GICD v3, one GICR
 * range, one ITS), GTDT, SPCR (PL011), MCFG (with PCI hosts) and IORT
 * (ITS group, SMMUv3 per vIOMMU, one root complex for segment 0 covering
 * all buses, and per vIOMMU an RMR that identity-maps the MSI window).
 * Interrupts are GSIVs, i.e. GIC INTIDs (SPI n = 32 + n, PPI n = 16 + n).
 */
#define ACPI_ARM64_MAX_CPUS 256

struct acpi_arm64_params {
	unsigned nr_cpus;               /* 1..ACPI_ARM64_MAX_CPUS */
	const uint64_t *mpidrs;         /* nr_cpus MPIDRs (Aff fields), GICC i = vCPU i */
	uint64_t gicd_base, gicr_base, gicr_size, its_base;
	uint32_t gic_maint_gsiv;        /* 0: none */
	uint32_t timer_gsiv[4];         /* secure EL1, non-secure EL1, virtual, EL2 */
	uint64_t uart_base, uart_size;  /* PL011 */
	uint32_t uart_gsiv;
	unsigned nr_virtio_mmio;        /* LNRO0005 devices, GSIV edge; 0/NULL: none */
	const struct acpi_virtio_mmio *virtio_mmio;
	unsigned nr_pci_hosts;          /* segment 0; prt_gsi are INTIDs */
	const struct acpi_pci_host *pci_hosts;
	/* vIOMMUs (SMMUv3): each's buses lie inside one host's, segment 0. */
	unsigned nr_viommus;
	const struct acpi_viommu *viommus;
	uint32_t viommu_devid_base;     /* SMMUv3 i's own MSIs: ITS DeviceID base + i */
	uint64_t msi_rmr_base, msi_rmr_size; /* identity RMR per vIOMMU; size 0: none */
	uint8_t pa_bits;                /* IORT memory address size limit, 32..64 */
};

/*
 * As acpi_build_x86, for arm64. Table signatures in ret->tables: RSDP,
 * XSDT, FACP, DSDT, APIC, GTDT, SPCR, MCFG (with PCI hosts), IORT.
 * -EINVAL for bad params (counts, alignment, a vIOMMU outside the hosts),
 * -ENOSPC with ret->used set when buf is too small.
 */
int acpi_build_arm64(const struct acpi_arm64_params *params, uint64_t base_gpa, uint8_t *buf,
		     size_t len, struct acpi_layout *ret);

/*
 * IORT options beyond acpi_build_iort's x86-dump defaults: a root complex
 * for segment 0 even without vIOMMUs (all its RIDs to the ITS), the
 * SMMUv3 nodes' own DeviceID base, and an identity RMR of
 * [rmr_base, rmr_base + rmr_size) per SMMUv3 for its stream IDs
 * (rmr_size 0: none; both 64 KiB aligned).
 */
struct acpi_iort_opts {
	bool rc_segment0;
	uint32_t smmu_devid_base;
	uint64_t rmr_base, rmr_size;
};
int acpi_build_iort_opts(const struct acpi_viommu *v, unsigned n, unsigned addr_bits,
			 const struct acpi_iort_opts *o, uint8_t *buf, size_t len, size_t *ret_len);

/*
 * The EFI handoff of an arm64 guest without firmware (acpi/efi.c): a UEFI
 * 2.70 system table (no boot services, no runtime services, config tables
 * ACPI_20_TABLE_GUID -> rsdp_gpa, EFI_RT_PROPERTIES_TABLE_GUID saying no
 * runtime service is supported, an empty LINUX_EFI_MEMRESERVE table), and
 * a memory map: RAM conventional
 * except [reserved_base, reserved_base + reserved_size), which is
 * ACPI reclaim memory (it holds the system table, the memory map and the
 * ACPI tables). All written into buf (len bytes, guest address base_gpa,
 * which lies inside the reserved range).
 */
#define ACPI_EFI_DESC_SIZE 48
#define ACPI_EFI_DESC_VERSION 1
#define ACPI_EFI_CONVENTIONAL_MEMORY 7
#define ACPI_EFI_ACPI_RECLAIM_MEMORY 9
#define ACPI_EFI_MEMORY_WB (1ull << 3)

struct acpi_efi_params {
	uint64_t ram_base, ram_size;            /* 4 KiB aligned */
	uint64_t reserved_base, reserved_size;  /* 4 KiB aligned, inside RAM */
	uint64_t rsdp_gpa;
};

struct acpi_efi_layout {
	uint64_t systab_gpa;
	uint64_t mmap_gpa;
	uint32_t mmap_size, desc_size, desc_version;
	size_t used;                            /* bytes of buf used */
};

/* 0, -EINVAL (bad params, base_gpa outside the reserved range), -ENOSPC. */
int acpi_build_efi(const struct acpi_efi_params *p, uint64_t base_gpa, uint8_t *buf, size_t len,
		   struct acpi_efi_layout *ret);
/* CRC-32 (IEEE 802.3, as UEFI table headers use it). */
uint32_t acpi_crc32(const void *data, size_t len);

#endif
