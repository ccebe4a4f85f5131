// SPDX-License-Identifier: Apache-2.0
/*
 * The guest-visible VT-d unit (docs/vvtd.md, "The model"): its lifecycle,
 * the 4 KiB register page and the fault machinery (fault recording
 * registers, the fault event and the invalidation completion event).
 * The invalidation queue is in vtd_qi.c, the IOTLB and translation in
 * vtd_iotlb.c.
 *
 * Registers are handled as 8-byte slots: a 4-byte access is a slot access
 * with half the bytes masked, so 64-bit registers written as two 32-bit
 * halves and 32-bit register pairs read as one quadword both work. Writes
 * of other sizes or misaligned ones are ignored; reads of any size within
 * one slot see the slot's bytes. Nothing here reads guest memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vtd-priv.h"

/* CAP_REG fields (VT-d spec 11.4.2). */
#define CAP_ND_64K      6ull            /* 16-bit domain ids */
#define CAP_RWBF        (1ull << 4)
#define CAP_CM          (1ull << 7)
#define CAP_MGAW_SHIFT  16
#define CAP_FRO_SHIFT   24
#define CAP_PSI         (1ull << 39)
#define CAP_NFR_SHIFT   40
#define CAP_MAMV_SHIFT  48
#define CAP_FL1GP       (1ull << 56)
#define CAP_FL5LP       (1ull << 60)
/* ECAP_REG fields (11.4.3). */
#define ECAP_C          (1ull << 0)
#define ECAP_QI         (1ull << 1)
#define ECAP_PT         (1ull << 6)
#define ECAP_IRO_SHIFT  8
#define ECAP_SMTS       (1ull << 43)
#define ECAP_FLTS       (1ull << 47)
#define ECAP_SMPWCS     (1ull << 48)

#define RTADDR_MASK     (~0x3ffull)     /* address 63:12, TTM 11:10 */
#define IQA_MASK        (~0xfffull | VTD_IQA_DW | VTD_IQA_QS)
#define FEADDR_MASK     (~0x3u)
#define IVA_MASK        (~0xfffull | 0x7full)   /* address, IH, AM */

/*
 * Why these capabilities (docs/vvtd.md): scalable mode with first-stage
 * tables only, because that is the format a host's nested VT-d and the
 * iommufd page-table formats share; SAGAW is 0 because there is no
 * second-stage translation, which also makes a guest that would use
 * legacy mode (intel_iommu=sm_off) refuse the unit ("Cannot get a valid
 * agaw") instead of enabling tables the model does not walk; caching
 * mode so that the guest invalidates after changing context and PASID
 * entries; page walks are coherent (the model reads guest RAM), so the
 * guest need not flush CPU caches. A unit with a backend also sets RWBF:
 * caching mode exempts first-stage mappings from invalidation, and the
 * write-buffer flush Linux then does after every map (GCMD.WBF) is the
 * only signal the shadow backend gets of a new mapping (docs/vvtd.md).
 * A nested unit does not: the host walks the guest's first-stage tables
 * itself, and a WBF after every map would be a host call for nothing;
 * its large pages, 5-level tables and page-walk coherency are the host's.
 */
static void vtd_reset(struct vtd *v)
{
	v->cap = CAP_ND_64K | CAP_CM | (uint64_t)(v->addr_width - 1) << CAP_MGAW_SHIFT |
		 (uint64_t)(VTD_FRCD_REG / 16) << CAP_FRO_SHIFT | CAP_PSI |
		 (uint64_t)(VTD_NFR - 1) << CAP_NFR_SHIFT | (uint64_t)VTD_MAMV << CAP_MAMV_SHIFT | CAP_FL1GP;
	if (v->addr_width == 57)
		v->cap |= CAP_FL5LP;
	if (v->backend && !v->nested)
		v->cap |= CAP_RWBF;
	v->ecap = ECAP_C | ECAP_QI | ECAP_PT | (uint64_t)(VTD_IVA_REG / 16) << ECAP_IRO_SHIFT | ECAP_SMTS |
		  ECAP_FLTS | ECAP_SMPWCS;
	if (v->nested) {
		/* The host walks the guest's tables: offer only the page sizes, levels and coherency it has. */
		v->cap &= ~((CAP_FL1GP | CAP_FL5LP) & ~v->host_cap);
		v->ecap &= ~((ECAP_C | ECAP_SMPWCS) & ~v->host_ecap);
	}
	v->fectl = VTD_CTL_IM;
	v->iectl = VTD_CTL_IM;
	v->iq_dsz = 16;
}

int vtd_create(const struct vtd_params *p, const struct vtd_env *env, struct vtd **ret, char *err, size_t errlen)
{
	struct vtd *v;
	int r;

	if (p->addr_width != 48 && p->addr_width != 57) {
		snprintf(err, errlen, "vvtd%u: address width %u is not 48 or 57", p->index, p->addr_width);
		return -EINVAL;
	}
	if (!env->mem) {
		snprintf(err, errlen, "vvtd%u: no guest memory", p->index);
		return -EINVAL;
	}
	if (p->nested && p->addr_width == 57 && !(p->host_cap & CAP_FL5LP)) {
		snprintf(err, errlen, "vvtd%u: the host IOMMU cannot walk 5-level first-stage tables (CAP.FS5LP clear); "
			 "a nested unit needs address width 48 here", p->index);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "vvtd%u: out of memory", p->index);
		return -ENOMEM;
	}
	snprintf(v->name, sizeof(v->name), "vvtd%u", p->index);
	v->env = *env;
	v->backend = p->backend;
	v->addr_width = p->addr_width;
	v->bus = p->bus;
	v->nested = p->nested;
	v->host_cap = p->host_cap;
	v->host_ecap = p->host_ecap;
	v->failed_nth = -1;
	v->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->kick_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: eventfd: %s", v->name, strerror(-r));
		free(v);
		return r;
	}
	r = -pthread_mutex_init(&v->lock, NULL);
	if (!r) {
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		r = -pthread_cond_init(&v->wbf_done, &ca);
		pthread_condattr_destroy(&ca);
		if (r)
			pthread_mutex_destroy(&v->lock);
	}
	if (r) {
		snprintf(err, errlen, "%s: mutex: %s", v->name, strerror(-r));
		close(v->kick_fd);
		free(v);
		return r;
	}
	v->wbf_wait_ms = p->wbf_wait_ms;
	vtd_reset(v);
	*ret = v;
	return 0;
}

void vtd_destroy(struct vtd *v)
{
	if (!v)
		return;
	pthread_cond_destroy(&v->wbf_done);
	pthread_mutex_destroy(&v->lock);
	close(v->kick_fd);
	free(v);
}

int vtd_kick_fd(const struct vtd *v)
{
	return v->kick_fd;
}

void vtd_get_stats(struct vtd *v, struct vtd_stats *out)
{
	pthread_mutex_lock(&v->lock);
	*out = v->stats;
	pthread_mutex_unlock(&v->lock);
}

void vtd_kick(struct vtd *v)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is saturated: the fd is readable anyway. */
	if (write(v->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("%s: kick: %s", v->name, strerror(errno));
}

/* ---- interrupts and faults ---------------------------------------------- */

static void vtd_msi(struct vtd *v, uint32_t addr_lo, uint32_t addr_hi, uint32_t data)
{
	if (v->env.msi)
		v->env.msi(v->env.opaque, (uint64_t)addr_hi << 32 | addr_lo, data);
}

/*
 * A fault condition was just set; pre is FSTS from before. Like the
 * hardware, only the first pending condition interrupts: the guest's
 * handler services all of them, and IP stays set until it has.
 */
static void vtd_fault_event(struct vtd *v, uint32_t pre)
{
	if (pre & VTD_FSTS_EVENTS)
		return;
	if (v->fectl & VTD_CTL_IM) {
		v->fectl |= VTD_CTL_IP;
		return;
	}
	v->fectl &= ~VTD_CTL_IP;
	vtd_msi(v, v->feaddr, v->feuaddr, v->fedata);
}

void vtd_completion_event(struct vtd *v)
{
	if (v->ics & VTD_ICS_IWC)
		return;
	v->ics |= VTD_ICS_IWC;
	if (v->iectl & VTD_CTL_IM) {
		v->iectl |= VTD_CTL_IP;
		return;
	}
	vtd_msi(v, v->ieaddr, v->ieuaddr, v->iedata);
}

void vtd_raise_iqe(struct vtd *v)
{
	uint32_t pre = v->fsts;

	v->stats.iqe++;
	v->fsts |= VTD_FSTS_IQE;
	vtd_fault_event(v, pre);
}

/* PPF and FRI follow the records: FRI is the oldest one still pending. */
static void vtd_update_ppf(struct vtd *v)
{
	v->fsts &= ~(VTD_FSTS_PPF | 0xffu << VTD_FSTS_FRI_SHIFT);
	for (unsigned k = 0; k < VTD_NFR; k++) {
		unsigned i = (v->frcd_next + k) % VTD_NFR;

		if (v->frcd[i][1] & VTD_FRCD_F) {
			v->fsts |= VTD_FSTS_PPF | i << VTD_FSTS_FRI_SHIFT;
			return;
		}
	}
}

void vtd_record_fault(struct vtd *v, uint16_t rid, uint64_t iova, bool write, uint8_t reason)
{
	uint32_t pre = v->fsts;
	unsigned i = v->frcd_next;

	v->stats.faults++;
	if (v->fsts & VTD_FSTS_PFO)
		return;      /* overflowed: dropped until the guest clears PFO */
	if (v->frcd[i][1] & VTD_FRCD_F) {
		v->fsts |= VTD_FSTS_PFO;
		vtd_fault_event(v, pre);
		return;
	}
	v->frcd[i][0] = iova & ~0xfffull;
	v->frcd[i][1] = VTD_FRCD_F | (write ? 0 : VTD_FRCD_T_READ) | (uint64_t)reason << VTD_FRCD_FR_SHIFT | rid;
	v->frcd_next = (i + 1) % VTD_NFR;
	if (!(v->fsts & VTD_FSTS_PPF))
		v->fsts |= VTD_FSTS_PPF | i << VTD_FSTS_FRI_SHIFT;
	vtd_fault_event(v, pre);
}

/* ---- register writes ---------------------------------------------------- */

static void vtd_context_reset(struct vtd *v)
{
	vtd_devc_flush_all(v);
	vtd_tlb_flush_all(v);
	v->pending |= VTD_PEND_CONTEXT;
	vtd_kick(v);
}

/*
 * GCMD: Linux writes its persistent bits (TE, QIE) with at most one
 * one-shot command (SRTP). The status changes at once; the backend learns
 * about TE and the root table on the drain thread (VTD_PEND_CONTEXT).
 */
/*
 * Hold the vCPU that wrote GCMD.WBF until the drain thread has flushed
 * (at most wbf_wait_ms). Linux polls WBFS with a timeout, 10 s of TSC
 * counted from after its write, and panics ("DMAR hardware is
 * malfunctioning") when it expires; a flush that makes host calls may
 * take that long on a loaded or emulated host, where the guest's clock
 * may also run fast. Time spent inside the write is not counted: the
 * guest's first read then finds WBFS clear. Past wbf_wait_ms the write
 * returns with WBFS still set and the guest polls as before.
 */
static void vtd_wait_wbf_locked(struct vtd *v)
{
	struct timespec until;

	if (!v->wbf_wait_ms)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += v->wbf_wait_ms / 1000;
	until.tv_nsec += (long)(v->wbf_wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (v->gsts & VTD_GSTS_WBFS)
		if (pthread_cond_timedwait(&v->wbf_done, &v->lock, &until) == ETIMEDOUT) {
			v->stats.wbf_wait_timeouts++;
			break;
		}
}

static void vtd_gcmd_write(struct vtd *v, uint32_t val)
{
	bool te = val & VTD_GCMD_TE, qie = val & VTD_GCMD_QIE;

	if (val & VTD_GCMD_SRTP) {
		v->rta_active = v->rtaddr;
		v->gsts |= VTD_GSTS_RTPS;
		vtd_context_reset(v);
	}
	if (te != !!(v->gsts & VTD_GSTS_TES)) {
		v->gsts ^= VTD_GSTS_TES;
		vtd_context_reset(v);
	}
	if (qie && !(v->gsts & VTD_GSTS_QIES)) {
		v->iq_base = v->iqa & ~0xfffull & ((1ull << v->addr_width) - 1);
		v->iq_size = 4096ull << (v->iqa & VTD_IQA_QS);
		v->iq_dsz = v->iqa & VTD_IQA_DW ? 32 : 16;
		v->iqh = 0;
		v->iq_gen++;
		v->gsts |= VTD_GSTS_QIES;
		vtd_kick(v);     /* a tail written before enabling (Windows does) is served */
	} else if (!qie && (v->gsts & VTD_GSTS_QIES)) {
		v->iqh = 0;
		v->iq_gen++;
		v->gsts &= ~VTD_GSTS_QIES;
	}
	/*
	 * Write-buffer flush (offered with a backend only): the guest polls
	 * GSTS.WBFS until the drain thread has told the backend and flushed,
	 * so a mapping it just made is on the host before it hands the IOVA
	 * to a device.
	 */
	if ((val & VTD_GCMD_WBF) && (v->cap & CAP_RWBF)) {
		v->gsts |= VTD_GSTS_WBFS;
		v->pending |= VTD_PEND_WBF;
		v->stats.wbfs++;
		vtd_kick(v);
		vtd_wait_wbf_locked(v);
	}
}

/* Register-based context invalidation: done at once, at the granularity asked. */
static void vtd_ccmd_exec(struct vtd *v)
{
	unsigned g = v->ccmd >> 61 & 3;

	if (g == 3)
		vtd_devc_flush_rid(v, v->ccmd >> 16 & 0xffff, vtd_fm_mask(v->ccmd >> 32));
	else
		vtd_devc_flush_all(v);
	v->ccmd = (v->ccmd & ~(VTD_CCMD_ICC | 3ull << 59)) | (uint64_t)g << 59;
	v->pending |= VTD_PEND_CONTEXT;
	vtd_kick(v);
}

/* Register-based IOTLB invalidation (IVA_REG + IOTLB_REG). */
static void vtd_iotlb_exec(struct vtd *v)
{
	unsigned g = v->iotlb >> 60 & 3;
	int did = v->iotlb >> 32 & 0xffff;
	unsigned am = v->iva & 0x3f;

	if (g == 1)
		vtd_tlb_flush(v, -1, 0, 0);
	else if (g == 2)
		vtd_tlb_flush(v, did, 0, 0);
	else if (g == 3 && am <= VTD_MAMV)
		vtd_tlb_flush(v, did, v->iva & ~0xfffull & ~((4096ull << am) - 1), 4096ull << am);
	else
		g = 0;   /* IAIG 0: the request was invalid */
	v->iotlb = (v->iotlb & ~(VTD_IOTLB_IVT | 3ull << 57)) | (uint64_t)g << 57;
	v->pending |= VTD_PEND_IOTLB;
	vtd_kick(v);
}

static void vtd_fsts_write(struct vtd *v, uint32_t val)
{
	uint32_t w1c = val & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE);

	v->fsts &= ~w1c;
	if (!(v->fsts & VTD_FSTS_EVENTS))
		v->fectl &= ~VTD_CTL_IP;
	if ((w1c & VTD_FSTS_IQE) && (v->gsts & VTD_GSTS_QIES))
		vtd_kick(v);     /* the queue resumes at the head, which the guest may have rewritten */
}

static void vtd_fectl_write(struct vtd *v, uint32_t val)
{
	v->fectl = (v->fectl & ~VTD_CTL_IM) | (val & VTD_CTL_IM);
	if (!(v->fectl & VTD_CTL_IM) && (v->fectl & VTD_CTL_IP)) {
		v->fectl &= ~VTD_CTL_IP;
		vtd_msi(v, v->feaddr, v->feuaddr, v->fedata);
	}
}

static void vtd_iectl_write(struct vtd *v, uint32_t val)
{
	v->iectl = (v->iectl & ~VTD_CTL_IM) | (val & VTD_CTL_IM);
	if (!(v->iectl & VTD_CTL_IM) && (v->iectl & VTD_CTL_IP)) {
		v->iectl &= ~VTD_CTL_IP;
		vtd_msi(v, v->ieaddr, v->ieuaddr, v->iedata);
	}
}

static void vtd_ics_write(struct vtd *v, uint32_t val)
{
	if (val & VTD_ICS_IWC) {
		v->ics &= ~VTD_ICS_IWC;
		v->iectl &= ~VTD_CTL_IP;
	}
}

/* The high quadword of a fault record: F is write-1-to-clear, the rest read-only. */
static void vtd_frcd_write(struct vtd *v, unsigned i, uint64_t val, uint64_t mask)
{
	if (!(mask & val & VTD_FRCD_F))
		return;
	v->frcd[i][1] &= ~VTD_FRCD_F;
	vtd_update_ppf(v);
	if (!(v->fsts & VTD_FSTS_EVENTS))
		v->fectl &= ~VTD_CTL_IP;
}

static uint64_t merge(uint64_t old, uint64_t val, uint64_t mask)
{
	return (old & ~mask) | (val & mask);
}

#define LO 0x00000000ffffffffull
#define HI 0xffffffff00000000ull

/* Registers whose halves are two 32-bit registers. */
static bool vtd_write_pair(struct vtd *v, uint64_t slot, uint64_t val, uint64_t mask)
{
	uint32_t lo = (uint32_t)val, hi = (uint32_t)(val >> 32);

	switch (slot) {
	case VTD_GCMD_REG:
		if (mask & LO)
			vtd_gcmd_write(v, lo);
		return true;
	case VTD_FSTS_REG & ~7u:
		if (mask & HI)
			vtd_fsts_write(v, hi);
		return true;
	case VTD_FECTL_REG:
		if (mask & LO)
			vtd_fectl_write(v, lo);
		if (mask & HI)
			v->fedata = hi;
		return true;
	case VTD_FEADDR_REG:
		if (mask & LO)
			v->feaddr = lo & FEADDR_MASK;
		if (mask & HI)
			v->feuaddr = hi;
		return true;
	case VTD_ICS_REG & ~7u:
		if (mask & HI)
			vtd_ics_write(v, hi);
		return true;
	case VTD_IECTL_REG:
		if (mask & LO)
			vtd_iectl_write(v, lo);
		if (mask & HI)
			v->iedata = hi;
		return true;
	case VTD_IEADDR_REG:
		if (mask & LO)
			v->ieaddr = lo & FEADDR_MASK;
		if (mask & HI)
			v->ieuaddr = hi;
		return true;
	}
	return false;
}

static void vtd_write_slot(struct vtd *v, uint64_t slot, uint64_t val, uint64_t mask)
{
	if (vtd_write_pair(v, slot, val, mask))
		return;
	switch (slot) {
	case VTD_RTADDR_REG:
		v->rtaddr = merge(v->rtaddr, val, mask) & RTADDR_MASK;
		return;
	case VTD_CCMD_REG:
		v->ccmd = merge(v->ccmd, val, mask);
		if ((mask & HI) && (v->ccmd & VTD_CCMD_ICC))
			vtd_ccmd_exec(v);
		return;
	case VTD_IQT_REG:
		v->iqt = merge(v->iqt, val, mask) & VTD_IQT_QT;
		vtd_kick(v);
		return;
	case VTD_IQA_REG:
		/* Latched when the queue is enabled; a write while enabled takes effect at the next enable. */
		v->iqa = merge(v->iqa, val, mask) & IQA_MASK;
		return;
	case VTD_IVA_REG:
		v->iva = merge(v->iva, val, mask) & IVA_MASK;
		return;
	case VTD_IOTLB_REG:
		v->iotlb = merge(v->iotlb, val, mask);
		if ((mask & HI) && (v->iotlb & VTD_IOTLB_IVT))
			vtd_iotlb_exec(v);
		return;
	}
	if (slot >= VTD_FRCD_REG && slot < VTD_FRCD_REG + VTD_NFR * 16 && (slot & 8))
		vtd_frcd_write(v, (slot - VTD_FRCD_REG) / 16, val, mask);
}

static uint64_t vtd_read_slot(struct vtd *v, uint64_t slot)
{
	switch (slot) {
	case VTD_VER_REG: return VTD_VERSION;
	case VTD_CAP_REG: return v->cap;
	case VTD_ECAP_REG: return v->ecap;
	case VTD_GCMD_REG: return (uint64_t)v->gsts << 32;
	case VTD_RTADDR_REG: return v->rtaddr;
	case VTD_CCMD_REG: return v->ccmd;
	case VTD_FSTS_REG & ~7u: return (uint64_t)v->fsts << 32;
	case VTD_FECTL_REG: return v->fectl | (uint64_t)v->fedata << 32;
	case VTD_FEADDR_REG: return v->feaddr | (uint64_t)v->feuaddr << 32;
	case VTD_IQH_REG: return v->iqh;
	case VTD_IQT_REG: return v->iqt;
	case VTD_IQA_REG: return v->iqa;
	case VTD_ICS_REG & ~7u: return (uint64_t)v->ics << 32;
	case VTD_IECTL_REG: return v->iectl | (uint64_t)v->iedata << 32;
	case VTD_IEADDR_REG: return v->ieaddr | (uint64_t)v->ieuaddr << 32;
	case VTD_IVA_REG: return v->iva;
	case VTD_IOTLB_REG: return v->iotlb;
	}
	if (slot >= VTD_FRCD_REG && slot < VTD_FRCD_REG + VTD_NFR * 16)
		return v->frcd[(slot - VTD_FRCD_REG) / 16][(slot & 8) ? 1 : 0];
	return 0;   /* IQER (no error information), unsupported and reserved registers */
}

static void vtd_mmio_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct vtd *v = opaque;
	uint64_t slot = offset & ~7ull, val;
	unsigned shift = (offset & 7) * 8;

	memset(data, 0, len);
	if (len == 0 || len > 8 || (offset & 7) + len > 8 || offset >= VTD_REG_SIZE)
		return;
	pthread_mutex_lock(&v->lock);
	val = vtd_read_slot(v, slot);
	pthread_mutex_unlock(&v->lock);
	val >>= shift;
	memcpy(data, &val, len);     /* x86: little-endian, as the registers are */
}

static void vtd_mmio_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct vtd *v = opaque;
	uint64_t val = 0, mask;

	if ((len != 4 && len != 8) || (offset & (len - 1)) || offset >= VTD_REG_SIZE)
		return;
	memcpy(&val, data, len);
	mask = len == 8 ? ~0ull : LO;
	if (offset & 4) {
		val <<= 32;
		mask <<= 32;
	}
	pthread_mutex_lock(&v->lock);
	vtd_write_slot(v, offset & ~7ull, val, mask);
	pthread_mutex_unlock(&v->lock);
}

const struct bus_device_ops vtd_mmio_ops = {
	.read = vtd_mmio_read,
	.write = vtd_mmio_write,
};
