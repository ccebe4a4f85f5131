// SPDX-License-Identifier: Apache-2.0
/*
 * Fuzz target for the vVT-d invalidation queue (iommu/vtd_qi.c and the
 * caches of vtd_iotlb.c). The input is a queue set-up followed by the
 * content of a 64 KiB guest RAM:
 *   byte 0      bit 0: 256-bit descriptors (IQA.DW); bits 2-1: IQA.QS;
 *               bit 3: a backend; bit 4: fault event unmasked; bit 5:
 *               completion event unmasked; bit 6: translation on;
 *               bit 7: the host fails (with the backend): each flush
 *               names one of its IOTLB invalidations as failed
 *               (vtd_backend_failed), picked from the call counts
 *   bytes 1-2   IQT bits 19:4 (little-endian; may lie outside the queue)
 *   bytes 3-4   the queue's page number (little-endian; may lie outside RAM)
 *   bytes 5-6   RTADDR page number, scalable mode (for the translations)
 *   rest        guest memory from address 0
 * The queue is enabled and drained; each time it stops with IQE the fuzzer
 * does what Linux does (a wait descriptor over the bad one, IQE cleared)
 * and drains again, up to 8 times; then a few devices translate through
 * the real table walker. Besides crashes it checks: the head stays inside
 * the queue on a descriptor boundary; the queue drains to the tail unless
 * IQE is set; every backend call is flushed before the drain returns and
 * the counters agree with what the backend saw; MSIs go only to the
 * programmed fault and completion addresses; a translation's contiguous
 * length is within the request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vtd-priv.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)
#define HDR 7
#define FE_ADDR 0xfee00000u
#define FE_DATA 0x4041u
#define IE_ADDR 0xfee01000u
#define IE_DATA 0x4052u

static struct gmem gm;

struct fuzz_state {
	bool host_fails;         /* byte 0 bit 7 */
	unsigned iotlb_since;    /* iotlb_invalidate calls not yet flushed */
	unsigned since_flush;    /* backend calls not yet flushed */
	uint64_t calls, flushed; /* all backend calls; the sum of flush() returns */
	unsigned msi_fault, msi_done;
};

static void msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fuzz_state *s = opaque;

	if (addr == FE_ADDR && data == FE_DATA)
		s->msi_fault++;
	else if (addr == IE_ADDR && data == IE_DATA)
		s->msi_done++;
	else
		check(0);
}

static void be_context(void *opaque, struct vtd *v, int rid)
{
	struct fuzz_state *s = opaque;

	(void)v;
	check(rid >= -1 && rid <= 0xffff);
	s->since_flush++;
	s->calls++;
}

static void be_iotlb(void *opaque, struct vtd *v, int did, uint64_t iova, uint64_t len)
{
	struct fuzz_state *s = opaque;

	(void)v;
	check(did >= -1 && did <= 0xffff);
	check((iova & 0xfff) == 0 && (len & 0xfff) == 0 && (len == 0 || (iova & (len - 1)) == 0));
	s->iotlb_since++;
	s->since_flush++;
	s->calls++;
}

static int be_flush(void *opaque, struct vtd *v)
{
	struct fuzz_state *s = opaque;
	int n = (int)s->since_flush;

	check(n > 0);                /* never called with nothing to do */
	/* A failure at some invalidation, or none (nth past the last): IQE there, head kept in the queue. */
	if (s->host_fails && s->iotlb_since)
		vtd_backend_failed(v, (unsigned)(s->calls * 7 % (s->iotlb_since + 1)));
	s->iotlb_since = 0;
	s->since_flush = 0;
	s->flushed += (unsigned)n;
	return n;
}

static struct vtd_backend_ops ops = {
	.context_changed = be_context,
	.iotlb_invalidate = be_iotlb,
	.flush = be_flush,
};

static void wr(struct vtd *v, uint64_t off, uint64_t val, unsigned len)
{
	vtd_mmio_ops.write(v, off, &val, len);
}

static uint64_t rd(struct vtd *v, uint64_t off)
{
	uint64_t val = 0;

	vtd_mmio_ops.read(v, off, &val, 8);
	return val;
}

static void check_queue(struct vtd *v, uint64_t qsize, unsigned dsz, uint64_t tail)
{
	uint64_t head = rd(v, VTD_IQH_REG);

	check(head < qsize && head % dsz == 0);
	if (!(rd(v, VTD_FSTS_REG & ~7u) >> 32 & VTD_FSTS_IQE))
		check(head == tail);
}

/* What Linux's qi_check_fault does: its wait descriptor over the bad one, then IQE cleared. */
static void recover(struct vtd *v, gpa_t base, unsigned dsz)
{
	uint64_t wait[4] = { 5, 0, 0, 0 };

	if (gmem_write(&gm, base + rd(v, VTD_IQH_REG), wait, dsz) == 0)
		wr(v, VTD_FSTS_REG, VTD_FSTS_IQE, 4);
}

static void translate_some(struct vtd *v, const uint8_t *data, size_t size)
{
	for (unsigned k = 0; k < 4 && HDR + 16 * (k + 1) <= size; k++) {
		const uint8_t *p = data + HDR + 16 * k;
		uint64_t iova = fuzz_le(p, 8), len = fuzz_le(p + 8, 2) + 1, contig = 0;
		gpa_t gpa;

		if (vtd_translate(v, (uint16_t)fuzz_le(p + 10, 2), iova, len, p[12] & 1, &gpa, &contig) == 0)
			check(contig >= 1 && contig <= len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state s = { 0 };
	struct vtd_env env = { .mem = &gm, .msi = msi, .opaque = &s };
	struct vtd_params p = { .addr_width = 48, .backend = NULL };
	struct vtd_stats st;
	struct vtd *v;
	char err[256];
	uint64_t qsize, tail;
	gpa_t base;
	unsigned dsz;

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ull))
			abort();
	}
	if (size < HDR)
		return 0;
	memset(gm.host, 0, RAM);
	memcpy(gm.host, data + HDR, size - HDR < RAM ? size - HDR : RAM);
	ops.opaque = &s;
	if (data[0] & 8)
		p.backend = &ops;
	s.host_fails = data[0] & 0x80;
	if (vtd_create(&p, &env, &v, err, sizeof(err)))
		abort();
	dsz = data[0] & 1 ? 32 : 16;
	qsize = 4096ull << (data[0] >> 1 & 3);
	base = fuzz_le(data + 3, 2) << 12;
	tail = fuzz_le(data + 1, 2) << 4;
	wr(v, VTD_FEADDR_REG, FE_ADDR, 4);
	wr(v, VTD_FEDATA_REG, FE_DATA, 4);
	wr(v, VTD_IEADDR_REG, IE_ADDR, 4);
	wr(v, VTD_IEDATA_REG, IE_DATA, 4);
	wr(v, VTD_FECTL_REG, data[0] & 0x10 ? 0 : VTD_CTL_IM, 4);
	wr(v, VTD_IECTL_REG, data[0] & 0x20 ? 0 : VTD_CTL_IM, 4);
	wr(v, VTD_RTADDR_REG, fuzz_le(data + 5, 2) << 12 | 1u << 10, 8);
	wr(v, VTD_IQA_REG, base | (data[0] & 1 ? VTD_IQA_DW : 0) | (data[0] >> 1 & 3), 8);
	wr(v, VTD_GCMD_REG, VTD_GCMD_SRTP, 4);
	wr(v, VTD_GCMD_REG, VTD_GCMD_QIE | (data[0] & 0x40 ? VTD_GCMD_TE : 0), 4);
	translate_some(v, data, size);
	wr(v, VTD_IQT_REG, tail, 8);
	for (unsigned round = 0; round < 8; round++) {
		vtd_drain(v);
		check(s.since_flush == 0);
		check_queue(v, qsize, dsz, tail & VTD_IQT_QT);
		if (!(rd(v, VTD_FSTS_REG & ~7u) >> 32 & VTD_FSTS_IQE))
			break;
		recover(v, base, dsz);
		translate_some(v, data, size);
	}
	vtd_get_stats(v, &st);
	check(st.host_calls == s.flushed && s.flushed == s.calls);
	check(st.waits <= st.descriptors);
	check(s.msi_fault <= st.iqe + st.faults);
	check(s.msi_done <= st.waits);
	vtd_destroy(v);
	return 0;
}
