// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the vVT-d shadow backend (iommu/vtd_shadow.c) over the
 * fake iommufd, which models IOAS areas as the kernel does (one area per
 * map call, ENOENT for an unmap that cuts one). The guest's scalable-mode
 * root/context/PASID and first-stage tables are built in fake guest RAM
 * (a real memfd) and read by the real unit (iommu/vtd.c, its device-state
 * cache and iommu/vtd_tables.c); the tests call the backend as a drain
 * does. Covered: context changes in
 * every mode, coalescing (ioctls counted), partial invalidation of a
 * coalesced area, unchanged areas left alone, domains shared by devices,
 * MMIO leaves skipped, the MAP_FILE -> MAP fallback, teardown, and
 * fail-nth over a whole scenario (each failure recovers with a full
 * invalidation and leaves nothing behind).
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "fake-iommufd.h"
#include "iommu.h"
#include "vtd-priv.h"

#define MiB (1ull << 20)
#define PG 4096ull
#define FS_P (1ull << 0)
#define FS_RW (1ull << 1)
#define FS_US (1ull << 2)
#define FS_A (1ull << 5)
#define FS_D (1ull << 6)
#define FS_PS (1ull << 7)
#define FS_ADDR 0x000ffffffffff000ull

static struct gmem mem;
static gpa_t next_table;

/* ---- the unit: the real model, its root table set as if the guest had latched it --------------- */

static struct vtd *unit;
static gpa_t root_table;

static void no_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque;
	(void)addr;
	(void)data;
}

static void unit_create(void)
{
	struct vtd_params p = { .index = 0, .addr_width = 48, .bus = 0x80 };
	struct vtd_env env = { .mem = &mem, .msi = no_msi };
	char err[256];

	vtd_destroy(unit);
	unit = NULL;
	CHECK(vtd_create(&p, &env, &unit, err, sizeof(err)) == 0);
	if (!unit)
		exit(1);
	/* what GCMD.SRTP and GCMD.TE leave behind (tests/unit/iommu/test-vtd.c drives the registers) */
	unit->rta_active = root_table | 1ull << 10;
	unit->gsts |= VTD_GSTS_TES | VTD_GSTS_RTPS;
}

static void set_te(bool on)
{
	if (on)
		unit->gsts |= VTD_GSTS_TES;
	else
		unit->gsts &= ~VTD_GSTS_TES;
}

/* ---- first-stage tables in guest RAM ----------------------------------------------------- */

static uint64_t rd(gpa_t a)
{
	uint64_t e = 0;

	CHECK(gmem_read(&mem, a, &e, 8) == 0);
	return e;
}

static void wr(gpa_t a, uint64_t e)
{
	CHECK(gmem_write(&mem, a, &e, 8) == 0);
}

static gpa_t new_table(void)
{
	gpa_t t = next_table;
	static const uint8_t zero[PG];

	next_table += PG;
	CHECK(gmem_write(&mem, t, zero, PG) == 0);
	return t;
}

/* Map [iova, iova + size) to gpa with leaves of leaf bytes (4K, 2M, 1G); gpa UINT64_MAX: unmap. */
static void fs_map(gpa_t root, uint64_t iova, gpa_t gpa, uint64_t size, uint64_t leaf, bool writable)
{
	for (uint64_t o = 0; o < size; o += leaf) {
		gpa_t table = root;

		for (unsigned l = 4;; l--) {
			unsigned shift = 12 + 9 * (l - 1);
			gpa_t slot = table + (((iova + o) >> shift) & 511) * 8;
			uint64_t e = rd(slot);

			if (leaf == 1ull << shift) {
				if (gpa == UINT64_MAX)
					e = 0;
				else
					e = (gpa + o) | FS_P | FS_US | FS_A | (writable ? FS_RW | FS_D : 0) | (l > 1 ? FS_PS : 0);
				wr(slot, e);
				break;
			}
			if (!(e & FS_P)) {
				e = new_table() | FS_P | FS_RW | FS_US | FS_A;
				wr(slot, e);
			}
			table = e & FS_ADDR;
		}
	}
}

static void fs_unmap(gpa_t root, uint64_t iova, uint64_t size)
{
	fs_map(root, iova, UINT64_MAX, size, PG, false);
}

enum pe_kind { PE_NONE, PE_PT, PE_FS };

/*
 * Point rid's scalable-mode context entry at a PASID directory and table
 * whose RID_PASID (0) entry is pass-through, first-stage (did, fs_root,
 * 4 levels) or not present.
 */
static void set_pasid(uint16_t rid, enum pe_kind kind, uint16_t did, gpa_t fs_root)
{
	unsigned devfn = rid & 0xff;
	gpa_t re = root_table + (rid >> 8) * 16 + (devfn >= 128 ? 8 : 0), ce, dir, tbl;

	if (!(rd(re) & 1))
		wr(re, new_table() | 1);
	ce = (rd(re) & ~0xfffull) + (devfn & 0x7f) * 32;
	if (!(rd(ce) & 1)) {
		dir = new_table();
		wr(ce, dir | 1);
		wr(ce + 8, 0); /* RID_PASID 0 */
		wr(dir, new_table() | 1);
	}
	dir = rd(ce) & ~0xfffull;
	tbl = rd(dir) & ~0xfffull;
	for (int i = 0; i < 8; i++)
		wr(tbl + i * 8, 0);
	if (kind == PE_FS) {
		wr(tbl, 1 | 1ull << 6);           /* P, PGTT 001b first stage */
		wr(tbl + 8, did);
		wr(tbl + 16, fs_root);            /* FSPM 00b: 4 levels */
	} else if (kind == PE_PT) {
		wr(tbl, 1 | 4ull << 6);           /* P, PGTT 100b pass-through */
		wr(tbl + 8, did);
	}
}

/* ---- the shadow over the fake ------------------------------------------------------------ */

struct tdev {
	uint32_t dev_id;
};

static int attach_cb(void *opaque, uint32_t pt)
{
	return fake_attach(((struct tdev *)opaque)->dev_id, pt);
}

static int detach_cb(void *opaque)
{
	return fake_detach(((struct tdev *)opaque)->dev_id);
}

static int fd;
static uint32_t vm_ioas;
static struct tdev devs[3];

static void setup(void)
{
	fake_reset();
	fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, false, false, 0);
	fd = fake_sys.open(NULL, "/dev/iommu");
	CHECK(fd >= 0);
	vm_ioas = fake_ioas();
	for (unsigned i = 0; i < 3; i++) {
		devs[i].dev_id = fake_device(0);
		CHECK(fake_attach(devs[i].dev_id, vm_ioas) == 0);
	}
	fake_set_mem(mem.memfd, mem.host, mem.size);
	next_table = 28 * MiB; /* tables above what the tests map, below the hole at 32 MiB */
	root_table = new_table();
	unit_create();
	memset(fk.n, 0, sizeof(fk.n));
	fk.calls = 0;
}

static struct vtd_shadow *make_shadow(unsigned ndev)
{
	struct vtd_shadow *s = NULL;
	char err[256];

	CHECK(vtd_shadow_create(&fake_sys, fd, vm_ioas, &mem, &s, err, sizeof(err)) == 0);
	for (unsigned i = 0; s && i < ndev; i++) {
		struct iommu_attach_ops at = { attach_cb, detach_cb, &devs[i] };

		CHECK(vtd_shadow_add_device(s, (uint16_t)(0x8000 | i << 3), &at, err, sizeof(err)) == 0);
	}
	return s;
}

static uint16_t rid_of(unsigned i)
{
	return (uint16_t)(0x8000 | i << 3);
}

static uint32_t pt_of(unsigned i)
{
	return fk.obj[devs[i].dev_id].pt;
}

static int flush(struct vtd_shadow *s)
{
	return vtd_shadow_backend(s)->flush(vtd_shadow_backend(s)->opaque, unit);
}

/* The guest's context-cache invalidation: the model drops its cached states, then tells the backend. */
static void ctx(struct vtd_shadow *s, int rid)
{
	vtd_devc_flush_all(unit);
	vtd_shadow_backend(s)->context_changed(vtd_shadow_backend(s)->opaque, unit, rid);
}

static void inval(struct vtd_shadow *s, int did, uint64_t iova, uint64_t len)
{
	vtd_shadow_backend(s)->iotlb_invalidate(vtd_shadow_backend(s)->opaque, unit, did, iova, len);
}

static unsigned ops(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FOP_N; i++)
		n += fk.n[i];
	return n;
}

static unsigned n_map, n_unmap, n_all;

static void count_start(void)
{
	n_map = fk.n[FOP_MAP];
	n_unmap = fk.n[FOP_UNMAP];
	n_all = ops();
}

/* Every page of [iova, iova + len) in IOAS ioas is what the tables of root say, via the memfd offset. */
static bool matches(uint32_t ioas, gpa_t root, uint64_t iova, uint64_t len)
{
	struct vtd_dev_state st = { .mode = VTD_DEV_FIRST_STAGE, .fs_root = root, .levels = 4 };

	for (uint64_t x = iova; x < iova + len; x += PG) {
		struct vtd_leaf leaf;
		bool mapped = vtd_tables_lookup(&mem, &st, x, false, &leaf) == 0;
		uint64_t start = 0;
		uint32_t flags = 0;
		bool host = fake_lookup(ioas, x, &start, &flags);
		uint64_t want = 0;

		if (mapped) {
			gpa_t gpa = leaf.gpa + (x - leaf.iova);
			bool ram = false;

			for (unsigned i = 0; i < mem.nr_regions; i++) {
				if (gpa >= mem.regions[i].gpa && gpa - mem.regions[i].gpa < mem.regions[i].size) {
					want = mem.regions[i].fd_offset + gpa - mem.regions[i].gpa;
					ram = true;
				}
			}
			mapped = ram;
		}
		if (mapped != host || (mapped && (start != want || !!(flags & IOMMU_IOAS_MAP_WRITEABLE) != leaf.writable))) {
			fprintf(stderr, "IOVA %#llx: tables %s %#llx w%d, IOAS %s %#llx flags %#x\n", (unsigned long long)x,
				mapped ? "map" : "no", (unsigned long long)want, mapped && leaf.writable, host ? "map" : "no",
				(unsigned long long)start, flags);
			return false;
		}
	}
	return true;
}

/* ---- context changes in every mode ----------------------------------------------------------- */

#define IOVA0 0x100000ull
#define GPA0 0x400000ull

static void test_modes(void)
{
	struct vtd_shadow_stats st;
	struct vtd_shadow *s;
	gpa_t root;
	uint32_t shadow;
	int r;

	setup();
	s = make_shadow(1);
	root = new_table();
	fs_map(root, IOVA0, GPA0, 512 * PG, PG, true);
	CHECK_EQ(flush(s), 0); /* nothing changed: no host call */
	CHECK_EQ(ops(), 0);

	/* first stage: a shadow IOAS of its own, filled with one MAP_FILE for 512 contiguous pages */
	set_pasid(rid_of(0), PE_FS, 5, root);
	ctx(s, rid_of(0));
	r = flush(s);
	shadow = pt_of(0);
	CHECK(shadow && shadow != vm_ioas);
	CHECK_EQ(fk.n[FOP_IOAS_ALLOC], 1);
	CHECK_EQ(fk.n[FOP_ATTACH], 1);
	CHECK_EQ(fk.n[FOP_MAP], 1);
	CHECK_EQ(r, 3);
	CHECK_EQ(fake_ioas_areas(shadow), 1);
	CHECK(matches(shadow, root, 0, 4 * MiB));
	CHECK_EQ(fake_ioas_areas(vm_ioas), 0); /* the VM's IOAS is never touched */

	/* pass-through: back on the VM's IOAS, the unused shadow destroyed */
	set_pasid(rid_of(0), PE_PT, 5, 0);
	ctx(s, rid_of(0));
	CHECK_EQ(flush(s), 2);
	CHECK_EQ(pt_of(0), vm_ioas);
	CHECK(!fake_exists(shadow));

	/* no valid entry: blocked (detached) */
	set_pasid(rid_of(0), PE_NONE, 0, 0);
	ctx(s, -1);
	CHECK_EQ(flush(s), 1);
	CHECK_EQ(pt_of(0), 0);

	/* first stage again, then translation off: GPA identity */
	set_pasid(rid_of(0), PE_FS, 5, root);
	ctx(s, -1);
	CHECK_EQ(flush(s), 3);
	CHECK(pt_of(0) && pt_of(0) != vm_ioas);
	set_te(false);
	ctx(s, -1);
	CHECK_EQ(flush(s), 2);
	CHECK_EQ(pt_of(0), vm_ioas);
	CHECK_EQ(fake_live_objects(), 0);

	/* a context change that changes nothing costs nothing */
	ctx(s, -1);
	CHECK_EQ(flush(s), 0);
	vtd_shadow_get_stats(s, &st);
	CHECK_EQ(st.moves, 5);
	CHECK_EQ(st.ioas_allocs, 2);
	CHECK_EQ(st.ioas_destroys, 2);
	CHECK_EQ(st.maps, 2);
	CHECK_EQ(st.domains, 0);
	CHECK_EQ(st.flushes, 5);
	CHECK_EQ(st.errors, 0);
	vtd_shadow_destroy(s);
	CHECK_EQ(pt_of(0), vm_ioas);
}

/* ---- coalescing ------------------------------------------------------------------------------------- */

/* A device in domain 7 over root, its IOAS; counts reset. */
static uint32_t fs_device(struct vtd_shadow *s, unsigned i, uint16_t did, gpa_t root)
{
	set_pasid(rid_of(i), PE_FS, did, root);
	ctx(s, rid_of(i));
	CHECK(flush(s) >= 2);
	count_start();
	return pt_of(i);
}

static void flushed(struct vtd_shadow *s, unsigned maps, unsigned unmaps, const char *what)
{
	int r = flush(s);

	CHECK_MSG(fk.n[FOP_MAP] - n_map == maps, "%s: %u maps, expected %u", what, fk.n[FOP_MAP] - n_map, maps);
	CHECK_MSG(fk.n[FOP_UNMAP] - n_unmap == unmaps, "%s: %u unmaps, expected %u", what, fk.n[FOP_UNMAP] - n_unmap,
		  unmaps);
	CHECK_MSG(r == (int)(ops() - n_all), "%s: flush returned %d for %u calls", what, r, ops() - n_all);
	count_start();
}

static void test_coalesce(void)
{
	struct vtd_shadow *s;
	gpa_t root;
	uint32_t io;

	setup();
	s = make_shadow(1);
	root = new_table();
	io = fs_device(s, 0, 7, root);
	CHECK_EQ(fake_ioas_areas(io), 0);

	fs_map(root, IOVA0, GPA0, 512 * PG, PG, true);
	inval(s, 7, IOVA0, 512 * PG);
	flushed(s, 1, 0, "512 contiguous pages");
	CHECK(fk.areas[0].file || fk.areas[1].file);

	/* every other guest page: nothing to coalesce */
	fs_map(root, 0x1000000, GPA0, PG, PG, true);
	for (unsigned i = 0; i < 8; i++)
		fs_map(root, 0x1000000 + i * PG, 0x800000 + 2 * i * PG, PG, PG, true);
	inval(s, 7, 0x1000000, 8 * PG);
	flushed(s, 8, 0, "8 scattered pages");

	/* writability splits a run */
	fs_map(root, 0x2000000, 0xa00000, 4 * PG, PG, true);
	fs_map(root, 0x2000000 + 4 * PG, 0xa00000 + 4 * PG, 4 * PG, PG, false);
	inval(s, 7, 0x2000000, 8 * PG);
	flushed(s, 2, 0, "4 writable + 4 read-only pages");

	/* a 2 MiB leaf and the 4 KiB pages after it, contiguous: one area */
	fs_map(root, 0x40000000, 0xc00000, 2 * MiB, 2 * MiB, true);
	fs_map(root, 0x40200000, 0xe00000, 16 * PG, PG, true);
	inval(s, 7, 0x40000000, 2 * MiB + 16 * PG);
	flushed(s, 1, 0, "2 MiB page + 16 pages");

	/* GPA jumps from below the hole to 4 GiB, the memfd offset does not: one MAP_FILE */
	fs_map(root, 0x50000000, 32 * MiB - 2 * PG, 2 * PG, PG, true);
	fs_map(root, 0x50000000 + 2 * PG, 1ull << 32, 2 * PG, PG, true);
	inval(s, 7, 0x50000000, 4 * PG);
	flushed(s, 1, 0, "a run across the MMIO hole");

	/* two invalidations in one drain, overlapping: one walk, one map */
	fs_map(root, 0x60000000, 0x1000000, 64 * PG, PG, true);
	inval(s, 7, 0x60000000, 40 * PG);
	inval(s, 7, 0x60000000 + 32 * PG, 32 * PG);
	flushed(s, 1, 0, "two overlapping ranges");

	CHECK(matches(io, root, 0, 0x60000000 + MiB));
	CHECK(matches(io, root, 0x40000000, 4 * MiB));
	vtd_shadow_destroy(s);
	CHECK_EQ(fk.nr_areas, 0);
}

/* ---- partial invalidation of a coalesced area ------------------------------------------------------ */

static void test_partial(void)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u) };
	struct vtd_shadow *s;
	gpa_t root;
	uint32_t io;

	setup();
	s = make_shadow(1);
	root = new_table();
	fs_map(root, IOVA0, GPA0, 512 * PG, PG, true);
	io = fs_device(s, 0, 7, root);
	CHECK_EQ(fake_ioas_areas(io), 1);

	/* the fake, like the kernel, refuses to cut an area */
	u.ioas_id = io;
	u.iova = IOVA0 + 100 * PG;
	u.length = PG;
	CHECK_EQ(fake_sys.ioctl(NULL, fd, IOMMU_IOAS_UNMAP, &u), -ENOENT);
	CHECK_EQ(fake_ioas_areas(io), 1);
	count_start();

	/* the guest unmaps page 100: the area goes, pages 0-99 and 101-511 come back */
	fs_unmap(root, IOVA0 + 100 * PG, PG);
	inval(s, 7, IOVA0 + 100 * PG, PG);
	flushed(s, 2, 1, "unmap inside a coalesced area");
	CHECK_EQ(fake_ioas_areas(io), 2);
	CHECK(matches(io, root, IOVA0 - MiB, 4 * MiB));

	/* an invalidation of what did not change touches nothing */
	inval(s, 7, IOVA0 + 200 * PG, 8 * PG);
	flushed(s, 0, 0, "unchanged range");

	/* page 300 now points elsewhere: head, the page, tail */
	fs_map(root, IOVA0 + 300 * PG, 0x1a00000, PG, PG, false);
	inval(s, 7, IOVA0 + 300 * PG, PG);
	flushed(s, 3, 1, "remap inside a coalesced area");
	CHECK_EQ(fake_ioas_areas(io), 4);
	CHECK(matches(io, root, IOVA0 - MiB, 4 * MiB));

	/* page 100 back: a map in the hole, nothing else moves */
	fs_map(root, IOVA0 + 100 * PG, GPA0 + 100 * PG, PG, PG, true);
	inval(s, 7, IOVA0 + 100 * PG, PG);
	flushed(s, 1, 0, "map in a hole");

	/* Linux invalidates a power-of-two aligned superset: unchanged neighbours stay */
	fs_unmap(root, IOVA0 + 64 * PG, 4 * PG);
	inval(s, 7, IOVA0, 128 * PG);
	flushed(s, 2, 1, "aligned superset");
	CHECK(matches(io, root, IOVA0 - MiB, 4 * MiB));

	/* a domain-wide invalidation of unchanged tables: nothing */
	inval(s, 7, 0, 0);
	flushed(s, 0, 0, "domain-wide, unchanged");
	inval(s, -1, 0, 0);
	flushed(s, 0, 0, "global, unchanged");

	/* everything unmapped at once: one UNMAP for all consecutive areas */
	fs_unmap(root, IOVA0, 512 * PG);
	inval(s, 7, 0, 0);
	flushed(s, 0, 1, "all gone");
	CHECK_EQ(fake_ioas_areas(io), 0);

	/* an invalidation of another domain does not walk this one */
	fs_map(root, IOVA0, GPA0, PG, PG, true);
	inval(s, 8, 0, 0);
	flushed(s, 0, 0, "other domain");
	vtd_shadow_destroy(s);
}

/* ---- domains shared by devices ------------------------------------------------------------------------ */

static void test_sharing(void)
{
	struct vtd_shadow_stats st;
	struct vtd_shadow *s;
	gpa_t ra, rb;
	uint32_t a;

	setup();
	s = make_shadow(3);
	ra = new_table();
	rb = new_table();
	fs_map(ra, IOVA0, GPA0, 16 * PG, PG, true);
	fs_map(rb, IOVA0, GPA0 + MiB, 16 * PG, PG, true);
	set_pasid(rid_of(0), PE_FS, 1, ra);
	set_pasid(rid_of(1), PE_FS, 1, ra);
	set_pasid(rid_of(2), PE_FS, 2, rb);
	ctx(s, -1);
	CHECK_EQ(flush(s), 2 + 3 + 2); /* two IOASes, three attaches, one map each */
	a = pt_of(0);
	CHECK_EQ(pt_of(1), a);
	CHECK(pt_of(2) != a && pt_of(2) != vm_ioas && a != vm_ioas);
	CHECK(matches(a, ra, 0, MiB * 2));
	CHECK(matches(pt_of(2), rb, 0, MiB * 2));
	count_start();

	/* domain 1's invalidation walks domain 1 only */
	fs_map(ra, IOVA0 + 16 * PG, GPA0 + 32 * PG, PG, PG, true);
	fs_map(rb, IOVA0 + 16 * PG, GPA0 + 32 * PG, PG, PG, true);
	inval(s, 1, IOVA0, 32 * PG);
	flushed(s, 1, 0, "domain 1 only");
	CHECK(matches(a, ra, 0, MiB * 2));
	CHECK(!matches(pt_of(2), rb, 0, MiB * 2)); /* domain 2 was not invalidated yet */
	inval(s, 2, IOVA0 + 16 * PG, PG);
	flushed(s, 1, 0, "domain 2");
	CHECK(matches(pt_of(2), rb, 0, MiB * 2));

	/* the shared IOAS lives while one device uses it */
	set_pasid(rid_of(0), PE_PT, 1, 0);
	ctx(s, rid_of(0));
	CHECK_EQ(flush(s), 1);
	CHECK_EQ(pt_of(0), vm_ioas);
	CHECK(fake_exists(a));
	set_pasid(rid_of(1), PE_NONE, 0, 0);
	ctx(s, rid_of(1));
	CHECK_EQ(flush(s), 2);
	CHECK(!fake_exists(a));
	vtd_shadow_get_stats(s, &st);
	CHECK_EQ(st.domains, 1);
	CHECK_EQ(st.areas, 2);

	/* device 0 joins device 2's domain: no new IOAS, no map */
	count_start();
	set_pasid(rid_of(0), PE_FS, 2, rb);
	ctx(s, rid_of(0));
	CHECK_EQ(flush(s), 1);
	CHECK_EQ(pt_of(0), pt_of(2));
	CHECK_EQ(fk.n[FOP_MAP], n_map);
	CHECK_EQ(ops(), n_all + 1);

	/* teardown: every device back on the VM's IOAS, every shadow IOAS gone */
	vtd_shadow_destroy(s);
	for (unsigned i = 0; i < 3; i++)
		CHECK_EQ(pt_of(i), vm_ioas);
	CHECK_EQ(fk.nr_areas, 0);
	for (uint32_t id = 1; id < FAKE_MAX_OBJ; id++)
		CHECK(fk.obj[id].kind != FK_IOAS || id == vm_ioas);
}

/* ---- MMIO leaves, the MAP fallback, hostile input ---------------------------------------------- */

static void test_mmio_and_fallback(void)
{
	struct vtd_shadow_stats st;
	struct vtd_shadow *s;
	gpa_t root;
	uint32_t io;

	/* a page of a device's BAR (outside RAM) is skipped, its neighbours mapped */
	setup();
	s = make_shadow(1);
	root = new_table();
	fs_map(root, IOVA0, GPA0, PG, PG, true);
	fs_map(root, IOVA0 + PG, 0xfe000000, PG, PG, true);
	fs_map(root, IOVA0 + 2 * PG, GPA0 + 2 * PG, PG, PG, true);
	io = fs_device(s, 0, 3, root);
	CHECK_EQ(fake_ioas_areas(io), 2);
	CHECK(fake_lookup(io, IOVA0, &(uint64_t){ 0 }, &(uint32_t){ 0 }));
	CHECK(!fake_lookup(io, IOVA0 + PG, &(uint64_t){ 0 }, &(uint32_t){ 0 }));
	vtd_shadow_get_stats(s, &st);
	CHECK_EQ(st.mmio_skipped, 1);
	vtd_shadow_destroy(s);

	/* a kernel without MAP_FILE: asked once, then IOMMU_IOAS_MAP of the VMM's mapping */
	for (int e = 0; e < 2; e++) {
		setup();
		fk.no_map_file = true;
		fk.map_file_errno = e ? EOPNOTSUPP : ENOTTY;
		s = make_shadow(1);
		root = new_table();
		for (unsigned i = 0; i < 3; i++)
			fs_map(root, IOVA0 + i * 2 * PG, GPA0 + i * 4 * PG, PG, PG, i != 1);
		io = fs_device(s, 0, 3, root);
		CHECK_EQ(fk.n[FOP_MAP], 4);
		CHECK_EQ(fake_ioas_areas(io), 3);
		CHECK(matches(io, root, 0, 2 * MiB));
		for (unsigned i = 0; i < FAKE_MAX_AREAS; i++)
			CHECK(!fk.areas[i].ioas || !fk.areas[i].file);
		vtd_shadow_destroy(s);
	}

	/* the device's reserved range (the MSI window) refuses a map: logged, the rest mapped */
	setup();
	fk.resv_first = 0xfee00000;
	fk.resv_last = 0xfeefffff;
	s = make_shadow(1);
	root = new_table();
	fs_map(root, 0xfee00000, GPA0, PG, PG, true);
	fs_map(root, IOVA0, GPA0, PG, PG, true);
	set_pasid(rid_of(0), PE_FS, 3, root);
	ctx(s, -1);
	CHECK_EQ(flush(s), -EINVAL);
	CHECK_EQ(fake_ioas_areas(pt_of(0)), 1);
	vtd_shadow_get_stats(s, &st);
	CHECK_EQ(st.errors, 1);
	vtd_shadow_destroy(s);

	/* a first-stage table outside RAM: nothing mapped, no error to the guest */
	setup();
	s = make_shadow(1);
	set_pasid(rid_of(0), PE_FS, 3, 0x7fff0000000ull);
	ctx(s, -1);
	CHECK_EQ(flush(s), 2);
	CHECK_EQ(fake_ioas_areas(pt_of(0)), 0);
	vtd_shadow_destroy(s);

	/* bad arguments */
	setup();
	s = make_shadow(0);
	{
		char err[128];
		struct iommu_attach_ops no_detach = { attach_cb, NULL, &devs[0] }, ok = { attach_cb, detach_cb, &devs[0] };

		CHECK_EQ(vtd_shadow_add_device(s, 8, &no_detach, err, sizeof(err)), -EINVAL);
		CHECK_EQ(vtd_shadow_add_device(s, 8, &ok, err, sizeof(err)), 0);
		CHECK_EQ(vtd_shadow_add_device(s, 8, &ok, err, sizeof(err)), -EEXIST);
		CHECK(strstr(err, "00:01.0 is added twice") != NULL);
	}
	vtd_shadow_destroy(s);
	vtd_shadow_destroy(NULL);
}

/* ---- random guest activity: the shadow always equals the tables, never cuts an area -------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

/*
 * Maps and unmaps of 1-16 pages in a 4 MiB IOVA window and of 2 MiB pages
 * in the 4 MiB after it, onto a small pool of guest pages (so runs
 * coalesce and split),
 * each followed by what Linux sends: nothing after a map but a WBF
 * (a global invalidation), an aligned power-of-two superset after an
 * unmap; several per flush.
 */
static void test_random(void)
{
	const uint64_t win = 0x40000000, span = 8 * MiB;
	struct vtd_shadow_stats st;
	struct vtd_shadow *s;
	gpa_t root;
	uint32_t io;

	setup();
	s = make_shadow(1);
	root = new_table();
	io = fs_device(s, 0, 4, root);
	for (unsigned round = 0; round < 400; round++) {
		for (unsigned k = 1 + (unsigned)rnd(4); k; k--) {
			uint64_t pages = 1 + rnd(16), iova = win + rnd(span / 2 / PG - pages) * PG;

			if (rnd(10) == 0) {
				iova = win + span / 2 + rnd(2) * 2 * MiB;
				fs_unmap(root, iova, 2 * MiB);
				fs_map(root, iova, 4 * MiB + rnd(8) * 2 * MiB, 2 * MiB, 2 * MiB, rnd(2));
				inval(s, -1, 0, 0);
			} else if (rnd(2)) {
				uint64_t gpa = GPA0 + rnd(256) * PG;

				for (uint64_t i = 0; i < pages; i++) /* contiguous GPAs, sometimes a jump */
					fs_map(root, iova + i * PG, rnd(8) ? gpa + i * PG : GPA0 + rnd(256) * PG, PG, PG, rnd(4) != 0);
				inval(s, -1, 0, 0);
			} else {
				uint64_t first = iova & ~(8 * PG - 1), len = 8 * PG;

				fs_unmap(root, iova, pages * PG);
				while (first + len < iova + pages * PG)
					len *= 2, first &= ~(len - 1);
				inval(s, 4, first, len);
			}
		}
		CHECK(flush(s) >= 0);
		if ((round % 16 == 15 || round == 399) && !matches(io, root, win, span)) {
			CHECK_MSG(false, "round %u: the shadow differs from the tables", round);
			break;
		}
	}
	CHECK_EQ(fk.unmap_cuts, 0);
	vtd_shadow_get_stats(s, &st);
	CHECK_EQ(st.errors, 0);
	CHECK_EQ(st.areas, fake_ioas_areas(io));
	printf("random: %llu maps, %llu unmaps, %llu areas at the end\n", (unsigned long long)st.maps,
	       (unsigned long long)st.unmaps, (unsigned long long)st.areas);
	vtd_shadow_destroy(s);
}

/* ---- the unit and the shadow together: registers, drain, flush ---------------------------------- */

static void reg_write(struct vtd *v, unsigned off, uint64_t val, unsigned len)
{
	vtd_mmio_ops.write(v, off, &val, len);
}

static uint64_t reg_read(struct vtd *v, unsigned off, unsigned len)
{
	uint64_t x = 0;

	vtd_mmio_ops.read(v, off, &x, len);
	return x;
}

/*
 * Linux maps into a first-stage domain without invalidating (caching mode
 * exempts it) and flushes the write buffer instead: with a backend the
 * unit offers RWBF, and GCMD.WBF reaches the shadow as a walk of every
 * domain; WBFS clears only after the flush.
 */
/* The guest's switch-on: the scalable-mode root table, then translation. */
static void unit_translate_on(struct vtd *v)
{
	reg_write(v, VTD_RTADDR_REG, root_table | 1ull << 10, 8);
	reg_write(v, VTD_GCMD_REG, VTD_GCMD_SRTP, 4);
	reg_write(v, VTD_GCMD_REG, VTD_GCMD_TE, 4);
}

static void test_unit_wbf(void)
{
	struct vtd_params p = { .index = 1, .addr_width = 48, .bus = 0x80 };
	struct vtd_env env = { .mem = &mem, .msi = no_msi };
	struct vtd_shadow_stats sst;
	struct vtd_stats ust;
	struct vtd_shadow *s;
	struct vtd *v = NULL;
	char err[256];
	gpa_t root;
	uint32_t io;

	setup();
	CHECK(!(reg_read(unit, VTD_CAP_REG, 8) & 1ull << 4)); /* no backend: no RWBF */
	s = make_shadow(1);
	p.backend = vtd_shadow_backend(s);
	CHECK(vtd_create(&p, &env, &v, err, sizeof(err)) == 0);
	if (!v)
		return;
	CHECK(reg_read(v, VTD_CAP_REG, 8) & 1ull << 4);
	root = new_table();
	set_pasid(rid_of(0), PE_FS, 9, root);
	unit_translate_on(v);
	vtd_drain(v);
	io = pt_of(0);
	CHECK(io && io != vm_ioas);
	CHECK_EQ(fake_ioas_areas(io), 0);

	/* a map, then the write-buffer flush: WBFS holds until the shadow has it */
	fs_map(root, IOVA0, GPA0, 8 * PG, PG, true);
	reg_write(v, VTD_GCMD_REG, VTD_GCMD_TE | VTD_GCMD_WBF, 4);
	CHECK(reg_read(v, VTD_GSTS_REG, 4) & VTD_GSTS_WBFS);
	CHECK(reg_read(v, VTD_GSTS_REG, 4) & VTD_GSTS_TES);
	CHECK_EQ(fake_ioas_areas(io), 0);
	vtd_drain(v);
	CHECK(!(reg_read(v, VTD_GSTS_REG, 4) & VTD_GSTS_WBFS));
	CHECK_EQ(fake_ioas_areas(io), 1);
	CHECK(matches(io, root, 0, 2 * MiB));

	/* the unmap's page-selective invalidation (register-based here) */
	fs_unmap(root, IOVA0, 8 * PG);
	reg_write(v, VTD_IVA_REG, IOVA0 | 3, 8);
	reg_write(v, VTD_IOTLB_REG, 1ull << 63 | 3ull << 60 | 9ull << 32, 8);
	vtd_drain(v);
	CHECK_EQ(fake_ioas_areas(io), 0);

	/* translation off: back on the VM's IOAS */
	reg_write(v, VTD_GCMD_REG, 0, 4);
	vtd_drain(v);
	CHECK_EQ(pt_of(0), vm_ioas);
	vtd_get_stats(v, &ust);
	vtd_shadow_get_stats(s, &sst);
	CHECK_EQ(ust.host_calls, sst.host_calls);
	CHECK_EQ(sst.maps, 1);
	CHECK_EQ(sst.unmaps, 1);
	vtd_destroy(v);
	vtd_shadow_destroy(s);
}

static void drain_cb(void *opaque)
{
	vtd_drain(opaque);
}

/*
 * With a thread draining (the queue engine, as in the VM) and wbf_wait_ms,
 * the GCMD.WBF write itself waits for the flush: the guest's first read
 * finds WBFS clear, so its poll timeout never runs. Without a drain the
 * write gives up after wbf_wait_ms, WBFS still set, and counts it.
 */
static void test_unit_wbf_wait(void)
{
	struct vtd_params p = { .index = 2, .addr_width = 48, .bus = 0x80, .wbf_wait_ms = 5000 };
	struct vtd_env env = { .mem = &mem, .msi = no_msi };
	struct iq_engine *e = NULL;
	struct vtd_stats ust;
	struct vtd_shadow *s;
	struct vtd *v = NULL;
	char err[256];
	gpa_t root;
	uint32_t io;

	setup();
	s = make_shadow(1);
	p.backend = vtd_shadow_backend(s);
	CHECK(vtd_create(&p, &env, &v, err, sizeof(err)) == 0);
	if (!v)
		return;
	if (iq_engine_create(&e, err, sizeof(err))) {
		/* io_uring disabled (qemu-user): no thread to drain, as in test-vtd-walk */
		printf("wbf-wait part skipped: %s\n", err);
		vtd_destroy(v);
		vtd_shadow_destroy(s);
		return;
	}
	CHECK(iq_engine_add(e, vtd_kick_fd(v), drain_cb, v) == 0);
	CHECK(iq_engine_start(e) == 0);
	root = new_table();
	set_pasid(rid_of(0), PE_FS, 9, root);
	unit_translate_on(v);
	fs_map(root, IOVA0, GPA0, 8 * PG, PG, true);
	reg_write(v, VTD_GCMD_REG, VTD_GCMD_TE | VTD_GCMD_WBF, 4);
	/* the write returned: the flush is done, nothing left to poll */
	CHECK(!(reg_read(v, VTD_GSTS_REG, 4) & VTD_GSTS_WBFS));
	io = pt_of(0);
	CHECK(io && io != vm_ioas);
	CHECK_EQ(fake_ioas_areas(io), 1);
	CHECK(matches(io, root, 0, 2 * MiB));
	iq_engine_destroy(e);
	vtd_get_stats(v, &ust);
	CHECK_EQ(ust.wbfs, 1);
	CHECK_EQ(ust.wbf_wait_timeouts, 0);
	vtd_destroy(v);

	/* no thread drains: the write gives up after wbf_wait_ms */
	p.wbf_wait_ms = 50;
	v = NULL;
	CHECK(vtd_create(&p, &env, &v, err, sizeof(err)) == 0);
	if (!v)
		return;
	unit_translate_on(v);
	vtd_drain(v);
	reg_write(v, VTD_GCMD_REG, VTD_GCMD_TE | VTD_GCMD_WBF, 4);
	CHECK(reg_read(v, VTD_GSTS_REG, 4) & VTD_GSTS_WBFS);
	vtd_get_stats(v, &ust);
	CHECK_EQ(ust.wbf_wait_timeouts, 1);
	vtd_drain(v);
	CHECK(!(reg_read(v, VTD_GSTS_REG, 4) & VTD_GSTS_WBFS));
	vtd_destroy(v);
	vtd_shadow_destroy(s);
}

/* ---- fail-nth ---------------------------------------------------------------------------------------------- */

/* A guest's life: two devices sharing a domain, one of its own, maps, unmaps, moves. */
static void scenario(struct vtd_shadow *s, gpa_t ra, gpa_t rb)
{
	fs_map(ra, IOVA0, GPA0, 64 * PG, PG, true);
	fs_map(rb, IOVA0, GPA0, 8 * PG, PG, false);
	set_pasid(rid_of(0), PE_FS, 1, ra);
	set_pasid(rid_of(1), PE_FS, 1, ra);
	set_pasid(rid_of(2), PE_FS, 2, rb);
	ctx(s, -1);
	(void)flush(s);
	fs_unmap(ra, IOVA0 + 10 * PG, 2 * PG);
	fs_map(ra, IOVA0 + 30 * PG, 0x1800000, 4 * PG, PG, true);
	inval(s, 1, IOVA0 + 10 * PG, 2 * PG);
	inval(s, 1, IOVA0 + 30 * PG, 4 * PG);
	(void)flush(s);
	set_pasid(rid_of(1), PE_FS, 2, rb);
	set_pasid(rid_of(2), PE_PT, 2, 0);
	ctx(s, -1);
	fs_map(rb, IOVA0 + 8 * PG, GPA0 + 8 * PG, 8 * PG, PG, true);
	inval(s, 2, 0, 0);
	(void)flush(s);
}

static void test_fail_nth(void)
{
	unsigned runs = 0;

	log_set_level(LOG_ERROR);
	for (unsigned n = 1; n < 200; n++) {
		struct vtd_shadow *s;
		gpa_t ra, rb;
		bool hit;

		setup();
		s = make_shadow(3);
		ra = new_table();
		rb = new_table();
		fk.fail_nth = n;
		fk.fail_errno = ENOMEM;
		scenario(s, ra, rb);
		hit = fk.failed_op >= 0;
		fk.fail_nth = 0;
		/* recovery: the guest's next global invalidation brings everything back in line */
		ctx(s, -1);
		inval(s, -1, 0, 0);
		CHECK_MSG(flush(s) >= 0, "fail-nth %u: recovery flush failed", n);
		CHECK_MSG(pt_of(1) != vm_ioas && pt_of(1) != 0, "fail-nth %u: device 1 not on a shadow", n);
		CHECK_MSG(pt_of(2) == vm_ioas, "fail-nth %u: device 2 not on the VM's IOAS", n);
		CHECK_MSG(pt_of(0) != pt_of(1) && pt_of(0) != vm_ioas && pt_of(0),
			  "fail-nth %u: devices 0 and 1 share a domain", n);
		CHECK_MSG(matches(pt_of(0), ra, 0, 2 * MiB), "fail-nth %u: domain 1 differs from the tables", n);
		CHECK_MSG(matches(pt_of(1), rb, 0, 2 * MiB), "fail-nth %u: domain 2 differs from the tables", n);
		vtd_shadow_destroy(s);
		for (unsigned i = 0; i < 3; i++)
			CHECK_MSG(pt_of(i) == vm_ioas, "fail-nth %u: device %u not back on the VM's IOAS", n, i);
		CHECK_MSG(fk.nr_areas == 0, "fail-nth %u: %u areas left", n, fk.nr_areas);
		for (uint32_t id = 1; id < FAKE_MAX_OBJ; id++)
			CHECK_MSG(fk.obj[id].kind != FK_IOAS || id == vm_ioas, "fail-nth %u: IOAS %u left", n, id);
		fake_sys.close(NULL, fd);
		if (!hit)
			break;
		runs++;
	}
	log_set_level(LOG_WARN);
	CHECK(runs >= 15);
	printf("fail-nth: %u runs\n", runs);
}

int main(void)
{
	CHECK(gmem_create(&mem, 64 * MiB, 32 * MiB) == 0);
	CHECK_EQ(mem.nr_regions, 2);
	test_modes();
	test_coalesce();
	test_partial();
	test_sharing();
	test_mmio_and_fallback();
	test_unit_wbf();
	test_unit_wbf_wait();
	test_random();
	test_fail_nth();
	vtd_destroy(unit);
	gmem_destroy(&mem);
	return check_summary("vtd-shadow");
}
