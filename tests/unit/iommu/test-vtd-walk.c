// SPDX-License-Identifier: Apache-2.0
/*
 * The vVT-d model with the real table walker (iommu/vtd_tables.c) behind
 * it: scalable-mode tables built in fake guest RAM the way Linux lays them
 * out, programmed through the registers and invalidated through the queue.
 * What the fake walker of test-vtd.c cannot show: the device state the
 * unit latches (RTADDR by SRTP, TE), a mapping added without invalidation
 * found at once (nothing negative is cached), one removed without
 * invalidation still used until the guest invalidates (as on hardware),
 * pass-through, 5-level tables refused by a 48-bit unit, and fault
 * reasons from the walker in the fault records; last, the queue engine
 * draining on IQT writes alone (the VM's thread model).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "vtd-priv.h"

#define RAM (8ull << 20)
#define QBASE 0x1000ull
#define ROOT 0x2000ull
#define CTX 0x3000ull
#define PDIR 0x4000ull
#define PTBL 0x5000ull
#define PML4 0x6000ull
#define PDPT 0x7000ull
#define PD 0x8000ull
#define PT 0x9000ull
#define STATUS 0xf000ull
#define RID 0x0010           /* 00:02.0 */
#define DID 5
#define FS_PRW_US 7ull       /* present, writable, user */

static struct gmem gm;
static unsigned qi_tail;

static void put64(gpa_t a, uint64_t v)
{
	if (gmem_write(&gm, a, &v, 8))
		check_ok(false);
}

static void wr(struct vtd *v, uint64_t off, uint64_t val, unsigned len)
{
	vtd_mmio_ops.write(v, off, &val, len);
}

static uint64_t rd(struct vtd *v, uint64_t off)
{
	uint64_t val = 0;

	vtd_mmio_ops.read(v, off, &val, 8);
	return val;
}

/* One descriptor and a wait, as Linux's qi_submit_sync sends them. */
static void qi(struct vtd *v, uint64_t qw0, uint64_t qw1)
{
	uint64_t d[8] = { qw0, qw1, 0, 0, 1ull << 32 | 1u << 5 | 5, STATUS, 0, 0 };

	if (gmem_write(&gm, QBASE + qi_tail * 32, d, 64))
		check_ok(false);
	qi_tail = (qi_tail + 2) % 128;
	put64(STATUS, 0);
	wr(v, VTD_IQT_REG, qi_tail * 32, 4);
	vtd_drain(v);
	CHECK_EQ(rd(v, VTD_IQH_REG), qi_tail * 32);
}

static void drain_cb(void *opaque)
{
	vtd_drain(opaque);
}

/*
 * The thread model end to end: the queue engine's thread drains on the
 * kick of an IQT write alone, and the guest's wait completes. Skipped
 * (one line) where io_uring is disabled.
 */
static void engine_round_trip(struct vtd *v)
{
	struct iq_engine *e;
	char err[256];
	uint32_t st = 0;

	if (iq_engine_create(&e, err, sizeof(err))) {
		printf("engine part skipped: %s\n", err);
		return;
	}
	CHECK_EQ(iq_engine_add(e, vtd_kick_fd(v), drain_cb, v), 0);
	CHECK_EQ(iq_engine_start(e), 0);
	for (unsigned round = 0; round < 100; round++) {
		uint64_t d[4] = { (uint64_t)(round + 1) << 32 | 1u << 5 | 5, STATUS + 8, 0, 0 };

		if (gmem_write(&gm, QBASE + qi_tail * 32, d, 32))
			check_ok(false);
		qi_tail = (qi_tail + 1) % 128;
		wr(v, VTD_IQT_REG, qi_tail * 32, 4);
		for (unsigned ms = 0; ms < 5000; ms++) {
			if (gmem_read(&gm, STATUS + 8, &st, 4) == 0 && st == round + 1)
				break;
			usleep(1000);
		}
		if (!check_ok(st == round + 1)) {
			fprintf(stderr, "wait %u not completed by the engine (status %u)\n", round + 1, st);
			break;
		}
	}
	iq_engine_destroy(e);
}

static void pasid_entry(unsigned pgtt, unsigned fspm)
{
	put64(PTBL, 1 | (uint64_t)pgtt << 6);
	put64(PTBL + 8, DID);
	put64(PTBL + 16, PML4 | (uint64_t)fspm << 2);
}

static int xl(struct vtd *v, uint64_t iova, bool write, gpa_t *gpa)
{
	uint64_t contig;

	return vtd_translate(v, RID, iova, 8, write, gpa, &contig);
}

int main(void)
{
	struct vtd_env env = { .mem = &gm };
	struct vtd_params p = { .addr_width = 48 };
	struct vtd_dev_state st;
	struct vtd *v;
	char err[256];
	gpa_t gpa = 0;

	log_set_level(LOG_ERROR);
	if (gmem_create(&gm, RAM, 0xc0000000ull) || vtd_create(&p, &env, &v, err, sizeof(err))) {
		fprintf(stderr, "set-up failed\n");
		return 1;
	}
	/* Root entry of bus 0 -> context entry of devfn 0x10 -> PASID directory -> PASID 0. */
	put64(ROOT, CTX | 1);
	put64(CTX + 0x10 * 32, PDIR | 1);
	put64(PDIR, PTBL | 1);
	pasid_entry(1, 0);
	put64(PML4, PDPT | FS_PRW_US);
	put64(PDPT, PD | FS_PRW_US);
	put64(PD, PT | FS_PRW_US);
	put64(PD + 8, 0x400000 | 0x80 | FS_PRW_US);        /* 2 MiB at iova 2 MiB */
	put64(PT + 8 * 1, 0x100000 | FS_PRW_US);            /* iova 0x1000 */
	put64(PT + 8 * 2, 0x101000 | 5);                    /* iova 0x2000, read-only */

	/* Linux's order: queue, root table (SRTP), global invalidations, then TE. */
	wr(v, VTD_IQT_REG, 0, 4);
	wr(v, VTD_IQA_REG, QBASE | VTD_IQA_DW, 8);
	wr(v, VTD_GCMD_REG, VTD_GCMD_QIE, 4);
	wr(v, VTD_RTADDR_REG, ROOT | 1u << 10, 8);
	wr(v, VTD_GCMD_REG, VTD_GCMD_QIE | VTD_GCMD_SRTP, 4);
	qi(v, 1u << 4 | 1, 0);
	qi(v, 3u << 4 | 7, 0);
	qi(v, 1u << 4 | 2, 0);
	CHECK_EQ(xl(v, 0x1234, true, &gpa), 0);             /* TE off: the GPA */
	CHECK_EQ(gpa, 0x1234);
	wr(v, VTD_GCMD_REG, VTD_GCMD_QIE | VTD_GCMD_TE, 4);

	vtd_device_state(v, RID, &st);
	CHECK_EQ(st.mode, VTD_DEV_FIRST_STAGE);
	CHECK_EQ(st.did, DID);
	CHECK_EQ(st.fs_root, PML4);
	CHECK_EQ(xl(v, 0x1234, true, &gpa), 0);
	CHECK_EQ(gpa, 0x100234);
	CHECK_EQ(xl(v, 0x2345, false, &gpa), 0);
	CHECK_EQ(gpa, 0x101345);
	CHECK_EQ(xl(v, 0x2345, true, &gpa), -EFAULT);
	CHECK_EQ(rd(v, VTD_FRCD_REG + 8) >> 32 & 0xff, 0x85);   /* write to read-only */
	CHECK_EQ(rd(v, VTD_FRCD_REG + 8) & 0xffff, RID);
	CHECK_EQ(xl(v, 0x3000, false, &gpa), -EFAULT);
	CHECK_EQ(rd(v, VTD_FRCD_REG + 16 + 8) >> 32 & 0xff, 0x71);  /* not present */
	CHECK_EQ(xl(v, 0x3ff008, false, &gpa), 0);
	CHECK_EQ(gpa, 0x5ff008);
	/* The same pages again: from the IOTLB. */
	struct vtd_stats s0, s1;
	vtd_get_stats(v, &s0);
	CHECK_EQ(xl(v, 0x1238, true, &gpa), 0);
	CHECK_EQ(gpa, 0x100238);
	CHECK_EQ(xl(v, 0x200000, false, &gpa), 0);
	CHECK_EQ(gpa, 0x400000);
	vtd_get_stats(v, &s1);
	CHECK_EQ(s1.iotlb_hits - s0.iotlb_hits, 2);
	CHECK_EQ(s1.iotlb_misses, s0.iotlb_misses);

	/* Mapped without an invalidation (first stage needs none): found at once. */
	put64(PT + 8 * 3, 0x102000 | FS_PRW_US);
	CHECK_EQ(xl(v, 0x3000, false, &gpa), 0);
	CHECK_EQ(gpa, 0x102000);
	/* Unmapped: used until the guest's page-selective invalidation. */
	put64(PT + 8 * 1, 0);
	CHECK_EQ(xl(v, 0x1000, false, &gpa), 0);
	qi(v, (uint64_t)DID << 16 | 3u << 4 | 6, 0x1000);
	CHECK_EQ(xl(v, 0x1000, false, &gpa), -EFAULT);

	/* Pass-through after a PASID-cache invalidation; the walk of it is refused. */
	pasid_entry(4, 0);
	CHECK_EQ(xl(v, 0x3000, false, &gpa), 0);
	CHECK_EQ(gpa, 0x102000);                            /* the cached state until invalidated */
	qi(v, (uint64_t)DID << 16 | 0u << 4 | 7, 0);
	CHECK_EQ(xl(v, 0x3000, false, &gpa), 0);
	CHECK_EQ(gpa, 0x3000);
	vtd_device_state(v, RID, &st);
	CHECK_EQ(st.mode, VTD_DEV_PASSTHROUGH);
	/* 5-level first-stage tables on a 48-bit unit (CAP.FL5LP clear): blocked. */
	pasid_entry(1, 1);
	qi(v, (uint64_t)RID << 32 | 3u << 4 | 1, 0);
	vtd_device_state(v, RID, &st);
	CHECK_EQ(st.mode, VTD_DEV_BLOCKED);
	CHECK_EQ(st.fault_reason, 0x5b);
	/* Legacy-mode root table (TTM 00) latched: every device blocked. */
	pasid_entry(1, 0);
	wr(v, VTD_RTADDR_REG, ROOT, 8);
	wr(v, VTD_GCMD_REG, VTD_GCMD_QIE | VTD_GCMD_TE | VTD_GCMD_SRTP, 4);
	CHECK_EQ(xl(v, 0x3000, false, &gpa), -EFAULT);
	CHECK_EQ(rd(v, VTD_FRCD_REG + 48 + 8) >> 32 & 0xff, 0x30);

	struct vtd_stats s;
	vtd_get_stats(v, &s);
	CHECK_EQ(s.faults, 4);
	CHECK_EQ(s.iqe, 0);
	engine_round_trip(v);
	vtd_destroy(v);
	gmem_destroy(&gm);
	return check_summary("vtd-walk");
}
