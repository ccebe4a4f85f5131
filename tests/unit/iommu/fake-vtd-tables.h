/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A programmable stand-in for iommu/vtd_tables.c, for the unit tests and
 * fuzz targets of the register and queue model: a test says how each
 * requester ID translates and which leaves each first-stage root holds,
 * and counts the walks the model asks for. Linked in front of the iommu
 * library, whose vtd_tables.o is then never pulled in.
 */
#ifndef SKIFF_FAKE_VTD_TABLES_H
#define SKIFF_FAKE_VTD_TABLES_H

#include "vtd-priv.h"

#define FAKE_VTD_DEVS 16
#define FAKE_VTD_MAPS 64

/* Fault reasons the fake returns (scalable-mode codes, VT-d spec 7.1.3). */
#define FAKE_FR_NOT_PRESENT 0x71
#define FAKE_FR_WRITE 0x85

struct fake_vtd_map {
	gpa_t root;          /* fs_root of the states it belongs to */
	uint64_t iova, size;
	gpa_t gpa;
	bool writable;
};

struct fake_vtd_tables {
	unsigned nr_dev;
	uint16_t rid[FAKE_VTD_DEVS];
	struct vtd_dev_state dev[FAKE_VTD_DEVS];   /* rids not listed: BLOCKED, reason 0x41 */
	unsigned nr_map;
	struct fake_vtd_map map[FAKE_VTD_MAPS];
	unsigned state_calls, lookup_calls;
	uint64_t last_rtaddr;
	bool last_te;
};

extern struct fake_vtd_tables fake_vtd;

void fake_vtd_reset(void);
void fake_vtd_set_dev(uint16_t rid, const struct vtd_dev_state *st);
void fake_vtd_map(gpa_t root, uint64_t iova, uint64_t size, gpa_t gpa, bool writable);
/* Drop every leaf of root covering iova. */
void fake_vtd_unmap(gpa_t root, uint64_t iova);

#endif
