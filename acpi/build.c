// SPDX-License-Identifier: Apache-2.0
/*
 * Table layout. In the output buffer (guest address base_gpa + offset):
 *
 *   RSDP (36) | XSDT (36 + 8*n) | FADT (276) | DSDT (36 + AML) | MADT [| MCFG] [| DMAR]
 *
 * each starting 16-byte aligned, gaps zeroed. The RSDP points at the
 * XSDT, the XSDT at the FADT, MADT (and MCFG, present only with PCI
 * host bridges, and DMAR, only with vIOMMUs), the FADT (X_DSDT) at the
 * DSDT.
 * Everything is sized before anything is written, so on -ENOSPC or
 * -EINVAL the buffer is left untouched.
 */
#include <errno.h>
#include <stdbool.h>
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

/*
 * With PCI host bridges (all on segment 0, as in the MCFG), each vIOMMU's
 * buses must lie inside one of them: a vIOMMU owns (part of) a root bus
 * hierarchy the guest can see.
 */
static int check_viommu_hosts(const struct acpi_x86_params *p)
{
	for (unsigned i = 0; i < p->nr_viommus && p->nr_pci_hosts; i++) {
		const struct acpi_viommu *u = &p->viommus[i];
		bool inside = false;

		for (unsigned h = 0; h < p->nr_pci_hosts; h++)
			inside |= u->segment == 0 && u->bus_first >= p->pci_hosts[h].bus_start &&
				  u->bus_last <= p->pci_hosts[h].bus_end;
		if (!inside)
			return -EINVAL;
	}
	return 0;
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
	if (acpi_pci_hosts_check(p->pci_hosts, p->nr_pci_hosts))
		return -EINVAL;
	if (p->nr_viommus && (p->phys_addr_bits < 32 || p->phys_addr_bits > 64))
		return -EINVAL;
	int err = acpi_viommus_check(p->viommus, p->nr_viommus, NULL, 0);
	if (err)
		return err;
	return check_viommu_hosts(p);
}

int acpi_pci_hosts_check(const struct acpi_pci_host *hosts, unsigned n)
{
	if (n > ACPI_MAX_PCI_HOSTS || (n && !hosts))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		const struct acpi_pci_host *h = &hosts[i];
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

enum { T_RSDP, T_XSDT, T_FADT, T_DSDT, T_MADT, T_MCFG, T_DMAR, T_COUNT };

_Static_assert(T_COUNT <= ACPI_MAX_TABLES, "acpi_layout too small");

static const char *const table_sigs[T_COUNT] = { "RSDP", "XSDT", "FACP", "DSDT",
						 "APIC", "MCFG", "DMAR" };

struct x86_plan {
	bool present[T_COUNT];
	size_t off[T_COUNT], size[T_COUNT];
	unsigned nr_xsdt;
	size_t used;
};

/* Sizes and offsets of the tables present; the XSDT lists those after the DSDT. */
static void plan_x86(const struct acpi_x86_params *p, size_t dsdt_len, struct x86_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	for (unsigned i = T_RSDP; i <= T_MADT; i++)
		pl->present[i] = true;
	pl->present[T_MCFG] = p->nr_pci_hosts > 0;
	pl->present[T_DMAR] = p->nr_viommus > 0;
	for (unsigned i = T_MADT; i < T_COUNT; i++)
		pl->nr_xsdt += pl->present[i];
	pl->nr_xsdt++; /* the FADT */
	pl->size[T_RSDP] = ACPI_RSDP_SIZE;
	pl->size[T_XSDT] = ACPI_XSDT_SIZE(pl->nr_xsdt);
	pl->size[T_FADT] = ACPI_FADT_SIZE;
	pl->size[T_DSDT] = dsdt_len;
	pl->size[T_MADT] = acpi_madt_size(p);
	pl->size[T_MCFG] = ACPI_MCFG_SIZE(p->nr_pci_hosts);
	pl->size[T_DMAR] = pl->present[T_DMAR] ? acpi_dmar_size(p->viommus, p->nr_viommus) : 0;
	for (unsigned i = 0; i < T_COUNT; i++) {
		if (!pl->present[i])
			continue;
		pl->off[i] = align_up(pl->used);
		pl->used = pl->off[i] + pl->size[i];
	}
}

static void write_x86(uint8_t *buf, const struct acpi_x86_params *params, uint64_t base_gpa,
		      const struct aml_buf *dsdt, const struct x86_plan *pl)
{
	uint64_t entries[ACPI_XSDT_MAX_ENTRIES];
	unsigned n = 0;

	memset(buf, 0, pl->used);
	acpi_rsdp_write(buf + pl->off[T_RSDP], base_gpa + pl->off[T_XSDT]);
	entries[n++] = base_gpa + pl->off[T_FADT];
	for (unsigned i = T_MADT; i < T_COUNT; i++)
		if (pl->present[i])
			entries[n++] = base_gpa + pl->off[i];
	acpi_xsdt_write(buf + pl->off[T_XSDT], entries, n);
	acpi_fadt_write(buf + pl->off[T_FADT], params, base_gpa + pl->off[T_DSDT]);
	memcpy(buf + pl->off[T_DSDT], dsdt->data, dsdt->len);
	acpi_madt_write(buf + pl->off[T_MADT], params);
	if (pl->present[T_MCFG])
		acpi_mcfg_write(buf + pl->off[T_MCFG], params->pci_hosts, params->nr_pci_hosts);
	if (pl->present[T_DMAR])
		acpi_dmar_write(buf + pl->off[T_DMAR], params->viommus, params->nr_viommus,
				params->phys_addr_bits);
}

static void report_x86(const struct x86_plan *pl, uint64_t base_gpa, struct acpi_layout *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->rsdp_gpa = base_gpa + pl->off[T_RSDP];
	ret->used = pl->used;
	for (unsigned i = 0; i < T_COUNT; i++) {
		if (!pl->present[i])
			continue;
		struct acpi_table_ref *t = &ret->tables[ret->nr_tables++];
		memcpy(t->signature, table_sigs[i], sizeof(t->signature));
		t->gpa = base_gpa + pl->off[i];
		t->length = (uint32_t)pl->size[i];
		t->offset = (uint32_t)pl->off[i];
	}
}

int acpi_build_x86(const struct acpi_x86_params *params, uint64_t base_gpa, uint8_t *buf,
		   size_t len, struct acpi_layout *ret)
{
	struct x86_plan pl;
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
	plan_x86(params, dsdt.len, &pl);
	if (pl.used - 1 > UINT64_MAX - base_gpa) {
		err = -EINVAL;
		goto out;
	}
	if (pl.used > len) {
		if (ret)
			ret->used = pl.used; /* how much would be needed */
		err = -ENOSPC;
		goto out;
	}
	write_x86(buf, params, base_gpa, &dsdt, &pl);
	if (ret)
		report_x86(&pl, base_gpa, ret);
out:
	aml_free(&dsdt);
	return err;
}
