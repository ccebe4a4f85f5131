// SPDX-License-Identifier: Apache-2.0
/*
 * The vSMMUv3 nested backend (iommu.h, docs/vsmmuv3.md "Nested backend"):
 * the guest owns stage 1 (its STEs' CD tables, its ASIDs), the host's
 * SMMUv3 walks them on top of the unit's stage-2, and skiff only forwards.
 *
 *   ste_changed  a nested HWPT on the vIOMMU from the guest STE's words
 *                0-1 (masked to the fields the kernel lets a guest own),
 *                then a replace-attach of the device to it and the old one
 *                destroyed. Abort and bypass are nested HWPTs too, as the
 *                kernel's arm-smmu-v3 iommufd code expects (it installs an
 *                abort STE or the stage-2 alone for them).
 *   flush        the batch as ONE IOMMU_HWPT_INVALIDATE on the vIOMMU;
 *                the kernel turns guest StreamIDs into physical ones
 *                through the VDEVICEs and puts its VMID into TLBIs.
 *   events       the VEVENTQ's records (StreamID already the guest's)
 *                into the guest's event queue.
 *
 * A partial failure: the kernel's entry_num names the entry it failed at;
 * the model raises CERROR_ILL at that command. The arm-smmu-v3 driver
 * converts and issues entries in chunks of 63, so entries of the failing
 * chunk before the bad one were converted but never issued: they are
 * issued again in a second call before the failure is reported, or the
 * guest would believe them complete.
 */
#include <endian.h>
#include <errno.h>
#include <linux/iommufd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nested-priv.h"

#define MASK(hi, lo) ((~0ull >> (63 - (hi))) & ~((1ull << (lo)) - 1))
/* STE fields a guest may own under nesting (SMMUv3 5.2; the kernel's STRTAB_STE_*_NESTING_ALLOWED). */
#define STE0_V 1ull
#define STE0_CFG MASK(3, 1)
#define STE0_ALLOWED (STE0_V | STE0_CFG | MASK(5, 4) | MASK(51, 6) | MASK(63, 59))
#define STE1_EATS MASK(29, 28)
#define STE1_ALLOWED (MASK(7, 0) | (1ull << 27) | STE1_EATS)
#define STE_CFG_ABORT 0ull
#define STE_CFG_BYPASS (4ull << 1)
#define STE_CFG_S1 (5ull << 1)

#define OP_CFGI_CD 0x05
#define OP_CFGI_CD_ALL 0x06
#define OP_ATC_INV 0x40
#define EVT_F_TRANSLATION 0x10

struct nd_dev {
	struct smmuv3_nested_dev d;
	bool own_vdevice;            /* the backend allocated it */
	uint32_t hwpt_id;            /* its nested HWPT now, 0: still where the plan left it */
};

struct smmuv3_nested {
	pthread_mutex_t lock;        /* stats; everything else is the drain thread's */
	struct smmuv3_nested_params p;
	struct smmuv3_backend_ops ops;
	struct smmuv3 *unit;
	unsigned nr_devs;
	struct nd_dev devs[SMMUV3_MAX_STREAMS];
	uint32_t veventq_id;
	int veventq_fd;
	uint32_t next_seq;           /* the vEVENT sequence expected next */
	bool seq_known;
	/* the flush in progress: entries and, for each, the command it came from */
	union {
		struct iommu_viommu_arm_smmuv3_invalidate arm[SMMUV3_BATCH_MAX];
		struct nested_selftest_viommu_inv st[SMMUV3_BATCH_MAX];
	} ent;
	unsigned from[SMMUV3_BATCH_MAX];
	bool warned;
	struct smmuv3_nested_stats stats;
};

static void nd_count(struct smmuv3_nested *n, uint64_t *field, uint64_t by)
{
	pthread_mutex_lock(&n->lock);
	*field += by;
	pthread_mutex_unlock(&n->lock);
}

static void nd_error(struct smmuv3_nested *n, int r, const char *what, uint32_t sid)
{
	nd_count(n, &n->stats.errors, 1);
	/* A guest can make every call fail the same way: said once. */
	if (n->warned)
		return;
	n->warned = true;
	log_warn("vsmmuv3 nested: %s (StreamID %#x): %s (further failures not logged)", what, sid, strerror(-r));
}

static struct nd_dev *nd_find(struct smmuv3_nested *n, uint32_t sid)
{
	for (unsigned i = 0; i < n->nr_devs; i++)
		if (n->devs[i].d.sid == sid)
			return &n->devs[i];
	return NULL;
}

/* STE words 0-1 for the kernel, in host order: the effective configuration, guest fields masked. */
static void nd_ste_words(const struct smmuv3_ste *ste, uint64_t w[2])
{
	w[0] = STE0_V;
	w[1] = 0;
	if (ste->config == SMMUV3_CFG_BYPASS) {
		w[0] |= STE_CFG_BYPASS;
	} else if (ste->config == SMMUV3_CFG_S1) {
		w[0] = (ste->word[0] & STE0_ALLOWED & ~STE0_CFG) | STE0_V | STE_CFG_S1;
		w[1] = ste->word[1] & STE1_ALLOWED;
		/* The kernel takes EATS 0 (ATS aborted) or 1 (full ATS) only: split-stage ATS aborts. */
		if ((w[1] & STE1_EATS) >> 28 > 1)
			w[1] &= ~STE1_EATS;
	}
	/* ABORT (by the STE, GBPA, or an STE the model could not use): V with Config 0. */
}

/* A nested HWPT on the vIOMMU from STE words w. */
static int nd_alloc(struct smmuv3_nested *n, const struct nd_dev *dv, const uint64_t w[2], uint32_t *ret_id)
{
	struct iommu_hwpt_arm_smmuv3 arm = { .ste = { htole64(w[0]), htole64(w[1]) } };
	struct nested_selftest_hwpt st = { .iotlb = (uint32_t)w[0] };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .dev_id = dv->d.dev_id, .pt_id = n->p.viommu_id,
		.data_type = n->p.selftest ? IOMMU_HWPT_DATA_SELFTEST_ID : IOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = n->p.selftest ? sizeof(st) : sizeof(arm),
		.data_uptr = n->p.selftest ? (uintptr_t)&st : (uintptr_t)&arm,
	};
	int r = n->p.sys->ioctl(n->p.sys->ctx, n->p.iommufd, IOMMU_HWPT_ALLOC, &a);

	if (r < 0)
		return r;
	nd_count(n, &n->stats.hwpt_allocs, 1);
	*ret_id = a.out_hwpt_id;
	return 0;
}

static int nd_ste_changed(void *opaque, struct smmuv3 *s, uint32_t sid, const struct smmuv3_ste *ste)
{
	struct smmuv3_nested *n = opaque;
	struct nd_dev *dv = nd_find(n, sid);
	uint64_t w[2];
	uint32_t id = 0;
	int r;

	(void)s;
	if (!dv)
		return -ENOENT;
	nd_ste_words(ste, w);
	r = nd_alloc(n, dv, w, &id);
	if (r < 0) {
		/* EIO: the kernel refused the STE's contents (a field the host cannot nest). */
		nd_error(n, r, "allocating a nested HWPT from the guest's STE", sid);
		return r;
	}
	r = dv->d.at.attach(dv->d.at.opaque, id);
	nd_count(n, &n->stats.attaches, 1);
	if (r < 0) {
		/* The replace is atomic: the device still has its old configuration. */
		nd_error(n, r, "attaching the device to its new nested HWPT", sid);
		nested_destroy(n->p.sys, n->p.iommufd, &id, "vsmmuv3 nested", "nested HWPT");
		return r;
	}
	nested_destroy(n->p.sys, n->p.iommufd, &dv->hwpt_id, "vsmmuv3 nested", "nested HWPT");
	dv->hwpt_id = id;
	return 0;
}

/* The selftest flavour's entry for one command: true if it has one. */
static bool nd_selftest_entry(const struct smmuv3_cmd *c, struct nested_selftest_viommu_inv *e)
{
	unsigned op = c->w[0] & 0xff;

	e->vdev_id = (uint32_t)(c->w[0] >> 32);
	e->cache_id = 0;
	e->flags = NESTED_SELFTEST_INV_ALL;
	if (op == OP_CFGI_CD) {
		/* The SSID names the slot: one the mock does not have is its EINVAL, the guest's CERROR_ILL. */
		e->flags = 0;
		e->cache_id = (uint32_t)(c->w[0] >> 12) & 0xfffff;
	}
	return op == OP_CFGI_CD || op == OP_CFGI_CD_ALL || op == OP_ATC_INV;
}

/* Build the entries of cmds[0, n): how many. */
static unsigned nd_build(struct smmuv3_nested *n, const struct smmuv3_cmd *cmds, unsigned nr)
{
	unsigned k = 0;

	for (unsigned i = 0; i < nr && i < SMMUV3_BATCH_MAX; i++) {
		if (n->p.selftest) {
			if (!nd_selftest_entry(&cmds[i], &n->ent.st[k]))
				continue;
		} else {
			n->ent.arm[k].cmd[0] = htole64(cmds[i].w[0]);
			n->ent.arm[k].cmd[1] = htole64(cmds[i].w[1]);
		}
		n->from[k++] = i;
	}
	return k;
}

static int nd_call(struct smmuv3_nested *n, unsigned k, uint32_t *done)
{
	int r = nested_invalidate(n->p.sys, n->p.iommufd, n->p.viommu_id,
				  n->p.selftest ? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_ID
						: IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
				  &n->ent, n->p.selftest ? sizeof(n->ent.st[0]) : sizeof(n->ent.arm[0]), k, done);

	pthread_mutex_lock(&n->lock);
	n->stats.invalidations++;
	n->stats.entries += k;
	pthread_mutex_unlock(&n->lock);
	return r;
}

static int nd_flush(void *opaque, struct smmuv3 *s, const struct smmuv3_cmd *cmds, unsigned nr, unsigned *consumed)
{
	struct smmuv3_nested *n = opaque;
	unsigned k = nd_build(n, cmds, nr);
	uint32_t done, again;
	int r;

	(void)s;
	*consumed = nr;
	nd_count(n, &n->stats.dropped, nr - k);
	if (!k)
		return 0;
	r = nd_call(n, k, &done);
	if (r >= 0)
		return 1;
	nd_count(n, &n->stats.partial, 1);
	nd_error(n, r, "IOMMU_HWPT_INVALIDATE on the vIOMMU", (uint32_t)(cmds[n->from[done]].w[0] >> 32));
	/* The entries before the failing one again, so that they are done whatever the driver's chunking. */
	if (done && !n->p.selftest && nd_call(n, done, &again) < 0)
		done = again;
	*consumed = n->from[done];
	return r;
}

/* ---- events ------------------------------------------------------------------- */

static void nd_inject(struct smmuv3_nested *n, const uint8_t rec[SMMUV3_EVENT_SIZE])
{
	int r = n->unit ? smmuv3_inject_event(n->unit, rec) : -ENODEV;

	nd_count(n, r ? &n->stats.events_lost : &n->stats.events, 1);
}

/* One vEVENT at buf (len bytes left): bytes used, 0 if it is cut short. */
static size_t nd_one_event(struct smmuv3_nested *n, const uint8_t *buf, size_t len)
{
	struct iommufd_vevent_header h;
	size_t data = n->p.selftest ? sizeof(struct nested_selftest_vevent) : SMMUV3_EVENT_SIZE;
	uint8_t rec[SMMUV3_EVENT_SIZE] = { 0 };

	if (len < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	/* A gap in the sequence, or the lost-events marker (no data follows it): the kernel dropped some. */
	if (n->seq_known && h.sequence != n->next_seq)
		nd_count(n, &n->stats.events_lost, (h.sequence - n->next_seq) & 0x7fffffffu);
	n->seq_known = true;
	n->next_seq = (h.sequence + 1) & 0x7fffffffu;
	if (h.flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) {
		/* At least event `sequence` is gone; a later event's sequence tells how many more. */
		nd_count(n, &n->stats.events_lost, 1);
		return sizeof(h);
	}
	if (len < sizeof(h) + data)
		return 0;
	if (n->p.selftest) {
		struct nested_selftest_vevent e;
		uint64_t w0;

		memcpy(&e, buf + sizeof(h), sizeof(e));
		/* The mock's event names only the device: the guest sees a translation fault of that StreamID. */
		w0 = htole64(EVT_F_TRANSLATION | (uint64_t)e.virt_id << 32);
		memcpy(rec, &w0, sizeof(w0));
	} else {
		memcpy(rec, buf + sizeof(h), SMMUV3_EVENT_SIZE);
	}
	nd_inject(n, rec);
	return sizeof(h) + data;
}

void smmuv3_nested_events(void *opaque)
{
	struct smmuv3_nested *n = opaque;
	uint8_t buf[4096];
	ssize_t got;

	/* The kernel hands out whole events only; 0 (or EAGAIN) once the queue is empty. */
	while ((got = read(n->veventq_fd, buf, sizeof(buf))) > 0) {
		size_t off = 0, used;

		while ((used = nd_one_event(n, buf + off, (size_t)got - off)) > 0)
			off += used;
	}
}

/* ---- life cycle ----------------------------------------------------------------- */

static int nd_vdevice(struct smmuv3_nested *n, struct nd_dev *dv, char *err, size_t errlen)
{
	struct iommu_vdevice_alloc v = {
		.size = sizeof(v), .viommu_id = n->p.viommu_id, .dev_id = dv->d.dev_id, .virt_id = dv->d.sid,
	};
	int r = n->p.sys->ioctl(n->p.sys->ctx, n->p.iommufd, IOMMU_VDEVICE_ALLOC, &v);

	if (r < 0) {
		snprintf(err, errlen, "vsmmuv3 nested: IOMMU_VDEVICE_ALLOC for StreamID %#x on vIOMMU %u: %s", dv->d.sid,
			 n->p.viommu_id, strerror(-r));
		return r;
	}
	dv->d.vdevice_id = v.out_vdevice_id;
	dv->own_vdevice = true;
	return 0;
}

static int nd_veventq(struct smmuv3_nested *n, char *err, size_t errlen)
{
	struct iommu_veventq_alloc a = {
		.size = sizeof(a), .viommu_id = n->p.viommu_id, .veventq_depth = n->p.veventq_depth,
		.type = n->p.selftest ? IOMMU_VEVENTQ_TYPE_SELFTEST_ID : IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
	};
	int r = n->p.sys->ioctl(n->p.sys->ctx, n->p.iommufd, IOMMU_VEVENTQ_ALLOC, &a);

	if (r < 0) {
		snprintf(err, errlen, "vsmmuv3 nested: IOMMU_VEVENTQ_ALLOC on vIOMMU %u: %s", n->p.viommu_id, strerror(-r));
		return r;
	}
	n->veventq_id = a.out_veventq_id;
	n->veventq_fd = (int)a.out_veventq_fd;
	return 0;
}

static int nd_check(const struct smmuv3_nested_params *p, char *err, size_t errlen)
{
	if (!p->sys || p->iommufd < 0 || !p->viommu_id) {
		snprintf(err, errlen, "vsmmuv3 nested: no iommufd or no vIOMMU object");
		return -EINVAL;
	}
	if (p->nr_devs > SMMUV3_MAX_STREAMS) {
		snprintf(err, errlen, "vsmmuv3 nested: at most %u devices behind one vSMMUv3", SMMUV3_MAX_STREAMS);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < p->nr_devs; i++) {
		if (!p->devs[i].at.attach) {
			snprintf(err, errlen, "vsmmuv3 nested: StreamID %#x has no attach callback", p->devs[i].sid);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			if (p->devs[j].sid == p->devs[i].sid) {
				snprintf(err, errlen, "vsmmuv3 nested: StreamID %#x is given twice", p->devs[i].sid);
				return -EEXIST;
			}
		}
	}
	return 0;
}

int smmuv3_nested_create(const struct smmuv3_nested_params *p, struct smmuv3_nested **ret, char *err,
			 size_t errlen)
{
	struct smmuv3_nested *n;
	int r = nd_check(p, err, errlen);

	if (r)
		return r;
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "vsmmuv3 nested: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	n->p = *p;
	n->p.devs = NULL;
	n->veventq_fd = -1;
	n->ops = (struct smmuv3_backend_ops){ nd_ste_changed, nd_flush, n };
	for (unsigned i = 0; i < p->nr_devs && !r; i++) {
		n->devs[i].d = p->devs[i];
		n->nr_devs++;
		if (!p->devs[i].vdevice_id)
			r = nd_vdevice(n, &n->devs[i], err, errlen);
	}
	if (!r && p->veventq_depth)
		r = nd_veventq(n, err, errlen);
	if (r) {
		smmuv3_nested_destroy(n);
		return r;
	}
	*ret = n;
	return 0;
}

const struct smmuv3_backend_ops *smmuv3_nested_backend(struct smmuv3_nested *n)
{
	return &n->ops;
}

void smmuv3_nested_set_unit(struct smmuv3_nested *n, struct smmuv3 *s)
{
	n->unit = s;
}

int smmuv3_nested_event_fd(const struct smmuv3_nested *n)
{
	return n->veventq_fd;
}

void smmuv3_nested_destroy(struct smmuv3_nested *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->nr_devs; i++) {
		struct nd_dev *dv = &n->devs[i];
		int r = 0;

		if (dv->hwpt_id) {
			/* Off the nested HWPT before it goes: back to GPA identity, or blocked. */
			r = n->p.s2_id ? dv->d.at.attach(dv->d.at.opaque, n->p.s2_id)
				       : dv->d.at.detach ? dv->d.at.detach(dv->d.at.opaque) : -ENODEV;
			if (r < 0)
				log_warn("vsmmuv3 nested: StreamID %#x: leaving its nested HWPT: %s", dv->d.sid, strerror(-r));
			else
				nested_destroy(n->p.sys, n->p.iommufd, &dv->hwpt_id, "vsmmuv3 nested", "nested HWPT");
		}
		if (dv->own_vdevice && !r)
			nested_destroy(n->p.sys, n->p.iommufd, &dv->d.vdevice_id, "vsmmuv3 nested", "vDEVICE");
	}
	if (n->veventq_fd >= 0)
		n->p.sys->close(n->p.sys->ctx, n->veventq_fd);
	nested_destroy(n->p.sys, n->p.iommufd, &n->veventq_id, "vsmmuv3 nested", "vEVENTQ");
	pthread_mutex_destroy(&n->lock);
	free(n);
}

uint32_t smmuv3_nested_hwpt(struct smmuv3_nested *n, uint32_t sid)
{
	const struct nd_dev *dv = nd_find(n, sid);

	return dv ? dv->hwpt_id : 0;
}

void smmuv3_nested_get_stats(struct smmuv3_nested *n, struct smmuv3_nested_stats *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->stats;
	pthread_mutex_unlock(&n->lock);
}
