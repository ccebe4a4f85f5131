// SPDX-License-Identifier: Apache-2.0
/*
 * The plan's vIOMMUs as ACPI describes them (docs/iommu.md, "DMAR and
 * IORT"): the struct acpi_viommu list acpi/ builds the DMAR and the IORT
 * from, and the files `skiff plan --dump-acpi DIR` writes. A VM's own
 * DMAR describes its emulated VT-d units instead (vm_viommu.c).
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu.h"
#include "layout.h"
#include "vm-internal.h"

/* A unit with a vIOMMU: its own object, or skiff's model nesting on its stage-2. */
static bool has_viommu(const struct iommu_unit *u)
{
	return u->mode == IOMMU_UNIT_VIOMMU || u->mode == IOMMU_UNIT_PARENT;
}

/* One endpoint scope per device of unit the vIOMMU translates (not those that fell back alone). */
static int add_scopes(const struct iommu_plan *p, unsigned unit, struct acpi_viommu *v, char *msg, size_t len)
{
	for (unsigned i = 0; i < iommu_plan_nr_devs(p); i++) {
		const struct iommu_dev *d = iommu_plan_dev(p, i);

		if (d->unit != unit || d->why[0])
			continue;
		if (d->slot >= ACPI_PCI_SLOTS || v->nr_scopes >= ACPI_VIOMMU_MAX_SCOPES) {
			snprintf(msg, len, "device %s has slot %u, outside its root bus", d->name, d->slot);
			return -EINVAL;
		}
		/* assigned devices are single-function, at function 0 of their slot */
		v->scopes[v->nr_scopes++] = (struct acpi_viommu_scope){ ACPI_VIOMMU_SCOPE_ENDPOINT, (uint8_t)d->slot, 0 };
	}
	return 0;
}

int vm_plan_viommus(const struct iommu_plan *p, const struct pci_root_cfg *rc, struct acpi_viommu *v,
		    unsigned max, unsigned *ret_n, char *msg, size_t len)
{
	unsigned n = 0;

	*ret_n = 0;
	for (unsigned i = 0; i < iommu_plan_nr_units(p); i++) {
		const struct iommu_unit *u = iommu_plan_unit(p, i);
		struct acpi_viommu *a = &v[n];
		int r;

		if (u->mode == IOMMU_UNIT_PLANNED) {
			snprintf(msg, len, "the plan has not been executed, so no unit has a vIOMMU yet");
			return -EINVAL;
		}
		if (!has_viommu(u))
			continue;
		if (n >= max || n >= X86_VIOMMU_MAX) {
			snprintf(msg, len, "more than %u vIOMMUs", max < X86_VIOMMU_MAX ? max : X86_VIOMMU_MAX);
			return -E2BIG;
		}
		if (u->root_bus >= rc->nr_buses) {
			snprintf(msg, len, "%s's root bus %u is not among the VM's %u", u->instance, u->root_bus,
				 rc->nr_buses);
			return -EINVAL;
		}
		memset(a, 0, sizeof(*a));
		a->reg_base = X86_VIOMMU_BASE + n * X86_VIOMMU_STRIDE;
		a->bus_first = rc->buses[u->root_bus].bus_start;
		a->bus_last = rc->buses[u->root_bus].bus_end;
		r = add_scopes(p, i, a, msg, len);
		if (r)
			return r;
		n += a->nr_scopes > 0; /* every device fell back on its own: nothing for it to translate */
	}
	*ret_n = n;
	return n ? acpi_viommus_check(v, n, msg, len) : 0;
}

static int write_table(const char *dir, const char *sig, const uint8_t *buf, size_t n)
{
	char path[4096];
	FILE *f;
	int r = 0;

	if (snprintf(path, sizeof(path), "%s/%s.dat", dir, sig) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fwrite(buf, 1, n, f) != n)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

static int write_dmar(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, const char *dir)
{
	size_t len = 0;
	uint8_t *buf;
	int r = acpi_build_dmar(v, n, addr_bits, NULL, 0, &len);

	if (r != -ENOSPC)
		return r ? r : -EINVAL;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	r = acpi_build_dmar(v, n, addr_bits, buf, len, &len);
	if (!r)
		r = write_table(dir, "DMAR", buf, len);
	free(buf);
	return r;
}

int vm_plan_write_acpi(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, const char *dir)
{
	/* the directory says what this plan has: no stale table from an earlier one */
	static const char *const sigs[] = { "DMAR", "IORT" };
	char path[4096];
	struct stat st;
	int r;

	if (stat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	for (unsigned i = 0; i < 2; i++) {
		if (snprintf(path, sizeof(path), "%s/%s.dat", dir, sigs[i]) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT)
			return -errno;
	}
	if (!n)
		return 0;
	r = write_dmar(v, n, addr_bits, dir);
	return r ? r : acpi_write_iort(v, n, addr_bits, dir);
}

/* The guest's physical address width: KVM passes the host's CPUID 0x80000008 EAX[7:0] on. */
static unsigned phys_addr_bits(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000008, &a, &b, &c, &d) || (a & 0xff) < 32 || (a & 0xff) > 64)
		return 36; /* what CPUs without the leaf have */
	return a & 0xff;
}

int vm_plan_dump_acpi(const struct iommu_plan *p, const struct pci_root_cfg *rc, const char *dir)
{
	struct acpi_viommu v[ACPI_MAX_VIOMMUS]; /* 8 x ~800 bytes */
	char msg[256];
	unsigned n = 0;
	int r = p ? vm_plan_viommus(p, rc, v, ACPI_MAX_VIOMMUS, &n, msg, sizeof(msg)) : 0;

	if (r) {
		fprintf(stderr, "skiff: plan: --dump-acpi %s: %s\n", dir, msg);
		return 1;
	}
	r = vm_plan_write_acpi(v, n, phys_addr_bits(), dir);
	if (r) {
		fprintf(stderr, "skiff: plan: --dump-acpi %s: cannot write the tables there: %s\n", dir, strerror(-r));
		return 1;
	}
	if (!n)
		fprintf(stderr, "skiff: plan: --dump-acpi %s: no unit has a vIOMMU, so there is no DMAR or IORT "
			"to write\n", dir);
	return 0;
}
