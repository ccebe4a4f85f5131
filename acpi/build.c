// SPDX-License-Identifier: Apache-2.0
/*
 * Table layout. In the output buffer (guest address base_gpa + offset):
 *
 *   RSDP (36) | XSDT (36 + 8*n) | FADT (276) | DSDT (36 + AML) | MADT [| MCFG]
 *
 * each starting 16-byte aligned, gaps zeroed. The RSDP points at the
 * XSDT, the XSDT at the FADT, MADT (and MCFG, present only with PCI
 * host bridges), the FADT (X_DSDT) at the DSDT.
 * Everything is sized before anything is written, so on -ENOSPC or
 * -EINVAL the buffer is left untouched.
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "tables.h"

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length, uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, sizeof(h->signature));
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REV;
}

void acpi_table_checksum(uint8_t *p)
{
	struct acpi_header h;

	memcpy(&h, p, sizeof(h));
	p[offsetof(struct acpi_header, checksum)] = 0;
	p[offsetof(struct acpi_header, checksum)] = acpi_checksum(p, h.length);
}

static size_t align_up(size_t v)
{
	return (v + ACPI_TABLE_ALIGN - 1) & ~(size_t)(ACPI_TABLE_ALIGN - 1);
}

static int check_params(const struct acpi_x86_params *p, uint64_t base_gpa)
{
	if (p->nr_cpus == 0 || p->nr_cpus > 255)
		return -EINVAL;
	if (p->lapic_addr > UINT32_MAX || p->ioapic_addr > UINT32_MAX)
		return -EINVAL;
	/* Linux needs both sleep registers for S5 and a non-zero reset register. */
	if (!p->sleep_control_port || !p->sleep_status_port || !p->reset_port)
		return -EINVAL;
	if (p->s5_slp_typ > 7) /* SLP_TYP is a 3-bit field */
		return -EINVAL;
	if (p->com1_port && p->com1_irq > 15)
		return -EINVAL;
	if (base_gpa % ACPI_TABLE_ALIGN)
		return -EINVAL;
	if (p->nr_pci_hosts > ACPI_MAX_PCI_HOSTS || (p->nr_pci_hosts && !p->pci_hosts))
		return -EINVAL;
	for (unsigned i = 0; i < p->nr_pci_hosts; i++) {
		const struct acpi_pci_host *h = &p->pci_hosts[i];
		if (h->bus_start > h->bus_end)
			return -EINVAL;
		if (h->mmio32_size && (h->mmio32_base > UINT32_MAX ||
				       h->mmio32_size > (1ull << 32) - h->mmio32_base))
			return -EINVAL;
		if (h->mmio64_size && h->mmio64_base > UINT64_MAX - (h->mmio64_size - 1))
			return -EINVAL;
		if (h->io_size && (uint32_t)h->io_base + h->io_size > 0x10000)
			return -EINVAL;
		if (h->ecam_base > UINT64_MAX - ((uint64_t)(h->bus_end + 1) << 20) ||
		    h->ecam_base % (1u << 20))
			return -EINVAL;
	}
	return 0;
}

enum { T_RSDP, T_XSDT, T_FADT, T_DSDT, T_MADT, T_MCFG, T_COUNT };

_Static_assert(T_COUNT <= ACPI_MAX_TABLES, "acpi_layout too small");

int acpi_build_x86(const struct acpi_x86_params *params, uint64_t base_gpa, uint8_t *buf,
		   size_t len, struct acpi_layout *ret)
{
	static const char *const sigs[T_COUNT] = { "RSDP", "XSDT", "FACP", "DSDT", "APIC", "MCFG" };
	size_t off[T_COUNT], size[T_COUNT];
	struct aml_buf dsdt;
	int err;

	if (!params || (!buf && len))
		return -EINVAL;
	err = check_params(params, base_gpa);
	if (err)
		return err;

	aml_init(&dsdt);
	err = acpi_dsdt_build(&dsdt, params);
	if (err)
		goto out;

	size[T_RSDP] = ACPI_RSDP_SIZE;
	unsigned nr = params->nr_pci_hosts ? T_COUNT : T_MCFG; /* tables present */
	unsigned nr_xsdt = nr == T_COUNT ? 3 : 2;
	size[T_XSDT] = ACPI_XSDT_SIZE(nr_xsdt);
	size[T_FADT] = ACPI_FADT_SIZE;
	size[T_DSDT] = dsdt.len;
	size[T_MADT] = acpi_madt_size(params);
	size[T_MCFG] = ACPI_MCFG_SIZE(params->nr_pci_hosts);
	size_t used = 0;
	for (unsigned i = 0; i < nr; i++) {
		off[i] = align_up(used);
		used = off[i] + size[i];
	}
	if (used - 1 > UINT64_MAX - base_gpa) {
		err = -EINVAL;
		goto out;
	}
	if (used > len) {
		if (ret)
			ret->used = used; /* how much would be needed */
		err = -ENOSPC;
		goto out;
	}

	memset(buf, 0, used);
	acpi_rsdp_write(buf + off[T_RSDP], base_gpa + off[T_XSDT]);
	const uint64_t entries[ACPI_XSDT_MAX_ENTRIES] = { base_gpa + off[T_FADT],
							  base_gpa + off[T_MADT],
							  base_gpa + off[T_MCFG] };
	acpi_xsdt_write(buf + off[T_XSDT], entries, nr_xsdt);
	acpi_fadt_write(buf + off[T_FADT], params, base_gpa + off[T_DSDT]);
	memcpy(buf + off[T_DSDT], dsdt.data, dsdt.len);
	acpi_madt_write(buf + off[T_MADT], params);
	if (nr == T_COUNT)
		acpi_mcfg_write(buf + off[T_MCFG], params);

	if (ret) {
		memset(ret, 0, sizeof(*ret));
		ret->rsdp_gpa = base_gpa + off[T_RSDP];
		ret->used = used;
		ret->nr_tables = nr;
		for (unsigned i = 0; i < nr; i++) {
			struct acpi_table_ref *t = &ret->tables[i];
			memcpy(t->signature, sigs[i], sizeof(t->signature));
			t->gpa = base_gpa + off[i];
			t->length = (uint32_t)size[i];
			t->offset = (uint32_t)off[i];
		}
	}
out:
	aml_free(&dsdt);
	return err;
}
