// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-mmio register model, driven like Linux's virtio_mmio driver,
 * with a fake vm_irq_ops that records ioeventfd/irqfd calls and hands out
 * real eventfds. Devices behind it: virtio-rng and virtio-console (the
 * latter over pipes), so notifies and interrupts are exercised for real.
 */
#include <errno.h>
#include <fcntl.h>

#include "vtest.h"

#define BASE 0xd0000000ULL
#define GSI 5

struct fake_irq {
	int irqfd_calls, irq_fd;
	unsigned gsi;
	int ioeventfd_assigned, ioeventfd_deassigned;
	uint64_t last_addr;
	int64_t datamatch[VIRTIO_MAX_QUEUES];
	bool fail_ioeventfd;
};

static int fake_irqfd(void *opaque, unsigned gsi, int *ret_efd)
{
	struct fake_irq *f = opaque;

	f->irqfd_calls++;
	f->gsi = gsi;
	f->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	*ret_efd = f->irq_fd;
	return f->irq_fd < 0 ? -errno : 0;
}

static int fake_ioeventfd(void *opaque, uint64_t addr, unsigned len, int64_t datamatch, int efd, bool assign)
{
	struct fake_irq *f = opaque;

	if (f->fail_ioeventfd)
		return -ENOSYS;
	if (len != 4 || efd < 0 || datamatch < 0 || datamatch >= VIRTIO_MAX_QUEUES)
		return -EINVAL;
	f->last_addr = addr;
	if (assign) {
		f->datamatch[f->ioeventfd_assigned++] = datamatch;
	} else {
		f->ioeventfd_deassigned++;
	}
	return 0;
}

static struct fake_irq fi;
static const struct vm_irq_ops irq_ops = { .irqfd_gsi = fake_irqfd, .ioeventfd = fake_ioeventfd, .opaque = &fi };

static uint32_t rd(struct virtio_mmio *m, uint64_t off)
{
	uint32_t v;

	virtio_mmio_ops.read(m, off, &v, 4);
	return v;
}

static void wr(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	virtio_mmio_ops.write(m, off, &v, 4);
}

/* The driver side of queue set-up, as in vm_setup_vq(). */
static void setup_queue(struct virtio_mmio *m, unsigned q, struct drv *d)
{
	wr(m, 0x030, q);
	CHECK_EQ(rd(m, 0x044), 0);
	CHECK(rd(m, 0x034) >= d->size);
	wr(m, 0x038, d->size);
	wr(m, 0x080, (uint32_t)d->desc);
	wr(m, 0x084, (uint32_t)(d->desc >> 32));
	wr(m, 0x090, (uint32_t)d->avail);
	wr(m, 0x094, 0);
	wr(m, 0x0a0, (uint32_t)d->used);
	wr(m, 0x0a4, 0);
	wr(m, 0x044, 1);
	CHECK_EQ(rd(m, 0x044), 1);
}

static uint64_t negotiate(struct virtio_mmio *m)
{
	uint64_t f;

	wr(m, 0x070, 0);
	wr(m, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(m, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(m, 0x014, 0);
	f = rd(m, 0x010);
	wr(m, 0x014, 1);
	f |= (uint64_t)rd(m, 0x010) << 32;
	wr(m, 0x024, 0);
	wr(m, 0x020, (uint32_t)f);
	wr(m, 0x024, 1);
	wr(m, 0x020, (uint32_t)(f >> 32));
	wr(m, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	CHECK(rd(m, 0x070) & VIRTIO_STATUS_FEATURES_OK);
	return f;
}

static bool wait_irq(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 20000) != 1)
		return false;
	return read(fd, &v, 8) == 8;
}

static void test_rng(struct gmem *gm)
{
	struct virtio_device *vdev;
	struct virtio_mmio *m;
	struct drv d;
	uint8_t buf[64], zero[64] = { 0 };
	char line[96];
	gpa_t b;
	uint64_t f;

	memset(&fi, 0, sizeof(fi));
	CHECK_EQ(virtio_rng_create(gm, &vdev), 0);
	CHECK_EQ(virtio_mmio_create(vdev, BASE, GSI, &irq_ops, &m), 0);
	CHECK_EQ(fi.irqfd_calls, 1);
	CHECK_EQ(fi.gsi, GSI);
	CHECK_EQ(fi.ioeventfd_assigned, 1);
	CHECK_EQ(fi.last_addr, BASE + 0x50);
	CHECK_EQ(fi.datamatch[0], 0);

	CHECK_EQ(rd(m, 0x000), 0x74726976);
	CHECK_EQ(rd(m, 0x004), 2);
	CHECK_EQ(rd(m, 0x008), VIRTIO_ID_RNG);
	CHECK_EQ(rd(m, 0x00c), 0x46494b53);
	CHECK_EQ(rd(m, 0x0b0), 0xffffffff);  /* no shared memory */
	{
		uint16_t half;  /* registers are 32-bit: narrower reads see 0 */

		virtio_mmio_ops.read(m, 0, &half, 2);
		CHECK_EQ(half, 0);
	}

	f = negotiate(m);
	CHECK(f & 1ULL << VIRTIO_F_VERSION_1);
	CHECK(f & 1ULL << VIRTIO_F_EVENT_IDX);
	CHECK_EQ(vdev->driver_features, f);
	/* Features are frozen once FEATURES_OK is set. */
	wr(m, 0x024, 0);
	wr(m, 0x020, 0);
	CHECK_EQ(vdev->driver_features, f);

	wr(m, 0x030, 5);  /* a queue that does not exist */
	CHECK_EQ(rd(m, 0x034), 0);
	drv_init(&d, gm, 0x10000, 16);
	setup_queue(m, 0, &d);
	wr(m, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		     VIRTIO_STATUS_DRIVER_OK);
	CHECK(vdev->active);
	/* Queue registers are fixed while the driver runs. */
	wr(m, 0x038, 2);
	CHECK_EQ(vdev->queues[0].size, 16);

	b = drv_alloc(&d, sizeof(buf));
	drv_desc(&d, 0, b, sizeof(buf), VIRTQ_DESC_F_WRITE, 0);
	drv_add(&d, 0);
	wr(m, 0x050, 0);  /* a trapped notify, as without ioeventfd */
	CHECK(drv_wait_used(&d, 1));
	CHECK_EQ(drv_used_elem(&d, 0).len, sizeof(buf));
	CHECK(gmem_read(gm, b, buf, sizeof(buf)) == 0 && memcmp(buf, zero, sizeof(buf)) != 0);
	CHECK(wait_irq(fi.irq_fd));
	CHECK_EQ(rd(m, 0x060) & 1, 1);
	wr(m, 0x064, 1);
	CHECK_EQ(rd(m, 0x060), 0);

	/* The ioeventfd path: KVM would write the kick eventfd directly. */
	drv_add(&d, 0);
	{
		uint64_t one = 1;

		CHECK(write(vdev->queues[0].kick_fd, &one, 8) == 8);
	}
	CHECK(drv_wait_used(&d, 2));

	/* Reset clears status, features, queues and pending interrupts. */
	wr(m, 0x070, 0);
	CHECK_EQ(rd(m, 0x070), 0);
	CHECK(!vdev->active);
	CHECK_EQ(vdev->driver_features, 0);
	wr(m, 0x030, 0);
	CHECK_EQ(rd(m, 0x044), 0);
	CHECK_EQ(vdev->queues[0].desc, 0);
	CHECK_EQ(rd(m, 0x060), 0);

	/* Features beyond the offer: FEATURES_OK does not stick. */
	wr(m, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(m, 0x024, 1);
	wr(m, 0x020, 1 | 1u << 20);
	wr(m, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	CHECK(!(rd(m, 0x070) & VIRTIO_STATUS_FEATURES_OK));

	CHECK(virtio_mmio_cmdline(m, line, sizeof(line)) > 0);
	CHECK(strcmp(line, "virtio_mmio.device=512@0xd0000000:5") == 0);
	virtio_mmio_destroy(m);
	CHECK_EQ(fi.ioeventfd_deassigned, 1);
	CHECK(vdev->transport == NULL);
	virtio_device_destroy(vdev);
}

static void test_broken_ring(struct gmem *gm)
{
	struct virtio_device *vdev;
	struct virtio_mmio *m;
	struct drv d;

	memset(&fi, 0, sizeof(fi));
	fi.fail_ioeventfd = true;  /* falls back to trapped notifies */
	CHECK_EQ(virtio_rng_create(gm, &vdev), 0);
	CHECK_EQ(virtio_mmio_create(vdev, BASE, GSI, &irq_ops, &m), 0);
	negotiate(m);
	drv_init(&d, gm, 0x10000, 16);
	setup_queue(m, 0, &d);
	wr(m, 0x070, 0xf);
	drv_desc(&d, 0, gmem_end(gm) - 4, 64, VIRTQ_DESC_F_WRITE, 0);  /* outside RAM */
	drv_add(&d, 0);
	wr(m, 0x050, 0);
	CHECK(wait_irq(fi.irq_fd));
	/*
	 * The interrupt may be one the worker raised before it found the bad
	 * buffer; give it (on a loaded machine) time to get to the error.
	 */
	for (int i = 0; i < 20000 && !(rd(m, 0x070) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	CHECK(rd(m, 0x070) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(rd(m, 0x060) & 2);  /* config change tells the driver */
	wr(m, 0x070, 0);
	CHECK_EQ(rd(m, 0x070), 0);
	virtio_mmio_destroy(m);
	virtio_device_destroy(vdev);
}

static void test_console(struct gmem *gm)
{
	struct virtio_device *vdev;
	struct virtio_mmio *m;
	struct drv rx, tx;
	int in[2], out[2];
	char got[16] = "";
	gpa_t b;

	memset(&fi, 0, sizeof(fi));
	CHECK(pipe2(in, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(out, O_CLOEXEC) == 0);
	CHECK_EQ(virtio_console_create(in[0], out[1], gm, &vdev), 0);
	CHECK_EQ(virtio_mmio_create(vdev, BASE, GSI, &irq_ops, &m), 0);
	CHECK_EQ(rd(m, 0x008), VIRTIO_ID_CONSOLE);
	CHECK_EQ(fi.ioeventfd_assigned, 2);
	CHECK_EQ(fi.datamatch[1], 1);
	negotiate(m);
	drv_init(&rx, gm, 0x10000, 16);
	drv_init(&tx, gm, 0x20000, 16);
	setup_queue(m, 0, &rx);
	setup_queue(m, 1, &tx);
	wr(m, 0x070, 0xf);

	/* Guest output. */
	b = drv_alloc(&tx, 8);
	CHECK(gmem_write(gm, b, "hello\n", 6) == 0);
	drv_desc(&tx, 0, b, 6, 0, 0);
	drv_add(&tx, 0);
	wr(m, 0x050, 1);
	CHECK(read(out[0], got, 6) == 6 && memcmp(got, "hello\n", 6) == 0);
	CHECK(drv_wait_used(&tx, 1));

	/* Guest input. */
	b = drv_alloc(&rx, 16);
	drv_desc(&rx, 0, b, 16, VIRTQ_DESC_F_WRITE, 0);
	drv_add(&rx, 0);
	wr(m, 0x050, 0);
	CHECK(write(in[1], "ls\n", 3) == 3);
	CHECK(drv_wait_used(&rx, 1));
	CHECK_EQ(drv_used_elem(&rx, 0).len, 3);
	CHECK(gmem_read(gm, b, got, 3) == 0 && memcmp(got, "ls\n", 3) == 0);

	virtio_mmio_destroy(m);
	virtio_device_destroy(vdev);
	close(in[0]), close(in[1]), close(out[0]), close(out[1]);
}

int main(void)
{
	struct gmem gm;

	vtest_need_io_uring();
	if (gmem_create(&gm, 4 * MiB, 0xc0000000ULL))
		return 1;
	test_rng(&gm);
	test_broken_ring(&gm);
	test_console(&gm);
	gmem_destroy(&gm);
	return check_summary("virtio-mmio");
}
