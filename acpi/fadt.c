// SPDX-License-Identifier: Apache-2.0
/*
 * Fixed ACPI Description Table, ACPI 6.5, hardware-reduced: no PM1/GPE
 * blocks, no FACS; power-off goes through the sleep control/status
 * registers and reboot through the reset register, all in port I/O.
 */
#include <string.h>

#include "tables.h"

static struct acpi_gas io_byte_reg(uint16_t port)
{
	return (struct acpi_gas){
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = 8,
		.bit_offset = 0,
		.access_size = ACPI_GAS_ACCESS_BYTE,
		.address = port,
	};
}

void acpi_fadt_write(uint8_t *dst, const struct acpi_x86_params *p, uint64_t dsdt_gpa)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	acpi_header_init(&f.header, "FACP", sizeof(f), ACPI_FADT_REVISION);
	f.minor_revision = ACPI_FADT_MINOR_REVISION;
	/* Ignored in hardware-reduced mode, but keep it consistent with the
	 * MADT's level/active-high override of IRQ 9 so that Linux treats
	 * that override as the SCI's and leaves IRQ 0 alone. */
	f.sci_int = ACPI_SCI_IRQ;
	f.flags = ACPI_FADT_F_HW_REDUCED_ACPI | ACPI_FADT_F_RESET_REG_SUP |
		  ACPI_FADT_F_PWR_BUTTON | ACPI_FADT_F_SLP_BUTTON;
	/* No VGA, no 8042, no other legacy ISA devices advertised here (COM1
	 * is described in the DSDT). */
	f.iapc_boot_arch = ACPI_FADT_IAPC_VGA_NOT_PRESENT;
	f.reset_reg = io_byte_reg(p->reset_port);
	f.reset_value = p->reset_value;
	f.dsdt = 0; /* X_DSDT only; iasl and Linux complain if both differ */
	f.x_dsdt = dsdt_gpa;
	f.sleep_control_reg = io_byte_reg(p->sleep_control_port);
	f.sleep_status_reg = io_byte_reg(p->sleep_status_port);
	memcpy(f.hypervisor_vendor_id, "SKIFFVMM", sizeof(f.hypervisor_vendor_id));
	f.header.checksum = acpi_checksum(&f, sizeof(f));
	memcpy(dst, &f, sizeof(f));
}
