// SPDX-License-Identifier: Apache-2.0
/*
 * The plan: units (one per host IOMMU instance) and their root buses, then
 * the iommufd objects: stage-2 NEST_PARENT HWPTs with attach-and-retry,
 * vIOMMU objects, VDEVICEs, and the fallbacks. The kernel is the judge of
 * what may share a stage-2: skiff only ever offers a stage-2 to a unit of
 * the same driver type (crossing types has hung a kernel inside the
 * attach), and moves on to another stage-2 when the kernel says EINVAL.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-priv.h"

int iommu_plan_create(const struct iommu_sys *sys, const struct iommu_paths *paths, struct iommu_plan **ret,
		      char *err, size_t errlen)
{
	struct iommu_plan *p = calloc(1, sizeof(*p));

	if (!p)
		return iommu_fail(err, errlen, -ENOMEM, "iommu: out of memory");
	p->sys = sys;
	p->fd = -1;
	snprintf(p->sysfs, sizeof(p->sysfs), "%s", paths && paths->sysfs ? paths->sysfs : "/sys");
	snprintf(p->dev, sizeof(p->dev), "%s", paths && paths->dev ? paths->dev : "/dev");
	p->sz_hw_info = sizeof(struct iommu_hw_info);
	p->sz_hwpt_alloc = sizeof(struct iommu_hwpt_alloc);
	p->sz_viommu_alloc = sizeof(struct iommu_viommu_alloc);
	*ret = p;
	return 0;
}

int iommu_plan_add(struct iommu_plan *p, const struct iommu_dev_desc *d, char *err, size_t errlen)
{
	char inst[IOMMU_NAME_MAX];
	struct iommu_dev *dev;
	unsigned u;
	int r;

	if (p->nr_devs == IOMMU_MAX_DEVS)
		return iommu_fail(err, errlen, -ENOSPC, "iommu: at most %d assigned devices", IOMMU_MAX_DEVS);
	if (d->instance) {
		if (!iommu_sysfs_has_instance(p, d->instance))
			return iommu_fail(err, errlen, -ENODEV, "iommu: %s: there is no IOMMU %s in %s/class/iommu",
					  d->name, d->instance, p->sysfs);
		snprintf(inst, sizeof(inst), "%s", d->instance);
	} else {
		r = iommu_sysfs_instance(p, d->bdf ? d->bdf : "", inst, sizeof(inst), err, errlen);
		if (r < 0)
			return r;
	}
	for (u = 0; u < p->nr_units && strcmp(p->units[u].instance, inst); u++)
		;
	if (u == p->nr_units) {
		if (u == IOMMU_MAX_UNITS)
			return iommu_fail(err, errlen, -ENOSPC, "iommu: %s is behind a %uth host IOMMU (%s); skiff "
					  "gives a VM at most %d", d->name, u + 1, inst, IOMMU_MAX_UNITS);
		snprintf(p->units[u].instance, sizeof(p->units[u].instance), "%s", inst);
		p->units[u].s2 = -1;
		p->nr_units++;
	}
	dev = &p->devs[p->nr_devs++];
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->name, sizeof(dev->name), "%s", d->name);
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", d->bdf ? d->bdf : "");
	dev->pin_bus = d->root_bus;
	dev->pin_slot = d->slot;
	dev->unit = u;
	p->units[u].nr_devs++;
	return 0;
}

/* ---- placement ---------------------------------------------------------------- */

static int pin_buses(struct iommu_plan *p, uint32_t busy, unsigned max_buses, int owner[], char *err,
		     size_t errlen)
{
	for (unsigned i = 0; i < p->nr_devs; i++) {
		const struct iommu_dev *d = &p->devs[i];
		struct iommu_unit *u = &p->units[d->unit];
		unsigned b = (unsigned)d->pin_bus;

		if (d->pin_bus < 0)
			continue;
		if (b >= max_buses)
			return iommu_fail(err, errlen, -EINVAL, "%s: root bus %u does not exist (at most %u)", d->name,
					  b, max_buses);
		if (u->bus_pinned && u->root_bus != b)
			return iommu_fail(err, errlen, -EINVAL, "%s pins root bus %u but another device behind the "
					  "same host IOMMU (%s) pins %u: a host IOMMU's devices share one root bus",
					  d->name, b, u->instance, u->root_bus);
		if (busy & (1u << b))
			return iommu_fail(err, errlen, -EINVAL, "%s: root bus %u holds emulated devices; the devices "
					  "behind a host IOMMU (%s) need a root bus of their own", d->name, b,
					  u->instance);
		if (owner[b] >= 0 && owner[b] != (int)d->unit)
			return iommu_fail(err, errlen, -EINVAL, "%s: root bus %u is already the bus of the devices "
					  "behind %s; those behind %s need another one", d->name, b,
					  p->units[owner[b]].instance, u->instance);
		u->bus_pinned = true;
		u->root_bus = b;
		owner[b] = (int)d->unit;
	}
	return 0;
}

static int place_slots(struct iommu_plan *p, unsigned unit, char *err, size_t errlen)
{
	uint32_t used = 0;

	for (unsigned i = 0; i < p->nr_devs; i++) {
		struct iommu_dev *d = &p->devs[i];

		if (d->unit != unit || d->pin_slot < 0)
			continue;
		if (used & (1u << d->pin_slot))
			return iommu_fail(err, errlen, -EINVAL, "%s: slot %d on root bus %u is already taken by another "
					  "device", d->name, d->pin_slot, p->units[unit].root_bus);
		used |= 1u << d->pin_slot;
		d->slot = (unsigned)d->pin_slot;
	}
	for (unsigned i = 0; i < p->nr_devs; i++) {
		struct iommu_dev *d = &p->devs[i];
		unsigned s = 0;

		if (d->unit != unit || d->pin_slot >= 0)
			continue;
		while (s < 32 && (used & (1u << s)))
			s++;
		if (s == 32)
			return iommu_fail(err, errlen, -ENOSPC, "%s: no free slot left on root bus %u", d->name,
					  p->units[unit].root_bus);
		used |= 1u << s;
		d->slot = s;
	}
	return 0;
}

int iommu_plan_place(struct iommu_plan *p, uint32_t busy, unsigned min_buses, unsigned max_buses,
		     unsigned *ret_nr_buses, char *err, size_t errlen)
{
	int owner[32];
	unsigned nr = min_buses ? min_buses : 1;
	int r;

	if (max_buses > 32)
		max_buses = 32;
	busy |= 1u; /* bus 0: the emulated devices' */
	for (unsigned b = 0; b < 32; b++)
		owner[b] = -1;
	r = pin_buses(p, busy, max_buses, owner, err, errlen);
	if (r < 0)
		return r;
	for (unsigned u = 0, next = 1; u < p->nr_units; u++) {
		struct iommu_unit *un = &p->units[u];

		if (un->bus_pinned)
			continue;
		while (next < max_buses && ((busy & (1u << next)) || owner[next] >= 0))
			next++;
		if (next >= max_buses)
			return iommu_fail(err, errlen, -ENOSPC, "the devices behind %u host IOMMUs need a root bus each "
					  "besides the emulated devices' bus, and this VM can have at most %u root buses",
					  p->nr_units, max_buses);
		un->root_bus = next;
		owner[next] = (int)u;
	}
	for (unsigned u = 0; u < p->nr_units; u++) {
		if (p->units[u].root_bus + 1 > nr)
			nr = p->units[u].root_bus + 1;
		r = place_slots(p, u, err, errlen);
		if (r < 0)
			return r;
	}
	*ret_nr_buses = nr;
	return 0;
}

void iommu_plan_bind(struct iommu_plan *p, unsigned i, uint32_t dev_id, uint32_t virt_id,
		     const struct iommu_attach_ops *at)
{
	if (i >= p->nr_devs)
		return;
	p->devs[i].dev_id = dev_id;
	p->devs[i].virt_id = virt_id;
	p->devs[i].at = *at;
}

/* ---- object helpers -------------------------------------------------------------- */

static int destroy_id(struct iommu_plan *p, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return p->sys->ioctl(p->sys->ctx, p->fd, IOMMU_DESTROY, &d);
}

static void destroy_logged(struct iommu_plan *p, uint32_t *id, const char *what)
{
	int r;

	if (!*id)
		return;
	r = destroy_id(p, *id);
	if (r < 0)
		log_warn("iommu: destroying %s %u: %s (it goes when the iommufd is closed)", what, *id, strerror(-r));
	*id = 0;
}

static int dev_attach(struct iommu_dev *d, uint32_t pt_id)
{
	return d->at.attach ? d->at.attach(d->at.opaque, pt_id) : -ENODEV;
}

/* Off the plan's objects: detached (or, without a detach op, onto the IOAS). */
static int release(struct iommu_plan *p, struct iommu_dev *d)
{
	int r;

	if (d->at.detach) {
		r = d->at.detach(d->at.opaque);
		if (!r) {
			d->attached = IOMMU_AT_NONE;
			d->pt_id = 0;
		}
		return r;
	}
	r = dev_attach(d, p->ioas_id);
	if (!r) {
		d->attached = IOMMU_AT_IOAS;
		d->pt_id = p->ioas_id;
	}
	return r;
}

/* The device stays where binding left it: on the IOAS. */
static void on_ioas(struct iommu_plan *p, struct iommu_dev *d)
{
	d->attached = IOMMU_AT_IOAS;
	d->pt_id = p->ioas_id;
}

static int alloc_s2(struct iommu_plan *p, const struct iommu_dev *d, uint32_t *ret_id)
{
	struct iommu_hwpt_alloc a = {
		.flags = IOMMU_HWPT_ALLOC_NEST_PARENT, .dev_id = d->dev_id, .pt_id = p->ioas_id,
	};
	int r = iommu_sized_ioctl(p, IOMMU_HWPT_ALLOC, &a, &p->sz_hwpt_alloc, IOMMU_HWPT_ALLOC_SIZE_V1,
				  "IOMMU_HWPT_ALLOC");

	if (!r)
		*ret_id = a.out_hwpt_id;
	return r;
}

static int alloc_viommu(struct iommu_plan *p, const struct iommu_unit *u, const struct iommu_dev *d,
			uint32_t s2_id, uint32_t *ret_id)
{
	struct iommu_viommu_alloc a = {
		.type = iommu_viommu_type(u->hw_type), .dev_id = d->dev_id, .hwpt_id = s2_id,
	};
	int r = iommu_sized_ioctl(p, IOMMU_VIOMMU_ALLOC, &a, &p->sz_viommu_alloc, IOMMU_VIOMMU_ALLOC_SIZE_V1,
				  "IOMMU_VIOMMU_ALLOC");

	if (!r)
		*ret_id = a.out_viommu_id;
	return r;
}

static struct iommu_dev *first_dev(struct iommu_plan *p, unsigned unit)
{
	for (unsigned i = 0; i < p->nr_devs; i++)
		if (p->devs[i].unit == unit)
			return &p->devs[i];
	return NULL;
}

/* ---- execution -------------------------------------------------------------------- */

/* A unit's devices go on the IOAS directly; one log line says why. */
static int go_direct(struct iommu_plan *p, unsigned unit, const char *why)
{
	struct iommu_unit *u = &p->units[unit];

	u->mode = IOMMU_UNIT_DIRECT;
	u->s2 = -1;
	snprintf(u->why, sizeof(u->why), "%s", why);
	log_info("iommu: %s: %s; its devices are attached to the VM's I/O address space directly, without a "
		 "vIOMMU", u->instance, why);
	for (unsigned i = 0; i < p->nr_devs; i++) {
		struct iommu_dev *d = &p->devs[i];

		if (d->unit == unit)
			on_ioas(p, d); /* where binding left it: a failed offer changed nothing */
	}
	return 0;
}

/*
 * Offer stage-2 s to the unit: VIOMMU_ALLOC on it (vIOMMU types) or attach
 * the unit's first device (parent nesting). 0, -EINVAL (the kernel says
 * it cannot serve this unit) or another -errno.
 */
static int offer_s2(struct iommu_plan *p, unsigned unit, unsigned s)
{
	struct iommu_unit *u = &p->units[unit];
	struct iommu_dev *d = first_dev(p, unit);
	int r;

	if (iommu_viommu_type(u->hw_type)) {
		r = alloc_viommu(p, u, d, p->s2[s].hwpt_id, &u->viommu_id);
		if (!r)
			u->mode = IOMMU_UNIT_VIOMMU;
		return r;
	}
	r = dev_attach(d, p->s2[s].hwpt_id);
	if (!r) {
		u->mode = IOMMU_UNIT_PARENT;
		d->attached = IOMMU_AT_STAGE2;
		d->pt_id = p->s2[s].hwpt_id;
	}
	return r;
}

static const char *offer_name(const struct iommu_unit *u)
{
	return iommu_viommu_type(u->hw_type) ? "IOMMU_VIOMMU_ALLOC" : "the attach";
}

/* Existing stage-2s of the same driver type, oldest first: 1 taken, 0 none fits, 2 fell back, -errno. */
static int share_s2(struct iommu_plan *p, unsigned unit, char *err, size_t errlen)
{
	struct iommu_unit *u = &p->units[unit];

	for (unsigned s = 0; s < p->nr_s2; s++) {
		int r;

		if (p->s2[s].hw_type != u->hw_type)
			continue; /* never across driver types */
		r = offer_s2(p, unit, s);
		if (!r) {
			char other[IOMMU_NAME_MAX];

			memcpy(other, p->units[p->s2[s].first_unit].instance, sizeof(other));
			u->s2 = (int)s;
			p->s2[s].nr_units++;
			snprintf(u->why, sizeof(u->why), "shares stage-2 #%u with %s (same driver type; the kernel "
				 "accepted it)", s, other);
			return 1;
		}
		if (r == -ENOTTY || r == -EOPNOTSUPP) {
			char why[IOMMU_WHY_MAX];

			snprintf(why, sizeof(why), "the host driver offers no %s for it (%s gave %s)",
				 iommu_viommu_type(u->hw_type) ? "vIOMMU object" : "nesting", offer_name(u),
				 r == -ENOTTY ? "ENOTTY" : "EOPNOTSUPP");
			r = go_direct(p, unit, why);
			return r < 0 ? r : 2;
		}
		if (r != -EINVAL)
			return iommu_fail(err, errlen, r, "iommu: %s: %s on stage-2 #%u: %s", u->instance,
					  offer_name(u), s, strerror(-r));
		log_info("iommu: %s: the kernel refused stage-2 #%u of %s (%s gave EINVAL); trying another",
			 u->instance, s, p->units[p->s2[s].first_unit].instance, offer_name(u));
	}
	return 0;
}

/* A stage-2 of the unit's own: 1 made and taken, 0 fell back, -errno. */
static int own_s2(struct iommu_plan *p, unsigned unit, char *err, size_t errlen)
{
	struct iommu_unit *u = &p->units[unit];
	const struct iommu_dev *d = first_dev(p, unit);
	char why[IOMMU_WHY_MAX];
	uint32_t id = 0;
	int r;

	if (p->nr_s2 == IOMMU_MAX_S2)
		return iommu_fail(err, errlen, -ENOSPC, "iommu: %s: more than %d stage-2 page tables", u->instance,
				  IOMMU_MAX_S2);
	r = alloc_s2(p, d, &id);
	if (r == -EOPNOTSUPP || r == -ENOTTY) {
		snprintf(why, sizeof(why), r == -ENOTTY ? "this kernel has no IOMMU_HWPT_ALLOC (iommufd older than "
			 "6.7)" : "the host IOMMU has no nesting (IOMMU_HWPT_ALLOC with NEST_PARENT gave EOPNOTSUPP)");
		return go_direct(p, unit, why);
	}
	if (r < 0)
		return iommu_fail(err, errlen, r, "iommu: %s: allocating a stage-2 page table for %s: %s", u->instance,
				  d->name, strerror(-r));
	p->s2[p->nr_s2] = (struct iommu_s2){ .hwpt_id = id, .hw_type = u->hw_type, .first_unit = unit };
	p->nr_s2++;
	r = offer_s2(p, unit, p->nr_s2 - 1);
	if (!r) {
		bool refused = false;

		for (unsigned s = 0; s + 1 < p->nr_s2; s++)
			refused |= p->s2[s].hw_type == u->hw_type;
		u->s2 = (int)p->nr_s2 - 1;
		p->s2[p->nr_s2 - 1].nr_units = 1;
		snprintf(u->why, sizeof(u->why), "stage-2 #%u of its own (%s)", p->nr_s2 - 1, refused ?
			 "the kernel refused the earlier ones of its driver type" : "the first of its driver type");
		return 1;
	}
	p->nr_s2--;
	destroy_logged(p, &id, "stage-2 HWPT");
	if (r == -ENOTTY)
		snprintf(why, sizeof(why), "this kernel has no IOMMU_VIOMMU_ALLOC (iommufd older than 6.13)");
	else if (r == -EOPNOTSUPP)
		snprintf(why, sizeof(why), "the host driver offers no %s for this device (%s gave EOPNOTSUPP)",
			 iommu_viommu_type(u->hw_type) ? "vIOMMU object" : "nesting", offer_name(u));
	else if (r == -EINVAL)
		snprintf(why, sizeof(why), "even a stage-2 made for it was refused (%s gave EINVAL)", offer_name(u));
	else
		return iommu_fail(err, errlen, r, "iommu: %s: %s: %s", u->instance, offer_name(u), strerror(-r));
	return go_direct(p, unit, why);
}

/* The unit's devices on its stage-2, each with a VDEVICE on a vIOMMU. */
static int unit_devices(struct iommu_plan *p, unsigned unit, char *err, size_t errlen)
{
	struct iommu_unit *u = &p->units[unit];
	uint32_t s2 = p->s2[u->s2].hwpt_id;

	for (unsigned i = 0; i < p->nr_devs; i++) {
		struct iommu_dev *d = &p->devs[i];
		int r;

		if (d->unit != unit)
			continue;
		if (u->mode == IOMMU_UNIT_VIOMMU) {
			struct iommu_vdevice_alloc v = {
				.size = sizeof(v), .viommu_id = u->viommu_id, .dev_id = d->dev_id, .virt_id = d->virt_id,
			};

			r = p->sys->ioctl(p->sys->ctx, p->fd, IOMMU_VDEVICE_ALLOC, &v);
			if (r < 0)
				return iommu_fail(err, errlen, r, "iommu: %s: IOMMU_VDEVICE_ALLOC with guest ID %#x on "
						  "the vIOMMU of %s: %s%s", d->name, d->virt_id, u->instance,
						  strerror(-r), r == -EEXIST ? " (the device or the guest ID already has "
						  "one)" : "");
			d->vdevice_id = v.out_vdevice_id;
		}
		if (d->attached == IOMMU_AT_STAGE2)
			continue;
		r = dev_attach(d, s2);
		if (r == -EINVAL && u->mode == IOMMU_UNIT_PARENT) {
			/* the replace failed atomically: the device is still on the IOAS */
			snprintf(d->why, sizeof(d->why), "its unit's stage-2 was refused for it (attach gave EINVAL)");
			log_info("iommu: %s: %s; it is attached to the VM's I/O address space directly", d->name, d->why);
			on_ioas(p, d);
			r = 0;
		} else if (!r) {
			d->attached = IOMMU_AT_STAGE2;
			d->pt_id = s2;
		}
		if (r < 0)
			return iommu_fail(err, errlen, r, "iommu: attaching %s to stage-2 #%d: %s", d->name, u->s2,
					  strerror(-r));
	}
	return 0;
}

static int exec_unit(struct iommu_plan *p, unsigned unit, char *err, size_t errlen)
{
	struct iommu_unit *u = &p->units[unit];
	char why[IOMMU_WHY_MAX];
	int r;

	if (!iommu_type_nests(u->hw_type)) {
		snprintf(why, sizeof(why), "skiff has no nesting for host IOMMU type %s (%#x) in this uAPI",
			 iommu_hw_type_name(u->hw_type), u->hw_type);
		return go_direct(p, unit, why);
	}
	r = share_s2(p, unit, err, errlen);
	if (r == 0)
		r = own_s2(p, unit, err, errlen);
	if (r <= 0 || r == 2)
		return r < 0 ? r : 0;
	return unit_devices(p, unit, err, errlen);
}

static void undo(struct iommu_plan *p)
{
	for (unsigned i = p->nr_devs; i-- > 0;) {
		struct iommu_dev *d = &p->devs[i];

		if (d->attached == IOMMU_AT_STAGE2 || d->attached == IOMMU_AT_NESTED) {
			int r = release(p, d);

			if (r < 0)
				log_warn("iommu: taking %s off the plan's page tables: %s", d->name, strerror(-r));
		}
	}
	for (unsigned i = p->nr_devs; i-- > 0;)
		destroy_logged(p, &p->devs[i].nested_id, "nested HWPT");
	for (unsigned i = p->nr_devs; i-- > 0;)
		destroy_logged(p, &p->devs[i].vdevice_id, "vDEVICE");
	for (unsigned u = p->nr_units; u-- > 0;) {
		destroy_logged(p, &p->units[u].viommu_id, "vIOMMU");
		p->units[u].s2 = -1;
	}
	for (unsigned s = p->nr_s2; s-- > 0;)
		destroy_logged(p, &p->s2[s].hwpt_id, "stage-2 HWPT");
	p->nr_s2 = 0;
}

int iommu_plan_execute(struct iommu_plan *p, int iommufd, uint32_t ioas_id, char *err, size_t errlen)
{
	int r;

	if (p->executed)
		return iommu_fail(err, errlen, -EALREADY, "iommu: the plan was already executed");
	p->fd = iommufd;
	p->ioas_id = ioas_id;
	p->executed = true;
	r = iommu_read_hw_info(p, err, errlen);
	for (unsigned u = 0; !r && u < p->nr_units; u++)
		r = exec_unit(p, u, err, errlen);
	if (r < 0)
		undo(p);
	return r < 0 ? r : 0;
}

int iommu_plan_alloc_nested(struct iommu_plan *p, unsigned i, uint32_t data_type, const void *data,
			    uint32_t len, char *err, size_t errlen)
{
	struct iommu_dev *d = i < p->nr_devs ? &p->devs[i] : NULL;
	const struct iommu_unit *u = d ? &p->units[d->unit] : NULL;
	struct iommu_hwpt_alloc a = { .data_type = data_type, .data_len = len, .data_uptr = (uintptr_t)data };
	uint32_t old;
	int r;

	if (!d || (u->mode != IOMMU_UNIT_VIOMMU && u->mode != IOMMU_UNIT_PARENT))
		return iommu_fail(err, errlen, -EINVAL, "iommu: %s has no vIOMMU to nest on", d ? d->name : "device");
	a.dev_id = d->dev_id;
	a.pt_id = u->mode == IOMMU_UNIT_VIOMMU ? u->viommu_id : p->s2[u->s2].hwpt_id;
	r = iommu_sized_ioctl(p, IOMMU_HWPT_ALLOC, &a, &p->sz_hwpt_alloc, IOMMU_HWPT_ALLOC_SIZE_V1,
			      "IOMMU_HWPT_ALLOC");
	if (r < 0)
		return iommu_fail(err, errlen, r, "iommu: %s: allocating a nested HWPT (data type %#x): %s", d->name,
				  data_type, strerror(-r));
	r = dev_attach(d, a.out_hwpt_id);
	if (r < 0) {
		(void)destroy_id(p, a.out_hwpt_id);
		return iommu_fail(err, errlen, r, "iommu: attaching %s to its nested HWPT: %s%s", d->name,
				  strerror(-r), r == -ENOENT ? " (the device has no vDEVICE on that vIOMMU)" : "");
	}
	old = d->nested_id;
	d->nested_id = a.out_hwpt_id;
	d->attached = IOMMU_AT_NESTED;
	d->pt_id = a.out_hwpt_id;
	destroy_logged(p, &old, "nested HWPT");
	return 0;
}

void iommu_plan_destroy(struct iommu_plan *p)
{
	if (!p)
		return;
	if (p->executed)
		undo(p);
	free(p);
}

/* ---- reading it ------------------------------------------------------------------- */

unsigned iommu_plan_nr_devs(const struct iommu_plan *p) { return p->nr_devs; }
unsigned iommu_plan_nr_units(const struct iommu_plan *p) { return p->nr_units; }
unsigned iommu_plan_nr_s2(const struct iommu_plan *p) { return p->nr_s2; }

const struct iommu_dev *iommu_plan_dev(const struct iommu_plan *p, unsigned i)
{
	return i < p->nr_devs ? &p->devs[i] : NULL;
}

const struct iommu_unit *iommu_plan_unit(const struct iommu_plan *p, unsigned i)
{
	return i < p->nr_units ? &p->units[i] : NULL;
}

const struct iommu_s2 *iommu_plan_s2(const struct iommu_plan *p, unsigned i)
{
	return i < p->nr_s2 ? &p->s2[i] : NULL;
}

unsigned iommu_plan_object_ids(const struct iommu_plan *p, uint32_t *ids, unsigned max)
{
	unsigned n = 0;

#define PUT(id) do { if (id) { if (n < max) ids[n] = (id); n++; } } while (0)
	for (unsigned i = 0; i < p->nr_devs; i++)
		PUT(p->devs[i].nested_id);
	for (unsigned i = 0; i < p->nr_devs; i++)
		PUT(p->devs[i].vdevice_id);
	for (unsigned u = 0; u < p->nr_units; u++)
		PUT(p->units[u].viommu_id);
	for (unsigned s = 0; s < p->nr_s2; s++)
		PUT(p->s2[s].hwpt_id);
#undef PUT
	return n;
}

const char *iommu_unit_mode_name(enum iommu_unit_mode m)
{
	static const char *const names[] = { "planned", "viommu", "parent-hwpt", "direct" };

	return (unsigned)m < ARRAY_SIZE(names) ? names[m] : "?";
}

const char *iommu_attach_kind_name(enum iommu_attach_kind k)
{
	static const char *const names[] = { "none", "ioas", "stage2", "nested" };

	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}
