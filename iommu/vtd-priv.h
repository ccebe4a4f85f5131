/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the vVT-d model (iommu/vtd*.c): what the register/queue model
 * and the table walker share. docs/vvtd.md describes the model.
 */
#ifndef SKIFF_VTD_PRIV_H
#define SKIFF_VTD_PRIV_H

#include "iommu.h"

/* ---- the guest's tables (vtd_tables.c): pure functions over guest RAM ----
 *
 * Scalable mode only (RTADDR_REG.TTM = 01b): root table -> scalable-mode
 * context entries (lower/upper halves) -> PASID directory -> PASID table
 * (512-bit entries) -> first-stage page tables (4 or 5 levels). Every
 * table read is bounds-checked through gmem_read(); any entry the guest
 * got wrong is a fault reason code (VT-d spec 7.1.3), never a crash.
 */

/* One first-stage leaf: the page holding the looked-up address. */
struct vtd_leaf {
	uint64_t iova;      /* page-aligned start */
	gpa_t gpa;          /* where it lands */
	uint64_t size;      /* 4 KiB, 2 MiB or 1 GiB */
	bool writable;
};

/*
 * How rid translates with the tables rooted at rtaddr (the RTADDR_REG
 * value), translation enabled or not, for requests without PASID
 * (RID_PASID 0 in the context entry... as the context entry's RID_PASID
 * field says).
 */
void vtd_tables_device_state(const struct gmem *mem, uint64_t rtaddr, bool translation_enabled, uint16_t rid,
			     struct vtd_dev_state *st);
/*
 * Look up iova for a read or write in a FIRST_STAGE state: 0 and *leaf,
 * or a positive fault reason (not present, write to read-only, table
 * outside RAM, reserved bits set). Other modes: OFF and PASSTHROUGH map
 * iova to itself (a 4 KiB leaf ... up to the end of the address space),
 * BLOCKED returns st->fault_reason.
 */
int vtd_tables_lookup(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, bool write,
		      struct vtd_leaf *leaf);
/* vtd_walk() over the tables, without the unit (same contract). */
int vtd_tables_walk(const struct gmem *mem, const struct vtd_dev_state *st, uint64_t iova, uint64_t len,
		    int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable), void *opaque);

#endif
