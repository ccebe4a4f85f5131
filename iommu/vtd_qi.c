// SPDX-License-Identifier: Apache-2.0
/*
 * The invalidation queue (docs/vvtd.md, "The invalidation queue"):
 * vtd_drain() runs on the queue engine's thread, reads the descriptors
 * between the head and the tail from guest memory (bounds-checked), checks
 * each against the spec, applies it to the unit's own caches, hands it to
 * the backend, and completes invalidation waits in order, after the
 * backend's flush() of everything before them.
 *
 * A descriptor the model does not accept (an unknown type, a reserved
 * field set, a granularity the spec reserves) or a queue it cannot read
 * stops the queue with FSTS.IQE with the head left at that descriptor, as
 * on hardware; the guest fixes or replaces it, clears IQE and the queue
 * resumes there. Reserved fields are checked where Linux never sets them
 * (qw2/qw3 of every invalidation descriptor included), so a mistake in a
 * guest driver shows as IQE rather than as a silently ignored field.
 */
#include <errno.h>
#include <string.h>

#include "vtd-priv.h"

#define BITS(hi, lo) ((~0ull >> (63 - (hi))) & (~0ull << (lo)))

#define WAIT_IF (1ull << 4)
#define WAIT_SW (1ull << 5)

struct vtd_desc {
	uint64_t qw[4];
};

/* What one descriptor asks of the caches and the backend. */
struct vtd_work {
	enum { W_NONE, W_CONTEXT, W_IOTLB, W_WAIT } kind;
	int rid;                 /* W_CONTEXT: -1 every rid */
	uint16_t rid_mask;       /* W_CONTEXT: requester-ID bits ignored (function mask) */
	int did;                 /* W_IOTLB: -1 every domain */
	uint64_t iova, len;      /* W_IOTLB: len 0 the whole address space */
	uint64_t qw0, qw1;       /* W_WAIT */
};

static bool rsvd_ok(const struct vtd_desc *d, uint64_t qw0_rsvd, uint64_t qw1_rsvd)
{
	return !(d->qw[0] & qw0_rsvd) && !(d->qw[1] & qw1_rsvd) && !d->qw[2] && !d->qw[3];
}

/* Context-cache invalidation: global, domain-selective (01, 10) or device-selective (11). */
static bool parse_cc(const struct vtd_desc *d, struct vtd_work *w)
{
	unsigned g = d->qw[0] >> 4 & 3;

	if (g == 0 || !rsvd_ok(d, BITS(15, 6) | BITS(63, 50), ~0ull))
		return false;
	w->kind = W_CONTEXT;
	w->rid = g == 3 ? (int)(d->qw[0] >> 32 & 0xffff) : -1;
	w->rid_mask = g == 3 ? vtd_fm_mask(d->qw[0] >> 48) : 0;
	return true;
}

/* The page-selective part shared by the IOTLB and PASID-based IOTLB descriptors. */
static bool parse_psi(const struct vtd_desc *d, struct vtd_work *w)
{
	unsigned am = d->qw[1] & 0x3f;

	if (am > VTD_MAMV)
		return false;
	w->len = 4096ull << am;
	w->iova = d->qw[1] & ~0xfffull & ~(w->len - 1);   /* the hardware ignores the low address bits */
	return true;
}

/* IOTLB invalidation: global (01), domain (10), page-selective within the domain (11). */
static bool parse_iotlb(const struct vtd_desc *d, struct vtd_work *w)
{
	unsigned g = d->qw[0] >> 4 & 3;

	if (g == 0 || !rsvd_ok(d, BITS(15, 8) | BITS(63, 32), BITS(11, 7)))
		return false;
	w->kind = W_IOTLB;
	w->did = g == 1 ? -1 : (int)(d->qw[0] >> 16 & 0xffff);
	return g != 3 || parse_psi(d, w);
}

/* PASID-based IOTLB: non-globals within a PASID (10) or page-selective within it (11). */
static bool parse_piotlb(const struct vtd_desc *d, struct vtd_work *w)
{
	unsigned g = d->qw[0] >> 4 & 3;

	if (g < 2 || !rsvd_ok(d, BITS(15, 6) | BITS(63, 52), BITS(11, 7)))
		return false;
	/* Only requests without PASID are translated, so the PASID only narrows: flush the domain's. */
	w->kind = W_IOTLB;
	w->did = (int)(d->qw[0] >> 16 & 0xffff);
	return g != 3 || parse_psi(d, w);
}

/* PASID-cache: domain-selective (00), PASID-selective (01), global (11). */
static bool parse_pc(const struct vtd_desc *d, struct vtd_work *w)
{
	if ((d->qw[0] >> 4 & 3) == 2 || !rsvd_ok(d, BITS(15, 6) | BITS(63, 52), ~0ull))
		return false;
	/* A device whose entry was not present has no domain to match: every cached state goes. */
	w->kind = W_CONTEXT;
	w->rid = -1;
	return true;
}

static bool parse_wait(const struct vtd_desc *d, struct vtd_work *w)
{
	if (!rsvd_ok(d, BITS(31, 8), BITS(1, 0)))
		return false;
	w->kind = W_WAIT;
	w->qw0 = d->qw[0];
	w->qw1 = d->qw[1];
	return true;
}

static bool parse(const struct vtd_desc *d, struct vtd_work *w)
{
	if (d->qw[0] & BITS(11, 9))
		return false;    /* type bits 6:4: no such descriptor */
	switch (d->qw[0] & 0xf) {
	case VTD_DESC_CC:
		return parse_cc(d, w);
	case VTD_DESC_IOTLB:
		return parse_iotlb(d, w);
	case VTD_DESC_PIOTLB:
		return parse_piotlb(d, w);
	case VTD_DESC_PC:
		return parse_pc(d, w);
	case VTD_DESC_WAIT:
		return parse_wait(d, w);
	case VTD_DESC_DEVTLB:
	case VTD_DESC_PDEVTLB:
	case VTD_DESC_IEC:
		/* No device TLBs (no ATS) and no interrupt remapping: nothing is cached to drop. */
		w->kind = W_NONE;
		return !d->qw[2] && !d->qw[3];
	}
	return false;   /* page request responses (no PRS) and unknown types */
}

/* ---- applying ---- */

static void apply_local(struct vtd *v, const struct vtd_work *w)
{
	if (w->kind == W_CONTEXT && w->rid < 0)
		vtd_devc_flush_all(v);
	else if (w->kind == W_CONTEXT)
		vtd_devc_flush_rid(v, (uint16_t)w->rid, w->rid_mask);
	else if (w->kind == W_IOTLB)
		vtd_tlb_flush(v, w->did, w->iova, w->len);
}

void vtd_backend_failed(struct vtd *v, unsigned nth)
{
	if (v->failed_nth < 0 || nth < (unsigned)v->failed_nth)
		v->failed_nth = (int)(nth < VTD_TOLD_MAX ? nth : VTD_TOLD_MAX);
}

/* Called without the lock; pos: the descriptor's IQH (of queue generation gen), VTD_TOLD_NONE for a register write. */
static void tell_backend(struct vtd *v, const struct vtd_work *w, uint64_t pos, unsigned gen)
{
	const struct vtd_backend_ops *b = v->backend;

	if (w->kind == W_CONTEXT && b->context_changed) {
		if (w->rid < 0) {
			b->context_changed(b->opaque, v, -1);
		} else {
			for (unsigned f = 0; f < 8; f++)
				if (!(f & ~w->rid_mask))
					b->context_changed(b->opaque, v, (w->rid & ~w->rid_mask) | (int)f);
		}
	} else if (w->kind == W_IOTLB && b->iotlb_invalidate) {
		if (!v->nr_told)
			v->told_gen = gen;
		if (v->nr_told < VTD_TOLD_MAX)
			v->told_pos[v->nr_told] = gen == v->told_gen ? pos : VTD_TOLD_NONE;
		v->nr_told++;
		b->iotlb_invalidate(b->opaque, v, w->did, w->iova, w->len);
	}
	v->unflushed = true;
}

/*
 * After a flush, with the lock held: a host failure the backend named at a
 * descriptor of the current queue is an IQE there. True if raised.
 */
static bool host_failure_locked(struct vtd *v)
{
	int nth = v->failed_nth;
	unsigned told = v->nr_told;

	v->failed_nth = -1;
	v->nr_told = 0;
	if (nth < 0 || (unsigned)nth >= told || (unsigned)nth >= VTD_TOLD_MAX ||
	    v->told_pos[nth] == VTD_TOLD_NONE || v->told_gen != v->iq_gen || !(v->gsts & VTD_GSTS_QIES))
		return false;
	v->iqh = v->told_pos[nth];
	vtd_raise_iqe(v);
	return true;
}

/* The end of a batch: called without the lock, only if the backend was told something. */
static void backend_flush(struct vtd *v)
{
	const struct vtd_backend_ops *b = v->backend;
	int n;

	if (!v->unflushed)
		return;
	v->unflushed = false;
	if (!b->flush) {
		v->nr_told = 0;
		return;
	}
	v->failed_nth = -1;
	n = b->flush(b->opaque, v);
	pthread_mutex_lock(&v->lock);
	/* A failure the backend placed is the guest's IQE; any other has no architected error (devices fault). */
	bool iqe = host_failure_locked(v);
	if (n > 0)
		v->stats.host_calls += (unsigned)n;
	pthread_mutex_unlock(&v->lock);
	if (n < 0 && !v->flush_err_logged) {
		log_error("%s: backend host calls failed: %s%s (further failures not logged)", v->name, strerror(-n),
			  iqe ? "; the guest gets an invalidation queue error at the descriptor" : "");
		v->flush_err_logged = true;
	}
}

/* The register-based invalidations and GCMD changes the register callbacks left. */
static void tell_pending(struct vtd *v, unsigned pending)
{
	struct vtd_work all_ctx = { .kind = W_CONTEXT, .rid = -1 };
	struct vtd_work all_tlb = { .kind = W_IOTLB, .did = -1 };

	if (pending & VTD_PEND_CONTEXT)
		tell_backend(v, &all_ctx, VTD_TOLD_NONE, 0);
	if (pending & (VTD_PEND_IOTLB | VTD_PEND_WBF))
		tell_backend(v, &all_tlb, VTD_TOLD_NONE, 0);
	if (pending & VTD_PEND_WBF)
		v->wbf_told = true;
}

static bool complete_wait(struct vtd *v, const struct vtd_work *w)
{
	if (w->qw0 & WAIT_SW) {
		uint32_t data = (uint32_t)(w->qw0 >> 32);

		/* A status address outside RAM: IQE, or the guest would wait forever. */
		if (gmem_write(v->env.mem, w->qw1 & ~3ull, &data, sizeof(data)))
			return false;
	}
	if (w->qw0 & WAIT_IF)
		vtd_completion_event(v);
	v->stats.waits++;
	return true;
}

static int fetch(struct vtd *v, struct vtd_desc *d)
{
	/* A tail beyond the queue or inside a 256-bit descriptor is the guest's error. */
	if (v->iqt >= v->iq_size || v->iqt % v->iq_dsz)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	return gmem_read(v->env.mem, v->iq_base + v->iqh, d, v->iq_dsz);
}

/*
 * Process descriptors until the queue is empty, stopped or one lap is
 * done (then the fd is kicked again so other units get their turn). With
 * the lock held; drops it around backend calls. Returns whether there was
 * anything to do.
 */
static bool drain_locked(struct vtd *v)
{
	bool worked = false;
	uint64_t budget = v->iq_size / v->iq_dsz;

	for (;;) {
		struct vtd_desc d;
		struct vtd_work w = { .kind = W_NONE };
		unsigned gen = v->iq_gen;

		if (v->pending && v->backend) {
			unsigned p = v->pending;

			v->pending = 0;
			pthread_mutex_unlock(&v->lock);
			tell_pending(v, p);
			pthread_mutex_lock(&v->lock);
			worked = true;
			continue;
		}
		v->pending = 0;
		if (!(v->gsts & VTD_GSTS_QIES) || (v->fsts & VTD_FSTS_IQE) || v->iqh == v->iqt)
			return worked;
		if (budget-- == 0) {
			vtd_kick(v);
			return worked;
		}
		worked = true;
		if (fetch(v, &d) || !parse(&d, &w)) {
			vtd_raise_iqe(v);
			return worked;
		}
		v->stats.descriptors++;
		apply_local(v, &w);
		if (v->backend && (w.kind == W_CONTEXT || w.kind == W_IOTLB || (w.kind == W_WAIT && v->unflushed))) {
			uint64_t pos = v->iqh;

			pthread_mutex_unlock(&v->lock);
			if (w.kind == W_WAIT)
				backend_flush(v);   /* a wait completes only after the host calls before it */
			else
				tell_backend(v, &w, pos, gen);
			pthread_mutex_lock(&v->lock);
			/* Disabled or re-enabled meanwhile, or the host failed a descriptor (IQE): the loop stops. */
			if (v->iq_gen != gen || (v->fsts & VTD_FSTS_IQE))
				continue;
		}
		if (w.kind == W_WAIT && !complete_wait(v, &w)) {
			vtd_raise_iqe(v);
			return worked;
		}
		v->iqh = (v->iqh + v->iq_dsz) % v->iq_size;
	}
}

void vtd_drain(struct vtd *v)
{
	bool worked = false;

	pthread_mutex_lock(&v->lock);
	if (v->draining) {
		/* Only the engine's thread drains; should another caller come, the running drain goes on. */
		v->drain_again = true;
		pthread_mutex_unlock(&v->lock);
		return;
	}
	v->draining = true;
	do {
		v->drain_again = false;
		worked |= drain_locked(v);
		if (v->unflushed) {
			pthread_mutex_unlock(&v->lock);
			backend_flush(v);
			pthread_mutex_lock(&v->lock);
		}
		/* A WBF written since it was told is still pending: its own flush clears WBFS. */
		if (v->wbf_told && !(v->pending & VTD_PEND_WBF)) {
			v->gsts &= ~VTD_GSTS_WBFS;
			pthread_cond_broadcast(&v->wbf_done);
		}
		v->wbf_told = false;
	} while (v->drain_again);
	if (worked)
		v->stats.drains++;
	v->draining = false;
	pthread_mutex_unlock(&v->lock);
}
