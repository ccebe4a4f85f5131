// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net's userspace data path end to end, with a datagram socket pair
 * standing in for the tap (one datagram = vnet header + frame, as a tap
 * with IFF_VNET_HDR reads and writes them): a fake driver puts buffers in
 * the rings of a memfd "guest", kicks the queues and waits for the worker.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>

#include "net_hdr.h"
#include "vtest.h"

#define QSIZE 16

struct rig {
	struct gmem gm;
	struct virtio_device *vdev;
	struct drv d[2];          /* 0 receive, 1 transmit */
	struct fake_transport ft;
	int host;                 /* our end of the "tap" */
	uint16_t used[2];
};

/*
 * Up to FEATURES_OK; rig_driver_ok() starts the device. sndbuf > 0: the
 * device's end of the "tap" takes only that much (the kernel's minimum at
 * least). ops NULL: the counting fake transport.
 */
static void rig_setup(struct rig *r, uint64_t features, int sndbuf, const struct virtio_transport_ops *ops,
		      void *transport_priv)
{
	static const uint8_t mac[6] = { 0x06, 0, 0, 0, 0, 1 };
	int sv[2];
	char err[256];

	memset(r, 0, sizeof(*r));
	if (gmem_create(&r->gm, 8 * MiB, 0xc0000000ULL) || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv))
		abort();
	if (sndbuf > 0 && setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		abort();
	r->host = sv[1];
	CHECK(virtio_net_create(&(struct virtio_net_params){ .name = "t", .tap_name = "t", .mac = mac,
							     .test_fds = &sv[0] }, &r->gm, &r->vdev, err, sizeof(err)) == 0);
	CHECK(r->vdev->nr_queues == 2);  /* one pair, no control queue */
	r->ft.used_fd = -1;
	r->vdev->transport = ops ? ops : &fake_transport_ops;
	r->vdev->transport_priv = ops ? transport_priv : &r->ft;
	for (unsigned q = 0; q < 2; q++) {
		drv_init(&r->d[q], &r->gm, 0x100000 + q * 0x100000, QSIZE);
		drv_cfg(&r->d[q], &r->vdev->queues[q]);
		r->vdev->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	r->vdev->driver_features = features | 1ULL << VIRTIO_F_VERSION_1;
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
}

static void rig_driver_ok(struct rig *r)
{
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	CHECK(r->vdev->active);
}

static void rig_start(struct rig *r, uint64_t features)
{
	rig_setup(r, features, 0, NULL, NULL);
	rig_driver_ok(r);
}

static void rig_stop(struct rig *r)
{
	int fds[2] = { r->vdev->queues[0].kick_fd, r->vdev->queues[1].kick_fd };

	virtio_device_destroy(r->vdev);
	close(fds[0]);
	close(fds[1]);
	close(r->host);
	gmem_destroy(&r->gm);
}

static void kick(struct rig *r, unsigned q)
{
	uint64_t one = 1;

	if (write(r->vdev->queues[q].kick_fd, &one, 8) != 8)
		abort();
}

/* Transmit header + frame split over two descriptors; wait until it is used. */
static bool tx(struct rig *r, const struct virtio_net_hdr_v1 *h, const uint8_t *frame, uint32_t len)
{
	struct drv *d = &r->d[1];
	gpa_t hb = drv_alloc(d, sizeof(*h)), fb = drv_alloc(d, len);

	if (gmem_write(&r->gm, hb, h, sizeof(*h)) || gmem_write(&r->gm, fb, frame, len))
		abort();
	drv_desc(d, 0, hb, sizeof(*h), VIRTQ_DESC_F_NEXT, 1);
	drv_desc(d, 1, fb, len, 0, 0);
	drv_add(d, 0);
	kick(r, 1);
	return drv_wait_used(d, ++r->used[1]);
}

static ssize_t host_recv(struct rig *r, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = r->host, .events = POLLIN };

	if (poll(&p, 1, 2000) <= 0)
		return -1;
	return recv(r->host, buf, len, 0);
}

static void test_tx(void)
{
	struct rig r;
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t frame[60], got[256];
	ssize_t n;

	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	rig_start(&r, 0);
	h.num_buffers = 0x7777;  /* the guest's value is not passed on */
	CHECK(tx(&r, &h, frame, sizeof(frame)));
	n = host_recv(&r, got, sizeof(got));
	CHECK_EQ(n, sizeof(h) + sizeof(frame));
	CHECK(n > 0 && got[10] == 0 && got[11] == 0 && memcmp(got + 12, frame, sizeof(frame)) == 0);

	/* A checksum request without VIRTIO_NET_F_CSUM: dropped, the buffer still comes back. */
	h = (struct virtio_net_hdr_v1){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 50, .csum_offset = 16 };
	CHECK(tx(&r, &h, frame, sizeof(frame)));
	CHECK(host_recv(&r, got, sizeof(got)) < 0);
	/* A frame shorter than an Ethernet header: dropped. */
	h = (struct virtio_net_hdr_v1){ 0 };
	CHECK(tx(&r, &h, frame, 10));
	CHECK(host_recv(&r, got, sizeof(got)) < 0);
	/* TSO that was not negotiated: dropped. */
	h = (struct virtio_net_hdr_v1){ .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
					 .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
	CHECK(tx(&r, &h, frame, sizeof(frame)));
	CHECK(host_recv(&r, got, sizeof(got)) < 0);
	CHECK(!(virtio_device_status(r.vdev) & VIRTIO_STATUS_NEEDS_RESET));
	rig_stop(&r);
}

/*
 * A frame the driver queued before DRIVER_OK is sent when the worker
 * starts, and the driver gets its interrupt then, not only at the next
 * event (there may be none: the driver waits for this buffer).
 */
static void test_tx_before_driver_ok(void)
{
	struct virtio_net_hdr_v1 h = { 0 };
	struct drv *d;
	uint8_t frame[60] = { 0 }, got[128];
	struct rig r;
	gpa_t b;

	rig_setup(&r, 0, 0, NULL, NULL);
	d = &r.d[1];
	b = drv_alloc(d, sizeof(h) + sizeof(frame));
	if (gmem_write(&r.gm, b, &h, sizeof(h)) || gmem_write(&r.gm, b + sizeof(h), frame, sizeof(frame)))
		abort();
	drv_desc(d, 0, b, sizeof(h) + sizeof(frame), 0, 0);
	drv_add(d, 0);
	rig_driver_ok(&r);
	CHECK(drv_wait_used(d, 1));
	CHECK_EQ(host_recv(&r, got, sizeof(got)), sizeof(h) + sizeof(frame));
	for (int i = 0; i < 100 && !__atomic_load_n(&r.ft.used, __ATOMIC_RELAXED); i++)
		usleep(1000);
	CHECK_MSG(__atomic_load_n(&r.ft.used, __ATOMIC_RELAXED) == 1, "no interrupt for the frame sent at start");
	rig_stop(&r);
}

static void post_rx(struct rig *r, uint16_t id, gpa_t buf, uint32_t len, uint16_t flags)
{
	drv_desc(&r->d[0], id, buf, len, flags, 0);
	drv_add(&r->d[0], id);
	kick(r, 0);
}

static void test_rx(void)
{
	struct rig r;
	uint8_t pkt[12 + 100], got[12 + 100];
	struct virtq_used_elem e;
	gpa_t b0, b1, b2;

	memset(pkt, 0, 12);
	for (unsigned i = 12; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	rig_start(&r, 0);
	b0 = drv_alloc(&r.d[0], 2048);
	b1 = drv_alloc(&r.d[0], 2048);
	b2 = drv_alloc(&r.d[0], 2048);
	/* A frame before any buffer waits in the socket; it arrives once a buffer is posted. */
	CHECK(send(r.host, pkt, sizeof(pkt), 0) == (ssize_t)sizeof(pkt));
	usleep(20000);
	CHECK_EQ(drv_used_idx(&r.d[0]), 0);
	post_rx(&r, 0, b0, 2048, VIRTQ_DESC_F_WRITE);
	CHECK(drv_wait_used(&r.d[0], 1));
	e = drv_used_elem(&r.d[0], 0);
	CHECK_EQ(e.len, sizeof(pkt));
	CHECK(gmem_read(&r.gm, b0, got, sizeof(got)) == 0);
	CHECK(got[10] == 1 && got[11] == 0);  /* num_buffers = 1 */
	CHECK(memcmp(got + 12, pkt + 12, 100) == 0);

	/*
	 * A buffer the device could read from is a driver bug: the device
	 * needs a reset. It comes after a good one, so the tap is being
	 * polled when the queue breaks; with a frame still waiting in the
	 * "tap", the worker must then stop polling it rather than spin.
	 */
	post_rx(&r, 1, b1, 2048, VIRTQ_DESC_F_WRITE);
	usleep(20000);  /* the worker tries, finds no frame, keeps the buffer and polls the tap */
	post_rx(&r, 2, b2, 2048, 0);
	for (int i = 0; i < 3; i++)
		CHECK(send(r.host, pkt, sizeof(pkt), 0) == (ssize_t)sizeof(pkt));
	for (int i = 0; i < 200 && !(virtio_device_status(r.vdev) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(10000);
	CHECK(virtio_device_status(r.vdev) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(drv_used_idx(&r.d[0]), 2);
	{
		struct timespec a, b;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		usleep(200000);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		CHECK_MSG((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 50000000L,
			  "the worker burns CPU on a broken queue");
	}
	rig_stop(&r);
}

/*
 * Stress, both directions at once, with a driver that suppresses kicks and
 * interrupts with EVENT_IDX as Linux's virtio_ring does (kick only when the
 * device's avail_event asks for it; sleep on the interrupt after setting
 * used_event and looking once more), and a "tap" whose send buffer holds
 * only a few frames and is read slowly, so the device's writes keep
 * failing with EAGAIN. Every frame must arrive, in order, and neither side
 * may wait for a notification that never comes (3 s without one fails).
 */
#define STRESS_FRAMES 4000
#define STRESS_TX_LEN 200   /* header + frame of each transmitted chain */
#define STRESS_RX_LEN 72    /* header + frame of each received one */

struct stress_transport {
	int irq_fd[2];          /* per queue: the "interrupt" */
};

static void stress_signal_used(struct virtio_device *vdev, unsigned q)
{
	struct stress_transport *t = vdev->transport_priv;
	uint64_t one = 1;

	if (q < 2 && write(t->irq_fd[q], &one, 8) != 8)
		abort();
}

static void stress_signal_config(struct virtio_device *vdev)
{
	(void)vdev;
}

static const struct virtio_transport_ops stress_ops = {
	.signal_used = stress_signal_used,
	.signal_config = stress_signal_config,
};

/* One queue, driver side. */
struct sdrv {
	struct rig *r;
	unsigned q;
	int irq_fd;
	uint16_t kicked_at;     /* avail idx at the last kick decision */
	uint16_t used_seen;
	uint32_t done;          /* frames sent (tx) or received in order (rx) */
	bool stalled, bad;
};

static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/* After adding buffers: kick only if the device asked (virtqueue_kick_prepare). */
static void sdrv_kick(struct sdrv *s)
{
	struct drv *d = &s->r->d[s->q];
	uint16_t new = d->avail_idx, old = s->kicked_at;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);  /* avail idx out before avail_event is read */
	s->kicked_at = new;
	if (need_event(drv_avail_event(d), new, old))
		kick(s->r, s->q);
}

/*
 * Nothing used yet: ask for an interrupt at the next used entry, look
 * once more, then sleep on the interrupt. False after 3 s without one.
 */
static bool sdrv_wait(struct sdrv *s)
{
	struct drv *d = &s->r->d[s->q];
	struct pollfd p = { .fd = s->irq_fd, .events = POLLIN };
	uint64_t v;

	drv_set_used_event(d, s->used_seen);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (drv_used_idx(d) != s->used_seen)
		return true;
	if (poll(&p, 1, 3000) != 1)
		return false;
	return read(s->irq_fd, &v, 8) == 8;
}

static void *stress_guest_tx(void *arg)
{
	struct sdrv *s = arg;
	struct drv *d = &s->r->d[1];
	gpa_t buf[QSIZE];
	uint16_t free_ids[QSIZE];
	unsigned nfree = QSIZE;

	for (unsigned i = 0; i < QSIZE; i++) {
		buf[i] = drv_alloc(d, STRESS_TX_LEN);
		free_ids[i] = (uint16_t)i;
	}
	for (;;) {
		unsigned added = 0;

		for (uint16_t u = drv_used_idx(d); s->used_seen != u; s->used_seen++)
			free_ids[nfree++] = (uint16_t)drv_used_elem(d, s->used_seen).id;
		if (s->done == STRESS_FRAMES && nfree == QSIZE)
			return NULL;
		for (; nfree && s->done < STRESS_FRAMES && added < 4; added++, s->done++) {
			uint8_t pkt[STRESS_TX_LEN] = { 0 };
			uint16_t id = free_ids[--nfree];

			memcpy(pkt + 12 + NET_ETH_HLEN, &s->done, 4);
			if (gmem_write(&s->r->gm, buf[id], pkt, sizeof(pkt)))
				abort();
			drv_desc(d, id, buf[id], sizeof(pkt), 0, 0);
			drv_add(d, id);
		}
		if (added)
			sdrv_kick(s);
		else if (!sdrv_wait(s))
			return s->stalled = true, NULL;
	}
}

static void *stress_guest_rx(void *arg)
{
	struct sdrv *s = arg;
	struct drv *d = &s->r->d[0];
	gpa_t buf[QSIZE];

	for (uint16_t i = 0; i < QSIZE; i++) {
		buf[i] = drv_alloc(d, 2048);
		drv_desc(d, i, buf[i], 2048, VIRTQ_DESC_F_WRITE, 0);
		drv_add(d, i);
	}
	sdrv_kick(s);
	while (s->done < STRESS_FRAMES && !s->bad) {
		uint16_t u = drv_used_idx(d);

		if (u == s->used_seen) {
			if (!sdrv_wait(s))
				return s->stalled = true, NULL;
			continue;
		}
		for (; s->used_seen != u; s->used_seen++) {
			struct virtq_used_elem e = drv_used_elem(d, s->used_seen);
			uint32_t seq = UINT32_MAX;

			if (e.id >= QSIZE || e.len != STRESS_RX_LEN ||
			    gmem_read(&s->r->gm, buf[e.id] + 12 + NET_ETH_HLEN, &seq, 4) || seq != s->done)
				s->bad = true;
			s->done++;
			drv_add(d, (uint16_t)e.id);  /* the descriptor still describes the whole buffer */
		}
		sdrv_kick(s);
	}
	return NULL;
}

struct stress_host {
	struct rig *r;
	uint32_t sent, received;
	bool out_of_order;
};

/* L1's side of the receive direction: frames into the "tap" as fast as it takes them. */
static void *stress_host_send(void *arg)
{
	struct stress_host *h = arg;
	uint8_t pkt[STRESS_RX_LEN] = { 0 };

	while (h->sent < STRESS_FRAMES) {
		struct pollfd p = { .fd = h->r->host, .events = POLLOUT };

		memcpy(pkt + 12 + NET_ETH_HLEN, &h->sent, 4);
		if (send(h->r->host, pkt, sizeof(pkt), 0) == (ssize_t)sizeof(pkt))
			h->sent++;
		else if (errno != EAGAIN || poll(&p, 1, 3000) != 1)
			break;
	}
	return NULL;
}

/* L1's side of the transmit direction: read slowly, so that the device's end fills up. */
static void *stress_host_recv(void *arg)
{
	struct stress_host *h = arg;
	uint8_t got[STRESS_TX_LEN + 16];

	usleep(20000);  /* the ring and the socket fill up: the device's writes fail with EAGAIN */
	while (h->received < STRESS_FRAMES) {
		uint32_t seq;
		ssize_t n = host_recv(h->r, got, sizeof(got));

		if (n == -1 && errno == EAGAIN)
			continue;  /* poll saw the datagram the other thread took? only one reader: cannot happen */
		if (n != STRESS_TX_LEN)
			break;
		memcpy(&seq, got + 12 + NET_ETH_HLEN, 4);
		h->out_of_order |= seq != h->received;
		if (++h->received % 16 == 0)
			usleep(500);
	}
	return NULL;
}

static void test_stress(void)
{
	struct stress_transport t;
	struct stress_host host;
	struct sdrv rx, tx;
	pthread_t th[4];
	struct rig r;

	for (unsigned q = 0; q < 2; q++)
		t.irq_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rig_setup(&r, 1ULL << VIRTIO_F_EVENT_IDX, 1, &stress_ops, &t);
	rig_driver_ok(&r);
	host = (struct stress_host){ .r = &r };
	rx = (struct sdrv){ .r = &r, .q = 0, .irq_fd = t.irq_fd[0] };
	tx = (struct sdrv){ .r = &r, .q = 1, .irq_fd = t.irq_fd[1] };
	if (pthread_create(&th[0], NULL, stress_guest_rx, &rx) || pthread_create(&th[1], NULL, stress_guest_tx, &tx) ||
	    pthread_create(&th[2], NULL, stress_host_send, &host) || pthread_create(&th[3], NULL, stress_host_recv, &host))
		abort();
	for (unsigned i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_MSG(!tx.stalled, "transmit: the driver waited 3 s for a used buffer (%u of %u sent, L1 got %u; "
		  "avail idx %u, avail_event %u, used idx %u, seen %u)", tx.done, STRESS_FRAMES, host.received,
		  r.d[1].avail_idx, drv_avail_event(&r.d[1]), drv_used_idx(&r.d[1]), tx.used_seen);
	CHECK_MSG(!rx.stalled, "receive: the driver waited 3 s for a frame (%u of %u received, L1 sent %u)",
		  rx.done, STRESS_FRAMES, host.sent);
	CHECK_EQ(host.received, STRESS_FRAMES);
	CHECK(!host.out_of_order);
	CHECK_EQ(rx.done, STRESS_FRAMES);
	CHECK(!rx.bad);
	CHECK(!(virtio_device_status(r.vdev) & VIRTIO_STATUS_NEEDS_RESET));
	rig_stop(&r);
	close(t.irq_fd[0]);
	close(t.irq_fd[1]);
}

static void test_features(void)
{
	struct rig r;
	uint64_t f;

	rig_start(&r, 0);
	f = virtio_device_features(r.vdev);
	/* A socket takes no offloads: none are offered. */
	CHECK(f & 1ULL << VIRTIO_NET_F_MAC && f & 1ULL << VIRTIO_NET_F_STATUS);
	CHECK(!(f & (1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_MQ)));
	{
		uint8_t cfg[10];

		r.vdev->ops->read_config(r.vdev, 0, cfg, sizeof(cfg));
		CHECK(cfg[0] == 0x06 && cfg[5] == 1 && cfg[6] == 1 && cfg[8] == 1);  /* MAC, link up, 1 pair */
	}
	rig_stop(&r);
}

/* The parser alone: checksum and TSO bounds, exactly at the edge. */
static void test_parse(void)
{
	static uint8_t buf[12 + 1514];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 1498, .csum_offset = 14 };
	struct iovec iov[2] = { { buf, 12 }, { buf + 12, 1514 } };
	uint64_t csum = 1ULL << VIRTIO_NET_F_CSUM, tso = csum | 1ULL << VIRTIO_NET_F_HOST_TSO4;
	static struct net_tx t;

	memcpy(buf, &h, sizeof(h));
	CHECK(net_tx_parse(iov, 2, 0, csum, &t) == 0 && t.frame_len == 1514 && t.nr_frame == 1);
	CHECK(net_tx_parse(iov, 2, 0, 0, &t) < 0);
	h.csum_offset = 15;  /* the checksum's last byte one past the frame */
	memcpy(buf, &h, sizeof(h));
	CHECK(net_tx_parse(iov, 2, 0, csum, &t) < 0);
	h = (struct virtio_net_hdr_v1){ .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
					 .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };
	memcpy(buf, &h, sizeof(h));
	CHECK(net_tx_parse(iov, 2, 0, tso, &t) == 0);
	CHECK(net_tx_parse(iov, 2, 0, csum, &t) < 0);  /* TSO4 not negotiated */
	CHECK(net_tx_parse(iov, 1, 1, tso, &t) < 0);   /* writable buffer on the transmit queue */
	h.gso_size = 0;
	memcpy(buf, &h, sizeof(h));
	CHECK(net_tx_parse(iov, 2, 0, tso, &t) < 0);
	h.gso_size = 1448;
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	memcpy(buf, &h, sizeof(h));
	CHECK(net_tx_parse(iov, 2, 0, tso, &t) < 0);
}

/* A tap that cannot be opened: an error message, nothing leaked or crashed. */
static void test_create_error(void)
{
	struct virtio_device *v = NULL;
	struct gmem gm;
	char err[256] = "";

	if (gmem_create(&gm, 8 * MiB, 0xc0000000ULL))
		abort();
	CHECK(virtio_net_create(&(struct virtio_net_params){ .tap_name = "no/such/tap" }, &gm, &v, err,
				sizeof(err)) < 0);
	CHECK(v == NULL && err[0]);
	CHECK(virtio_net_create(&(struct virtio_net_params){ .tap_name = "t", .queue_pairs = 8 }, &gm, &v, err,
				sizeof(err)) == -EINVAL);
	gmem_destroy(&gm);
}

int main(void)
{
	vtest_need_io_uring();
	test_create_error();
	test_parse();
	test_features();
	test_tx();
	test_tx_before_driver_ok();
	test_rx();
	test_stress();
	return check_summary("virtio-net");
}
