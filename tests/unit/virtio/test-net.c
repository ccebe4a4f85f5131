// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net's userspace data path end to end, with a datagram socket pair
 * standing in for the tap (one datagram = vnet header + frame, as a tap
 * with IFF_VNET_HDR reads and writes them): a fake driver puts buffers in
 * the rings of a memfd "guest", kicks the queues and waits for the worker.
 */
#include <errno.h>
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

static void rig_start(struct rig *r, uint64_t features)
{
	static const uint8_t mac[6] = { 0x06, 0, 0, 0, 0, 1 };
	int sv[2];
	char err[256];

	memset(r, 0, sizeof(*r));
	if (gmem_create(&r->gm, 8 * MiB, 0xc0000000ULL) || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv))
		abort();
	r->host = sv[1];
	CHECK(virtio_net_create(&(struct virtio_net_params){ .name = "t", .tap_name = "t", .mac = mac,
							     .test_fds = &sv[0] }, &r->gm, &r->vdev, err, sizeof(err)) == 0);
	CHECK(r->vdev->nr_queues == 2);  /* one pair, no control queue */
	r->ft.used_fd = -1;
	r->vdev->transport = &fake_transport_ops;
	r->vdev->transport_priv = &r->ft;
	for (unsigned q = 0; q < 2; q++) {
		drv_init(&r->d[q], &r->gm, 0x100000 + q * 0x100000, QSIZE);
		drv_cfg(&r->d[q], &r->vdev->queues[q]);
		r->vdev->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	r->vdev->driver_features = features | 1ULL << VIRTIO_F_VERSION_1;
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	CHECK(r->vdev->active);
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
	test_create_error();
	test_parse();
	test_features();
	test_tx();
	test_rx();
	return check_summary("virtio-net");
}
