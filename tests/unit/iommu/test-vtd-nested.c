// SPDX-License-Identifier: Apache-2.0
/*
 * The vVT-d nested backend (iommu/vtd_nested.c) under the real vVT-d
 * model and table walker, over the fake iommufd, driven through the
 * registers and the invalidation queue as Linux drives them: first-stage
 * PASID entries become IOMMU_HWPT_DATA_VTD_S1 nested HWPTs on the stage-2
 * (shared by devices with the same tables), pass-through and translation
 * off the stage-2, a missing entry blocked; each descriptor type's
 * invalidation entries, ONE IOMMU_HWPT_INVALIDATE per nested HWPT per
 * batch; a host failure at entry k = IQE at that entry's descriptor (the
 * wait not completed; Linux's recovery then goes on); the selftest
 * flavour's data; capabilities masked by the host's; fail-nth over a
 * device's move to its nested HWPT; teardown.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <string.h>

#include "../check.h"
#include "fake-iommufd.h"
#include "iommu.h"
#include "vtd-priv.h"

#define RAM (8ull << 20)
#define QBASE 0x1000ull
#define ROOT 0x2000ull
#define CTX 0x3000ull
#define STATUS 0xf000ull
#define PML4_A 0x10000ull
#define PML4_B 0x11000ull
#define QLEN 128u            /* 4 KiB of 32-byte descriptors */

static struct gmem gm;
static unsigned qi_tail;

struct world {
	int fd;
	uint32_t ioas, s2, dev[2];
	struct vtd *v;
	struct vtd_nested *n;
};

static const uint16_t rids[2] = { 0x10, 0x18 };

static void put64(gpa_t a, uint64_t v)
{
	if (gmem_write(&gm, a, &v, 8))
		check_ok(false);
}

static uint32_t get32(gpa_t a)
{
	uint32_t v = 0;

	if (gmem_read(&gm, a, &v, 4))
		check_ok(false);
	return v;
}

static void wr(struct vtd *v, uint64_t off, uint64_t val, unsigned len)
{
	vtd_mmio_ops.write(v, off, &val, len);
}

static uint64_t rd(struct vtd *v, uint64_t off)
{
	uint64_t val = 0;

	vtd_mmio_ops.read(v, off, &val, off % 8 ? 4 : 8);
	return val;
}

/* Descriptors (qw0, qw1 pairs) and a wait writing `tag` to STATUS, as one submission; drained. */
static void qis(struct vtd *v, const uint64_t (*d)[2], unsigned n, uint32_t tag)
{
	for (unsigned i = 0; i <= n; i++) {
		uint64_t e[4] = { 0 };

		if (i < n) {
			e[0] = d[i][0];
			e[1] = d[i][1];
		} else {
			e[0] = (uint64_t)tag << 32 | 1u << 5 | 5;
			e[1] = STATUS;
		}
		if (gmem_write(&gm, QBASE + qi_tail * 32, e, 32))
			check_ok(false);
		qi_tail = (qi_tail + 1) % QLEN;
	}
	wr(v, VTD_IQT_REG, qi_tail * 32, 4);
	vtd_drain(v);
}

#define PC_GLOBAL { 3u << 4 | 7, 0 }
#define IOTLB_GLOBAL { 1u << 4 | 2, 0 }
#define IOTLB_DSI(did) { (uint64_t)(did) << 16 | 2u << 4 | 2, 0 }
#define IOTLB_PSI(did, a, am) { (uint64_t)(did) << 16 | 3u << 4 | 2, (a) | (am) }
#define PIOTLB_PSI(did, a, am) { (uint64_t)(did) << 16 | 3u << 4 | 6, (a) | (am) }
#define PIOTLB_ALL(did) { (uint64_t)(did) << 16 | 2u << 4 | 6, 0 }

enum { PE_NONE, PE_PT, PE_FS };

/* Device i's PASID table entry 0 (RID_PASID). */
static void pasid(unsigned i, int kind, uint16_t did, gpa_t root)
{
	gpa_t tbl = 0x5000 + i * 0x2000;

	put64(tbl, kind == PE_NONE ? 0 : kind == PE_FS ? 1 | 1ull << 6 : 1 | 4ull << 6);
	put64(tbl + 8, did);
	put64(tbl + 16, kind == PE_FS ? root : 0);
}

static int at_attach(void *o, uint32_t pt)
{
	return fake_attach(*(uint32_t *)o, pt);
}

static int at_detach(void *o)
{
	return fake_detach(*(uint32_t *)o);
}

/* The plan's part (a stage-2, both devices on it), the backend, the unit, Linux's bring-up. */
static void world(struct world *w, bool selftest, bool te)
{
	struct vtd_env env = { .mem = &gm };
	char err[256];

	memset(gm.host, 0, RAM);
	qi_tail = 0;
	fake_reset();
	memset(w, 0, sizeof(*w));
	int inst = fake_add_inst("dmar0", selftest ? IOMMU_HWTYPE_SELFTEST : IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 0);
	w->fd = fake_sys.open(NULL, "/dev/iommu");
	w->ioas = fake_ioas();
	for (unsigned i = 0; i < 2; i++) {
		w->dev[i] = fake_device(inst);
		CHECK(fake_attach(w->dev[i], w->ioas) == 0);
	}
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = w->dev[0],
				      .pt_id = w->ioas };
	CHECK(fake_sys.ioctl(NULL, w->fd, IOMMU_HWPT_ALLOC, &a) == 0);
	w->s2 = a.out_hwpt_id;
	struct vtd_nested_params np = { &fake_sys, w->fd, w->s2, selftest };
	CHECK(vtd_nested_create(&np, &w->n, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < 2; i++) {
		struct iommu_attach_ops at = { at_attach, at_detach, &w->dev[i] };

		CHECK(fake_attach(w->dev[i], w->s2) == 0);
		CHECK(vtd_nested_add_device(w->n, rids[i], w->dev[i], &at, err, sizeof(err)) == 0);
	}
	struct vtd_params p = { .addr_width = 48, .backend = vtd_nested_backend(w->n), .nested = true,
				.host_cap = ~0ull, .host_ecap = ~0ull };
	CHECK(vtd_create(&p, &env, &w->v, err, sizeof(err)) == 0);
	/* Root -> context entries of devfn 0x10 and 0x18 -> PASID directory -> PASID table. */
	put64(ROOT, CTX | 1);
	for (unsigned i = 0; i < 2; i++) {
		put64(CTX + rids[i] * 32, (0x4000 + i * 0x2000) | 1);
		put64(0x4000 + i * 0x2000, (0x5000 + i * 0x2000) | 1);
		pasid(i, PE_PT, 1, 0);
	}
	wr(w->v, VTD_IQT_REG, 0, 4);
	wr(w->v, VTD_IQA_REG, QBASE | VTD_IQA_DW, 8);
	wr(w->v, VTD_GCMD_REG, VTD_GCMD_QIE, 4);
	wr(w->v, VTD_RTADDR_REG, ROOT | 1u << 10, 8);
	wr(w->v, VTD_GCMD_REG, VTD_GCMD_QIE | VTD_GCMD_SRTP, 4);
	if (te)
		wr(w->v, VTD_GCMD_REG, VTD_GCMD_QIE | VTD_GCMD_TE, 4);
	vtd_drain(w->v);
}

static void unworld(struct world *w)
{
	vtd_destroy(w->v);
	vtd_nested_destroy(w->n);
	fake_sys.close(NULL, w->fd);
}

/* The nested HWPT device i is on, with its VTD_S1 data; 0 if on something else. */
static uint32_t nested_of(const struct world *w, unsigned i, struct iommu_hwpt_vtd_s1 *data)
{
	uint32_t id = fake_attached(w->dev[i]);
	const struct fake_obj *o = fake_obj(id);

	if (!o || o->kind != FK_NESTED || o->holds != w->s2)
		return 0;
	if (data)
		memcpy(data, o->data, o->data_len < sizeof(*data) ? o->data_len : sizeof(*data));
	return id;
}

static void test_modes(void)
{
	struct world w;
	struct iommu_hwpt_vtd_s1 d;
	const uint64_t pc[][2] = { PC_GLOBAL };

	world(&w, false, true);
	CHECK_EQ(fake_attached(w.dev[0]), w.s2);         /* pass-through: the stage-2 */
	pasid(0, PE_FS, 5, PML4_A);
	qis(w.v, pc, 1, 1);
	CHECK_EQ(get32(STATUS), 1);
	uint32_t h = nested_of(&w, 0, &d);
	CHECK(h != 0);
	CHECK(d.pgtbl_addr == PML4_A && d.addr_width == 48 && d.flags == 0);
	CHECK_EQ(fake_attached(w.dev[1]), w.s2);

	/* Device B on the same tables shares the HWPT; on other tables (WPE too) gets its own. */
	pasid(1, PE_FS, 5, PML4_A);
	qis(w.v, pc, 1, 2);
	CHECK_EQ(nested_of(&w, 1, NULL), h);
	pasid(1, PE_FS, 6, PML4_B);
	put64(0x7000 + 16, PML4_B | 1ull << 4);      /* WPE: qw2 bit 4 */
	qis(w.v, pc, 1, 3);
	uint32_t h2 = nested_of(&w, 1, &d);
	CHECK(h2 && h2 != h);
	CHECK(d.pgtbl_addr == PML4_B && (d.flags & IOMMU_VTD_S1_WPE));

	/* Not present: detached (blocked); pass-through again: the stage-2; HWPTs nobody uses go. */
	pasid(1, PE_NONE, 0, 0);
	qis(w.v, pc, 1, 4);
	CHECK_EQ(fake_attached(w.dev[1]), 0);
	CHECK(!fake_exists(h2));
	pasid(0, PE_PT, 1, 0);
	qis(w.v, pc, 1, 5);
	CHECK_EQ(fake_attached(w.dev[0]), w.s2);
	CHECK(!fake_exists(h));
	/* Translation off: the stage-2 (GPA identity) for everyone. */
	pasid(0, PE_FS, 5, PML4_A);
	qis(w.v, pc, 1, 6);
	CHECK(nested_of(&w, 0, NULL));
	wr(w.v, VTD_GCMD_REG, VTD_GCMD_QIE, 4);
	vtd_drain(w.v);
	CHECK_EQ(fake_attached(w.dev[0]), w.s2);
	CHECK_EQ(fake_attached(w.dev[1]), w.s2);

	/* Teardown with a device nested: back on the stage-2, no nested HWPT left. */
	wr(w.v, VTD_GCMD_REG, VTD_GCMD_QIE | VTD_GCMD_TE, 4);
	vtd_drain(w.v);
	CHECK(nested_of(&w, 0, NULL));
	vtd_nested_destroy(w.n);
	w.n = NULL;
	CHECK_EQ(fake_attached(w.dev[0]), w.s2);
	CHECK_EQ(fake_live_objects(), 1);            /* the stage-2 */
	unworld(&w);
}

static void entry(const struct fake_inv *l, unsigned k, uint64_t addr, uint64_t npages)
{
	struct iommu_hwpt_vtd_s1_invalidate e;

	memcpy(&e, l->data + k * sizeof(e), sizeof(e));
	CHECK_MSG(e.addr == addr && e.npages == npages && !e.flags && !e.__reserved,
		  "entry %u: %#llx+%llu, want %#llx+%llu", k, (unsigned long long)e.addr,
		  (unsigned long long)e.npages, (unsigned long long)addr, (unsigned long long)npages);
}

static void test_invalidate(void)
{
	struct world w;
	const uint64_t pc[][2] = { PC_GLOBAL };
	uint64_t batch[16][2];

	world(&w, false, true);
	pasid(0, PE_FS, 5, PML4_A);
	pasid(1, PE_FS, 6, PML4_B);
	qis(w.v, pc, 1, 1);
	uint32_t ha = nested_of(&w, 0, NULL), hb = nested_of(&w, 1, NULL);
	CHECK(ha && hb && ha != hb);

	/* Linux's batch of 16 for domain 5: one call on its HWPT, 16 entries in queue order. */
	for (unsigned i = 0; i < 16; i++) {
		uint64_t a = 0x100000ull + i * 0x2000;

		if (i % 2) {
			batch[i][0] = 5ull << 16 | 3u << 4 | 6 | 1ull << 32;   /* PASID-based, PASID 1: narrows to the domain */
			batch[i][1] = a | 1;
		} else {
			batch[i][0] = 5ull << 16 | 3u << 4 | 2;
			batch[i][1] = a;
		}
	}
	unsigned base = fk.nr_inv;
	qis(w.v, (const uint64_t (*)[2])batch, 16, 2);
	CHECK_EQ(get32(STATUS), 2);
	CHECK_EQ(fk.nr_inv, base + 1);
	const struct fake_inv *l = fake_inv_call(base);
	CHECK(l && l->hwpt_id == ha && l->data_type == IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 && l->entry_len == 24 &&
	      l->entry_num == 16);
	for (unsigned i = 0; l && i < 16; i++)
		entry(l, i, (0x100000ull + i * 0x2000) & ~(i % 2 ? 0x1fffull : 0xfffull), i % 2 ? 2 : 1);

	/* Domain-selective, PASID-wide and global: all of it; a domain nobody uses: no call. */
	const uint64_t wide[][2] = { IOTLB_DSI(5), PIOTLB_ALL(6), IOTLB_DSI(9), IOTLB_GLOBAL };
	base = fk.nr_inv;
	qis(w.v, wide, 4, 3);
	CHECK_EQ(fk.nr_inv, base + 2);               /* one per nested HWPT */
	for (unsigned c = 0; c < 2; c++) {
		l = fake_inv_call(base + c);
		CHECK(l && l->entry_num == 2);
		for (unsigned k = 0; l && k < 2; k++)
			entry(l, k, 0, UINT64_MAX);
	}
	const uint64_t none[][2] = { IOTLB_DSI(9) };
	base = fk.nr_inv;
	qis(w.v, none, 1, 4);
	CHECK_EQ(fk.nr_inv, base);
	CHECK_EQ(get32(STATUS), 4);

	struct vtd_stats st;
	struct vtd_nested_stats ns;
	vtd_get_stats(w.v, &st);
	vtd_nested_get_stats(w.n, &ns);
	CHECK_EQ(ns.invalidations, 3);
	CHECK_EQ(ns.entries, 20);
	CHECK_EQ(ns.domains, 2);
	CHECK(st.host_calls >= 3);
	unworld(&w);
}

/* The host fails entry 2 of domain 5's batch: IQE at its descriptor; Linux's recovery goes on. */
static void test_partial(void)
{
	struct world w;
	const uint64_t pc[][2] = { PC_GLOBAL };
	const uint64_t b[][2] = {
		IOTLB_PSI(5, 0x1000, 0), IOTLB_DSI(6), IOTLB_PSI(5, 0x2000, 0), IOTLB_PSI(5, 0x3000, 0), IOTLB_PSI(5, 0x4000, 0),
	};

	world(&w, false, true);
	pasid(0, PE_FS, 5, PML4_A);
	pasid(1, PE_FS, 6, PML4_B);
	qis(w.v, pc, 1, 1);
	unsigned start = qi_tail;
	fk.inv_fail_errno = ENOMEM;
	fk.inv_fail_at = 2;                          /* domain 5's third entry: descriptor 3 */
	qis(w.v, b, 5, 7);
	CHECK(rd(w.v, VTD_FSTS_REG) & VTD_FSTS_IQE);
	CHECK_EQ(rd(w.v, VTD_IQH_REG), (start + 3) * 32);
	CHECK(get32(STATUS) != 7);                   /* the wait after it did not complete */
	struct vtd_stats st;
	vtd_get_stats(w.v, &st);
	CHECK_EQ(st.iqe, 1);
	/* Linux's qi_check_fault: the wait copied over the bad descriptor, IQE cleared; the queue goes on. */
	uint64_t wait[4] = { 7ull << 32 | 1u << 5 | 5, STATUS, 0, 0 };
	CHECK(gmem_write(&gm, QBASE + (start + 3) * 32, wait, 32) == 0);
	wr(w.v, VTD_FSTS_REG, VTD_FSTS_IQE, 4);
	vtd_drain(w.v);
	CHECK(!(rd(w.v, VTD_FSTS_REG) & VTD_FSTS_IQE));
	CHECK_EQ(get32(STATUS), 7);
	CHECK_EQ(rd(w.v, VTD_IQH_REG), qi_tail * 32);

	/* A failure after a register-based invalidation only (no descriptor): logged, no IQE. */
	fk.inv_fail_errno = EIO;
	fk.inv_fail_at = 0;
	wr(w.v, VTD_IOTLB_REG, VTD_IOTLB_IVT | 1ull << 60, 8);
	vtd_drain(w.v);
	CHECK(!(rd(w.v, VTD_FSTS_REG) & VTD_FSTS_IQE));
	unworld(&w);
}

static void test_selftest(void)
{
	struct world w;
	const uint64_t pc[][2] = { PC_GLOBAL };
	const uint64_t b[][2] = { IOTLB_PSI(5, 0x2000, 0), IOTLB_DSI(5), IOTLB_PSI(5, 0x9000, 0) };
	struct nested_st { uint32_t iotlb; } d = { 0 };

	world(&w, true, true);
	pasid(0, PE_FS, 5, PML4_A);
	qis(w.v, pc, 1, 1);
	uint32_t h = fake_attached(w.dev[0]);
	const struct fake_obj *o = fake_obj(h);
	CHECK(o && o->kind == FK_NESTED && o->data_type == IOMMU_HWPT_DATA_SELFTEST_ID && o->data_len == 4);
	if (o)
		memcpy(&d, o->data, 4);
	CHECK_EQ(d.iotlb, PML4_A >> 12);
	unsigned base = fk.nr_inv;
	qis(w.v, b, 3, 2);
	const struct fake_inv *l = fake_inv_call(base);
	const uint32_t want[3][2] = { { 0, 2 }, { 1, 0 }, { 0, 9 } };
	CHECK(l && l->data_type == IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_ID && l->entry_len == 8 && l->entry_num == 3);
	CHECK(l && !memcmp(l->data, want, sizeof(want)));
	unworld(&w);
}

static void test_caps(void)
{
	struct vtd_env env = { .mem = &gm };
	struct vtd_params p = { .addr_width = 48, .nested = true };
	struct vtd *v;
	char err[256];
	int dummy;
	struct vtd_backend_ops ops = { NULL, NULL, NULL, &dummy };

	p.backend = &ops;
	/* A host without 1 GiB first-stage pages or page-walk coherency: the guest is not offered them. */
	p.host_cap = ~(1ull << 56);
	p.host_ecap = ~(1ull << 48 | 1ull);
	CHECK(vtd_create(&p, &env, &v, err, sizeof(err)) == 0);
	uint64_t cap = rd(v, VTD_CAP_REG), ecap = rd(v, VTD_ECAP_REG);
	CHECK(!(cap & 1ull << 56) && !(cap & 1ull << 4));   /* no FS1GP, no RWBF */
	CHECK(!(ecap & 1ull << 48) && !(ecap & 1));
	CHECK(ecap & 1ull << 47 && ecap & 1ull << 43);      /* FLTS, SMTS stay */
	vtd_destroy(v);
	p.host_cap = ~0ull;
	p.host_ecap = ~0ull;
	CHECK(vtd_create(&p, &env, &v, err, sizeof(err)) == 0);
	CHECK(rd(v, VTD_CAP_REG) & 1ull << 56 && rd(v, VTD_ECAP_REG) & 1ull << 48);
	vtd_destroy(v);
	/* 5-level tables on a host without them: refused with a sentence. */
	p.addr_width = 57;
	p.host_cap = ~(1ull << 60);
	CHECK_EQ(vtd_create(&p, &env, &v, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "5-level") != NULL);
	/* The host's registers from a unit's GET_HW_INFO answer. */
	struct iommu_unit u = { .hw_known = true, .hw_type = IOMMU_HW_INFO_TYPE_INTEL_VTD, .hw_data_len = 24 };
	struct iommu_hw_info_vtd info = { .cap_reg = 0x1234, .ecap_reg = 0x5678 };
	uint64_t c = 0, e = 0;
	memcpy(u.hw_data, &info, sizeof(info));
	CHECK(vtd_nested_host_caps(&u, &c, &e) && c == 0x1234 && e == 0x5678);
	u.hw_type = IOMMU_HWTYPE_SELFTEST;
	CHECK(!vtd_nested_host_caps(&u, &c, &e));
}

/* Fail the n-th host call of moving a device to its nested HWPT: blocked or unmoved, nothing leaks. */
static void test_fail_nth(void)
{
	const uint64_t pc[][2] = { PC_GLOBAL };
	unsigned n;

	for (n = 1; n < 10; n++) {
		struct world w;

		world(&w, false, true);
		pasid(0, PE_FS, 5, PML4_A);
		fk.calls = 0;
		fk.fail_nth = n;
		fk.fail_errno = ENOMEM;
		qis(w.v, pc, 1, 1);
		fk.fail_nth = 0;
		CHECK_EQ(get32(STATUS), 1);              /* the wait completes: no architected error for this */
		bool hit = fk.failed_op >= 0;
		uint32_t at = fake_attached(w.dev[0]);
		if (hit)
			CHECK_MSG(at == 0 || at == w.s2, "n=%u: device on %u", n, at);
		/* The next context invalidation puts it right. */
		qis(w.v, pc, 1, 2);
		CHECK(nested_of(&w, 0, NULL));
		vtd_nested_destroy(w.n);
		w.n = NULL;
		CHECK_EQ(fake_live_objects(), 1);
		unworld(&w);
		if (!hit)
			break;
	}
	CHECK_EQ(n, 3);                              /* HWPT_ALLOC and the attach */
}

int main(void)
{
	log_set_level(LOG_ERROR);
	if (gmem_create(&gm, RAM, 0xc0000000ull)) {
		fprintf(stderr, "test-vtd-nested: cannot create guest memory\n");
		return 1;
	}
	test_modes();
	test_invalidate();
	test_partial();
	test_selftest();
	test_caps();
	test_fail_nth();
	gmem_destroy(&gm);
	return check_summary("test-vtd-nested");
}
