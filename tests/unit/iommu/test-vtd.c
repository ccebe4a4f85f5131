// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the vVT-d register and queue model (iommu/vtd.c,
 * vtd_qi.c, vtd_iotlb.c) over fake guest RAM (gmem_create), a fake backend
 * that records its calls, a fake MSI sink and the programmable tables of
 * fake-vtd-tables.c: register reset values and access sizes, GCMD, every
 * descriptor type, IQE on garbage and the guest's recovery, invalidation
 * waits (status write, completion interrupt, masking), one backend flush
 * per batch, fault recording with overflow, translation through the IOTLB
 * and its invalidation. Values are the spec's, written out here, not taken
 * from the model's own constants.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "fake-vtd-tables.h"

#define RAM (16ull << 20)
#define QBASE 0x100000ull      /* the invalidation queue */
#define STATUS 0x200000ull     /* wait status words */
#define FE_ADDR 0xfee00000u
#define FE_DATA 0x4041u
#define IE_ADDR 0xfee01000u
#define IE_DATA 0x4052u

struct call {
	char kind;               /* 'c' context_changed, 'i' iotlb_invalidate, 'f' flush */
	int a;                   /* rid or did */
	uint64_t iova, len;
};

struct t {
	struct gmem gm;
	struct vtd *v;
	unsigned nr_msi;
	uint64_t msi_addr[64];
	uint32_t msi_data[64];
	struct call calls[1024];
	unsigned nr_calls;
	unsigned since_flush;    /* backend calls since the last flush */
	int flush_ret;           /* < 0: fail */
	gpa_t watch;             /* a status word that must not be written before a flush */
	bool watch_early;        /* it was */
	unsigned dsz;
};

static void msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct t *t = opaque;

	if (t->nr_msi < 64) {
		t->msi_addr[t->nr_msi] = addr;
		t->msi_data[t->nr_msi] = data;
	}
	t->nr_msi++;
}

static void log_call(struct t *t, char kind, int a, uint64_t iova, uint64_t len)
{
	if (t->nr_calls < ARRAY_SIZE(t->calls))
		t->calls[t->nr_calls] = (struct call){ kind, a, iova, len };
	t->nr_calls++;
}

static void be_context(void *opaque, struct vtd *v, int rid)
{
	struct t *t = opaque;

	(void)v;
	log_call(t, 'c', rid, 0, 0);
	t->since_flush++;
}

static void be_iotlb(void *opaque, struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	struct t *t = opaque;

	(void)v;
	log_call(t, 'i', did, iova, len);
	t->since_flush++;
}

static int be_flush(void *opaque, struct vtd *v)
{
	struct t *t = opaque;
	uint32_t st = 0;
	int n = (int)t->since_flush;

	(void)v;
	if (t->watch && gmem_read(&t->gm, t->watch, &st, 4) == 0 && st != 0)
		t->watch_early = true;
	log_call(t, 'f', n, 0, 0);
	t->since_flush = 0;
	return t->flush_ret < 0 ? t->flush_ret : n;
}

static struct vtd_backend_ops backend_ops = {
	.context_changed = be_context,
	.iotlb_invalidate = be_iotlb,
	.flush = be_flush,
};

static void wr(struct t *t, uint64_t off, uint64_t val, unsigned len)
{
	vtd_mmio_ops.write(t->v, off, &val, len);
}

static uint64_t rd(struct t *t, uint64_t off, unsigned len)
{
	uint64_t val = 0;

	vtd_mmio_ops.read(t->v, off, &val, len);
	return val;
}

static bool t_init(struct t *t, unsigned width, bool with_backend)
{
	char err[256];
	struct vtd_params p = { .index = 0, .addr_width = width, .bus = 0x80 };
	struct vtd_env env = { .msi = msi };
	int r;

	memset(t, 0, sizeof(*t));
	fake_vtd_reset();
	if (gmem_create(&t->gm, RAM, 0xc0000000ull) < 0) {
		check_ok(false);
		fprintf(stderr, "gmem_create failed\n");
		return false;
	}
	env.mem = &t->gm;
	env.opaque = t;
	backend_ops.opaque = t;
	p.backend = with_backend ? &backend_ops : NULL;
	r = vtd_create(&p, &env, &t->v, err, sizeof(err));
	CHECK_MSG(r == 0, "vtd_create: %s", err);
	if (r)
		return false;
	/* The fault and completion events go somewhere recognisable. */
	wr(t, VTD_FEADDR_REG, FE_ADDR, 4);
	wr(t, VTD_FEDATA_REG, FE_DATA, 4);
	wr(t, VTD_IEADDR_REG, IE_ADDR, 4);
	wr(t, VTD_IEDATA_REG, IE_DATA, 4);
	return true;
}

static void t_fini(struct t *t)
{
	vtd_destroy(t->v);
	gmem_destroy(&t->gm);
}

/* Queue at QBASE with 256-bit (dw) or 128-bit descriptors, enabled the way Linux does it. */
static void queue_on(struct t *t, bool dw, unsigned qs)
{
	t->dsz = dw ? 32 : 16;
	wr(t, VTD_IQT_REG, 0, 4);
	wr(t, VTD_IQA_REG, QBASE | (dw ? 1ull << 11 : 0) | qs, 8);
	wr(t, VTD_GCMD_REG, (rd(t, VTD_GSTS_REG, 4) & 1u << 31) | 1u << 26, 4);   /* TE kept, as Linux does */
}

static void put4(struct t *t, unsigned idx, uint64_t qw0, uint64_t qw1, uint64_t qw2, uint64_t qw3)
{
	uint64_t d[4] = { qw0, qw1, qw2, qw3 };

	if (gmem_write(&t->gm, QBASE + (uint64_t)idx * t->dsz, d, t->dsz))
		check_ok(false);
}

static void put(struct t *t, unsigned idx, uint64_t qw0, uint64_t qw1)
{
	put4(t, idx, qw0, qw1, 0, 0);
}

static void wait_desc(struct t *t, unsigned idx, gpa_t status, uint32_t data, bool iflag)
{
	put(t, idx, (uint64_t)data << 32 | 1u << 5 | (iflag ? 1u << 4 : 0) | 5, status);
}

static uint32_t status_at(struct t *t, gpa_t a)
{
	uint32_t v = 0;

	if (gmem_read(&t->gm, a, &v, 4))
		check_ok(false);
	return v;
}

/* Move the tail to descriptor index n and drain, as the engine would. */
static void submit(struct t *t, unsigned n)
{
	wr(t, VTD_IQT_REG, (uint64_t)n * t->dsz, 4);
	vtd_drain(t->v);
}

static unsigned head_idx(struct t *t)
{
	return (unsigned)(rd(t, VTD_IQH_REG, 8) / t->dsz);
}

static bool kick_pending(struct t *t)
{
	uint64_t n;

	return read(vtd_kick_fd(t->v), &n, sizeof(n)) == sizeof(n);
}

static unsigned count_calls(struct t *t, char kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->nr_calls && i < ARRAY_SIZE(t->calls); i++)
		n += t->calls[i].kind == kind;
	return n;
}

/* ---- registers ---- */

static void test_reset_values(void)
{
	struct t t;

	for (unsigned width = 48; width <= 57; width += 9) {
		if (!t_init(&t, width, false))
			return;
		uint64_t cap = rd(&t, VTD_CAP_REG, 8), ecap = rd(&t, VTD_ECAP_REG, 8);

		CHECK_EQ(rd(&t, 0x00, 4), 0x30);
		CHECK_EQ(cap & 7, 6);                          /* ND: 16-bit domain ids */
		CHECK(cap & 1ull << 7);                        /* CM */
		CHECK_EQ(cap >> 8 & 0x1f, 0);                  /* SAGAW: no second stage */
		CHECK_EQ((cap >> 16 & 0x3f) + 1, width);       /* MGAW */
		CHECK_EQ((cap >> 24 & 0x3ff) * 16, 0x220);     /* FRO */
		CHECK(cap & 1ull << 39);                       /* PSI */
		CHECK_EQ((cap >> 40 & 0xff) + 1, 8);           /* NFR */
		CHECK_EQ(cap >> 48 & 0x3f, 18);                /* MAMV */
		CHECK(cap & 1ull << 56);                       /* FL1GP */
		CHECK_EQ(!!(cap & 1ull << 60), width == 57);   /* FL5LP */
		CHECK_EQ(cap & (1ull << 4 | 1ull << 5 | 1ull << 6), 0);   /* no RWBF, PLMR, PHMR */
		CHECK_EQ(ecap & 0xf, 0x3);                     /* C, QI; no DT, IR */
		CHECK(ecap & 1ull << 6);                       /* PT */
		CHECK_EQ((ecap >> 8 & 0x3ff) * 16, 0x200);     /* IRO */
		CHECK(ecap & 1ull << 43);                      /* SMTS */
		CHECK(ecap & 1ull << 47);                      /* FLTS */
		CHECK(!(ecap & 1ull << 46));                   /* SLTS */
		CHECK(!(ecap & (1ull << 40 | 1ull << 29 | 1ull << 26)));   /* PASID, PRS, NEST */
		CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 0);
		CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 0);
		CHECK_EQ(rd(&t, VTD_FECTL_REG, 4), 0x80000000u);
		CHECK_EQ(rd(&t, VTD_IECTL_REG, 4), 0x80000000u);
		CHECK_EQ(rd(&t, VTD_IQH_REG, 8), 0);
		CHECK_EQ(rd(&t, VTD_IQA_REG, 8), 0);
		CHECK_EQ(rd(&t, VTD_RTADDR_REG, 8), 0);
		/* 32-bit halves of a 64-bit register, and sub-dword reads within one. */
		CHECK_EQ(rd(&t, VTD_CAP_REG, 4), (uint32_t)cap);
		CHECK_EQ(rd(&t, VTD_CAP_REG + 4, 4), cap >> 32);
		CHECK_EQ(rd(&t, VTD_CAP_REG + 1, 2), (cap >> 8) & 0xffff);
		/* FECTL and FEDATA as one quadword. */
		CHECK_EQ(rd(&t, VTD_FECTL_REG, 8), (uint64_t)FE_DATA << 32 | 0x80000000u);
		/* Read-only registers stay. */
		wr(&t, VTD_CAP_REG, 0, 8);
		wr(&t, VTD_ECAP_REG + 4, 0, 4);
		wr(&t, VTD_IQH_REG, 0x40, 8);
		CHECK_EQ(rd(&t, VTD_CAP_REG, 8), cap);
		CHECK_EQ(rd(&t, VTD_ECAP_REG, 8), ecap);
		CHECK_EQ(rd(&t, VTD_IQH_REG, 8), 0);
		/* Out of the page, straddling a quadword, odd sizes: nothing happens, reads are 0. */
		CHECK_EQ(rd(&t, VTD_REG_SIZE, 4), 0);
		CHECK_EQ(rd(&t, VTD_CAP_REG + 6, 4), 0);
		wr(&t, VTD_RTADDR_REG, 0x123456789000ull, 2);
		wr(&t, VTD_RTADDR_REG + 2, 0x1234, 4);
		CHECK_EQ(rd(&t, VTD_RTADDR_REG, 8), 0);
		t_fini(&t);
	}
}

static void test_gcmd(void)
{
	struct t t;

	if (!t_init(&t, 48, true))
		return;
	/* RTADDR keeps address and TTM, drops reserved bits; two 32-bit halves make one value. */
	wr(&t, VTD_RTADDR_REG, 0x5000 | 1u << 10 | 0x3ff, 4);
	wr(&t, VTD_RTADDR_REG + 4, 0x1, 4);
	CHECK_EQ(rd(&t, VTD_RTADDR_REG, 8), 0x100005000ull | 1u << 10);
	wr(&t, VTD_GCMD_REG, 1u << 30, 4);                  /* SRTP */
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 1u << 30);        /* RTPS */
	CHECK_EQ(rd(&t, VTD_GCMD_REG, 4), 0);               /* GCMD reads 0 */
	CHECK(kick_pending(&t));                            /* the backend hears of it on the drain */
	vtd_drain(t.v);
	CHECK_EQ(count_calls(&t, 'c'), 1);
	CHECK(t.nr_calls >= 1 && t.calls[0].kind == 'c' && t.calls[0].a == -1);
	CHECK_EQ(count_calls(&t, 'f'), 1);
	/* TE with the persistent bits: status follows; a second identical write changes nothing. */
	wr(&t, VTD_GCMD_REG, 1u << 31, 4);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 1u << 31 | 1u << 30);
	vtd_drain(t.v);
	CHECK_EQ(count_calls(&t, 'c'), 2);
	wr(&t, VTD_GCMD_REG, 1u << 31, 4);
	vtd_drain(t.v);
	CHECK_EQ(count_calls(&t, 'c'), 2);
	/* The translation state the device-state walk gets: the root latched by SRTP, TE. */
	struct vtd_dev_state st;
	wr(&t, VTD_RTADDR_REG, 0x9000, 8);                  /* not latched yet */
	vtd_device_state(t.v, 0x8008, &st);
	CHECK_EQ(fake_vtd.last_rtaddr, 0x100005000ull | 1u << 10);
	CHECK(fake_vtd.last_te);
	CHECK_EQ(st.mode, VTD_DEV_BLOCKED);
	/* Queue on and off; IQH resets. */
	queue_on(&t, true, 0);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 1u << 31 | 1u << 30 | 1u << 26);
	wr(&t, VTD_GCMD_REG, 1u << 31, 4);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 1u << 31 | 1u << 30);
	/* TE off: devices see GPAs. */
	wr(&t, VTD_GCMD_REG, 0, 4);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 1u << 30);
	vtd_device_state(t.v, 0x8008, &st);
	CHECK_EQ(st.mode, VTD_DEV_OFF);
	t_fini(&t);
}

static void test_register_invalidation(void)
{
	struct t t;

	if (!t_init(&t, 48, true))
		return;
	/* CCMD global: ICC clears at once, CAIG = global. */
	wr(&t, VTD_CCMD_REG, 1ull << 63 | 1ull << 61, 8);
	CHECK_EQ(rd(&t, VTD_CCMD_REG, 8) >> 59, 1u << 2 | 1);   /* CIRG 01, CAIG 01, ICC 0 */
	/* IOTLB domain-selective in two halves: the command fires with the high one. */
	wr(&t, VTD_IOTLB_REG, 0, 4);
	wr(&t, VTD_IOTLB_REG + 4, (1u << 31 | 2u << 28 | 7) , 4);
	CHECK_EQ(rd(&t, VTD_IOTLB_REG, 8) >> 57, (2u << 3) | 2);  /* IIRG 10, IAIG 10, IVT 0 */
	/* Page-selective with an AM beyond MAMV: IAIG 0 (refused). */
	wr(&t, VTD_IVA_REG, 0x40000000ull | 40, 8);
	wr(&t, VTD_IOTLB_REG, 1ull << 63 | 3ull << 60, 8);
	CHECK_EQ(rd(&t, VTD_IOTLB_REG, 8) >> 57 & 3, 0);
	vtd_drain(t.v);
	CHECK_EQ(count_calls(&t, 'c'), 1);
	CHECK_EQ(count_calls(&t, 'i'), 1);
	CHECK_EQ(count_calls(&t, 'f'), 1);
	t_fini(&t);
}

/* RWBF with a backend: each write-buffer flush reaches it, WBFS held until its flush returned. */
static void test_write_buffer_flush(void)
{
	struct t t;

	if (!t_init(&t, 48, true))
		return;
	CHECK(rd(&t, VTD_CAP_REG, 8) & 1u << 4);
	wr(&t, VTD_GCMD_REG, 1u << 27, 4);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 1u << 27);
	CHECK(kick_pending(&t));
	vtd_drain(t.v);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 0);
	CHECK_EQ(t.nr_calls, 2);
	CHECK(t.nr_calls == 2 && t.calls[0].kind == 'i' && t.calls[0].a == -1 && t.calls[1].kind == 'f');
	t_fini(&t);
	/* Without a backend there is nothing to flush: no RWBF, WBF ignored. */
	if (!t_init(&t, 48, false))
		return;
	CHECK(!(rd(&t, VTD_CAP_REG, 8) & 1u << 4));
	wr(&t, VTD_GCMD_REG, 1u << 27, 4);
	CHECK_EQ(rd(&t, VTD_GSTS_REG, 4), 0);
	t_fini(&t);
}

/* ---- the queue ---- */

static void test_descriptor_types(void)
{
	struct t t;
	unsigned i = 0;

	if (!t_init(&t, 48, true))
		return;
	queue_on(&t, true, 0);
	put(&t, i++, 1u << 4 | 1, 0);                                    /* cc global */
	put(&t, i++, 5ull << 16 | 2u << 4 | 1, 0);                       /* cc domain 5 */
	put(&t, i++, 2ull << 48 | 0x8011ull << 32 | 3u << 4 | 1, 0);     /* cc device 80:02.1, FM 10 */
	put(&t, i++, 1u << 4 | 2, 0);                                    /* iotlb global */
	put(&t, i++, 9ull << 16 | 2u << 4 | 2, 0);                       /* iotlb domain 9 */
	put(&t, i++, 9ull << 16 | 3u << 4 | 2 | 3u << 6, 0x12345000ull | 2);  /* PSI, 4 pages, DR/DW */
	put(&t, i++, 3, 0x1000);                                         /* device-TLB: no-op */
	put(&t, i++, 4, 0);                                              /* IEC: no-op */
	put(&t, i++, 7ull << 32 | 9ull << 16 | 2u << 4 | 6, 0);          /* P_IOTLB all in PASID 7 */
	put(&t, i++, 9ull << 16 | 3u << 4 | 6, 0x40000000ull | 1u << 6 | 9);  /* P_IOTLB PSI 2 MiB, IH */
	put(&t, i++, 3ull << 16 | 0u << 4 | 7, 0);                       /* PC domain 3 */
	put(&t, i++, 1ull << 32 | 3ull << 16 | 1u << 4 | 7, 0);          /* PC PASID 1 in domain 3 */
	put(&t, i++, 3u << 4 | 7, 0);                                    /* PC global */
	put(&t, i++, 8, 0);                                              /* PASID device-TLB: no-op */
	put(&t, i++, 5 | 1u << 6, 0);                                    /* wait, fence only */
	wait_desc(&t, i++, STATUS, 0xabcd, false);
	submit(&t, i);
	CHECK_EQ(head_idx(&t), i);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 0);
	CHECK_EQ(status_at(&t, STATUS), 0xabcd);

	static const struct call want[] = {
		{ 'c', -1, 0, 0 },
		{ 'c', -1, 0, 0 },
		{ 'c', 0x8011, 0, 0 }, { 'c', 0x8013, 0, 0 }, { 'c', 0x8015, 0, 0 }, { 'c', 0x8017, 0, 0 },
		{ 'i', -1, 0, 0 },
		{ 'i', 9, 0, 0 },
		{ 'i', 9, 0x12345000ull & ~0x3fffull, 0x4000 },
		{ 'i', 9, 0, 0 },
		{ 'i', 9, 0x40000000ull, 0x200000 },
		{ 'c', -1, 0, 0 }, { 'c', -1, 0, 0 }, { 'c', -1, 0, 0 },
		{ 'f', 14, 0, 0 },
	};
	CHECK_EQ(t.nr_calls, ARRAY_SIZE(want));
	for (unsigned k = 0; k < ARRAY_SIZE(want) && k < t.nr_calls; k++) {
		const struct call *c = &t.calls[k];

		CHECK_MSG(c->kind == want[k].kind && c->a == want[k].a && c->iova == want[k].iova &&
				  c->len == want[k].len,
			  "call %u: %c %d %#llx+%#llx, want %c %d %#llx+%#llx", k, c->kind, c->a,
			  (unsigned long long)c->iova, (unsigned long long)c->len, want[k].kind, want[k].a,
			  (unsigned long long)want[k].iova, (unsigned long long)want[k].len);
	}
	struct vtd_stats s;
	vtd_get_stats(t.v, &s);
	CHECK_EQ(s.descriptors, i);
	CHECK_EQ(s.waits, 2);
	CHECK_EQ(s.drains, 1);
	CHECK_EQ(s.host_calls, 14);
	CHECK_EQ(s.iqe, 0);
	t_fini(&t);
}

/* One garbage descriptor at index 2 behind two good ones; the guest's recovery as Linux does it. */
static void iqe_case(uint64_t qw0, uint64_t qw1, uint64_t qw2, const char *what)
{
	struct t t;

	if (!t_init(&t, 48, true))
		return;
	queue_on(&t, true, 0);
	wr(&t, VTD_FECTL_REG, 0, 4);                   /* fault event unmasked */
	put(&t, 0, 1u << 4 | 2, 0);
	put(&t, 1, 9ull << 16 | 2u << 4 | 2, 0);
	put4(&t, 2, qw0, qw1, qw2, 0);
	wait_desc(&t, 3, STATUS, 1, false);
	submit(&t, 4);
	CHECK_MSG(rd(&t, VTD_FSTS_REG, 4) == 1u << 4, "%s: FSTS %#llx", what,
		  (unsigned long long)rd(&t, VTD_FSTS_REG, 4));
	CHECK_MSG(head_idx(&t) == 2, "%s: head %u", what, head_idx(&t));
	CHECK_MSG(t.nr_msi == 1 && t.msi_addr[0] == FE_ADDR && t.msi_data[0] == FE_DATA, "%s: %u MSIs", what,
		  t.nr_msi);
	CHECK_EQ(count_calls(&t, 'i'), 2);             /* the two before it were applied */
	CHECK_EQ(count_calls(&t, 'f'), 1);             /* and flushed at the end of the drain */
	CHECK_EQ(status_at(&t, STATUS), 0);
	/* Stays stopped until IQE is cleared. */
	vtd_drain(t.v);
	CHECK_EQ(head_idx(&t), 2);
	/* Linux copies its wait descriptor over the bad one and clears IQE; the queue resumes there. */
	wait_desc(&t, 2, STATUS + 4, 7, false);
	(void)kick_pending(&t);
	wr(&t, VTD_FSTS_REG, 1u << 4, 4);
	CHECK(kick_pending(&t));
	CHECK_EQ(rd(&t, VTD_FECTL_REG, 4) & (1u << 30), 0);
	vtd_drain(t.v);
	CHECK_EQ(head_idx(&t), 4);
	CHECK_EQ(status_at(&t, STATUS + 4), 7);
	CHECK_EQ(status_at(&t, STATUS), 1);
	struct vtd_stats s;
	vtd_get_stats(t.v, &s);
	CHECK_EQ(s.iqe, 1);
	t_fini(&t);
}

static void test_iqe(void)
{
	iqe_case(0, 0, 0, "type 0");
	iqe_case(9, 0, 0, "page group response");
	iqe_case(0xf, 0, 0, "type 15");
	iqe_case(1u << 9 | 2 | 1u << 4, 0, 0, "type bits 6:4");
	iqe_case(1, 0, 0, "cc granularity 00");
	iqe_case(1u << 4 | 1 | 1ull << 50, 0, 0, "cc reserved qw0");
	iqe_case(1u << 4 | 1, 1, 0, "cc reserved qw1");
	iqe_case(1u << 4 | 2, 0, 1, "iotlb reserved qw2");
	iqe_case(2, 0, 0, "iotlb granularity 00");
	iqe_case(3u << 4 | 2, 0x1000 | 19, 0, "iotlb AM beyond MAMV");
	iqe_case(3u << 4 | 2, 0x1000 | 1u << 7, 0, "iotlb reserved qw1");
	iqe_case(1u << 4 | 6, 0, 0, "p_iotlb granularity 01");
	iqe_case(2u << 4 | 7, 0, 0, "pc granularity 10");
	iqe_case(7 | 1ull << 60, 0, 0, "pc reserved qw0");
	iqe_case(5 | 1u << 5, STATUS | 1, 0, "wait address bits 1:0");
	iqe_case(5 | 1u << 5, RAM + 0x1000, 0, "wait status outside RAM");
	iqe_case(5 | 1u << 12, 0, 0, "wait reserved qw0");
	iqe_case(3, 0, 5, "device-TLB qw2");
}

static void test_iqe_queue(void)
{
	struct t t;

	if (!t_init(&t, 48, true))
		return;
	/* IQT inside a 256-bit descriptor. */
	queue_on(&t, true, 0);
	wr(&t, VTD_IQT_REG, 0x30, 4);
	vtd_drain(t.v);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 4);
	CHECK_EQ(t.nr_msi, 0);                         /* FECTL still masked: pending instead */
	CHECK_EQ(rd(&t, VTD_FECTL_REG, 4), 1u << 31 | 1u << 30);
	wr(&t, VTD_FECTL_REG, 0, 4);                   /* unmasking delivers it */
	CHECK_EQ(t.nr_msi, 1);
	CHECK_EQ(rd(&t, VTD_FECTL_REG, 4), 0);
	/* A tail beyond the queue (QS 0: 4 KiB). */
	wr(&t, VTD_IQT_REG, 0x1000, 4);
	wr(&t, VTD_FSTS_REG, 1u << 4, 4);
	vtd_drain(t.v);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 4);
	CHECK_EQ(t.nr_msi, 2);
	/* A queue outside guest RAM. */
	wr(&t, VTD_GCMD_REG, 0, 4);
	wr(&t, VTD_IQT_REG, 0, 4);
	wr(&t, VTD_IQA_REG, RAM | 1u << 11, 8);
	wr(&t, VTD_GCMD_REG, 1u << 26, 4);
	wr(&t, VTD_FSTS_REG, 1u << 4, 4);
	wr(&t, VTD_IQT_REG, 0x20, 4);
	vtd_drain(t.v);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 4);
	CHECK_EQ(head_idx(&t), 0);
	struct vtd_stats s;
	vtd_get_stats(t.v, &s);
	CHECK_EQ(s.iqe, 3);
	t_fini(&t);
}

static void test_wait_interrupt(void)
{
	struct t t;

	if (!t_init(&t, 48, false))
		return;
	queue_on(&t, true, 1);
	wr(&t, VTD_IECTL_REG, 0, 4);                   /* completion event unmasked */
	put(&t, 0, 5 | 1u << 4, 0);                    /* IF only */
	submit(&t, 1);
	CHECK_EQ(t.nr_msi, 1);
	CHECK(t.nr_msi >= 1 && t.msi_addr[0] == IE_ADDR && t.msi_data[0] == IE_DATA);
	CHECK_EQ(rd(&t, VTD_ICS_REG, 4), 1);           /* IWC */
	/* IWC still set: no new interrupt. */
	put(&t, 1, 5 | 1u << 4, 0);
	submit(&t, 2);
	CHECK_EQ(t.nr_msi, 1);
	/* Cleared: the next one interrupts. */
	wr(&t, VTD_ICS_REG, 1, 4);
	CHECK_EQ(rd(&t, VTD_ICS_REG, 4), 0);
	put(&t, 2, 5 | 1u << 4, 0);
	submit(&t, 3);
	CHECK_EQ(t.nr_msi, 2);
	/* Masked: IP instead, delivered when unmasked; clearing IWC clears a pending IP. */
	wr(&t, VTD_ICS_REG, 1, 4);
	wr(&t, VTD_IECTL_REG, 1u << 31, 4);
	wait_desc(&t, 3, STATUS, 0x55, true);
	submit(&t, 4);
	CHECK_EQ(t.nr_msi, 2);
	CHECK_EQ(status_at(&t, STATUS), 0x55);
	CHECK_EQ(rd(&t, VTD_IECTL_REG, 4), 1u << 31 | 1u << 30);
	wr(&t, VTD_IECTL_REG, 0, 4);
	CHECK_EQ(t.nr_msi, 3);
	CHECK_EQ(rd(&t, VTD_IECTL_REG, 4), 0);
	wr(&t, VTD_ICS_REG, 1, 4);
	wr(&t, VTD_IECTL_REG, 1u << 31, 4);
	put(&t, 4, 5 | 1u << 4, 0);
	submit(&t, 5);
	wr(&t, VTD_ICS_REG, 1, 4);
	CHECK_EQ(rd(&t, VTD_IECTL_REG, 4), 1u << 31);
	wr(&t, VTD_IECTL_REG, 0, 4);
	CHECK_EQ(t.nr_msi, 3);
	/* The queue wraps: QS 1 is 8 KiB, 256 descriptors of 32 bytes. */
	for (unsigned k = 5; k < 256 + 10; k++) {
		wait_desc(&t, k % 256, STATUS + 8, k, false);
		submit(&t, (k + 1) % 256);
		if (status_at(&t, STATUS + 8) != k)
			break;
	}
	CHECK_EQ(status_at(&t, STATUS + 8), 256 + 9);
	CHECK_EQ(head_idx(&t), (256 + 10) % 256);
	t_fini(&t);
}

static void test_dw0(void)
{
	struct t t;

	if (!t_init(&t, 48, true))
		return;
	queue_on(&t, false, 0);                        /* 128-bit descriptors */
	put(&t, 0, 4ull << 16 | 3u << 4 | 2, 0x7000);
	wait_desc(&t, 1, STATUS, 3, false);
	submit(&t, 2);
	CHECK_EQ(rd(&t, VTD_IQH_REG, 8), 0x20);
	CHECK_EQ(status_at(&t, STATUS), 3);
	CHECK_EQ(count_calls(&t, 'i'), 1);
	CHECK(t.nr_calls >= 1 && t.calls[0].a == 4 && t.calls[0].iova == 0x7000 && t.calls[0].len == 0x1000);
	t_fini(&t);
}

/* Linux's strict unmap: batches of invalidations, each ended by a wait it polls. */
static void test_flush_batching(void)
{
	struct t t;
	unsigned i = 0;

	if (!t_init(&t, 48, true))
		return;
	queue_on(&t, true, 1);
	for (unsigned k = 0; k < 100; k++)
		put(&t, i++, 9ull << 16 | 3u << 4 | 6, 0x100000ull * k);
	wait_desc(&t, i++, STATUS, 1, false);
	t.watch = STATUS;
	submit(&t, i);
	CHECK_EQ(count_calls(&t, 'i'), 100);
	CHECK_EQ(count_calls(&t, 'f'), 1);             /* once, before the wait; none at the end */
	CHECK(!t.watch_early);
	CHECK_EQ(status_at(&t, STATUS), 1);
	/* Two batches in one drain: one flush before each wait. */
	t.nr_calls = 0;
	t.watch = 0;
	for (unsigned b = 0; b < 2; b++) {
		for (unsigned k = 0; k < 5; k++)
			put(&t, i++, 9ull << 16 | 2u << 4 | 2, 0);
		wait_desc(&t, i++, STATUS + 4 + 4 * b, 1, false);
	}
	submit(&t, i);
	CHECK_EQ(count_calls(&t, 'f'), 2);
	/* Descriptors without a wait: flushed once at the end of the drain. */
	t.nr_calls = 0;
	for (unsigned k = 0; k < 20; k++)
		put(&t, i++, 1u << 4 | 2, 0);
	submit(&t, i);
	CHECK_EQ(count_calls(&t, 'f'), 1);
	CHECK(t.nr_calls > 0 && t.calls[t.nr_calls - 1].kind == 'f');
	/* Waits only: nothing to flush. */
	t.nr_calls = 0;
	wait_desc(&t, i++, STATUS, 2, false);
	wait_desc(&t, i++, STATUS, 3, false);
	submit(&t, i);
	CHECK_EQ(t.nr_calls, 0);
	CHECK_EQ(status_at(&t, STATUS), 3);
	/* A failing backend: the wait still completes (the guest has no error to see). */
	t.flush_ret = -EIO;
	put(&t, i++, 1u << 4 | 2, 0);
	wait_desc(&t, i++, STATUS, 4, false);
	submit(&t, i);
	CHECK_EQ(status_at(&t, STATUS), 4);
	struct vtd_stats s;
	vtd_get_stats(t.v, &s);
	CHECK_EQ(s.host_calls, 100 + 10 + 20);
	CHECK_EQ(s.waits, 1 + 2 + 2 + 1);
	CHECK_EQ(s.drains, 5);
	t_fini(&t);
}

/* ---- faults and translation ---- */

static void test_fault_recording(void)
{
	struct t t;
	gpa_t gpa;
	uint64_t contig;

	if (!t_init(&t, 48, false))
		return;
	wr(&t, VTD_FECTL_REG, 0, 4);
	wr(&t, VTD_GCMD_REG, 1u << 31, 4);             /* TE; rid 0x8010 has no context: blocked */
	CHECK_EQ(vtd_translate(t.v, 0x8010, 0x12345678, 8, false, &gpa, &contig), -EFAULT);
	CHECK_EQ(rd(&t, 0x220, 8), 0x12345000);
	CHECK_EQ(rd(&t, 0x228, 8), 1ull << 63 | 1ull << 62 | 0x41ull << 32 | 0x8010);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 1);    /* PPF, FRI 0 */
	CHECK_EQ(t.nr_msi, 1);
	CHECK(t.nr_msi >= 1 && t.msi_addr[0] == FE_ADDR && t.msi_data[0] == FE_DATA);
	/* The other seven records fill without further interrupts; a write fault has T clear. */
	for (unsigned k = 1; k < 8; k++)
		CHECK(vtd_translate(t.v, 0x8010, 0x1000ull * k, 8, true, &gpa, &contig) == -EFAULT);
	CHECK_EQ(t.nr_msi, 1);
	CHECK_EQ(rd(&t, 0x220 + 16 * 7 + 8, 8), 1ull << 63 | 0x41ull << 32 | 0x8010);
	/* The ninth overflows (PFO); more are dropped. */
	CHECK(vtd_translate(t.v, 0x8010, 0x9000, 8, true, &gpa, &contig) == -EFAULT);
	CHECK(vtd_translate(t.v, 0x8010, 0xa000, 8, true, &gpa, &contig) == -EFAULT);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 1 | 1u << 0);
	CHECK_EQ(rd(&t, 0x220, 8), 0x12345000);
	/* The guest's handler: clear F of each from FRI (the dword at +12, as Linux writes it). */
	wr(&t, 0x220 + 12, 1u << 31, 4);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 1 | 1u << 0 | 1u << 8);   /* FRI moves to 1 */
	for (unsigned k = 1; k < 8; k++)
		wr(&t, 0x220 + 16 * k + 8, 1ull << 63, 8);
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 1u << 0);
	wr(&t, VTD_FSTS_REG, 1u << 0 | 1u << 1, 4);    /* PFO is write-1-to-clear; PPF read-only */
	CHECK_EQ(rd(&t, VTD_FSTS_REG, 4), 0);
	CHECK_EQ(rd(&t, VTD_FECTL_REG, 4), 0);
	/* The next fault interrupts again, in the next record (0 after the wrap). */
	CHECK(vtd_translate(t.v, 0x8010, 0xb000, 8, false, &gpa, &contig) == -EFAULT);
	CHECK_EQ(t.nr_msi, 2);
	CHECK_EQ(rd(&t, 0x220, 8), 0xb000);
	/* Masked: FECTL.IP until the status is serviced, which clears it without an interrupt. */
	wr(&t, VTD_FECTL_REG, 1u << 31, 4);
	wr(&t, 0x220 + 12, 1u << 31, 4);
	CHECK(vtd_translate(t.v, 0x8010, 0xc000, 8, false, &gpa, &contig) == -EFAULT);
	CHECK_EQ(rd(&t, VTD_FECTL_REG, 4), 1u << 31 | 1u << 30);
	wr(&t, 0x220 + 16 + 12, 1u << 31, 4);
	CHECK_EQ(rd(&t, VTD_FECTL_REG, 4), 1u << 31);
	wr(&t, VTD_FECTL_REG, 0, 4);
	CHECK_EQ(t.nr_msi, 2);
	struct vtd_stats s;
	vtd_get_stats(t.v, &s);
	CHECK_EQ(s.faults, 12);
	t_fini(&t);
}

static const struct vtd_dev_state dev_fs = { .mode = VTD_DEV_FIRST_STAGE, .did = 9, .fs_root = 0x3000, .levels = 4 };

/* Modes, IOTLB hits, leaf sizes and faults from the walker; leaves the unit translating. */
static void translate_basics(struct t *t)
{
	gpa_t gpa = 0;
	uint64_t contig = 0;
	struct vtd_dev_state pt = { .mode = VTD_DEV_PASSTHROUGH, .did = 2 };

	/* Translation off: GPAs. */
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x123456, 0x100000, true, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x123456);
	CHECK_EQ(contig, 0x100000);
	CHECK_EQ(fake_vtd.state_calls, 0);
	fake_vtd_set_dev(0x8010, &dev_fs);
	fake_vtd_set_dev(0x8018, &pt);
	fake_vtd_map(0x3000, 0x10000, 0x1000, 0x500000, true);
	fake_vtd_map(0x3000, 0x11000, 0x1000, 0x700000, false);
	fake_vtd_map(0x3000, 0x40000000, 0x200000, 0x800000, true);
	queue_on(t, true, 0);
	wr(t, VTD_GCMD_REG, 1u << 31 | 1u << 26, 4);
	CHECK_EQ(vtd_translate(t->v, 0x8018, 0xfff000, 0x3000, true, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0xfff000);
	CHECK_EQ(contig, 0x3000);
	/* First stage: offsets kept, contig stops at the leaf's end; a second access hits the IOTLB. */
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x10ff0, 0x100, false, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x500ff0);
	CHECK_EQ(contig, 0x10);
	unsigned lookups = fake_vtd.lookup_calls, states = fake_vtd.state_calls;
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x10008, 8, true, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x500008);
	CHECK_EQ(fake_vtd.lookup_calls, lookups);
	CHECK_EQ(fake_vtd.state_calls, states);
	/* A 2 MiB leaf is one entry for all its pages. */
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40001000, 0x10000, false, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x801000);
	CHECK_EQ(contig, 0x10000);
	lookups = fake_vtd.lookup_calls;
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x401ff000, 0x2000, true, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x9ff000);
	CHECK_EQ(contig, 0x1000);
	CHECK_EQ(fake_vtd.lookup_calls, lookups);
	/* Read-only page: reads fine, a write faults with the walker's reason. */
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x11000, 4, false, &gpa, &contig), 0);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x11000, 4, true, &gpa, &contig), -EFAULT);
	CHECK_EQ(rd(t, 0x228, 8) >> 32 & 0xff, FAKE_FR_WRITE);
	/* Not mapped. */
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x20000, 4, false, &gpa, &contig), -EFAULT);
	CHECK_EQ(rd(t, 0x238, 8) >> 32 & 0xff, FAKE_FR_NOT_PRESENT);
}

/* Each invalidation drops what it covers, and only that. */
static void translate_invalidation(struct t *t)
{
	gpa_t gpa = 0;
	uint64_t contig = 0;
	unsigned lookups;

	/* The guest remaps 0x10000 and invalidates that page: the next access walks again. */
	fake_vtd_unmap(0x3000, 0x10000);
	fake_vtd_map(0x3000, 0x10000, 0x1000, 0x600000, true);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x10000, 4, false, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x500000);                       /* stale until invalidated, as on hardware */
	put(t, 0, 9ull << 16 | 3u << 4 | 6, 0x10000);
	submit(t, 1);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x10000, 4, false, &gpa, &contig), 0);
	CHECK_EQ(gpa, 0x600000);
	/* A PSI for another domain, or another page, leaves it cached. */
	fake_vtd_unmap(0x3000, 0x10000);
	put(t, 1, 8ull << 16 | 3u << 4 | 2, 0x10000);
	put(t, 2, 9ull << 16 | 3u << 4 | 2, 0x12000);
	submit(t, 3);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x10000, 4, false, &gpa, &contig), 0);
	/* Domain-selective drops it; the 2 MiB leaf goes with a PSI inside it. */
	put(t, 3, 9ull << 16 | 2u << 4 | 2, 0);
	put(t, 4, 9ull << 16 | 3u << 4 | 2, 0x40100000);
	submit(t, 5);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x10000, 4, false, &gpa, &contig), -EFAULT);
	lookups = fake_vtd.lookup_calls;
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), 0);
	CHECK_EQ(fake_vtd.lookup_calls, lookups + 1);
	/* A large page-selective range (beyond the probe limit) and the global one. */
	lookups = fake_vtd.lookup_calls;
	put(t, 5, 9ull << 16 | 3u << 4 | 2, 0x40000000 | 12);
	submit(t, 6);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), 0);
	CHECK_EQ(fake_vtd.lookup_calls, lookups + 1);
	put(t, 6, 1u << 4 | 2, 0);
	submit(t, 7);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), 0);
	CHECK_EQ(fake_vtd.lookup_calls, lookups + 2);

	/* The device is detached (blocked) without an invalidation: still cached ... */
	struct vtd_dev_state blocked = { .mode = VTD_DEV_BLOCKED, .fault_reason = 0x59 };
	fake_vtd_set_dev(0x8010, &blocked);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), 0);
	/* ... a context invalidation of another device leaves it, the device's own (FM) drops it. */
	put(t, 7, 0x8018ull << 32 | 3u << 4 | 1, 0);
	submit(t, 8);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), 0);
	put(t, 8, 3ull << 48 | 0x8017ull << 32 | 3u << 4 | 1, 0);
	submit(t, 9);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), -EFAULT);
	CHECK_EQ(rd(t, 0x258, 8) >> 32 & 0xff, 0x59);
	/* Attached again; a PASID-cache invalidation brings it back. */
	fake_vtd_set_dev(0x8010, &dev_fs);
	put(t, 9, 9ull << 16 | 0u << 4 | 7, 0);
	submit(t, 10);
	CHECK_EQ(vtd_translate(t->v, 0x8010, 0x40000000, 4, false, &gpa, &contig), 0);
	struct vtd_stats s;
	vtd_get_stats(t->v, &s);
	CHECK(s.iotlb_hits >= 5);
	CHECK(s.iotlb_misses >= 8);
}

static void test_translate(void)
{
	struct t t;

	if (!t_init(&t, 48, false))
		return;
	translate_basics(&t);
	translate_invalidation(&t);
	t_fini(&t);
}

static int walk_fn(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable)
{
	unsigned *n = opaque;

	(void)iova, (void)gpa, (void)size, (void)writable;
	return ++*n == 2 ? 42 : 0;
}

static void test_walk_and_create(void)
{
	struct t t;
	unsigned n = 0;
	struct vtd_dev_state fs = { .mode = VTD_DEV_FIRST_STAGE, .did = 1, .fs_root = 0x4000, .levels = 4 };
	char err[256] = "";
	struct vtd *v = NULL;
	struct vtd_params p = { .addr_width = 39 };
	struct vtd_env env = { 0 };

	if (!t_init(&t, 48, false))
		return;
	fake_vtd_map(0x4000, 0x1000, 0x1000, 0x5000, true);
	fake_vtd_map(0x4000, 0x2000, 0x1000, 0x9000, true);
	fake_vtd_map(0x4000, 0x3000, 0x1000, 0xa000, true);
	CHECK_EQ(vtd_walk(t.v, &fs, 0, 0x10000, walk_fn, &n), 42);
	CHECK_EQ(n, 2);
	env.mem = &t.gm;
	CHECK_EQ(vtd_create(&p, &env, &v, err, sizeof(err)), -EINVAL);
	CHECK_MSG(strstr(err, "address width 39") != NULL, "message: %s", err);
	CHECK(v == NULL);
	t_fini(&t);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_reset_values();
	test_gcmd();
	test_register_invalidation();
	test_write_buffer_flush();
	test_descriptor_types();
	test_iqe();
	test_iqe_queue();
	test_wait_interrupt();
	test_dw0();
	test_flush_batching();
	test_fault_recording();
	test_translate();
	test_walk_and_create();
	return check_summary("vtd");
}
