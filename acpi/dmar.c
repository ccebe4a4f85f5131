// SPDX-License-Identifier: Apache-2.0
/*
 * DMA Remapping Reporting table (Intel VT-d spec rev. 4.1, 8.1-8.3): one
 * DMA-remapping hardware unit definition (DRHD) per vIOMMU.
 *
 * Header flags: INTR_REMAP is clear because skiff's vIOMMUs do not remap
 * interrupts (MSIs go straight to KVM's irqfd routes). X2APIC_OPT_OUT is
 * clear too: it only asks an OS that enables interrupt remapping to stay
 * in xAPIC mode, and Linux reads it only after it has found INTR_REMAP
 * set; with up to 255 vCPUs the guest reaches every APIC ID without
 * remapping either way. DMA_CTRL_PLATFORM_OPT_IN is clear: no firmware
 * ran DMA protection before the OS.
 *
 * A scoped unit lists the functions on its root bus (bus_first): an
 * endpoint scope (type 1) or, for a root port or bridge, a sub-hierarchy
 * scope (type 2) covering everything below it, each a one-hop path. An
 * INCLUDE_PCI_ALL unit lists no PCI scopes and must be the last DRHD of
 * its segment, so those come after every scoped unit. No IOAPIC/HPET
 * scopes: they matter only for interrupt remapping.
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"
#include "tables.h"

static size_t drhd_size(const struct acpi_viommu *u)
{
	return sizeof(struct acpi_dmar_drhd) + u->nr_scopes * sizeof(struct acpi_dmar_scope);
}

size_t acpi_dmar_size(const struct acpi_viommu *v, unsigned n)
{
	size_t len = sizeof(struct acpi_dmar);

	for (unsigned i = 0; i < n; i++)
		len += drhd_size(&v[i]);
	return len;
}

static size_t write_drhd(uint8_t *dst, const struct acpi_viommu *u)
{
	struct acpi_dmar_drhd d = {
		.type = ACPI_DMAR_TYPE_DRHD,
		.length = (uint16_t)drhd_size(u),
		.flags = u->include_all ? ACPI_DMAR_DRHD_INCLUDE_ALL : 0,
		.size = 0, /* one 4 KiB register page */
		.segment = u->segment,
		.reg_base = u->reg_base,
	};
	size_t off = sizeof(d);

	memcpy(dst, &d, sizeof(d));
	for (unsigned s = 0; s < u->nr_scopes; s++) {
		const struct acpi_viommu_scope *sc = &u->scopes[s];
		struct acpi_dmar_scope ds = {
			.type = sc->type,
			.length = sizeof(ds),
			.start_bus = u->bus_first,
			.dev = sc->dev,
			.fn = sc->fn,
		};
		memcpy(dst + off, &ds, sizeof(ds));
		off += sizeof(ds);
	}
	return off;
}

void acpi_dmar_write(uint8_t *dst, const struct acpi_viommu *v, unsigned n, unsigned addr_bits)
{
	struct acpi_dmar h;
	size_t off = sizeof(h);

	memset(&h, 0, sizeof(h));
	acpi_header_init(&h.header, "DMAR", (uint32_t)acpi_dmar_size(v, n), ACPI_DMAR_REVISION);
	h.host_addr_width = (uint8_t)(addr_bits - 1);
	h.flags = 0; /* see the top of the file */
	memcpy(dst, &h, sizeof(h));
	/* Scoped units first, then the INCLUDE_PCI_ALL ones (last of their segment). */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < n; i++)
			if (v[i].include_all == (pass == 1))
				off += write_drhd(dst + off, &v[i]);
	acpi_table_checksum(dst);
}

int acpi_build_dmar(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, uint8_t *buf,
		    size_t len, size_t *ret_len)
{
	int err = acpi_viommus_check(v, n, NULL, 0);

	if (err)
		return err;
	if (!n || addr_bits < 32 || addr_bits > 64 || (!buf && len))
		return -EINVAL;
	size_t need = acpi_dmar_size(v, n);
	if (ret_len)
		*ret_len = need;
	if (need > len)
		return -ENOSPC;
	acpi_dmar_write(buf, v, n, addr_bits);
	return 0;
}
