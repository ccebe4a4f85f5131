// SPDX-License-Identifier: Apache-2.0
/*
 * The arm64 tables of fixed shape: the MADT with a GICv3 (a GICC per vCPU,
 * the distributor, one redistributor range, the ITS), the GTDT (the
 * architected timer's PPIs), the SPCR (the PL011 console) and the
 * hardware-reduced FADT that tells the OS to use PSCI through HVC.
 */
#include <string.h>

#include "tables.h"

size_t acpi_madt_gic_size(const struct acpi_arm64_params *p)
{
	return sizeof(struct acpi_madt) + p->nr_cpus * sizeof(struct acpi_madt_gicc) +
	       sizeof(struct acpi_madt_gicd) + sizeof(struct acpi_madt_gicr) +
	       sizeof(struct acpi_madt_gic_its);
}

void acpi_madt_gic_write(uint8_t *dst, const struct acpi_arm64_params *p)
{
	struct acpi_madt m;
	size_t off = sizeof(m);

	memset(&m, 0, sizeof(m));
	acpi_header_init(&m.header, "APIC", (uint32_t)acpi_madt_gic_size(p), ACPI_MADT_REVISION);
	memcpy(dst, &m, sizeof(m));
	for (unsigned i = 0; i < p->nr_cpus; i++) {
		/* GICR base 0: the redistributors are found through the GICR range below. */
		struct acpi_madt_gicc c = {
			.type = ACPI_MADT_TYPE_GICC,
			.length = sizeof(c),
			.cpu_interface_number = i,
			.uid = i,
			.flags = ACPI_MADT_GICC_ENABLED,
			.vgic_maint_gsiv = p->gic_maint_gsiv,
			.mpidr = p->mpidrs[i],
		};
		memcpy(dst + off, &c, sizeof(c));
		off += sizeof(c);
	}
	struct acpi_madt_gicd d = {
		.type = ACPI_MADT_TYPE_GICD,
		.length = sizeof(d),
		.base = p->gicd_base,
		.version = ACPI_MADT_GIC_VERSION_3,
	};
	memcpy(dst + off, &d, sizeof(d));
	off += sizeof(d);
	struct acpi_madt_gicr r = {
		.type = ACPI_MADT_TYPE_GICR,
		.length = sizeof(r),
		.base = p->gicr_base,
		.length_bytes = (uint32_t)p->gicr_size,
	};
	memcpy(dst + off, &r, sizeof(r));
	off += sizeof(r);
	struct acpi_madt_gic_its its = {
		.type = ACPI_MADT_TYPE_GIC_ITS,
		.length = sizeof(its),
		.its_id = 0, /* the IORT's ITS group names it */
		.base = p->its_base,
	};
	memcpy(dst + off, &its, sizeof(its));
	acpi_table_checksum(dst);
}

/* Level-triggered, active-high as in the device tree; the timer keeps counting in idle. */
void acpi_gtdt_write(uint8_t *dst, const struct acpi_arm64_params *p)
{
	struct acpi_gtdt g = {
		.cnt_control_base = UINT64_MAX,
		.secure_el1_gsiv = p->timer_gsiv[0],
		.secure_el1_flags = ACPI_GTDT_ALWAYS_ON,
		.ns_el1_gsiv = p->timer_gsiv[1],
		.ns_el1_flags = ACPI_GTDT_ALWAYS_ON,
		.virt_gsiv = p->timer_gsiv[2],
		.virt_flags = ACPI_GTDT_ALWAYS_ON,
		.ns_el2_gsiv = p->timer_gsiv[3],
		.ns_el2_flags = ACPI_GTDT_ALWAYS_ON,
		.cnt_read_base = UINT64_MAX,
	};

	acpi_header_init(&g.header, "GTDT", sizeof(g), ACPI_GTDT_REVISION);
	memcpy(dst, &g, sizeof(g));
	acpi_table_checksum(dst);
}

void acpi_spcr_write(uint8_t *dst, const struct acpi_arm64_params *p)
{
	struct acpi_spcr s = {
		.interface_type = ACPI_SPCR_IF_ARM_PL011,
		.serial_port = {
			.space_id = ACPI_GAS_SYSTEM_MEMORY,
			.bit_width = 32,
			.access_size = ACPI_GAS_ACCESS_DWORD,
			.address = p->uart_base,
		},
		.interrupt_type = ACPI_SPCR_INT_ARM_GIC,
		.gsiv = p->uart_gsiv,
		.baud_rate = ACPI_SPCR_BAUD_115200,
		.stop_bits = 1,
		.flow_control = 0,
		.terminal_type = 3, /* ANSI */
		.pci_device_id = 0xffff, /* not a PCI device */
		.pci_vendor_id = 0xffff,
	};

	acpi_header_init(&s.header, "SPCR", sizeof(s), ACPI_SPCR_REVISION);
	memcpy(dst, &s, sizeof(s));
	acpi_table_checksum(dst);
}

/*
 * Linux on arm64 takes ACPI only from a hardware-reduced FADT of revision
 * 5.1 or later; PSCI_COMPLIANT | PSCI_USE_HVC is what the device tree's
 * psci node says with method "hvc" (KVM implements PSCI behind HVC). No
 * sleep or reset registers: power-off and reboot are PSCI calls.
 */
void acpi_fadt_arm64_write(uint8_t *dst, uint64_t dsdt_gpa)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	acpi_header_init(&f.header, "FACP", sizeof(f), ACPI_FADT_REVISION);
	f.minor_revision = ACPI_FADT_MINOR_REVISION;
	f.flags = ACPI_FADT_F_HW_REDUCED_ACPI;
	f.arm_boot_arch = ACPI_FADT_ARM_PSCI_COMPLIANT | ACPI_FADT_ARM_PSCI_USE_HVC;
	f.x_dsdt = dsdt_gpa;
	memcpy(f.hypervisor_vendor_id, "SKIFFVMM", sizeof(f.hypervisor_vendor_id));
	f.header.checksum = acpi_checksum(&f, sizeof(f));
	memcpy(dst, &f, sizeof(f));
}
