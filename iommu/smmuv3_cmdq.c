// SPDX-License-Identifier: Apache-2.0
/*
 * The vSMMUv3 command queue, drained on the engine's thread.
 *
 * Commands are read one by one from guest memory (bounds-checked) from
 * CMDQ_CONS up to the CMDQ_PROD seen when the drain started:
 *
 *   CFGI_STE, CFGI_STE_RANGE, CFGI_ALL   the covered streams' STEs are read
 *                                        again and reported to the backend
 *                                        at once (ste_changed)
 *   CFGI_CD, CFGI_CD_ALL, TLBI_NH_*,     appended to the batch for the host
 *   TLBI_NSNH_ALL, ATC_INV               (only for StreamIDs the backend
 *                                        knows: others have nothing cached)
 *   CMD_SYNC                             the batch goes to the backend in
 *                                        one flush(); then CMDQ_CONS moves
 *                                        past the CMD_SYNC and its MSI
 *                                        (CS=IRQ) is written
 *   PREFETCH_*                           nothing
 *   anything else                        CERROR_ILL
 *
 * A batch never spans a CMD_SYNC: the guest relies on the invalidations
 * before a CMD_SYNC being complete before those after it start (SMMUv3
 * 4.7.3), and the host interface takes no CMD_SYNC inside a batch. Linux
 * issues at most 63 commands and a CMD_SYNC per batch, so one drain of
 * one batch is one host call. An error stops the queue at the failing
 * command (CMDQ_CONS.ERR, GERROR.CMDQ_ERR) until the guest toggles
 * GERRORN.CMDQ_ERR; the commands before it were consumed, so their batch
 * is flushed first, and a host failure at batch entry k is the error at
 * that entry's command.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "smmuv3-priv.h"

struct cmdq_run {
	struct smmuv3 *s;
	struct smmuv3_tabcfg tc;
	gpa_t qaddr;                 /* the queue's first entry */
	unsigned shift;              /* log2 of its entries */
	uint32_t cons;               /* next command: index plus wrap bit */
	uint32_t err_pos;            /* the failing command, when a step returns a CERROR */
};

static int ill(struct cmdq_run *run, uint32_t pos)
{
	run->err_pos = pos;
	return SMMUV3_CERROR_ILL;
}

static void publish_cons(struct smmuv3 *s, uint32_t cons)
{
	pthread_mutex_lock(&s->lock);
	s->cmdq.cons = (s->cmdq.cons & ~Q_IDX_MASK) | cons;
	pthread_mutex_unlock(&s->lock);
}

/* Hand the batch to the backend: 0, or CERROR_ILL with err_pos at the command the host failed. */
static int flush_batch(struct cmdq_run *run)
{
	struct smmuv3 *s = run->s;
	unsigned n = s->nr_batch, consumed = n;

	if (!n)
		return 0;
	s->nr_batch = 0;
	int r = s->backend->flush(s->backend->opaque, s, s->batch, n, &consumed);
	pthread_mutex_lock(&s->lock);
	s->stats.flushes++;
	s->stats.flushed_cmds += n;
	if (r > 0)
		s->stats.host_calls += (unsigned)r;
	pthread_mutex_unlock(&s->lock);
	if (r >= 0)
		return 0;
	if (consumed >= n)
		consumed = n - 1;    /* a failure names one of the commands */
	if (!s->warned_flush) {
		s->warned_flush = true;
		log_warn("%s: the host failed invalidation %u of %u (%s); the guest sees CERROR_ILL there",
			 s->name, consumed, n, strerror(-r));
	}
	return ill(run, s->batch_pos[consumed]);
}

static int batch_add(struct cmdq_run *run, const struct smmuv3_cmd *c, uint32_t pos)
{
	struct smmuv3 *s = run->s;

	if (!s->backend)
		return 0;            /* no host side: nothing to invalidate there */
	if (s->nr_batch == SMMUV3_BATCH_MAX) {
		int e = flush_batch(run);
		if (e)
			return e;
	}
	s->batch[s->nr_batch] = *c;
	s->batch_pos[s->nr_batch] = pos;
	s->nr_batch++;
	return 0;
}

/* Re-read and report every known stream in [first, last]. */
static void cfgi_streams(struct cmdq_run *run, uint64_t first, uint64_t last)
{
	struct smmuv3 *s = run->s;

	for (unsigned i = 0; i < s->nr_streams; i++)
		if (s->streams[i].sid >= first && s->streams[i].sid <= last)
			smmuv3_report_stream(s, &s->streams[i], &run->tc);
}

static bool known_sid(struct cmdq_run *run, uint32_t sid)
{
	return smmuv3_find_stream(run->s, sid) != NULL;
}

/* Flush, move CMDQ_CONS past the CMD_SYNC, then signal: the order SMMUv3 4.7.3 requires. */
static int cmd_sync(struct cmdq_run *run, const struct smmuv3_cmd *c, uint32_t pos)
{
	struct smmuv3 *s = run->s;
	unsigned cs = (unsigned)SMMU_FIELD(c->w[0], 13, 12);

	if (cs == 3)
		return ill(run, pos);
	int e = flush_batch(run);
	if (e)
		return e;
	publish_cons(s, smmuv3_q_wrap_idx(pos + 1, run->shift));
	/* SEV needs IDR0.SEV, which is not offered: then it is SIG_NONE. */
	if (cs == CMD_SYNC_CS_IRQ)
		smmuv3_send_msi(s, c->w[1] & SMMU_MASK(51, 2), (uint32_t)(c->w[0] >> 32));
	pthread_mutex_lock(&s->lock);
	s->stats.syncs++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int cmd_cfgi(struct cmdq_run *run, const struct smmuv3_cmd *c, uint32_t pos)
{
	uint64_t w0 = c->w[0];
	uint32_t sid = (uint32_t)(w0 >> 32);
	unsigned op = w0 & 0xff;

	if (w0 & CMD_SSEC)
		return ill(run, pos);    /* Secure streams from the Non-secure queue */
	switch (op) {
	case CMD_CFGI_STE:
		/* An out-of-range StreamID has no effect (SMMUv3 4.1.7). */
		cfgi_streams(run, sid, sid);
		return 0;
	case CMD_CFGI_STE_RANGE: {
		/* 2^(Range+1) StreamIDs, aligned; Range 31 is CFGI_ALL. */
		uint64_t span = 2ull << (c->w[1] & 0x1f);
		uint64_t first = sid & ~(span - 1);
		cfgi_streams(run, first, first + span - 1);
		return 0;
	}
	case CMD_CFGI_CD: {
		uint32_t ssid = (uint32_t)SMMU_FIELD(w0, 31, 12);
		if (!known_sid(run, sid) || (ssid >> run->tc.ssid_bits))
			return 0;
		return batch_add(run, c, pos);
	}
	default: /* CMD_CFGI_CD_ALL */
		return known_sid(run, sid) ? batch_add(run, c, pos) : 0;
	}
}

static int cmd_atc_inv(struct cmdq_run *run, const struct smmuv3_cmd *c, uint32_t pos)
{
	uint64_t w0 = c->w[0];
	uint32_t sid = (uint32_t)(w0 >> 32), ssid = (uint32_t)SMMU_FIELD(w0, 31, 12);
	bool ssv = w0 & SMMU_BIT(11);

	if (!run->s->p.ats || (c->w[1] & 0x3f) > 52)
		return ill(run, pos);    /* no ATS offered; a span beyond 2^64 */
	if (!run->tc.enabled || !known_sid(run, sid) || (ssv && (ssid >> run->tc.ssid_bits)))
		return 0;                /* IGNORED while SMMUEN is clear; nothing cached elsewhere */
	return batch_add(run, c, pos);
}

/* One command: 0, or a CERROR with run->err_pos set. */
static int exec_cmd(struct cmdq_run *run, const struct smmuv3_cmd *c, uint32_t pos)
{
	switch (c->w[0] & 0xff) {
	case CMD_PREFETCH_CONFIG:
	case CMD_PREFETCH_ADDR:
		/* Nothing is cached here, so nothing to prefetch. */
		return (c->w[0] & CMD_SSEC) ? ill(run, pos) : 0;
	case CMD_CFGI_STE:
	case CMD_CFGI_STE_RANGE:
	case CMD_CFGI_CD:
	case CMD_CFGI_CD_ALL:
		return cmd_cfgi(run, c, pos);
	case CMD_TLBI_NH_ALL:
	case CMD_TLBI_NH_ASID:
	case CMD_TLBI_NH_VA:
	case CMD_TLBI_NH_VAA:
	case CMD_TLBI_NSNH_ALL:
		/* The host puts its own VMID in; ASIDs are the guest's on its stage 2. */
		return batch_add(run, c, pos);
	case CMD_ATC_INV:
		return cmd_atc_inv(run, c, pos);
	case CMD_SYNC:
		return cmd_sync(run, c, pos);
	default:
		/* Reserved opcodes, stage 2, EL2/EL3, PRI, stall, MPAM: not offered. */
		return ill(run, pos);
	}
}

static int read_cmd(struct cmdq_run *run, uint32_t pos, struct smmuv3_cmd *c)
{
	uint32_t idx = pos & ((1u << run->shift) - 1);

	if (gmem_read(run->s->env.mem, run->qaddr + (uint64_t)idx * SMMUV3_CMD_SIZE, c->w, sizeof(c->w))) {
		run->err_pos = pos;
		return SMMUV3_CERROR_ABT;
	}
	c->w[0] = le64toh(c->w[0]);
	c->w[1] = le64toh(c->w[1]);
	return 0;
}

/* Snapshot the queue under the lock; false when it cannot run now. */
static bool cmdq_start(struct smmuv3 *s, struct cmdq_run *run, uint32_t *prod)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	run->shift = smmuv3_q_shift(s->cmdq.base);
	run->qaddr = smmuv3_q_addr(s->cmdq.base, run->shift, SMMUV3_CMD_SIZE);
	run->cons = smmuv3_q_wrap_idx(s->cmdq.cons, run->shift);
	*prod = smmuv3_q_wrap_idx(s->cmdq.prod, run->shift);
	smmuv3_tabcfg_locked(s, &run->tc);
	/* Enabled, no error waiting for GERRORN, not empty (SMMUv3 4.1.2). */
	ok = (s->cr0 & CR0_CMDQEN) && !((s->gerror ^ s->gerrorn) & GERROR_CMDQ_ERR) && *prod != run->cons;
	if (ok)
		s->stats.drains++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void smmuv3_cmdq_drain(struct smmuv3 *s)
{
	struct cmdq_run run = { .s = s };
	struct smmuv3_cmd c;
	uint32_t prod;
	int e = 0;

	if (!cmdq_start(s, &run, &prod))
		return;
	uint32_t start = run.cons;
	while (run.cons != prod) {
		e = read_cmd(&run, run.cons, &c);
		if (!e)
			e = exec_cmd(&run, &c, run.cons);
		if (e)
			break;
		run.cons = smmuv3_q_wrap_idx(run.cons + 1, run.shift);
	}
	/* What came before the stop was consumed: the host must see it (a failure there comes first). */
	uint32_t at = run.err_pos;
	int fe = flush_batch(&run);
	if (fe)
		e = fe;
	else
		run.err_pos = at;

	bool gmsi = false;
	pthread_mutex_lock(&s->lock);
	uint32_t end = e ? run.err_pos : run.cons;
	s->stats.commands += smmuv3_q_wrap_idx(end - start, run.shift);
	if (e) {
		s->cmdq.cons = end | (uint32_t)e << CMDQ_CONS_ERR_SHIFT;
		s->stats.cerrors++;
		gmsi = smmuv3_raise_gerror_locked(s, GERROR_CMDQ_ERR);
	} else {
		s->cmdq.cons = (s->cmdq.cons & ~Q_IDX_MASK) | end;
	}
	pthread_mutex_unlock(&s->lock);
	if (gmsi)
		smmuv3_gerror_msi(s);
}
