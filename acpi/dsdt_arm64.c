// SPDX-License-Identifier: Apache-2.0
/*
 * The arm64 DSDT. In ASL:
 *
 *   DefinitionBlock ("", "DSDT", 2, "SKIFF ", "SKIFFVM ", 1) {
 *     Scope (\_SB) {
 *       Device (C000) { Name (_HID, "ACPI0007") Name (_UID, 0) }  // one per vCPU, _UID = GICC UID
 *       Device (COM0) {
 *         Name (_HID, "ARMH0011")                 // Arm PL011
 *         Name (_UID, Zero)
 *         Name (_CRS, ResourceTemplate () {
 *           Memory32Fixed (ReadWrite, base, size)
 *           Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { gsiv }
 *         })
 *       }
 *       Device (VR00) { LNRO0005 ... }           // per virtio-mmio device, as on x86
 *       PCI host bridges and MRES as on x86 (dsdt_pci.c)
 *     each host bridge and virtio-mmio device with Name (_CCA, One): DMA is
 *     cache-coherent (arm64 Linux requires _CCA and gives a device without
 *     one, or under a bridge without one, no DMA at all)
 *     }
 *   }
 */
#include <errno.h>
#include <string.h>

#include "aml.h"
#include "tables.h"

#define ACPI_DSDT_REVISION 2

static void cpu_dev(struct aml_buf *b, unsigned i)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[5] = { 'C', hex[i >> 8 & 15], hex[i >> 4 & 15], hex[i & 15], 0 };

	aml_device_begin(b, name);
	aml_name(b, "_HID");
	aml_string(b, "ACPI0007");
	aml_name(b, "_UID");
	aml_integer(b, i);
	aml_end(b);
}

static void pl011(struct aml_buf *b, const struct acpi_arm64_params *p)
{
	aml_device_begin(b, "COM0");
	aml_name(b, "_HID");
	aml_string(b, "ARMH0011");
	aml_name(b, "_UID");
	aml_integer(b, 0);
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_memory32_fixed(b, true, (uint32_t)p->uart_base, (uint32_t)p->uart_size);
	aml_rs_interrupt(b, true, true, false, false, p->uart_gsiv);
	aml_end(b);
	aml_end(b);
}

int acpi_dsdt_arm64_build(struct aml_buf *b, const struct acpi_arm64_params *p)
{
	struct acpi_header h;

	memset(&h, 0, sizeof(h));
	aml_bytes(b, &h, sizeof(h)); /* filled in below */
	aml_scope_begin(b, "\\_SB");
	for (unsigned i = 0; i < p->nr_cpus; i++)
		cpu_dev(b, i);
	pl011(b, p);
	for (unsigned i = 0; i < p->nr_virtio_mmio; i++)
		acpi_dsdt_virtio_mmio(b, &p->virtio_mmio[i], i, true);
	acpi_dsdt_pci(b, p->pci_hosts, p->nr_pci_hosts, true);
	aml_end(b);
	return acpi_dsdt_finish(b);
}
