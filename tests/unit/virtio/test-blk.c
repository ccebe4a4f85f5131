// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk end to end over a temporary image file: a fake driver puts
 * requests in the rings of a memfd "guest", kicks the queue eventfd and
 * waits for the io_uring worker to complete them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "blk_req.h"
#include "vtest.h"

#define QSIZE 16
#define DISK_SECTORS 2048  /* 1 MiB */

struct rig {
	struct gmem gm;
	struct virtio_device *vdev;
	struct drv d[2];
	struct fake_transport ft;
	uint16_t used[2];
	gpa_t hdr, data, status;
};

static char path[256];

static int make_image(uint64_t size)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd;

	snprintf(path, sizeof(path), "%s/skiff-test-blk-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return -1;
	close(fd);
	return 0;
}

static uint64_t feature_bits(struct rig *r)
{
	return virtio_device_features(r->vdev);
}

static int rig_start(struct rig *r, const struct virtio_blk_params *p, char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	if (gmem_create(&r->gm, 8 * MiB, 0xc0000000ULL))
		abort();
	ret = virtio_blk_create(p, &r->gm, &r->vdev, err, errlen);
	if (ret) {
		gmem_destroy(&r->gm);
		return ret;
	}
	r->ft.used_fd = -1;
	r->vdev->transport = &fake_transport_ops;
	r->vdev->transport_priv = &r->ft;
	for (unsigned q = 0; q < r->vdev->nr_queues && q < 2; q++) {
		drv_init(&r->d[q], &r->gm, 0x100000 + q * 0x100000, QSIZE);
		drv_cfg(&r->d[q], &r->vdev->queues[q]);
		r->vdev->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	r->hdr = 0x400000;
	r->status = 0x400100;
	r->data = 0x500000;
	r->vdev->driver_features = feature_bits(r);
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	virtio_device_set_status(r->vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	CHECK(r->vdev->active);
	return 0;
}

static void rig_stop(struct rig *r)
{
	int fds[2] = { -1, -1 };

	for (unsigned q = 0; q < r->vdev->nr_queues && q < 2; q++)
		fds[q] = r->vdev->queues[q].kick_fd;
	virtio_device_destroy(r->vdev);
	for (unsigned q = 0; q < 2; q++)
		if (fds[q] >= 0)
			close(fds[q]);
	gmem_destroy(&r->gm);
}

static void kick(struct rig *r, unsigned q)
{
	uint64_t one = 1;

	if (write(r->vdev->queues[q].kick_fd, &one, 8) != 8)
		abort();
}

/*
 * One request: header, optional data (device-writable for IN/GET_ID),
 * status. Returns the status byte, or 0xff if the device did not answer.
 */
static int req(struct rig *r, unsigned q, uint32_t type, uint64_t sector, void *data, uint32_t len,
	       uint32_t *used_len)
{
	struct drv *d = &r->d[q];
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	bool dev_writes = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	uint8_t st = 0xee;
	unsigned n = 0;

	if (gmem_write(&r->gm, r->hdr, &h, sizeof(h)) || gmem_write(&r->gm, r->status, &st, 1))
		abort();
	drv_desc(d, n, r->hdr, sizeof(h), VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1));
	n++;
	if (len) {
		if (!dev_writes && gmem_write(&r->gm, r->data, data, len))
			abort();
		drv_desc(d, n, r->data, len, VIRTQ_DESC_F_NEXT | (dev_writes ? VIRTQ_DESC_F_WRITE : 0),
			 (uint16_t)(n + 1));
		n++;
	}
	drv_desc(d, n, r->status, 1, VIRTQ_DESC_F_WRITE, 0);
	drv_add(d, 0);
	kick(r, q);
	r->used[q]++;
	if (!drv_wait_used(d, r->used[q]))
		return 0xff;
	if (used_len)
		*used_len = drv_used_elem(d, (uint16_t)(r->used[q] - 1)).len;
	if (dev_writes && len && gmem_read(&r->gm, r->data, data, len))
		abort();
	if (gmem_read(&r->gm, r->status, &st, 1))
		abort();
	return st;
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

static void test_rw(void)
{
	struct virtio_blk_params p = { .path = path, .serial = "skiff-serial-0123456789" };
	static uint8_t out[8192], in[8192], file[8192];
	char err[256];
	struct rig r;
	uint32_t used_len = 0;
	uint64_t cap;
	int fd;

	if (rig_start(&r, &p, err, sizeof(err))) {
		fprintf(stderr, "virtio_blk_create: %s\n", err);
		failures++;
		return;
	}
	r.vdev->ops->read_config(r.vdev, 0, &cap, 8);
	CHECK_EQ(cap, DISK_SECTORS);
	CHECK(!(feature_bits(&r) & 1ULL << 5));  /* not RO */

	fill(out, sizeof(out), 1);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_OUT, 10, out, sizeof(out), &used_len), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_len, 1);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, 10, in, sizeof(in), &used_len), VIRTIO_BLK_S_OK);
	CHECK_EQ(used_len, sizeof(in) + 1);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL), VIRTIO_BLK_S_OK);

	/* It is really in the file, at byte 10 * 512. */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, file, sizeof(file), 10 * 512) == (ssize_t)sizeof(file));
	CHECK(memcmp(file, out, sizeof(file)) == 0);
	close(fd);

	memset(in, 0, sizeof(in));
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_GET_ID, 0, in, 20, &used_len), VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, "skiff-serial-0123456", 20) == 0);
	CHECK_EQ(used_len, 21);

	/* Bounds: the last sector is fine, one more is not. */
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, in, 512, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, in, 1024, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_OUT, DISK_SECTORS, out, 512, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, ~0ULL, in, 512, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, 0, in, 100, NULL), VIRTIO_BLK_S_IOERR);  /* not whole sectors */
	CHECK_EQ(req(&r, 0, 99, 0, NULL, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK(!r.vdev->broken);
	CHECK(r.ft.used > 0);
	rig_stop(&r);
}

static void test_discard(void)
{
	struct virtio_blk_params p = { .path = path };
	struct virtio_blk_discard_write_zeroes seg = { .sector = 16, .num_sectors = 16 };
	static uint8_t out[8192], in[8192], zero[8192];
	char err[256];
	struct rig r;

	if (rig_start(&r, &p, err, sizeof(err)))
		abort();
	if (!(feature_bits(&r) & 1ULL << 13) || !(feature_bits(&r) & 1ULL << 14)) {
		fprintf(stderr, "filesystem without punch-hole/zero-range: discard not tested\n");
		CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_DISCARD, 0, &seg, sizeof(seg), NULL), VIRTIO_BLK_S_UNSUPP);
		rig_stop(&r);
		return;
	}
	fill(out, sizeof(out), 3);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_OUT, 16, out, sizeof(out), NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_DISCARD, 0, &seg, sizeof(seg), NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, 16, in, sizeof(in), NULL), VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, zero, sizeof(in)) == 0);

	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_OUT, 16, out, sizeof(out), NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, sizeof(seg), NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, 16, in, sizeof(in), NULL), VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, zero, sizeof(in)) == 0);

	seg.sector = DISK_SECTORS - 8;  /* runs past the end */
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_DISCARD, 0, &seg, sizeof(seg), NULL), VIRTIO_BLK_S_IOERR);
	seg.sector = 0;
	seg.flags = 1;  /* UNMAP is for write zeroes only */
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_DISCARD, 0, &seg, sizeof(seg), NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, sizeof(seg), NULL), VIRTIO_BLK_S_OK);
	rig_stop(&r);
}

static void test_read_only(void)
{
	struct virtio_blk_params p = { .path = path, .read_only = true };
	static uint8_t buf[512];
	char err[256];
	struct rig r;
	int fd;

	if (rig_start(&r, &p, err, sizeof(err)))
		abort();
	CHECK(feature_bits(&r) & 1ULL << 5);
	CHECK(!(feature_bits(&r) & 1ULL << 13));
	fill(buf, sizeof(buf), 9);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_OUT, 0, buf, sizeof(buf), NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, 10, buf, sizeof(buf), NULL), VIRTIO_BLK_S_OK);
	rig_stop(&r);

	/* A second writer is refused while a read-only user holds the image... */
	CHECK(rig_start(&r, &p, err, sizeof(err)) == 0);
	p.read_only = false;
	{
		struct virtio_device *v2;

		CHECK(virtio_blk_create(&p, &r.gm, &v2, err, sizeof(err)) < 0);
		CHECK(strstr(err, "in use") != NULL);
	}
	rig_stop(&r);

	/* ...and a read-only file for a read-write disk says what to do (not as root). */
	if (geteuid() != 0) {
		struct virtio_device *v;
		struct gmem gm;

		CHECK(chmod(path, 0444) == 0);
		if (gmem_create(&gm, 1 * MiB, 0xc0000000ULL))
			abort();
		CHECK_EQ(virtio_blk_create(&p, &gm, &v, err, sizeof(err)), -EACCES);
		CHECK(strstr(err, "read-write") != NULL);
		gmem_destroy(&gm);
		fd = chmod(path, 0644);
		CHECK(fd == 0);
	}
}

static void test_errors(void)
{
	struct virtio_blk_params p = { .path = "no-such-image.raw" };
	struct virtio_device *v;
	char err[256] = "";
	struct gmem gm;

	if (gmem_create(&gm, 1 * MiB, 0xc0000000ULL))
		abort();
	CHECK_EQ(virtio_blk_create(&p, &gm, &v, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "not found") != NULL);
	p.path = path;
	p.queue_size = 100;
	CHECK_EQ(virtio_blk_create(&p, &gm, &v, err, sizeof(err)), -EINVAL);
	gmem_destroy(&gm);
}

static void test_multiqueue_and_reset(void)
{
	struct virtio_blk_params p = { .path = path, .num_queues = 2 };
	static uint8_t out[4096], in[4096];
	uint16_t nq;
	char err[256];
	struct rig r;

	if (rig_start(&r, &p, err, sizeof(err)))
		abort();
	CHECK(feature_bits(&r) & 1ULL << 12);
	r.vdev->ops->read_config(r.vdev, 34, &nq, 2);
	CHECK_EQ(nq, 2);
	fill(out, sizeof(out), 5);
	CHECK_EQ(req(&r, 1, VIRTIO_BLK_T_OUT, 100, out, sizeof(out), NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(req(&r, 0, VIRTIO_BLK_T_IN, 100, in, sizeof(in), NULL), VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, out, sizeof(in)) == 0);

	/* A request without a status byte is a guest error: NEEDS_RESET, queue stops. */
	drv_desc(&r.d[0], 0, r.hdr, 16, 0, 0);
	drv_add(&r.d[0], 0);
	kick(&r, 0);
	for (int i = 0; i < 5000 && !(virtio_device_status(r.vdev) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	CHECK(virtio_device_status(r.vdev) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(r.ft.config, 1);

	/* Reset: the worker stops, state is forgotten; the driver starts over. */
	virtio_device_set_status(r.vdev, 0);
	CHECK_EQ(virtio_device_status(r.vdev), 0);
	CHECK(!r.vdev->active && !r.vdev->broken);
	CHECK_EQ(r.vdev->driver_features, 0);
	CHECK(!r.vdev->queues[0].enabled);
	for (unsigned q = 0; q < 2; q++) {
		drv_init(&r.d[q], &r.gm, 0x100000 + q * 0x100000, QSIZE);
		drv_cfg(&r.d[q], &r.vdev->queues[q]);
		r.used[q] = 0;
	}
	r.vdev->driver_features = feature_bits(&r);
	virtio_device_set_status(r.vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	CHECK(r.vdev->active);
	memset(in, 0, sizeof(in));
	CHECK_EQ(req(&r, 1, VIRTIO_BLK_T_IN, 100, in, sizeof(in), NULL), VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, out, sizeof(in)) == 0);
	rig_stop(&r);
}

static void test_feature_check(void)
{
	struct virtio_blk_params p = { .path = path };
	char err[256];
	struct rig r;

	if (rig_start(&r, &p, err, sizeof(err)))
		abort();
	virtio_device_set_status(r.vdev, 0);
	r.vdev->driver_features = feature_bits(&r) | 1ULL << 40;  /* never offered */
	virtio_device_set_status(r.vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	CHECK(!(virtio_device_status(r.vdev) & VIRTIO_STATUS_FEATURES_OK));
	r.vdev->driver_features = 0;  /* no VERSION_1: legacy drivers are not served */
	virtio_device_set_status(r.vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK);
	CHECK(!(virtio_device_status(r.vdev) & VIRTIO_STATUS_FEATURES_OK));
	rig_stop(&r);
}

int main(void)
{
	vtest_need_io_uring();
	if (make_image(DISK_SECTORS * 512ULL)) {
		perror("temporary image");
		return 1;
	}
	test_rw();
	test_discard();
	test_read_only();
	test_errors();
	test_multiqueue_and_reset();
	test_feature_check();
	unlink(path);
	return check_summary("virtio-blk");
}
