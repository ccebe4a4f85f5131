/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers for virtio/ (CHECK macros come from check.h): a minimal
 * split-ring "driver" that lays out rings and buffers in a fake guest
 * memory (a memfd; no KVM needed) the way Linux's virtio_ring does.
 */
#ifndef SKIFF_TEST_VTEST_H
#define SKIFF_TEST_VTEST_H

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "virtio.h"
#include "virtq.h"

#define MiB (1ULL << 20)

/*
 * Device tests start their devices on the io_uring loop: where io_uring is
 * missing (ENOSYS: QEMU's user-mode emulator, used to run an aarch64
 * cross build's tests) or disabled (EPERM: kernel.io_uring_disabled) the
 * whole test is skipped (exit 77) instead of failing on every device.
 */
static inline void vtest_need_io_uring(void)
{
	struct io_uring ring;
	int r = io_uring_queue_init(2, &ring, 0);

	if (r == -ENOSYS || r == -EPERM) {
		printf("SKIP: io_uring unavailable: %s\n", strerror(-r));
		exit(77);
	}
	if (r == 0)
		io_uring_queue_exit(&ring);
}

/* One queue's rings at fixed guest addresses, plus a bump allocator for buffers. */
struct drv {
	const struct gmem *gm;
	uint16_t size;
	gpa_t desc, avail, used;
	uint16_t avail_idx, used_seen;
	gpa_t next_buf;
};

static inline void *drv_ptr(struct drv *d, gpa_t gpa, uint64_t len)
{
	void *p = gmem_slice(d->gm, gpa, len);

	if (!p) {
		fprintf(stderr, "test bug: gpa %#llx not in RAM\n", (unsigned long long)gpa);
		abort();
	}
	return p;
}

/* Rings at base (4 KiB aligned, 64 KiB reserved), buffers after them. */
static inline void drv_init(struct drv *d, const struct gmem *gm, gpa_t base, uint16_t size)
{
	memset(d, 0, sizeof(*d));
	d->gm = gm;
	d->size = size;
	d->desc = base;
	d->avail = base + 16ULL * size;
	d->used = (d->avail + 6 + 2ULL * size + 4095) & ~4095ULL;
	d->next_buf = (d->used + 6 + 8ULL * size + 4095) & ~4095ULL;
	memset(drv_ptr(d, base, d->next_buf - base), 0, d->next_buf - base);
}

static inline void drv_cfg(struct drv *d, struct virtio_queue_cfg *q)
{
	q->size = d->size;
	q->desc = d->desc;
	q->avail = d->avail;
	q->used = d->used;
	q->enabled = true;
}

static inline gpa_t drv_alloc(struct drv *d, uint64_t len)
{
	gpa_t g = d->next_buf;

	d->next_buf = (d->next_buf + len + 15) & ~15ULL;
	memset(drv_ptr(d, g, len), 0, len);
	return g;
}

static inline void drv_desc_at(struct drv *d, gpa_t table, unsigned i, uint64_t addr, uint32_t len,
			       uint16_t flags, uint16_t next)
{
	struct virtq_desc desc = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(drv_ptr(d, table + 16ULL * i, 16), &desc, 16);
}

static inline void drv_desc(struct drv *d, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	drv_desc_at(d, d->desc, i, addr, len, flags, next);
}

/* Make head available (and, by default, publish the index). */
static inline void drv_add(struct drv *d, uint16_t head)
{
	uint16_t *avail = drv_ptr(d, d->avail, 6 + 2ULL * d->size);

	avail[2 + d->avail_idx % d->size] = head;
	d->avail_idx++;
	__atomic_store_n(&avail[1], d->avail_idx, __ATOMIC_RELEASE);
}

static inline uint16_t *drv_avail_hdr(struct drv *d)
{
	return drv_ptr(d, d->avail, 6 + 2ULL * d->size);
}

static inline void drv_set_used_event(struct drv *d, uint16_t v)
{
	drv_avail_hdr(d)[2 + d->size] = v;
}

static inline uint16_t drv_avail_event(struct drv *d)
{
	uint16_t v;

	memcpy(&v, drv_ptr(d, d->used + 4 + 8ULL * d->size, 2), 2);
	return v;
}

static inline uint16_t drv_used_idx(struct drv *d)
{
	uint16_t *u = drv_ptr(d, d->used, 4);

	return __atomic_load_n(&u[1], __ATOMIC_ACQUIRE);
}

static inline struct virtq_used_elem drv_used_elem(struct drv *d, uint16_t i)
{
	struct virtq_used_elem e;

	memcpy(&e, drv_ptr(d, d->used + 4 + 8ULL * (i % d->size), 8), 8);
	return e;
}

/* Wait until the device has used `want` chains in total; false on timeout (5 s). */
static inline bool drv_wait_used(struct drv *d, uint16_t want)
{
	for (int i = 0; i < 5000; i++) {
		if ((uint16_t)(drv_used_idx(d) - want) < 0x8000)
			return true;
		usleep(1000);
	}
	return false;
}

/* A transport that counts notifications; used_fd is signalled on each used notify. */
struct fake_transport {
	int used, config;
	int used_fd;
};

static inline void fake_signal_used(struct virtio_device *vdev, unsigned q)
{
	struct fake_transport *t = vdev->transport_priv;

	(void)q;
	__atomic_fetch_add(&t->used, 1, __ATOMIC_RELAXED);
	if (t->used_fd >= 0) {
		uint64_t one = 1;

		if (write(t->used_fd, &one, 8) != 8)
			abort();
	}
}

static inline void fake_signal_config(struct virtio_device *vdev)
{
	struct fake_transport *t = vdev->transport_priv;

	__atomic_fetch_add(&t->config, 1, __ATOMIC_RELAXED);
}

static const struct virtio_transport_ops fake_transport_ops = {
	.signal_used = fake_signal_used,
	.signal_config = fake_signal_config,
};

#endif
