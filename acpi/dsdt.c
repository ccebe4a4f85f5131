// SPDX-License-Identifier: Apache-2.0
/*
 * Differentiated System Description Table. In ASL:
 *
 *   DefinitionBlock ("", "DSDT", 2, "SKIFF ", "SKIFFVM ", 1) {
 *     Name (\_S5, Package (0x04) { s5_slp_typ, Zero, Zero, Zero })
 *     Scope (\_SB) {
 *       Device (COM1) {                       // if com1_port
 *         Name (_HID, EisaId ("PNP0501"))
 *         Name (_UID, Zero)
 *         Name (_CRS, ResourceTemplate () {
 *           IO (Decode16, port, port, 0x01, 0x08)
 *           IRQNoFlags () { irq }
 *         })
 *       }
 *       Device (RTC) {                        // if rtc_port
 *         Name (_HID, EisaId ("PNP0B00"))
 *         Name (_CRS, ResourceTemplate () {
 *           IO (Decode16, port, port, 0x01, 0x02)
 *           IRQNoFlags () { irq }
 *         })
 *       }
 *       Device (VR00) {                       // per virtio-mmio device
 *         Name (_HID, "LNRO0005")
 *         Name (_UID, index)
 *         Name (_CRS, ResourceTemplate () {
 *           Memory32Fixed (ReadWrite, base, size)
 *           Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi }
 *         })
 *       }
 *       Device (PEVT) {                       // if pvpanic_port
 *         Name (_HID, "QEMU0001")
 *         Name (_CRS, ResourceTemplate () { IO (Decode16, port, port, 0x01, 0x01) })
 *         Method (_STA, 0, NotSerialized) { Return (0x0F) }
 *       }
 *       PCI host bridges, MRES, GED0, PWRB     // see dsdt_pci.c
 *     }
 *   }
 */
#include <errno.h>
#include <string.h>

#include "aml.h"
#include "tables.h"

#define ACPI_DSDT_REVISION 2 /* 64-bit integers */

static void com1(struct aml_buf *b, const struct acpi_x86_params *p)
{
	aml_device_begin(b, "COM1");
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0501");
	aml_name(b, "_UID");
	aml_integer(b, 0);
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_io(b, true, p->com1_port, p->com1_port, 1, 8);
	aml_rs_irq_noflags(b, (uint16_t)(1u << p->com1_irq));
	aml_end(b);
	aml_end(b);
}

static void rtc(struct aml_buf *b, const struct acpi_x86_params *p)
{
	aml_device_begin(b, "RTC_");
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0B00");
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_io(b, true, p->rtc_port, p->rtc_port, 1, 2);
	aml_rs_irq_noflags(b, (uint16_t)(1u << p->rtc_irq));
	aml_end(b);
	aml_end(b);
}

/*
 * virtio-mmio devices the way Firecracker describes them: the guest finds
 * them through ACPI (no virtio_mmio.device= on the command line) and maps
 * their GSIs through the IOAPIC like any other ACPI interrupt.
 */
void acpi_dsdt_virtio_mmio(struct aml_buf *b, const struct acpi_virtio_mmio *v, unsigned index, bool cca)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[5] = { 'V', 'R', hex[index >> 4 & 15], hex[index & 15], 0 };

	aml_device_begin(b, name);
	aml_name(b, "_HID");
	aml_string(b, "LNRO0005");
	aml_name(b, "_UID");
	aml_integer(b, index);
	if (cca) {
		aml_name(b, "_CCA");
		aml_integer(b, 1);
	}
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_memory32_fixed(b, true, v->base, v->size);
	aml_rs_interrupt(b, true, false, false, false, v->gsi);
	aml_end(b);
	aml_end(b);
}

static void pvpanic(struct aml_buf *b, const struct acpi_x86_params *p)
{
	aml_device_begin(b, "PEVT");
	aml_name(b, "_HID");
	aml_string(b, "QEMU0001");
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_io(b, true, p->pvpanic_port, p->pvpanic_port, 1, 1);
	aml_end(b);
	aml_method_begin(b, "_STA", 0, false, 0);
	aml_return(b);
	aml_integer(b, 0x0f);
	aml_end(b);
	aml_end(b);
}

int acpi_dsdt_build(struct aml_buf *b, const struct acpi_x86_params *p)
{
	struct acpi_header h;

	if ((p->com1_port && p->com1_irq > 15) || (p->rtc_port && p->rtc_irq > 15))
		return -EINVAL;

	memset(&h, 0, sizeof(h));
	aml_bytes(b, &h, sizeof(h)); /* filled in below */

	aml_name(b, "\\_S5");
	aml_package_begin(b, 4);
	aml_integer(b, p->s5_slp_typ);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_end(b);

	if (p->com1_port || p->rtc_port || p->pvpanic_port || p->nr_pci_hosts || p->ged_addr) {
		aml_scope_begin(b, "\\_SB");
		if (p->com1_port)
			com1(b, p);
		if (p->rtc_port)
			rtc(b, p);
		if (p->pvpanic_port)
			pvpanic(b, p);
		for (unsigned i = 0; i < p->nr_virtio_mmio; i++)
			acpi_dsdt_virtio_mmio(b, &p->virtio_mmio[i], i, false);
		acpi_dsdt_pci(b, p->pci_hosts, p->nr_pci_hosts, false);
		acpi_dsdt_ged(b, p);
		aml_end(b);
	}
	return acpi_dsdt_finish(b);
}

int acpi_dsdt_finish(struct aml_buf *b)
{
	struct acpi_header h;
	int err = aml_finish(b);

	if (err)
		return err;
	if (b->len > UINT32_MAX)
		return -E2BIG;
	acpi_header_init(&h, "DSDT", (uint32_t)b->len, ACPI_DSDT_REVISION);
	memcpy(b->data, &h, sizeof(h));
	acpi_table_checksum(b->data);
	return 0;
}
