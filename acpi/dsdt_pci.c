// SPDX-License-Identifier: Apache-2.0
/*
 * DSDT parts for PCIe and the power button. In ASL, inside Scope (\_SB):
 *
 *   Device (PCI0) {                        // one per host bridge, PCI0..PCI7
 *     Name (_HID, EisaId ("PNP0A08"))     // PCI Express root bus
 *     Name (_CID, EisaId ("PNP0A03"))
 *     Name (_SEG, Zero)
 *     Name (_BBN, bus_start)
 *     Name (_UID, index)
 *     Name (_CCA, One)                    // arm64 only
 *     Name (_CRS, ResourceTemplate () {
 *       WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, start, end, 0, n)
 *       WordIO (...)                      // if io_size
 *       DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable,
 *                    ReadWrite, 0, base, last, 0, size)   // if mmio32_size
 *       QWordMemory (...)                 // if mmio64_size
 *     })
 *     Name (_PRT, Package () { Package () { slot << 16 | 0xFFFF, pin, Zero, gsi }, ... })
 *     Method (_OSC, 4) { Return (Arg3) }   // grant the OS every PCIe feature it asks for
 *     Method (_DSM, 4) { ... }             // if preserve_boot_config, see host_dsm()
 *   }
 *   Device (MRES) {                        // ECAM is reserved by the motherboard
 *     Name (_HID, EisaId ("PNP0C02"))
 *     Name (_UID, Zero)
 *     Name (_CRS, ResourceTemplate () { Memory32Fixed/QWordMemory per host's ECAM })
 *   }
 *   Device (GED0) {                        // if ged_addr
 *     Name (_HID, "ACPI0013")
 *     Name (_UID, Zero)
 *     Name (_CRS, ResourceTemplate () {
 *       Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { gsi }
 *     })
 *     OperationRegion (EREG, SystemMemory, ged_addr, 4)
 *     Field (EREG, DWordAcc, NoLock, WriteAsZeros) { ESEL, 32 }
 *     Method (_EVT, 1, Serialized) {
 *       Local0 = ESEL                         // reading clears the events
 *       If ((Local0 & 0x02)) { Notify (\_SB.PWRB, 0x80) }
 *     }
 *   }
 *   Device (PWRB) { Name (_HID, EisaId ("PNP0C0C")) Name (_UID, Zero) }
 */
#include "aml.h"
#include "tables.h"

static void host_crs(struct aml_buf *b, const struct acpi_pci_host *h)
{
	unsigned nbus = (unsigned)h->bus_end - h->bus_start + 1;

	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_word_bus_number(b, &(struct aml_rs_addr){ .producer = true, .min_fixed = true,
						       .max_fixed = true, .min = h->bus_start,
						       .max = h->bus_end, .length = nbus });
	if (h->io_size)
		aml_rs_word_io(b, &(struct aml_rs_addr){
			.producer = true, .min_fixed = true, .max_fixed = true, .min = h->io_base,
			.max = (uint64_t)h->io_base + h->io_size - 1, .length = h->io_size });
	if (h->mmio32_size)
		aml_rs_dword_memory(b, &(struct aml_rs_addr){
			.producer = true, .min_fixed = true, .max_fixed = true, .min = h->mmio32_base,
			.max = h->mmio32_base + h->mmio32_size - 1, .length = h->mmio32_size },
			AML_NON_CACHEABLE, true);
	if (h->mmio64_size)
		aml_rs_qword_memory(b, &(struct aml_rs_addr){
			.producer = true, .min_fixed = true, .max_fixed = true, .min = h->mmio64_base,
			.max = h->mmio64_base + h->mmio64_size - 1, .length = h->mmio64_size },
			AML_NON_CACHEABLE, true);
	aml_end(b);
}

static void host_prt(struct aml_buf *b, const struct acpi_pci_host *h)
{
	unsigned n = 0;

	for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++)
		for (unsigned p = 0; p < 4; p++)
			n += h->prt_gsi[d][p] != 0;
	if (!n)
		return;
	aml_name(b, "_PRT");
	aml_package_begin(b, (uint8_t)n); /* at most 128 */
	for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++) {
		for (unsigned p = 0; p < 4; p++) {
			if (!h->prt_gsi[d][p])
				continue;
			aml_package_begin(b, 4);
			aml_integer(b, (uint64_t)d << 16 | 0xffff);
			aml_integer(b, p);
			aml_integer(b, 0);
			aml_integer(b, h->prt_gsi[d][p]);
			aml_end(b);
		}
	}
	aml_end(b);
}

/*
 * Method (_DSM, 4) {
 *   If ((Arg0 == ToUUID ("e5c937d0-3553-4d7a-9117-ea4d19c3434d"))) {
 *     If ((Arg2 == Zero)) { Return (Buffer (One) { 0x21 }) }   // functions 0 and 5
 *     If ((Arg2 == 0x05)) { Return (Zero) }                    // keep the boot configuration
 *   }
 *   Return (Buffer (One) { 0x00 })
 * }
 */
static void host_dsm(struct aml_buf *b)
{
	static const uint8_t pci_fw_uuid[16] = { 0xd0, 0x37, 0xc9, 0xe5, 0x53, 0x35, 0x7a, 0x4d,
						 0x91, 0x17, 0xea, 0x4d, 0x19, 0xc3, 0x43, 0x4d };
	static const uint8_t funcs = 0x21, none = 0;

	aml_method_begin(b, "_DSM", 4, false, 0);
	aml_if_begin(b);
	aml_lequal(b);
	aml_arg(b, 0);
	aml_buffer(b, pci_fw_uuid, sizeof(pci_fw_uuid));
	aml_if_begin(b);
	aml_lequal(b);
	aml_arg(b, 2);
	aml_integer(b, 0);
	aml_return(b);
	aml_buffer(b, &funcs, 1);
	aml_end(b);
	aml_if_begin(b);
	aml_lequal(b);
	aml_arg(b, 2);
	aml_integer(b, 5);
	aml_return(b);
	aml_integer(b, 0);
	aml_end(b);
	aml_end(b);
	aml_return(b);
	aml_buffer(b, &none, 1);
	aml_end(b);
}

static void host_bridge(struct aml_buf *b, const struct acpi_pci_host *h, unsigned index, bool cca)
{
	char name[5] = { 'P', 'C', 'I', (char)('0' + index % 10), 0 }; /* index < 8 */

	aml_device_begin(b, name);
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0A08");
	aml_name(b, "_CID");
	aml_eisaid(b, "PNP0A03");
	aml_name(b, "_SEG");
	aml_integer(b, 0);
	aml_name(b, "_BBN");
	aml_integer(b, h->bus_start);
	aml_name(b, "_UID");
	aml_integer(b, index);
	if (cca) {
		aml_name(b, "_CCA");
		aml_integer(b, 1);
	}
	host_crs(b, h);
	host_prt(b, h);
	if (h->preserve_boot_config)
		host_dsm(b);
	/*
	 * Without _OSC Linux keeps "platform retains control of PCIe features
	 * (AE_ERROR)" in its log and runs without native hotplug/AER/PME.
	 * Returning the caller's buffer unchanged grants everything it asked.
	 */
	aml_method_begin(b, "_OSC", 4, false, 0);
	aml_return(b);
	aml_arg(b, 3);
	aml_end(b);
	aml_end(b);
}

static void ecam_reservation(struct aml_buf *b, const struct acpi_pci_host *hosts, unsigned n)
{
	aml_device_begin(b, "MRES");
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0C02");
	aml_name(b, "_UID");
	aml_integer(b, 0);
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	for (unsigned i = 0; i < n; i++) {
		const struct acpi_pci_host *h = &hosts[i];
		uint64_t base = h->ecam_base + ((uint64_t)h->bus_start << 20);
		uint64_t size = (uint64_t)(h->bus_end - h->bus_start + 1) << 20;
		if (base + size - 1 <= UINT32_MAX)
			aml_rs_memory32_fixed(b, true, (uint32_t)base, (uint32_t)size);
		else
			aml_rs_qword_memory(b, &(struct aml_rs_addr){ .min_fixed = true,
								    .max_fixed = true, .min = base,
								    .max = base + size - 1,
								    .length = size },
					    AML_NON_CACHEABLE, true);
	}
	aml_end(b);
	aml_end(b);
}

void acpi_dsdt_pci(struct aml_buf *b, const struct acpi_pci_host *hosts, unsigned n, bool cca)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n; i++)
		host_bridge(b, &hosts[i], i, cca);
	ecam_reservation(b, hosts, n);
}

void acpi_dsdt_ged(struct aml_buf *b, const struct acpi_x86_params *p)
{
	if (!p->ged_addr)
		return;
	aml_device_begin(b, "GED0");
	aml_name(b, "_HID");
	aml_string(b, "ACPI0013");
	aml_name(b, "_UID");
	aml_integer(b, 0);
	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_interrupt(b, true, true, false, false, p->ged_gsi);
	aml_end(b);
	aml_op_region(b, "EREG", AML_SYSTEM_MEMORY, p->ged_addr, ACPI_GED_REG_SIZE);
	aml_field_dword(b, "EREG", "ESEL", 32);
	aml_method_begin(b, "_EVT", 1, true, 0);
	aml_store(b);
	aml_namestring(b, "ESEL");
	aml_local(b, 0);
	aml_if_begin(b);
	aml_and(b);
	aml_local(b, 0);
	aml_integer(b, ACPI_GED_EVT_POWER_BUTTON);
	aml_namestring(b, "");
	aml_notify(b);
	aml_namestring(b, "\\_SB.PWRB");
	aml_integer(b, 0x80);
	aml_end(b); /* If */
	aml_end(b); /* _EVT */
	aml_end(b); /* GED0 */

	aml_device_begin(b, "PWRB");
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0C0C");
	aml_name(b, "_UID");
	aml_integer(b, 0);
	aml_end(b);
}
