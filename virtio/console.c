// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-console with one port (no MULTIPORT): the guest's hvc0. Queue 0
 * (receiveq) is filled from in_fd, queue 1 (transmitq) is written to
 * out_fd. A worker thread poll()s the kick eventfds and in_fd: a console
 * moves a few bytes at a time, io_uring would buy nothing here.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio-priv.h"
#include "virtq.h"

#define CONSOLE_RX 0
#define CONSOLE_TX 1

struct virtio_console_config {
	uint16_t cols, rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
};
_Static_assert(sizeof(struct virtio_console_config) == 12, "virtio_console_config layout");

struct console_dev {
	struct virtio_device vdev;
	int in_fd, out_fd;
	struct virtio_console_config config;

	pthread_t thread;
	int stop_fd;
	struct virtq vqs[2];
	struct virtq_chain chain;
	bool rx_starved;   /* input waits for the driver to add receive buffers */
	bool in_closed;    /* EOF or error on in_fd: stop polling it */
};

static void console_write_all(struct console_dev *c, const struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		while (left) {
			ssize_t w = write(c->out_fd, p, left);

			if (w < 0 && errno == EAGAIN) {
				struct pollfd pfd = { .fd = c->out_fd, .events = POLLOUT };

				(void)poll(&pfd, 1, -1);
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)  /* output gone: the guest's bytes are dropped */
				return;
			p += w;
			left -= (size_t)w;
		}
	}
}

static void console_tx(struct console_dev *c)
{
	struct virtq *vq = &c->vqs[CONSOLE_TX];
	int r;

	do {
		while ((r = virtq_pop(vq, &c->chain)) == 1) {
			if (c->out_fd >= 0)
				console_write_all(c, c->chain.iov, c->chain.nr_out);
			virtq_push(vq, c->chain.head, 0);
		}
	} while (r == 0 && virtq_enable_notify(vq));
	virtq_notify(vq);
}

/* in_fd is readable: move what is there into one receive buffer. */
static void console_rx(struct console_dev *c)
{
	struct virtq *vq = &c->vqs[CONSOLE_RX];
	ssize_t n;
	int r = virtq_pop(vq, &c->chain);

	if (r <= 0) {
		if (r == 0 && virtq_enable_notify(vq))
			return;  /* a buffer just arrived: poll again */
		c->rx_starved = true;
		return;
	}
	if (!c->chain.nr_in) {  /* a receive buffer the device cannot write */
		virtq_push(vq, c->chain.head, 0);
		virtq_notify(vq);
		return;
	}
	do
		n = readv(c->in_fd, c->chain.iov + c->chain.nr_out, c->chain.nr_in > 1024 ? 1024 : (int)c->chain.nr_in);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		virtq_unpop(vq);
		if (n == 0 || errno != EAGAIN)
			c->in_closed = true;
		return;
	}
	virtq_push(vq, c->chain.head, (uint32_t)n);
	virtq_notify(vq);
}

static void *console_worker(void *arg)
{
	struct console_dev *c = arg;
	const int rx_kick = c->vdev.queues[CONSOLE_RX].kick_fd, tx_kick = c->vdev.queues[CONSOLE_TX].kick_fd;

	if (c->vqs[CONSOLE_TX].ready)
		console_tx(c);
	for (;;) {
		struct pollfd pfd[4] = {
			{ .fd = c->stop_fd, .events = POLLIN },
			{ .fd = c->vqs[CONSOLE_RX].ready ? rx_kick : -1, .events = POLLIN },
			{ .fd = c->vqs[CONSOLE_TX].ready ? tx_kick : -1, .events = POLLIN },
			{ .fd = -1, .events = POLLIN },
		};

		if (c->in_fd >= 0 && !c->in_closed && !c->rx_starved && c->vqs[CONSOLE_RX].ready)
			pfd[3].fd = c->in_fd;
		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("%s: poll: %s", c->vdev.name, strerror(errno));
			return NULL;
		}
		if (pfd[0].revents)
			return NULL;
		if (pfd[1].revents) {
			virtio_eventfd_drain(rx_kick);
			c->rx_starved = false;
		}
		if (pfd[2].revents) {
			virtio_eventfd_drain(tx_kick);
			console_tx(c);
		}
		if (pfd[3].revents & (POLLIN | POLLHUP | POLLERR))
			console_rx(c);
	}
}

static int console_activate(struct virtio_device *vdev)
{
	struct console_dev *c = vdev->priv;
	int r;

	for (unsigned q = 0; q < 2; q++) {
		if (!vdev->queues[q].enabled)
			continue;
		if (vdev->queues[q].kick_fd < 0)
			return -EINVAL;
		r = virtq_init(&c->vqs[q], vdev, q);
		if (r)
			return r;
	}
	c->rx_starved = false;
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stop_fd < 0)
		return -errno;
	r = virtio_thread_start(&c->thread, console_worker, c);
	if (r) {
		close(c->stop_fd);
		c->stop_fd = -1;
	}
	return r;
}

static void console_reset(struct virtio_device *vdev)
{
	struct console_dev *c = vdev->priv;

	virtio_eventfd_signal(c->stop_fd);
	pthread_join(c->thread, NULL);
	close(c->stop_fd);
	c->stop_fd = -1;
	memset(c->vqs, 0, sizeof(c->vqs));
}

static uint64_t console_features(struct virtio_device *vdev)
{
	(void)vdev;
	return 1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;
}

static void console_read_config(struct virtio_device *vdev, uint64_t offset, void *data, unsigned len)
{
	struct console_dev *c = vdev->priv;

	virtio_config_read(&c->config, sizeof(c->config), offset, data, len);
}

static void console_write_config(struct virtio_device *vdev, uint64_t offset, const void *data, unsigned len)
{
	/* emerg_wr needs VIRTIO_CONSOLE_F_EMERG_WRITE, which is not offered. */
	(void)vdev, (void)offset, (void)data, (void)len;
}

static void console_destroy(struct virtio_device *vdev)
{
	struct console_dev *c = vdev->priv;

	free(c->chain.iov);
	free(c);
}

static const struct virtio_device_ops console_ops = {
	.features = console_features,
	.read_config = console_read_config,
	.write_config = console_write_config,
	.activate = console_activate,
	.reset = console_reset,
	.destroy = console_destroy,
};

#define CONSOLE_QUEUE_SIZE 256

int virtio_console_create(int in_fd, int out_fd, const struct gmem *mem, struct virtio_device **ret)
{
	struct console_dev *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->chain.cap = CONSOLE_QUEUE_SIZE + VIRTIO_QUEUE_MAX_SIZE;
	c->chain.iov = calloc(c->chain.cap, sizeof(struct iovec));
	if (!c->chain.iov) {
		free(c);
		return -ENOMEM;
	}
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->stop_fd = -1;
	c->config.max_nr_ports = 1;
	c->vdev.name = "virtio-console";
	c->vdev.device_id = VIRTIO_ID_CONSOLE;
	c->vdev.ops = &console_ops;
	c->vdev.priv = c;
	c->vdev.mem = mem;
	c->vdev.nr_queues = 2;
	for (unsigned q = 0; q < 2; q++)
		c->vdev.queues[q] = (struct virtio_queue_cfg){ .size = CONSOLE_QUEUE_SIZE,
			.max_size = CONSOLE_QUEUE_SIZE, .msix_vector = 0xffff, .kick_fd = -1 };
	*ret = &c->vdev;
	return 0;
}
