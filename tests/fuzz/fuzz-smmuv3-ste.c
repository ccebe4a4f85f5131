/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the vSMMUv3 structure decoder (iommu/smmuv3_tables.c):
 * stream table (linear or 2-level) -> STE -> CD table (single, linear,
 * 2-level with 4 KiB or 64 KiB leaves) -> CD, all from guest RAM the
 * input fills. The input is:
 *
 *   bytes 0-3    STRTAB_BASE_CFG (LE)
 *   bytes 4-7    STRTAB_BASE bits [31:0] (LE; bits above are zero)
 *   byte 8       SubstreamID bits offered (mod 21); bit 7: SMMUEN clear
 *   bytes 9-12   a StreamID (LE)
 *   bytes 13-16  a SubstreamID (LE)
 *   rest         guest RAM (64 KiB) from address 0
 *
 * Besides crashes it checks the decoded results against the architecture:
 * a S1 stream has no event, S1CDMax within the offered bits, a context
 * pointer within the 48-bit OAS; every event code is one the lookup can
 * give; a usable CD lies in RAM and says what RAM holds there; decoding
 * is deterministic.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smmuv3-priv.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)

static struct gmem gm;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_ste(const struct smmuv3_tabcfg *tc, const struct smmuv3_ste *st)
{
	switch (st->config) {
	case SMMUV3_CFG_S1:
		check(st->enabled && st->event == 0);
		check(st->s1_cdmax <= tc->ssid_bits);
		check(st->s1_fmt <= 2 && (st->s1_cdmax || st->s1_fmt == 0));
		check(st->s1_ctx_ptr < (1ull << 48) && st->s1_ctx_ptr % 64 == 0);
		check((st->word[0] & 1) && ((st->word[0] >> 1) & 7) == 5);
		break;
	case SMMUV3_CFG_BYPASS:
		check(st->event == 0);
		break;
	case SMMUV3_CFG_ABORT:
		check(st->event == 0 || st->event == SMMUV3_EVT_C_BAD_STREAMID ||
		      st->event == SMMUV3_EVT_F_STE_FETCH || st->event == SMMUV3_EVT_C_BAD_STE);
		check(st->enabled || st->event == 0);
		break;
	default:
		check(0);
	}
	if (!st->enabled)
		check(st->word[0] == 0 && st->word[1] == 0);
}

static void check_cd(const struct smmuv3_ste *st, uint32_t ssid, const struct smmuv3_cd *cd)
{
	uint64_t w0;

	check(cd->event == 0 || cd->event == SMMUV3_EVT_C_BAD_SUBSTREAMID || cd->event == SMMUV3_EVT_F_CD_FETCH ||
	      cd->event == SMMUV3_EVT_C_BAD_CD);
	if (st->config != SMMUV3_CFG_S1) {
		check(cd->event == SMMUV3_EVT_C_BAD_CD);
		return;
	}
	if (ssid >> st->s1_cdmax)
		check(cd->event == SMMUV3_EVT_C_BAD_SUBSTREAMID);
	if (cd->event)
		return;
	check(cd->addr + 64 <= RAM);
	memcpy(&w0, gm.host + cd->addr, 8);
	w0 = le64toh(w0);
	check((w0 >> 31) & 1 && (w0 >> 41) & 1 && !((w0 >> 15) & 1));
	check(cd->asid == (uint16_t)(w0 >> 48) && cd->t0sz == (w0 & 0x3f));
	check(cd->epd0 || (cd->t0sz >= 16 && cd->t0sz <= 39 && cd->ttb0 < (1ull << 48) &&
			   (cd->granule_shift == 12 || cd->granule_shift == 16)));
	check(cd->ips_bits >= 32 && cd->ips_bits <= 48);
}

static void decode(const struct smmuv3_tabcfg *tc, uint32_t sid, uint32_t ssid)
{
	struct smmuv3_ste st, again;
	struct smmuv3_cd cd, cd2;

	smmuv3_tables_ste(tc, sid, &st);
	check_ste(tc, &st);
	smmuv3_tables_ste(tc, sid, &again);
	check(smmuv3_ste_equal(&st, &again) && st.s1_ctx_ptr == again.s1_ctx_ptr);
	if (sid >> 16)
		check(st.config == SMMUV3_CFG_ABORT || !st.enabled);
	smmuv3_tables_cd(tc, &st, ssid, &cd);
	check_cd(&st, ssid, &cd);
	smmuv3_tables_cd(tc, &st, ssid, &cd2);
	check(cd.event == cd2.event && cd.asid == cd2.asid && cd.ttb0 == cd2.ttb0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smmuv3_tabcfg tc = { .mem = &gm };

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ull))
			abort();
	}
	if (size < 17)
		return 0;
	tc.strtab_cfg = le32(data) & STRTAB_CFG_MASK;
	tc.strtab_base = le32(data + 4) & STRTAB_BASE_MASK;
	tc.ssid_bits = (data[8] & 0x7f) % 21;
	tc.enabled = !(data[8] & 0x80);
	tc.gbpa_abort = data[8] & 0x40;
	uint32_t sid = le32(data + 9), ssid = le32(data + 13);
	size_t n = size - 17 < RAM ? size - 17 : RAM;
	memset(gm.host, 0, RAM);
	memcpy(gm.host, data + 17, n);

	decode(&tc, sid, ssid);
	/* Neighbours that share the input's tables: other StreamIDs in its L2 array, other CDs. */
	decode(&tc, sid & 0xffff, ssid & 0xfff);
	decode(&tc, sid ^ 1, ssid ^ 0x41);
	decode(&tc, sid >> 4, 0);
	return 0;
}
