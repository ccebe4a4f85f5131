// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's SMMUv3 configuration structures: stream table (linear or
 * 2-level) -> STE -> CD table (single CD, linear or 2-level) -> CD.
 * Pure functions over guest RAM; every read goes through gmem_read() and
 * anything the guest got wrong is the event code the SMMUv3 architecture
 * names for it (C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE, C_BAD_SUBSTREAMID,
 * F_CD_FETCH, C_BAD_CD). Where the architecture leaves a choice
 * (CONSTRAINED UNPREDICTABLE), we take the one that terminates.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "smmuv3-priv.h"

#define STE_SIZE 64u
#define CD_SIZE 64u

/* STE word 0 / 1 fields. */
#define STE0_V SMMU_BIT(0)
#define STE0_CFG(w) SMMU_FIELD(w, 3, 1)
#define STE0_S1FMT(w) SMMU_FIELD(w, 5, 4)
#define STE0_S1CTXPTR_MASK SMMU_MASK(51, 6)
#define STE0_S1CDMAX(w) SMMU_FIELD(w, 63, 59)
#define STE1_S1DSS(w) SMMU_FIELD(w, 1, 0)
enum { STE_CFG_ABORT = 0, STE_CFG_BYPASS = 4, STE_CFG_S1 = 5 };

/* CD word 0 fields. */
#define CD0_T0SZ(w) SMMU_FIELD(w, 5, 0)
#define CD0_TG0(w) SMMU_FIELD(w, 7, 6)
#define CD0_IR0(w) SMMU_FIELD(w, 9, 8)
#define CD0_OR0(w) SMMU_FIELD(w, 11, 10)
#define CD0_SH0(w) SMMU_FIELD(w, 13, 12)
#define CD0_EPD0 SMMU_BIT(14)
#define CD0_ENDI SMMU_BIT(15)
#define CD0_EPD1 SMMU_BIT(30)
#define CD0_V SMMU_BIT(31)
#define CD0_IPS(w) SMMU_FIELD(w, 34, 32)
#define CD0_AFFD SMMU_BIT(35)
#define CD0_AA64 SMMU_BIT(41)
#define CD0_HD SMMU_BIT(42)
#define CD0_HA SMMU_BIT(43)
#define CD0_ASID(w) SMMU_FIELD(w, 63, 48)
#define CD1_TTB0_MASK SMMU_MASK(51, 4)

/* With 48-bit VAs (IDR5.VAX == 0) T0SZ spans 16..39; outside it we terminate. */
#define T0SZ_MIN 16u
#define T0SZ_MAX 39u

static int read_words(const struct gmem *mem, gpa_t addr, uint64_t *w, unsigned n)
{
	if (gmem_read(mem, addr, w, (size_t)n * 8))
		return -EFAULT;
	for (unsigned i = 0; i < n; i++)
		w[i] = le64toh(w[i]);
	return 0;
}

/* Where sid's STE is: 0 and *addr, or the event code. */
static uint8_t ste_locate(const struct smmuv3_tabcfg *tc, uint32_t sid, gpa_t *addr)
{
	unsigned fmt = (unsigned)SMMU_FIELD(tc->strtab_cfg, 17, 16);
	unsigned split = (unsigned)SMMU_FIELD(tc->strtab_cfg, 10, 6);
	unsigned log2 = (unsigned)SMMU_FIELD(tc->strtab_cfg, 5, 0);
	gpa_t base = tc->strtab_base & SMMU_MASK(47, 6);
	uint64_t l1d;

	if (log2 > SMMU_SID_BITS)
		log2 = SMMU_SID_BITS;
	if (sid >> log2)
		return SMMUV3_EVT_C_BAD_STREAMID;
	if (fmt == 0) {
		*addr = base + (uint64_t)sid * STE_SIZE;
		return 0;
	}
	/* FMT 2-3 and SPLIT values other than 6, 8 and 10 are reserved. */
	if (fmt != 1 || (split != 6 && split != 8 && split != 10))
		return SMMUV3_EVT_C_BAD_STREAMID;
	if (read_words(tc->mem, base + (uint64_t)(sid >> split) * 8, &l1d, 1))
		return SMMUV3_EVT_F_STE_FETCH;
	/* Span 0, a reserved Span and one beyond the split all make the StreamIDs invalid. */
	unsigned span = (unsigned)(l1d & 0x1f);
	if (span == 0 || span > 11 || span - 1 > split)
		return SMMUV3_EVT_C_BAD_STREAMID;
	uint32_t idx = sid & ((1u << split) - 1);
	if (idx >> (span - 1))
		return SMMUV3_EVT_C_BAD_STREAMID;
	/* L2Ptr[5 + Span - 1 : 0] are taken as zero: the array is aligned to its size. */
	gpa_t l2 = l1d & SMMU_MASK(47, 6) & ~((1ull << (6 + span - 1)) - 1);
	*addr = l2 + (uint64_t)idx * STE_SIZE;
	return 0;
}

static void ste_bad(struct smmuv3_ste *r, uint8_t event)
{
	r->config = SMMUV3_CFG_ABORT;
	r->event = event;
}

static void ste_decode(const struct smmuv3_tabcfg *tc, struct smmuv3_ste *r)
{
	uint64_t w0 = r->word[0], w1 = r->word[1];

	if (!(w0 & STE0_V))
		return ste_bad(r, SMMUV3_EVT_C_BAD_STE);
	switch (STE0_CFG(w0)) {
	case STE_CFG_ABORT:
		r->config = SMMUV3_CFG_ABORT;
		return;
	case STE_CFG_BYPASS:
		r->config = SMMUV3_CFG_BYPASS;
		return;
	case STE_CFG_S1:
		break;
	default:
		/* 1-3 reserved; 6-7 need stage 2, which is not offered. */
		return ste_bad(r, SMMUV3_EVT_C_BAD_STE);
	}
	unsigned cdmax = (unsigned)STE0_S1CDMAX(w0), fmt = (unsigned)STE0_S1FMT(w0);
	gpa_t ptr = w0 & STE0_S1CTXPTR_MASK;

	if (ptr & ~SMMU_OAS_MASK)
		return ste_bad(r, SMMUV3_EVT_C_BAD_STE);
	if (cdmax > tc->ssid_bits)
		return ste_bad(r, SMMUV3_EVT_C_BAD_STE);
	if (cdmax && (fmt == 3 || STE1_S1DSS(w1) == 3))
		return ste_bad(r, SMMUV3_EVT_C_BAD_STE);
	r->config = SMMUV3_CFG_S1;
	r->s1_ctx_ptr = ptr;
	r->s1_cdmax = cdmax;
	r->s1_fmt = cdmax ? fmt : 0;     /* one CD: S1Fmt is ignored */
	r->s1dss = cdmax ? (unsigned)STE1_S1DSS(w1) : 0;
}

void smmuv3_tables_ste(const struct smmuv3_tabcfg *tc, uint32_t sid, struct smmuv3_ste *ret)
{
	gpa_t addr = 0;

	memset(ret, 0, sizeof(*ret));
	ret->enabled = tc->enabled;
	if (!tc->enabled) {
		ret->config = tc->gbpa_abort ? SMMUV3_CFG_ABORT : SMMUV3_CFG_BYPASS;
		return;
	}
	uint8_t ev = ste_locate(tc, sid, &addr);
	if (ev)
		return ste_bad(ret, ev);
	if (read_words(tc->mem, addr, ret->word, 2)) {
		ret->word[0] = ret->word[1] = 0;
		return ste_bad(ret, SMMUV3_EVT_F_STE_FETCH);
	}
	ste_decode(tc, ret);
}

/* Where ssid's CD is: 0 and *addr, or the event code. */
static uint8_t cd_locate(const struct smmuv3_tabcfg *tc, const struct smmuv3_ste *ste, uint32_t ssid, gpa_t *addr)
{
	uint64_t l1d;

	if (ssid >> ste->s1_cdmax)
		return SMMUV3_EVT_C_BAD_SUBSTREAMID;
	if (ste->s1_fmt == 0) {
		*addr = ste->s1_ctx_ptr + (uint64_t)ssid * CD_SIZE;
		return 0;
	}
	/* S1Fmt 1: 4 KiB leaf tables of 64 CDs; 2: 64 KiB leaf tables of 1024 CDs. */
	unsigned split = ste->s1_fmt == 1 ? 6 : 10;
	if (read_words(tc->mem, ste->s1_ctx_ptr + (uint64_t)(ssid >> split) * 8, &l1d, 1))
		return SMMUV3_EVT_F_CD_FETCH;
	if (!(l1d & 1))
		return SMMUV3_EVT_C_BAD_SUBSTREAMID;
	*addr = (l1d & SMMU_MASK(47, 12)) + (uint64_t)(ssid & ((1u << split) - 1)) * CD_SIZE;
	return 0;
}

static uint8_t cd_decode(const uint64_t *w, struct smmuv3_cd *r)
{
	static const unsigned ips_bits[8] = { 32, 36, 40, 42, 44, 48, 48, 48 };
	uint64_t w0 = w[0];

	if (!(w0 & CD0_V) || !(w0 & CD0_AA64) || (w0 & CD0_ENDI))
		return SMMUV3_EVT_C_BAD_CD;   /* invalid, AArch32 tables, big-endian walks: not offered */
	r->t0sz = (unsigned)CD0_T0SZ(w0);
	r->irgn0 = (unsigned)CD0_IR0(w0);
	r->orgn0 = (unsigned)CD0_OR0(w0);
	r->sh0 = (unsigned)CD0_SH0(w0);
	r->epd0 = w0 & CD0_EPD0;
	r->epd1 = w0 & CD0_EPD1;
	r->affd = w0 & CD0_AFFD;
	r->ha = w0 & CD0_HA;
	r->hd = w0 & CD0_HD;
	r->asid = (uint16_t)CD0_ASID(w0);
	/* IPS beyond the 48-bit OAS behaves as the OAS. */
	r->ips_bits = ips_bits[CD0_IPS(w0)];
	r->ttb0 = w[1] & CD1_TTB0_MASK;
	r->mair = w[3];
	switch (CD0_TG0(w0)) {
	case 0:
		r->granule_shift = 12;
		break;
	case 1:
		r->granule_shift = 16;
		break;
	default:
		if (!r->epd0)
			return SMMUV3_EVT_C_BAD_CD;   /* 16 KiB is not offered, 3 is reserved */
	}
	if (!r->epd0 && (r->t0sz < T0SZ_MIN || r->t0sz > T0SZ_MAX || (r->ttb0 & ~SMMU_OAS_MASK)))
		return SMMUV3_EVT_C_BAD_CD;
	return 0;
}

void smmuv3_tables_cd(const struct smmuv3_tabcfg *tc, const struct smmuv3_ste *ste, uint32_t ssid,
		      struct smmuv3_cd *ret)
{
	uint64_t w[CD_SIZE / 8];
	gpa_t addr = 0;

	memset(ret, 0, sizeof(*ret));
	if (ste->config != SMMUV3_CFG_S1) {
		ret->event = SMMUV3_EVT_C_BAD_CD;     /* no stage 1: there is no CD */
		return;
	}
	ret->event = cd_locate(tc, ste, ssid, &addr);
	if (ret->event)
		return;
	ret->addr = addr;
	if (read_words(tc->mem, addr, w, CD_SIZE / 8)) {
		ret->event = SMMUV3_EVT_F_CD_FETCH;
		return;
	}
	ret->event = cd_decode(w, ret);
}

bool smmuv3_ste_equal(const struct smmuv3_ste *a, const struct smmuv3_ste *b)
{
	return a->config == b->config && a->event == b->event && a->word[0] == b->word[0] &&
	       a->word[1] == b->word[1];
}
