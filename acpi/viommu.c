// SPDX-License-Identifier: Apache-2.0
/*
 * acpi_viommus_check(): the rules a vIOMMU list must follow before the
 * DMAR or the IORT is built from it, each broken rule reported as one
 * sentence that names the vIOMMU(s) by index.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "acpi.h"
#include "tables.h"

#define VTD_PAGE 0x1000ull

__attribute__((format(printf, 4, 5)))
static int viommu_fail(char *msg, size_t msg_len, int err, const char *fmt, ...)
{
	if (msg && msg_len) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, msg_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int check_scopes(unsigned i, const struct acpi_viommu *u, char *msg, size_t msg_len)
{
	uint8_t seen[256 / 8] = { 0 };

	if (u->nr_scopes > ACPI_VIOMMU_MAX_SCOPES)
		return viommu_fail(msg, msg_len, -EINVAL, "vIOMMU %u: %u device scopes, at most %u",
				   i, u->nr_scopes, ACPI_VIOMMU_MAX_SCOPES);
	if (u->include_all && u->nr_scopes)
		return viommu_fail(msg, msg_len, -EINVAL,
				   "vIOMMU %u: an INCLUDE_PCI_ALL unit cannot also list device scopes", i);
	for (unsigned s = 0; s < u->nr_scopes; s++) {
		const struct acpi_viommu_scope *sc = &u->scopes[s];
		unsigned devfn = (unsigned)sc->dev << 3 | sc->fn;

		if (sc->type != ACPI_VIOMMU_SCOPE_ENDPOINT && sc->type != ACPI_VIOMMU_SCOPE_BRIDGE)
			return viommu_fail(msg, msg_len, -EINVAL,
					   "vIOMMU %u: scope %u has type %u, not endpoint (1) or bridge (2)",
					   i, s, sc->type);
		if (sc->dev > 31 || sc->fn > 7)
			return viommu_fail(msg, msg_len, -EINVAL,
					   "vIOMMU %u: scope %u names device %u function %u (at most 31.7)",
					   i, s, sc->dev, sc->fn);
		if (seen[devfn / 8] & (1u << devfn % 8))
			return viommu_fail(msg, msg_len, -EINVAL,
					   "vIOMMU %u: function %02x.%u is listed twice", i, sc->dev, sc->fn);
		seen[devfn / 8] |= (uint8_t)(1u << devfn % 8);
	}
	return 0;
}

static int check_one(unsigned i, const struct acpi_viommu *u, char *msg, size_t msg_len)
{
	if (!u->reg_base || u->reg_base % VTD_PAGE || u->reg_base > UINT64_MAX - (VTD_PAGE - 1))
		return viommu_fail(msg, msg_len, -EINVAL,
				   "vIOMMU %u: register base %#llx is not a non-zero 4 KiB-aligned address",
				   i, (unsigned long long)u->reg_base);
	if (u->bus_first > u->bus_last)
		return viommu_fail(msg, msg_len, -EINVAL, "vIOMMU %u: bus range %#x-%#x is reversed",
				   i, u->bus_first, u->bus_last);
	return check_scopes(i, u, msg, msg_len);
}

static int check_pair(unsigned i, unsigned j, const struct acpi_viommu *a,
		      const struct acpi_viommu *b, char *msg, size_t msg_len)
{
	if (a->reg_base == b->reg_base)
		return viommu_fail(msg, msg_len, -EINVAL,
				   "vIOMMUs %u and %u share the register page %#llx", i, j,
				   (unsigned long long)a->reg_base);
	if (a->segment != b->segment)
		return 0;
	if (a->bus_first <= b->bus_last && b->bus_first <= a->bus_last)
		return viommu_fail(msg, msg_len, -EINVAL,
				   "vIOMMUs %u and %u overlap on segment %u: buses %#x-%#x and %#x-%#x",
				   i, j, a->segment, a->bus_first, a->bus_last, b->bus_first,
				   b->bus_last);
	if (a->include_all && b->include_all)
		return viommu_fail(msg, msg_len, -EINVAL,
				   "vIOMMUs %u and %u are both INCLUDE_PCI_ALL units of segment %u",
				   i, j, a->segment);
	return 0;
}

int acpi_viommus_check(const struct acpi_viommu *v, unsigned n, char *msg, size_t msg_len)
{
	int err;

	if (n > ACPI_MAX_VIOMMUS)
		return viommu_fail(msg, msg_len, -E2BIG, "%u vIOMMUs: at most %u are supported", n,
				   ACPI_MAX_VIOMMUS);
	if (n && !v)
		return viommu_fail(msg, msg_len, -EINVAL, "%u vIOMMUs but no list", n);
	for (unsigned i = 0; i < n; i++) {
		err = check_one(i, &v[i], msg, msg_len);
		if (err)
			return err;
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = i + 1; j < n; j++) {
			err = check_pair(i, j, &v[i], &v[j], msg, msg_len);
			if (err)
				return err;
		}
	}
	return 0;
}
