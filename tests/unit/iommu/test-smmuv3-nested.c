// SPDX-License-Identifier: Apache-2.0
/*
 * The vSMMUv3 nested backend (iommu/smmuv3_nested.c) under the real
 * vSMMUv3 model, over the fake iommufd: STEs (S1, bypass, abort, GBPA,
 * fields the guest may not own) become nested HWPTs on the vIOMMU with a
 * replace-attach; every invalidation command reaches the host in ONE
 * IOMMU_HWPT_INVALIDATE per CMD_SYNC as the guest wrote it; a failure at
 * entry k is CERROR_ILL at command k (the entries before it issued again);
 * the selftest flavour's entries; VEVENTQ records (and lost ones) into the
 * guest's event queue; fail-nth over set-up; teardown leaves nothing.
 */
#include <endian.h>
#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "fake-iommufd.h"
#include "iommu.h"

#define RAM (16u << 20)
#define STRTAB 0x100000u
#define CMDQ 0x200000u
#define EVTQ 0x300000u
#define CDTAB 0x400000u
#define LOG2 8u

enum {
	CR0 = 0x20, CR0ACK = 0x24, GBPA = 0x44, GERROR = 0x60, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88,
	CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c, EVENTQ_BASE = 0xa0, EVENTQ_PROD = 0x100a8,
};
#define SMMUEN 1u
#define EVENTQEN 4u
#define CMDQEN 8u

#define STE_S1(ptr) (1ull | 5ull << 1 | (ptr))
#define STE_BYPASS (1ull | 4ull << 1)
#define SID0 0x10u
#define SID1 0x11u

static struct gmem gm;

struct world {
	int fd;
	int inst;
	uint32_t ioas, s2, viommu, dev[2], vdev0;
	struct smmuv3_nested_dev devs[2];
	struct smmuv3_nested *n;
	struct smmuv3 *s;
};

static int at_attach(void *o, uint32_t pt)
{
	return fake_attach(*(uint32_t *)o, pt);
}

static int at_detach(void *o)
{
	return fake_detach(*(uint32_t *)o);
}

static int ioc(struct world *w, unsigned long req, void *arg)
{
	return fake_sys.ioctl(NULL, w->fd, req, arg);
}

/* The plan's part: a stage-2, a vIOMMU on it, both devices on the stage-2, a VDEVICE for dev 0. */
static void plan(struct world *w, bool selftest)
{
	fake_reset();
	memset(w, 0, sizeof(*w));
	w->inst = fake_add_inst("smmu", selftest ? IOMMU_HWTYPE_SELFTEST : IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 0);
	w->fd = fake_sys.open(NULL, "/dev/iommu");
	w->ioas = fake_ioas();
	for (unsigned i = 0; i < 2; i++) {
		w->dev[i] = fake_device(w->inst);
		CHECK(fake_attach(w->dev[i], w->ioas) == 0);
	}
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = w->dev[0],
				      .pt_id = w->ioas };
	CHECK(ioc(w, IOMMU_HWPT_ALLOC, &a) == 0);
	w->s2 = a.out_hwpt_id;
	struct iommu_viommu_alloc v = { .size = sizeof(v), .dev_id = w->dev[0], .hwpt_id = w->s2,
					.type = selftest ? IOMMU_VIOMMU_TYPE_SELFTEST_ID : IOMMU_VIOMMU_TYPE_ARM_SMMUV3 };
	CHECK(ioc(w, IOMMU_VIOMMU_ALLOC, &v) == 0);
	w->viommu = v.out_viommu_id;
	struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .viommu_id = w->viommu, .dev_id = w->dev[0],
					  .virt_id = SID0 };
	CHECK(ioc(w, IOMMU_VDEVICE_ALLOC, &vd) == 0);
	w->vdev0 = vd.out_vdevice_id;
	for (unsigned i = 0; i < 2; i++) {
		CHECK(fake_attach(w->dev[i], w->s2) == 0);
		w->devs[i] = (struct smmuv3_nested_dev){ i ? SID1 : SID0, w->dev[i], i ? 0 : w->vdev0,
							 { at_attach, at_detach, &w->dev[i] } };
	}
}

static int backend(struct world *w, bool selftest)
{
	struct smmuv3_nested_params p = { &fake_sys, w->fd, w->viommu, w->s2, selftest, 16, w->devs, 2 };
	char err[IOMMU_ERR_MAX];
	int r = smmuv3_nested_create(&p, &w->n, err, sizeof(err));

	if (r)
		w->n = NULL;
	return r;
}

static void w32(struct smmuv3 *s, uint64_t off, uint32_t v)
{
	smmuv3_mmio_ops.write(s, off, &v, 4);
}

static void w64(struct smmuv3 *s, uint64_t off, uint64_t v)
{
	smmuv3_mmio_ops.write(s, off, &v, 8);
}

static uint32_t r32(struct smmuv3 *s, uint64_t off)
{
	uint32_t v = 0;

	smmuv3_mmio_ops.read(s, off, &v, 4);
	return v;
}

static void put64(gpa_t a, uint64_t v)
{
	v = htole64(v);
	CHECK(gmem_write(&gm, a, &v, 8) == 0);
}

static void ste(uint32_t sid, uint64_t w0, uint64_t w1)
{
	put64(STRTAB + sid * 64, w0);
	put64(STRTAB + sid * 64 + 8, w1);
}

/* The whole set-up: plan, backend, unit, enabled with the given STEs. */
static void world(struct world *w, bool selftest, uint64_t ste0, uint64_t ste1)
{
	static const uint32_t sids[] = { SID0, SID1 };
	struct smmuv3_env env = { &gm, NULL, NULL };
	char err[128];

	memset(gm.host, 0, RAM);
	plan(w, selftest);
	CHECK(backend(w, selftest) == 0);
	struct smmuv3_params p = { .index = 0, .sids = sids, .nr_sids = 2, .ssid_bits = 12, .ats = true,
				   .backend = smmuv3_nested_backend(w->n) };
	CHECK(smmuv3_create(&p, &env, &w->s, err, sizeof(err)) == 0);
	smmuv3_nested_set_unit(w->n, w->s);
	ste(SID0, ste0, 0);
	ste(SID1, ste1, 0);
	w64(w->s, STRTAB_BASE, STRTAB);
	w32(w->s, STRTAB_BASE_CFG, 10);
	w64(w->s, CMDQ_BASE, CMDQ | LOG2);
	w64(w->s, EVENTQ_BASE, EVTQ | 3);
	w32(w->s, CR0, CMDQEN | EVENTQEN | SMMUEN);
	smmuv3_drain(w->s);
	CHECK_EQ(r32(w->s, CR0ACK), CMDQEN | EVENTQEN | SMMUEN);
}

static void unworld(struct world *w)
{
	smmuv3_destroy(w->s);
	smmuv3_nested_destroy(w->n);
	if (fk.veventq_wfd >= 0)
		close(fk.veventq_wfd);
	fake_sys.close(NULL, w->fd);
}

static void submit(struct smmuv3 *s, const struct smmuv3_cmd *c, unsigned n)
{
	uint32_t prod = r32(s, CMDQ_PROD);

	for (unsigned i = 0; i < n; i++) {
		uint32_t idx = prod & ((1u << LOG2) - 1);

		put64(CMDQ + idx * 16, c[i].w[0]);
		put64(CMDQ + idx * 16 + 8, c[i].w[1]);
		prod = (prod + 1) & ((2u << LOG2) - 1);
	}
	w32(s, CMDQ_PROD, prod);
	smmuv3_drain(s);
}

static struct smmuv3_cmd cmd(uint64_t w0, uint64_t w1)
{
	return (struct smmuv3_cmd){ { w0, w1 } };
}

#define SYNC cmd(0x46, 0)
#define CFGI_STE(sid) cmd(0x03 | (uint64_t)(sid) << 32, 1)

/* The nested HWPT device i is attached to, and its STE words as the kernel got them. */
static uint32_t nested_of(const struct world *w, unsigned i, uint64_t words[2])
{
	uint32_t id = fake_attached(w->dev[i]);
	const struct fake_obj *o = fake_obj(id);

	if (!o || o->kind != FK_NESTED || o->holds != w->viommu)
		return 0;
	memcpy(words, o->data, 16);
	words[0] = le64toh(words[0]);
	words[1] = le64toh(words[1]);
	return id;
}

static void test_ste(void)
{
	struct world w;
	uint64_t x[2];

	/* S1 with fields a guest may not own under nesting (STRW, SHCFG, EATS=2): masked away, not EIO. */
	world(&w, false, STE_S1(CDTAB) | 3ull << 52, STE_BYPASS);
	uint32_t h0 = nested_of(&w, 0, x);
	CHECK(h0 != 0);
	CHECK_EQ(x[0], STE_S1(CDTAB));
	CHECK_EQ(x[1], 0);
	uint32_t h1 = nested_of(&w, 1, x);
	CHECK(h1 != 0 && h1 != h0);
	CHECK_EQ(x[0], STE_BYPASS);
	/* The backend allocated the VDEVICE the plan had not: dev 1 with virt_id SID1. */
	bool found = false;
	for (uint32_t id = 1; id < FAKE_MAX_OBJ; id++) {
		const struct fake_obj *o = fake_obj(id);
		found |= o && o->kind == FK_VDEVICE && o->dev == w.dev[1] && o->virt_id == SID1;
	}
	CHECK(found);

	/* The guest changes STE 0 to S1 with owned word-1 fields and EATS=2, then to abort. */
	ste(SID0, STE_S1(CDTAB + 0x1000) | 7ull << 59, 0x55ull | 2ull << 28 | 1ull << 27 | 3ull << 30 | 1ull << 44);
	struct smmuv3_cmd c[] = { CFGI_STE(SID0), SYNC };
	submit(w.s, c, 2);
	uint32_t h2 = nested_of(&w, 0, x);
	CHECK(h2 && h2 != h0);
	CHECK(!fake_exists(h0));                    /* the old one is gone after the replace */
	CHECK_EQ(x[0], STE_S1(CDTAB + 0x1000) | 7ull << 59);
	CHECK_EQ(x[1], 0x55ull | 1ull << 27);       /* S1DSS..S1CSH, S1STALLD; EATS 2 -> 0; STRW, SHCFG gone */
	ste(SID0, 1, 0);                            /* V, Config 0: abort */
	submit(w.s, c, 2);
	uint32_t h3 = nested_of(&w, 0, x);
	CHECK(h3 && !fake_exists(h2));
	CHECK_EQ(x[0], 1);

	/* SMMUEN off with GBPA bypass: every stream a bypass nested HWPT. */
	w32(w.s, CR0, CMDQEN | EVENTQEN);
	smmuv3_drain(w.s);
	CHECK(nested_of(&w, 0, x) && x[0] == STE_BYPASS);
	CHECK(nested_of(&w, 1, x) && x[0] == STE_BYPASS);

	/* A failed allocation or attach: the device keeps its HWPT, the model reports it again next time. */
	uint32_t before = fake_attached(w.dev[0]);
	w32(w.s, CR0, CMDQEN | EVENTQEN | SMMUEN);
	fk.force[FOP_HWPT_ALLOC] = EIO;
	smmuv3_drain(w.s);
	CHECK_EQ(fake_attached(w.dev[0]), before);
	unsigned live = fake_live_objects();
	fk.force[FOP_ATTACH] = EINVAL;
	fk.force_at[FOP_ATTACH] = fk.n[FOP_ATTACH] + 1;
	submit(w.s, c, 2);
	CHECK_EQ(fake_attached(w.dev[0]), before);
	CHECK_EQ(fake_live_objects(), live);        /* the refused HWPT was destroyed */
	submit(w.s, c, 2);
	CHECK(nested_of(&w, 0, x) && x[0] == 1);
	struct smmuv3_nested_stats st;
	smmuv3_nested_get_stats(w.n, &st);
	CHECK_EQ(st.errors, 2);

	/* Teardown: both devices back on the stage-2, nothing of the backend left. */
	smmuv3_nested_destroy(w.n);
	w.n = NULL;
	CHECK_EQ(fake_attached(w.dev[0]), w.s2);
	CHECK_EQ(fake_attached(w.dev[1]), w.s2);
	CHECK_EQ(fake_live_objects(), 3);           /* the plan's stage-2, vIOMMU and VDEVICE */
	unworld(&w);
}

/* Every invalidation command, one batch per CMD_SYNC, entries as the guest wrote them. */
static void test_flush(void)
{
	struct world w;
	struct smmuv3_cmd c[64], all[] = {
		cmd(0x05 | (uint64_t)SID0 << 32 | 3u << 12, 1), cmd(0x06 | (uint64_t)SID1 << 32, 0),
		cmd(0x10, 0), cmd(0x11 | 7ull << 48, 0), cmd(0x12 | 7ull << 48, 0x12345000 | 1),
		cmd(0x13, 0x6000), cmd(0x30, 0), cmd(0x40 | (uint64_t)SID0 << 32, 0x100000 | 3),
		cmd(0x01 | (uint64_t)SID0 << 32, 0),  /* PREFETCH_CONFIG: not for the host */
		cmd(0x05 | 0x999ull << 32, 1),        /* CFGI_CD of a StreamID nobody has: nothing cached */
		SYNC,
	};

	world(&w, false, STE_S1(CDTAB), STE_S1(CDTAB));
	unsigned base = fk.nr_inv;
	submit(w.s, all, sizeof(all) / sizeof(all[0]));
	CHECK_EQ(fk.nr_inv, base + 1);
	const struct fake_inv *l = fake_inv_call(base);
	CHECK(l && l->hwpt_id == w.viommu && l->data_type == IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	CHECK(l && l->entry_len == 16 && l->entry_num == 8 && l->ret == 0);
	for (unsigned i = 0; l && i < 8; i++) {
		uint64_t e[2];

		memcpy(e, l->data + 16 * i, 16);
		CHECK_MSG(le64toh(e[0]) == all[i].w[0] && le64toh(e[1]) == all[i].w[1], "entry %u", i);
	}
	CHECK_EQ(r32(w.s, CMDQ_CONS), sizeof(all) / sizeof(all[0]));

	/* Linux's batch: 63 TLBIs and a CMD_SYNC are one host call; two such batches two. */
	for (unsigned i = 0; i < 63; i++)
		c[i] = cmd(0x12 | (uint64_t)i << 48, 0x1000ull * i);
	c[63] = SYNC;
	base = fk.nr_inv;
	submit(w.s, c, 64);
	submit(w.s, c, 64);
	CHECK_EQ(fk.nr_inv, base + 2);
	CHECK(fake_inv_call(base) && fake_inv_call(base)->entry_num == 63);
	struct smmuv3_stats ss;
	smmuv3_get_stats(w.s, &ss);
	CHECK_EQ(ss.host_calls, 3);

	/* The host fails entry 5 of 8: entries 0-4 issued again, CERROR_ILL at command 5, CONS there. */
	uint32_t cons0 = r32(w.s, CMDQ_CONS) & 0xfffff;
	fk.inv_fail_errno = EIO;
	fk.inv_fail_at = 5;
	base = fk.nr_inv;
	submit(w.s, all, sizeof(all) / sizeof(all[0]));
	CHECK_EQ(fk.nr_inv, base + 2);
	CHECK(fake_inv_call(base) && fake_inv_call(base)->ret == -EIO && fake_inv_call(base)->done == 5);
	CHECK(fake_inv_call(base + 1) && fake_inv_call(base + 1)->entry_num == 5 &&
	      !memcmp(fake_inv_call(base + 1)->data, fake_inv_call(base)->data, 5 * 16));
	CHECK_EQ(r32(w.s, CMDQ_CONS), 1u << 24 | (cons0 + 5));
	CHECK(r32(w.s, GERROR) & 1);
	struct smmuv3_nested_stats st;
	smmuv3_nested_get_stats(w.n, &st);
	CHECK_EQ(st.partial, 1);
	unworld(&w);
}

static void test_selftest(void)
{
	struct world w;
	uint64_t x[2];
	struct smmuv3_cmd c[] = {
		cmd(0x05 | (uint64_t)SID0 << 32 | 2u << 12, 1), cmd(0x12, 0x1000), cmd(0x06 | (uint64_t)SID1 << 32, 0),
		cmd(0x40 | (uint64_t)SID1 << 32, 0), cmd(0x05 | (uint64_t)SID1 << 32 | 9u << 12, 1), SYNC,
	};

	world(&w, true, STE_S1(CDTAB), STE_BYPASS);
	/* The mock keeps STE word 0's low 32 bits as its IOTLB value. */
	CHECK(nested_of(&w, 0, x));
	CHECK_EQ((uint32_t)x[0], (uint32_t)STE_S1(CDTAB));
	unsigned base = fk.nr_inv;
	fk.inv_fail_errno = EINVAL;                 /* the mock has no cache slot 9: EINVAL at that entry */
	fk.inv_fail_at = 3;
	submit(w.s, c, 6);
	CHECK_EQ(fk.nr_inv, base + 1);              /* no second call for the mock */
	const struct fake_inv *l = fake_inv_call(base);
	CHECK(l && l->data_type == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_ID && l->entry_len == 12 && l->entry_num == 4);
	const uint32_t want[4][3] = { { 0, SID0, 2 }, { 1, SID1, 0 }, { 1, SID1, 0 }, { 0, SID1, 9 } };
	CHECK(l && !memcmp(l->data, want, sizeof(want)));
	CHECK_EQ(r32(w.s, CMDQ_CONS), 1u << 24 | 4);     /* the TLBI had no entry: entry 3 is command 4 */
	struct smmuv3_nested_stats st;
	smmuv3_nested_get_stats(w.n, &st);
	CHECK_EQ(st.dropped, 1);
	unworld(&w);
}

static void put_event(uint32_t flags, uint32_t seq, const void *data, size_t len)
{
	uint8_t b[64];

	memcpy(b, &flags, 4);
	memcpy(b + 4, &seq, 4);
	if (len)
		memcpy(b + 8, data, len);
	CHECK(write(fk.veventq_wfd, b, 8 + len) == (ssize_t)(8 + len));
}

static uint64_t guest_event_w0(unsigned idx)
{
	uint64_t v = 0;

	CHECK(gmem_read(&gm, EVTQ + idx * 32, &v, 8) == 0);
	return le64toh(v);
}

static void test_events(void)
{
	struct world w;
	uint64_t rec[4] = { htole64(0x10 | (uint64_t)SID0 << 32), htole64(0xabc), htole64(0x5000), 0 };
	uint32_t vid = SID1;

	world(&w, false, STE_S1(CDTAB), STE_S1(CDTAB));
	CHECK(smmuv3_nested_event_fd(w.n) >= 0);
	put_event(0, 0, rec, 32);
	put_event(0, 3, rec, 32);                   /* two lost in between */
	put_event(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 4, NULL, 0);
	smmuv3_nested_events(w.n);
	CHECK_EQ(r32(w.s, EVENTQ_PROD), 2);
	CHECK_EQ(guest_event_w0(0), 0x10 | (uint64_t)SID0 << 32);
	struct smmuv3_nested_stats st;
	smmuv3_nested_get_stats(w.n, &st);
	CHECK_EQ(st.events, 2);
	CHECK_EQ(st.events_lost, 3);                /* 2 by the gap, 1 by the marker */
	unworld(&w);

	/* The mock's event names a device: a translation fault of that StreamID. */
	world(&w, true, STE_S1(CDTAB), STE_S1(CDTAB));
	put_event(0, 0, &vid, 4);
	smmuv3_nested_events(w.n);
	CHECK_EQ(r32(w.s, EVENTQ_PROD), 1);
	CHECK_EQ(guest_event_w0(0), 0x10 | (uint64_t)SID1 << 32);
	unworld(&w);
}

/* Fail the n-th system call of the set-up: nothing left behind, a sentence; then success. */
static void test_fail_nth(void)
{
	struct world w;
	unsigned n;

	for (n = 1; n < 20; n++) {
		plan(&w, false);
		unsigned live = fake_live_objects();
		fk.calls = 0;
		fk.fail_nth = n;
		fk.fail_errno = ENOMEM;
		int r = backend(&w, false);
		fk.fail_nth = 0;
		if (!r) {
			smmuv3_nested_destroy(w.n);
			CHECK_EQ(fake_live_objects(), live);
			close(fk.veventq_wfd);
			fake_sys.close(NULL, w.fd);
			break;
		}
		CHECK_EQ(r, -ENOMEM);
		CHECK_EQ(fake_live_objects(), live);
		if (fk.veventq_wfd >= 0)
			close(fk.veventq_wfd);
		fake_sys.close(NULL, w.fd);
	}
	CHECK_EQ(n, 3);                             /* a VDEVICE, a VEVENTQ: two calls to fail */

	/* Bad parameters. */
	plan(&w, false);
	w.devs[1].sid = SID0;
	CHECK_EQ(backend(&w, false), -EEXIST);
	w.devs[1].sid = SID1;
	w.devs[1].at.attach = NULL;
	CHECK_EQ(backend(&w, false), -EINVAL);
	fake_sys.close(NULL, w.fd);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	if (gmem_create(&gm, RAM, 0xc0000000ull)) {
		fprintf(stderr, "test-smmuv3-nested: cannot create guest memory\n");
		return 1;
	}
	test_ste();
	test_flush();
	test_selftest();
	test_events();
	test_fail_nth();
	gmem_destroy(&gm);
	return check_summary("test-smmuv3-nested");
}
