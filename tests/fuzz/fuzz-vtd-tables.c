// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the vVT-d table walker (iommu/vtd_tables.c). The input
 * is a request followed by the content of a 64 KiB guest RAM:
 *   byte 0      bit 0: translation enabled; bit 1: the lookup is a write;
 *               bits 3-2: RTADDR_REG.TTM; bit 4: walk the whole 64-bit
 *               space instead of [iova, iova + len); bit 5: skip
 *               device_state and use a first-stage state with the root
 *               table at the RTADDR page and bit 6 choosing 5 levels
 *   bytes 1-2   requester ID (little-endian)
 *   bytes 3-4   RTADDR_REG page number (little-endian)
 *   bytes 5-12  iova, bytes 13-20 len (little-endian)
 *   rest        guest memory from address 0
 * Besides crashes it checks that the device state is well-formed, that a
 * lookup's leaf holds the address with an architected size and that the
 * walk's segments are in the range, in order, without overlap, and agree
 * with a lookup of the same address.
 */
#include "vtd-priv.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)
#define HDR 21
#define MAX_SEGS 4096

static struct gmem gm;

static bool valid_reason(int r)
{
	return (r >= 0x30 && r <= 0x5b) || (r >= 0x70 && r <= 0x73) || r == 0x80 || r == 0x81 || r == 0x85;
}

static bool leaf_size(uint64_t s)
{
	return s == 4096 || s == 2ULL << 20 || s == 1ULL << 30;
}

struct walk_check {
	const struct vtd_dev_state *st;
	uint64_t first, last;   /* the range, inclusive */
	uint64_t next;          /* lowest IOVA the next segment may start at */
	bool any;
	unsigned n;
};

static int on_leaf(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable)
{
	struct walk_check *w = opaque;
	struct vtd_leaf leaf;

	check(size > 0 && size <= 1ULL << 30);
	check(iova >= w->first && iova + (size - 1) >= iova && iova + (size - 1) <= w->last);
	check(!w->any || iova >= w->next);
	w->next = iova + size;
	w->any = true;
	/* The walk reports only what a lookup translates, the same way. */
	check(vtd_tables_lookup(&gm, w->st, iova, false, &leaf) == 0);
	check(leaf.gpa + (iova - leaf.iova) == gpa && leaf.writable == writable);
	check(iova + (size - 1) <= leaf.iova + (leaf.size - 1));
	return ++w->n == MAX_SEGS ? 1 : 0;
}

static void check_lookup(const struct vtd_dev_state *st, uint64_t iova, bool write)
{
	struct vtd_leaf leaf;
	int r = vtd_tables_lookup(&gm, st, iova, write, &leaf);

	if (r) {
		check(r > 0 && valid_reason(r));
		return;
	}
	check(leaf_size(leaf.size) && (leaf.iova & (leaf.size - 1)) == 0 && (leaf.gpa & (leaf.size - 1)) == 0);
	check(iova - leaf.iova < leaf.size);
	check(!write || leaf.writable);
}

static void get_state(const uint8_t *data, struct vtd_dev_state *st)
{
	uint64_t rtaddr = fuzz_le(data + 3, 2) << 12 | (uint64_t)((data[0] >> 2) & 3) << 10;

	if (data[0] & 0x20) {
		*st = (struct vtd_dev_state){ .mode = VTD_DEV_FIRST_STAGE, .fs_root = rtaddr & ~0xfffULL,
					      .levels = data[0] & 0x40 ? 5 : 4 };
		return;
	}
	vtd_tables_device_state(&gm, rtaddr, data[0] & 1, (uint16_t)fuzz_le(data + 1, 2), st);
	switch (st->mode) {
	case VTD_DEV_OFF:
	case VTD_DEV_PASSTHROUGH:
		break;
	case VTD_DEV_FIRST_STAGE:
		check((st->levels == 4 || st->levels == 5) && (st->fs_root & 0xfff) == 0);
		break;
	case VTD_DEV_BLOCKED:
		check(valid_reason(st->fault_reason));
		break;
	default:
		check(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtd_dev_state st;
	struct walk_check w = { .st = &st };
	uint64_t iova, len;
	int r;

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ULL))
			abort();
	}
	if (size < HDR)
		return 0;
	memset(gm.host, 0, RAM);
	memcpy(gm.host, data + HDR, size - HDR < RAM ? size - HDR : RAM);
	iova = fuzz_le(data + 5, 8);
	len = fuzz_le(data + 13, 8);

	get_state(data, &st);
	check_lookup(&st, iova, data[0] & 2);
	check_lookup(&st, iova, !(data[0] & 2));

	if (data[0] & 0x10) {
		iova = 0;
		len = UINT64_MAX;
	}
	w.first = iova;
	w.last = len == 0 ? iova : (iova + len - 1 < iova ? UINT64_MAX : iova + len - 1);
	r = vtd_tables_walk(&gm, &st, iova, len, on_leaf, &w);
	if (st.mode == VTD_DEV_FIRST_STAGE)
		check(r == 0 || r == -EFAULT || r == -ELOOP || (r == 1 && w.n == MAX_SEGS));
	else
		check(w.n == 0 && (st.mode == VTD_DEV_BLOCKED ? r == 0 : r == -EINVAL));
	check(len != 0 || w.n == 0);
	return 0;
}
