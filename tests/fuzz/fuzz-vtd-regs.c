// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the vVT-d register file (iommu/vtd.c), with the queue,
 * the caches and the real table walker behind it. The input is
 *   bytes 0-1   n, the number of records (little-endian; bits 15 and 14
 *               also choose a 57-bit unit and a backend)
 *   n records of 12 bytes: op (1) | len (1) | offset (2, LE) | value (8, LE)
 *   rest        guest memory from address 0 (64 KiB)
 * op % 4: 0 read of len % 9 bytes at offset; 1 write of len % 9 bytes
 * (4 and 8 are the sizes the model takes; others must be ignored); 2
 * drain the queue, as the engine would after a kick; 3 translate for
 * requester ID offset, iova value, length len + 1, a write if op bit 2.
 * Offsets are taken modulo 0x400 (every register the model has lies
 * below), except with op bit 3, which keeps the whole 16 bits (outside
 * the page too).
 * Besides crashes it checks: VER, CAP and ECAP never change; GSTS, FSTS,
 * FECTL, IECTL and ICS hold only bits the model defines; the head stays
 * inside the queue on a descriptor boundary; a fault record's reason is
 * one the walker can give; MSIs go only to the addresses and data the
 * fuzzer last programmed; translations stay within the request; every
 * backend call is flushed before a drain returns, and GSTS.WBFS is clear
 * after one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtd-priv.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)
#define REC 12

static struct gmem gm;

/* What the fuzzer last wrote to the event registers (the MSI callback cannot read them: lock held). */
struct shadow {
	uint32_t fe_addr, fe_uaddr, fe_data, ie_addr, ie_uaddr, ie_data;
	unsigned msis;
};

/* A backend that counts: calls since its last flush. */
static unsigned since_flush;

static void be_context(void *opaque, struct vtd *v, int rid)
{
	(void)opaque, (void)v;
	check(rid >= -1 && rid <= 0xffff);
	since_flush++;
}

static void be_iotlb(void *opaque, struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	(void)opaque, (void)v, (void)iova, (void)len;
	check(did >= -1 && did <= 0xffff);
	since_flush++;
}

static int be_flush(void *opaque, struct vtd *v)
{
	int n = (int)since_flush;

	(void)opaque, (void)v;
	check(n > 0);
	since_flush = 0;
	return n;
}

static const struct vtd_backend_ops ops = { be_context, be_iotlb, be_flush, NULL };

static void msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct shadow *s = opaque;
	uint64_t fe = (uint64_t)s->fe_uaddr << 32 | (s->fe_addr & ~3u);
	uint64_t ie = (uint64_t)s->ie_uaddr << 32 | (s->ie_addr & ~3u);

	check((addr == fe && data == s->fe_data) || (addr == ie && data == s->ie_data));
	s->msis++;
}

static uint64_t rd(struct vtd *v, uint64_t off, unsigned len)
{
	uint64_t val = 0;

	vtd_mmio_ops.read(v, off, &val, len);
	return val;
}

/* Track the event registers a write of len bytes at off changes. */
static void shadow_write(struct shadow *s, uint64_t off, uint64_t val, unsigned len)
{
	for (unsigned k = 0; k < len / 4; k++) {
		uint32_t w = (uint32_t)(val >> 32 * k);

		switch (off + 4 * k) {
		case VTD_FEDATA_REG: s->fe_data = w; break;
		case VTD_FEADDR_REG: s->fe_addr = w; break;
		case VTD_FEUADDR_REG: s->fe_uaddr = w; break;
		case VTD_IEDATA_REG: s->ie_data = w; break;
		case VTD_IEADDR_REG: s->ie_addr = w; break;
		case VTD_IEUADDR_REG: s->ie_uaddr = w; break;
		}
	}
}

static bool valid_reason(unsigned r)
{
	return (r >= 0x30 && r <= 0x5b) || (r >= 0x70 && r <= 0x73) || r == 0x80 || r == 0x81 || r == 0x85;
}

static void check_regs(struct vtd *v, uint64_t cap, uint64_t ecap)
{
	uint32_t gsts = (uint32_t)rd(v, VTD_GSTS_REG, 4), fsts = (uint32_t)rd(v, VTD_FSTS_REG, 4);

	check(rd(v, VTD_VER_REG, 4) == VTD_VERSION && rd(v, VTD_CAP_REG, 8) == cap && rd(v, VTD_ECAP_REG, 8) == ecap);
	check(!(gsts & ~(VTD_GSTS_TES | VTD_GSTS_RTPS | VTD_GSTS_QIES | VTD_GSTS_WBFS)));
	check(!(fsts & ~(VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | 0xffu << VTD_FSTS_FRI_SHIFT)));
	check((fsts >> VTD_FSTS_FRI_SHIFT & 0xff) < VTD_NFR);
	check(!(rd(v, VTD_FECTL_REG, 4) & ~(VTD_CTL_IM | VTD_CTL_IP)));
	check(!(rd(v, VTD_IECTL_REG, 4) & ~(VTD_CTL_IM | VTD_CTL_IP)));
	check(!(rd(v, VTD_ICS_REG, 4) & ~VTD_ICS_IWC));
	check(rd(v, VTD_IQT_REG, 8) <= VTD_IQT_QT && !(rd(v, VTD_IQT_REG, 8) & 0xf));
	if (gsts & VTD_GSTS_QIES) {
		/* IQA may have been rewritten since the queue was enabled; the head follows the latched one. */
		uint64_t head = rd(v, VTD_IQH_REG, 8);

		check(head < 4096ull << 7 && head % 16 == 0);
	}
	for (unsigned i = 0; i < VTD_NFR; i++) {
		uint64_t hi = rd(v, VTD_FRCD_REG + 16 * i + 8, 8);

		if (hi & VTD_FRCD_F)
			check(valid_reason(hi >> 32 & 0xff));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shadow s = { 0 };
	struct vtd_env env = { .mem = &gm, .msi = msi, .opaque = &s };
	struct vtd_params p = { .addr_width = 48 };
	struct vtd *v;
	char err[256];
	size_t n, ram_at;
	uint64_t cap, ecap;

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ull))
			abort();
	}
	if (size < 2)
		return 0;
	n = fuzz_le(data, 2) & 0x3fff;
	if (n > (size - 2) / REC)
		n = (size - 2) / REC;
	ram_at = 2 + n * REC;
	memset(gm.host, 0, RAM);
	memcpy(gm.host, data + ram_at, size - ram_at < RAM ? size - ram_at : RAM);
	p.addr_width = data[1] & 0x80 ? 57 : 48;
	p.backend = data[1] & 0x40 ? &ops : NULL;
	since_flush = 0;
	if (vtd_create(&p, &env, &v, err, sizeof(err)))
		abort();
	cap = rd(v, VTD_CAP_REG, 8);
	ecap = rd(v, VTD_ECAP_REG, 8);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = data + 2 + i * REC;
		unsigned op = r[0], len = r[1];
		uint64_t off = fuzz_le(r + 2, 2), val = fuzz_le(r + 4, 8), contig = 0;
		gpa_t gpa;

		if (!(op & 8))
			off %= 0x400;
		switch (op % 4) {
		case 0:
			rd(v, off, len % 9);
			break;
		case 1:
			len %= 9;
			if ((len == 4 || len == 8) && !(off & (len - 1)) && off < VTD_REG_SIZE)
				shadow_write(&s, off, val, len);
			vtd_mmio_ops.write(v, off, &val, len);
			break;
		case 2:
			vtd_drain(v);
			check(since_flush == 0);
			check(!(rd(v, VTD_GSTS_REG, 4) & VTD_GSTS_WBFS));
			break;
		case 3:
			if (vtd_translate(v, (uint16_t)off, val, len + 1ull, op & 4, &gpa, &contig) == 0)
				check(contig >= 1 && contig <= len + 1ull);
			break;
		}
		check_regs(v, cap, ecap);
	}
	vtd_destroy(v);
	return 0;
}
