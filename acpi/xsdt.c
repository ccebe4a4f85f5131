// SPDX-License-Identifier: Apache-2.0
/* Extended System Description Table: 64-bit pointers to the FADT and MADT
 * (the DSDT is reached through the FADT's X_DSDT). */
#include <string.h>

#include "tables.h"

void acpi_xsdt_write(uint8_t *dst, const uint64_t entries[ACPI_XSDT_ENTRIES])
{
	struct acpi_header h;

	acpi_header_init(&h, "XSDT", ACPI_XSDT_SIZE, 1);
	memcpy(dst, &h, sizeof(h));
	/* Entries follow the 36-byte header and are not 8-byte aligned. */
	memcpy(dst + sizeof(h), entries, 8 * ACPI_XSDT_ENTRIES);
	acpi_table_checksum(dst);
}
