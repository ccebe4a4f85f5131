// SPDX-License-Identifier: Apache-2.0
/*
 * The vSMMUv3 register model: IDRs, CR0/CR0ACK, CR1/CR2, GBPA, IRQ_CTRL,
 * GERROR/GERRORN, the MSI configuration of the GERROR and event-queue
 * interrupts, the stream table base, the command and event queue
 * registers, on two 64 KiB pages; the event queue writer; the STE reports
 * to the backend. The command queue itself is in smmuv3_cmdq.c, the
 * structure decoding in smmuv3_tables.c. docs/vsmmuv3.md.
 *
 * SMMUEN and GBPA.ABORT change what every stream gets. With a backend
 * those changes are applied by the drain thread (the backend re-attaches
 * the devices), so CR0ACK.SMMUEN and GBPA.UPDATE show the write as done
 * only once it is: Linux polls both until they do.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "smmuv3-priv.h"

static void kick(struct smmuv3 *s)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: the drain is due anyway. */
	if (write(s->kick_fd, &one, sizeof(one)) < 0)
		return;
}

void smmuv3_send_msi(struct smmuv3 *s, uint64_t addr, uint32_t data)
{
	uint32_t le = htole32(data);

	addr &= IRQ_CFG0_ADDR_MASK;
	if (!addr)
		return;          /* MSIs disabled for this source */
	/* A write that lands in RAM is how Linux polls for CMD_SYNC completion. */
	if (gmem_slice(s->env.mem, addr, 4)) {
		if (gmem_write(s->env.mem, addr, &le, 4) == 0)
			return;
	}
	if (s->env.msi)
		s->env.msi(s->env.opaque, addr, data);
}

bool smmuv3_raise_gerror_locked(struct smmuv3 *s, uint32_t bit)
{
	if ((s->gerror ^ s->gerrorn) & bit)
		return false;    /* already active: not raised again until acknowledged */
	s->gerror ^= bit;
	return s->irq_ctrl & IRQ_CTRL_GERROR_IRQEN;
}

void smmuv3_gerror_msi(struct smmuv3 *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t addr = s->gerror_irq_cfg0;
	uint32_t data = s->gerror_irq_cfg1;
	pthread_mutex_unlock(&s->lock);
	smmuv3_send_msi(s, addr, data);
}

void smmuv3_tabcfg_locked(const struct smmuv3 *s, struct smmuv3_tabcfg *tc)
{
	tc->mem = s->env.mem;
	tc->enabled = s->applied_en;
	tc->gbpa_abort = s->applied_abort;
	tc->strtab_base = s->strtab_base;
	tc->strtab_cfg = s->strtab_cfg;
	tc->ssid_bits = s->p.ssid_bits;
}

struct smmuv3_stream *smmuv3_find_stream(struct smmuv3 *s, uint32_t sid)
{
	for (unsigned i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid == sid)
			return &s->streams[i];
	return NULL;
}

void smmuv3_report_stream(struct smmuv3 *s, struct smmuv3_stream *st, const struct smmuv3_tabcfg *tc)
{
	struct smmuv3_ste ste;

	smmuv3_tables_ste(tc, st->sid, &ste);
	if (!s->backend || (st->known && smmuv3_ste_equal(&st->last, &ste)))
		return;
	int r = s->backend->ste_changed(s->backend->opaque, s, st->sid, &ste);
	pthread_mutex_lock(&s->lock);
	s->stats.ste_reports++;
	pthread_mutex_unlock(&s->lock);
	st->known = r == 0;
	st->last = ste;
	if (r < 0 && !s->warned_ste) {
		s->warned_ste = true;
		log_warn("%s: stream %u: the host did not take the new configuration (%s)", s->name, st->sid,
			 strerror(-r));
	}
}

/* ---- the event queue ---------------------------------------------------- */

int smmuv3_inject_event(struct smmuv3 *s, const uint8_t rec[SMMUV3_EVENT_SIZE])
{
	int r = 0;
	bool msi = false, gmsi = false;

	pthread_mutex_lock(&s->lock);
	struct smmuv3_queue *q = &s->eventq;
	unsigned sh = smmuv3_q_shift(q->base);
	uint32_t prod = smmuv3_q_wrap_idx(q->prod, sh), cons = smmuv3_q_wrap_idx(q->cons, sh);
	uint32_t idx_mask = (1u << sh) - 1;

	if (!(s->cr0 & CR0_EVENTQEN)) {
		r = -EAGAIN;     /* no overflow either: the architecture discards silently */
	} else if ((prod ^ cons) == (1u << sh)) {
		/* Full: the record is lost; OVFLG toggles unless an overflow is already unacknowledged. */
		if (!((q->prod ^ q->cons) & EVENTQ_OVFLG))
			q->prod ^= EVENTQ_OVFLG;
		r = -ENOSPC;
		msi = s->irq_ctrl & IRQ_CTRL_EVENTQ_IRQEN;
	} else {
		gpa_t a = smmuv3_q_addr(q->base, sh, SMMUV3_EVENT_SIZE) + (uint64_t)(prod & idx_mask) * SMMUV3_EVENT_SIZE;
		if (gmem_write(s->env.mem, a, rec, SMMUV3_EVENT_SIZE)) {
			r = -EFAULT;
			gmsi = smmuv3_raise_gerror_locked(s, GERROR_EVTQ_ABT_ERR);
		} else {
			q->prod = (q->prod & EVENTQ_OVFLG) | smmuv3_q_wrap_idx(prod + 1, sh);
			msi = s->irq_ctrl & IRQ_CTRL_EVENTQ_IRQEN;
		}
	}
	if (r)
		s->stats.events_lost++;
	else
		s->stats.events++;
	uint64_t addr = s->eventq_irq_cfg0;
	uint32_t data = s->eventq_irq_cfg1;
	pthread_mutex_unlock(&s->lock);
	if (msi)
		smmuv3_send_msi(s, addr, data);
	if (gmsi)
		smmuv3_gerror_msi(s);
	return r;
}

/* ---- registers ------------------------------------------------------------ */

static uint32_t reg_read(struct smmuv3 *s, uint64_t off)
{
	if (off >= SMMUV3_PAGE_SIZE) {
		/* Page 1: only the event queue's PROD and CONS. */
		off -= SMMUV3_PAGE_SIZE;
		if (off != SMMU_EVENTQ_PROD && off != SMMU_EVENTQ_CONS)
			return 0;
	}
	switch (off) {
	case SMMU_IDR0 ... SMMU_IDR5:
		return s->idr[off / 4];
	case SMMU_AIDR:
		return SMMU_AIDR_V3_0;
	case SMMU_CR0: return s->cr0;
	case SMMU_CR0ACK: return s->cr0ack;
	case SMMU_CR1: return s->cr1;
	case SMMU_CR2: return s->cr2;
	case SMMU_GBPA: return s->gbpa;
	case SMMU_IRQ_CTRL:
	case SMMU_IRQ_CTRLACK: return s->irq_ctrl;
	case SMMU_GERROR: return s->gerror;
	case SMMU_GERRORN: return s->gerrorn;
	case SMMU_GERROR_IRQ_CFG0: return (uint32_t)s->gerror_irq_cfg0;
	case SMMU_GERROR_IRQ_CFG0 + 4: return (uint32_t)(s->gerror_irq_cfg0 >> 32);
	case SMMU_GERROR_IRQ_CFG1: return s->gerror_irq_cfg1;
	case SMMU_GERROR_IRQ_CFG2: return s->gerror_irq_cfg2;
	case SMMU_STRTAB_BASE: return (uint32_t)s->strtab_base;
	case SMMU_STRTAB_BASE + 4: return (uint32_t)(s->strtab_base >> 32);
	case SMMU_STRTAB_BASE_CFG: return s->strtab_cfg;
	case SMMU_CMDQ_BASE: return (uint32_t)s->cmdq.base;
	case SMMU_CMDQ_BASE + 4: return (uint32_t)(s->cmdq.base >> 32);
	case SMMU_CMDQ_PROD: return s->cmdq.prod;
	case SMMU_CMDQ_CONS: return s->cmdq.cons;
	case SMMU_EVENTQ_BASE: return (uint32_t)s->eventq.base;
	case SMMU_EVENTQ_BASE + 4: return (uint32_t)(s->eventq.base >> 32);
	case SMMU_EVENTQ_PROD: return s->eventq.prod;
	case SMMU_EVENTQ_CONS: return s->eventq.cons;
	case SMMU_EVENTQ_IRQ_CFG0: return (uint32_t)s->eventq_irq_cfg0;
	case SMMU_EVENTQ_IRQ_CFG0 + 4: return (uint32_t)(s->eventq_irq_cfg0 >> 32);
	case SMMU_EVENTQ_IRQ_CFG1: return s->eventq_irq_cfg1;
	case SMMU_EVENTQ_IRQ_CFG2: return s->eventq_irq_cfg2;
	default:
		return 0;        /* PRI, ATOS, secure and IMPLEMENTATION DEFINED: RAZ/WI */
	}
}

static void set_half(uint64_t *reg, uint64_t off, uint64_t base, uint32_t v, uint64_t mask)
{
	uint64_t val = off == base ? (*reg & ~0xffffffffull) | v : (*reg & 0xffffffffull) | (uint64_t)v << 32;
	*reg = val & mask;
}

/* CR0: SMMUEN waits for the drain thread when a backend must re-attach devices. */
static void write_cr0(struct smmuv3 *s, uint32_t v)
{
	uint32_t mask = CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN | (s->p.ats ? CR0_ATSCHK : 0);
	bool cmdq_on = !(s->cr0 & CR0_CMDQEN) && (v & CR0_CMDQEN);

	s->cr0 = v & mask;
	if (!s->backend)
		s->applied_en = s->cr0 & CR0_SMMUEN;   /* nothing to re-attach: in effect at once */
	/* CR0ACK.SMMUEN shows what is applied; the other bits take effect at once. */
	s->cr0ack = (s->cr0 & ~CR0_SMMUEN) | (s->applied_en ? CR0_SMMUEN : 0);
	if (!!(s->cr0 & CR0_SMMUEN) != s->applied_en || cmdq_on)
		kick(s);
}

static void write_gbpa(struct smmuv3 *s, uint32_t v)
{
	if (!(v & GBPA_UPDATE))
		return;          /* only a write with UPDATE set changes GBPA */
	s->gbpa = v & GBPA_MASK;
	if (s->backend && !!(s->gbpa & GBPA_ABORT) != s->applied_abort) {
		s->gbpa |= GBPA_UPDATE;     /* cleared by the drain once applied */
		kick(s);
	} else {
		s->applied_abort = s->gbpa & GBPA_ABORT;
	}
}

static void write_gerrorn(struct smmuv3 *s, uint32_t v)
{
	bool cmdq_was_active = (s->gerror ^ s->gerrorn) & GERROR_CMDQ_ERR;

	s->gerrorn = v & GERROR_MASK;
	/* Acknowledging a command queue error restarts it at CMDQ_CONS. */
	if (cmdq_was_active && !((s->gerror ^ s->gerrorn) & GERROR_CMDQ_ERR))
		kick(s);
}

static void write_queue_reg(struct smmuv3 *s, uint64_t off, uint32_t v)
{
	bool cmdq_on = s->cr0 & CR0_CMDQEN, evtq_on = s->cr0 & CR0_EVENTQEN;

	switch (off) {
	case SMMU_CMDQ_BASE:
	case SMMU_CMDQ_BASE + 4:
		if (!cmdq_on)    /* writes while enabled are CONSTRAINED UNPREDICTABLE: ignored */
			set_half(&s->cmdq.base, off, SMMU_CMDQ_BASE, v, Q_BASE_MASK);
		break;
	case SMMU_CMDQ_PROD:
		s->cmdq.prod = v & Q_IDX_MASK;
		if (cmdq_on)
			kick(s);
		break;
	case SMMU_CMDQ_CONS:
		if (!cmdq_on)
			s->cmdq.cons = v & Q_IDX_MASK;
		break;
	case SMMU_EVENTQ_BASE:
	case SMMU_EVENTQ_BASE + 4:
		if (!evtq_on)
			set_half(&s->eventq.base, off, SMMU_EVENTQ_BASE, v, Q_BASE_MASK);
		break;
	case SMMU_EVENTQ_PROD:
		if (!evtq_on)
			s->eventq.prod = v & (Q_IDX_MASK | EVENTQ_OVFLG);
		break;
	case SMMU_EVENTQ_CONS:
		s->eventq.cons = v & (Q_IDX_MASK | EVENTQ_OVFLG);
		break;
	}
}

static void reg_write(struct smmuv3 *s, uint64_t off, uint32_t v)
{
	if (off >= SMMUV3_PAGE_SIZE) {
		off -= SMMUV3_PAGE_SIZE;
		if (off != SMMU_EVENTQ_PROD && off != SMMU_EVENTQ_CONS)
			return;
	}
	switch (off) {
	case SMMU_CR0: write_cr0(s, v); break;
	case SMMU_CR1: s->cr1 = v & CR1_MASK; break;
	case SMMU_CR2: s->cr2 = v & CR2_MASK; break;
	case SMMU_GBPA: write_gbpa(s, v); break;
	case SMMU_IRQ_CTRL: s->irq_ctrl = v & (IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVENTQ_IRQEN); break;
	case SMMU_GERRORN: write_gerrorn(s, v); break;
	case SMMU_GERROR_IRQ_CFG0:
	case SMMU_GERROR_IRQ_CFG0 + 4:
		set_half(&s->gerror_irq_cfg0, off, SMMU_GERROR_IRQ_CFG0, v, IRQ_CFG0_ADDR_MASK);
		break;
	case SMMU_GERROR_IRQ_CFG1: s->gerror_irq_cfg1 = v; break;
	case SMMU_GERROR_IRQ_CFG2: s->gerror_irq_cfg2 = v & IRQ_CFG2_MASK; break;
	case SMMU_EVENTQ_IRQ_CFG0:
	case SMMU_EVENTQ_IRQ_CFG0 + 4:
		set_half(&s->eventq_irq_cfg0, off, SMMU_EVENTQ_IRQ_CFG0, v, IRQ_CFG0_ADDR_MASK);
		break;
	case SMMU_EVENTQ_IRQ_CFG1: s->eventq_irq_cfg1 = v; break;
	case SMMU_EVENTQ_IRQ_CFG2: s->eventq_irq_cfg2 = v & IRQ_CFG2_MASK; break;
	case SMMU_STRTAB_BASE:
	case SMMU_STRTAB_BASE + 4:
		/* Writes while SMMUEN is set are CONSTRAINED UNPREDICTABLE: ignored. */
		if (!(s->cr0 & CR0_SMMUEN))
			set_half(&s->strtab_base, off, SMMU_STRTAB_BASE, v, STRTAB_BASE_MASK);
		break;
	case SMMU_STRTAB_BASE_CFG:
		if (!(s->cr0 & CR0_SMMUEN))
			s->strtab_cfg = v & STRTAB_CFG_MASK;
		break;
	default:
		write_queue_reg(s, off, v);
	}
}

/* 32-bit accesses anywhere 4-aligned, 64-bit ones as two halves; anything else RAZ/WI. */
static void mmio_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct smmuv3 *s = opaque;
	uint32_t v[2] = { 0, 0 };

	if ((len != 4 && len != 8) || offset % len || offset >= SMMUV3_REG_SIZE) {
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	v[0] = htole32(reg_read(s, offset));
	if (len == 8)
		v[1] = htole32(reg_read(s, offset + 4));
	pthread_mutex_unlock(&s->lock);
	memcpy(data, v, len);
}

static void mmio_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct smmuv3 *s = opaque;
	uint32_t v[2] = { 0, 0 };

	if ((len != 4 && len != 8) || offset % len || offset >= SMMUV3_REG_SIZE)
		return;
	memcpy(v, data, len);
	pthread_mutex_lock(&s->lock);
	reg_write(s, offset, le32toh(v[0]));
	if (len == 8)
		reg_write(s, offset + 4, le32toh(v[1]));
	pthread_mutex_unlock(&s->lock);
}

const struct bus_device_ops smmuv3_mmio_ops = { .read = mmio_read, .write = mmio_write };

/* ---- the unit -------------------------------------------------------------- */

static void reset_regs(struct smmuv3 *s)
{
	s->idr[0] = IDR0_ST_LVL_2LVL | IDR0_STALL_TERM_ONLY | IDR0_TTENDIAN_LE | IDR0_CD2L | IDR0_MSI |
		    IDR0_ASID16 | (s->p.ats ? IDR0_ATS : 0) | IDR0_COHACC | IDR0_TTF_AARCH64 | IDR0_S1P;
	s->idr[1] = SMMU_QUEUE_MAX_SHIFT << 21 | SMMU_QUEUE_MAX_SHIFT << 16 | s->p.ssid_bits << 6 | SMMU_SID_BITS;
	s->idr[5] = IDR5_GRAN64K | IDR5_GRAN4K | IDR5_OAS_48;
	s->gbpa = GBPA_RESET;
	s->applied_en = false;
	s->applied_abort = false;
}

int smmuv3_create(const struct smmuv3_params *p, const struct smmuv3_env *env, struct smmuv3 **ret, char *err,
		  size_t errlen)
{
	if (!env->mem || p->nr_sids > SMMUV3_MAX_STREAMS || p->ssid_bits > 20) {
		snprintf(err, errlen, "vsmmuv3-%u: %s", p->index,
			 !env->mem ? "no guest memory" : p->ssid_bits > 20 ? "more than 20 SubstreamID bits"
									  : "too many StreamIDs");
		return -EINVAL;
	}
	struct smmuv3 *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "vsmmuv3-%u: out of memory", p->index);
		return -ENOMEM;
	}
	snprintf(s->name, sizeof(s->name), "vsmmuv3-%u", p->index);
	s->env = *env;
	s->p = *p;
	s->p.sids = NULL;
	s->backend = p->backend;
	for (unsigned i = 0; i < p->nr_sids; i++) {
		if (smmuv3_find_stream(s, p->sids[i]))
			continue;
		/* The VMM attached every device to its stage 2 (GPA identity): bypass. */
		s->streams[s->nr_streams++] = (struct smmuv3_stream){
			.sid = p->sids[i], .known = true, .last = { .config = SMMUV3_CFG_BYPASS } };
	}
	s->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->kick_fd < 0) {
		int r = -errno;
		snprintf(err, errlen, "%s: eventfd: %s", s->name, strerror(-r));
		free(s);
		return r;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->drain_lock, NULL);
	reset_regs(s);
	*ret = s;
	return 0;
}

void smmuv3_destroy(struct smmuv3 *s)
{
	if (!s)
		return;
	close(s->kick_fd);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->drain_lock);
	free(s);
}

int smmuv3_kick_fd(const struct smmuv3 *s)
{
	return s->kick_fd;
}

/* SMMUEN or GBPA.ABORT changed: every stream's configuration may have (drain thread). */
static void apply_global(struct smmuv3 *s)
{
	struct smmuv3_tabcfg tc;

	pthread_mutex_lock(&s->lock);
	bool en = s->cr0 & CR0_SMMUEN, abort_ = s->gbpa & GBPA_ABORT;
	bool changed = en != s->applied_en || (!en && abort_ != s->applied_abort);
	s->applied_en = en;
	s->applied_abort = abort_;
	smmuv3_tabcfg_locked(s, &tc);
	pthread_mutex_unlock(&s->lock);

	if (changed)
		for (unsigned i = 0; i < s->nr_streams; i++)
			smmuv3_report_stream(s, &s->streams[i], &tc);

	pthread_mutex_lock(&s->lock);
	s->cr0ack = (s->cr0ack & ~CR0_SMMUEN) | (s->applied_en ? CR0_SMMUEN : 0);
	if (!!(s->gbpa & GBPA_ABORT) == s->applied_abort)
		s->gbpa &= ~GBPA_UPDATE;
	pthread_mutex_unlock(&s->lock);
}

void smmuv3_drain(struct smmuv3 *s)
{
	uint64_t v;

	/* The engine may have consumed the eventfd already; either way it is clear now. */
	if (read(s->kick_fd, &v, sizeof(v)) < 0)
		v = 0;
	pthread_mutex_lock(&s->drain_lock);
	apply_global(s);
	smmuv3_cmdq_drain(s);
	pthread_mutex_unlock(&s->drain_lock);
}

void smmuv3_stream_state(struct smmuv3 *s, uint32_t sid, struct smmuv3_ste *ret)
{
	struct smmuv3_tabcfg tc;

	pthread_mutex_lock(&s->lock);
	smmuv3_tabcfg_locked(s, &tc);
	pthread_mutex_unlock(&s->lock);
	smmuv3_tables_ste(&tc, sid, ret);
}

void smmuv3_context(struct smmuv3 *s, const struct smmuv3_ste *ste, uint32_t ssid, struct smmuv3_cd *ret)
{
	struct smmuv3_tabcfg tc;

	pthread_mutex_lock(&s->lock);
	smmuv3_tabcfg_locked(s, &tc);
	pthread_mutex_unlock(&s->lock);
	smmuv3_tables_cd(&tc, ste, ssid, ret);
}

void smmuv3_get_stats(struct smmuv3 *s, struct smmuv3_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}
