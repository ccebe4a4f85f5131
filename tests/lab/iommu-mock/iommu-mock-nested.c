// SPDX-License-Identifier: Apache-2.0
/*
 * iommu-mock-nested [--rounds N]: skiff's nested vIOMMU backends against
 * the real kernel in the lab, through the kernel's selftest mock IOMMU.
 * Two mock devices go through the vIOMMU plan (a stage-2, a selftest
 * vIOMMU, a VDEVICE each); then, with guest memory, the queue engine
 * (io_uring) and a guest written by hand the way Linux drives each unit:
 *
 *   vSMMUv3 + smmuv3_nested (selftest flavour): S1 STEs become nested
 *   HWPTs on the vIOMMU (MD_CHECK_IOTLB reads the STE back); each
 *   CFGI_CD / CFGI_CD_ALL batch is one IOMMU_HWPT_INVALIDATE whose effect
 *   DEV_CHECK_CACHE shows slot by slot; the mock's EINVAL for an SSID it
 *   has no slot for is CERROR_ILL at that command, and Linux's recovery
 *   goes on; IOMMU_TEST_OP_TRIGGER_VEVENT comes out of the VEVENTQ (polled
 *   by the engine) into the guest's event queue;
 *
 *   vVT-d + vtd_nested (selftest flavour): a first-stage PASID entry
 *   becomes a nested HWPT on the stage-2 (MD_CHECK_IOTLB: the table
 *   root); page-selective and domain invalidations clear the mock's IOTLB
 *   slots batch by batch; its EINVAL for a page it has no slot for is an
 *   IQE at that descriptor, and Linux's recovery goes on.
 *
 * Then the numbers: Linux-sized batches (SMMUv3: 63 commands + CMD_SYNC;
 * VT-d: 15 invalidations + a wait per tail write), host calls per drain,
 * guest commands per host call and drain latency from skiff's counters,
 * then the same batches through the same drain with a wrapper backend
 * that models QEMU's forwarding (each command its own host call). Prints "CHECK ok|FAIL" and "MEASURE name=value" lines; exits
 * 1 if a check failed.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommu.h"
#include "iommufd-test.h"
#include "mock-dev.h"
#include "vfio.h"

#define RAM (16u << 20)
/* vSMMUv3 guest structures */
#define STRTAB 0x100000u
#define CMDQ 0x200000u
#define CMDQ_LOG2 8u
#define EVTQ 0x300000u
#define CDTAB 0x400000u
#define SYNC_WORD 0x600000u
/* vVT-d guest structures */
#define QBASE 0x700000u
#define QLEN 128u
#define ROOT 0x701000u
#define CTX 0x702000u
#define PASID_DIR(i) (0x703000u + (i) * 0x2000u)
#define PASID_TBL(i) (0x704000u + (i) * 0x2000u)
#define STATUS 0x7f0000u
#define FS_ROOT_A 0x10000u
#define FS_ROOT_B 0x20000u

enum { CR0 = 0x20, CR0ACK = 0x24, GERROR = 0x60, GERRORN = 0x64, STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88,
       CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c, EVENTQ_BASE = 0xa0, EVENTQ_PROD = 0x100a8 };
/* VT-d registers (VT-d spec chapter 11). */
enum { FSTS = 0x34, IQH = 0x80, IQT = 0x88, IQA = 0x90, GCMD = 0x18, RTADDR = 0x20 };

static int failed;
static struct gmem gm;

static void check(bool ok, const char *what)
{
	printf("CHECK %s: %s\n", ok ? "ok" : "FAIL", what);
	failed |= !ok;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- the mock devices (mock-dev.h) ---------------------------------------------- */

static bool iotlb_is(int fd, uint32_t hwpt, unsigned slot, uint32_t want)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = hwpt };

	c.check_iotlb.id = slot;
	c.check_iotlb.iotlb = want;
	return mock_test_cmd(fd, &c) == 0;
}

static bool cache_is(const struct mock *m, unsigned slot, uint32_t want)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = m->idev_id };

	c.check_dev_cache.id = slot;
	c.check_dev_cache.cache = want;
	return mock_test_cmd(m->fd, &c) == 0;
}

/* The mock device's 4 cache slots: bit i of zeroed set = slot i cleared, else the default. */
static bool caches_are(const struct mock *m, unsigned zeroed)
{
	bool ok = true;

	for (unsigned i = 0; i < 4; i++)
		ok &= cache_is(m, i, zeroed & 1u << i ? 0 : IOMMU_TEST_DEV_CACHE_DEFAULT);
	return ok;
}

/* ---- guest memory and waiting ---------------------------------------------------- */

static void put64(gpa_t a, uint64_t v)
{
	v = htole64(v);
	if (gmem_write(&gm, a, &v, 8))
		check(false, "a write into guest RAM");
}

static uint32_t get32(gpa_t a)
{
	uint32_t v = 0;

	if (gmem_read(&gm, a, &v, 4))
		return 0;
	return le32toh(v);
}

static void w32(const struct bus_device_ops *ops, void *dev, uint64_t off, uint32_t v)
{
	ops->write(dev, off, &v, 4);
}

static void w64(const struct bus_device_ops *ops, void *dev, uint64_t off, uint64_t v)
{
	ops->write(dev, off, &v, 8);
}

static uint32_t r32(const struct bus_device_ops *ops, void *dev, uint64_t off)
{
	uint32_t v = 0;

	ops->read(dev, off, &v, 4);
	return v;
}

/* Spin (the engine's thread does the work) until f(arg) or 5 s. */
static bool wait_for(bool (*f)(void *), void *arg)
{
	double t0 = now_us();

	while (!f(arg)) {
		if (now_us() - t0 > 5e6)
			return false;
		sched_yield();
	}
	return true;
}

static void drain_smmu(void *o)
{
	smmuv3_drain(o);
}

static void drain_vtd(void *o)
{
	vtd_drain(o);
}

/*
 * QEMU's forwarding modelled through the same drain: a wrapper backend
 * that, when per_cmd is set, hands each command (VT-d: each invalidation)
 * to the real backend alone, so every one is its own host call.
 */
struct per_cmd {
	bool on;
	const struct smmuv3_backend_ops *smmu;
	const struct vtd_backend_ops *vtd;
	int vtd_calls;                 /* host calls made by per-invalidation flushes since the last flush */
};

static int pc_ste_changed(void *o, struct smmuv3 *s, uint32_t sid, const struct smmuv3_ste *ste)
{
	const struct smmuv3_backend_ops *b = ((struct per_cmd *)o)->smmu;

	return b->ste_changed(b->opaque, s, sid, ste);
}

static int pc_smmu_flush(void *o, struct smmuv3 *s, const struct smmuv3_cmd *cmds, unsigned n, unsigned *consumed)
{
	struct per_cmd *pc = o;
	const struct smmuv3_backend_ops *b = pc->smmu;
	int calls = 0;

	if (!pc->on)
		return b->flush(b->opaque, s, cmds, n, consumed);
	for (unsigned i = 0; i < n; i++) {
		unsigned c;
		int r = b->flush(b->opaque, s, &cmds[i], 1, &c);

		if (r < 0) {
			*consumed = i;
			return r;
		}
		calls += r;
	}
	*consumed = n;
	return calls;
}

static void pc_context_changed(void *o, struct vtd *v, int rid)
{
	const struct vtd_backend_ops *b = ((struct per_cmd *)o)->vtd;

	b->context_changed(b->opaque, v, rid);
}

static void pc_iotlb_invalidate(void *o, struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	struct per_cmd *pc = o;
	const struct vtd_backend_ops *b = pc->vtd;

	b->iotlb_invalidate(b->opaque, v, did, iova, len);
	if (pc->on) {
		int r = b->flush(b->opaque, v);

		pc->vtd_calls += r > 0 ? r : 0;
	}
}

static int pc_vtd_flush(void *o, struct vtd *v)
{
	struct per_cmd *pc = o;
	int r = pc->vtd->flush(pc->vtd->opaque, v);

	if (r >= 0)
		r += pc->vtd_calls;
	pc->vtd_calls = 0;
	return r;
}

/* ---- vSMMUv3 ------------------------------------------------------------------------- */

struct smmu_run {
	struct smmuv3 *s;
	struct smmuv3_nested *n;
	struct per_cmd pc;
	uint32_t prod;
	uint32_t seq;
	const struct mock *mk;
	uint32_t sid[2];
	int fd;
	uint32_t viommu;
};

static bool sync_seen(void *o)
{
	struct smmu_run *r = o;

	return get32(SYNC_WORD) == r->seq;
}

static bool cmdq_error(void *o)
{
	struct smmu_run *r = o;

	return r32(&smmuv3_mmio_ops, r->s, GERROR) != r32(&smmuv3_mmio_ops, r->s, GERRORN);
}

/* Commands at PROD, then a CMD_SYNC whose MSI writes the next sequence number into SYNC_WORD. */
static void smmu_put(struct smmu_run *r, const uint64_t (*c)[2], unsigned n, bool sync)
{
	for (unsigned i = 0; i <= n; i++) {
		uint32_t idx = r->prod & ((1u << CMDQ_LOG2) - 1);
		uint64_t w0 = i < n ? c[i][0] : 0x46 | 1u << 12 | (uint64_t)(r->seq + 1) << 32;
		uint64_t w1 = i < n ? c[i][1] : SYNC_WORD;

		if (i == n && !sync)
			break;
		put64(CMDQ + idx * 16, w0);
		put64(CMDQ + idx * 16 + 8, w1);
		r->prod = (r->prod + 1) & ((2u << CMDQ_LOG2) - 1);
	}
	if (sync)
		r->seq++;
	w32(&smmuv3_mmio_ops, r->s, CMDQ_PROD, r->prod);
}

static bool smmu_batch(struct smmu_run *r, const uint64_t (*c)[2], unsigned n)
{
	smmu_put(r, c, n, true);
	return wait_for(sync_seen, r);
}

#define CFGI_CD(sid, ssid) { 0x05 | (uint64_t)(sid) << 32 | (uint64_t)(ssid) << 12, 1 }
#define CFGI_CD_ALL(sid) { 0x06 | (uint64_t)(sid) << 32, 0 }
#define TLBI_NH_ALL { 0x10, 0 }

static bool enabled(void *o)
{
	struct smmu_run *r = o;

	return r32(&smmuv3_mmio_ops, r->s, CR0ACK) == 0xd;
}

static void smmu_checks(struct smmu_run *r)
{
	const struct mock *m0 = &r->mk[0], *m1 = &r->mk[1];
	uint64_t ste0 = 1 | 5ull << 1 | CDTAB;

	for (unsigned i = 0; i < 2; i++) {
		put64(STRTAB + r->sid[i] * 64, ste0 + i * 0x1000);
		put64(STRTAB + r->sid[i] * 64 + 8, 0);
	}
	w64(&smmuv3_mmio_ops, r->s, STRTAB_BASE, STRTAB);
	w32(&smmuv3_mmio_ops, r->s, STRTAB_BASE_CFG, 10);
	w64(&smmuv3_mmio_ops, r->s, CMDQ_BASE, CMDQ | CMDQ_LOG2);
	w64(&smmuv3_mmio_ops, r->s, EVENTQ_BASE, EVTQ | 3);
	w32(&smmuv3_mmio_ops, r->s, CR0, 0xd);     /* SMMUEN, EVENTQEN, CMDQEN */
	check(wait_for(enabled, r), "vSMMUv3: SMMUEN acknowledged by the engine's drain");
	for (unsigned i = 0; i < 2; i++) {
		uint32_t h = smmuv3_nested_hwpt(r->n, r->sid[i]);

		check(h && iotlb_is(r->fd, h, 0, (uint32_t)(ste0 + i * 0x1000)) &&
		      iotlb_is(r->fd, h, 3, (uint32_t)(ste0 + i * 0x1000)),
		      "vSMMUv3: the guest's S1 STE is a nested HWPT on the vIOMMU the kernel holds (MD_CHECK_IOTLB)");
	}
	check(caches_are(m0, 0) && caches_are(m1, 0), "vSMMUv3: both mock devices' caches start full (DEV_CHECK_CACHE)");

	struct smmuv3_nested_stats a, b;
	smmuv3_nested_get_stats(r->n, &a);
	const uint64_t b1[][2] = { CFGI_CD(r->sid[0], 1) };
	check(smmu_batch(r, b1, 1), "vSMMUv3: CFGI_CD + CMD_SYNC completes");
	check(caches_are(m0, 0x2) && caches_are(m1, 0), "vSMMUv3: CFGI_CD SSID 1 cleared slot 1 of device 0 only");
	const uint64_t b2[][2] = { CFGI_CD_ALL(r->sid[1]), TLBI_NH_ALL, CFGI_CD(r->sid[0], 0) };
	check(smmu_batch(r, b2, 3), "vSMMUv3: CFGI_CD_ALL, TLBI_NH_ALL, CFGI_CD + CMD_SYNC completes");
	check(caches_are(m1, 0xf) && caches_are(m0, 0x3), "vSMMUv3: CFGI_CD_ALL cleared device 1, CFGI_CD slot 0 of device 0");
	smmuv3_nested_get_stats(r->n, &b);
	check(b.invalidations - a.invalidations == 2 && b.entries - a.entries == 3 && b.dropped - a.dropped == 1,
	      "vSMMUv3: one IOMMU_HWPT_INVALIDATE per CMD_SYNC (3 entries, the TLBI dropped for the mock)");

	/* The mock has no cache slot 9: EINVAL at that entry -> CERROR_ILL at that command. */
	uint32_t cons0 = r32(&smmuv3_mmio_ops, r->s, CMDQ_CONS) & 0xfffff;
	const uint64_t b3[][2] = { CFGI_CD(r->sid[0], 2), CFGI_CD(r->sid[0], 9), CFGI_CD(r->sid[0], 3) };
	smmu_put(r, b3, 3, true);
	check(wait_for(cmdq_error, r), "vSMMUv3: the kernel's EINVAL raises GERROR.CMDQ_ERR");
	uint32_t cons = r32(&smmuv3_mmio_ops, r->s, CMDQ_CONS);
	check((cons >> 24 & 0x7f) == 1 && (cons & 0xfffff) == ((cons0 + 1) & 0x1ff),
	      "vSMMUv3: CERROR_ILL with CMDQ_CONS at the command the kernel failed");
	check(cache_is(m0, 2, 0) && cache_is(m0, 3, IOMMU_TEST_DEV_CACHE_DEFAULT),
	      "vSMMUv3: the command before it took effect, the one after it not yet");
	/* Linux's arm_smmu_cmdq_skip_err: a CMD_SYNC over the bad command, GERRORN acknowledged. */
	uint32_t idx = (cons0 + 1) & ((1u << CMDQ_LOG2) - 1);
	put64(CMDQ + idx * 16, 0x46);
	put64(CMDQ + idx * 16 + 8, 0);
	w32(&smmuv3_mmio_ops, r->s, GERRORN, r32(&smmuv3_mmio_ops, r->s, GERROR));
	w32(&smmuv3_mmio_ops, r->s, CMDQ_PROD, r->prod);
	check(wait_for(sync_seen, r) && cache_is(m0, 3, 0), "vSMMUv3: after the guest's recovery the rest runs");
}

static bool event_in(void *o)
{
	struct smmu_run *r = o;

	return r32(&smmuv3_mmio_ops, r->s, EVENTQ_PROD) != 0;
}

static void smmu_event(struct smmu_run *r)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
	uint64_t w0 = 0;

	c.trigger_vevent.dev_id = r->mk[0].idev_id;
	int e = mock_test_cmd(r->fd, &c);
	check(e == 0, "vSMMUv3: IOMMU_TEST_OP_TRIGGER_VEVENT for device 0");
	check(wait_for(event_in, r), "vSMMUv3: the vEVENT reached the guest's event queue (VEVENTQ polled on io_uring)");
	if (gmem_read(&gm, EVTQ, &w0, 8))
		w0 = 0;
	w0 = le64toh(w0);
	check((w0 & 0xff) == 0x10 && (uint32_t)(w0 >> 32) == r->sid[0],
	      "vSMMUv3: an F_TRANSLATION record with device 0's guest StreamID");
}

struct bench {
	double lat, worst;
	uint64_t drains, calls, cmds;
};

static void bench_print(const char *unit, const char *mode, const struct bench *x, unsigned rounds)
{
	printf("MEASURE %s_%s host_calls_per_drain=%.2f guest_cmds_per_host_call=%.1f drain_latency_us_mean=%.1f "
	       "max=%.1f\n", unit, mode, x->drains ? (double)x->calls / x->drains : 0,
	       x->calls ? (double)x->cmds / x->calls : 0, x->lat / rounds, x->worst);
}

/* Linux-sized batches: 63 CFGI_CDs + CMD_SYNC per PROD write. */
static bool smmu_rounds(struct smmu_run *r, unsigned rounds, struct bench *x)
{
	uint64_t c[63][2];
	struct smmuv3_stats a, b;

	for (unsigned i = 0; i < 63; i++) {
		c[i][0] = 0x05 | (uint64_t)r->sid[i % 2] << 32 | (uint64_t)(i % 4) << 12;
		c[i][1] = 1;
	}
	*x = (struct bench){ 0 };
	smmuv3_get_stats(r->s, &a);
	for (unsigned k = 0; k < rounds; k++) {
		double t0 = now_us();

		if (!smmu_batch(r, (const uint64_t (*)[2])c, 63))
			return false;
		double t = now_us() - t0;
		x->lat += t;
		x->worst = t > x->worst ? t : x->worst;
	}
	smmuv3_get_stats(r->s, &b);
	x->drains = b.drains - a.drains;
	x->calls = b.host_calls - a.host_calls;
	x->cmds = b.commands - a.commands;
	return true;
}

/* skiff's batching, then QEMU's forwarding (one host call per command) through the same drain. */
static void smmu_bench(struct smmu_run *r, unsigned rounds)
{
	struct bench sk, qm;
	bool ok = smmu_rounds(r, rounds, &sk);

	r->pc.on = true;
	ok = ok && smmu_rounds(r, rounds, &qm);
	r->pc.on = false;
	check(ok, "vSMMUv3 bench: every batch completed");
	printf("MEASURE smmuv3_batch=63+CMD_SYNC rounds=%u\n", rounds);
	bench_print("smmuv3", "skiff", &sk, rounds);
	bench_print("smmuv3", "per_command", &qm, rounds);
	printf("MEASURE smmuv3_host_calls_per_drain=%.2f\n", sk.drains ? (double)sk.calls / sk.drains : 0);
	check(sk.drains && sk.calls == sk.drains, "vSMMUv3 bench: one host call per drain");
	check(qm.calls == 63 * qm.drains, "vSMMUv3 bench: the per-command model makes 63 host calls per drain");
}

static int smmu_part(struct iommu_plan *p, int fd, const struct mock *mk, unsigned rounds)
{
	const struct iommu_unit *u = iommu_plan_unit(p, 0);
	struct smmuv3_nested_dev devs[2];
	struct smmu_run r = { .mk = mk, .fd = fd, .viommu = u->viommu_id };
	struct smmuv3_env env = { &gm, NULL, NULL };
	struct iq_engine *e = NULL;
	char err[IOMMU_ERR_MAX];

	for (unsigned i = 0; i < 2; i++) {
		const struct iommu_dev *d = iommu_plan_dev(p, i);

		r.sid[i] = d->virt_id;
		devs[i] = (struct smmuv3_nested_dev){ d->virt_id, d->dev_id, d->vdevice_id,
						      { mock_attach, mock_detach, (void *)&mk[i] } };
	}
	struct smmuv3_nested_params np = { iommu_sys_real(), fd, u->viommu_id, iommu_plan_s2(p, u->s2)->hwpt_id, true,
					   64, devs, 2 };
	if (smmuv3_nested_create(&np, &r.n, err, sizeof(err))) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	r.pc.smmu = smmuv3_nested_backend(r.n);
	const struct smmuv3_backend_ops wrap = { pc_ste_changed, pc_smmu_flush, &r.pc };
	struct smmuv3_params sp = { .sids = r.sid, .nr_sids = 2, .ssid_bits = 8, .backend = &wrap };
	if (smmuv3_create(&sp, &env, &r.s, err, sizeof(err)) || iq_engine_create(&e, err, sizeof(err))) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	smmuv3_nested_set_unit(r.n, r.s);
	check(iq_engine_add(e, smmuv3_kick_fd(r.s), drain_smmu, r.s) == 0 &&
	      iq_engine_add_events(e, smmuv3_nested_event_fd(r.n), smmuv3_nested_events, r.n) == 0 &&
	      iq_engine_start(e) == 0, "the queue engine polls the vSMMUv3's kick fd and the VEVENTQ");
	smmu_checks(&r);
	smmu_event(&r);
	if (rounds)
		smmu_bench(&r, rounds);
	iq_engine_destroy(e);
	smmuv3_destroy(r.s);
	smmuv3_nested_destroy(r.n);
	return 0;
}

/* ---- vVT-d ------------------------------------------------------------------------- */

struct vtd_run {
	struct vtd *v;
	struct vtd_nested *n;
	struct per_cmd pc;
	unsigned tail;
	uint32_t seq;
	uint16_t rid[2];
	int fd;
};

static bool wait_done(void *o)
{
	struct vtd_run *r = o;

	return get32(STATUS) == r->seq;
}

static bool iqe_seen(void *o)
{
	struct vtd_run *r = o;

	return r32(&vtd_mmio_ops, r->v, FSTS) & 0x10;
}

/* Descriptors and a wait (status = next sequence number), one IQT write. */
static void vtd_put(struct vtd_run *r, const uint64_t (*d)[2], unsigned n)
{
	r->seq++;
	for (unsigned i = 0; i <= n; i++) {
		uint64_t e[4] = { i < n ? d[i][0] : (uint64_t)r->seq << 32 | 1u << 5 | 5, i < n ? d[i][1] : STATUS, 0, 0 };

		if (gmem_write(&gm, QBASE + r->tail * 32, e, 32))
			check(false, "a descriptor into guest RAM");
		r->tail = (r->tail + 1) % QLEN;
	}
	w32(&vtd_mmio_ops, r->v, IQT, r->tail * 32);
}

static bool vtd_batch(struct vtd_run *r, const uint64_t (*d)[2], unsigned n)
{
	vtd_put(r, d, n);
	return wait_for(wait_done, r);
}

#define PC_GLOBAL { 3u << 4 | 7, 0 }
#define PSI(did, page) { (uint64_t)(did) << 16 | 3u << 4 | 2, (uint64_t)(page) << 12 }
#define DSI(did) { (uint64_t)(did) << 16 | 2u << 4 | 2, 0 }

static void vtd_pasid(unsigned i, uint16_t did, uint64_t root)
{
	put64(PASID_TBL(i), 1 | 1ull << 6);        /* present, first stage */
	put64(PASID_TBL(i) + 8, did);
	put64(PASID_TBL(i) + 16, root);
}

static bool slots_are(struct vtd_run *r, uint32_t hwpt, unsigned zeroed, uint32_t full)
{
	bool ok = hwpt != 0;

	for (unsigned i = 0; i < 4; i++)
		ok &= iotlb_is(r->fd, hwpt, i, zeroed & 1u << i ? 0 : full);
	return ok;
}

static void vtd_checks(struct vtd_run *r)
{
	const uint64_t pc[][2] = { PC_GLOBAL };

	vtd_pasid(0, 5, FS_ROOT_A);
	check(vtd_batch(r, pc, 1), "vVT-d: PASID-cache invalidation + wait completes");
	uint32_t h = vtd_nested_hwpt(r->n, r->rid[0]);
	check(slots_are(r, h, 0, FS_ROOT_A >> 12),
	      "vVT-d: the first-stage PASID entry is a nested HWPT on the stage-2 the kernel holds (MD_CHECK_IOTLB)");
	const uint64_t b1[][2] = { PSI(5, 0), PSI(5, 2) };
	struct vtd_nested_stats a, b;
	vtd_nested_get_stats(r->n, &a);
	check(vtd_batch(r, b1, 2), "vVT-d: two page-selective invalidations + wait complete");
	vtd_nested_get_stats(r->n, &b);
	check(slots_are(r, h, 0x5, FS_ROOT_A >> 12), "vVT-d: they cleared IOTLB slots 0 and 2 of the nested domain");
	check(b.invalidations - a.invalidations == 1 && b.entries - a.entries == 2,
	      "vVT-d: one IOMMU_HWPT_INVALIDATE with 2 entries for the batch");
	const uint64_t b2[][2] = { DSI(5), DSI(7) };
	check(vtd_batch(r, b2, 2) && slots_are(r, h, 0xf, 0), "vVT-d: a domain invalidation cleared all slots");

	/* New tables for the domain; the mock has no IOTLB slot 9: EINVAL at that entry -> IQE there. */
	vtd_pasid(0, 5, FS_ROOT_B);
	check(vtd_batch(r, pc, 1), "vVT-d: the device moved to the nested HWPT of its new tables");
	h = vtd_nested_hwpt(r->n, r->rid[0]);
	unsigned start = r->tail;
	const uint64_t b3[][2] = { PSI(5, 1), PSI(5, 9), PSI(5, 3) };
	vtd_put(r, b3, 3);
	check(wait_for(iqe_seen, r), "vVT-d: the kernel's EINVAL is an invalidation queue error (FSTS.IQE)");
	check(r32(&vtd_mmio_ops, r->v, IQH) == ((start + 1) % QLEN) * 32, "vVT-d: IQH at the descriptor the kernel failed");
	check(get32(STATUS) != r->seq, "vVT-d: the wait after it is not completed");
	check(iotlb_is(r->fd, h, 1, 0) && iotlb_is(r->fd, h, 3, FS_ROOT_B >> 12),
	      "vVT-d: the invalidation before it took effect, the one after it not yet");
	/* Linux's qi_check_fault: its wait over the bad descriptor, IQE cleared; the queue goes on. */
	uint64_t wait[4] = { (uint64_t)r->seq << 32 | 1u << 5 | 5, STATUS, 0, 0 };
	if (gmem_write(&gm, QBASE + ((start + 1) % QLEN) * 32, wait, 32))
		check(false, "the wait over the bad descriptor");
	w32(&vtd_mmio_ops, r->v, FSTS, 0x10);
	check(wait_for(wait_done, r) && iotlb_is(r->fd, h, 3, 0), "vVT-d: after the guest's recovery the rest runs");
}

/* Linux-sized batches: 15 page-selective invalidations + a wait per IQT write. */
static bool vtd_rounds(struct vtd_run *r, unsigned rounds, struct bench *x)
{
	uint64_t d[15][2];
	struct vtd_stats a, b;

	for (unsigned i = 0; i < 15; i++) {
		d[i][0] = 5ull << 16 | 3u << 4 | 2;
		d[i][1] = (uint64_t)(i % 4) << 12;
	}
	*x = (struct bench){ 0 };
	vtd_get_stats(r->v, &a);
	for (unsigned k = 0; k < rounds; k++) {
		double t0 = now_us();

		if (!vtd_batch(r, (const uint64_t (*)[2])d, 15))
			return false;
		double t = now_us() - t0;
		x->lat += t;
		x->worst = t > x->worst ? t : x->worst;
	}
	vtd_get_stats(r->v, &b);
	x->drains = b.drains - a.drains;
	x->calls = b.host_calls - a.host_calls;
	x->cmds = b.descriptors - a.descriptors;
	return true;
}

static void vtd_bench(struct vtd_run *r, unsigned rounds)
{
	struct bench sk, qm;
	bool ok = vtd_rounds(r, rounds, &sk);

	r->pc.on = true;
	ok = ok && vtd_rounds(r, rounds, &qm);
	r->pc.on = false;
	check(ok, "vVT-d bench: every batch completed");
	printf("MEASURE vtd_batch=15+wait rounds=%u\n", rounds);
	bench_print("vtd", "skiff", &sk, rounds);
	bench_print("vtd", "per_command", &qm, rounds);
	printf("MEASURE vtd_host_calls_per_drain=%.2f\n", sk.drains ? (double)sk.calls / sk.drains : 0);
	check(sk.drains && sk.calls == sk.drains, "vVT-d bench: one host call per drain");
	check(qm.calls == 15 * qm.drains, "vVT-d bench: the per-command model makes 15 host calls per drain");
}

static int vtd_part(struct iommu_plan *p, int fd, const struct mock *mk, unsigned rounds)
{
	const struct iommu_unit *u = iommu_plan_unit(p, 0);
	struct vtd_run r = { .fd = fd };
	struct vtd_env env = { .mem = &gm };
	struct iq_engine *e = NULL;
	char err[IOMMU_ERR_MAX];
	struct vtd_nested_params np = { iommu_sys_real(), fd, iommu_plan_s2(p, u->s2)->hwpt_id, true };

	if (vtd_nested_create(&np, &r.n, err, sizeof(err))) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < 2; i++) {
		const struct iommu_dev *d = iommu_plan_dev(p, i);
		struct iommu_attach_ops at = { mock_attach, mock_detach, (void *)&mk[i] };

		r.rid[i] = (uint16_t)d->virt_id;
		if (vtd_nested_add_device(r.n, r.rid[i], d->dev_id, &at, err, sizeof(err))) {
			printf("FATAL: %s\n", err);
			return 1;
		}
	}
	/* The mock is not a VT-d: the model's own capabilities, as the selftest flavour keeps them. */
	r.pc.vtd = vtd_nested_backend(r.n);
	const struct vtd_backend_ops wrap = { pc_context_changed, pc_iotlb_invalidate, pc_vtd_flush, &r.pc };
	struct vtd_params vp = { .addr_width = 48, .bus = (uint8_t)(r.rid[0] >> 8), .backend = &wrap,
				 .nested = true, .host_cap = ~0ull, .host_ecap = ~0ull };
	if (vtd_create(&vp, &env, &r.v, err, sizeof(err)) || iq_engine_create(&e, err, sizeof(err))) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	check(iq_engine_add(e, vtd_kick_fd(r.v), drain_vtd, r.v) == 0 && iq_engine_start(e) == 0,
	      "the queue engine polls the vVT-d's kick fd");
	/* Root entry of the unit's bus -> context entries -> PASID directory -> PASID table; Linux's bring-up. */
	put64(ROOT + (r.rid[0] >> 8) * 16, CTX | 1);
	for (unsigned i = 0; i < 2; i++) {
		put64(CTX + (r.rid[i] & 0xff) * 32, PASID_DIR(i) | 1);
		put64(PASID_DIR(i), PASID_TBL(i) | 1);
		put64(PASID_TBL(i), 1 | 4ull << 6);    /* pass-through until the guest's domain is set up */
	}
	w32(&vtd_mmio_ops, r.v, IQT, 0);
	w64(&vtd_mmio_ops, r.v, IQA, QBASE | 1u << 11);
	w32(&vtd_mmio_ops, r.v, GCMD, 1u << 26);
	w64(&vtd_mmio_ops, r.v, RTADDR, ROOT | 1u << 10);
	w32(&vtd_mmio_ops, r.v, GCMD, 1u << 26 | 1u << 30);
	w32(&vtd_mmio_ops, r.v, GCMD, 1u << 26 | 1u << 31);
	vtd_checks(&r);
	if (rounds)
		vtd_bench(&r, rounds);
	iq_engine_destroy(e);
	vtd_destroy(r.v);
	vtd_nested_destroy(r.n);
	return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static int run(unsigned rounds)
{
	struct gmem none = { .memfd = -1 };
	struct vfio_iommu *io = NULL;
	struct iommu_plan *p = NULL;
	struct mock mk[2];
	char err[VFIO_ERR_MAX];
	unsigned nr_buses;
	int fd, r;

	if (gmem_create(&gm, RAM, 0xc0000000ull) || vfio_iommu_create(&none, NULL, &io, err, sizeof(err))) {
		printf("FATAL: no guest memory or no iommufd\n");
		return 1;
	}
	fd = vfio_iommu_fd(io);
	r = iommu_plan_create(iommu_sys_real(), NULL, &p, err, sizeof(err));
	for (unsigned i = 0; !r && i < 2; i++)
		r = mock_add(p, io, i, &mk[i], err, sizeof(err));
	if (!r)
		r = iommu_plan_place(p, 1, 1, 8, &nr_buses, err, sizeof(err));
	if (r) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < 2; i++) {
		const struct iommu_dev *d = iommu_plan_dev(p, i);
		struct iommu_attach_ops at = { mock_attach, mock_detach, &mk[i] };

		iommu_plan_bind(p, i, mk[i].idev_id, iommu_plan_unit(p, d->unit)->root_bus << 8 | d->slot << 3, &at);
	}
	r = iommu_plan_execute(p, fd, vfio_iommu_ioas_id(io), err, sizeof(err));
	check(r == 0, r ? err : "the plan executed: a selftest vIOMMU on a stage-2, a VDEVICE per mock device");
	if (!r) {
		r = smmu_part(p, fd, mk, rounds);
		if (!r)
			r = vtd_part(p, fd, mk, rounds);
	}
	iommu_plan_destroy(p);
	vfio_iommu_destroy(io);
	gmem_destroy(&gm);
	return r || failed;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "rounds", required_argument, NULL, 'r' }, { 0 } };
	unsigned rounds = 200;
	int c;

	while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (c != 'r') {
			fprintf(stderr, "usage: iommu-mock-nested [--rounds N]\n");
			return 2;
		}
		rounds = (unsigned)strtoul(optarg, NULL, 10);
	}
	log_set_level(LOG_INFO);
	return run(rounds) ? 1 : 0;
}
