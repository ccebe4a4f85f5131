// SPDX-License-Identifier: Apache-2.0
/*
 * PCI Express memory-mapped configuration space table (PCI Firmware 3.3,
 * 4.1.2): one allocation per host bridge, segment 0, its bus range, and
 * the ECAM base address of bus 0 (bus n's config space is at base + n MiB).
 */
#include <string.h>

#include "tables.h"

#define ACPI_MCFG_REVISION 1

void acpi_mcfg_write(uint8_t *dst, const struct acpi_pci_host *hosts, unsigned n)
{
	struct acpi_header h;
	size_t off = sizeof(h) + 8;

	acpi_header_init(&h, "MCFG", (uint32_t)ACPI_MCFG_SIZE(n), ACPI_MCFG_REVISION);
	memcpy(dst, &h, sizeof(h));
	memset(dst + sizeof(h), 0, 8);
	for (unsigned i = 0; i < n; i++) {
		const struct acpi_pci_host *ph = &hosts[i];
		struct acpi_mcfg_alloc a = {
			.base = ph->ecam_base,
			.segment = 0,
			.start_bus = ph->bus_start,
			.end_bus = ph->bus_end,
		};
		memcpy(dst + off, &a, sizeof(a));
		off += sizeof(a);
	}
	acpi_table_checksum(dst);
}
