// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock, bridged to Unix sockets the way Firecracker does it (see
 * vsock_conn.c for the host side). Queues: 0 receive (host to guest),
 * 1 transmit, 2 events (never used: skiff has no live migration). One
 * worker thread per device runs an epoll loop over the kick eventfds,
 * the listening socket and every connection's socket.
 *
 * Flow control is virtio-vsock's credit scheme in both directions:
 *  - guest to host: each connection grants VSOCK_BUF_ALLOC bytes and
 *    reports in fwd_cnt what it has written to the socket; the guest
 *    never has more than that in flight, so the per-connection buffer
 *    for a slow reader cannot overflow;
 *  - host to guest: skiff reads from a socket only as much as the
 *    guest's last buf_alloc/fwd_cnt allow, and only when the guest has
 *    given receive buffers; otherwise the data stays in the socket and
 *    the host writer blocks.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost.h"
#include "vsock-priv.h"

#define VSOCK_QUEUE_SIZE 256
#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2

/* ---- host to guest ----------------------------------------------------------- */

static void vsock_put_hdr(struct vsock_dev *d, uint32_t local, uint32_t peer, uint16_t op, uint32_t flags,
			  uint32_t len, struct vsock_conn *c)
{
	struct virtio_vsock_hdr h = {
		.src_cid = VSOCK_HOST_CID, .dst_cid = d->guest_cid, .src_port = local, .dst_port = peer,
		.len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op, .flags = flags,
	}, le;

	if (c) {
		h.buf_alloc = VSOCK_BUF_ALLOC;
		h.fwd_cnt = c->fwd_cnt;
		c->fwd_told = c->fwd_cnt;
	}
	vsock_hdr_to_le(&h, &le);
	iov_from_buf(d->chain.iov, d->chain.nr_in, 0, &le, sizeof(le));
	virtq_push(&d->vqs[VSOCK_RXQ], d->chain.head, (uint32_t)sizeof(le) + len);
	d->notify[VSOCK_RXQ] = true;
}

/* A control packet c owes the guest, into the popped chain; false if none. */
static bool vsock_rx_control(struct vsock_dev *d, struct vsock_conn *c)
{
	static const struct { uint32_t bit; uint16_t op; } order[] = {
		{ VSOCK_SEND_REQUEST, VIRTIO_VSOCK_OP_REQUEST }, { VSOCK_SEND_RESPONSE, VIRTIO_VSOCK_OP_RESPONSE },
		{ VSOCK_SEND_CREDIT, VIRTIO_VSOCK_OP_CREDIT_UPDATE }, { VSOCK_SEND_SHUTDOWN, VIRTIO_VSOCK_OP_SHUTDOWN },
	};

	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->pending & order[i].bit))
			continue;
		c->pending &= ~order[i].bit;
		vsock_put_hdr(d, c->local_port, c->peer_port, order[i].op,
			      order[i].op == VIRTIO_VSOCK_OP_SHUTDOWN ? VIRTIO_VSOCK_SHUTDOWN_SEND : 0, 0, c);
		return true;
	}
	return false;
}

/* Stream data from c's socket into the popped chain: 1 sent, 0 nothing to read, -1 c was reset. */
static int vsock_rx_data(struct vsock_dev *d, struct vsock_conn *c)
{
	struct iovec iov[VSOCK_MAX_SEGS];
	uint32_t credit = vsock_peer_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->tx_cnt);
	uint64_t room = d->chain.in_len - sizeof(struct virtio_vsock_hdr);
	size_t want = credit < room ? credit : (size_t)room;
	unsigned n = 0;
	ssize_t got;

	if (want > VSOCK_MAX_PAYLOAD)
		want = VSOCK_MAX_PAYLOAD;
	if (want == 0)
		return 0;  /* a buffer with room for the header only: keep it for control packets */
	/* The payload goes straight into guest memory, after the header. */
	for (unsigned i = 0, skip = sizeof(struct virtio_vsock_hdr); i < d->chain.nr_in && n < VSOCK_MAX_SEGS; i++) {
		struct iovec v = d->chain.iov[i];

		if (skip >= v.iov_len) {
			skip -= (unsigned)v.iov_len;
			continue;
		}
		iov[n++] = (struct iovec){ (uint8_t *)v.iov_base + skip, v.iov_len - skip };
		skip = 0;
	}
	for (unsigned i = 0, left = (unsigned)want; i < n; i++) {
		if (iov[i].iov_len > left)
			iov[i].iov_len = left;
		left -= (unsigned)iov[i].iov_len;
	}
	got = readv(c->fd, iov, (int)n);
	if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->readable = false;
		vsock_conn_update_events(d, c);
		return 0;
	}
	if (got < 0) {
		vsock_conn_reset(d, c);
		return -1;
	}
	if (got == 0) {  /* the host ended its side: the guest reads EOF, may still send */
		c->host_eof = true;
		c->readable = false;
		vsock_put_hdr(d, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, 0, c);
		vsock_conn_update_events(d, c);
		return 1;
	}
	c->tx_cnt += (uint32_t)got;
	vsock_put_hdr(d, c->local_port, c->peer_port, VIRTIO_VSOCK_OP_RW, 0, (uint32_t)got, c);
	return 1;
}

static bool vsock_rx_fill(struct vsock_dev *d)
{
	if (d->rst_len) {
		struct vsock_rst r = d->rst[d->rst_head];

		d->rst_head = (d->rst_head + 1) % VSOCK_RST_RING;
		d->rst_len--;
		vsock_put_hdr(d, r.local_port, r.peer_port, VIRTIO_VSOCK_OP_RST, 0, 0, NULL);
		return true;
	}
	for (unsigned k = 0; k < VSOCK_MAX_CONNS; k++) {
		unsigned i = (d->rr + k) % VSOCK_MAX_CONNS;
		struct vsock_conn *c = &d->conns[i];

		if (c->state < VSOCK_CONN_HOST_WAIT)
			continue;
		if (vsock_rx_control(d, c)) {
			d->rr = i + 1;
			return true;
		}
		if (c->state != VSOCK_CONN_ESTABLISHED || !c->readable || c->guest_shut_rcv ||
		    !vsock_peer_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->tx_cnt))
			continue;
		int r = vsock_rx_data(d, c);

		if (r < 0)
			return vsock_rx_fill(d);  /* the reset queued an RST: send it now */
		if (r > 0) {
			d->rr = i + 1;
			return true;
		}
	}
	return false;
}

static void vsock_rx(struct vsock_dev *d)
{
	struct virtq *vq = &d->vqs[VSOCK_RXQ];

	if (!vq->ready)
		return;
	for (;;) {
		int r = virtq_pop(vq, &d->chain);

		if (r < 0)
			return;
		if (r == 0) {
			if (virtq_enable_notify(vq))
				continue;
			d->rx_starved = true;
			return;
		}
		if (d->chain.nr_out || d->chain.in_len < sizeof(struct virtio_vsock_hdr)) {
			vq->ready = false;
			virtio_device_broken(&d->vdev, "receive buffer readable or shorter than a packet header");
			return;
		}
		if (!vsock_rx_fill(d)) {
			virtq_unpop(vq);
			return;
		}
	}
}

/* ---- guest to host ------------------------------------------------------------ */

static void vsock_tx_conn(struct vsock_dev *d, struct vsock_conn *c, const struct vsock_pkt *p)
{
	const struct virtio_vsock_hdr *h = &p->hdr;

	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VIRTIO_VSOCK_OP_RST:
		vsock_conn_close(d, c);
		break;
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state == VSOCK_CONN_HOST_WAIT)
			vsock_conn_established(d, c);
		else
			vsock_conn_reset(d, c);
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != VSOCK_CONN_ESTABLISHED ||
		    !vsock_conn_from_guest(d, c, p->payload, p->nr_payload, h->len))
			vsock_conn_reset(d, c);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		vsock_conn_guest_shutdown(d, c, h->flags);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->pending |= VSOCK_SEND_CREDIT;
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:  /* the new credit is taken above */
		break;
	default:  /* a second REQUEST on a live connection */
		vsock_conn_reset(d, c);
		break;
	}
}

static void vsock_tx_one(struct vsock_dev *d)
{
	struct vsock_pkt *p = &d->pkt;
	enum vsock_verdict v = vsock_pkt_parse(d->chain.iov, d->chain.nr_out, d->chain.nr_in, d->guest_cid, p);
	struct vsock_conn *c;

	if (v == VSOCK_PKT_DROP)
		return;
	if (v == VSOCK_PKT_RST) {
		if (p->hdr.op != VIRTIO_VSOCK_OP_RST)
			vsock_queue_rst(d, p->hdr.dst_port, p->hdr.src_port);
		return;
	}
	c = vsock_conn_find(d, p->hdr.dst_port, p->hdr.src_port);
	if (c)
		vsock_tx_conn(d, c, p);
	else if (p->hdr.op == VIRTIO_VSOCK_OP_REQUEST)
		vsock_conn_guest_connect(d, &p->hdr);
	else if (p->hdr.op != VIRTIO_VSOCK_OP_RST)
		vsock_queue_rst(d, p->hdr.dst_port, p->hdr.src_port);
}

static void vsock_tx(struct vsock_dev *d)
{
	struct virtq *vq = &d->vqs[VSOCK_TXQ];
	int r;

	do {
		while ((r = virtq_pop(vq, &d->chain)) == 1) {
			vsock_tx_one(d);
			virtq_push(vq, d->chain.head, 0);
			d->notify[VSOCK_TXQ] = true;
		}
	} while (r == 0 && virtq_enable_notify(vq));
}

/* ---- worker -------------------------------------------------------------------- */

static bool vsock_handle(struct vsock_dev *d, const struct epoll_event *ev)
{
	unsigned type = (unsigned)(ev->data.u64 >> 32), i = (uint32_t)ev->data.u64;

	switch (type) {
	case VSOCK_EV_STOP:
		return false;
	case VSOCK_EV_KICK:
		virtio_eventfd_drain(d->vdev.queues[i].kick_fd);
		if (i == VSOCK_TXQ)
			vsock_tx(d);
		else if (i == VSOCK_RXQ)
			d->rx_starved = false;
		break;  /* event queue: buffers are kept for events that never come */
	case VSOCK_EV_LISTEN:
		vsock_conn_accept(d);
		break;
	case VSOCK_EV_CONN:
		if (i < VSOCK_MAX_CONNS && d->conns[i].state != VSOCK_CONN_FREE)
			vsock_conn_event(d, &d->conns[i], ev->events);
		break;
	case VSOCK_EV_CALL:  /* vhost-vsock used buffers: the transport interrupts the driver */
		virtio_eventfd_drain(d->call_fd[i]);
		virtio_signal_used(&d->vdev, i);
		break;
	}
	return true;
}

static void *vsock_worker(void *arg)
{
	struct vsock_dev *d = arg;
	struct epoll_event ev[32];
	bool run = true;

	if (d->vhost_fd < 0)
		vsock_tx(d);  /* packets queued before DRIVER_OK */
	while (run) {
		int nev;

		if (!d->rx_starved && d->vhost_fd < 0)
			vsock_rx(d);
		for (unsigned q = 0; q < 3; q++) {
			if (d->notify[q])
				virtq_notify(&d->vqs[q]);
			d->notify[q] = false;
		}
		nev = epoll_wait(d->epfd, ev, 32, -1);
		if (nev < 0 && errno != EINTR) {
			log_error("%s: epoll_wait: %s", d->name, strerror(errno));
			break;
		}
		for (int i = 0; i < nev && run; i++)
			run = vsock_handle(d, &ev[i]);
	}
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------------ */

static int vsock_epoll_add(struct vsock_dev *d, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void vsock_stop(struct vsock_dev *d)
{
	if (d->vhost_fd >= 0) {
		(void)!vhost_vsock_set_running(d->vhost_fd, false);
		vhost_reset_owner(d->vhost_fd);
	}
	for (unsigned i = 0; i < 2; i++) {
		if (d->call_fd[i] >= 0)
			close(d->call_fd[i]);
		d->call_fd[i] = -1;
	}
	if (d->epfd >= 0) {
		vsock_conn_close_all(d);
		if (d->listen_fd >= 0)
			epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
		close(d->epfd);
	}
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	d->epfd = d->stop_fd = -1;
	memset(d->vqs, 0, sizeof(d->vqs));
	memset(d->notify, 0, sizeof(d->notify));
	d->rst_head = d->rst_len = 0;
	d->rx_starved = false;
}

/* vhost-vsock takes the receive and transmit rings; the event queue's kicks are drained here. */
static int vsock_start_vhost(struct vsock_dev *d)
{
	struct vhost_ring rings[2];
	int r;

	for (unsigned q = 0; q < 2; q++) {
		d->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->call_fd[q] < 0)
			return -errno;
		r = vsock_epoll_add(d, d->call_fd[q], VSOCK_EV(VSOCK_EV_CALL, q));
		if (r)
			return r;
		rings[q] = (struct vhost_ring){ q, &d->vdev.queues[q], d->call_fd[q] };
	}
	r = vsock_epoll_add(d, d->vdev.queues[VSOCK_EVQ].kick_fd, VSOCK_EV(VSOCK_EV_KICK, VSOCK_EVQ));
	if (!r)
		r = vhost_setup(d->vhost_fd, d->vdev.driver_features, d->vdev.mem, rings, 2);
	if (r == -EFAULT)
		virtio_device_broken(&d->vdev, "ring outside guest RAM or badly aligned");
	return r ? r : vhost_vsock_set_running(d->vhost_fd, true);
}

static int vsock_listen(const char *path, int *ret_fd, char *err, size_t errlen);

/*
 * A device behind a vIOMMU cannot use vhost-vsock: give up the CID claim
 * for good and open the Unix-socket bridge (its socket appears only now).
 */
static int vsock_leave_vhost(struct vsock_dev *d)
{
	char err[256];
	int r;

	if (d->vhost_fd < 0 || !vhost_viommu_fallback(&d->vdev, "the Unix-socket bridge"))
		return 0;
	close(d->vhost_fd);
	d->vhost_fd = -1;
	r = vsock_listen(d->uds_path, &d->listen_fd, err, sizeof(err));
	if (r)
		log_error("%s: %s", d->name, err);
	return r;
}

static int vsock_activate(struct virtio_device *vdev)
{
	struct vsock_dev *d = vdev->priv;
	int r = 0;

	for (unsigned q = 0; q < 3; q++)
		if (!vdev->queues[q].enabled || vdev->queues[q].kick_fd < 0)
			return -EINVAL;
	r = vsock_leave_vhost(d);
	if (r)
		return r;
	for (unsigned q = 0; q < 2 && !r && d->vhost_fd < 0; q++)
		r = virtq_init(&d->vqs[q], vdev, q);
	if (r)
		return r;
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		d->conns[i] = (struct vsock_conn){ .state = VSOCK_CONN_FREE, .fd = -1 };
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->epfd < 0 || d->stop_fd < 0)
		r = -errno;
	if (!r)
		r = vsock_epoll_add(d, d->stop_fd, VSOCK_EV(VSOCK_EV_STOP, 0));
	if (!r && d->vhost_fd >= 0) {
		r = vsock_start_vhost(d);
	} else {
		for (unsigned q = 0; q < 3 && !r; q++)
			r = vsock_epoll_add(d, vdev->queues[q].kick_fd, VSOCK_EV(VSOCK_EV_KICK, q));
		if (!r)
			r = vsock_epoll_add(d, d->listen_fd, VSOCK_EV(VSOCK_EV_LISTEN, 0));
	}
	if (!r)
		r = virtio_thread_start(&d->thread, vsock_worker, d);
	if (r)
		vsock_stop(d);
	return r;
}

/* The guest's transport is gone: every connection ends (host clients see EOF). */
static void vsock_reset(struct virtio_device *vdev)
{
	struct vsock_dev *d = vdev->priv;

	virtio_eventfd_signal(d->stop_fd);
	pthread_join(d->thread, NULL);
	vsock_stop(d);
}

static uint64_t vsock_features(struct virtio_device *vdev)
{
	(void)vdev;
	return 1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;
}

static void vsock_read_config(struct virtio_device *vdev, uint64_t offset, void *data, unsigned len)
{
	struct vsock_dev *d = vdev->priv;

	virtio_config_read(&d->config, sizeof(d->config), offset, data, len);
}

static void vsock_write_config(struct virtio_device *vdev, uint64_t offset, const void *data, unsigned len)
{
	(void)vdev, (void)offset, (void)data, (void)len;  /* guest_cid is read-only */
}

static void vsock_destroy(struct virtio_device *vdev)
{
	struct vsock_dev *d = vdev->priv;

	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->uds_path);
	}
	if (d->vhost_fd >= 0)
		close(d->vhost_fd);
	free(d->uds_path);
	free(d->chain.iov);
	free(d);
}

static const struct virtio_device_ops vsock_ops = {
	.features = vsock_features,
	.read_config = vsock_read_config,
	.write_config = vsock_write_config,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
};

/* A socket file nobody listens on (left by a VMM that died) may be replaced; anything else is kept. */
static bool vsock_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return r < 0 && errno == ECONNREFUSED;
}

static int vsock_listen(const char *path, int *ret_fd, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno == EADDRINUSE && vsock_stale_socket(&sa) && unlink(path) == 0)
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r == 0)
		r = listen(fd, 64);
	if (r < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create socket %s: %s", path,
			 r == -EADDRINUSE ? "a file or a live socket is already there" : strerror(-r));
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* vhost-vsock if asked for and present (it claims the CID host-wide); otherwise the Unix-socket bridge. */
static int vsock_open_backend(struct vsock_dev *d, const struct virtio_vsock_params *p, char *err, size_t errlen)
{
	if (p->vhost) {
		int r = vhost_vsock_open(p->guest_cid, &d->vhost_fd);

		if (r == -EADDRINUSE) {
			snprintf(err, errlen, "CID %u is already used by another VM on this host", p->guest_cid);
			return r;
		}
		if (!r) {
			log_info("%s: data path in the kernel (vhost-vsock); host programs use AF_VSOCK to CID %u, "
				 "uds_path is not used", d->name, p->guest_cid);
			return 0;
		}
		log_warn("%s: vhost-vsock unavailable (/dev/vhost-vsock: %s); using the Unix-socket bridge at %s",
			 d->name, strerror(-r), p->uds_path);
	}
	return vsock_listen(p->uds_path, &d->listen_fd, err, errlen);
}

int virtio_vsock_create(const struct virtio_vsock_params *p, const struct gmem *mem,
			struct virtio_device **ret, char *err, size_t errlen)
{
	struct vsock_dev *d = calloc(1, sizeof(*d));
	int r;

	if (!d || !(d->uds_path = strdup(p->uds_path)) ||
	    !(d->chain.iov = calloc(VSOCK_QUEUE_SIZE + VIRTIO_QUEUE_MAX_SIZE, sizeof(struct iovec)))) {
		if (d)
			free(d->uds_path);
		free(d);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->chain.cap = VSOCK_QUEUE_SIZE + VIRTIO_QUEUE_MAX_SIZE;
	d->vdev.priv = d;
	d->epfd = d->stop_fd = d->listen_fd = d->vhost_fd = -1;
	d->call_fd[0] = d->call_fd[1] = -1;
	snprintf(d->name, sizeof(d->name), "virtio-vsock cid %u", p->guest_cid);
	r = vsock_open_backend(d, p, err, errlen);
	if (r) {
		vsock_destroy(&d->vdev);
		return r;
	}
	d->guest_cid = p->guest_cid;
	d->config.guest_cid = htole64(p->guest_cid);
	d->vdev.name = d->name;
	d->vdev.device_id = VIRTIO_ID_VSOCK;
	d->vdev.ops = &vsock_ops;
	d->vdev.mem = mem;
	d->vdev.nr_queues = 3;
	for (unsigned q = 0; q < 3; q++)
		d->vdev.queues[q] = (struct virtio_queue_cfg){ .size = VSOCK_QUEUE_SIZE, .max_size = VSOCK_QUEUE_SIZE,
							       .msix_vector = 0xffff, .kick_fd = -1 };
	*ret = &d->vdev;
	return 0;
}
