// SPDX-License-Identifier: Apache-2.0
/* Extended System Description Table: 64-bit pointers to the FADT, MADT and
 * (with PCI) MCFG; the DSDT is reached through the FADT's X_DSDT. */
#include <string.h>

#include "tables.h"

void acpi_xsdt_write(uint8_t *dst, const uint64_t *entries, unsigned n)
{
	struct acpi_header h;

	acpi_header_init(&h, "XSDT", (uint32_t)ACPI_XSDT_SIZE(n), 1);
	memcpy(dst, &h, sizeof(h));
	/* Entries follow the 36-byte header and are not 8-byte aligned. */
	memcpy(dst + sizeof(h), entries, 8 * (size_t)n);
	acpi_table_checksum(dst);
}
