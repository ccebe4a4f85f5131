// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock end to end without a guest kernel: a fake driver (rings in
 * a memfd "guest") plays the guest's vsock transport, a real Unix socket
 * plays the host client. Checked: Firecracker's CONNECT/OK handshake, data
 * both ways, the guest's credit limiting what skiff reads from the host,
 * a guest overrunning skiff's credit being reset, half-close, an RST for a
 * guest connect to a port nobody listens on, guest-initiated connections
 * to <uds_path>_<port>.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vsock_pkt.h"
#include "vtest.h"

#define QSIZE 64
#define CID 3
#define RXBUF 4096

struct rig {
	struct gmem gm;
	struct virtio_device *vdev;
	struct drv d[3];
	struct fake_transport ft;
	uint16_t rx_seen, tx_used;
	gpa_t rxbuf[QSIZE];
	char uds[90];
};

static void kick(struct rig *r, unsigned q)
{
	uint64_t one = 1;

	if (write(r->vdev->queues[q].kick_fd, &one, 8) != 8)
		abort();
}

static void post_rx(struct rig *r, uint16_t id)
{
	drv_desc(&r->d[0], id, r->rxbuf[id], RXBUF, VIRTQ_DESC_F_WRITE, 0);
	drv_add(&r->d[0], id);
}

static void rig_start(struct rig *r)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	snprintf(r->uds, sizeof(r->uds), "%s/skiff-vsock-test-%d.sock", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid());
	if (gmem_create(&r->gm, 8 * MiB, 0xc0000000ULL))
		abort();
	CHECK(virtio_vsock_create(&(struct virtio_vsock_params){ CID, r->uds, false }, &r->gm, &r->vdev, err, sizeof(err)) == 0);
	r->ft.used_fd = -1;
	r->vdev->transport = &fake_transport_ops;
	r->vdev->transport_priv = &r->ft;
	for (unsigned q = 0; q < 3; q++) {
		drv_init(&r->d[q], &r->gm, 0x100000 + q * 0x100000, QSIZE);
		drv_cfg(&r->d[q], &r->vdev->queues[q]);
		r->vdev->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	for (uint16_t i = 0; i < QSIZE; i++)
		r->rxbuf[i] = drv_alloc(&r->d[0], RXBUF);
	for (uint16_t i = 0; i < QSIZE; i++)
		post_rx(r, i);
	r->vdev->driver_features = 1ULL << VIRTIO_F_VERSION_1;
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	CHECK(r->vdev->active);
}

static void rig_stop(struct rig *r)
{
	int fds[3];

	for (unsigned q = 0; q < 3; q++)
		fds[q] = r->vdev->queues[q].kick_fd;
	virtio_device_destroy(r->vdev);
	for (unsigned q = 0; q < 3; q++)
		close(fds[q]);
	CHECK_MSG(access(r->uds, F_OK) < 0, "socket file left behind");
	gmem_destroy(&r->gm);
}

/* The next packet the device put in the receive queue; false after ms milliseconds. */
static bool rx_pkt_wait(struct rig *r, struct virtio_vsock_hdr *h, uint8_t *payload, int ms)
{
	struct virtq_used_elem e;

	while (drv_used_idx(&r->d[0]) == r->rx_seen && ms-- > 0)
		usleep(1000);
	if (drv_used_idx(&r->d[0]) == r->rx_seen)
		return false;
	e = drv_used_elem(&r->d[0], r->rx_seen++);
	if (gmem_read(&r->gm, r->rxbuf[e.id], h, sizeof(*h)))
		abort();
	if (payload && h->len && gmem_read(&r->gm, r->rxbuf[e.id] + sizeof(*h), payload, h->len))
		abort();
	CHECK_EQ(e.len, sizeof(*h) + h->len);
	post_rx(r, (uint16_t)e.id);  /* recycle at once, as Linux does */
	kick(r, 0);
	return true;
}

static bool rx_pkt(struct rig *r, struct virtio_vsock_hdr *h, uint8_t *payload)
{
	return rx_pkt_wait(r, h, payload, 2000);
}

/* The next packet with op, skipping others; false after 2 s without one. */
static bool rx_op(struct rig *r, struct virtio_vsock_hdr *h, uint16_t op)
{
	static uint8_t data[RXBUF];

	while (rx_pkt(r, h, data))
		if (h->op == op)
			return true;
	return false;
}

static void tx_pkt(struct rig *r, uint32_t sport, uint32_t dport, uint16_t op, uint32_t flags, uint32_t buf_alloc,
		   uint32_t fwd_cnt, const void *data, uint32_t len)
{
	struct drv *d = &r->d[1];
	struct virtio_vsock_hdr h = { .src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = sport,
				      .dst_port = dport, .len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op,
				      .flags = flags, .buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt };
	uint16_t id = (uint16_t)(2 * (r->tx_used % (QSIZE / 2)));
	gpa_t hb = drv_alloc(d, sizeof(h)), pb = len ? drv_alloc(d, len) : 0;

	if (gmem_write(&r->gm, hb, &h, sizeof(h)) || (len && gmem_write(&r->gm, pb, data, len)))
		abort();
	drv_desc(d, id, hb, sizeof(h), len ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(id + 1));
	if (len)
		drv_desc(d, id + 1u, pb, len, 0, 0);
	drv_add(d, id);
	kick(r, 1);
	CHECK(drv_wait_used(d, ++r->tx_used));
}

static int host_connect(struct rig *r, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, r->uds, strlen(r->uds));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || write(fd, line, strlen(line)) < 0)
		abort();
	return fd;
}

static ssize_t read_timeout(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 2000) <= 0)
		return -2;  /* nothing happened */
	return read(fd, buf, len);
}

static void test_host_initiated(void)
{
	struct rig r;
	struct virtio_vsock_hdr h;
	static uint8_t data[RXBUF], big[8192];
	char ok[32] = "";
	uint32_t hport, got = 0;
	int fd;

	rig_start(&r);
	fd = host_connect(&r, "CONNECT 52\nearly");  /* bytes after the line are stream data */
	CHECK(rx_pkt(&r, &h, NULL));
	CHECK(h.op == VIRTIO_VSOCK_OP_REQUEST && h.dst_port == 52 && h.src_cid == VSOCK_HOST_CID && h.dst_cid == CID);
	hport = h.src_port;
	/* The guest accepts with a receive window of 1000 bytes. */
	tx_pkt(&r, 52, hport, VIRTIO_VSOCK_OP_RESPONSE, 0, 1000, 0, NULL, 0);
	CHECK(read_timeout(fd, ok, 31) > 0);
	CHECK_MSG(strtoul(ok + 3, NULL, 10) == hport && !strncmp(ok, "OK ", 3), "reply %s", ok);
	CHECK(rx_pkt(&r, &h, data) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 5 && !memcmp(data, "early", 5));
	/* 8 KiB from the host, but the guest has room for 995 more bytes only. */
	memset(big, 0xab, sizeof(big));
	CHECK(write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	while (got < 995 && rx_pkt(&r, &h, data))
		got += h.len;
	CHECK_EQ(got, 995);
	CHECK(!rx_pkt(&r, &h, data));  /* nothing more until the guest grants credit */
	tx_pkt(&r, 52, hport, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, 1000, 1000, NULL, 0);
	CHECK(rx_pkt(&r, &h, data) && h.op == VIRTIO_VSOCK_OP_RW && h.len == 1000);
	/* Guest to host, then the guest closes: the host reads the data, then EOF; the guest gets an RST. */
	tx_pkt(&r, 52, hport, VIRTIO_VSOCK_OP_RW, 0, 1000, 2000, "hello", 5);
	CHECK(read_timeout(fd, ok, sizeof(ok)) == 5 && !memcmp(ok, "hello", 5));
	tx_pkt(&r, 52, hport, VIRTIO_VSOCK_OP_SHUTDOWN, 3, 1000, 2000, NULL, 0);
	CHECK(rx_op(&r, &h, VIRTIO_VSOCK_OP_RST));  /* after the data the new credit allowed */
	/* Closed by skiff; with host data it never read, a Unix socket reports ECONNRESET instead of EOF. */
	CHECK(read_timeout(fd, ok, sizeof(ok)) == -1 && errno == ECONNRESET);
	close(fd);
	/* A CONNECT line that is not one: closed without bothering the guest. */
	fd = host_connect(&r, "HELLO\n");
	CHECK(read_timeout(fd, ok, sizeof(ok)) == -1 && errno == ECONNRESET);
	CHECK(!rx_pkt_wait(&r, &h, NULL, 100));
	close(fd);
	rig_stop(&r);
}

static void test_guest_initiated(void)
{
	struct rig r;
	struct virtio_vsock_hdr h;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static uint8_t buf[300 * 1024];
	int ls, c;

	rig_start(&r);
	/* Nobody at uds_path_7000: RST. */
	tx_pkt(&r, 1234, 7000, VIRTIO_VSOCK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	CHECK(rx_pkt(&r, &h, NULL) && h.op == VIRTIO_VSOCK_OP_RST && h.dst_port == 1234 && h.src_port == 7000);
	/* Data on a connection that does not exist: RST. */
	tx_pkt(&r, 1234, 7000, VIRTIO_VSOCK_OP_RW, 0, 65536, 0, "x", 1);
	CHECK(rx_pkt(&r, &h, NULL) && h.op == VIRTIO_VSOCK_OP_RST);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_7000", r.uds);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
		abort();
	tx_pkt(&r, 1235, 7000, VIRTIO_VSOCK_OP_REQUEST, 0, 65536, 0, NULL, 0);
	CHECK(rx_pkt(&r, &h, NULL) && h.op == VIRTIO_VSOCK_OP_RESPONSE && h.dst_port == 1235);
	CHECK(h.buf_alloc == 256 * 1024);
	c = accept(ls, NULL, NULL);
	CHECK(c >= 0);
	/*
	 * The host does not read. The guest sends exactly what its credit
	 * allows, following skiff's credit updates (the socket takes some,
	 * skiff buffers the rest), until the credit is used up; then one
	 * byte more resets the connection.
	 */
	{
		uint32_t sent = 0, fwd = 0, credit_updates = 0;

		for (;;) {
			uint32_t allowed = 256 * 1024 - (sent - fwd);

			while (rx_pkt_wait(&r, &h, NULL, allowed ? 2 : 200)) {
				CHECK(h.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE);
				credit_updates++;
				fwd = h.fwd_cnt;
			}
			allowed = 256 * 1024 - (sent - fwd);
			if (!allowed)
				break;
			tx_pkt(&r, 1235, 7000, VIRTIO_VSOCK_OP_RW, 0, 65536, 0, buf, allowed < 4096 ? allowed : 4096);
			sent += allowed < 4096 ? allowed : 4096;
		}
		CHECK(credit_updates > 0 && sent > 256 * 1024);
		tx_pkt(&r, 1235, 7000, VIRTIO_VSOCK_OP_RW, 0, 65536, 0, buf, 1);
		CHECK(rx_pkt(&r, &h, NULL));
		CHECK_MSG(h.op == VIRTIO_VSOCK_OP_RST, "op %u after a credit overrun", h.op);
		/* What the socket took is there; the reset dropped what skiff still held for it. */
		{
			uint32_t got = 0;
			ssize_t n;

			while ((n = read_timeout(c, buf, sizeof(buf))) > 0)
				got += (uint32_t)n;
			CHECK(got > 0 && got < sent);
		}
	}
	close(c);
	close(ls);
	unlink(sa.sun_path);
	rig_stop(&r);
}

static void test_create_errors(void)
{
	struct virtio_device *v;
	struct gmem gm;
	char err[256];

	if (gmem_create(&gm, 8 * MiB, 0xc0000000ULL))
		abort();
	CHECK(virtio_vsock_create(&(struct virtio_vsock_params){ 3, "/nonexistent-dir/v.sock", false }, &gm, &v, err, sizeof(err)) == -ENOENT);
	CHECK_MSG(!strcmp(err, "cannot create socket /nonexistent-dir/v.sock: No such file or directory"), "%s", err);
	gmem_destroy(&gm);
}

int main(void)
{
	vtest_need_io_uring();
	test_create_errors();
	test_host_initiated();
	test_guest_initiated();
	return check_summary("virtio-vsock");
}
