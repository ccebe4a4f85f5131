/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the split virtqueue walker. The input is a queue layout
 * followed by the content of a 64 KiB guest RAM:
 *   byte 0     log2 of the queue size (mod 7: 1..64 entries)
 *   byte 1     bit 0: EVENT_IDX negotiated; bit 1: keep ring addresses
 *              unaligned instead of rounding them down
 *   bytes 2-7  desc, avail, used ring addresses (little-endian u16 each)
 *   rest       guest memory from address 0
 * Every available chain is popped and pushed back. Besides crashes it
 * checks that every buffer lies in guest RAM, the readable/writable split
 * and the length cap hold, and that a failure marks the device broken.
 */
#include "virtq.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (64 * 1024)

static void check(int cond)
{
	if (!cond)
		abort();
}

static struct gmem gm;
static struct iovec iov[64 + VIRTIO_QUEUE_MAX_SIZE];

static uint64_t no_features(struct virtio_device *v)
{
	(void)v;
	return 0;
}

static const struct virtio_device_ops ops = { .features = no_features };

static void check_chain(const struct virtq_chain *c)
{
	uint64_t out = 0, in = 0;

	check(c->nr_out + c->nr_in <= c->cap);
	for (unsigned i = 0; i < c->nr_out + c->nr_in; i++) {
		const uint8_t *p = c->iov[i].iov_base;

		check(c->iov[i].iov_len > 0);
		check(p >= gm.host && c->iov[i].iov_len <= RAM && p - gm.host <= RAM - (ptrdiff_t)c->iov[i].iov_len);
		if (i < c->nr_out)
			out += c->iov[i].iov_len;
		else
			in += c->iov[i].iov_len;
	}
	check(out == c->out_len && in == c->in_len);
	check(out + in <= VIRTQ_MAX_CHAIN_BYTES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_device vdev = { .name = "fuzz", .ops = &ops, .mem = &gm, .nr_queues = 1 };
	struct virtq_chain c = { .iov = iov, .cap = ARRAY_SIZE(iov) };
	struct virtio_queue_cfg *q = &vdev.queues[0];
	struct virtq vq;
	uint16_t a[3];
	int r = 0;

	if (!gm.host) {
		log_set_level(LOG_ERROR);
		if (gmem_create(&gm, RAM, 0xc0000000ULL))
			abort();
	}
	if (size < 8)
		return 0;
	q->max_size = 64;
	q->size = (uint16_t)(1u << (data[0] % 7));
	q->enabled = true;
	vdev.driver_features = data[1] & 1 ? 1ULL << VIRTIO_F_EVENT_IDX : 0;
	memcpy(a, data + 2, sizeof(a));
	q->desc = data[1] & 2 ? a[0] : a[0] & ~15u;
	q->avail = data[1] & 2 ? a[1] : a[1] & ~1u;
	q->used = data[1] & 2 ? a[2] : a[2] & ~3u;
	memset(gm.host, 0, RAM);
	memcpy(gm.host, data + 8, size - 8 < RAM ? size - 8 : RAM);

	if (virtq_init(&vq, &vdev, 0)) {
		check(vdev.broken);
		return 0;
	}
	/* More pops than the ring holds: the walker must stop by itself. */
	for (unsigned i = 0; i < 2u * q->size + 2; i++) {
		r = virtq_pop(&vq, &c);
		if (r <= 0)
			break;
		check_chain(&c);
		virtq_push(&vq, c.head, (uint32_t)c.in_len);
		(void)virtq_need_notify(&vq);
	}
	check(r <= 0);
	if (r < 0)
		check(r == -EIO && vdev.broken && (vdev.status & VIRTIO_STATUS_NEEDS_RESET));
	(void)virtq_enable_notify(&vq);
	return 0;
}
