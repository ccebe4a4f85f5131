// SPDX-License-Identifier: Apache-2.0
/* Root System Description Pointer, revision 2 (points at the XSDT only). */
#include <string.h>

#include "tables.h"

void acpi_rsdp_write(uint8_t *dst, uint64_t xsdt_gpa)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", sizeof(r.signature));
	memcpy(r.oem_id, ACPI_OEM_ID, sizeof(r.oem_id));
	r.revision = 2;
	r.rsdt_address = 0; /* no RSDT: revision-2 consumers use the XSDT */
	r.length = sizeof(r);
	r.xsdt_address = xsdt_gpa;
	r.checksum = acpi_checksum(&r, ACPI_RSDP_V1_LEN);
	r.extended_checksum = acpi_checksum(&r, sizeof(r));
	memcpy(dst, &r, sizeof(r));
}
