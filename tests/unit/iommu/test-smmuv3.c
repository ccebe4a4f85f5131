// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the vSMMUv3 model (iommu/smmuv3*.c) over guest RAM, a
 * fake MSI sink and a fake nested backend: ID registers, CR0/GBPA
 * acknowledgement through the drain, STE decoding (linear and 2-level
 * stream tables) and CD decoding (single, linear and both 2-level CD
 * formats) with every event code, each command, CMD_SYNC completion
 * (MSI into RAM, to the doorbell, none), CERROR_ILL / CERROR_ABT and the
 * GERRORN restart, batching (63 TLBI + CMD_SYNC = one backend call), a
 * host failure at entry k = CERROR at command k, queue wrap-around, and
 * the event queue (MSI, overflow flag, abort), and the real queue engine
 * draining a unit.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check.h"
#include "iommu.h"

#define RAM (16u << 20)
#define STRTAB 0x100000u
#define CMDQ 0x200000u
#define EVTQ 0x300000u
#define CDTAB 0x400000u
#define L2 0x500000u
#define SYNC_WORD 0x600000u
#define DOORBELL 0x8000000ull   /* not RAM: an ITS doorbell */
#define GERR_DB (DOORBELL + 0x40)
#define EVT_DB (DOORBELL + 0x80)

/* Register offsets (the SMMUv3 architecture's). */
enum {
	IDR0 = 0x00, IDR1 = 0x04, IDR5 = 0x14, AIDR = 0x1c, CR0 = 0x20, CR0ACK = 0x24, GBPA = 0x44,
	IRQ_CTRL = 0x50, GERROR = 0x60, GERRORN = 0x64, GERROR_IRQ_CFG0 = 0x68, GERROR_IRQ_CFG1 = 0x70,
	STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88, CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9c,
	EVENTQ_BASE = 0xa0, EVENTQ_PROD = 0x100a8, EVENTQ_CONS = 0x100ac, EVENTQ_IRQ_CFG0 = 0xb0,
	EVENTQ_IRQ_CFG1 = 0xb8,
};
#define SMMUEN 1u
#define EVENTQEN 4u
#define CMDQEN 8u

static struct gmem gm;

/* ---- fakes --------------------------------------------------------------- */

#define MAX_LOG 1024
struct msi_rec {
	uint64_t addr;
	uint32_t data;
};
static struct msi_rec msis[MAX_LOG];
static unsigned nr_msis;

static void fake_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	if (nr_msis < MAX_LOG)
		msis[nr_msis++] = (struct msi_rec){ addr, data };
}

struct report {
	uint32_t sid;
	struct smmuv3_ste ste;
};
static struct report reports[MAX_LOG];
static unsigned nr_reports;
static int ste_fail;             /* -errno for the next ste_changed */

static int fake_ste_changed(void *o, struct smmuv3 *s, uint32_t sid, const struct smmuv3_ste *ste)
{
	(void)o, (void)s;
	if (nr_reports < MAX_LOG)
		reports[nr_reports++] = (struct report){ sid, *ste };
	int r = ste_fail;
	ste_fail = 0;
	return r;
}

static struct smmuv3_cmd flushed[4096];
static unsigned flush_n[64], nr_flushes, nr_flushed;
static int flush_fail;           /* -errno for the next flush, with flush_consumed */
static unsigned flush_consumed;

static int fake_flush(void *o, struct smmuv3 *s, const struct smmuv3_cmd *cmds, unsigned n, unsigned *consumed)
{
	(void)o, (void)s;
	if (nr_flushes < 64)
		flush_n[nr_flushes] = n;
	nr_flushes++;
	for (unsigned i = 0; i < n && nr_flushed < 4096; i++)
		flushed[nr_flushed++] = cmds[i];
	if (flush_fail) {
		int r = flush_fail;
		flush_fail = 0;
		*consumed = flush_consumed;
		return r;
	}
	*consumed = n;
	return 1;
}

static const struct smmuv3_backend_ops backend = { fake_ste_changed, fake_flush, NULL };

static void reset_fakes(void)
{
	nr_msis = nr_reports = nr_flushes = nr_flushed = 0;
	ste_fail = flush_fail = 0;
}

/* ---- the guest side -------------------------------------------------------- */

static void w32(struct smmuv3 *s, uint64_t off, uint32_t v)
{
	smmuv3_mmio_ops.write(s, off, &v, 4);
}

static void w64(struct smmuv3 *s, uint64_t off, uint64_t v)
{
	smmuv3_mmio_ops.write(s, off, &v, 8);
}

static uint32_t r32(struct smmuv3 *s, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	smmuv3_mmio_ops.read(s, off, &v, 4);
	return v;
}

static void put64(gpa_t a, uint64_t v)
{
	v = htole64(v);
	CHECK(gmem_write(&gm, a, &v, 8) == 0);
}

static uint32_t get32(gpa_t a)
{
	uint32_t v = 0;
	CHECK(gmem_read(&gm, a, &v, 4) == 0);
	return le32toh(v);
}

static const uint32_t sids[] = { 0x10, 0x11, 0x300 };

static struct smmuv3 *make(bool with_backend, bool ats)
{
	struct smmuv3_params p = { .index = 0, .sids = sids, .nr_sids = 3, .ssid_bits = 12, .ats = ats,
				   .backend = with_backend ? &backend : NULL };
	struct smmuv3_env env = { &gm, fake_msi, NULL };
	struct smmuv3 *s = NULL;
	char err[128];

	CHECK(gmem_write(&gm, 0, (uint8_t[1]){ 0 }, 1) == 0);
	memset(gm.host, 0, RAM);
	reset_fakes();
	CHECK(smmuv3_create(&p, &env, &s, err, sizeof(err)) == 0);
	return s;
}

/* Linux's bring-up order: tables, queues, CMDQEN, interrupts, then SMMUEN (through the drain). */
static void bring_up(struct smmuv3 *s, unsigned cmdq_log2, bool enable)
{
	w64(s, STRTAB_BASE, STRTAB);
	w32(s, STRTAB_BASE_CFG, 10);                /* linear, 1024 STEs */
	w64(s, CMDQ_BASE, CMDQ | cmdq_log2);
	w32(s, CMDQ_PROD, 0);
	w32(s, CMDQ_CONS, 0);
	w64(s, EVENTQ_BASE, EVTQ | 2);              /* 4 records */
	w32(s, CR0, CMDQEN | EVENTQEN);
	w64(s, GERROR_IRQ_CFG0, GERR_DB);
	w32(s, GERROR_IRQ_CFG1, 0x61);
	w64(s, EVENTQ_IRQ_CFG0, EVT_DB);
	w32(s, EVENTQ_IRQ_CFG1, 0x62);
	w32(s, IRQ_CTRL, 5);
	if (enable) {
		w32(s, CR0, CMDQEN | EVENTQEN | SMMUEN);
		smmuv3_drain(s);
		CHECK_EQ(r32(s, CR0ACK), CMDQEN | EVENTQEN | SMMUEN);
	}
}

static void ste(uint32_t sid, uint64_t w0, uint64_t w1)
{
	put64(STRTAB + sid * 64, w0);
	put64(STRTAB + sid * 64 + 8, w1);
}

#define STE_S1(ptr, cdmax, fmt) (1ull | 5ull << 1 | (uint64_t)(fmt) << 4 | (ptr) | (uint64_t)(cdmax) << 59)
#define STE_BYPASS (1ull | 4ull << 1)
#define STE_ABORT 1ull

static uint32_t prod_of(struct smmuv3 *s)
{
	return r32(s, CMDQ_PROD);
}

/* Put commands at PROD (queue of 2^log2 entries), move PROD, drain. */
static void submit(struct smmuv3 *s, unsigned log2, const struct smmuv3_cmd *c, unsigned n)
{
	uint32_t prod = prod_of(s);

	for (unsigned i = 0; i < n; i++) {
		uint32_t idx = prod & ((1u << log2) - 1);
		put64(CMDQ + idx * 16, c[i].w[0]);
		put64(CMDQ + idx * 16 + 8, c[i].w[1]);
		prod = (prod + 1) & ((2u << log2) - 1);
	}
	w32(s, CMDQ_PROD, prod);
	smmuv3_drain(s);
}

static struct smmuv3_cmd cmd(uint64_t w0, uint64_t w1)
{
	return (struct smmuv3_cmd){ { w0, w1 } };
}

#define SYNC_IRQ(addr, data) cmd(0x46 | 1u << 12 | (uint64_t)(data) << 32, (addr))
#define SYNC_NONE cmd(0x46, 0)
#define TLBI_ASID(asid) cmd(0x11 | (uint64_t)(asid) << 48, 0)
#define CFGI_STE(sid) cmd(0x03 | (uint64_t)(sid) << 32, 1)

/* ---- tests ------------------------------------------------------------------ */

static void test_id_regs(void)
{
	struct smmuv3 *s = make(true, true);
	uint32_t idr0 = r32(s, IDR0), idr1 = r32(s, IDR1), idr5 = r32(s, IDR5);

	CHECK_EQ(idr0 & 3, 2);                      /* S1P, no S2P */
	CHECK_EQ(idr0 >> 2 & 3, 2);                 /* AArch64 tables */
	CHECK_EQ(idr0 >> 27 & 3, 1);                /* 2-level stream tables */
	CHECK(idr0 & 1u << 19);                     /* 2-level CD tables */
	CHECK(idr0 & 1u << 13);                     /* MSI */
	CHECK(idr0 & 1u << 12);                     /* 16-bit ASIDs */
	CHECK(idr0 & 1u << 10);                     /* ATS */
	CHECK(!(idr0 & (1u << 9 | 1u << 16 | 1u << 14)));   /* no HYP, PRI, SEV */
	CHECK_EQ(idr0 >> 24 & 3, 1);                /* terminate only */
	CHECK_EQ(idr1 & 0x3f, 16);
	CHECK_EQ(idr1 >> 6 & 0x1f, 12);
	CHECK_EQ(idr1 >> 21 & 0x1f, 19);
	CHECK_EQ(idr5 & 7, 5);                      /* 48-bit OAS */
	CHECK_EQ(r32(s, AIDR), 0);
	CHECK_EQ(r32(s, GBPA), 0x1000);
	/* Writes to ID registers are ignored, unknown offsets RAZ, odd sizes RAZ/WI. */
	w32(s, IDR0, 0);
	CHECK_EQ(r32(s, IDR0), idr0);
	CHECK_EQ(r32(s, 0x8000), 0);
	CHECK_EQ(r32(s, 0x1fffc), 0);
	uint8_t b = 0xff;
	smmuv3_mmio_ops.read(s, IDR0, &b, 1);
	CHECK_EQ(b, 0);
	smmuv3_mmio_ops.write(s, CR0, &b, 1);
	CHECK_EQ(r32(s, CR0), 0);
	/* EVENTQ_PROD/CONS live in page 1; page 0's offsets alias them. */
	w32(s, EVENTQ_CONS, 3);
	CHECK_EQ(r32(s, EVENTQ_CONS - 0x10000), 3);
	smmuv3_destroy(s);

	s = make(false, false);
	CHECK(!(r32(s, IDR0) & 1u << 10));
	smmuv3_destroy(s);
}

static void test_enable_and_gbpa(void)
{
	struct smmuv3 *s = make(true, true);

	ste(0x10, STE_ABORT, 0);
	ste(0x11, STE_BYPASS, 0);
	ste(0x300, STE_S1(CDTAB, 0, 0), 0);
	w64(s, STRTAB_BASE, STRTAB);
	w32(s, STRTAB_BASE_CFG, 10);
	/* SMMUEN is acknowledged only once the drain told the backend. */
	w32(s, CR0, SMMUEN);
	CHECK_EQ(r32(s, CR0), SMMUEN);
	CHECK_EQ(r32(s, CR0ACK), 0);
	struct pollfd pfd = { smmuv3_kick_fd(s), POLLIN, 0 };
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	smmuv3_drain(s);
	CHECK_EQ(r32(s, CR0ACK), SMMUEN);
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(nr_reports, 3);
	CHECK(reports[0].sid == 0x10 && reports[0].ste.config == SMMUV3_CFG_ABORT && !reports[0].ste.event);
	CHECK(reports[1].sid == 0x11 && reports[1].ste.config == SMMUV3_CFG_BYPASS);
	CHECK(reports[2].sid == 0x300 && reports[2].ste.config == SMMUV3_CFG_S1 && reports[2].ste.enabled);
	CHECK_EQ(reports[2].ste.word[0], STE_S1(CDTAB, 0, 0));
	/* STRTAB_BASE is frozen while SMMUEN is set. */
	w64(s, STRTAB_BASE, 0x900000);
	CHECK_EQ(r32(s, STRTAB_BASE), STRTAB);

	/* Disable with GBPA.ABORT: everything aborts; GBPA.UPDATE clears after the drain. */
	w32(s, CR0, 0);
	smmuv3_drain(s);
	CHECK_EQ(r32(s, CR0ACK), 0);
	CHECK_EQ(nr_reports, 6);                    /* all three: GBPA bypass replaces their STEs */
	nr_reports = 0;
	w32(s, GBPA, 1u << 20);                     /* without UPDATE: ignored */
	CHECK_EQ(r32(s, GBPA), 0x1000);
	w32(s, GBPA, 1u << 31 | 1u << 20);
	CHECK_EQ(r32(s, GBPA), 1u << 31 | 1u << 20);
	smmuv3_drain(s);
	CHECK_EQ(r32(s, GBPA), 1u << 20);
	CHECK_EQ(nr_reports, 3);
	for (unsigned i = 0; i < nr_reports; i++)
		CHECK(reports[i].ste.config == SMMUV3_CFG_ABORT && !reports[i].ste.enabled);
	smmuv3_destroy(s);

	/* Without a backend the writes take effect at once. */
	s = make(false, false);
	w32(s, CR0, SMMUEN | CMDQEN);
	CHECK_EQ(r32(s, CR0ACK), SMMUEN | CMDQEN);
	w32(s, GBPA, 1u << 31);
	CHECK_EQ(r32(s, GBPA), 0);
	smmuv3_destroy(s);
}

static void check_ste(struct smmuv3 *s, uint32_t sid, enum smmuv3_config cfg, uint8_t event)
{
	struct smmuv3_ste st;

	smmuv3_stream_state(s, sid, &st);
	CHECK_MSG(st.config == cfg && st.event == event, "sid %#x: config %d event %#x, want %d %#x", sid,
		  st.config, st.event, cfg, event);
}

static void test_ste_linear(void)
{
	struct smmuv3 *s = make(false, false);
	struct smmuv3_ste st;

	bring_up(s, 4, true);
	ste(1, 0, 0);                                        /* V = 0 */
	ste(2, STE_ABORT, 0);
	ste(3, STE_BYPASS, 0);
	ste(4, STE_S1(CDTAB, 3, 1), 2);                      /* 8 CDs, 2-level 4 KiB, S1DSS 2 */
	ste(5, 1ull | 6ull << 1, 0);                         /* stage 2: not offered */
	ste(6, 1ull | 2ull << 1, 0);                         /* reserved config */
	ste(7, STE_S1(CDTAB, 13, 0), 0);                     /* 2^13 CDs > 12 SubstreamID bits */
	ste(8, STE_S1(1ull << 48, 0, 0), 0);                 /* context pointer beyond the OAS */
	ste(9, STE_S1(CDTAB, 2, 3), 0);                      /* reserved S1Fmt */
	ste(10, STE_S1(CDTAB, 0, 3), 0);                     /* S1Fmt ignored with one CD */
	check_ste(s, 1, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 2, SMMUV3_CFG_ABORT, 0);
	check_ste(s, 3, SMMUV3_CFG_BYPASS, 0);
	check_ste(s, 4, SMMUV3_CFG_S1, 0);
	smmuv3_stream_state(s, 4, &st);
	CHECK(st.s1_ctx_ptr == CDTAB && st.s1_cdmax == 3 && st.s1_fmt == 1 && st.s1dss == 2 && st.enabled);
	check_ste(s, 5, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 6, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 7, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 8, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 9, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 10, SMMUV3_CFG_S1, 0);
	check_ste(s, 1024, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID);   /* beyond LOG2SIZE */
	check_ste(s, 0x10000, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID); /* beyond SIDSIZE */
	smmuv3_destroy(s);

	/* A table outside guest RAM (set before SMMUEN, without a backend) */
	s = make(false, false);
	w64(s, STRTAB_BASE, (uint64_t)RAM - 64);
	w32(s, STRTAB_BASE_CFG, 16);
	w32(s, CR0, SMMUEN);
	check_ste(s, 0, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);        /* last STE in RAM, zero */
	check_ste(s, 1, SMMUV3_CFG_ABORT, SMMUV3_EVT_F_STE_FETCH);
	check_ste(s, 0xffff, SMMUV3_CFG_ABORT, SMMUV3_EVT_F_STE_FETCH);
	smmuv3_destroy(s);
}

static void test_ste_2lvl(void)
{
	struct smmuv3 *s = make(false, false);

	w64(s, STRTAB_BASE, STRTAB);
	w32(s, STRTAB_BASE_CFG, 1u << 16 | 8u << 6 | 16);   /* 2-level, split 8, 2^16 StreamIDs */
	w32(s, CR0, SMMUEN);
	/* L1[3] -> 256 STEs at L2 (span 9); L1[4] -> 2 STEs (span 2); L1[5] span 0; L1[6] span 10 > split+1. */
	put64(STRTAB + 3 * 8, L2 | 9);
	put64(STRTAB + 4 * 8, (L2 + 0x10000) | 2);
	put64(STRTAB + 6 * 8, (L2 + 0x20000) | 10);
	put64(L2 + 0x05 * 64, STE_BYPASS);
	put64(L2 + 0xff * 64, STE_S1(CDTAB, 0, 0));
	put64(L2 + 0x10000 + 64, STE_ABORT);
	check_ste(s, 0x305, SMMUV3_CFG_BYPASS, 0);
	check_ste(s, 0x3ff, SMMUV3_CFG_S1, 0);
	check_ste(s, 0x306, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STE);
	check_ste(s, 0x401, SMMUV3_CFG_ABORT, 0);
	check_ste(s, 0x402, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID);  /* outside the span */
	check_ste(s, 0x500, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID);  /* span 0 */
	check_ste(s, 0x600, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID);  /* span beyond split */
	/* The L2 pointer's low bits below the array's size are ignored. */
	put64(STRTAB + 7 * 8, (L2 + 0x30000) | 0x40 | 2);
	put64(L2 + 0x30000, STE_BYPASS);
	check_ste(s, 0x700, SMMUV3_CFG_BYPASS, 0);
	/* An L1 table outside RAM. */
	w32(s, CR0, 0);
	w64(s, STRTAB_BASE, (uint64_t)RAM - 64);
	w32(s, CR0, SMMUEN);
	check_ste(s, 0x800, SMMUV3_CFG_ABORT, SMMUV3_EVT_F_STE_FETCH);
	/* Reserved format and split. */
	w32(s, CR0, 0);
	w32(s, STRTAB_BASE_CFG, 2u << 16 | 16);
	w32(s, CR0, SMMUEN);
	check_ste(s, 0x305, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID);
	w32(s, CR0, 0);
	w32(s, STRTAB_BASE_CFG, 1u << 16 | 7u << 6 | 16);
	w32(s, CR0, SMMUEN);
	check_ste(s, 0x305, SMMUV3_CFG_ABORT, SMMUV3_EVT_C_BAD_STREAMID);
	smmuv3_destroy(s);
}

/* A valid CD: 4 KiB granule, T0SZ 16 (48-bit), IPS 48, AArch64, ASID asid. */
static void put_cd(gpa_t a, uint16_t asid, uint64_t ttb0)
{
	put64(a, 16 | 1ull << 31 | 5ull << 32 | 1ull << 41 | (uint64_t)asid << 48 | 1ull << 8 | 3ull << 12);
	put64(a + 8, ttb0);
	put64(a + 24, 0x44ff04);
}

static void check_cd(struct smmuv3 *s, uint32_t sid, uint32_t ssid, uint8_t event, uint16_t asid)
{
	struct smmuv3_ste st;
	struct smmuv3_cd cd;

	smmuv3_stream_state(s, sid, &st);
	smmuv3_context(s, &st, ssid, &cd);
	CHECK_MSG(cd.event == event && (event || cd.asid == asid), "sid %#x ssid %u: event %#x asid %u, want %#x %u",
		  sid, ssid, cd.event, cd.asid, event, asid);
}

static void test_cd(void)
{
	struct smmuv3 *s = make(false, false);
	struct smmuv3_ste st;
	struct smmuv3_cd cd;

	bring_up(s, 4, true);
	/* sid 1: one CD; sid 2: linear table of 4; sid 3: 2-level 4 KiB leaves; sid 4: 2-level 64 KiB leaves. */
	ste(1, STE_S1(CDTAB, 0, 0), 0);
	ste(2, STE_S1(CDTAB + 0x1000, 2, 0), 0);
	ste(3, STE_S1(CDTAB + 0x2000, 12, 1), 0);
	ste(4, STE_S1(CDTAB + 0x3000, 12, 2), 0);
	put_cd(CDTAB, 7, 0x123000);
	put_cd(CDTAB + 0x1000 + 3 * 64, 8, 0x124000);
	put64(CDTAB + 0x2000 + 2 * 8, L2 | 1);                /* ssids 128..191 */
	put_cd(L2 + 5 * 64, 9, 0x125000);
	put64(CDTAB + 0x3000 + 1 * 8, (L2 + 0x10000) | 1);    /* ssids 1024..2047 */
	put_cd(L2 + 0x10000 + 1023 * 64, 10, 0x126000);

	smmuv3_stream_state(s, 1, &st);
	smmuv3_context(s, &st, 0, &cd);
	CHECK(cd.event == 0 && cd.asid == 7 && cd.ttb0 == 0x123000 && cd.t0sz == 16 && cd.granule_shift == 12);
	CHECK(cd.ips_bits == 48 && cd.irgn0 == 1 && cd.sh0 == 3 && cd.mair == 0x44ff04 && cd.addr == CDTAB);
	check_cd(s, 1, 1, SMMUV3_EVT_C_BAD_SUBSTREAMID, 0);   /* one CD: only SubstreamID 0 */
	check_cd(s, 2, 3, 0, 8);
	check_cd(s, 2, 4, SMMUV3_EVT_C_BAD_SUBSTREAMID, 0);
	check_cd(s, 2, 0, SMMUV3_EVT_C_BAD_CD, 0);            /* V = 0 */
	check_cd(s, 3, 133, 0, 9);
	check_cd(s, 3, 64, SMMUV3_EVT_C_BAD_SUBSTREAMID, 0);  /* L1CD V = 0 */
	check_cd(s, 4, 2047, 0, 10);
	check_cd(s, 4, 4095, SMMUV3_EVT_C_BAD_SUBSTREAMID, 0);
	check_cd(s, 3, 4096, SMMUV3_EVT_C_BAD_SUBSTREAMID, 0); /* beyond S1CDMax */

	/* What the CD gets wrong. */
	put64(CDTAB, 16 | 1ull << 31 | 5ull << 32);           /* AArch32 */
	check_cd(s, 1, 0, SMMUV3_EVT_C_BAD_CD, 0);
	put64(CDTAB, 16 | 1ull << 31 | 1ull << 41 | 1ull << 15);   /* big-endian walks */
	check_cd(s, 1, 0, SMMUV3_EVT_C_BAD_CD, 0);
	put64(CDTAB, 15 | 1ull << 31 | 1ull << 41);           /* T0SZ too small */
	check_cd(s, 1, 0, SMMUV3_EVT_C_BAD_CD, 0);
	put64(CDTAB, 40 | 1ull << 31 | 1ull << 41);           /* T0SZ too large */
	check_cd(s, 1, 0, SMMUV3_EVT_C_BAD_CD, 0);
	put64(CDTAB, 16 | 2u << 6 | 1ull << 31 | 1ull << 41); /* 16 KiB granule: not offered */
	check_cd(s, 1, 0, SMMUV3_EVT_C_BAD_CD, 0);
	put64(CDTAB, 16 | 2u << 6 | 1u << 14 | 1ull << 31 | 1ull << 41 | 42ull << 48); /* ...unless EPD0 */
	check_cd(s, 1, 0, 0, 42);
	put64(CDTAB, 16 | 1u << 6 | 7ull << 32 | 1ull << 31 | 1ull << 41);   /* 64 KiB, IPS reserved */
	smmuv3_stream_state(s, 1, &st);
	smmuv3_context(s, &st, 0, &cd);
	CHECK(cd.event == 0 && cd.granule_shift == 16 && cd.ips_bits == 48);
	put64(CDTAB + 8, 1ull << 48);                         /* TTB0 beyond the OAS */
	check_cd(s, 1, 0, SMMUV3_EVT_C_BAD_CD, 0);
	/* Tables outside RAM. */
	ste(5, STE_S1((uint64_t)RAM - 64, 0, 0) + 0, 0);
	check_cd(s, 5, 0, SMMUV3_EVT_C_BAD_CD, 0);            /* in RAM, zero */
	ste(5, STE_S1((uint64_t)RAM, 0, 0), 0);
	check_cd(s, 5, 0, SMMUV3_EVT_F_CD_FETCH, 0);
	ste(6, STE_S1((uint64_t)RAM, 4, 1), 0);
	check_cd(s, 6, 0, SMMUV3_EVT_F_CD_FETCH, 0);          /* the L1CD */
	put64(CDTAB + 0x2000, (uint64_t)RAM | 1);
	check_cd(s, 3, 0, SMMUV3_EVT_F_CD_FETCH, 0);          /* the L2 table */
	/* No stage 1: no CD. */
	ste(7, STE_BYPASS, 0);
	check_cd(s, 7, 0, SMMUV3_EVT_C_BAD_CD, 0);
	smmuv3_destroy(s);
}

static void test_commands(void)
{
	struct smmuv3 *s = make(true, true);

	bring_up(s, 8, true);
	unsigned base_reports = nr_reports;         /* SMMUEN: the three streams' (zero) STEs */
	CHECK_EQ(base_reports, 3);
	nr_reports = 0;

	/* CFGI_STE: known StreamIDs are re-read and reported when changed. */
	ste(0x10, STE_S1(CDTAB, 0, 0), 0);
	struct smmuv3_cmd c1[] = { CFGI_STE(0x10), CFGI_STE(0x10), CFGI_STE(0x12), SYNC_NONE };
	submit(s, 8, c1, 4);
	CHECK_EQ(nr_reports, 1);
	CHECK(reports[0].sid == 0x10 && reports[0].ste.config == SMMUV3_CFG_S1);
	CHECK_EQ(nr_flushes, 0);                    /* nothing for the host's caches */
	CHECK_EQ(r32(s, CMDQ_CONS), 4);

	/* CFGI_STE_RANGE: 0x10-0x11 (Range 0 = 2 StreamIDs), then CFGI_ALL. */
	ste(0x10, STE_BYPASS, 0);
	ste(0x11, STE_BYPASS, 0);
	ste(0x300, STE_BYPASS, 0);
	nr_reports = 0;
	struct smmuv3_cmd c2[] = { cmd(0x04 | 0x11ull << 32, 0) };
	submit(s, 8, c2, 1);
	CHECK_EQ(nr_reports, 2);
	CHECK(reports[0].sid == 0x10 && reports[1].sid == 0x11);
	struct smmuv3_cmd c3[] = { cmd(0x04 | 0x200ull << 32, 7), cmd(0x04, 31) };   /* 0x200-0x2ff: none; all */
	submit(s, 8, c3, 2);
	CHECK_EQ(nr_reports, 3);
	CHECK_EQ(reports[2].sid, 0x300);
	/* A failed report is repeated on the next invalidation. */
	ste(0x10, STE_ABORT, 0);
	ste_fail = -EINVAL;
	struct smmuv3_cmd c4[] = { CFGI_STE(0x10), CFGI_STE(0x10) };
	submit(s, 8, c4, 2);
	CHECK_EQ(nr_reports, 5);

	/* The host's invalidations, batched until the CMD_SYNC, as written. */
	struct smmuv3_cmd inv[] = {
		cmd(0x05 | 0x10ull << 32 | 3u << 12, 1),   /* CFGI_CD sid 0x10 ssid 3 */
		cmd(0x05 | 0x99ull << 32, 1),              /* CFGI_CD of an unknown stream: no effect */
		cmd(0x05 | 0x10ull << 32 | 0xfffffu << 12, 1), /* SubstreamID out of range: no effect */
		cmd(0x06 | 0x11ull << 32, 0),              /* CFGI_CD_ALL */
		cmd(0x10, 0), TLBI_ASID(5),                /* TLBI_NH_ALL, NH_ASID */
		cmd(0x12 | 5ull << 48, 0x7000 | 1),        /* NH_VA leaf */
		cmd(0x13, 0x8000),                         /* NH_VAA */
		cmd(0x30, 0),                              /* NSNH_ALL */
		cmd(0x40 | 0x300ull << 32, 0x9000 | 3),    /* ATC_INV */
		cmd(0x40 | 0x301ull << 32, 0),             /* ATC_INV unknown stream */
		cmd(0x01 | 0x10ull << 32, 0), cmd(0x02, 0),   /* prefetches */
		SYNC_IRQ(SYNC_WORD, 0x5a5a),
	};
	put64(SYNC_WORD, 0xffffffff);
	submit(s, 8, inv, ARRAY_SIZE(inv));
	CHECK_EQ(nr_flushes, 1);
	CHECK_EQ(flush_n[0], 8);
	static const unsigned want[] = { 0, 3, 4, 5, 6, 7, 8, 9 };
	for (unsigned i = 0; i < 8; i++)
		CHECK(flushed[i].w[0] == inv[want[i]].w[0] && flushed[i].w[1] == inv[want[i]].w[1]);
	CHECK_EQ(get32(SYNC_WORD), 0x5a5a);         /* the MSI landed in RAM (MSI polling) */
	CHECK_EQ(r32(s, CMDQ_CONS), prod_of(s));
	CHECK_EQ(r32(s, GERROR), 0);

	/* CMD_SYNC to a doorbell, with SIG_NONE and SIG_SEV (no SEV offered: nothing). */
	nr_msis = 0;
	struct smmuv3_cmd c5[] = { SYNC_IRQ(DOORBELL, 0x77), SYNC_NONE, cmd(0x46 | 2u << 12, DOORBELL),
				   SYNC_IRQ(0, 1) };
	submit(s, 8, c5, 4);
	CHECK_EQ(nr_msis, 1);
	CHECK(msis[0].addr == DOORBELL && msis[0].data == 0x77);
	CHECK_EQ(nr_flushes, 1);                    /* empty batches are not flushed */

	/* Linux's MSIPOLL: the CMD_SYNC's MSI writes 0 into its own slot's first word. */
	uint32_t slot = prod_of(s) & 0xff;
	struct smmuv3_cmd c7[] = { SYNC_IRQ(CMDQ + slot * 16, 0) };
	submit(s, 8, c7, 1);
	CHECK_EQ(get32(CMDQ + slot * 16), 0);
	CHECK_EQ(get32(CMDQ + slot * 16 + 4), 0);

	/* ATC_INV is IGNORED while SMMUEN is clear. */
	w32(s, CR0, CMDQEN | EVENTQEN);
	smmuv3_drain(s);
	nr_flushes = 0;
	struct smmuv3_cmd c6[] = { cmd(0x40 | 0x300ull << 32, 0), SYNC_NONE };
	submit(s, 8, c6, 2);
	CHECK_EQ(nr_flushes, 0);
	smmuv3_destroy(s);
}

/* Command word 0 -> CERROR_ILL at that command, the queue stops. */
static void check_ill(bool ats, struct smmuv3_cmd bad, const char *what)
{
	struct smmuv3 *s = make(true, ats);

	bring_up(s, 8, true);
	struct smmuv3_cmd c[] = { TLBI_ASID(1), bad, TLBI_ASID(2), SYNC_NONE };
	submit(s, 8, c, 4);
	uint32_t cons = r32(s, CMDQ_CONS);
	CHECK_MSG(cons == (1u | 1u << 24), "%s: CMDQ_CONS %#x", what, cons);
	CHECK_MSG(r32(s, GERROR) == 1, "%s: GERROR", what);
	CHECK_MSG(nr_flushes == 1 && flush_n[0] == 1, "%s: the command before it flushed", what);
	smmuv3_destroy(s);
}

static void test_illegal(void)
{
	check_ill(true, cmd(0x00, 0), "opcode 0");
	check_ill(true, cmd(0xff, 0), "opcode 0xff");
	check_ill(true, cmd(0x07, 0), "CFGI_VMS_PIDM");
	check_ill(true, cmd(0x18, 0), "TLBI_EL3_ALL");
	check_ill(true, cmd(0x20, 0), "TLBI_EL2_ALL");
	check_ill(true, cmd(0x28, 0), "TLBI_S12_VMALL");
	check_ill(true, cmd(0x2a, 0), "TLBI_S2_IPA");
	check_ill(true, cmd(0x41, 0), "PRI_RESP");
	check_ill(true, cmd(0x44, 0), "RESUME");
	check_ill(true, cmd(0x45, 0), "STALL_TERM");
	check_ill(true, cmd(0x03 | 1u << 10, 0), "CFGI_STE with SSec");
	check_ill(true, cmd(0x05 | 1u << 10, 0), "CFGI_CD with SSec");
	check_ill(true, cmd(0x01 | 1u << 10, 0), "PREFETCH_CONFIG with SSec");
	check_ill(true, cmd(0x46 | 3u << 12, 0), "CMD_SYNC CS=3");
	check_ill(true, cmd(0x40 | 0x300ull << 32, 53), "ATC_INV size 53");
	check_ill(false, cmd(0x40 | 0x300ull << 32, 0), "ATC_INV without ATS");
}

static void test_cerror_recovery(void)
{
	struct smmuv3 *s = make(true, true);
	struct pollfd pfd;

	bring_up(s, 8, true);
	nr_msis = 0;
	struct smmuv3_cmd c[] = { TLBI_ASID(1), TLBI_ASID(2), cmd(0x2a, 0), TLBI_ASID(3), SYNC_IRQ(SYNC_WORD, 9) };
	submit(s, 8, c, 5);
	CHECK_EQ(r32(s, CMDQ_CONS), 2u | 1u << 24);
	CHECK_EQ(r32(s, GERROR), 1);
	CHECK_EQ(nr_msis, 1);                      /* the GERROR MSI */
	CHECK(msis[0].addr == GERR_DB && msis[0].data == 0x61);
	CHECK_EQ(nr_flushes, 1);
	CHECK_EQ(get32(SYNC_WORD), 0);             /* the CMD_SYNC was not reached */
	/* Stopped: another PROD write and drain does nothing. */
	w32(s, CMDQ_PROD, prod_of(s));
	smmuv3_drain(s);
	CHECK_EQ(r32(s, CMDQ_CONS), 2u | 1u << 24);
	CHECK_EQ(nr_flushes, 1);
	/* Linux replaces the command with a CMD_SYNC, then toggles GERRORN: the queue restarts there. */
	put64(CMDQ + 2 * 16, 0x46);
	put64(CMDQ + 2 * 16 + 8, 0);
	pfd = (struct pollfd){ smmuv3_kick_fd(s), POLLIN, 0 };
	smmuv3_drain(s);                           /* clear the kick */
	w32(s, GERRORN, 1);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	smmuv3_drain(s);
	CHECK_EQ(r32(s, CMDQ_CONS) & 0xfffff, 5);
	CHECK_EQ(get32(SYNC_WORD), 9);
	CHECK_EQ(nr_flushes, 2);
	CHECK_EQ(flush_n[1], 1);
	struct smmuv3_stats st;
	smmuv3_get_stats(s, &st);
	CHECK_EQ(st.cerrors, 1);
	CHECK_EQ(st.syncs, 2);                     /* the replacement and the original */
	smmuv3_destroy(s);

	/* CERROR_ABT: the queue is not in guest RAM. */
	s = make(true, true);
	bring_up(s, 8, true);
	w32(s, CR0, SMMUEN);
	w64(s, CMDQ_BASE, (uint64_t)RAM | 8);
	w32(s, CR0, SMMUEN | CMDQEN);
	w32(s, CMDQ_PROD, 1);
	smmuv3_drain(s);
	CHECK_EQ(r32(s, CMDQ_CONS), 2u << 24);
	CHECK_EQ(r32(s, GERROR), 1);
	smmuv3_destroy(s);
}

static void test_batching(void)
{
	struct smmuv3 *s = make(true, true);
	struct smmuv3_cmd c[300];
	struct smmuv3_stats st;

	bring_up(s, 10, true);
	/* Linux's batch: 63 commands and a CMD_SYNC -> one backend call. */
	for (unsigned i = 0; i < 63; i++)
		c[i] = TLBI_ASID(i);
	c[63] = SYNC_IRQ(SYNC_WORD, 1);
	submit(s, 10, c, 64);
	CHECK_EQ(nr_flushes, 1);
	CHECK_EQ(flush_n[0], 63);
	for (unsigned i = 0; i < 63; i++)
		CHECK_EQ(flushed[i].w[0] >> 48, i);
	CHECK_EQ(get32(SYNC_WORD), 1);
	smmuv3_get_stats(s, &st);
	CHECK(st.drains == 1 && st.commands == 64 && st.syncs == 1 && st.flushes == 1 && st.flushed_cmds == 63);
	CHECK_EQ(st.host_calls, 1);

	/* Two CMD_SYNCs in one drain: two calls (a batch never spans a CMD_SYNC). */
	nr_flushes = 0;
	for (unsigned i = 0; i < 10; i++)
		c[i] = TLBI_ASID(i);
	c[10] = SYNC_NONE;
	for (unsigned i = 11; i < 20; i++)
		c[i] = TLBI_ASID(i);
	c[20] = SYNC_NONE;
	submit(s, 10, c, 21);
	CHECK(nr_flushes == 2 && flush_n[0] == 10 && flush_n[1] == 9);

	/* 300 without a CMD_SYNC: a full batch, then the rest at the end of the drain. */
	nr_flushes = 0;
	for (unsigned i = 0; i < 300; i++)
		c[i] = TLBI_ASID(i);
	submit(s, 10, c, 300);
	CHECK(nr_flushes == 2 && flush_n[0] == SMMUV3_BATCH_MAX && flush_n[1] == 300 - SMMUV3_BATCH_MAX);
	smmuv3_destroy(s);

	/* No backend: nothing batched, CMD_SYNC still completes. */
	s = make(false, true);
	bring_up(s, 10, true);
	c[0] = TLBI_ASID(1);
	c[1] = SYNC_IRQ(SYNC_WORD, 3);
	submit(s, 10, c, 2);
	CHECK_EQ(nr_flushes, 0);
	CHECK_EQ(get32(SYNC_WORD), 3);
	smmuv3_destroy(s);
}

static void test_partial_failure(void)
{
	struct smmuv3 *s = make(true, true);
	struct smmuv3_cmd c[64];

	bring_up(s, 8, true);
	/* Queue starts at 0; 5 prefetches (not batched) then 40 TLBIs: batch entry 17 is command 22. */
	for (unsigned i = 0; i < 5; i++)
		c[i] = cmd(0x02, 0);
	for (unsigned i = 5; i < 45; i++)
		c[i] = TLBI_ASID(i);
	c[45] = SYNC_IRQ(SYNC_WORD, 7);
	flush_fail = -EIO;
	flush_consumed = 17;
	submit(s, 8, c, 46);
	CHECK_EQ(nr_flushes, 1);
	CHECK_EQ(flush_n[0], 40);
	CHECK_EQ(r32(s, CMDQ_CONS), 22u | 1u << 24);
	CHECK_EQ(r32(s, GERROR), 1);
	CHECK_EQ(get32(SYNC_WORD), 0);             /* not completed */
	/* A backend that claims everything yet fails: the error names the last entry. */
	put64(CMDQ + 22 * 16, 0x46);               /* Linux's skip */
	put64(CMDQ + 22 * 16 + 8, 0);
	w32(s, GERRORN, 1);
	flush_fail = -EIO;
	flush_consumed = 99;
	smmuv3_drain(s);                           /* commands 22 (sync) .. 45: batch 23..44, fails at 44 */
	CHECK_EQ(r32(s, CMDQ_CONS), 44u | 1u << 24);
	smmuv3_destroy(s);
}

static void test_wrap(void)
{
	struct smmuv3 *s = make(true, true);
	struct smmuv3_cmd c[3] = { TLBI_ASID(1), TLBI_ASID(2), SYNC_NONE };

	bring_up(s, 2, true);                      /* 4 entries */
	for (unsigned round = 0; round < 5; round++)
		submit(s, 2, c, 3);
	/* 15 commands: index 15 mod 8 (index plus wrap bit) = 7. */
	CHECK_EQ(r32(s, CMDQ_CONS), 7);
	CHECK_EQ(nr_flushes, 5);
	/* A PROD more than a queue ahead is bounded by the index width: no runaway. */
	w32(s, CMDQ_PROD, 0xfffff);
	smmuv3_drain(s);
	CHECK_EQ(r32(s, CMDQ_CONS) & 7, 7);
	smmuv3_destroy(s);
}

static void test_events(void)
{
	struct smmuv3 *s = make(true, true);
	uint8_t rec[SMMUV3_EVENT_SIZE];

	memset(rec, 0xab, sizeof(rec));
	CHECK_EQ(smmuv3_inject_event(s, rec), -EAGAIN);   /* EVENTQEN clear */
	bring_up(s, 8, true);
	nr_msis = 0;
	for (unsigned i = 0; i < 4; i++) {
		rec[0] = (uint8_t)(0x10 + i);
		CHECK_EQ(smmuv3_inject_event(s, rec), 0);
	}
	CHECK_EQ(nr_msis, 4);
	CHECK(msis[3].addr == EVT_DB && msis[3].data == 0x62);
	CHECK_EQ(get32(EVTQ + 3 * 32) & 0xff, 0x13);
	CHECK_EQ(r32(s, EVENTQ_PROD), 4);           /* index 0, wrap bit set: full */
	/* Full: lost, OVFLG toggles once until acknowledged. */
	CHECK_EQ(smmuv3_inject_event(s, rec), -ENOSPC);
	CHECK_EQ(r32(s, EVENTQ_PROD), 4u | 1u << 31);
	CHECK_EQ(smmuv3_inject_event(s, rec), -ENOSPC);
	CHECK_EQ(r32(s, EVENTQ_PROD), 4u | 1u << 31);
	/* The guest consumes two and acknowledges. */
	w32(s, EVENTQ_CONS, 2u | 1u << 31);
	CHECK_EQ(smmuv3_inject_event(s, rec), 0);
	CHECK_EQ(smmuv3_inject_event(s, rec), 0);
	CHECK_EQ(smmuv3_inject_event(s, rec), -ENOSPC);
	CHECK_EQ(r32(s, EVENTQ_PROD), 6u);          /* toggled back: a new overflow */
	struct smmuv3_stats st;
	smmuv3_get_stats(s, &st);
	CHECK(st.events == 6 && st.events_lost == 4);
	/* Without EVENTQ_IRQEN no MSI. */
	w32(s, IRQ_CTRL, 1);
	w32(s, EVENTQ_CONS, 6);
	nr_msis = 0;
	CHECK_EQ(smmuv3_inject_event(s, rec), 0);
	CHECK_EQ(nr_msis, 0);
	smmuv3_destroy(s);

	/* A queue outside RAM: EVTQ_ABT_ERR and the GERROR MSI. */
	s = make(true, true);
	w64(s, EVENTQ_BASE, (uint64_t)RAM | 2);
	w64(s, GERROR_IRQ_CFG0, GERR_DB);
	w32(s, IRQ_CTRL, 5);
	w32(s, CR0, EVENTQEN);
	CHECK_EQ(smmuv3_inject_event(s, rec), -EFAULT);
	CHECK_EQ(r32(s, GERROR), 4);
	CHECK_EQ(nr_msis, 1);
	CHECK_EQ(smmuv3_inject_event(s, rec), -EFAULT);
	CHECK_EQ(nr_msis, 1);                      /* already active: not raised again */
	smmuv3_destroy(s);
}

static void engine_drain(void *opaque)
{
	smmuv3_drain(opaque);
}

/* Wait up to 5 s for CMDQ_CONS to reach want (the engine's thread moves it). */
static bool wait_cons(struct smmuv3 *s, uint32_t want)
{
	for (int i = 0; i < 5000; i++) {
		if ((r32(s, CMDQ_CONS) & 0xfffff) == want)
			return true;
		usleep(1000);
	}
	return false;
}

/* The real queue engine drains the unit: SMMUEN's acknowledgement and a Linux batch. */
static void test_engine(void)
{
	struct iq_engine *e = NULL;
	struct smmuv3_cmd c[64];
	char err[160];

	if (iq_engine_create(&e, err, sizeof(err))) {
		printf("test-smmuv3: engine part skipped: %s\n", err);
		return;
	}
	struct smmuv3 *s = make(true, true);
	CHECK(iq_engine_add(e, smmuv3_kick_fd(s), engine_drain, s) == 0);
	CHECK(iq_engine_start(e) == 0);
	bring_up(s, 8, false);
	w32(s, CR0, CMDQEN | EVENTQEN | SMMUEN);
	bool acked = false;
	for (int i = 0; i < 5000 && !acked; i++) {
		acked = r32(s, CR0ACK) & SMMUEN;
		if (!acked)
			usleep(1000);
	}
	CHECK(acked);
	for (unsigned i = 0; i < 63; i++)
		c[i] = TLBI_ASID(i);
	c[63] = SYNC_IRQ(SYNC_WORD, 0x99);
	for (unsigned i = 0; i < 64; i++) {
		put64(CMDQ + i * 16, c[i].w[0]);
		put64(CMDQ + i * 16 + 8, c[i].w[1]);
	}
	w32(s, CMDQ_PROD, 64);
	CHECK(wait_cons(s, 64));
	iq_engine_destroy(e);                     /* joins the thread: the fakes' counters are settled */
	CHECK_EQ(nr_flushes, 1);
	CHECK_EQ(flush_n[0], 63);
	CHECK_EQ(nr_reports, 3);
	CHECK_EQ(get32(SYNC_WORD), 0x99);
	smmuv3_destroy(s);
}

static void test_create_errors(void)
{
	struct smmuv3_env env = { &gm, fake_msi, NULL };
	struct smmuv3_params p = { .ssid_bits = 21 };
	struct smmuv3 *s = (struct smmuv3 *)1;
	char err[128] = "";

	CHECK_EQ(smmuv3_create(&p, &env, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "SubstreamID") != NULL);
	CHECK(s == (struct smmuv3 *)1);
	p.ssid_bits = 0;
	p.nr_sids = SMMUV3_MAX_STREAMS + 1;
	CHECK_EQ(smmuv3_create(&p, &env, &s, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "StreamIDs") != NULL);
	smmuv3_destroy(NULL);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	if (gmem_create(&gm, RAM, 0xc0000000ull)) {
		fprintf(stderr, "test-smmuv3: cannot create guest memory\n");
		return 1;
	}
	test_id_regs();
	test_enable_and_gbpa();
	test_ste_linear();
	test_ste_2lvl();
	test_cd();
	test_commands();
	test_illegal();
	test_cerror_recovery();
	test_batching();
	test_partial_failure();
	test_wrap();
	test_events();
	test_engine();
	test_create_errors();
	gmem_destroy(&gm);
	return check_summary("test-smmuv3");
}
