// SPDX-License-Identifier: Apache-2.0
/*
 * The unit's caches and its translation for emulated devices (docs/vvtd.md,
 * "Translation"): a device-state cache by requester ID (what the root,
 * context and PASID tables say, the hardware's context and PASID caches)
 * and an IOTLB of first-stage leaves tagged with the domain ID, as the
 * hardware's is. Both are filled from vtd_tables.c and emptied by the
 * invalidations the guest issues (vtd_qi.c, the register-based ones in
 * vtd.c) and by GCMD.TE/SRTP. Only successful translations are cached, so
 * a mapping the guest adds without invalidating (first-stage tables need
 * none, even in caching mode) is found by the next walk.
 */
#include <errno.h>
#include <string.h>

#include "vtd-priv.h"

static const uint8_t tlb_shifts[] = { 12, 21, 30 };

/* Small ranges are invalidated slot by slot; larger ones by a scan of the whole IOTLB. */
#define TLB_PROBE_PAGES 64u

static unsigned tlb_slot(uint16_t did, uint64_t iova, unsigned shift)
{
	uint64_t h = (iova >> shift) * 0x9e3779b97f4a7c15ull ^ (uint64_t)did * 0xc2b2ae3d27d4eb4full ^ shift;

	return (unsigned)(h ^ h >> 29) & (VTD_TLB_SLOTS - 1);
}

static bool tlb_match(const struct vtd_tlb_entry *e, int did, uint64_t first, uint64_t last)
{
	uint64_t e_last = e->iova + ((1ull << e->shift) - 1);

	return e->shift && (did < 0 || e->did == did) && e->iova <= last && e_last >= first;
}

void vtd_tlb_flush_all(struct vtd *v)
{
	memset(v->tlb, 0, sizeof(v->tlb));
}

void vtd_tlb_flush(struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	uint64_t first = iova, last = len ? iova + (len - 1) : UINT64_MAX;

	if (last < first)
		last = UINT64_MAX;
	if (did >= 0 && len && len / 4096 < TLB_PROBE_PAGES) {
		/* Every entry overlapping the range sits in the slot of one of its pages at its size. */
		for (uint64_t p = first & ~0xfffull; p <= last; p += 4096) {
			for (unsigned s = 0; s < ARRAY_SIZE(tlb_shifts); s++) {
				struct vtd_tlb_entry *e = &v->tlb[tlb_slot(did, p, tlb_shifts[s])];

				if (tlb_match(e, did, first, last))
					e->shift = 0;
			}
			if (p > UINT64_MAX - 4096)
				break;
		}
		return;
	}
	for (unsigned i = 0; i < VTD_TLB_SLOTS; i++)
		if (tlb_match(&v->tlb[i], did, first, last))
			v->tlb[i].shift = 0;
}

static const struct vtd_tlb_entry *tlb_find(struct vtd *v, uint16_t did, uint64_t iova)
{
	for (unsigned s = 0; s < ARRAY_SIZE(tlb_shifts); s++) {
		unsigned shift = tlb_shifts[s];
		const struct vtd_tlb_entry *e = &v->tlb[tlb_slot(did, iova, shift)];

		if (e->shift == shift && e->did == did && e->iova == (iova & ~((1ull << shift) - 1)))
			return e;
	}
	return NULL;
}

/* Cache the leaf (a size the walker should not return is cached as the 4 KiB page of iova). */
static const struct vtd_tlb_entry *tlb_insert(struct vtd *v, uint16_t did, uint64_t iova, const struct vtd_leaf *l)
{
	unsigned shift = l->size == 1ull << 30 ? 30 : l->size == 1ull << 21 ? 21 : 12;
	struct vtd_tlb_entry *e = &v->tlb[tlb_slot(did, iova, shift)];
	uint64_t start = iova & ~((1ull << shift) - 1);

	*e = (struct vtd_tlb_entry){
		.iova = start,
		.gpa = l->gpa + (start - l->iova),
		.did = did,
		.shift = (uint8_t)shift,
		.writable = l->writable,
	};
	return e;
}

/* ---- device-state cache ---- */

static unsigned devc_slot(uint16_t rid)
{
	return (rid ^ rid >> 6 ^ rid >> 12) & (VTD_DEVC_SLOTS - 1);
}

void vtd_devc_flush_all(struct vtd *v)
{
	for (unsigned i = 0; i < VTD_DEVC_SLOTS; i++)
		v->devc[i].valid = false;
}

void vtd_devc_flush_rid(struct vtd *v, uint16_t rid, uint16_t mask)
{
	for (unsigned i = 0; i < VTD_DEVC_SLOTS; i++)
		if (v->devc[i].valid && ((v->devc[i].rid ^ rid) & ~mask) == 0)
			v->devc[i].valid = false;
}

static void devc_get(struct vtd *v, uint16_t rid, struct vtd_dev_state *st)
{
	struct vtd_devc_entry *e = &v->devc[devc_slot(rid)];

	if (e->valid && e->rid == rid) {
		*st = e->st;
		return;
	}
	memset(st, 0, sizeof(*st));
	if (v->gsts & VTD_GSTS_TES)
		vtd_tables_device_state(v->env.mem, v->rta_active, true, rid, st);
	else
		st->mode = VTD_DEV_OFF;
	if (st->mode == VTD_DEV_FIRST_STAGE && st->levels == 5 && v->addr_width != 57) {
		/* 5-level tables on a unit that does not offer them (CAP.FL5LP clear): invalid PASID entry. */
		st->mode = VTD_DEV_BLOCKED;
		st->fault_reason = 0x5b;
	}
	*e = (struct vtd_devc_entry){ .valid = true, .rid = rid, .st = *st };
}

/* ---- the unit's side of struct dma_xlate ---- */

/* [iova, iova + len) clipped at the end of the address space. */
static uint64_t clip(uint64_t iova, uint64_t len, uint64_t end_minus_1)
{
	uint64_t room = end_minus_1 - iova;   /* bytes after iova in the region */

	return len - 1 > room ? room + 1 : len;
}

static int vtd_translate_fs(struct vtd *v, uint16_t rid, const struct vtd_dev_state *st, uint64_t iova,
			    uint64_t len, bool write, gpa_t *gpa, uint64_t *contig)
{
	const struct vtd_tlb_entry *e = tlb_find(v, st->did, iova);
	struct vtd_leaf leaf;
	int r;

	if (e && (!write || e->writable)) {
		v->stats.iotlb_hits++;
	} else {
		/* A write to a page cached read-only walks again: the guest may have granted it since. */
		v->stats.iotlb_misses++;
		memset(&leaf, 0, sizeof(leaf));
		r = vtd_tables_lookup(v->env.mem, st, iova, write, &leaf);
		if (r > 0)
			vtd_record_fault(v, rid, iova, write, (uint8_t)r);
		if (r)
			return -EFAULT;
		if (leaf.size < 4096 || iova < leaf.iova || iova - leaf.iova >= leaf.size)
			return -EFAULT;   /* the walker contradicts itself: nothing sensible to map */
		e = tlb_insert(v, st->did, iova, &leaf);
	}
	*gpa = e->gpa + (iova - e->iova);
	*contig = clip(iova, len, e->iova + ((1ull << e->shift) - 1));
	return 0;
}

int vtd_translate(struct vtd *v, uint16_t rid, uint64_t iova, uint64_t len, bool write, gpa_t *gpa,
		  uint64_t *contig)
{
	struct vtd_dev_state st;
	int r = 0;

	if (len == 0)
		len = 1;
	pthread_mutex_lock(&v->lock);
	devc_get(v, rid, &st);
	switch (st.mode) {
	case VTD_DEV_OFF:
	case VTD_DEV_PASSTHROUGH:
		*gpa = iova;
		*contig = clip(iova, len, UINT64_MAX);
		break;
	case VTD_DEV_FIRST_STAGE:
		r = vtd_translate_fs(v, rid, &st, iova, len, write, gpa, contig);
		break;
	default:
		vtd_record_fault(v, rid, iova, write, st.fault_reason);
		r = -EFAULT;
		break;
	}
	pthread_mutex_unlock(&v->lock);
	return r;
}

void vtd_device_state(struct vtd *v, uint16_t rid, struct vtd_dev_state *st)
{
	pthread_mutex_lock(&v->lock);
	devc_get(v, rid, st);
	pthread_mutex_unlock(&v->lock);
}

int vtd_walk(struct vtd *v, const struct vtd_dev_state *st, uint64_t iova, uint64_t len,
	     int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable), void *opaque)
{
	/* The state already holds what the unit's registers said; the walk reads guest RAM only. */
	return vtd_tables_walk(v->env.mem, st, iova, len, fn, opaque);
}
