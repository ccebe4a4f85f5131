/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the vSMMUv3 register file (iommu/smmuv3.c) and
 * everything a guest can reach through it: queues, tables, interrupts,
 * drains and host events in any order. The input is a sequence of
 * 12-byte records:
 *
 *   op (1) | offset (3, LE) | value (8, LE)
 *
 * op % 8: 0 32-bit read, 1 32-bit write, 2 64-bit read, 3 64-bit write
 * (offset mod 128 KiB plus a little beyond, any alignment), 4 drain,
 * 5 inject an event record, 6 write value into guest RAM at offset * 8,
 * 7 decode StreamID value[31:0] and its CD for SubstreamID value[63:32].
 * Byte 0 of the input picks the unit's options (ATS, backend, the
 * SubstreamID bits). Besides crashes it checks: ID registers never
 * change, CR0ACK agrees with CR0 outside SMMUEN, GERROR and IRQ_CTRL keep
 * to their defined bits, CMDQ_CONS.ERR is an architected code, MSIs
 * that reach the doorbell are 4-byte aligned and outside RAM, the backend
 * hears only known StreamIDs and host-bound commands.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (256 * 1024)

static struct gmem gm;
static const uint32_t sids[] = { 0, 1, 0x42, 0x100 };

static void f_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o, (void)data;
	check(addr && addr % 4 == 0 && addr < (1ull << 48) && !gmem_slice(&gm, addr, 4));
}

static int f_ste(void *o, struct smmuv3 *s, uint32_t sid, const struct smmuv3_ste *ste)
{
	(void)o, (void)s;
	check(sid == 0 || sid == 1 || sid == 0x42 || sid == 0x100);
	check(ste->config <= SMMUV3_CFG_S1);
	return 0;
}

static int f_flush(void *o, struct smmuv3 *s, const struct smmuv3_cmd *cmds, unsigned n, unsigned *consumed)
{
	(void)o, (void)s;
	check(n >= 1 && n <= SMMUV3_BATCH_MAX);
	for (unsigned i = 0; i < n; i++) {
		unsigned op = cmds[i].w[0] & 0xff;
		check(op == 0x05 || op == 0x06 || op == 0x10 || op == 0x11 || op == 0x12 || op == 0x13 ||
		      op == 0x30 || op == 0x40);
	}
	/* Fail now and then, at an entry the commands pick. */
	if ((cmds[0].w[1] & 0xff) == 0xee) {
		*consumed = (unsigned)(cmds[0].w[1] >> 8) % (n + 2);
		return -5;
	}
	*consumed = n;
	return 1;
}

static uint32_t rd32(struct smmuv3 *s, uint64_t off)
{
	uint32_t v = 0;
	smmuv3_mmio_ops.read(s, off, &v, 4);
	return v;
}

static void check_regs(struct smmuv3 *s, const uint32_t *idr)
{
	for (unsigned i = 0; i < 6; i++)
		check(rd32(s, i * 4) == idr[i]);
	check(((rd32(s, 0x20) ^ rd32(s, 0x24)) & ~1u) == 0);
	check(!(rd32(s, 0x60) & ~0xb5u) && !(rd32(s, 0x64) & ~0xb5u));
	check(!(rd32(s, 0x50) & ~5u) && rd32(s, 0x54) == rd32(s, 0x50));
	uint32_t err = rd32(s, 0x9c) >> 24;
	check(err <= SMMUV3_CERROR_ABT);
	check(!(rd32(s, 0x9c) & 0x80f00000u) && !(rd32(s, 0x98) & ~0xfffffu));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct smmuv3_backend_ops be = { f_ste, f_flush, NULL };
	struct smmuv3_env env = { &gm, f_msi, NULL };
	struct smmuv3 *s;
	uint32_t idr[6];
	char err[128];

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ull))
			abort();
	}
	if (size < 1)
		return 0;
	struct smmuv3_params p = { .sids = sids, .nr_sids = 4, .ssid_bits = (data[0] >> 2) % 21,
				   .ats = data[0] & 1, .backend = data[0] & 2 ? &be : NULL };
	memset(gm.host, 0, RAM);
	check(smmuv3_create(&p, &env, &s, err, sizeof(err)) == 0);
	for (unsigned i = 0; i < 6; i++)
		idr[i] = rd32(s, i * 4);

	for (size_t i = 1; i + 12 <= size; i += 12) {
		const uint8_t *r = data + i;
		uint64_t off = ((uint64_t)r[1] | (uint64_t)r[2] << 8 | (uint64_t)r[3] << 16) % (SMMUV3_REG_SIZE + 64);
		uint64_t val;
		uint8_t buf[8], rec[SMMUV3_EVENT_SIZE];
		struct smmuv3_ste st;
		struct smmuv3_cd cd;

		memcpy(&val, r + 4, 8);
		memcpy(buf, &val, 8);
		switch (r[0] % 8) {
		case 0:
		case 2:
			smmuv3_mmio_ops.read(s, off, buf, r[0] % 8 ? 8 : 4);
			break;
		case 1:
		case 3:
			smmuv3_mmio_ops.write(s, off, buf, r[0] % 8 == 3 ? 8 : 4);
			break;
		case 4:
			smmuv3_drain(s);
			break;
		case 5:
			for (unsigned k = 0; k < sizeof(rec); k++)
				rec[k] = buf[k % 8];
			(void)smmuv3_inject_event(s, rec);
			break;
		case 6:
			if (off * 8 + 8 <= RAM)
				memcpy(gm.host + off * 8, buf, 8);
			break;
		case 7:
			smmuv3_stream_state(s, (uint32_t)val, &st);
			smmuv3_context(s, &st, (uint32_t)(val >> 32), &cd);
			check(st.config != SMMUV3_CFG_S1 || st.s1_cdmax <= p.ssid_bits);
			break;
		}
		check_regs(s, idr);
	}
	smmuv3_drain(s);
	check_regs(s, idr);
	smmuv3_destroy(s);
	return 0;
}
