/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the vSMMUv3 command queue (iommu/smmuv3_cmdq.c) with a
 * fake nested backend. The input is:
 *
 *   byte 0       log2 of the queue's entries (mod 9)
 *   byte 1       bit 0: ATS offered; bit 1: SMMUEN; bit 2: backend;
 *                bits 4-7: the flush that fails (0: none)
 *   byte 2       the batch entry the failing flush says it consumed
 *   byte 3       how many commands the guest produces (PROD)
 *   bytes 4-259  the STEs of StreamIDs 0-3 (linear stream table)
 *   rest         the command queue, 16 bytes per command
 *
 * The guest then does what Linux does on a command error: it replaces the
 * failing command with a CMD_SYNC and acknowledges GERRORN, up to eight
 * times. Besides crashes it checks: every batch is non-empty, within
 * SMMUV3_BATCH_MAX, holds only commands the host takes and only for known
 * StreamIDs; STE reports name known StreamIDs; without a host failure the
 * queue stops exactly at the first command an independent classifier
 * calls illegal (CERROR_ILL), else it is fully consumed; GERROR.CMDQ_ERR is
 * active exactly when CMDQ_CONS.ERR was set by this drain.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)
#define STRTAB 0x1000u
#define CMDQ 0x4000u
#define HDR 260u

static struct gmem gm;
static const uint32_t sids[] = { 0, 1, 2, 3 };

struct fake {
	unsigned flushes, fail_at, fail_consumed;
	bool ats;
};

static void f_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o, (void)data;
	check(addr && addr % 4 == 0 && !gmem_slice(&gm, addr, 4));
}

static int f_ste(void *o, struct smmuv3 *s, uint32_t sid, const struct smmuv3_ste *ste)
{
	(void)o, (void)s, (void)ste;
	check(sid < 4);
	return sid == 3 ? -EINVAL : 0;
}

static bool host_cmd(const struct smmuv3_cmd *c)
{
	unsigned op = c->w[0] & 0xff;
	uint32_t sid = (uint32_t)(c->w[0] >> 32);

	switch (op) {
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x30:
		return true;
	case 0x05: case 0x06: case 0x40:
		return sid < 4;
	default:
		return false;
	}
}

static int f_flush(void *o, struct smmuv3 *s, const struct smmuv3_cmd *cmds, unsigned n, unsigned *consumed)
{
	struct fake *f = o;

	(void)s;
	check(n >= 1 && n <= SMMUV3_BATCH_MAX);
	for (unsigned i = 0; i < n; i++)
		check(host_cmd(&cmds[i]));
	if (++f->flushes == f->fail_at) {
		*consumed = f->fail_consumed;
		return -EIO;
	}
	*consumed = n;
	return 1;
}

/* The architecture's CERROR_ILL cases for this model, from the opcode table. */
static bool illegal(const uint64_t *w, bool ats)
{
	unsigned op = w[0] & 0xff;
	bool ssec = w[0] >> 10 & 1;

	switch (op) {
	case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06:
		return ssec;
	case 0x10: case 0x11: case 0x12: case 0x13: case 0x30:
		return false;
	case 0x40:
		return !ats || (w[1] & 0x3f) > 52;
	case 0x46:
		return (w[0] >> 12 & 3) == 3;
	default:
		return true;
	}
}

static uint32_t rd(struct smmuv3 *s, uint64_t off)
{
	uint32_t v = 0;
	smmuv3_mmio_ops.read(s, off, &v, 4);
	return v;
}

static void wr(struct smmuv3 *s, uint64_t off, uint64_t v, unsigned len)
{
	smmuv3_mmio_ops.write(s, off, &v, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f = { 0 };
	const struct smmuv3_backend_ops be = { f_ste, f_flush, &f };
	struct smmuv3_env env = { &gm, f_msi, NULL };
	struct smmuv3 *s;
	char err[128];

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ull))
			abort();
	}
	if (size < HDR)
		return 0;
	unsigned log2 = data[0] % 9, qn = 1u << log2;
	f.ats = data[1] & 1;
	f.fail_at = data[1] >> 4;
	f.fail_consumed = data[2];
	struct smmuv3_params p = { .sids = sids, .nr_sids = 4, .ssid_bits = 8, .ats = f.ats,
				   .backend = data[1] & 4 ? &be : NULL };
	memset(gm.host, 0, RAM);
	memcpy(gm.host + STRTAB, data + 4, 256);
	size_t qbytes = size - HDR < (size_t)qn * 16 ? size - HDR : (size_t)qn * 16;
	memcpy(gm.host + CMDQ, data + HDR, qbytes);
	check(smmuv3_create(&p, &env, &s, err, sizeof(err)) == 0);

	wr(s, 0x80, STRTAB, 8);
	wr(s, 0x88, 2, 4);
	wr(s, 0x90, CMDQ | log2, 8);
	wr(s, 0x68, 0x8000000, 8);
	wr(s, 0x50, 1, 4);
	wr(s, 0x20, 8 | (data[1] & 2 ? 1 : 0), 4);
	smmuv3_drain(s);
	uint32_t prod = data[3] & ((2u << log2) - 1);
	wr(s, 0x98, prod, 4);

	for (int round = 0; round < 8; round++) {
		uint32_t start = rd(s, 0x9c) & 0xfffff;
		unsigned flushes = f.flushes;
		smmuv3_drain(s);
		uint32_t cons = rd(s, 0x9c), gerr = rd(s, 0x60) ^ rd(s, 0x64);
		unsigned cerr = cons >> 24 & 0x7f;
		bool failed_host = f.fail_at && f.flushes >= f.fail_at && flushes < f.fail_at;
		/* Where an independent reading of the queue says it must stop. */
		uint32_t expect = start;
		while (expect != prod) {
			uint64_t w[2];
			memcpy(w, gm.host + CMDQ + (expect & (qn - 1)) * 16, 16);
			w[0] = le64toh(w[0]);
			w[1] = le64toh(w[1]);
			if (illegal(w, f.ats))
				break;
			expect = (expect + 1) & ((2u << log2) - 1);
		}
		check(!(gerr & ~0xb5u));
		if (!(gerr & 1)) {
			check((cons & 0xfffff) == prod && !failed_host && expect == prod);
			break;
		}
		check(cerr == SMMUV3_CERROR_ILL);
		if (!failed_host)
			check((cons & 0xfffff) == expect);
		/* Linux: the failing command becomes a CMD_SYNC, then GERRORN acknowledges. */
		uint64_t sync[2] = { htole64(0x46), 0 };
		memcpy(gm.host + CMDQ + (cons & (qn - 1)) * 16, sync, 16);
		wr(s, 0x64, rd(s, 0x60), 4);
	}
	smmuv3_destroy(s);
	return 0;
}
