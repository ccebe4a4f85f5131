// SPDX-License-Identifier: Apache-2.0
/* The fake iommufd for the unit tests (see fake-iommufd.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/iommufd.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake-iommufd.h"

struct fake_iommufd fk;

void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.next_id = 1;
	fk.fd = -1;
	fk.failed_op = -1;
	fk.memfd = -1;
	fk.map_file_errno = ENOTTY;
	fk.veventq_wfd = -1;
	fk.ksz_hw_info = sizeof(struct iommu_hw_info);
	fk.ksz_hwpt_alloc = sizeof(struct iommu_hwpt_alloc);
	fk.ksz_viommu_alloc = sizeof(struct iommu_viommu_alloc);
}

int fake_add_inst(const char *name, uint32_t hw_type, bool nesting, bool viommu_obj, int s2_key)
{
	fk.inst[fk.nr_inst] = (struct fake_inst){ name, hw_type, nesting, viommu_obj, s2_key };
	return (int)fk.nr_inst++;
}

static uint32_t new_obj(enum fake_kind kind, int inst, uint32_t holds)
{
	uint32_t id = fk.next_id++;

	if (id >= FAKE_MAX_OBJ)
		return 0;
	fk.obj[id] = (struct fake_obj){ .kind = kind, .inst = inst, .holds = holds };
	if (holds)
		fk.obj[holds].users++;
	return id;
}

static struct fake_obj *get(uint32_t id, enum fake_kind kind)
{
	if (!id || id >= FAKE_MAX_OBJ || fk.obj[id].kind == FK_FREE)
		return NULL;
	return kind == FK_FREE || fk.obj[id].kind == kind ? &fk.obj[id] : NULL;
}

uint32_t fake_ioas(void)
{
	return new_obj(FK_IOAS, -1, 0);
}

uint32_t fake_device(int inst)
{
	return new_obj(FK_DEVICE, inst, 0);
}

bool fake_exists(uint32_t id)
{
	return get(id, FK_FREE) != NULL;
}

unsigned fake_live_objects(void)
{
	unsigned n = 0;

	for (unsigned i = 1; i < FAKE_MAX_OBJ; i++)
		n += fk.obj[i].kind != FK_FREE && fk.obj[i].kind != FK_IOAS && fk.obj[i].kind != FK_DEVICE;
	return n;
}

/* Every call counts; fail_nth and the one-shot errors come first. */
static int injected(enum fake_op op)
{
	int e;

	fk.calls++;
	fk.n[op]++;
	if (fk.fail_nth && fk.calls == fk.fail_nth) {
		fk.failed_op = (int)op;
		return -fk.fail_errno;
	}
	e = fk.force[op];
	if (!e || fk.n[op] != (fk.force_at[op] ? fk.force_at[op] : fk.n[op]))
		return 0;
	fk.force[op] = 0;
	return -e;
}

/* The kernel's copy_struct_from_user and min-size check. */
static int size_check(const void *arg, uint32_t ksz, uint32_t min)
{
	uint32_t usz;

	memcpy(&usz, arg, sizeof(usz));
	if (usz < min)
		return -EINVAL;
	if (usz > ksz) {
		if (fk.strict_size)
			return -E2BIG;
		for (uint32_t i = ksz; i < usz; i++)
			if (((const uint8_t *)arg)[i])
				return -E2BIG;
	}
	return 0;
}

static uint32_t viommu_type_of(uint32_t hw_type)
{
	switch (hw_type) {
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: return IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	case IOMMU_HWTYPE_SELFTEST: return IOMMU_VIOMMU_TYPE_SELFTEST_ID;
	default: return 0;
	}
}

static uint32_t nested_type_of(uint32_t hw_type)
{
	switch (hw_type) {
	case IOMMU_HW_INFO_TYPE_INTEL_VTD: return IOMMU_HWPT_DATA_VTD_S1;
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: return IOMMU_HWPT_DATA_ARM_SMMUV3;
	case IOMMU_HWTYPE_SELFTEST: return IOMMU_HWPT_DATA_SELFTEST_ID;
	default: return 0xffff;
	}
}

static int hw_info(struct iommu_hw_info *q)
{
	const struct fake_obj *d = get(q->dev_id, FK_DEVICE);
	int r = size_check(q, fk.ksz_hw_info, 32);
	const uint32_t regs[4] = { 0x1234, 0x5678, 0x9abc, 0xdef0 };

	if (r)
		return r;
	if (!d)
		return -ENOENT;
	q->out_data_type = fk.inst[d->inst].hw_type;
	if (fk.hw_data_set && q->data_len && q->data_uptr) {
		memcpy((void *)(uintptr_t)q->data_uptr, fk.hw_data, q->data_len < 32 ? q->data_len : 32);
		q->data_len = 32;
	} else if (q->data_len && q->data_uptr)
		memcpy((void *)(uintptr_t)q->data_uptr, regs, q->data_len < sizeof(regs) ? q->data_len : sizeof(regs));
	q->data_len = sizeof(regs);
	if (fk.ksz_hw_info >= 40) {
		q->out_capabilities = IOMMU_HW_CAP_DIRTY_TRACKING;
		q->out_max_pasid_log2 = 20;
	}
	return 0;
}

/* Whether a paging HWPT made for a device behind instance a can serve one behind b. */
static int s2_fits(int a, int b)
{
	if (fk.inst[a].hw_type != fk.inst[b].hw_type) {
		fk.hazard = true;
		return -EINVAL;
	}
	return fk.inst[a].s2_key == fk.inst[b].s2_key ? 0 : -EINVAL;
}

/* The drivers' checks of nested data: its size; for SMMUv3 the STE fields a guest may own (EIO). */
static int nested_data(const struct iommu_hwpt_alloc *a)
{
	uint32_t want = a->data_type == IOMMU_HWPT_DATA_ARM_SMMUV3 ? 16 : a->data_type == IOMMU_HWPT_DATA_VTD_S1 ? 24 : 4;
	uint64_t w[2];

	if (a->data_len != want || !a->data_uptr || a->flags)
		return -EINVAL;
	if (a->data_type != IOMMU_HWPT_DATA_ARM_SMMUV3)
		return 0;
	memcpy(w, (const void *)(uintptr_t)a->data_uptr, sizeof(w));
	if (!(w[0] & 1))
		return 0;
	if ((w[0] & ~0xf80ffffffffffffful) || (w[1] & ~0x380000fful))
		return -EIO;
	unsigned cfg = (unsigned)(w[0] >> 1 & 7);
	return cfg == 0 || cfg == 4 || cfg == 5 ? 0 : -EIO;
}

static int hwpt_alloc(struct iommu_hwpt_alloc *a)
{
	const struct fake_obj *d = get(a->dev_id, FK_DEVICE);
	struct fake_obj *pt = get(a->pt_id, FK_FREE);
	int r;

	if (fk.no_hwpt_alloc)
		return -ENOTTY;
	r = size_check(a, fk.ksz_hwpt_alloc, 32);
	if (r)
		return r;
	if (!d || !pt)
		return -ENOENT;
	const struct fake_inst *in = &fk.inst[d->inst];
	if (pt->kind == FK_IOAS) {
		if (a->flags & ~(uint32_t)IOMMU_HWPT_ALLOC_NEST_PARENT)
			return -EOPNOTSUPP;
		if (a->data_type != IOMMU_HWPT_DATA_NONE)
			return -EINVAL;
		if ((a->flags & IOMMU_HWPT_ALLOC_NEST_PARENT) && !in->nesting)
			return -EOPNOTSUPP;
		a->out_hwpt_id = new_obj(FK_PAGING, d->inst, a->pt_id);
		fk.obj[a->out_hwpt_id].nest_parent = a->flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
		return 0;
	}
	if (a->data_type != nested_type_of(in->hw_type))
		return -EOPNOTSUPP;
	if (pt->kind == FK_PAGING) {
		if (!pt->nest_parent || in->viommu_obj)
			return -EINVAL;
		r = s2_fits(pt->inst, d->inst);
	} else if (pt->kind == FK_VIOMMU) {
		r = pt->inst == d->inst ? 0 : -EINVAL;
	} else {
		r = -EINVAL;
	}
	if (r)
		return r;
	r = nested_data(a);
	if (r)
		return r;
	a->out_hwpt_id = new_obj(FK_NESTED, d->inst, a->pt_id);
	fk.obj[a->out_hwpt_id].data_type = a->data_type;
	fk.obj[a->out_hwpt_id].data_len = a->data_len;
	memcpy(fk.obj[a->out_hwpt_id].data, (const void *)(uintptr_t)a->data_uptr, a->data_len);
	return 0;
}

static int viommu_alloc(struct iommu_viommu_alloc *a)
{
	const struct fake_obj *d = get(a->dev_id, FK_DEVICE);
	const struct fake_obj *h = get(a->hwpt_id, FK_FREE);
	int r;

	if (fk.no_viommu)
		return -ENOTTY;
	r = size_check(a, fk.ksz_viommu_alloc, 24);
	if (r)
		return r;
	if (!d || !h)
		return -ENOENT;
	if (a->type == IOMMU_VIOMMU_TYPE_DEFAULT || !fk.inst[d->inst].viommu_obj ||
	    a->type != viommu_type_of(fk.inst[d->inst].hw_type))
		return -EOPNOTSUPP;
	if (h->kind != FK_PAGING || !h->nest_parent)
		return -EINVAL;
	r = s2_fits(h->inst, d->inst);
	if (r)
		return r;
	a->out_viommu_id = new_obj(FK_VIOMMU, d->inst, a->hwpt_id);
	return 0;
}

static int vdevice_alloc(struct iommu_vdevice_alloc *a)
{
	const struct fake_obj *v = get(a->viommu_id, FK_VIOMMU);
	const struct fake_obj *d = get(a->dev_id, FK_DEVICE);
	int r = size_check(a, sizeof(*a), sizeof(*a));

	if (fk.no_viommu)
		return -ENOTTY;
	if (r)
		return r;
	if (!v || !d)
		return -ENOENT;
	if (v->inst != d->inst)
		return -EINVAL;
	for (uint32_t i = 1; i < FAKE_MAX_OBJ; i++)
		if (fk.obj[i].kind == FK_VDEVICE && (fk.obj[i].dev == a->dev_id ||
		    (fk.obj[i].holds == a->viommu_id && fk.obj[i].virt_id == a->virt_id)))
			return -EEXIST;
	a->out_vdevice_id = new_obj(FK_VDEVICE, d->inst, a->viommu_id);
	fk.obj[a->out_vdevice_id].dev = a->dev_id;
	fk.obj[a->out_vdevice_id].virt_id = a->virt_id;
	return 0;
}

static int destroy(const struct iommu_destroy *d)
{
	struct fake_obj *o = get(d->id, FK_FREE);

	if (!o)
		return -ENOENT;
	if (o->users)
		return -EBUSY;
	if (o->holds)
		fk.obj[o->holds].users--;
	if (o->kind == FK_IOAS)
		for (unsigned i = 0; i < FAKE_MAX_AREAS; i++)
			if (fk.areas[i].ioas == d->id) {
				fk.areas[i].ioas = 0;
				fk.nr_areas--;
			}
	memset(o, 0, sizeof(*o));
	return 0;
}

static bool has_vdevice(uint32_t dev, uint32_t viommu)
{
	for (uint32_t i = 1; i < FAKE_MAX_OBJ; i++)
		if (fk.obj[i].kind == FK_VDEVICE && fk.obj[i].dev == dev && fk.obj[i].holds == viommu)
			return true;
	return false;
}

/* ---- IOAS areas ---------------------------------------------------------------- */

void fake_set_mem(int memfd, void *host, uint64_t size)
{
	fk.memfd = memfd;
	fk.mem_host = (uintptr_t)host;
	fk.mem_size = size;
}

/* The lowest-IOVA area of ioas overlapping [first, last] (index into fk.areas, -1: none). */
static int area_first(uint32_t ioas, uint64_t first, uint64_t last)
{
	int best = -1;

	for (unsigned i = 0; i < FAKE_MAX_AREAS; i++) {
		const struct fake_area *a = &fk.areas[i];

		if (a->ioas != ioas || a->iova > last || a->iova + a->len - 1 < first)
			continue;
		if (best < 0 || a->iova < fk.areas[best].iova)
			best = (int)i;
	}
	return best;
}

static bool area_in(uint32_t ioas, uint64_t first, uint64_t last, int *ret)
{
	int i = area_first(ioas, first, last);

	if (ret)
		*ret = i;
	return i >= 0;
}

unsigned fake_ioas_areas(uint32_t ioas)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FAKE_MAX_AREAS; i++)
		n += fk.areas[i].ioas == ioas;
	return n;
}

bool fake_lookup(uint32_t ioas, uint64_t iova, uint64_t *ret_start, uint32_t *ret_flags)
{
	int i = area_first(ioas, iova, iova);

	if (i < 0)
		return false;
	*ret_start = fk.areas[i].start + (iova - fk.areas[i].iova);
	*ret_flags = fk.areas[i].flags;
	return true;
}

/* Whether a device is attached to ioas (its reserved regions apply then). */
static bool ioas_has_device(uint32_t ioas)
{
	for (uint32_t i = 1; i < FAKE_MAX_OBJ; i++)
		if (fk.obj[i].kind == FK_DEVICE && fk.obj[i].pt == ioas)
			return true;
	return false;
}

static int ioas_alloc(struct iommu_ioas_alloc *a)
{
	if (a->size < sizeof(*a) || a->flags)
		return -EINVAL;
	a->out_ioas_id = new_obj(FK_IOAS, -1, 0);
	return a->out_ioas_id ? 0 : -ENOMEM;
}

/* iopt_check_iova and the area insert of io_pagetable.c. */
static int add_area(uint32_t ioas, uint32_t flags, uint64_t iova, uint64_t len, uint64_t start, bool file)
{
	const uint32_t known = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	uint64_t last;

	if (!get(ioas, FK_IOAS))
		return -ENOENT;
	if ((flags & ~known) || !(flags & IOMMU_IOAS_MAP_FIXED_IOVA) || !len)
		return -EINVAL;
	if ((iova | len | start) & 0xfff)
		return -EINVAL;
	if (__builtin_add_overflow(iova, len - 1, &last))
		return -EOVERFLOW;
	if (start > fk.mem_size || len > fk.mem_size - start)
		return -EFAULT;
	if (fk.resv_last && ioas_has_device(ioas) && iova <= fk.resv_last && last >= fk.resv_first)
		return -EINVAL;
	if (area_in(ioas, iova, last, NULL))
		return -EEXIST;
	for (unsigned i = 0; i < FAKE_MAX_AREAS; i++) {
		if (fk.areas[i].ioas)
			continue;
		fk.areas[i] = (struct fake_area){ ioas, iova, len, start,
			flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE), file };
		fk.nr_areas++;
		return 0;
	}
	return -ENOMEM;
}

static int map_file(const struct iommu_ioas_map_file *m)
{
	if (fk.no_map_file)
		return -fk.map_file_errno;
	if (m->size < sizeof(*m))
		return -EINVAL;
	if (m->fd != fk.memfd)
		return -EBADF;
	return add_area(m->ioas_id, m->flags, m->iova, m->length, m->start, true);
}

static int map_va(const struct iommu_ioas_map *m)
{
	if (m->size < sizeof(*m) || m->__reserved)
		return -EINVAL;
	if (m->user_va < fk.mem_host || m->user_va - fk.mem_host > fk.mem_size)
		return -EFAULT;
	return add_area(m->ioas_id, m->flags, m->iova, m->length, m->user_va - fk.mem_host, false);
}

/* iopt_unmap_iova_range: whole areas only, in IOVA order; a cut area stops it with ENOENT. */
static int unmap(struct iommu_ioas_unmap *u)
{
	uint64_t last, done = 0;
	int i;

	if (!get(u->ioas_id, FK_IOAS))
		return -ENOENT;
	if (!u->length)
		return -EINVAL;
	if (__builtin_add_overflow(u->iova, u->length - 1, &last))
		return -EOVERFLOW;
	while (area_in(u->ioas_id, u->iova, last, &i)) {
		struct fake_area *a = &fk.areas[i];

		if (a->iova < u->iova || a->iova + a->len - 1 > last) {
			fk.unmap_cuts++;
			return -ENOENT;
		}
		done += a->len;
		a->ioas = 0;
		fk.nr_areas--;
	}
	if (!done)
		return -ENOENT;
	u->length = done;
	return 0;
}

int fake_attach(uint32_t dev_id, uint32_t pt_id)
{
	struct fake_obj *d = get(dev_id, FK_DEVICE), *pt = get(pt_id, FK_FREE);
	int r = injected(FOP_ATTACH);

	if (r)
		return r;
	if (!d || !pt)
		return -ENOENT;
	if (pt->kind == FK_PAGING) {
		r = s2_fits(pt->inst, d->inst);
	} else if (pt->kind == FK_NESTED) {
		const struct fake_obj *parent = &fk.obj[pt->holds];

		if (parent->kind == FK_VIOMMU && !has_vdevice(dev_id, pt->holds))
			return -ENOENT;
		r = pt->inst == d->inst ? 0 : -EINVAL;
	} else if (pt->kind == FK_IOAS) {
		if (fk.resv_last && area_in(pt_id, fk.resv_first, fk.resv_last, NULL))
			return -EADDRINUSE;
		fk.ioas_attaches++;
	} else {
		r = -EINVAL;
	}
	if (r)
		return r;
	if (d->pt)
		fk.obj[d->pt].users--;
	d->pt = pt_id;
	pt->users++;
	return 0;
}

int fake_detach(uint32_t dev_id)
{
	struct fake_obj *d = get(dev_id, FK_DEVICE);
	int r = injected(FOP_ATTACH);

	if (r)
		return r;
	if (!d)
		return -ENOENT;
	if (d->pt)
		fk.obj[d->pt].users--;
	d->pt = 0;
	return 0;
}

/* ---- invalidation and events ----------------------------------------------------- */

static uint32_t inv_type_of(const struct fake_obj *o)
{
	uint32_t hw = fk.inst[o->inst].hw_type;

	if (o->kind == FK_VIOMMU)
		return hw == IOMMU_HWTYPE_SELFTEST ? IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_ID
						   : IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	return hw == IOMMU_HWTYPE_SELFTEST ? IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_ID : IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
}

static int invalidate(struct iommu_hwpt_invalidate *c)
{
	const struct fake_obj *o = get(c->hwpt_id, FK_FREE);
	struct fake_inv *l = &fk.inv[fk.nr_inv++ % FAKE_INV_LOG];
	uint32_t n = c->entry_num;
	size_t bytes = (size_t)c->entry_len * n;
	int r = 0;

	*l = (struct fake_inv){ c->hwpt_id, c->data_type, c->entry_len, n, 0, 0, { 0 } };
	memcpy(l->data, (const void *)(uintptr_t)c->data_uptr, bytes < FAKE_INV_BYTES ? bytes : FAKE_INV_BYTES);
	c->entry_num = 0;
	if (!o || (o->kind != FK_NESTED && o->kind != FK_VIOMMU))
		r = -ENOENT;
	else if (c->__reserved || (n && (!c->data_uptr || !c->entry_len)) || c->data_type != inv_type_of(o))
		r = -EINVAL;
	else if (fk.inv_fail_errno && fk.inv_fail_at < n) {
		c->entry_num = fk.inv_fail_at;
		r = -fk.inv_fail_errno;
		fk.inv_fail_errno = 0;
	} else {
		c->entry_num = n;
	}
	l->done = c->entry_num;
	l->ret = r;
	return r;
}

static int veventq_alloc(struct iommu_veventq_alloc *a)
{
	const struct fake_obj *v = get(a->viommu_id, FK_VIOMMU);
	int p[2];

	if (!v)
		return -ENOENT;
	if (a->flags || !a->veventq_depth)
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	a->out_veventq_id = new_obj(FK_VEVENTQ, v->inst, a->viommu_id);
	a->out_veventq_fd = (uint32_t)p[0];
	fk.veventq_wfd = p[1];
	return 0;
}

const struct fake_inv *fake_inv_call(unsigned k)
{
	return k < fk.nr_inv && k + FAKE_INV_LOG >= fk.nr_inv ? &fk.inv[k % FAKE_INV_LOG] : NULL;
}

uint32_t fake_attached(uint32_t dev_id)
{
	const struct fake_obj *d = get(dev_id, FK_DEVICE);

	return d ? d->pt : 0;
}

const struct fake_obj *fake_obj(uint32_t id)
{
	return get(id, FK_FREE);
}

static int f_open(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	fk.fd = eventfd(0, EFD_CLOEXEC);
	return fk.fd < 0 ? -errno : fk.fd;
}

/* Closing the iommufd destroys every object on it, as the kernel does. */
static void f_close(void *ctx, int fd)
{
	(void)ctx;
	if (fd < 0)
		return;
	close(fd);
	if (fd == fk.fd) {
		memset(fk.obj, 0, sizeof(fk.obj));
		memset(fk.areas, 0, sizeof(fk.areas));
		fk.nr_areas = 0;
		fk.fd = -1;
	}
}

static int f_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int r;

	(void)ctx;
	if (fd != fk.fd)
		return -EBADF;
	switch (req) {
	case IOMMU_GET_HW_INFO:
		return (r = injected(FOP_HW_INFO)) ? r : hw_info(arg);
	case IOMMU_HWPT_ALLOC:
		return (r = injected(FOP_HWPT_ALLOC)) ? r : hwpt_alloc(arg);
	case IOMMU_VIOMMU_ALLOC:
		return (r = injected(FOP_VIOMMU_ALLOC)) ? r : viommu_alloc(arg);
	case IOMMU_VDEVICE_ALLOC:
		return (r = injected(FOP_VDEVICE_ALLOC)) ? r : vdevice_alloc(arg);
	case IOMMU_DESTROY:
		return (r = injected(FOP_DESTROY)) ? r : destroy(arg);
	case IOMMU_IOAS_ALLOC:
		return (r = injected(FOP_IOAS_ALLOC)) ? r : ioas_alloc(arg);
	case IOMMU_IOAS_MAP_FILE:
		return (r = injected(FOP_MAP)) ? r : map_file(arg);
	case IOMMU_IOAS_MAP:
		return (r = injected(FOP_MAP)) ? r : map_va(arg);
	case IOMMU_IOAS_UNMAP:
		return (r = injected(FOP_UNMAP)) ? r : unmap(arg);
	case IOMMU_HWPT_INVALIDATE:
		return (r = injected(FOP_INVALIDATE)) ? r : invalidate(arg);
	case IOMMU_VEVENTQ_ALLOC:
		return (r = injected(FOP_VEVENTQ_ALLOC)) ? r : veventq_alloc(arg);
	default:
		return -ENOTTY;
	}
}

const struct iommu_sys fake_sys = { f_open, f_close, f_ioctl, NULL };
