// SPDX-License-Identifier: Apache-2.0
/*
 * The vVT-d shadow backend (iommu.h, docs/vvtd.md "shadow backend"):
 * assigned devices behind skiff's guest-visible VT-d on a host IOMMU
 * without nesting. The guest's first-stage tables cannot be handed to the
 * host, so each guest domain gets an IOAS of its own that mirrors them:
 * IOVA -> the guest page's offset in the RAM memfd.
 *
 * Everything runs on the queue engine's thread: context_changed() and
 * iotlb_invalidate() only record what changed, flush() does the host
 * work. A range to update is walked, compared with what is mapped (our own
 * interval map, one entry per kernel area) and only what differs is
 * touched: an area whose translation is unchanged stays, so DMA in flight
 * through it never sees a hole. iommufd unmaps whole areas only
 * (IOMMU_IOAS_UNMAP fails with ENOENT on a range that cuts one:
 * iopt_unmap_iova_range), so a changed area goes as a whole and its
 * unchanged parts are mapped again, coalesced with the new runs.
 */
#include <errno.h>
#include <linux/iommufd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"

#define SH_PAGE 4096ull
#define SH_MAX_DEVS IOMMU_MAX_DEVS
#define SH_MAX_DOMS IOMMU_MAX_DEVS
#define SH_MAX_PENDING 32
/*
 * A guest can point every entry of its tables at one table page and so
 * describe 2^36 leaves with a few pages: bound what one walk visits and
 * what one shadow IOAS holds. Past either, the rest stays unmapped (the
 * device faults there) and one warning says so.
 */
#define SH_MAX_AREAS (1u << 18)
#define SH_MIN_LEAF_BUDGET (1ull << 20)

/* A run of IOVA mapped to contiguous memfd offsets with one set of rights. */
struct sh_run {
	uint64_t iova, len;
	uint64_t off;            /* offset in the RAM memfd */
	bool writable;
	bool drop;               /* an area being replaced */
};

struct sh_vec {
	struct sh_run *r;
	size_t n, cap;
};

struct sh_range {
	uint64_t first, last;
};

struct sh_domain {
	bool live;
	struct vtd_dev_state st; /* the tables it mirrors (did, fs_root, levels, WPE) */
	uint64_t last;           /* highest IOVA of its address space */
	uint32_t ioas_id;
	unsigned users;          /* devices attached */
	struct sh_vec areas;     /* what is mapped: sorted, one entry per kernel area */
	struct sh_range pending[SH_MAX_PENDING];
	unsigned nr_pending;
};

enum sh_where { SH_IDENTITY, SH_BLOCKED, SH_SHADOW };

struct sh_dev {
	uint16_t rid;
	struct iommu_attach_ops at;
	enum sh_where where;
	int dom;                 /* SH_SHADOW: its domain */
	bool dirty;              /* a context change covered it since the last flush */
};

struct vtd_shadow {
	pthread_mutex_t lock;
	const struct iommu_sys *sys;
	int fd;
	uint32_t identity_id;    /* the VM's IOAS (GPA identity) */
	const struct gmem *mem;
	bool no_map_file;        /* the kernel refused MAP_FILE once: IOMMU_IOAS_MAP from now on */
	bool warned_mmio, warned_budget, warned_error;
	unsigned nr_devs;
	struct sh_dev devs[SH_MAX_DEVS];
	struct sh_domain doms[SH_MAX_DOMS];
	struct vtd_backend_ops ops;
	struct vtd_shadow_stats stats;
	/* the flush in progress */
	unsigned calls;
	int err;
};

/* ---- runs ------------------------------------------------------------------ */

static uint64_t run_last(const struct sh_run *r)
{
	return r->iova + r->len - 1;
}

/* Append, merged into the last run when IOVA, memfd offset and rights continue it. */
static int vec_push(struct sh_vec *v, uint64_t iova, uint64_t len, uint64_t off, bool writable)
{
	struct sh_run *t = v->n ? &v->r[v->n - 1] : NULL;

	if (t && t->iova + t->len == iova && t->off + t->len == off && t->writable == writable && !t->drop) {
		t->len += len;
		return 0;
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct sh_run *r = realloc(v->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		v->r = r;
		v->cap = cap;
	}
	v->r[v->n++] = (struct sh_run){ iova, len, off, writable, false };
	return 0;
}

static void vec_free(struct sh_vec *v)
{
	free(v->r);
	*v = (struct sh_vec){ 0 };
}

/* First run of v (sorted, disjoint) that ends at or after iova. */
static size_t vec_find(const struct sh_vec *v, uint64_t iova)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (run_last(&v->r[mid]) < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- guest-physical to memfd ------------------------------------------------ */

/*
 * Where gpa is: true and its memfd offset when it is RAM; *n is how many
 * bytes (at most size) stay on the same side (in that region, or outside
 * RAM up to the next region).
 */
static bool gpa_to_off(const struct gmem *mem, gpa_t gpa, uint64_t size, uint64_t *off, uint64_t *n)
{
	uint64_t gap = size;

	for (unsigned i = 0; i < mem->nr_regions; i++) {
		const struct gmem_region *g = &mem->regions[i];

		if (gpa >= g->gpa && gpa - g->gpa < g->size) {
			*off = g->fd_offset + (gpa - g->gpa);
			*n = g->size - (gpa - g->gpa) < size ? g->size - (gpa - g->gpa) : size;
			return true;
		}
		if (g->gpa > gpa && g->gpa - gpa < gap)
			gap = g->gpa - gpa;
	}
	*n = gap;
	return false;
}

/* ---- host calls -------------------------------------------------------------- */

static void sh_error(struct vtd_shadow *s, int r, const char *fmt, ...) SKIFF_PRINTF(3, 4);
static void sh_error(struct vtd_shadow *s, int r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	s->stats.errors++;
	if (!s->err)
		s->err = r;
	/* A guest can make every flush fail the same way: say it a few times, then rarely. */
	if (s->stats.errors > 8 && (s->stats.errors & 1023))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("vvtd shadow: %s: %s (error %llu)", msg, strerror(-r), (unsigned long long)s->stats.errors);
}

static int sh_ioctl(struct vtd_shadow *s, unsigned long req, void *arg)
{
	s->calls++;
	s->stats.host_calls++;
	return s->sys->ioctl(s->sys->ctx, s->fd, req, arg);
}

static int sh_map(struct vtd_shadow *s, uint32_t ioas, const struct sh_run *run)
{
	uint32_t flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
	int r;

	if (run->writable)
		flags |= IOMMU_IOAS_MAP_WRITEABLE;
	s->stats.maps++;
	if (!s->no_map_file) {
		struct iommu_ioas_map_file mf = {
			.size = sizeof(mf), .flags = flags, .ioas_id = ioas, .fd = s->mem->memfd,
			.start = run->off, .length = run->len, .iova = run->iova,
		};

		r = sh_ioctl(s, IOMMU_IOAS_MAP_FILE, &mf);
		if (r != -ENOTTY && r != -EOPNOTSUPP)
			goto out;
		/* Before 6.13 there is no MAP_FILE: the VMM's own mapping of the memfd maps the same pages. */
		s->no_map_file = true;
		log_info("vvtd shadow: IOMMU_IOAS_MAP_FILE is not supported here (%s); mapping guest RAM by "
			 "its VMM address with IOMMU_IOAS_MAP", strerror(-r));
		s->stats.maps++;
	}
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = ioas,
		.user_va = (uintptr_t)(s->mem->host + run->off), .length = run->len, .iova = run->iova,
	};
	r = sh_ioctl(s, IOMMU_IOAS_MAP, &m);
out:
	if (r < 0)
		sh_error(s, r, "mapping IOVA %#llx-%#llx of IOAS %u", (unsigned long long)run->iova,
			 (unsigned long long)run_last(run), ioas);
	else
		s->stats.mapped_bytes += run->len;
	return r;
}

static int sh_unmap(struct vtd_shadow *s, uint32_t ioas, uint64_t first, uint64_t last)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas, .iova = first, .length = last - first + 1 };

	s->stats.unmaps++;
	return sh_ioctl(s, IOMMU_IOAS_UNMAP, &u);
}

/* ---- walking the guest's tables ------------------------------------------------ */

struct sh_walk {
	struct vtd_shadow *s;
	struct sh_vec *out;
	uint64_t budget;         /* leaves left */
};

static int sh_collect(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable)
{
	struct sh_walk *w = opaque;
	struct vtd_shadow *s = w->s;

	s->stats.leaves++;
	if (!w->budget-- || w->out->n >= SH_MAX_AREAS)
		return -E2BIG;
	while (size) {
		uint64_t off, n;

		if (gpa_to_off(s->mem, gpa, size, &off, &n)) {
			int r = vec_push(w->out, iova, n, off, writable);

			if (r)
				return r;
		} else {
			s->stats.mmio_skipped++;
			if (!s->warned_mmio)
				log_warn("vvtd shadow: the guest maps IOVA %#llx to %#llx, which is not RAM (a device's "
					 "MMIO?): left unmapped, peer-to-peer DMA is not supported (said once)",
					 (unsigned long long)iova, (unsigned long long)gpa);
			s->warned_mmio = true;
		}
		iova += n;
		gpa += n;
		size -= n;
	}
	return 0;
}

/* What the guest's tables say for [first, last] now, as coalesced runs. */
static int sh_walk(struct vtd_shadow *s, struct vtd *v, const struct sh_domain *d, uint64_t first, uint64_t last,
		   struct sh_vec *out)
{
	uint64_t pages = s->mem->size / SH_PAGE;
	struct sh_walk w = { s, out, 4 * pages > SH_MIN_LEAF_BUDGET ? 4 * pages : SH_MIN_LEAF_BUDGET };
	int r = vtd_walk(v, &d->st, first, last - first + 1, sh_collect, &w);

	/* ours (too many leaves or areas) or the walker's (a table tree aliased beyond RAM's size) */
	if (r == -E2BIG || r == -ELOOP) {
		if (!s->warned_budget)
			log_warn("vvtd shadow: domain %u maps more than skiff shadows (%u areas, %llu leaves a walk); "
				 "IOVA from %#llx on is left unmapped (said once)", d->st.did, SH_MAX_AREAS,
				 (unsigned long long)w.budget, (unsigned long long)(out->n ? run_last(&out->r[out->n - 1]) + 1 : first));
		s->warned_budget = true;
		return 0;
	}
	/* Tables the walk cannot read translate nothing: as on hardware, the device faults there. */
	return r == -EFAULT ? 0 : r;
}

/* ---- one range of one domain -------------------------------------------------- */

/* Whether area a's part inside [first, last] is exactly what want says. */
static bool area_unchanged(const struct sh_run *a, const struct sh_vec *want, uint64_t first, uint64_t last)
{
	uint64_t x = a->iova > first ? a->iova : first;
	uint64_t hi = run_last(a) < last ? run_last(a) : last;
	size_t j = vec_find(want, x);

	for (;;) {
		const struct sh_run *r = j < want->n ? &want->r[j] : NULL;

		if (!r || r->iova > x || r->writable != a->writable || r->off + (x - r->iova) != a->off + (x - a->iova))
			return false;
		if (run_last(r) >= hi)
			return true;
		x = run_last(r) + 1;
		j++;
	}
}

/*
 * What to map: want minus the kept areas of [i0, i1), plus the parts of
 * the first and last dropped area outside [first, last] (from our record).
 */
static int plan_maps(const struct sh_vec *areas, size_t i0, size_t i1, const struct sh_vec *want, uint64_t first,
		     uint64_t last, struct sh_vec *out)
{
	size_t k = i0;
	int r = 0;

	if (i0 < i1 && areas->r[i0].drop && areas->r[i0].iova < first)
		r = vec_push(out, areas->r[i0].iova, first - areas->r[i0].iova, areas->r[i0].off, areas->r[i0].writable);
	for (size_t j = 0; j < want->n && !r; j++) {
		uint64_t x = want->r[j].iova, end = run_last(&want->r[j]);

		while (x <= end && !r) {
			while (k < i1 && (areas->r[k].drop || run_last(&areas->r[k]) < x))
				k++;
			uint64_t stop = k < i1 && areas->r[k].iova <= end ? areas->r[k].iova : end + 1;

			if (stop > x)
				r = vec_push(out, x, stop - x, want->r[j].off + (x - want->r[j].iova), want->r[j].writable);
			if (stop > end)
				break;
			x = run_last(&areas->r[k]) + 1; /* skip the kept area */
		}
	}
	if (!r && i0 < i1 && areas->r[i1 - 1].drop && run_last(&areas->r[i1 - 1]) > last) {
		const struct sh_run *a = &areas->r[i1 - 1];

		r = vec_push(out, last + 1, run_last(a) - last, a->off + (last + 1 - a->iova), a->writable);
	}
	return r;
}

/* Unmap the dropped areas of [i0, i1), consecutive ones in one call; those that stay get drop cleared. */
static void unmap_dropped(struct vtd_shadow *s, struct sh_domain *d, size_t i0, size_t i1)
{
	struct sh_run *a = d->areas.r;

	for (size_t g = i0; g < i1;) {
		size_t e = g;

		if (!a[g].drop) {
			g++;
			continue;
		}
		while (e + 1 < i1 && a[e + 1].drop)
			e++;
		if (sh_unmap(s, d->ioas_id, a[g].iova, run_last(&a[e])) < 0) {
			/* Which areas went is unknown: ask again one by one; ENOENT means gone. */
			for (size_t i = g; i <= e; i++) {
				int r = sh_unmap(s, d->ioas_id, a[i].iova, run_last(&a[i]));

				if (r < 0 && r != -ENOENT) {
					sh_error(s, r, "unmapping IOVA %#llx-%#llx of IOAS %u", (unsigned long long)a[i].iova,
						 (unsigned long long)run_last(&a[i]), d->ioas_id);
					a[i].drop = false;
				}
			}
		}
		g = e + 1;
	}
}

/*
 * Map the planned runs that do not collide with an area still there
 * (made has room for all of them: nothing can fail after a map).
 */
static int map_planned(struct vtd_shadow *s, struct sh_domain *d, size_t i0, size_t i1, const struct sh_vec *plan,
		       struct sh_vec *made)
{
	size_t k = i0;

	for (size_t j = 0; j < plan->n; j++) {
		const struct sh_run *p = &plan->r[j];

		while (k < i1 && (d->areas.r[k].drop || run_last(&d->areas.r[k]) < p->iova))
			k++;
		if (k < i1 && d->areas.r[k].iova <= run_last(p))
			continue; /* an area we could not unmap is in the way (the error was logged) */
		if (d->areas.n - (i1 - i0) + made->n >= SH_MAX_AREAS) {
			sh_error(s, -ENOSPC, "domain %u: more than %u areas", d->st.did, SH_MAX_AREAS);
			return -ENOSPC;
		}
		if (sh_map(s, d->ioas_id, p) == 0)
			made->r[made->n++] = *p;
	}
	return 0;
}

/*
 * Replace areas [i0, i1) of the record with those still there and made,
 * in IOVA order (the record has room for them all).
 */
static void splice(struct sh_domain *d, size_t i0, size_t i1, const struct sh_vec *made)
{
	struct sh_run *a = d->areas.r;
	size_t nk = 0, tail = d->areas.n - i1, mid, out;

	for (size_t i = i0; i < i1; i++)
		if (!a[i].drop)
			a[i0 + nk++] = a[i];
	mid = nk + made->n;
	if (tail) /* an empty record has no array at all: memmove from NULL is undefined even for 0 bytes */
		memmove(&a[i0 + mid], &a[i1], tail * sizeof(*a));
	/* merge from the back: the old ones sit at the front of the gap */
	out = mid;
	for (size_t m = made->n; m;) {
		if (nk && a[i0 + nk - 1].iova > made->r[m - 1].iova)
			a[i0 + --out] = a[i0 + --nk];
		else
			a[i0 + --out] = made->r[--m];
	}
	d->areas.n = i0 + mid + tail;
}

static int vec_reserve(struct sh_vec *v, size_t n)
{
	struct sh_run *r;

	if (n <= v->cap)
		return 0;
	r = realloc(v->r, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	v->r = r;
	v->cap = n;
	return 0;
}

/* Make IOAS d match the guest's tables over [first, last]. */
static int sh_sync(struct vtd_shadow *s, struct vtd *v, struct sh_domain *d, uint64_t first, uint64_t last)
{
	struct sh_vec want = { 0 }, plan = { 0 }, made = { 0 };
	size_t i0 = vec_find(&d->areas, first), i1 = i0;
	int r;

	r = sh_walk(s, v, d, first, last, &want);
	while (i1 < d->areas.n && d->areas.r[i1].iova <= last)
		i1++;
	for (size_t i = i0; i < i1 && !r; i++)
		d->areas.r[i].drop = !area_unchanged(&d->areas.r[i], &want, first, last);
	if (!r)
		r = plan_maps(&d->areas, i0, i1, &want, first, last, &plan);
	if (!r)
		r = vec_reserve(&made, plan.n);
	if (!r)
		r = vec_reserve(&d->areas, d->areas.n + plan.n);
	if (!r) {
		unmap_dropped(s, d, i0, i1);
		r = map_planned(s, d, i0, i1, &plan, &made);
		splice(d, i0, i1, &made);
	}
	if (r == -ENOMEM)
		sh_error(s, r, "domain %u: out of memory shadowing IOVA %#llx-%#llx", d->st.did,
			 (unsigned long long)first, (unsigned long long)last);
	else if (r < 0 && !s->err)
		s->err = r;
	for (size_t i = 0; i < d->areas.n; i++)
		d->areas.r[i].drop = false;
	vec_free(&want);
	vec_free(&plan);
	vec_free(&made);
	return r;
}

/* ---- domains ----------------------------------------------------------------- */

static bool same_tables(const struct vtd_dev_state *a, const struct vtd_dev_state *b)
{
	return a->did == b->did && a->fs_root == b->fs_root && a->levels == b->levels &&
	       a->write_protect_ok == b->write_protect_ok;
}

static void queue_range(struct sh_domain *d, uint64_t first, uint64_t last)
{
	if (first > d->last)
		return;
	if (last > d->last)
		last = d->last;
	if (d->nr_pending == SH_MAX_PENDING) {
		/* Too many to keep apart: one range over all of them (the walk sees only what is mapped). */
		for (unsigned i = 1; i < d->nr_pending; i++) {
			first = d->pending[i].first < first ? d->pending[i].first : first;
			last = d->pending[i].last > last ? d->pending[i].last : last;
		}
		first = d->pending[0].first < first ? d->pending[0].first : first;
		last = d->pending[0].last > last ? d->pending[0].last : last;
		d->nr_pending = 0;
	}
	d->pending[d->nr_pending++] = (struct sh_range){ first, last };
}

/* The shadow of st's tables, made (an empty IOAS, filled by the next pending pass) if none exists. */
static int domain_get(struct vtd_shadow *s, const struct vtd_dev_state *st)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int free_slot = -1, r;

	for (int i = 0; i < SH_MAX_DOMS; i++) {
		if (s->doms[i].live && same_tables(&s->doms[i].st, st))
			return i;
		if (!s->doms[i].live && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC; /* one per device at most: cannot happen */
	s->stats.ioas_allocs++;
	r = sh_ioctl(s, IOMMU_IOAS_ALLOC, &a);
	if (r < 0) {
		sh_error(s, r, "allocating an IOAS for guest domain %u", st->did);
		return r;
	}
	struct sh_domain *d = &s->doms[free_slot];
	*d = (struct sh_domain){ .live = true, .st = *st, .ioas_id = a.out_ioas_id };
	d->last = st->levels == 5 ? (1ull << 57) - 1 : (1ull << 48) - 1;
	queue_range(d, 0, d->last);
	return free_slot;
}

/* A failed destroy keeps the record (the IOAS and its areas are still there): the next flush tries again. */
static int domain_destroy(struct vtd_shadow *s, struct sh_domain *d)
{
	struct iommu_destroy x = { .size = sizeof(x), .id = d->ioas_id };
	int r;

	s->stats.ioas_destroys++;
	r = sh_ioctl(s, IOMMU_DESTROY, &x);
	if (r < 0 && r != -ENOENT) {
		sh_error(s, r, "destroying IOAS %u of guest domain %u", d->ioas_id, d->st.did);
		return r;
	}
	vec_free(&d->areas);
	*d = (struct sh_domain){ 0 };
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct sh_range *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Every queued range of d, sorted and merged, synced. */
static void domain_flush(struct vtd_shadow *s, struct vtd *v, struct sh_domain *d)
{
	unsigned n = d->nr_pending, m = 0;

	if (!n)
		return;
	qsort(d->pending, n, sizeof(d->pending[0]), cmp_range);
	for (unsigned i = 1; i < n; i++) {
		if (d->pending[i].first <= d->pending[m].last + 1) {
			if (d->pending[i].last > d->pending[m].last)
				d->pending[m].last = d->pending[i].last;
		} else {
			d->pending[++m] = d->pending[i];
		}
	}
	d->nr_pending = 0;
	for (unsigned i = 0; i <= m; i++)
		(void)sh_sync(s, v, d, d->pending[i].first, d->pending[i].last);
}

/* ---- devices ------------------------------------------------------------------- */

static int dev_move(struct vtd_shadow *s, struct sh_dev *dv, enum sh_where where, int dom)
{
	int r;

	s->calls++;
	s->stats.host_calls++;
	s->stats.moves++;
	if (where == SH_BLOCKED)
		r = dv->at.detach(dv->at.opaque);
	else
		r = dv->at.attach(dv->at.opaque, where == SH_SHADOW ? s->doms[dom].ioas_id : s->identity_id);
	if (r < 0)
		return r;
	if (dv->where == SH_SHADOW)
		s->doms[dv->dom].users--;
	if (where == SH_SHADOW)
		s->doms[dom].users++;
	dv->where = where;
	dv->dom = dom;
	return 0;
}

/* Put a device where the guest's tables say it is now. */
static void dev_place(struct vtd_shadow *s, struct vtd *v, struct sh_dev *dv)
{
	struct vtd_dev_state st;
	enum sh_where where;
	int dom = -1, r;

	dv->dirty = false;
	vtd_device_state(v, dv->rid, &st);
	switch (st.mode) {
	case VTD_DEV_FIRST_STAGE:
		where = SH_SHADOW;
		dom = domain_get(s, &st);
		if (dom < 0)
			where = SH_BLOCKED; /* no shadow: better no DMA than the identity map the guest took away */
		break;
	case VTD_DEV_BLOCKED:
		where = SH_BLOCKED;
		break;
	default:
		where = SH_IDENTITY;
		break;
	}
	if (where == dv->where && dom == dv->dom)
		return;
	r = dev_move(s, dv, where, dom);
	if (r < 0) {
		sh_error(s, r, "moving device %02x:%02x.%u to %s", dv->rid >> 8, (dv->rid >> 3) & 0x1f, dv->rid & 7,
			 where == SH_SHADOW ? "its shadow IOAS" : where == SH_BLOCKED ? "blocked DMA" : "the VM's IOAS");
		if (where == SH_SHADOW && dv->where != SH_BLOCKED && dev_move(s, dv, SH_BLOCKED, -1) < 0)
			sh_error(s, r, "blocking device %02x:%02x.%u", dv->rid >> 8, (dv->rid >> 3) & 0x1f, dv->rid & 7);
	}
}

/* ---- the backend -------------------------------------------------------------- */

static void sh_context_changed(void *opaque, struct vtd *v, int rid)
{
	struct vtd_shadow *s = opaque;

	(void)v;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->nr_devs; i++)
		if (rid < 0 || s->devs[i].rid == rid)
			s->devs[i].dirty = true;
	pthread_mutex_unlock(&s->lock);
}

static void sh_iotlb_invalidate(void *opaque, struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	struct vtd_shadow *s = opaque;
	uint64_t first = iova & ~(SH_PAGE - 1), last;

	(void)v;
	/* len 0, or a range past the end of the address space: all of it */
	if (!len || __builtin_add_overflow(iova, len - 1, &last)) {
		first = 0;
		last = UINT64_MAX;
	}
	last |= SH_PAGE - 1;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < SH_MAX_DOMS; i++)
		if (s->doms[i].live && (did < 0 || s->doms[i].st.did == did))
			queue_range(&s->doms[i], first, last);
	pthread_mutex_unlock(&s->lock);
}

static int sh_flush(void *opaque, struct vtd *v)
{
	struct vtd_shadow *s = opaque;
	int r;

	pthread_mutex_lock(&s->lock);
	s->calls = 0;
	s->err = 0;
	for (unsigned i = 0; i < s->nr_devs; i++)
		if (s->devs[i].dirty)
			dev_place(s, v, &s->devs[i]);
	for (unsigned i = 0; i < SH_MAX_DOMS; i++) {
		if (s->doms[i].live && !s->doms[i].users)
			(void)domain_destroy(s, &s->doms[i]);
		else if (s->doms[i].live)
			domain_flush(s, v, &s->doms[i]);
	}
	if (s->calls)
		s->stats.flushes++;
	r = s->err ? s->err : (int)s->calls;
	pthread_mutex_unlock(&s->lock);
	return r;
}

int vtd_shadow_create(const struct iommu_sys *sys, int iommufd, uint32_t vm_ioas_id, const struct gmem *mem,
		      struct vtd_shadow **ret, char *err, size_t errlen)
{
	struct vtd_shadow *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "vvtd shadow: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->sys = sys;
	s->fd = iommufd;
	s->identity_id = vm_ioas_id;
	s->mem = mem;
	s->ops = (struct vtd_backend_ops){ sh_context_changed, sh_iotlb_invalidate, sh_flush, s };
	*ret = s;
	return 0;
}

int vtd_shadow_add_device(struct vtd_shadow *s, uint16_t rid, const struct iommu_attach_ops *at, char *err,
			  size_t errlen)
{
	/* Blocking must really block: "detach NULL means attach to the IOAS" would hand the guest all RAM. */
	if (!at || !at->attach || !at->detach) {
		snprintf(err, errlen, "vvtd shadow: device %02x:%02x.%u needs attach and detach callbacks", rid >> 8,
			 (rid >> 3) & 0x1f, rid & 7);
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->nr_devs; i++) {
		if (s->devs[i].rid == rid) {
			snprintf(err, errlen, "vvtd shadow: device %02x:%02x.%u is added twice", rid >> 8,
				 (rid >> 3) & 0x1f, rid & 7);
			return -EEXIST;
		}
	}
	if (s->nr_devs == SH_MAX_DEVS) {
		snprintf(err, errlen, "vvtd shadow: at most %d devices behind one vVT-d", SH_MAX_DEVS);
		return -ENOSPC;
	}
	/* It is on the VM's IOAS already (binding put it there), as a guest with translation off expects. */
	s->devs[s->nr_devs++] = (struct sh_dev){ .rid = rid, .at = *at, .where = SH_IDENTITY, .dom = -1 };
	return 0;
}

const struct vtd_backend_ops *vtd_shadow_backend(struct vtd_shadow *s)
{
	return &s->ops;
}

void vtd_shadow_destroy(struct vtd_shadow *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < s->nr_devs; i++) {
		struct sh_dev *dv = &s->devs[i];

		if (dv->where != SH_IDENTITY && dev_move(s, dv, SH_IDENTITY, -1) < 0) {
			log_warn("vvtd shadow: device %02x:%02x.%u could not go back to the VM's IOAS; detaching it",
				 dv->rid >> 8, (dv->rid >> 3) & 0x1f, dv->rid & 7);
			if (dv->where == SH_SHADOW && dv->at.detach(dv->at.opaque) == 0) {
				s->doms[dv->dom].users--;
				dv->where = SH_BLOCKED;
			}
		}
	}
	for (unsigned i = 0; i < SH_MAX_DOMS; i++)
		if (s->doms[i].live && domain_destroy(s, &s->doms[i]) < 0)
			vec_free(&s->doms[i].areas); /* the IOAS goes with the iommufd */
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void vtd_shadow_get_stats(struct vtd_shadow *s, struct vtd_shadow_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	out->areas = out->domains = 0;
	for (unsigned i = 0; i < SH_MAX_DOMS; i++) {
		if (s->doms[i].live) {
			out->domains++;
			out->areas += s->doms[i].areas.n;
		}
	}
	pthread_mutex_unlock(&s->lock);
}
