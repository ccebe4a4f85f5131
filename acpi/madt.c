// SPDX-License-Identifier: Apache-2.0
/*
 * Multiple APIC Description Table: one enabled Processor Local APIC per
 * vCPU (APIC ID = ACPI processor UID = index), one I/O APIC with GSI base
 * 0, and the usual ISA overrides: IRQ 0 -> GSI 2 (the PIT is wired to
 * I/O APIC pin 2; edge, active high) and IRQ 9 (the SCI; level, active
 * high), as QEMU and Firecracker describe them.
 */
#include <string.h>

#include "tables.h"

size_t acpi_madt_size(const struct acpi_x86_params *p)
{
	return sizeof(struct acpi_madt) + p->nr_cpus * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic) +
	       ACPI_MADT_NR_OVERRIDES * sizeof(struct acpi_madt_int_src_ovr);
}

void acpi_madt_write(uint8_t *dst, const struct acpi_x86_params *p)
{
	size_t len = acpi_madt_size(p);
	struct acpi_madt m;
	size_t off = sizeof(m);

	memset(&m, 0, sizeof(m));
	acpi_header_init(&m.header, "APIC", (uint32_t)len, ACPI_MADT_REVISION);
	m.lapic_address = (uint32_t)p->lapic_addr;
	m.flags = ACPI_MADT_PCAT_COMPAT; /* harmless; there is no 8259 to mask */
	memcpy(dst, &m, sizeof(m));

	for (unsigned i = 0; i < p->nr_cpus; i++) {
		struct acpi_madt_lapic l = {
			.type = ACPI_MADT_TYPE_LAPIC,
			.length = sizeof(l),
			.processor_uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = ACPI_MADT_LAPIC_ENABLED,
		};
		memcpy(dst + off, &l, sizeof(l));
		off += sizeof(l);
	}

	struct acpi_madt_ioapic io = {
		.type = ACPI_MADT_TYPE_IOAPIC,
		.length = sizeof(io),
		.ioapic_id = p->ioapic_id,
		.address = (uint32_t)p->ioapic_addr,
		.gsi_base = 0,
	};
	memcpy(dst + off, &io, sizeof(io));
	off += sizeof(io);

	const struct acpi_madt_int_src_ovr ovr[ACPI_MADT_NR_OVERRIDES] = {
		{
			.type = ACPI_MADT_TYPE_INT_SRC_OVR,
			.length = sizeof(ovr[0]),
			.bus = 0,
			.source = 0,
			.gsi = 2,
			.flags = ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_EDGE,
		},
		{
			.type = ACPI_MADT_TYPE_INT_SRC_OVR,
			.length = sizeof(ovr[1]),
			.bus = 0,
			.source = ACPI_SCI_IRQ,
			.gsi = ACPI_SCI_IRQ,
			.flags = ACPI_INTI_POLARITY_HIGH | ACPI_INTI_TRIGGER_LEVEL,
		},
	};
	memcpy(dst + off, ovr, sizeof(ovr));

	acpi_table_checksum(dst);
}
