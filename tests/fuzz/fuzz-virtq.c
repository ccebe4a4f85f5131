/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the split virtqueue walker. The input is a queue layout
 * followed by the content of a 64 KiB guest RAM:
 *   byte 0     log2 of the queue size (mod 7: 1..64 entries)
 *   byte 1     bit 0: EVENT_IDX negotiated; bit 1: keep ring addresses
 *              unaligned instead of rounding them down; bits 2-7: the
 *              vIOMMU mapping of the translating pass (below)
 *   bytes 2-7  desc, avail, used ring addresses (little-endian u16 each)
 *   rest       guest memory from address 0
 * Every available chain is popped and pushed back, three times over the
 * same input:
 *   1. addresses are GPAs (no translation);
 *   2. behind a vIOMMU that maps IOVA page p to GPA page p, one page per
 *      answer: everything (pop results, chains, guest memory written) must
 *      be exactly as in pass 1;
 *   3. behind a vIOMMU that permutes the 16 pages (p -> k*p + s mod 16),
 *      leaves some unmapped and some read-only, and answers a page or a
 *      whole contiguous run at a time, as bits 2-7 of byte 1 choose.
 * Besides crashes it checks that every buffer lies in guest RAM, the
 * readable/writable split and the length cap hold, that behind the vIOMMU
 * every byte of a buffer is on a page it grants (writable for device-
 * writable buffers), and that a failure marks the device broken.
 */
#include "virtq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)
#define PAGE 4096u
#define PAGES (RAM / PAGE)

static struct gmem gm;
static struct iovec iov[64 + VIRTIO_QUEUE_MAX_SIZE];

/* IOVA page p maps to GPA page map[p] unless hole[p]; ro[p]: the device may only read it. */
struct fuzz_iommu {
	uint8_t map[PAGES];
	bool hole[PAGES], ro[PAGES];
	bool merge;              /* answer whole runs of pages that follow each other in GPA space */
	int8_t iova_of[PAGES];   /* the inverse: which IOVA page maps to GPA page g (-1: none) */
};

static int fuzz_translate(void *opaque, uint64_t iova, uint64_t len, bool write, gpa_t *gpa, uint64_t *contig)
{
	const struct fuzz_iommu *m = opaque;
	uint64_t p = iova / PAGE, n = PAGE - iova % PAGE;

	if (p >= PAGES || m->hole[p] || (write && m->ro[p]))
		return -EFAULT;
	*gpa = (uint64_t)m->map[p] * PAGE + iova % PAGE;
	for (; m->merge && n < len && p + 1 < PAGES; p++, n += PAGE)
		if (m->hole[p + 1] || (write && m->ro[p + 1]) || m->map[p + 1] != m->map[p] + 1)
			break;
	*contig = n < len ? n : len;
	return 0;
}

static void iommu_setup(struct fuzz_iommu *m, unsigned sel, bool identity)
{
	unsigned k = 2 * (sel & 3) + 1, s = sel >> 2 & 15;

	memset(m, 0, sizeof(*m));
	memset(m->iova_of, -1, sizeof(m->iova_of));
	for (unsigned p = 0; p < PAGES; p++) {
		m->map[p] = (uint8_t)(identity ? p : (k * p + s) % PAGES);
		m->hole[p] = !identity && (p * 7 + sel) % 11 == 0;
		m->ro[p] = !identity && (p * 3 + sel) % 7 == 0;
		if (!m->hole[p])
			m->iova_of[m->map[p]] = (int8_t)p;
	}
	m->merge = !identity && sel & 32;
}

static uint64_t no_features(struct virtio_device *v)
{
	(void)v;
	return 0;
}

static const struct virtio_device_ops ops = { .features = no_features };

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ULL;
	return h;
}

/* The chain's invariants; its digest folded into *h. */
static void check_chain(const struct virtq_chain *c, const struct fuzz_iommu *m, uint64_t *h)
{
	uint64_t out = 0, in = 0;

	check(c->nr_out + c->nr_in <= c->cap);
	*h = fnv(fnv(fnv(*h, c->head), c->nr_out), c->nr_in);
	for (unsigned i = 0; i < c->nr_out + c->nr_in; i++) {
		const uint8_t *p = c->iov[i].iov_base;
		size_t len = c->iov[i].iov_len;

		check(len > 0);
		check(p >= gm.host && len <= RAM && p - gm.host <= RAM - (ptrdiff_t)len);
		*h = fnv(fnv(*h, (uint64_t)(p - gm.host)), len);
		for (size_t g = (size_t)(p - gm.host) / PAGE; m && g <= (size_t)(p - gm.host + len - 1) / PAGE; g++)
			check(m->iova_of[g] >= 0 && (i < c->nr_out || !m->ro[m->iova_of[g]]));
		if (i < c->nr_out)
			out += len;
		else
			in += len;
	}
	check(out == c->out_len && in == c->in_len);
	check(out + in <= VIRTQ_MAX_CHAIN_BYTES);
}

/* One pass over the input, behind m (NULL: no vIOMMU); a digest of what the walker did. */
static uint64_t run(const uint8_t *data, size_t size, struct fuzz_iommu *m)
{
	struct virtio_device vdev = { .name = "fuzz", .ops = &ops, .mem = &gm, .nr_queues = 1 };
	struct virtq_chain c = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	struct virtio_queue_cfg *q = &vdev.queues[0];
	uint64_t h = 0xcbf29ce484222325ULL;
	struct virtq vq;
	uint16_t a[3];
	int r = 0;

	q->max_size = 64;
	q->size = (uint16_t)(1u << (data[0] % 7));
	q->enabled = true;
	vdev.driver_features = data[1] & 1 ? 1ULL << VIRTIO_F_EVENT_IDX : 0;
	if (m)
		vdev.dma = (struct dma_xlate){ .translate = fuzz_translate, .opaque = m };
	memcpy(a, data + 2, sizeof(a));
	q->desc = data[1] & 2 ? a[0] : a[0] & ~15u;
	q->avail = data[1] & 2 ? a[1] : a[1] & ~1u;
	q->used = data[1] & 2 ? a[2] : a[2] & ~3u;
	memset(gm.host, 0, RAM);
	memcpy(gm.host, data + 8, size - 8 < RAM ? size - 8 : RAM);

	if (virtq_init(&vq, &vdev, 0)) {
		check(vdev.broken);
		return fnv(h, 1);
	}
	/* More pops than the ring holds: the walker must stop by itself. */
	for (unsigned i = 0; i < 2u * q->size + 2; i++) {
		r = virtq_pop(&vq, &c);
		h = fnv(h, (uint64_t)r);
		if (r <= 0)
			break;
		check_chain(&c, m, &h);
		virtq_push(&vq, c.head, (uint32_t)c.in_len);
		h = fnv(h, virtq_need_notify(&vq));
	}
	check(r <= 0);
	if (r < 0)
		check(r == -EIO && vdev.broken && (vdev.status & VIRTIO_STATUS_NEEDS_RESET));
	h = fnv(h, virtq_enable_notify(&vq));
	for (unsigned i = 0; i < RAM; i += 8) {
		uint64_t v;

		memcpy(&v, (uint8_t *)gm.host + i, 8);
		h = fnv(h, v);
	}
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_iommu m;
	uint64_t direct;

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ULL))
			abort();
	}
	if (size < 8)
		return 0;
	direct = run(data, size, NULL);
	iommu_setup(&m, 0, true);
	check(run(data, size, &m) == direct);
	iommu_setup(&m, data[1] >> 2, false);
	(void)run(data, size, &m);
	return 0;
}
