// SPDX-License-Identifier: Apache-2.0
/*
 * The arm64 table set. In the output buffer (guest address base_gpa + offset):
 *
 *   RSDP | XSDT | FADT | DSDT | MADT | GTDT | SPCR [| MCFG] | IORT
 *
 * each 16-byte aligned, gaps zeroed; the XSDT lists every table after the
 * DSDT, which the FADT's X_DSDT names. As on x86, everything is sized
 * before anything is written: on an error the buffer is untouched.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "tables.h"

enum { A_RSDP, A_XSDT, A_FADT, A_DSDT, A_MADT, A_GTDT, A_SPCR, A_MCFG, A_IORT, A_COUNT };

_Static_assert(A_COUNT <= ACPI_MAX_TABLES, "acpi_layout too small");
_Static_assert(A_COUNT - A_MADT + 1 <= ACPI_XSDT_MAX_ENTRIES, "XSDT too small");

static const char *const sigs[A_COUNT] = { "RSDP", "XSDT", "FACP", "DSDT", "APIC",
					   "GTDT", "SPCR", "MCFG", "IORT" };

struct arm64_plan {
	bool present[A_COUNT];
	size_t off[A_COUNT], size[A_COUNT];
	unsigned nr_xsdt;
	size_t used;
};

static size_t align16(size_t v)
{
	return (v + ACPI_TABLE_ALIGN - 1) & ~(size_t)(ACPI_TABLE_ALIGN - 1);
}

static struct acpi_iort_opts iort_opts(const struct acpi_arm64_params *p)
{
	return (struct acpi_iort_opts){ .rc_segment0 = true, .smmu_devid_base = p->viommu_devid_base,
					.rmr_base = p->msi_rmr_base, .rmr_size = p->msi_rmr_size };
}

/*
 * Each vIOMMU's buses inside one host bridge (segment 0), as the guest
 * sees them; with RMRs that host must ask for its boot configuration to
 * be kept, or Linux ignores RMRs naming its StreamIDs.
 */
static int check_viommus_in_hosts(const struct acpi_arm64_params *p)
{
	for (unsigned i = 0; i < p->nr_viommus; i++) {
		const struct acpi_viommu *u = &p->viommus[i];
		bool inside = false;

		for (unsigned h = 0; h < p->nr_pci_hosts; h++)
			inside |= u->segment == 0 && u->bus_first >= p->pci_hosts[h].bus_start &&
				  u->bus_last <= p->pci_hosts[h].bus_end &&
				  (!p->msi_rmr_size || p->pci_hosts[h].preserve_boot_config);
		if (!inside)
			return -EINVAL;
	}
	return 0;
}

static int check_arm64(const struct acpi_arm64_params *p, uint64_t base_gpa)
{
	if (p->nr_cpus == 0 || p->nr_cpus > ACPI_ARM64_MAX_CPUS || !p->mpidrs)
		return -EINVAL;
	if (base_gpa % ACPI_TABLE_ALIGN || p->pa_bits < 32 || p->pa_bits > 64)
		return -EINVAL;
	/* The PL011's _CRS is a Memory32Fixed. */
	if (!p->uart_size || p->uart_base > UINT32_MAX || p->uart_size > (1ull << 32) - p->uart_base)
		return -EINVAL;
	if (p->gicr_size > UINT32_MAX || !p->gicd_base || !p->gicr_base || !p->its_base)
		return -EINVAL;
	for (unsigned h = 0; h < p->nr_pci_hosts; h++)
		if (p->pci_hosts[h].io_size) /* no port I/O on arm64 */
			return -EINVAL;
	if (p->nr_virtio_mmio > 256 || (p->nr_virtio_mmio && !p->virtio_mmio))
		return -EINVAL;
	if (acpi_pci_hosts_check(p->pci_hosts, p->nr_pci_hosts))
		return -EINVAL;
	return check_viommus_in_hosts(p);
}

static int plan_arm64(const struct acpi_arm64_params *p, size_t dsdt_len, struct arm64_plan *pl)
{
	struct acpi_iort_opts o = iort_opts(p);
	size_t iort_len = 0;
	int err;

	memset(pl, 0, sizeof(*pl));
	err = acpi_build_iort_opts(p->viommus, p->nr_viommus, p->pa_bits, &o, NULL, 0, &iort_len);
	if (err != -ENOSPC)
		return err ? err : -EINVAL;
	for (unsigned i = 0; i < A_COUNT; i++)
		pl->present[i] = i != A_MCFG || p->nr_pci_hosts;
	pl->size[A_RSDP] = ACPI_RSDP_SIZE;
	pl->size[A_FADT] = ACPI_FADT_SIZE;
	pl->size[A_DSDT] = dsdt_len;
	pl->size[A_MADT] = acpi_madt_gic_size(p);
	pl->size[A_GTDT] = ACPI_GTDT_SIZE;
	pl->size[A_SPCR] = ACPI_SPCR_SIZE;
	pl->size[A_MCFG] = ACPI_MCFG_SIZE(p->nr_pci_hosts);
	pl->size[A_IORT] = iort_len;
	pl->nr_xsdt = 1; /* the FADT */
	for (unsigned i = A_MADT; i < A_COUNT; i++)
		pl->nr_xsdt += pl->present[i];
	pl->size[A_XSDT] = ACPI_XSDT_SIZE(pl->nr_xsdt);
	for (unsigned i = 0; i < A_COUNT; i++) {
		if (!pl->present[i])
			continue;
		pl->off[i] = align16(pl->used);
		pl->used = pl->off[i] + pl->size[i];
	}
	return 0;
}

static void write_arm64(uint8_t *buf, const struct acpi_arm64_params *p, uint64_t base_gpa,
			const struct aml_buf *dsdt, const struct arm64_plan *pl)
{
	struct acpi_iort_opts o = iort_opts(p);
	uint64_t entries[ACPI_XSDT_MAX_ENTRIES];
	size_t iort_len;
	unsigned n = 0;

	memset(buf, 0, pl->used);
	acpi_rsdp_write(buf + pl->off[A_RSDP], base_gpa + pl->off[A_XSDT]);
	entries[n++] = base_gpa + pl->off[A_FADT];
	for (unsigned i = A_MADT; i < A_COUNT; i++)
		if (pl->present[i])
			entries[n++] = base_gpa + pl->off[i];
	acpi_xsdt_write(buf + pl->off[A_XSDT], entries, n);
	acpi_fadt_arm64_write(buf + pl->off[A_FADT], base_gpa + pl->off[A_DSDT]);
	memcpy(buf + pl->off[A_DSDT], dsdt->data, dsdt->len);
	acpi_madt_gic_write(buf + pl->off[A_MADT], p);
	acpi_gtdt_write(buf + pl->off[A_GTDT], p);
	acpi_spcr_write(buf + pl->off[A_SPCR], p);
	if (pl->present[A_MCFG])
		acpi_mcfg_write(buf + pl->off[A_MCFG], p->pci_hosts, p->nr_pci_hosts);
	/* Sized by plan_arm64 with the same inputs: cannot fail here. */
	(void)acpi_build_iort_opts(p->viommus, p->nr_viommus, p->pa_bits, &o, buf + pl->off[A_IORT],
				   pl->size[A_IORT], &iort_len);
}

static void report_arm64(const struct arm64_plan *pl, uint64_t base_gpa, struct acpi_layout *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->rsdp_gpa = base_gpa + pl->off[A_RSDP];
	ret->used = pl->used;
	for (unsigned i = 0; i < A_COUNT; i++) {
		if (!pl->present[i])
			continue;
		struct acpi_table_ref *t = &ret->tables[ret->nr_tables++];
		memcpy(t->signature, sigs[i], sizeof(t->signature));
		t->gpa = base_gpa + pl->off[i];
		t->length = (uint32_t)pl->size[i];
		t->offset = (uint32_t)pl->off[i];
	}
}

int acpi_build_arm64(const struct acpi_arm64_params *params, uint64_t base_gpa, uint8_t *buf,
		     size_t len, struct acpi_layout *ret)
{
	struct arm64_plan pl;
	struct aml_buf dsdt;
	int err;

	if (!params || (!buf && len))
		return -EINVAL;
	err = check_arm64(params, base_gpa);
	if (err)
		return err;
	aml_init(&dsdt);
	err = acpi_dsdt_arm64_build(&dsdt, params);
	if (!err)
		err = plan_arm64(params, dsdt.len, &pl);
	if (!err && pl.used - 1 > UINT64_MAX - base_gpa)
		err = -EINVAL;
	if (!err && pl.used > len) {
		if (ret)
			ret->used = pl.used;
		err = -ENOSPC;
	}
	if (!err) {
		write_arm64(buf, params, base_gpa, &dsdt, &pl);
		if (ret)
			report_arm64(&pl, base_gpa, ret);
	}
	aml_free(&dsdt);
	return err;
}
