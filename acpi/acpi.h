/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ACPI tables for an x86 microVM: RSDP, XSDT, FADT (hardware-reduced),
 * DSDT (with \_S5, COM1, the pvpanic device), MADT. The builder lays the
 * tables out in a caller-provided buffer that will be copied to guest
 * memory at base_gpa, fixes up their cross-pointers and checksums.
 */
#ifndef SKIFF_ACPI_H
#define SKIFF_ACPI_H

#include <stddef.h>
#include <stdint.h>

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
};

#define ACPI_MAX_TABLES 8

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
 * Table signatures in ret->tables: RSDP, XSDT, FACP, DSDT, APIC.
 */
int acpi_build_x86(const struct acpi_x86_params *params, uint64_t base_gpa, uint8_t *buf,
		   size_t len, struct acpi_layout *ret);

#endif
