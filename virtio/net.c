// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net over a tap device. Two data paths:
 *  - userspace: one worker thread per device runs an epoll loop over the
 *    queues' kick eventfds and the tap fds; received frames are read
 *    straight into the guest's buffers (readv), sent ones written from
 *    them (writev) after net_hdr.c has checked a copy of the header;
 *  - vhost-net (opt-in): the kernel moves the packets of each queue pair
 *    between tap and rings; skiff only relays vhost's "used" eventfds to
 *    the transport, so MSI-X masking and virtio-mmio's interrupt status
 *    keep working. The control queue stays in userspace in both cases.
 * Offloads (checksum, TSO) are offered only if the tap takes them.
 */
#include <endian.h>
#include <errno.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net_hdr.h"
#include "net_host.h"
#include "vhost.h"
#include "virtio-priv.h"
#include "virtq.h"

#define NET_QUEUE_SIZE   256
#define NET_CTRL_SIZE    64
#define NET_MAX_PAIRS    ((VIRTIO_MAX_QUEUES - 1) / 2)
#define NET_RX_BUDGET    128     /* frames per wake-up before looking at other queues */
#define NET_MAX_IOV      1024    /* UIO_MAXIOV: readv takes no more */
#define VIRTIO_NET_S_LINK_UP 1

enum { NET_EV_STOP, NET_EV_KICK, NET_EV_TAP, NET_EV_CALL };
#define NET_EV(type, i) ((uint64_t)(type) << 32 | (uint32_t)(i))

struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_config) == 10, "virtio_net_config layout");

struct net_pair {
	int tap;
	int vhost;           /* -1: userspace path */
	bool rx_blocked;     /* no receive buffers: the tap is not polled for input */
	bool tx_blocked;     /* the tap refused a frame for now: wait for EPOLLOUT */
	uint32_t events;     /* what the tap is registered for */
};

struct net_dev {
	struct virtio_device vdev;
	char name[80];
	unsigned max_pairs;
	unsigned offloads;   /* TUN_F_* the tap takes */
	bool use_vhost;
	struct virtio_net_config config;
	struct net_pair pairs[NET_MAX_PAIRS];

	/* Valid between activate and reset. */
	pthread_t thread;
	int epfd, stop_fd;
	int call_fd[VIRTIO_MAX_QUEUES];
	struct virtq vqs[VIRTIO_MAX_QUEUES];
	bool notify[VIRTIO_MAX_QUEUES];
	unsigned nr_pairs, ctrl_q, active_pairs;
	struct virtq_chain chain;
	struct net_tx tx;
	bool bad_tx_logged, tap_error_logged;
};

static struct net_dev *to_net(struct virtio_device *vdev)
{
	return vdev->priv;
}

static int net_epoll(struct net_dev *n, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(n->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

/* Poll the tap for input unless the guest gave no buffers, for output while a frame waits. */
static void net_tap_update(struct net_dev *n, unsigned p)
{
	struct net_pair *pr = &n->pairs[p];
	uint32_t ev = (pr->rx_blocked ? 0 : EPOLLIN) | (pr->tx_blocked ? EPOLLOUT : 0);

	if (ev != pr->events && net_epoll(n, EPOLL_CTL_MOD, pr->tap, ev, NET_EV(NET_EV_TAP, p)) == 0)
		pr->events = ev;
}

static void net_rx(struct net_dev *n, unsigned p)
{
	struct virtq *vq = &n->vqs[2 * p];
	struct virtq_chain *c = &n->chain;
	const uint16_t one = htole16(1);

	for (unsigned budget = NET_RX_BUDGET; budget; budget--) {
		int r = virtq_pop(vq, c);
		ssize_t len;

		if (r < 0) {  /* the queue is broken: stop polling the tap, or it would spin */
			n->pairs[p].rx_blocked = true;
			break;
		}
		if (r == 0) {
			if (virtq_enable_notify(vq))
				continue;
			n->pairs[p].rx_blocked = true;  /* until the driver kicks the queue */
			break;
		}
		if (!net_rx_chain_ok(c->nr_out, c->nr_in, c->in_len)) {
			vq->ready = false;
			virtio_device_broken(&n->vdev, "queue %u: receive buffer readable or shorter than %u bytes",
					     2 * p, (unsigned)(sizeof(struct virtio_net_hdr_v1) + NET_ETH_HLEN));
			n->pairs[p].rx_blocked = true;
			break;
		}
		len = readv(n->pairs[p].tap, c->iov, c->nr_in < NET_MAX_IOV ? (int)c->nr_in : NET_MAX_IOV);
		if (len < 0 && (errno == EAGAIN || errno == EINTR)) {
			virtq_unpop(vq);
			break;
		}
		if (len < 0 && errno != EFAULT && errno != EINVAL) {
			if (!n->tap_error_logged)
				log_warn("%s: reading the tap: %s", n->name, strerror(errno));
			n->tap_error_logged = true;
			virtq_unpop(vq);
			n->pairs[p].rx_blocked = true;
			break;
		}
		/* Too short, or longer than the buffer (a tap reports a truncated frame's full length): dropped. */
		if (len < (ssize_t)sizeof(struct virtio_net_hdr_v1) || (uint64_t)len > c->in_len)
			len = 0;
		else  /* without MRG_RXBUF a frame is always one buffer */
			iov_from_buf(c->iov, c->nr_in, offsetof(struct virtio_net_hdr_v1, num_buffers), &one, 2);
		virtq_push(vq, c->head, (uint32_t)len);
		n->notify[2 * p] = true;
	}
	net_tap_update(n, p);
}

/* Send one checked frame; false if the tap is full and the chain must wait. */
static bool net_tx_one(struct net_dev *n, unsigned p)
{
	struct iovec iov[1 + NET_TX_MAX_SEGS];
	struct virtq_chain *c = &n->chain;

	if (net_tx_parse(c->iov, c->nr_out, c->nr_in, n->vdev.driver_features, &n->tx)) {
		if (!n->bad_tx_logged)
			log_warn("%s: dropped a frame the guest sent with a bad header or size (%llu bytes)",
				 n->name, (unsigned long long)c->out_len);
		n->bad_tx_logged = true;
		return true;
	}
	iov[0] = (struct iovec){ &n->tx.hdr, sizeof(n->tx.hdr) };
	memcpy(iov + 1, n->tx.frame, n->tx.nr_frame * sizeof(iov[0]));
	for (;;) {
		ssize_t r = writev(n->pairs[p].tap, iov, 1 + (int)n->tx.nr_frame);

		if (r >= 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return false;
		if (!n->tap_error_logged)
			log_warn("%s: writing to the tap: %s", n->name, strerror(errno));
		n->tap_error_logged = true;
		return true;  /* the frame is lost, as on a wire */
	}
}

static void net_tx(struct net_dev *n, unsigned p)
{
	struct virtq *vq = &n->vqs[2 * p + 1];
	int r;

	n->pairs[p].tx_blocked = false;
	do {
		while ((r = virtq_pop(vq, &n->chain)) == 1) {
			if (!net_tx_one(n, p)) {
				virtq_unpop(vq);
				n->pairs[p].tx_blocked = true;
				net_tap_update(n, p);
				return;
			}
			virtq_push(vq, n->chain.head, 0);
			n->notify[2 * p + 1] = true;
		}
	} while (r == 0 && virtq_enable_notify(vq));
	net_tap_update(n, p);
}

/* Use queue pairs [0, pairs) of a multi-queue tap, so that the kernel steers nothing elsewhere. */
static int net_set_pairs(struct net_dev *n, unsigned pairs)
{
	for (unsigned p = 0; p < n->max_pairs && n->max_pairs > 1; p++) {
		int r = net_tap_attach(n->pairs[p].tap, p < pairs);

		if (r) {
			log_warn("%s: %s tap queue %u: %s", n->name, p < pairs ? "attaching" : "detaching", p,
				 strerror(-r));
			return r;
		}
	}
	n->active_pairs = pairs;
	return 0;
}

static void net_ctrl(struct net_dev *n)
{
	struct virtq *vq = &n->vqs[n->ctrl_q];
	struct net_ctrl cmd;
	int r;

	do {
		while ((r = virtq_pop(vq, &n->chain)) == 1) {
			if (net_ctrl_parse(n->chain.iov, n->chain.nr_out, n->chain.nr_in, n->nr_pairs, &cmd)) {
				vq->ready = false;
				virtio_device_broken(&n->vdev, "control command without class or ack byte");
				return;
			}
			if (cmd.status == VIRTIO_NET_OK && net_set_pairs(n, cmd.pairs))
				cmd.status = VIRTIO_NET_ERR;
			__atomic_store_n(cmd.ack, cmd.status, __ATOMIC_RELAXED);
			virtq_push(vq, n->chain.head, 1);
			n->notify[n->ctrl_q] = true;
		}
	} while (r == 0 && virtq_enable_notify(vq));
}

static void net_kick(struct net_dev *n, unsigned q)
{
	virtio_eventfd_drain(n->vdev.queues[q].kick_fd);
	if (q == n->ctrl_q) {
		net_ctrl(n);
	} else if (q % 2 == 0) {
		n->pairs[q / 2].rx_blocked = false;
		net_rx(n, q / 2);
	} else {
		net_tx(n, q / 2);
	}
}

static bool net_handle(struct net_dev *n, const struct epoll_event *ev)
{
	unsigned type = (unsigned)(ev->data.u64 >> 32), i = (uint32_t)ev->data.u64;

	switch (type) {
	case NET_EV_STOP:
		return false;
	case NET_EV_KICK:
		net_kick(n, i);
		break;
	case NET_EV_TAP:
		if (ev->events & (EPOLLOUT | EPOLLERR))
			net_tx(n, i);
		if (ev->events & EPOLLIN)
			net_rx(n, i);
		break;
	case NET_EV_CALL:  /* vhost used buffers: the transport interrupts the driver */
		virtio_eventfd_drain(n->call_fd[i]);
		virtio_signal_used(&n->vdev, i);
		break;
	}
	return true;
}

/* Interrupt the driver for what was used since the last call, once per queue, before sleeping. */
static void net_notify(struct net_dev *n)
{
	for (unsigned q = 0; q < n->vdev.nr_queues; q++) {
		if (n->notify[q])
			virtq_notify(&n->vqs[q]);
		n->notify[q] = false;
	}
}

static void *net_worker(void *arg)
{
	struct net_dev *n = arg;
	struct epoll_event ev[32];
	bool run = true;

	for (unsigned p = 0; p < n->nr_pairs; p++)
		if (n->pairs[p].vhost < 0 && n->vqs[2 * p].ready)
			net_tx(n, p);  /* frames queued before DRIVER_OK */
	net_notify(n);
	while (run) {
		int nev = epoll_wait(n->epfd, ev, 32, -1);

		if (nev < 0 && errno != EINTR) {
			log_error("%s: epoll_wait: %s", n->name, strerror(errno));
			break;
		}
		for (int i = 0; i < nev && run; i++)
			run = net_handle(n, &ev[i]);
		net_notify(n);
	}
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------ */

/* Give queue pair p to a fresh vhost-net instance; its "used" eventfds are relayed by the worker. */
static int net_start_vhost(struct net_dev *n, unsigned p)
{
	struct net_vhost_ring ring[2];
	uint64_t features;
	int r;

	for (unsigned i = 0; i < 2; i++) {
		unsigned q = 2 * p + i;

		n->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->call_fd[q] < 0)
			return -errno;
		r = net_epoll(n, EPOLL_CTL_ADD, n->call_fd[q], EPOLLIN, NET_EV(NET_EV_CALL, q));
		if (r)
			return r;
		ring[i] = (struct net_vhost_ring){ &n->vdev.queues[q], n->call_fd[q] };
	}
	r = net_vhost_open(&n->pairs[p].vhost, &features);
	if (r)
		return r;
	r = net_vhost_start(n->pairs[p].vhost, n->vdev.driver_features, n->vdev.mem, ring, n->pairs[p].tap);
	if (r == -EFAULT)
		virtio_device_broken(&n->vdev, "queue pair %u: ring outside guest RAM or badly aligned", p);
	return r;
}

static int net_start_user(struct net_dev *n, unsigned p)
{
	int r;

	for (unsigned q = 2 * p; q < 2 * p + 2; q++) {
		r = virtq_init(&n->vqs[q], &n->vdev, q);
		if (r)
			return r;
		r = net_epoll(n, EPOLL_CTL_ADD, n->vdev.queues[q].kick_fd, EPOLLIN, NET_EV(NET_EV_KICK, q));
		if (r)
			return r;
	}
	n->pairs[p].events = EPOLLIN;
	return net_epoll(n, EPOLL_CTL_ADD, n->pairs[p].tap, EPOLLIN, NET_EV(NET_EV_TAP, p));
}

static int net_start_pair(struct net_dev *n, unsigned p)
{
	const struct virtio_queue_cfg *rx = &n->vdev.queues[2 * p], *tx = &n->vdev.queues[2 * p + 1];
	int r;

	if (!rx->enabled || !tx->enabled)
		return p == 0 ? -EINVAL : 0;  /* a driver may leave pairs beyond the first unused */
	if (rx->kick_fd < 0 || tx->kick_fd < 0)
		return -EINVAL;
	n->pairs[p].rx_blocked = n->pairs[p].tx_blocked = false;
	if (n->offloads) {
		r = net_tap_set_offloads(n->pairs[p].tap, n->vdev.driver_features);
		if (r)
			return r;
	}
	return n->use_vhost ? net_start_vhost(n, p) : net_start_user(n, p);
}

static int net_start_ctrl(struct net_dev *n)
{
	const struct virtio_queue_cfg *c = &n->vdev.queues[n->ctrl_q];
	int r;

	if (n->ctrl_q >= n->vdev.nr_queues || !c->enabled)
		return 0;
	if (c->kick_fd < 0)
		return -EINVAL;
	r = virtq_init(&n->vqs[n->ctrl_q], &n->vdev, n->ctrl_q);
	return r ? r : net_epoll(n, EPOLL_CTL_ADD, c->kick_fd, EPOLLIN, NET_EV(NET_EV_KICK, n->ctrl_q));
}

/* Undo whatever net_activate() got to; safe on a partly started device. */
static void net_stop(struct net_dev *n)
{
	for (unsigned p = 0; p < n->max_pairs; p++) {
		if (n->pairs[p].vhost >= 0) {
			net_vhost_stop(n->pairs[p].vhost);
			close(n->pairs[p].vhost);
		}
		n->pairs[p].vhost = -1;
	}
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (n->call_fd[q] >= 0)
			close(n->call_fd[q]);
		n->call_fd[q] = -1;
	}
	if (n->epfd >= 0)
		close(n->epfd);
	if (n->stop_fd >= 0)
		close(n->stop_fd);
	n->epfd = n->stop_fd = -1;
	memset(n->vqs, 0, sizeof(n->vqs));
	memset(n->notify, 0, sizeof(n->notify));
}

static int net_activate(struct virtio_device *vdev)
{
	struct net_dev *n = to_net(vdev);
	int r;

	if (n->use_vhost && vhost_viommu_fallback(vdev, "the userspace data path"))
		n->use_vhost = false;
	n->nr_pairs = virtio_has_feature(vdev, VIRTIO_NET_F_MQ) ? n->max_pairs : 1;
	n->ctrl_q = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ) ? 2 * n->nr_pairs : VIRTIO_MAX_QUEUES;
	n->bad_tx_logged = n->tap_error_logged = false;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	n->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->epfd < 0 || n->stop_fd < 0) {
		r = -errno;
		goto err;
	}
	r = net_epoll(n, EPOLL_CTL_ADD, n->stop_fd, EPOLLIN, NET_EV(NET_EV_STOP, 0));
	for (unsigned p = 0; p < n->nr_pairs && !r; p++)
		r = net_start_pair(n, p);
	if (!r)
		r = net_start_ctrl(n);
	if (!r)  /* a multi-queue driver starts with one pair until it asks for more */
		r = net_set_pairs(n, 1);
	if (!r)
		r = virtio_thread_start(&n->thread, net_worker, n);
	if (!r)
		return 0;
err:
	net_stop(n);
	return r;
}

static void net_reset(struct virtio_device *vdev)
{
	struct net_dev *n = to_net(vdev);

	virtio_eventfd_signal(n->stop_fd);
	pthread_join(n->thread, NULL);
	net_stop(n);
}

static uint64_t net_features(struct virtio_device *vdev)
{
	struct net_dev *n = to_net(vdev);
	uint64_t f = 1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX | 1ULL << VIRTIO_NET_F_STATUS;

	if (n->config.mac[0] | n->config.mac[1] | n->config.mac[2] | n->config.mac[3] | n->config.mac[4] |
	    n->config.mac[5])
		f |= 1ULL << VIRTIO_NET_F_MAC;
	if (n->max_pairs > 1)
		f |= 1ULL << VIRTIO_NET_F_CTRL_VQ | 1ULL << VIRTIO_NET_F_MQ;
	if (n->offloads & TUN_F_CSUM)
		f |= 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	if (n->offloads & TUN_F_TSO4)
		f |= 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO4;
	if (n->offloads & TUN_F_TSO6)
		f |= 1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_TSO6;
	if (n->offloads & TUN_F_TSO_ECN)
		f |= 1ULL << VIRTIO_NET_F_HOST_ECN | 1ULL << VIRTIO_NET_F_GUEST_ECN;
	return f;
}

static void net_read_config(struct virtio_device *vdev, uint64_t offset, void *data, unsigned len)
{
	struct net_dev *n = to_net(vdev);

	virtio_config_read(&n->config, sizeof(n->config), offset, data, len);
}

static void net_write_config(struct virtio_device *vdev, uint64_t offset, const void *data, unsigned len)
{
	/* The MAC is read-only with VERSION_1 (no VIRTIO_NET_F_CTRL_MAC_ADDR): writes are dropped. */
	(void)vdev, (void)offset, (void)data, (void)len;
}

static void net_destroy(struct virtio_device *vdev)
{
	struct net_dev *n = to_net(vdev);

	for (unsigned p = 0; p < n->max_pairs; p++)
		if (n->pairs[p].tap >= 0)
			close(n->pairs[p].tap);
	free(n->chain.iov);
	free(n);
}

static const struct virtio_device_ops net_ops = {
	.features = net_features,
	.read_config = net_read_config,
	.write_config = net_write_config,
	.activate = net_activate,
	.reset = net_reset,
	.destroy = net_destroy,
};

/* Open the tap, one fd per queue pair, with a message a user can act on. */
static int net_open_taps(struct net_dev *n, const struct virtio_net_params *p, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n->max_pairs; i++) {
		bool created = false;
		int r = net_tap_open(p->tap_name, n->max_pairs > 1, &n->pairs[i].tap, &created);

		if ((r == -EPERM || r == -EACCES) && access("/dev/net/tun", R_OK | W_OK) < 0) {
			snprintf(err, errlen, "may not open /dev/net/tun (%s), so no tap at all, %s included",
				 strerror(errno), p->tap_name);
		} else if (r == -EPERM || r == -EACCES) {
			snprintf(err, errlen, "may not open tap %s (%s): skiff needs CAP_NET_ADMIN, or the tap "
				 "must be created for skiff's user (ip tuntap add %s mode tap user ...)",
				 p->tap_name, strerror(-r), p->tap_name);
		} else if (r == -EINVAL || r == -EBUSY) {
			snprintf(err, errlen, "cannot attach to %s (%s): not a tap, in use, or created with%s "
				 "multi_queue (queue_pairs %u)", p->tap_name, strerror(-r),
				 n->max_pairs > 1 ? "out" : "", n->max_pairs);
		} else if (r) {
			snprintf(err, errlen, "cannot open tap %s: %s", p->tap_name, strerror(-r));
		} else if (created && i == 0) {
			log_info("%s: created tap %s (it goes away when skiff exits)", n->name, p->tap_name);
			if (net_tap_set_up(p->tap_name))
				log_warn("%s: cannot bring %s up", n->name, p->tap_name);
		}
		if (r) {
			n->pairs[i].tap = -1;
			return r;
		}
	}
	return 0;
}

/* vhost-net when asked for and present; otherwise the userspace path, said once. */
static void net_probe_vhost(struct net_dev *n)
{
	uint64_t features;
	int fd, r = net_vhost_open(&fd, &features);

	if (r) {
		log_warn("%s: vhost-net unavailable (/dev/vhost-net: %s); using the userspace data path",
			 n->name, strerror(-r));
		return;
	}
	close(fd);
	n->use_vhost = true;
	log_info("%s: data path in the kernel (vhost-net)", n->name);
}

static void net_init_vdev(struct net_dev *n, const struct virtio_net_params *p, const struct gmem *mem)
{
	unsigned nq = 2 * n->max_pairs + (n->max_pairs > 1);

	if (p->mac)
		memcpy(n->config.mac, p->mac, 6);
	n->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->config.max_virtqueue_pairs = htole16((uint16_t)n->max_pairs);
	n->vdev.name = n->name;
	n->vdev.device_id = VIRTIO_ID_NET;
	n->vdev.ops = &net_ops;
	n->vdev.priv = n;
	n->vdev.mem = mem;
	n->vdev.nr_queues = nq;
	for (unsigned q = 0; q < nq; q++) {
		uint16_t size = q == 2 * n->max_pairs ? NET_CTRL_SIZE : NET_QUEUE_SIZE;

		n->vdev.queues[q] = (struct virtio_queue_cfg){ .size = size, .max_size = size,
							       .msix_vector = 0xffff, .kick_fd = -1 };
	}
}

int virtio_net_create(const struct virtio_net_params *p, const struct gmem *mem,
		      struct virtio_device **ret, char *err, size_t errlen)
{
	unsigned pairs = p->queue_pairs ? p->queue_pairs : 1;
	struct net_dev *n;
	int r;

	if (pairs > NET_MAX_PAIRS) {
		snprintf(err, errlen, "at most %u queue pairs", (unsigned)NET_MAX_PAIRS);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		goto nomem;
	n->chain.cap = NET_QUEUE_SIZE + VIRTIO_QUEUE_MAX_SIZE;  /* direct descriptors plus one indirect table */
	n->chain.iov = calloc(n->chain.cap, sizeof(struct iovec));
	if (!n->chain.iov)
		goto nomem;
	n->vdev.priv = n;
	snprintf(n->name, sizeof(n->name), "virtio-net %s", p->name ? p->name : p->tap_name);
	n->max_pairs = pairs;
	n->epfd = n->stop_fd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		n->call_fd[q] = -1;
	for (unsigned i = 0; i < NET_MAX_PAIRS; i++)
		n->pairs[i].tap = n->pairs[i].vhost = -1;
	if (p->test_fds) {  /* unit tests: datagram sockets stand in for the tap, no offloads */
		for (unsigned i = 0; i < pairs; i++)
			n->pairs[i].tap = p->test_fds[i];
	} else {
		r = net_open_taps(n, p, err, errlen);
		if (r)
			goto err;
		n->offloads = net_tap_probe_offloads(n->pairs[0].tap);
		if (p->vhost)
			net_probe_vhost(n);
	}
	net_init_vdev(n, p, mem);
	*ret = &n->vdev;
	return 0;

nomem:
	snprintf(err, errlen, "out of memory");
	r = -ENOMEM;
err:
	if (n) {
		n->max_pairs = NET_MAX_PAIRS;
		net_destroy(&n->vdev);
	}
	return r;
}
