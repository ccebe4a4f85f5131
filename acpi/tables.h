/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest-visible ACPI table layouts (ACPI 6.5), private to acpi/. All
 * structs are packed, little-endian, and copied into the output buffer
 * with memcpy, so the buffer needs no particular alignment.
 */
#ifndef SKIFF_ACPI_TABLES_H
#define SKIFF_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "acpi.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ACPI tables are little-endian");

#define ACPI_OEM_ID        "SKIFF "   /* 6 bytes */
#define ACPI_OEM_TABLE_ID  "SKIFFVM " /* 8 bytes */
#define ACPI_OEM_REVISION  1
#define ACPI_CREATOR_ID    "SKIF"     /* 4 bytes */
#define ACPI_CREATOR_REV   1
#define ACPI_TABLE_ALIGN   16

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_SYSTEM_IO     1
#define ACPI_GAS_ACCESS_BYTE   1

struct acpi_rsdp {
	char signature[8];       /* "RSD PTR " */
	uint8_t checksum;        /* first 20 bytes */
	char oem_id[6];
	uint8_t revision;        /* 2 */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

#define ACPI_RSDP_V1_LEN 20

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* XSDT: header followed by uint64_t entries (unaligned). */
#define ACPI_XSDT_MAX_ENTRIES 8 /* x86: FADT, MADT, MCFG, DMAR; arm64: FADT, MADT, GTDT, SPCR, MCFG, IORT */

/* MCFG: header, 8 reserved bytes, one allocation per PCI host bridge. */
struct acpi_mcfg_alloc {
	uint64_t base;           /* ECAM base (bus 0) */
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_revision;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} __attribute__((packed));

#define ACPI_FADT_REVISION       6
#define ACPI_FADT_MINOR_REVISION 5

/* FADT flags */
#define ACPI_FADT_F_PWR_BUTTON      (1u << 4)
#define ACPI_FADT_F_SLP_BUTTON      (1u << 5)
#define ACPI_FADT_F_RESET_REG_SUP   (1u << 10)
#define ACPI_FADT_F_HW_REDUCED_ACPI (1u << 20)

/* IA-PC boot architecture flags */
#define ACPI_FADT_IAPC_LEGACY_DEVICES (1u << 0)
#define ACPI_FADT_IAPC_8042           (1u << 1)
#define ACPI_FADT_IAPC_VGA_NOT_PRESENT (1u << 2)

/* The SCI's ISA IRQ; the MADT carries a level/active-high override for it. */
#define ACPI_SCI_IRQ 9

struct acpi_madt {
	struct acpi_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_REVISION      5
#define ACPI_MADT_PCAT_COMPAT   (1u << 0)

#define ACPI_MADT_TYPE_LAPIC    0
#define ACPI_MADT_TYPE_IOAPIC   1
#define ACPI_MADT_TYPE_INT_SRC_OVR 2

struct acpi_madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;          /* bit 0: enabled */
} __attribute__((packed));

#define ACPI_MADT_LAPIC_ENABLED 1u

struct acpi_madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));

struct acpi_madt_int_src_ovr {
	uint8_t type;
	uint8_t length;
	uint8_t bus;             /* 0: ISA */
	uint8_t source;          /* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;          /* MPS INTI flags */
} __attribute__((packed));

/* MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 */
#define ACPI_INTI_POLARITY_HIGH 0x1
#define ACPI_INTI_POLARITY_LOW  0x3
#define ACPI_INTI_TRIGGER_EDGE  (0x1 << 2)
#define ACPI_INTI_TRIGGER_LEVEL (0x3 << 2)

#define ACPI_MADT_NR_OVERRIDES 2

/*
 * DMAR (Intel VT-d spec rev. 4.1, ch. 8): header, then one DRHD per unit,
 * each followed by its device scopes. A scope's path here is always one
 * (device, function) hop from the start bus.
 */
struct acpi_dmar {
	struct acpi_header header;
	uint8_t host_addr_width; /* N - 1 for N address bits */
	uint8_t flags;
	uint8_t reserved[10];
} __attribute__((packed));

#define ACPI_DMAR_REVISION           1
#define ACPI_DMAR_F_INTR_REMAP       (1u << 0)
#define ACPI_DMAR_F_X2APIC_OPT_OUT   (1u << 1)
#define ACPI_DMAR_F_DMA_CTRL_OPT_IN  (1u << 2)

struct acpi_dmar_drhd {
	uint16_t type;           /* 0: DRHD */
	uint16_t length;         /* including the scopes */
	uint8_t flags;           /* bit 0: INCLUDE_PCI_ALL */
	uint8_t size;            /* register set: 2^size 4 KiB pages (rev. 3+; 0 = one page) */
	uint16_t segment;
	uint64_t reg_base;
} __attribute__((packed));

#define ACPI_DMAR_TYPE_DRHD          0
#define ACPI_DMAR_DRHD_INCLUDE_ALL   (1u << 0)

struct acpi_dmar_scope {
	uint8_t type;            /* 1: PCI endpoint, 2: PCI sub-hierarchy */
	uint8_t length;          /* 6 + 2 per path entry */
	uint8_t flags;
	uint8_t reserved;
	uint8_t enumeration_id;  /* IOAPIC/HPET/ACPI only */
	uint8_t start_bus;
	uint8_t dev, fn;         /* the one path entry */
} __attribute__((packed));

/*
 * IORT (Arm DEN 0049E.d): header, then nodes, each a common node header,
 * its type-specific data and its ID mappings. Output references are byte
 * offsets of the target node from the start of the table.
 */
struct acpi_iort {
	struct acpi_header header;
	uint32_t node_count;
	uint32_t node_offset;
	uint32_t reserved;
} __attribute__((packed));

#define ACPI_IORT_REVISION 5 /* E.d */

struct acpi_iort_node {
	uint8_t type;
	uint16_t length;
	uint8_t revision;
	uint32_t identifier;     /* unique among the nodes */
	uint32_t mapping_count;
	uint32_t mapping_offset; /* from the node's start; 0 without mappings */
} __attribute__((packed));

#define ACPI_IORT_NODE_ITS_GROUP   0
#define ACPI_IORT_NODE_PCI_RC      2
#define ACPI_IORT_NODE_SMMU_V3     4
#define ACPI_IORT_ITS_REVISION     1
#define ACPI_IORT_RC_REVISION      3 /* E.d: with PASID capabilities */
#define ACPI_IORT_SMMU_V3_REVISION 4 /* E.d: mapping index valid unless all GSIVs are set */

struct acpi_iort_its_group {
	struct acpi_iort_node node;
	uint32_t its_count;
	uint32_t its_id;         /* one ITS: its GIC ITS ID in the MADT */
} __attribute__((packed));

struct acpi_iort_smmu_v3 {
	struct acpi_iort_node node;
	uint64_t base_address;
	uint32_t flags;
	uint32_t reserved;
	uint64_t vatos_address;
	uint32_t model;
	uint32_t event_gsiv, pri_gsiv, gerr_gsiv, sync_gsiv; /* 0: MSI */
	uint32_t proximity_domain;
	uint32_t id_mapping_index; /* the mapping that gives the SMMU's own DeviceID */
} __attribute__((packed));

#define ACPI_IORT_SMMU_V3_COHACC_OVERRIDE (1u << 0)
#define ACPI_IORT_SMMU_V3_MODEL_GENERIC   0

struct acpi_iort_root_complex {
	struct acpi_iort_node node;
	uint32_t cache_coherency;  /* memory access properties (8 bytes) */
	uint8_t alloc_hints;
	uint16_t reserved0;
	uint8_t memory_flags;
	uint32_t ats_attribute;
	uint32_t segment;
	uint8_t memory_address_limit;
	uint16_t pasid_capabilities;
	uint8_t reserved1;
} __attribute__((packed));

#define ACPI_IORT_CCA_COHERENT      1u
#define ACPI_IORT_MF_COHERENT       (1u << 0) /* CPM: fully coherent */
#define ACPI_IORT_MF_DEVICE_ATTR    (1u << 1) /* DACS: device attributes are cacheable inner shareable */

struct acpi_iort_id_mapping {
	uint32_t input_base;
	uint32_t id_count;         /* number of IDs minus one */
	uint32_t output_base;
	uint32_t output_reference;
	uint32_t flags;            /* bit 0: single mapping */
} __attribute__((packed));

#define ACPI_IORT_ID_SINGLE_MAPPING 1u

/* Guest-visible layouts: sizes and the offsets Linux and iasl rely on. */
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");
_Static_assert(offsetof(struct acpi_rsdp, rsdt_address) == 16, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP layout");
_Static_assert(offsetof(struct acpi_rsdp, extended_checksum) == 32, "RSDP layout");
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header size");
_Static_assert(offsetof(struct acpi_header, checksum) == 9, "SDT header layout");
_Static_assert(offsetof(struct acpi_header, oem_table_id) == 16, "SDT header layout");
_Static_assert(offsetof(struct acpi_header, creator_revision) == 32, "SDT header layout");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, minor_revision) == 131, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_gpe1_blk) == 232, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_status_reg) == 256, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT layout");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT (ACPI 6.x) size");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header size");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC size");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT I/O APIC size");
_Static_assert(sizeof(struct acpi_madt_int_src_ovr) == 10, "MADT ISO size");
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation size");
_Static_assert(sizeof(struct acpi_dmar) == 48, "DMAR header size");
_Static_assert(sizeof(struct acpi_dmar_drhd) == 16, "DMAR DRHD size");
_Static_assert(offsetof(struct acpi_dmar_drhd, reg_base) == 8, "DMAR DRHD layout");
_Static_assert(sizeof(struct acpi_dmar_scope) == 8, "DMAR one-hop device scope size");
_Static_assert(sizeof(struct acpi_iort) == 48, "IORT header size");
_Static_assert(sizeof(struct acpi_iort_node) == 16, "IORT node header size");
_Static_assert(sizeof(struct acpi_iort_its_group) == 24, "IORT ITS group (one ITS) size");
_Static_assert(sizeof(struct acpi_iort_smmu_v3) == 68, "IORT SMMUv3 node size");
_Static_assert(offsetof(struct acpi_iort_smmu_v3, model) == 40, "IORT SMMUv3 layout");
_Static_assert(offsetof(struct acpi_iort_smmu_v3, id_mapping_index) == 64, "IORT SMMUv3 layout");
_Static_assert(sizeof(struct acpi_iort_root_complex) == 36, "IORT root complex (rev. 3) size");
_Static_assert(offsetof(struct acpi_iort_root_complex, segment) == 28, "IORT root complex layout");
_Static_assert(offsetof(struct acpi_iort_root_complex, memory_address_limit) == 32, "IORT RC layout");
_Static_assert(sizeof(struct acpi_iort_id_mapping) == 20, "IORT ID mapping size");


/* ---- arm64 (GIC, generic timer, PL011, RMR) ---- */

#define ACPI_MADT_TYPE_GICC     0x0b
#define ACPI_MADT_TYPE_GICD     0x0c
#define ACPI_MADT_TYPE_GICR     0x0e
#define ACPI_MADT_TYPE_GIC_ITS  0x0f
#define ACPI_MADT_GICC_ENABLED  1u
#define ACPI_MADT_GIC_VERSION_3 3

/* GIC CPU interface, 80 bytes (ACPI 6.3, MADT revision 5). */
struct acpi_madt_gicc {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t cpu_interface_number;
	uint32_t uid;
	uint32_t flags;
	uint32_t parking_version;
	uint32_t performance_gsiv;
	uint64_t parked_address;
	uint64_t base_address;
	uint64_t gicv_base, gich_base;
	uint32_t vgic_maint_gsiv;
	uint64_t gicr_base;
	uint64_t mpidr;
	uint8_t efficiency_class;
	uint8_t reserved2;
	uint16_t spe_gsiv;
} __attribute__((packed));

struct acpi_madt_gicd {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t gic_id;
	uint64_t base;
	uint32_t gsi_base;
	uint8_t version;
	uint8_t reserved2[3];
} __attribute__((packed));

struct acpi_madt_gicr {
	uint8_t type, length;
	uint16_t reserved;
	uint64_t base;
	uint32_t length_bytes;
} __attribute__((packed));

struct acpi_madt_gic_its {
	uint8_t type, length;
	uint16_t reserved;
	uint32_t its_id;
	uint64_t base;
	uint32_t reserved2;
} __attribute__((packed));

/* Generic Timer Description Table, revision 2 (no platform timers). */
struct acpi_gtdt {
	struct acpi_header header;
	uint64_t cnt_control_base;   /* ~0: none (not memory-mapped) */
	uint32_t reserved;
	uint32_t secure_el1_gsiv, secure_el1_flags;
	uint32_t ns_el1_gsiv, ns_el1_flags;
	uint32_t virt_gsiv, virt_flags;
	uint32_t ns_el2_gsiv, ns_el2_flags;
	uint64_t cnt_read_base;      /* ~0: none */
	uint32_t platform_timer_count;
	uint32_t platform_timer_offset;
} __attribute__((packed));

#define ACPI_GTDT_REVISION      2
#define ACPI_GTDT_ALWAYS_ON     (1u << 2) /* level, active high: bits 0, 1 clear */

/* Serial Port Console Redirection, revision 2. */
struct acpi_spcr {
	struct acpi_header header;
	uint8_t interface_type;
	uint8_t reserved[3];
	struct acpi_gas serial_port;
	uint8_t interrupt_type;
	uint8_t pc_interrupt;
	uint32_t gsiv;
	uint8_t baud_rate;
	uint8_t parity, stop_bits, flow_control, terminal_type, language;
	uint16_t pci_device_id, pci_vendor_id;
	uint8_t pci_bus, pci_device, pci_function;
	uint32_t pci_flags;
	uint8_t pci_segment;
	uint32_t reserved2;
} __attribute__((packed));

#define ACPI_SPCR_REVISION        2
#define ACPI_SPCR_IF_ARM_PL011    3
#define ACPI_SPCR_INT_ARM_GIC     (1u << 3)
#define ACPI_SPCR_BAUD_115200     7
#define ACPI_GAS_ACCESS_DWORD     3

/* FADT ARM boot architecture flags */
#define ACPI_FADT_ARM_PSCI_COMPLIANT (1u << 0)
#define ACPI_FADT_ARM_PSCI_USE_HVC   (1u << 1)

/* IORT Reserved Memory Range node (E.d, revision 3), one descriptor. */
struct acpi_iort_rmr {
	struct acpi_iort_node node;
	uint32_t flags;
	uint32_t nr_descriptors;
	uint32_t descriptor_offset;
} __attribute__((packed));

struct acpi_iort_rmr_desc {
	uint64_t base;
	uint64_t length;
	uint32_t reserved;
} __attribute__((packed));

#define ACPI_IORT_NODE_RMR          6
#define ACPI_IORT_RMR_REVISION      3
#define ACPI_IORT_RMR_REMAP_PERMITTED (1u << 0) /* access attributes 0: device nGnRnE */

_Static_assert(sizeof(struct acpi_madt_gicc) == 80, "MADT GICC size");
_Static_assert(offsetof(struct acpi_madt_gicc, mpidr) == 68, "MADT GICC layout");
_Static_assert(sizeof(struct acpi_madt_gicd) == 24, "MADT GICD size");
_Static_assert(sizeof(struct acpi_madt_gicr) == 16, "MADT GICR size");
_Static_assert(sizeof(struct acpi_madt_gic_its) == 20, "MADT GIC ITS size");
_Static_assert(sizeof(struct acpi_gtdt) == 96, "GTDT (rev. 2) size");
_Static_assert(sizeof(struct acpi_spcr) == 80, "SPCR (rev. 2) size");
_Static_assert(offsetof(struct acpi_spcr, gsiv) == 54, "SPCR layout");
_Static_assert(sizeof(struct acpi_iort_rmr) == 28, "IORT RMR node size");
_Static_assert(sizeof(struct acpi_iort_rmr_desc) == 20, "IORT RMR descriptor size");

/* ---- helpers shared by the per-table files ---- */

/* Byte that makes the sum of data[0..len) plus itself zero. */
uint8_t acpi_checksum(const void *data, size_t len);
/* Fill a standard header (checksum 0; the caller fixes it last). */
void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length, uint8_t revision);
/* Compute and store the header checksum of a table of h->length bytes at p. */
void acpi_table_checksum(uint8_t *p);

/* Per-table builders: *_size() gives the byte count, *_write() fills dst. */
#define ACPI_RSDP_SIZE sizeof(struct acpi_rsdp)
void acpi_rsdp_write(uint8_t *dst, uint64_t xsdt_gpa);

#define ACPI_XSDT_SIZE(n) (sizeof(struct acpi_header) + 8 * (size_t)(n))
void acpi_xsdt_write(uint8_t *dst, const uint64_t *entries, unsigned n);

#define ACPI_MCFG_SIZE(n) (sizeof(struct acpi_header) + 8 + sizeof(struct acpi_mcfg_alloc) * (size_t)(n))
void acpi_mcfg_write(uint8_t *dst, const struct acpi_pci_host *hosts, unsigned n);

#define ACPI_FADT_SIZE sizeof(struct acpi_fadt)
void acpi_fadt_write(uint8_t *dst, const struct acpi_x86_params *p, uint64_t dsdt_gpa);

struct aml_buf;
/* Build the DSDT (header + AML) into b; 0 or -errno. */
int acpi_dsdt_build(struct aml_buf *b, const struct acpi_x86_params *p);
/* Inside Scope (\_SB): host bridges + ECAM reservation / GED + power button (dsdt_pci.c). */
/* cca: a _CCA of 1 in each host bridge (arm64 Linux gives devices without one no DMA). */
void acpi_dsdt_pci(struct aml_buf *b, const struct acpi_pci_host *hosts, unsigned n, bool cca);
/* After the DSDT's AML (which began with a zeroed header): the header and checksum; -errno. */
int acpi_dsdt_finish(struct aml_buf *b);
void acpi_dsdt_ged(struct aml_buf *b, const struct acpi_x86_params *p);
/* \_SB.VRnn (LNRO0005), index 0..255 (dsdt.c) */
void acpi_dsdt_virtio_mmio(struct aml_buf *b, const struct acpi_virtio_mmio *v, unsigned index, bool cca);

size_t acpi_madt_size(const struct acpi_x86_params *p);

/* DMAR/IORT sizes for a list acpi_viommus_check() accepted (dmar.c, iort.c). */
size_t acpi_dmar_size(const struct acpi_viommu *v, unsigned n);
void acpi_dmar_write(uint8_t *dst, const struct acpi_viommu *v, unsigned n, unsigned addr_bits);
void acpi_madt_write(uint8_t *dst, const struct acpi_x86_params *p);

/* arm64 (arm64.c, gic.c, dsdt_arm64.c) */
int acpi_pci_hosts_check(const struct acpi_pci_host *h, unsigned n);
size_t acpi_madt_gic_size(const struct acpi_arm64_params *p);
void acpi_madt_gic_write(uint8_t *dst, const struct acpi_arm64_params *p);
#define ACPI_GTDT_SIZE sizeof(struct acpi_gtdt)
void acpi_gtdt_write(uint8_t *dst, const struct acpi_arm64_params *p);
#define ACPI_SPCR_SIZE sizeof(struct acpi_spcr)
void acpi_spcr_write(uint8_t *dst, const struct acpi_arm64_params *p);
void acpi_fadt_arm64_write(uint8_t *dst, uint64_t dsdt_gpa);
int acpi_dsdt_arm64_build(struct aml_buf *b, const struct acpi_arm64_params *p);

#endif
