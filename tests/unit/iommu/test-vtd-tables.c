// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the vVT-d table walker (iommu/vtd_tables.c): tables built
 * in a fake guest RAM the way a guest driver lays them out (root table,
 * scalable-mode context entries, PASID directory and table, 4- and
 * 5-level first-stage page tables with 4 KiB, 2 MiB and 1 GiB pages), then
 * every device mode with its fault reason, lookups (read, write,
 * read-only, not present, reserved bits, pointers outside RAM,
 * non-canonical addresses) and range walks (clipping, huge pages, empty,
 * the whole 48- and 57-bit spaces, aliasing tables).
 *
 * The fault reasons are the VT-d spec's numbers (7.1.3), written out here
 * rather than taken from the code under test.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../check.h"
#include "vtd-priv.h"

#define RAM (64ULL << 20)
#define PAGE 4096ULL
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/* First-stage entry bits. */
#define P 1ULL
#define RW 2ULL
#define US 4ULL
#define PS 0x80ULL
#define XD (1ULL << 63)

/* ---- building tables in guest RAM ---------------------------------------- */

struct guest {
	struct gmem mem;
	gpa_t next;        /* bump allocator for table pages */
	gpa_t root;        /* root table */
};

static struct guest g;

static uint64_t rd(gpa_t a)
{
	uint64_t v = 0;

	CHECK(gmem_read(&g.mem, a, &v, 8) == 0);
	return v;
}

static void wr(gpa_t a, uint64_t v)
{
	CHECK(gmem_write(&g.mem, a, &v, 8) == 0);
}

static gpa_t page(void)
{
	static const uint8_t zero[PAGE];
	gpa_t a = g.next;

	g.next += PAGE;
	CHECK(g.next <= RAM);
	CHECK(gmem_write(&g.mem, a, zero, PAGE) == 0);
	return a;
}

static void guest_reset(void)
{
	g.next = 16 * MIB; /* tables above the pages the tests map to */
	g.root = page();
}

/* Map [iova, iova + size) to gpa with one leaf of size (4K/2M/1G) and leaf flags. */
static void map(gpa_t fs_root, unsigned levels, uint64_t iova, gpa_t gpa, uint64_t size, uint64_t flags)
{
	gpa_t table = fs_root;

	for (unsigned level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		gpa_t slot = table + ((iova >> shift) & 511) * 8;
		uint64_t e = rd(slot);

		if (size == 1ULL << shift) {
			wr(slot, gpa | flags | (level > 1 ? PS : 0));
			return;
		}
		if (!(e & P)) {
			e = page() | P | RW | US;
			wr(slot, e);
		}
		table = e & 0xfffffffff000ULL;
	}
}

static gpa_t lookup_slot(gpa_t fs_root, unsigned levels, uint64_t iova, unsigned at_level)
{
	gpa_t table = fs_root;

	for (unsigned level = levels; level > at_level; level--)
		table = rd(table + ((iova >> (12 + 9 * (level - 1))) & 511) * 8) & 0xfffffffff000ULL;
	return table + ((iova >> (12 + 9 * (at_level - 1))) & 511) * 8;
}

/* Give rid a context entry, a PASID directory and table, and PASID entry pe at rid_pasid. */
struct ctx_opts {
	uint32_t rid_pasid;
	unsigned pdts;
};

static gpa_t device(uint16_t rid, const uint64_t pe[8], const struct ctx_opts *o)
{
	struct ctx_opts none = { 0 };
	unsigned devfn = rid & 0xff;
	gpa_t re = g.root + (rid >> 8) * 16 + (devfn >= 128 ? 8 : 0);
	gpa_t ctp, ce, dir, tbl;

	if (!o)
		o = &none;
	if (!(rd(re) & 1))
		wr(re, page() | 1);
	ctp = rd(re) & ~0xfffULL;
	ce = ctp + (devfn & 0x7f) * 32;
	dir = page();
	/* A directory large enough for the entry of rid_pasid (pages are allocated in order). */
	for (uint64_t off = PAGE; off <= (o->rid_pasid >> 6) * 8; off += PAGE)
		page();
	tbl = page();
	wr(ce, dir | (uint64_t)o->pdts << 9 | 1);
	wr(ce + 8, o->rid_pasid);
	wr(dir + (o->rid_pasid >> 6) * 8, tbl | 1);
	for (int i = 0; i < 8; i++)
		wr(tbl + (o->rid_pasid & 63) * 64 + i * 8, pe[i]);
	return ce;
}

static uint64_t rtaddr(void)
{
	return g.root | 1ULL << 10; /* TTM = 01b: scalable mode */
}

/* A first-stage PASID entry: DID, FSPTPTR, FSPM (levels). */
static void pe_first_stage(uint64_t pe[8], uint16_t did, gpa_t fs_root, unsigned levels)
{
	memset(pe, 0, 8 * sizeof(pe[0]));
	pe[0] = 1 | 1ULL << 6;            /* P, PGTT 001b */
	pe[1] = did;
	pe[2] = fs_root | (levels == 5 ? 1ULL << 2 : 0);
}

static struct vtd_dev_state state(uint16_t rid)
{
	struct vtd_dev_state st;

	memset(&st, 0xa5, sizeof(st));
	vtd_tables_device_state(&g.mem, rtaddr(), true, rid, &st);
	return st;
}

#define CHECK_BLOCKED(st, reason)                                  \
	do {                                                       \
		CHECK_EQ((st).mode, VTD_DEV_BLOCKED);              \
		CHECK_EQ((st).fault_reason, (reason));             \
	} while (0)

/* ---- device state ------------------------------------------------------- */

static void test_device_state_modes(void)
{
	uint64_t pe[8];
	struct vtd_dev_state st;
	gpa_t fs = 0;

	guest_reset();
	/* Translation off: no table is read, whatever RTADDR says. */
	vtd_tables_device_state(&g.mem, ~0ULL, false, 0x0108, &st);
	CHECK_EQ(st.mode, VTD_DEV_OFF);

	/* Nothing present yet: the root entry's present bit. */
	CHECK_BLOCKED(state(0x0008), 0x39);

	/* First stage, 4 levels. */
	fs = page();
	pe_first_stage(pe, 42, fs, 4);
	pe[2] |= 1ULL << 4 | 1; /* WPE, SRE */
	device(0x0008, pe, NULL);
	st = state(0x0008);
	CHECK_EQ(st.mode, VTD_DEV_FIRST_STAGE);
	CHECK_EQ(st.did, 42);
	CHECK_EQ(st.fs_root, fs);
	CHECK_EQ(st.levels, 4);
	CHECK(st.write_protect_ok);

	/* Same bus, another function: its context entry is still clear. */
	CHECK_BLOCKED(state(0x0009), 0x41);

	/* 5 levels, upper half of the root entry (devfn >= 128), another bus. */
	fs = page();
	pe_first_stage(pe, 7, fs, 5);
	device(0x0385, pe, NULL);
	st = state(0x0385);
	CHECK_EQ(st.mode, VTD_DEV_FIRST_STAGE);
	CHECK_EQ(st.levels, 5);
	CHECK_EQ(st.did, 7);
	CHECK(!st.write_protect_ok);
	/* Only the upper half is present on bus 3: devfn < 128 stops at the root entry. */
	CHECK_BLOCKED(state(0x0305), 0x39);

	/* Pass-through. */
	memset(pe, 0, sizeof(pe));
	pe[0] = 1 | 4ULL << 6;
	pe[1] = 0x1234;
	device(0x0010, pe, NULL);
	st = state(0x0010);
	CHECK_EQ(st.mode, VTD_DEV_PASSTHROUGH);
	CHECK_EQ(st.did, 0x1234);

	/* A RID_PASID other than 0: directory entry 1, table entry 1 (PASID 65), PDTS 0 allows it. */
	pe_first_stage(pe, 9, fs, 4);
	device(0x0018, pe, &(struct ctx_opts){ .rid_pasid = 65 });
	st = state(0x0018);
	CHECK_EQ(st.mode, VTD_DEV_FIRST_STAGE);
	CHECK_EQ(st.did, 9);
	/* PDTS 0: 128 directory entries, PASIDs up to 8191; PASID 8192 needs PDTS 1. */
	device(0x0020, pe, &(struct ctx_opts){ .rid_pasid = 8192 });
	CHECK_BLOCKED(state(0x0020), 0x48);
	device(0x0028, pe, &(struct ctx_opts){ .rid_pasid = 8192, .pdts = 1 });
	CHECK_EQ(state(0x0028).mode, VTD_DEV_FIRST_STAGE);
	device(0x0030, pe, &(struct ctx_opts){ .rid_pasid = 0xfffff, .pdts = 7 });
	CHECK_EQ(state(0x0030).mode, VTD_DEV_FIRST_STAGE);
}

static void test_device_state_pgtt(void)
{
	static const struct { unsigned pgtt, fspm; int mode; } cases[] = {
		{ 0, 0, -1 }, { 1, 0, VTD_DEV_FIRST_STAGE }, { 1, 1, VTD_DEV_FIRST_STAGE }, { 1, 2, -1 },
		{ 1, 3, -1 }, { 2, 0, -1 } /* second stage */, { 3, 0, -1 } /* nested */,
		{ 4, 0, VTD_DEV_PASSTHROUGH }, { 5, 0, -1 }, { 6, 0, -1 }, { 7, 0, -1 },
	};
	uint64_t pe[8];

	guest_reset();
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		uint16_t rid = (uint16_t)(0x0100 + i * 8);
		struct vtd_dev_state st;

		memset(pe, 0, sizeof(pe));
		pe[0] = 1 | (uint64_t)cases[i].pgtt << 6;
		pe[2] = 0x5000 | (uint64_t)cases[i].fspm << 2;
		device(rid, pe, NULL);
		st = state(rid);
		if (cases[i].mode < 0)
			CHECK_BLOCKED(st, 0x5b);
		else
			CHECK_EQ(st.mode, (unsigned)cases[i].mode);
	}
}

static void test_device_state_faults(void)
{
	uint64_t pe[8];
	gpa_t ce, re;
	struct vtd_dev_state st;
	uint64_t root_entry;

	guest_reset();
	pe_first_stage(pe, 1, 0x5000, 4);
	ce = device(0x0008, pe, NULL);
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);
	re = g.root;
	root_entry = rd(re);

	/* RTADDR_REG: legacy (00b), advanced (10b) and reserved (11b) table types. */
	for (uint64_t ttm = 0; ttm < 4; ttm += ttm == 0 ? 2 : 1) {
		vtd_tables_device_state(&g.mem, g.root | ttm << 10, true, 0x0008, &st);
		CHECK_BLOCKED(st, 0x30);
	}
	/* A root table just past the end of RAM, far outside it; in RAM but empty. */
	vtd_tables_device_state(&g.mem, RAM | 1ULL << 10, true, 0x0000, &st);
	CHECK_BLOCKED(st, 0x38);
	vtd_tables_device_state(&g.mem, (RAM - PAGE) | 1ULL << 10, true, 0xff80, &st);
	CHECK_BLOCKED(st, 0x39);
	vtd_tables_device_state(&g.mem, 0xfffffffff000ULL | 1ULL << 10, true, 0x0008, &st);
	CHECK_BLOCKED(st, 0x38);

	/* Root entry: reserved bits 11:1 and above the address width. */
	wr(re, rd(re) | 0x10);
	CHECK_BLOCKED(state(0x0008), 0x3a);
	wr(re, root_entry | 1ULL << 50);
	CHECK_BLOCKED(state(0x0008), 0x3a);
	/* Reserved bits of the other half do not matter to devfn 0-127. */
	wr(re + 8, 0x10);
	wr(re, root_entry);
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);
	/* A context table outside RAM. */
	wr(re, 0x7ffffff000ULL | 1);
	CHECK_BLOCKED(state(0x0008), 0x40);
	wr(re, root_entry);

	/* Context entry: reserved bits 8:5, 127:85, address above the width; P clear. */
	wr(ce, rd(ce) | 0x20);
	CHECK_BLOCKED(state(0x0008), 0x42);
	wr(ce, rd(ce) & ~0x20ULL);
	wr(ce + 8, 1ULL << 21);
	CHECK_BLOCKED(state(0x0008), 0x42);
	wr(ce + 8, 1ULL << 20); /* RID_PRIV: allowed */
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);
	wr(ce + 8, 0);
	wr(ce, rd(ce) | 1ULL << 48);
	CHECK_BLOCKED(state(0x0008), 0x42);
	wr(ce, rd(ce) & ~(1ULL << 48) & ~1ULL);
	CHECK_BLOCKED(state(0x0008), 0x41);
	/* DTE, PASIDE, PRE and FPD do not change requests without PASID. */
	wr(ce, rd(ce) | 1 | 0x1e);
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);
	wr(ce, rd(ce) & ~0x1eULL);
}

static void test_device_state_faults_pasid(void)
{
	uint64_t pe[8];
	gpa_t ce, dir, tbl;

	guest_reset();
	pe_first_stage(pe, 1, 0x5000, 4);
	ce = device(0x0008, pe, NULL);
	dir = rd(ce) & ~0xfffULL;
	tbl = rd(dir) & ~0xfffULL;
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);

	/* PASID directory outside RAM, entry not present, reserved bits. */
	wr(ce, (rd(ce) & 0xfff) | 0xfff000000ULL);
	CHECK_BLOCKED(state(0x0008), 0x50);
	wr(ce, (rd(ce) & 0xfff) | dir);
	wr(dir, tbl);
	CHECK_BLOCKED(state(0x0008), 0x51);
	wr(dir, tbl | 1 | 0x100);
	CHECK_BLOCKED(state(0x0008), 0x52);
	wr(dir, tbl | 1 | 2); /* FPD */
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);

	/* PASID table outside RAM, entry not present, FSPTPTR above the width. */
	wr(dir, 0xffff000ULL | 1);
	CHECK_BLOCKED(state(0x0008), 0x58);
	wr(dir, tbl | 1);
	wr(tbl, rd(tbl) & ~1ULL);
	CHECK_BLOCKED(state(0x0008), 0x59);
	wr(tbl, rd(tbl) | 1);
	wr(tbl + 16, rd(tbl + 16) | 1ULL << 49);
	CHECK_BLOCKED(state(0x0008), 0x5a);
	wr(tbl + 16, rd(tbl + 16) & ~(1ULL << 49));
	CHECK_EQ(state(0x0008).mode, VTD_DEV_FIRST_STAGE);
}

/* ---- lookups ------------------------------------------------------------ */

static int lookup(const struct vtd_dev_state *st, uint64_t iova, bool write, struct vtd_leaf *leaf)
{
	memset(leaf, 0x5a, sizeof(*leaf));
	return vtd_tables_lookup(&g.mem, st, iova, write, leaf);
}

static void check_leaf(const struct vtd_dev_state *st, uint64_t iova, bool write, uint64_t want_iova,
		       gpa_t want_gpa, uint64_t want_size, bool want_wr)
{
	struct vtd_leaf leaf;
	int r = lookup(st, iova, write, &leaf);

	CHECK_MSG(r == 0, "lookup %#llx: %d", (unsigned long long)iova, r);
	if (r)
		return;
	CHECK_EQ(leaf.iova, want_iova);
	CHECK_EQ(leaf.gpa, want_gpa);
	CHECK_EQ(leaf.size, want_size);
	CHECK_EQ(leaf.writable, want_wr);
}

static void check_fault(const struct vtd_dev_state *st, uint64_t iova, bool write, int reason)
{
	struct vtd_leaf leaf;
	int r = lookup(st, iova, write, &leaf);

	CHECK_MSG(r == reason, "lookup %#llx %s: %#x, want %#x", (unsigned long long)iova, write ? "write" : "read",
		  r, reason);
}

static struct vtd_dev_state fs_state(gpa_t fs, unsigned levels)
{
	return (struct vtd_dev_state){ .mode = VTD_DEV_FIRST_STAGE, .did = 1, .fs_root = fs, .levels = levels };
}

static void test_lookup_identity_and_blocked(void)
{
	struct vtd_dev_state off = { .mode = VTD_DEV_OFF }, pt = { .mode = VTD_DEV_PASSTHROUGH };
	struct vtd_dev_state bl = { .mode = VTD_DEV_BLOCKED, .fault_reason = 0x59 };

	check_leaf(&off, 0x123456789, true, 0x123456000, 0x123456000, PAGE, true);
	check_leaf(&pt, 0xfffffffffffffabcULL, false, 0xfffffffffffff000ULL, 0xfffffffffffff000ULL, PAGE, true);
	check_fault(&bl, 0x1000, false, 0x59);
	check_fault(&bl, 0x1000, true, 0x59);
}

static void test_lookup_4level(void)
{
	gpa_t fs;
	struct vtd_dev_state st;

	guest_reset();
	fs = page();
	st = fs_state(fs, 4);
	map(fs, 4, 0x1000, 0x200000, PAGE, P | RW | US);
	map(fs, 4, 0x2000, 0x300000, PAGE, P | US | XD);            /* read-only, XD (ignored for DMA) */
	map(fs, 4, 0x40000000, 0x80000000, GIB, P | RW | US);       /* 1 GiB */
	map(fs, 4, 0x200000, 0xa00000, 2 * MIB, P | RW | US);       /* 2 MiB */
	map(fs, 4, 0x7fffffffe000ULL, 0x5000, PAGE, P | RW | US);   /* top of the low half */
	map(fs, 4, 0xffff800000001000ULL, 0x6000, PAGE, P | RW | US); /* bottom of the high half */

	check_leaf(&st, 0x1abc, false, 0x1000, 0x200000, PAGE, true);
	check_leaf(&st, 0x1abc, true, 0x1000, 0x200000, PAGE, true);
	check_leaf(&st, 0x2fff, false, 0x2000, 0x300000, PAGE, false);
	check_fault(&st, 0x2000, true, 0x85);
	check_leaf(&st, 0x7fffffff, true, 0x40000000, 0x80000000, GIB, true);
	check_leaf(&st, 0x3fffff, false, 0x200000, 0xa00000, 2 * MIB, true);
	check_leaf(&st, 0x7fffffffefffULL, false, 0x7fffffffe000ULL, 0x5000, PAGE, true);
	check_leaf(&st, 0xffff800000001008ULL, true, 0xffff800000001000ULL, 0x6000, PAGE, true);

	/* Not present at each level: PTE, PDE, PDPTE, PML4E. */
	check_fault(&st, 0x3000, false, 0x71);
	check_fault(&st, 0x600000, false, 0x71);
	check_fault(&st, 0x80000000, false, 0x71);
	check_fault(&st, 0x8000000000ULL, true, 0x71);
	/* Non-canonical for 4 levels. */
	check_fault(&st, 0x800000000000ULL, false, 0x80);
	check_fault(&st, 0x0001000000001000ULL, false, 0x80);
	check_fault(&st, 0xfff0000000001000ULL, false, 0x80);
	check_fault(&st, 0xffff7fffffffffffULL, false, 0x80);
}

static void test_lookup_faults(void)
{
	gpa_t fs, slot;
	struct vtd_dev_state st;
	uint64_t e;

	guest_reset();
	fs = page();
	st = fs_state(fs, 4);
	map(fs, 4, 0x1000, 0x200000, PAGE, P | RW | US);
	map(fs, 4, 0x400000, 0x400000, 2 * MIB, P | RW | US);
	map(fs, 4, 0x40000000, 0x40000000, GIB, P | RW | US);
	check_leaf(&st, 0x1000, true, 0x1000, 0x200000, PAGE, true);

	/* Read-only at an upper level makes the whole subtree read-only. */
	slot = lookup_slot(fs, 4, 0x1000, 2);
	e = rd(slot);
	wr(slot, e & ~RW);
	check_leaf(&st, 0x1000, false, 0x1000, 0x200000, PAGE, false);
	check_fault(&st, 0x1000, true, 0x85);
	/* U/S clear anywhere: requests without PASID are user requests. */
	wr(slot, e & ~US);
	check_fault(&st, 0x1000, false, 0x81);
	wr(slot, e);

	/* Reserved: PS in a PML4E; bits 51:48 of an address; 2 MiB page bits 20:13; 1 GiB bits 29:13. */
	slot = lookup_slot(fs, 4, 0x1000, 4);
	e = rd(slot);
	wr(slot, e | PS);
	check_fault(&st, 0x1000, false, 0x72);
	wr(slot, e | 1ULL << 51);
	check_fault(&st, 0x1000, false, 0x72);
	wr(slot, e | 0x7ffULL << 52); /* ignored bits 62:52 */
	check_leaf(&st, 0x1000, true, 0x1000, 0x200000, PAGE, true);
	wr(slot, e);
	slot = lookup_slot(fs, 4, 0x400000, 2);
	e = rd(slot);
	wr(slot, e | 0x2000);
	check_fault(&st, 0x400000, false, 0x72);
	wr(slot, e | 0x1000); /* PAT */
	check_leaf(&st, 0x400000, false, 0x400000, 0x400000, 2 * MIB, true);
	wr(slot, e);
	slot = lookup_slot(fs, 4, 0x40000000, 3);
	e = rd(slot);
	wr(slot, e | 0x20000000);
	check_fault(&st, 0x40000000, false, 0x72);
	wr(slot, e);
	/* PAT on a 4 KiB PTE (bit 7) is no page size. */
	slot = lookup_slot(fs, 4, 0x1000, 1);
	wr(slot, rd(slot) | PS);
	check_leaf(&st, 0x1000, false, 0x1000, 0x200000, PAGE, true);
}

static void test_lookup_bad_pointers(void)
{
	gpa_t fs, slot;
	struct vtd_dev_state st;
	uint64_t e;

	guest_reset();
	fs = page();
	st = fs_state(fs, 4);
	map(fs, 4, 0x1000, 0x200000, PAGE, P | RW | US);

	/* A lower table outside RAM: 0x70; the top table outside RAM: 0x73. */
	slot = lookup_slot(fs, 4, 0x1000, 3);
	e = rd(slot);
	wr(slot, 0xfffffffff000ULL | P | RW | US);
	check_fault(&st, 0x1000, false, 0x70);
	wr(slot, e);
	st.fs_root = 0x7ffffffff000ULL;
	check_fault(&st, 0x1000, false, 0x73);
	st.fs_root = RAM; /* just past the end */
	check_fault(&st, 0x1000, false, 0x73);
	/* A corrupt level count is no walk (the model never sets one). */
	st = fs_state(fs, 3);
	CHECK(lookup(&st, 0x1000, false, &(struct vtd_leaf){ 0 }) > 0);
}

static void test_lookup_5level(void)
{
	gpa_t fs;
	struct vtd_dev_state st;

	guest_reset();
	fs = page();
	st = fs_state(fs, 5);
	map(fs, 5, 0x1000, 0x7000, PAGE, P | RW | US);
	map(fs, 5, 0x00ff000000000000ULL, 0xc0000000, GIB, P | US);
	map(fs, 5, 0xff00000000200000ULL, 0x600000, 2 * MIB, P | RW | US);
	check_leaf(&st, 0x1fff, true, 0x1000, 0x7000, PAGE, true);
	check_leaf(&st, 0x00ff000012345678ULL, false, 0x00ff000000000000ULL, 0xc0000000, GIB, false);
	check_fault(&st, 0x00ff000012345678ULL, true, 0x85);
	check_leaf(&st, 0xff000000002fffffULL, true, 0xff00000000200000ULL, 0x600000, 2 * MIB, true);
	check_fault(&st, 0x0100000000000000ULL, false, 0x80);
	check_fault(&st, 0x0001000000000000ULL, false, 0x71);
}

/* ---- walks ------------------------------------------------------------- */

struct seg {
	uint64_t iova;
	gpa_t gpa;
	uint64_t size;
	bool wr;
};

struct rec {
	struct seg s[64];
	unsigned n;
	unsigned stop_after;   /* 0: never */
	const struct vtd_dev_state *st;
};

static int record(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable)
{
	struct rec *r = opaque;
	struct vtd_leaf leaf;

	/* Every segment agrees with a lookup of its first and last byte. */
	CHECK(vtd_tables_lookup(&g.mem, r->st, iova, false, &leaf) == 0);
	CHECK_EQ(leaf.gpa + (iova - leaf.iova), gpa);
	CHECK_EQ(leaf.writable, writable);
	CHECK(iova + (size - 1) <= leaf.iova + (leaf.size - 1));
	if (r->n < ARRAY_SIZE(r->s))
		r->s[r->n] = (struct seg){ iova, gpa, size, writable };
	r->n++;
	return r->stop_after && r->n == r->stop_after ? 77 : 0;
}

static int walk(const struct vtd_dev_state *st, uint64_t iova, uint64_t len, struct rec *r)
{
	unsigned stop = r->stop_after;

	memset(r, 0, sizeof(*r));
	r->stop_after = stop;
	r->st = st;
	return vtd_tables_walk(&g.mem, st, iova, len, record, r);
}

#define CHECK_SEG(r, i, a, g_, sz, w)                   \
	do {                                            \
		CHECK_EQ((r).s[i].iova, (a));           \
		CHECK_EQ((r).s[i].gpa, (g_));           \
		CHECK_EQ((r).s[i].size, (sz));          \
		CHECK_EQ((r).s[i].wr, (w));             \
	} while (0)

/* The 4-level tree the walk tests share: fresh tables, then st's mappings. */
static struct vtd_dev_state walk_tree(gpa_t *ret_fs, bool mapped)
{
	gpa_t fs;

	guest_reset();
	fs = page();
	*ret_fs = fs;
	if (!mapped)
		return fs_state(fs, 4);
	map(fs, 4, 0x1000, 0x201000, PAGE, P | RW | US);
	map(fs, 4, 0x2000, 0x202000, PAGE, P | US);
	map(fs, 4, 0x4000, 0x204000, PAGE, RW | US);               /* not present */
	map(fs, 4, 0x5000, 0x205000, PAGE, P | RW);                /* supervisor only: faults, skipped */
	map(fs, 4, 0x200000, 0xa00000, 2 * MIB, P | RW | US);
	map(fs, 4, 0x40000000, 0x80000000, GIB, P | RW | US);
	map(fs, 4, 0x7ffffffff000ULL, 0x9000, PAGE, P | RW | US);
	map(fs, 4, 0xffff800000000000ULL, 0x8000, PAGE, P | RW | US);
	return fs_state(fs, 4);
}

static void test_walk_4level(void)
{
	struct rec r = { 0 };
	struct vtd_dev_state st;
	gpa_t fs;

	/* Empty tables: nothing, over the whole space too. */
	st = walk_tree(&fs, false);
	CHECK_EQ(walk(&st, 0, 1ULL << 48, &r), 0);
	CHECK_EQ(r.n, 0);

	st = walk_tree(&fs, true);

	CHECK_EQ(walk(&st, 0, 1ULL << 48, &r), 0);
	CHECK_EQ(r.n, 5);
	CHECK_SEG(r, 0, 0x1000, 0x201000, PAGE, true);
	CHECK_SEG(r, 1, 0x2000, 0x202000, PAGE, false);
	CHECK_SEG(r, 2, 0x200000, 0xa00000, 2 * MIB, true);
	CHECK_SEG(r, 3, 0x40000000, 0x80000000, GIB, true);
	CHECK_SEG(r, 4, 0x7ffffffff000ULL, 0x9000, PAGE, true);

	/* The whole 64-bit space: the high canonical half comes last. */
	CHECK_EQ(walk(&st, 0, UINT64_MAX, &r), 0);
	CHECK_EQ(r.n, 6);
	CHECK_SEG(r, 5, 0xffff800000000000ULL, 0x8000, PAGE, true);
	CHECK_EQ(walk(&st, 0xffff000000000000ULL, 0xffffffffffffULL, &r), 0);
	CHECK_EQ(r.n, 1);
	CHECK_SEG(r, 0, 0xffff800000000000ULL, 0x8000, PAGE, true);
	/* A range starting in the non-canonical hole. */
	CHECK_EQ(walk(&st, 0x0000900000000000ULL, 0xffff000000000000ULL, &r), 0);
	CHECK_EQ(r.n, 1);
}

static void test_walk_clipping(void)
{
	struct rec r = { 0 };
	struct vtd_dev_state st;
	gpa_t fs;

	st = walk_tree(&fs, true);
	/* Clipping: inside a 2 MiB page, across a 1 GiB page's end, one byte. */
	CHECK_EQ(walk(&st, 0x300000, 0x2000, &r), 0);
	CHECK_EQ(r.n, 1);
	CHECK_SEG(r, 0, 0x300000, 0xb00000, 0x2000, true);
	CHECK_EQ(walk(&st, 0x7ffff000, 0x3000, &r), 0);
	CHECK_EQ(r.n, 1);
	CHECK_SEG(r, 0, 0x7ffff000, 0xbffff000, PAGE, true);
	CHECK_EQ(walk(&st, 0x1fff, 2, &r), 0);
	CHECK_EQ(r.n, 2);
	CHECK_SEG(r, 0, 0x1fff, 0x201fff, 1, true);
	CHECK_SEG(r, 1, 0x2000, 0x202000, 1, false);
	CHECK_EQ(walk(&st, 0x1800, 0x200000, &r), 0);
	CHECK_EQ(r.n, 3);
	CHECK_SEG(r, 0, 0x1800, 0x201800, 0x800, true);
	CHECK_SEG(r, 2, 0x200000, 0xa00000, 0x1800, true);
	/* A range holding nothing; zero length. */
	CHECK_EQ(walk(&st, 0x3000, 0x1000, &r), 0);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(walk(&st, 0x1000, 0, &r), 0);
	CHECK_EQ(r.n, 0);

	/* The callback stops the walk with its own value. */
	r.stop_after = 2;
	CHECK_EQ(walk(&st, 0, 1ULL << 48, &r), 77);
	CHECK_EQ(r.n, 2);
	r.stop_after = 0;

	/* A table outside RAM ends the walk with -EFAULT, after what came before it. */
	wr(lookup_slot(fs, 4, 0x40000000, 3) + 8, 0xfffffffff000ULL | P | RW | US);
	CHECK_EQ(walk(&st, 0, 1ULL << 48, &r), -EFAULT);
	CHECK_EQ(r.n, 4);
	/* ... but not a walk of a range that does not reach it. */
	CHECK_EQ(walk(&st, 0, 0x40000000, &r), 0);
	CHECK_EQ(r.n, 3);
}

static void test_walk_modes(void)
{
	struct vtd_dev_state off = { .mode = VTD_DEV_OFF }, pt = { .mode = VTD_DEV_PASSTHROUGH };
	struct vtd_dev_state bl = { .mode = VTD_DEV_BLOCKED, .fault_reason = 0x41 };
	struct rec r = { 0 };

	CHECK_EQ(walk(&bl, 0, UINT64_MAX, &r), 0);
	CHECK_EQ(r.n, 0);
	CHECK_EQ(walk(&off, 0, PAGE, &r), -EINVAL);
	CHECK_EQ(walk(&pt, 0, PAGE, &r), -EINVAL);
	CHECK_EQ(r.n, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_walk_5level_and_aliasing(void)
{
	struct rec r = { 0 };
	struct vtd_dev_state st;
	gpa_t fs, pml4, pdpt, pd, pt;
	double t0;

	guest_reset();
	fs = page();
	st = fs_state(fs, 5);
	map(fs, 5, 0x1000, 0x7000, PAGE, P | RW | US);
	map(fs, 5, 0x00fffffffffff000ULL, 0x8000, PAGE, P | US);
	map(fs, 5, 0x0080000000000000ULL - 2 * MIB, 0x600000, 2 * MIB, P | RW | US);
	map(fs, 5, 0xff00000040000000ULL, 0xc0000000, GIB, P | RW | US);
	t0 = now();
	CHECK_EQ(walk(&st, 0, UINT64_MAX, &r), 0);
	CHECK_EQ(r.n, 4);
	CHECK_SEG(r, 0, 0x1000, 0x7000, PAGE, true);
	CHECK_SEG(r, 1, 0x0080000000000000ULL - 2 * MIB, 0x600000, 2 * MIB, true);
	CHECK_SEG(r, 2, 0x00fffffffffff000ULL, 0x8000, PAGE, false);
	CHECK_SEG(r, 3, 0xff00000040000000ULL, 0xc0000000, GIB, true);
	CHECK_EQ(walk(&st, 0, 1ULL << 57, &r), 0);
	CHECK_EQ(r.n, 3);
	/* Generous: the bound catches a walk that grows with the space (hours), not a slow machine. */
	CHECK_MSG(now() - t0 < 10.0, "sparse 57-bit walks took %.3f s", now() - t0);

	/*
	 * Aliasing: every entry of each level names the same next table, down
	 * to a page table with nothing present. 512^3 page tables to visit
	 * without the bound; -ELOOP once the walk has visited as many tables
	 * as guest RAM has pages.
	 */
	pml4 = page();
	pdpt = page();
	pd = page();
	pt = page();
	for (unsigned i = 0; i < 512; i++) {
		wr(pml4 + i * 8, pdpt | P | RW | US);
		wr(pdpt + i * 8, pd | P | RW | US);
		wr(pd + i * 8, pt | P | RW | US);
	}
	st = fs_state(pml4, 4);
	t0 = now();
	CHECK_EQ(walk(&st, 0, 1ULL << 48, &r), -ELOOP);
	CHECK_EQ(r.n, 0);
	/* One PD's worth is fine: 1 + 1 + 1 + 512 tables. */
	CHECK_EQ(walk(&st, 0, GIB, &r), 0);
	CHECK_MSG(now() - t0 < 10.0, "aliased walks took %.3f s", now() - t0);
	/* The same with leaves: the callbacks are bounded by the same count. */
	wr(pt, 0x1000 | P | RW | US);
	CHECK_EQ(walk(&st, 0, 1ULL << 48, &r), -ELOOP);
	CHECK(r.n > 0 && r.n < RAM / PAGE);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	if (gmem_create(&g.mem, RAM, 0xc0000000ULL)) {
		fprintf(stderr, "test-vtd-tables: cannot create guest RAM\n");
		return 1;
	}
	test_device_state_modes();
	test_device_state_pgtt();
	test_device_state_faults();
	test_device_state_faults_pasid();
	test_lookup_identity_and_blocked();
	test_lookup_4level();
	test_lookup_faults();
	test_lookup_bad_pointers();
	test_lookup_5level();
	test_walk_4level();
	test_walk_clipping();
	test_walk_modes();
	test_walk_5level_and_aliasing();
	gmem_destroy(&g.mem);
	return check_summary("test-vtd-tables");
}
