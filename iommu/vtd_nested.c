// SPDX-License-Identifier: Apache-2.0
/*
 * The vVT-d nested backend (iommu.h, docs/vvtd.md "Nested backend"): on a
 * host VT-d that nests, the guest's first-stage tables are handed to the
 * host IOMMU, which walks them on top of the unit's stage-2 (GPA -> host
 * physical). skiff only forwards configuration and invalidations:
 *
 *   a device's PASID entry (RID_PASID) with first-stage tables becomes an
 *   IOMMU_HWPT_DATA_VTD_S1 nested HWPT on the stage-2 parent (one per
 *   guest domain and table root, shared by the devices using it), and the
 *   device is replace-attached to it; pass-through and translation off put
 *   it on the stage-2 itself, a blocked entry detaches it;
 *
 *   the IOTLB and PASID-based IOTLB invalidations of one batch become ONE
 *   IOMMU_HWPT_INVALIDATE per nested HWPT they concern, with an array of
 *   struct iommu_hwpt_vtd_s1_invalidate; a failure at entry k is reported
 *   to the model (vtd_backend_failed), which raises IQE at the descriptor
 *   that entry came from.
 *
 * context_changed() and iotlb_invalidate() only record; flush() makes the
 * host calls, on the queue engine's thread. The selftest flavour speaks the
 * kernel's mock IOMMU data types (its nested domain keeps the table root's
 * page number as IOTLB value; a page-selective invalidation clears IOTLB
 * slot "page number", which the mock has 4 of; anything wider clears all).
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nested-priv.h"

#define VN_MAX_DEVS IOMMU_MAX_DEVS
#define VN_MAX_DOMS IOMMU_MAX_DEVS
#define VN_MAX_PENDING 64u

enum vn_where { VN_S2, VN_BLOCKED, VN_NESTED };

struct vn_domain {
	bool live;
	struct vtd_dev_state st;     /* did, fs_root, levels, WPE */
	uint32_t hwpt_id;
	unsigned users;
	unsigned nr_pending;
	union {
		struct iommu_hwpt_vtd_s1_invalidate vtd[VN_MAX_PENDING];
		struct nested_selftest_hwpt_inv st[VN_MAX_PENDING];
	} ent;
	unsigned nth[VN_MAX_PENDING];  /* the iotlb_invalidate() call each entry came from */
};

struct vn_dev {
	uint16_t rid;
	uint32_t dev_id;
	struct iommu_attach_ops at;
	enum vn_where where;
	int dom;
	bool dirty;
};

struct vtd_nested {
	pthread_mutex_t lock;
	struct vtd_nested_params p;
	struct vtd_backend_ops ops;
	unsigned nr_devs;
	struct vn_dev devs[VN_MAX_DEVS];
	struct vn_domain doms[VN_MAX_DOMS];
	unsigned told;               /* iotlb_invalidate() calls since the last flush */
	/* the flush in progress */
	unsigned calls;
	int err;
	bool warned;
	struct vtd_nested_stats stats;
};

static void vn_error(struct vtd_nested *n, int r, const char *what, unsigned id)
{
	n->stats.errors++;
	if (!n->err)
		n->err = r;
	if (n->warned)
		return;
	n->warned = true;
	log_warn("vvtd nested: %s %u: %s (further failures not logged)", what, id, strerror(-r));
}

static int vn_ioctl(struct vtd_nested *n, unsigned long req, void *arg)
{
	n->calls++;
	n->stats.host_calls++;
	return n->p.sys->ioctl(n->p.sys->ctx, n->p.iommufd, req, arg);
}

/* ---- domains: one nested HWPT per guest first-stage table ---------------------- */

static bool same_tables(const struct vtd_dev_state *a, const struct vtd_dev_state *b)
{
	return a->did == b->did && a->fs_root == b->fs_root && a->levels == b->levels &&
	       a->write_protect_ok == b->write_protect_ok;
}

static int vn_alloc(struct vtd_nested *n, const struct vn_dev *dv, const struct vtd_dev_state *st, uint32_t *ret)
{
	struct iommu_hwpt_vtd_s1 vtd = {
		.flags = st->write_protect_ok ? IOMMU_VTD_S1_WPE : 0, .pgtbl_addr = st->fs_root,
		.addr_width = st->levels == 5 ? 57 : 48,
	};
	struct nested_selftest_hwpt sel = { .iotlb = (uint32_t)(st->fs_root >> 12) };
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .dev_id = dv->dev_id, .pt_id = n->p.s2_id,
		.data_type = n->p.selftest ? IOMMU_HWPT_DATA_SELFTEST_ID : IOMMU_HWPT_DATA_VTD_S1,
		.data_len = n->p.selftest ? sizeof(sel) : sizeof(vtd),
		.data_uptr = n->p.selftest ? (uintptr_t)&sel : (uintptr_t)&vtd,
	};
	int r = vn_ioctl(n, IOMMU_HWPT_ALLOC, &a);

	if (r < 0)
		return r;
	n->stats.hwpt_allocs++;
	*ret = a.out_hwpt_id;
	return 0;
}

/* The domain of st's tables, its nested HWPT made (for device dv) if none exists: index or -errno. */
static int vn_domain_get(struct vtd_nested *n, const struct vn_dev *dv, const struct vtd_dev_state *st)
{
	int free_slot = -1, r;
	uint32_t id;

	for (int i = 0; i < VN_MAX_DOMS; i++) {
		if (n->doms[i].live && same_tables(&n->doms[i].st, st))
			return i;
		if (!n->doms[i].live && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC; /* one per device at most: cannot happen */
	r = vn_alloc(n, dv, st, &id);
	if (r < 0) {
		vn_error(n, r, "allocating a nested HWPT for guest domain", st->did);
		return r;
	}
	n->doms[free_slot] = (struct vn_domain){ .live = true, .st = *st, .hwpt_id = id };
	return free_slot;
}

static void vn_domain_destroy(struct vtd_nested *n, struct vn_domain *d)
{
	n->calls++;
	n->stats.host_calls++;
	nested_destroy(n->p.sys, n->p.iommufd, &d->hwpt_id, "vvtd nested", "nested HWPT");
	*d = (struct vn_domain){ 0 };
}

/* One entry for d: [iova, iova + len), len 0 the whole address space; nth the call it came from. */
static void vn_queue(struct vn_domain *d, bool selftest, uint64_t iova, uint64_t len, unsigned nth)
{
	bool all = !len || len >> 12 == 0;
	unsigned k = d->nr_pending;

	if (k == VN_MAX_PENDING) {
		/* More than one batch needs: one invalidation of everything, failing as early as the first. */
		nth = d->nth[0];
		k = 0;
		all = true;
	}
	if (selftest)
		d->ent.st[k] = (struct nested_selftest_hwpt_inv){
			.flags = all ? NESTED_SELFTEST_INV_ALL : 0, .iotlb_id = all ? 0 : (uint32_t)(iova >> 12),
		};
	else
		d->ent.vtd[k] = (struct iommu_hwpt_vtd_s1_invalidate){
			.addr = all ? 0 : iova, .npages = all ? UINT64_MAX : len >> 12,
		};
	d->nth[k] = nth;
	d->nr_pending = k + 1;
}

/* d's pending entries in one call: the first failed call index, or -1. */
static int vn_domain_flush(struct vtd_nested *n, struct vn_domain *d)
{
	uint32_t done;
	unsigned k = d->nr_pending;
	int r;

	if (!k)
		return -1;
	d->nr_pending = 0;
	n->calls++;
	n->stats.host_calls++;
	n->stats.invalidations++;
	n->stats.entries += k;
	r = nested_invalidate(n->p.sys, n->p.iommufd, d->hwpt_id,
			      n->p.selftest ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_ID : IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
			      &d->ent, n->p.selftest ? sizeof(d->ent.st[0]) : sizeof(d->ent.vtd[0]), k, &done);
	if (r >= 0)
		return -1;
	n->stats.partial++;
	vn_error(n, r, "IOMMU_HWPT_INVALIDATE on the nested HWPT of guest domain", d->st.did);
	return (int)d->nth[done];
}

/* ---- devices --------------------------------------------------------------------- */

static int vn_move(struct vtd_nested *n, struct vn_dev *dv, enum vn_where where, int dom)
{
	int r;

	n->calls++;
	n->stats.host_calls++;
	n->stats.attaches++;
	if (where == VN_BLOCKED)
		r = dv->at.detach(dv->at.opaque);
	else
		r = dv->at.attach(dv->at.opaque, where == VN_NESTED ? n->doms[dom].hwpt_id : n->p.s2_id);
	if (r < 0)
		return r;
	if (dv->where == VN_NESTED)
		n->doms[dv->dom].users--;
	if (where == VN_NESTED)
		n->doms[dom].users++;
	dv->where = where;
	dv->dom = dom;
	return 0;
}

/* Put a device where the guest's tables say it is now. */
static void vn_place(struct vtd_nested *n, struct vtd *v, struct vn_dev *dv)
{
	struct vtd_dev_state st;
	enum vn_where where = VN_S2;
	int dom = -1, r;

	dv->dirty = false;
	vtd_device_state(v, dv->rid, &st);
	if (st.mode == VTD_DEV_FIRST_STAGE) {
		where = VN_NESTED;
		dom = vn_domain_get(n, dv, &st);
		if (dom < 0)
			where = VN_BLOCKED; /* no nested HWPT: better no DMA than the identity map the guest took away */
	} else if (st.mode == VTD_DEV_BLOCKED) {
		where = VN_BLOCKED;
	}
	if (where == dv->where && dom == dv->dom)
		return;
	r = vn_move(n, dv, where, dom);
	if (r < 0) {
		/* The replace is atomic: the device is where it was. Off to blocked DMA rather than stay. */
		vn_error(n, r, "moving device with requester ID", dv->rid);
		if (where == VN_NESTED && dv->where != VN_BLOCKED && vn_move(n, dv, VN_BLOCKED, -1) < 0)
			vn_error(n, r, "blocking device with requester ID", dv->rid);
	}
}

/* ---- the backend ------------------------------------------------------------------ */

static void vn_context_changed(void *opaque, struct vtd *v, int rid)
{
	struct vtd_nested *n = opaque;

	(void)v;
	pthread_mutex_lock(&n->lock);
	for (unsigned i = 0; i < n->nr_devs; i++)
		if (rid < 0 || n->devs[i].rid == rid)
			n->devs[i].dirty = true;
	pthread_mutex_unlock(&n->lock);
}

static void vn_iotlb_invalidate(void *opaque, struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	struct vtd_nested *n = opaque;
	uint64_t last;

	(void)v;
	/* A range past the end of the address space: all of it. */
	if (len && __builtin_add_overflow(iova, len - 1, &last))
		len = 0;
	pthread_mutex_lock(&n->lock);
	for (unsigned i = 0; i < VN_MAX_DOMS; i++)
		if (n->doms[i].live && (did < 0 || n->doms[i].st.did == did))
			vn_queue(&n->doms[i], n->p.selftest, iova, len, n->told);
	n->told++;
	pthread_mutex_unlock(&n->lock);
}

static int vn_flush(void *opaque, struct vtd *v)
{
	struct vtd_nested *n = opaque;
	int failed = -1, r;

	pthread_mutex_lock(&n->lock);
	n->calls = 0;
	n->err = 0;
	for (unsigned i = 0; i < n->nr_devs; i++)
		if (n->devs[i].dirty)
			vn_place(n, v, &n->devs[i]);
	for (unsigned i = 0; i < VN_MAX_DOMS; i++) {
		struct vn_domain *d = &n->doms[i];
		int f;

		if (d->live && !d->users) {
			vn_domain_destroy(n, d);
			continue;
		}
		f = d->live ? vn_domain_flush(n, d) : -1;
		if (f >= 0 && (failed < 0 || f < failed))
			failed = f;
	}
	n->told = 0;
	if (n->calls)
		n->stats.flushes++;
	r = n->err ? n->err : (int)n->calls;
	pthread_mutex_unlock(&n->lock);
	if (failed >= 0)
		vtd_backend_failed(v, (unsigned)failed);
	return r;
}

int vtd_nested_create(const struct vtd_nested_params *p, struct vtd_nested **ret, char *err, size_t errlen)
{
	struct vtd_nested *n;

	if (!p->sys || p->iommufd < 0 || !p->s2_id) {
		snprintf(err, errlen, "vvtd nested: no iommufd or no stage-2 parent");
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "vvtd nested: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&n->lock, NULL);
	n->p = *p;
	n->ops = (struct vtd_backend_ops){ vn_context_changed, vn_iotlb_invalidate, vn_flush, n };
	*ret = n;
	return 0;
}

int vtd_nested_add_device(struct vtd_nested *n, uint16_t rid, uint32_t dev_id, const struct iommu_attach_ops *at,
			  char *err, size_t errlen)
{
	/* Blocking must really block: "detach NULL means attach to the IOAS" would hand the guest all RAM. */
	if (!at || !at->attach || !at->detach) {
		snprintf(err, errlen, "vvtd nested: device %02x:%02x.%u needs attach and detach callbacks", rid >> 8,
			 (rid >> 3) & 0x1f, rid & 7);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n->nr_devs; i++) {
		if (n->devs[i].rid == rid) {
			snprintf(err, errlen, "vvtd nested: device %02x:%02x.%u is added twice", rid >> 8,
				 (rid >> 3) & 0x1f, rid & 7);
			return -EEXIST;
		}
	}
	if (n->nr_devs == VN_MAX_DEVS) {
		snprintf(err, errlen, "vvtd nested: at most %d devices behind one vVT-d", VN_MAX_DEVS);
		return -ENOSPC;
	}
	/* The plan attached it to the stage-2: GPA identity, as a guest with translation off expects. */
	n->devs[n->nr_devs++] = (struct vn_dev){ .rid = rid, .dev_id = dev_id, .at = *at, .where = VN_S2, .dom = -1 };
	return 0;
}

const struct vtd_backend_ops *vtd_nested_backend(struct vtd_nested *n)
{
	return &n->ops;
}

void vtd_nested_destroy(struct vtd_nested *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	for (unsigned i = 0; i < n->nr_devs; i++) {
		struct vn_dev *dv = &n->devs[i];

		if (dv->where != VN_S2 && vn_move(n, dv, VN_S2, -1) < 0) {
			log_warn("vvtd nested: device %02x:%02x.%u could not go back to the stage-2; detaching it",
				 dv->rid >> 8, (dv->rid >> 3) & 0x1f, dv->rid & 7);
			if (dv->where == VN_NESTED && dv->at.detach(dv->at.opaque) == 0) {
				n->doms[dv->dom].users--;
				dv->where = VN_BLOCKED;
			}
		}
	}
	for (unsigned i = 0; i < VN_MAX_DOMS; i++)
		if (n->doms[i].live && !n->doms[i].users)
			vn_domain_destroy(n, &n->doms[i]);
	pthread_mutex_unlock(&n->lock);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

uint32_t vtd_nested_hwpt(struct vtd_nested *n, uint16_t rid)
{
	uint32_t id = 0;

	pthread_mutex_lock(&n->lock);
	for (unsigned i = 0; i < n->nr_devs; i++)
		if (n->devs[i].rid == rid && n->devs[i].where == VN_NESTED)
			id = n->doms[n->devs[i].dom].hwpt_id;
	pthread_mutex_unlock(&n->lock);
	return id;
}

void vtd_nested_get_stats(struct vtd_nested *n, struct vtd_nested_stats *out)
{
	pthread_mutex_lock(&n->lock);
	*out = n->stats;
	out->domains = 0;
	for (unsigned i = 0; i < VN_MAX_DOMS; i++)
		out->domains += n->doms[i].live;
	pthread_mutex_unlock(&n->lock);
}

bool vtd_nested_host_caps(const struct iommu_unit *u, uint64_t *ret_cap, uint64_t *ret_ecap)
{
	struct iommu_hw_info_vtd info;

	if (!u->hw_known || u->hw_type != IOMMU_HW_INFO_TYPE_INTEL_VTD || u->hw_data_len < sizeof(info))
		return false;
	memcpy(&info, u->hw_data, sizeof(info));
	*ret_cap = info.cap_reg;
	*ret_ecap = info.ecap_reg;
	return true;
}
