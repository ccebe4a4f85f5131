// SPDX-License-Identifier: Apache-2.0
/* The programmable stand-in for iommu/vtd_tables.c (fake-vtd-tables.h). */
#include <errno.h>
#include <string.h>

#include "fake-vtd-tables.h"

struct fake_vtd_tables fake_vtd;

void fake_vtd_reset(void)
{
	memset(&fake_vtd, 0, sizeof(fake_vtd));
}

void fake_vtd_set_dev(uint16_t rid, const struct vtd_dev_state *st)
{
	for (unsigned i = 0; i < fake_vtd.nr_dev; i++) {
		if (fake_vtd.rid[i] == rid) {
			fake_vtd.dev[i] = *st;
			return;
		}
	}
	if (fake_vtd.nr_dev < FAKE_VTD_DEVS) {
		fake_vtd.rid[fake_vtd.nr_dev] = rid;
		fake_vtd.dev[fake_vtd.nr_dev++] = *st;
	}
}

void fake_vtd_map(gpa_t root, uint64_t iova, uint64_t size, gpa_t gpa, bool writable)
{
	if (fake_vtd.nr_map < FAKE_VTD_MAPS)
		fake_vtd.map[fake_vtd.nr_map++] =
			(struct fake_vtd_map){ .root = root, .iova = iova, .size = size, .gpa = gpa, .writable = writable };
}

static bool covers(const struct fake_vtd_map *m, gpa_t root, uint64_t iova)
{
	return m->root == root && iova >= m->iova && iova - m->iova < m->size;
}

void fake_vtd_unmap(gpa_t root, uint64_t iova)
{
	for (unsigned i = 0; i < fake_vtd.nr_map;) {
		if (covers(&fake_vtd.map[i], root, iova))
			fake_vtd.map[i] = fake_vtd.map[--fake_vtd.nr_map];
		else
			i++;
	}
}

void vtd_tables_device_state(const struct gmem *mem, uint64_t rtaddr, bool translation_enabled, uint16_t rid,
			     struct vtd_dev_state *st)
{
	(void)mem;
	fake_vtd.state_calls++;
	fake_vtd.last_rtaddr = rtaddr;
	fake_vtd.last_te = translation_enabled;
	memset(st, 0, sizeof(*st));
	if (!translation_enabled) {
		st->mode = VTD_DEV_OFF;
		return;
	}
	for (unsigned i = 0; i < fake_vtd.nr_dev; i++) {
		if (fake_vtd.rid[i] == rid) {
			*st = fake_vtd.dev[i];
			return;
		}
	}
	st->mode = VTD_DEV_BLOCKED;
	st->fault_reason = 0x41;   /* context entry not present */
}

int vtd_tables_lookup(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, bool write,
		      struct vtd_leaf *leaf)
{
	(void)mem;
	fake_vtd.lookup_calls++;
	if (st->mode == VTD_DEV_BLOCKED)
		return st->fault_reason;
	if (st->mode != VTD_DEV_FIRST_STAGE) {
		*leaf = (struct vtd_leaf){ .iova = iova & ~0xfffull, .gpa = iova & ~0xfffull, .size = 4096, .writable = true };
		return 0;
	}
	for (unsigned i = 0; i < fake_vtd.nr_map; i++) {
		const struct fake_vtd_map *m = &fake_vtd.map[i];

		if (!covers(m, st->fs_root, iova))
			continue;
		if (write && !m->writable)
			return FAKE_FR_WRITE;
		*leaf = (struct vtd_leaf){ .iova = m->iova, .gpa = m->gpa, .size = m->size, .writable = m->writable };
		return 0;
	}
	return FAKE_FR_NOT_PRESENT;
}

int vtd_tables_walk(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, uint64_t len,
		    int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable), void *opaque)
{
	uint64_t last = iova + (len - 1);

	(void)mem;
	if (st->mode != VTD_DEV_FIRST_STAGE || len == 0)
		return 0;
	/* Leaves in IOVA order: the test maps them in order. */
	for (unsigned i = 0; i < fake_vtd.nr_map; i++) {
		const struct fake_vtd_map *m = &fake_vtd.map[i];
		uint64_t s, e;
		int r;

		if (m->root != st->fs_root || m->iova > last || m->iova + (m->size - 1) < iova)
			continue;
		s = m->iova < iova ? iova : m->iova;
		e = m->iova + (m->size - 1) > last ? last : m->iova + (m->size - 1);
		r = fn(opaque, s, m->gpa + (s - m->iova), e - s + 1, m->writable);
		if (r)
			return r;
	}
	return 0;
}
