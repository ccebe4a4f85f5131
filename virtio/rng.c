// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-rng (entropy device): every writable buffer the driver offers is
 * filled from getrandom(). One queue, served by a small poll() worker.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "virtio-priv.h"
#include "virtq.h"

#define RNG_QUEUE_SIZE 64

struct rng_dev {
	struct virtio_device vdev;
	pthread_t thread;
	int stop_fd;
	struct virtq vq;
	struct virtq_chain chain;
};

static size_t rng_fill(const struct iovec *iov, unsigned n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			ssize_t r = getrandom(p, left, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return total;
			p += r;
			left -= (size_t)r;
			total += (size_t)r;
		}
	}
	return total;
}

static void rng_process(struct rng_dev *d)
{
	int r;

	do {
		while ((r = virtq_pop(&d->vq, &d->chain)) == 1) {
			size_t n = rng_fill(d->chain.iov + d->chain.nr_out, d->chain.nr_in);

			virtq_push(&d->vq, d->chain.head, (uint32_t)n);  /* <= 4 GiB - 1 per chain cap */
		}
	} while (r == 0 && virtq_enable_notify(&d->vq));
	virtq_notify(&d->vq);
}

static void *rng_worker(void *arg)
{
	struct rng_dev *d = arg;
	const int kick = d->vdev.queues[0].kick_fd;

	rng_process(d);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = d->stop_fd, .events = POLLIN }, { .fd = kick, .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: poll: %s", d->vdev.name, strerror(errno));
			return NULL;
		}
		if (pfd[0].revents)
			return NULL;
		if (pfd[1].revents) {
			virtio_eventfd_drain(kick);
			rng_process(d);
		}
	}
}

static int rng_activate(struct virtio_device *vdev)
{
	struct rng_dev *d = vdev->priv;
	int r;

	if (!vdev->queues[0].enabled || vdev->queues[0].kick_fd < 0)
		return -EINVAL;
	r = virtq_init(&d->vq, vdev, 0);
	if (r)
		return r;
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->stop_fd < 0)
		return -errno;
	r = virtio_thread_start(&d->thread, rng_worker, d);
	if (r) {
		close(d->stop_fd);
		d->stop_fd = -1;
	}
	return r;
}

static void rng_reset(struct virtio_device *vdev)
{
	struct rng_dev *d = vdev->priv;

	virtio_eventfd_signal(d->stop_fd);
	pthread_join(d->thread, NULL);
	close(d->stop_fd);
	d->stop_fd = -1;
	memset(&d->vq, 0, sizeof(d->vq));
}

static uint64_t rng_features(struct virtio_device *vdev)
{
	(void)vdev;
	return 1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;
}

static void rng_read_config(struct virtio_device *vdev, uint64_t offset, void *data, unsigned len)
{
	(void)vdev, (void)offset;
	memset(data, 0, len);  /* no config space */
}

static void rng_write_config(struct virtio_device *vdev, uint64_t offset, const void *data, unsigned len)
{
	(void)vdev, (void)offset, (void)data, (void)len;
}

static void rng_destroy(struct virtio_device *vdev)
{
	struct rng_dev *d = vdev->priv;

	free(d->chain.iov);
	free(d);
}

static const struct virtio_device_ops rng_ops = {
	.features = rng_features,
	.read_config = rng_read_config,
	.write_config = rng_write_config,
	.activate = rng_activate,
	.reset = rng_reset,
	.destroy = rng_destroy,
};

int virtio_rng_create(const struct gmem *mem, struct virtio_device **ret)
{
	struct rng_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->chain.cap = RNG_QUEUE_SIZE + VIRTIO_QUEUE_MAX_SIZE;
	d->chain.iov = calloc(d->chain.cap, sizeof(struct iovec));
	if (!d->chain.iov) {
		free(d);
		return -ENOMEM;
	}
	d->stop_fd = -1;
	d->vdev.name = "virtio-rng";
	d->vdev.device_id = VIRTIO_ID_RNG;
	d->vdev.ops = &rng_ops;
	d->vdev.priv = d;
	d->vdev.mem = mem;
	d->vdev.nr_queues = 1;
	d->vdev.queues[0] = (struct virtio_queue_cfg){ .size = RNG_QUEUE_SIZE, .max_size = RNG_QUEUE_SIZE,
						       .msix_vector = 0xffff, .kick_fd = -1 };
	*ret = &d->vdev;
	return 0;
}
