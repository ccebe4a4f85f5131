// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueue walker against hostile rings: loops, out-of-range
 * indexes, nested indirect tables, buffers outside RAM, length overflow;
 * plus used-ring publication and EVENT_IDX notification suppression.
 */
#include <errno.h>

#include "vtest.h"

#define QSIZE 8

static struct gmem gm;
static struct virtio_device vdev;
static struct fake_transport ft;
static struct drv d;
static struct virtq vq;
static struct iovec iov[QSIZE + VIRTIO_QUEUE_MAX_SIZE];
static struct virtq_chain chain = { .iov = iov, .cap = ARRAY_SIZE(iov) };

static uint64_t dummy_features(struct virtio_device *v)
{
	(void)v;
	return 0;
}

static const struct virtio_device_ops dummy_ops = { .features = dummy_features };

/* A fresh device and queue of QSIZE entries; event_idx as negotiated. */
static void setup(const struct gmem *mem, bool event_idx)
{
	memset(&vdev, 0, sizeof(vdev));
	memset(&ft, 0, sizeof(ft));
	ft.used_fd = -1;
	vdev.name = "test-virtq";
	vdev.ops = &dummy_ops;
	vdev.mem = mem;
	vdev.nr_queues = 1;
	vdev.queues[0].max_size = QSIZE;
	vdev.transport = &fake_transport_ops;
	vdev.transport_priv = &ft;
	vdev.driver_features = 1ULL << VIRTIO_F_VERSION_1 | (event_idx ? 1ULL << VIRTIO_F_EVENT_IDX : 0);
	drv_init(&d, mem, 0x10000, QSIZE);
	drv_cfg(&d, &vdev.queues[0]);
	CHECK_EQ(virtq_init(&vq, &vdev, 0), 0);
}

static bool is_broken(void)
{
	return (vdev.status & VIRTIO_STATUS_NEEDS_RESET) && vdev.broken && ft.config == 1;
}

/* Expect the next pop to fail as a guest error. */
static void expect_broken(int line)
{
	int r = virtq_pop(&vq, &chain);

	if (!check_ok(r == -EIO && is_broken()))
		fprintf(stderr, "line %d: expected a broken queue, pop gave %d\n", line, r);
	/* Once broken, the queue stays stopped. */
	CHECK_EQ(virtq_pop(&vq, &chain), -EIO);
}

static void test_simple_chains(void)
{
	gpa_t a, b, c;

	setup(&gm, false);
	a = drv_alloc(&d, 100), b = drv_alloc(&d, 200), c = drv_alloc(&d, 300);
	CHECK_EQ(virtq_pop(&vq, &chain), 0);  /* empty */

	drv_desc(&d, 3, a, 100, 0, 0);  /* one descriptor */
	drv_add(&d, 3);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.nr_out, 1);
	CHECK_EQ(chain.nr_in, 0);
	CHECK_EQ(chain.out_len, 100);
	CHECK(chain.iov[0].iov_base == gmem_slice(&gm, a, 100));

	drv_desc(&d, 0, a, 100, VIRTQ_DESC_F_NEXT, 5);
	drv_desc(&d, 5, b, 0, VIRTQ_DESC_F_NEXT, 2);  /* empty buffers are skipped */
	drv_desc(&d, 2, b, 200, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
	drv_desc(&d, 7, c, 300, VIRTQ_DESC_F_WRITE, 0);
	drv_add(&d, 0);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nr_out, 1);
	CHECK_EQ(chain.nr_in, 2);
	CHECK_EQ(chain.in_len, 500);
	CHECK(chain.iov[2].iov_base == gmem_slice(&gm, c, 300));
	CHECK_EQ(virtq_pop(&vq, &chain), 0);

	virtq_push(&vq, 3, 0);
	virtq_push(&vq, 0, 500);
	CHECK_EQ(drv_used_idx(&d), 2);
	CHECK_EQ(drv_used_elem(&d, 1).id, 0);
	CHECK_EQ(drv_used_elem(&d, 1).len, 500);
	CHECK(!vdev.broken);
}

static void test_max_chain(void)
{
	gpa_t buf, table;

	setup(&gm, false);
	buf = drv_alloc(&d, 64);
	for (unsigned i = 0; i < QSIZE; i++)  /* every descriptor, in order */
		drv_desc(&d, i, buf, 8, i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	drv_add(&d, 0);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nr_out, QSIZE);

	/* An indirect table as large as allowed. */
	table = drv_alloc(&d, 16 * VIRTIO_QUEUE_MAX_SIZE);
	for (unsigned i = 0; i < VIRTIO_QUEUE_MAX_SIZE; i++)
		drv_desc_at(&d, table, i, buf, 1, VIRTQ_DESC_F_WRITE | (i + 1 < VIRTIO_QUEUE_MAX_SIZE ? VIRTQ_DESC_F_NEXT : 0),
			    (uint16_t)(i + 1));
	drv_desc(&d, 1, table, 16 * VIRTIO_QUEUE_MAX_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 1);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nr_in, VIRTIO_QUEUE_MAX_SIZE);
	CHECK_EQ(chain.in_len, VIRTIO_QUEUE_MAX_SIZE);

	/* A direct readable descriptor leading into an indirect table. */
	drv_desc_at(&d, table, 0, buf, 4, VIRTQ_DESC_F_WRITE, 0);
	drv_desc(&d, 2, buf, 16, VIRTQ_DESC_F_NEXT, 3);
	drv_desc(&d, 3, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 2);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nr_out, 1);
	CHECK_EQ(chain.nr_in, 1);
	CHECK(!vdev.broken);
}

static void test_loops(void)
{
	gpa_t buf, table;

	setup(&gm, false);
	buf = drv_alloc(&d, 64);
	drv_desc(&d, 0, buf, 8, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&d, 1, buf, 8, VIRTQ_DESC_F_NEXT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* a descriptor pointing at itself */
	drv_desc(&d, 4, drv_alloc(&d, 8), 8, VIRTQ_DESC_F_NEXT, 4);
	drv_add(&d, 4);
	expect_broken(__LINE__);

	setup(&gm, false);  /* a loop inside an indirect table */
	buf = drv_alloc(&d, 64);
	table = drv_alloc(&d, 32);
	drv_desc_at(&d, table, 0, buf, 8, VIRTQ_DESC_F_NEXT, 1);
	drv_desc_at(&d, table, 1, buf, 8, VIRTQ_DESC_F_NEXT, 0);
	drv_desc(&d, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);
}

static void test_ranges(void)
{
	gpa_t buf, table;

	setup(&gm, false);  /* next out of range */
	drv_desc(&d, 0, drv_alloc(&d, 8), 8, VIRTQ_DESC_F_NEXT, QSIZE);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* head out of range */
	drv_add(&d, QSIZE);
	expect_broken(__LINE__);

	setup(&gm, false);  /* the driver claims more than the ring holds */
	__atomic_store_n(&drv_avail_hdr(&d)[1], QSIZE + 1, __ATOMIC_RELEASE);
	expect_broken(__LINE__);

	setup(&gm, false);  /* next past the end of an indirect table */
	buf = drv_alloc(&d, 8);
	table = drv_alloc(&d, 32);
	drv_desc_at(&d, table, 0, buf, 8, VIRTQ_DESC_F_NEXT, 2);
	drv_desc(&d, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);
}

static void test_indirect_rules(void)
{
	gpa_t buf, t1, t2;

	setup(&gm, false);  /* indirect in indirect */
	buf = drv_alloc(&d, 8);
	t1 = drv_alloc(&d, 16);
	t2 = drv_alloc(&d, 16);
	drv_desc_at(&d, t2, 0, buf, 8, 0, 0);
	drv_desc_at(&d, t1, 0, t2, 16, VIRTQ_DESC_F_INDIRECT, 0);
	drv_desc(&d, 0, t1, 16, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* INDIRECT together with NEXT */
	t1 = drv_alloc(&d, 16);
	drv_desc_at(&d, t1, 0, drv_alloc(&d, 8), 8, 0, 0);
	drv_desc(&d, 0, t1, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* table length not a multiple of 16 */
	drv_desc(&d, 0, drv_alloc(&d, 24), 24, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* empty table */
	drv_desc(&d, 0, drv_alloc(&d, 16), 0, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* table larger than any queue */
	drv_desc(&d, 0, 0, 16 * (VIRTIO_QUEUE_MAX_SIZE + 1), VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* table outside RAM */
	drv_desc(&d, 0, gmem_end(&gm) - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);
}

static void test_buffers(void)
{
	gpa_t buf;

	setup(&gm, false);  /* buffer past the end of RAM */
	drv_desc(&d, 0, gmem_end(&gm), 1, 0, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* buffer straddling the end of RAM */
	drv_desc(&d, 0, gmem_end(&gm) - 8, 9, 0, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* address + len wrapping at 2^64 */
	drv_desc(&d, 0, ~0ULL - 3, 16, 0, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&gm, false);  /* readable after writable */
	buf = drv_alloc(&d, 8);
	drv_desc(&d, 0, buf, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&d, 1, buf, 8, 0, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);
}

/* Length cap: needs RAM large enough for 3 GiB buffers (a sparse memfd). */
static void test_length_cap(void)
{
	struct gmem big;

	if (gmem_create(&big, 3ULL << 30, 0xc0000000ULL)) {
		fprintf(stderr, "skipping length-cap test: no 3 GiB memfd\n");
		return;
	}
	setup(&big, false);  /* 3 GiB + 3 GiB: over the cap */
	drv_desc(&d, 0, 0, 0xc0000000u, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&d, 1, 0, 0xc0000000u, VIRTQ_DESC_F_WRITE, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);

	setup(&big, false);  /* exactly 4 GiB - 1: allowed */
	drv_desc(&d, 0, 0, 0xc0000000u, VIRTQ_DESC_F_NEXT, 1);
	drv_desc(&d, 1, 0, 0x3fffffffu, VIRTQ_DESC_F_WRITE, 0);
	drv_add(&d, 0);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.out_len + chain.in_len, 0xffffffffULL);
	gmem_destroy(&big);
}

static void test_bad_layout(void)
{
	setup(&gm, false);
	vdev.queues[0].desc = 0x10008;  /* not 16-byte aligned */
	CHECK_EQ(virtq_init(&vq, &vdev, 0), -EINVAL);
	CHECK(vdev.broken);

	setup(&gm, false);
	vdev.queues[0].used = gmem_end(&gm) - 8;  /* used ring runs past RAM */
	CHECK_EQ(virtq_init(&vq, &vdev, 0), -EFAULT);
	CHECK_EQ(virtq_pop(&vq, &chain), -EIO);

	setup(&gm, false);
	vdev.queues[0].size = 6;  /* not a power of two */
	CHECK_EQ(virtq_init(&vq, &vdev, 0), -EINVAL);

	setup(&gm, false);
	vdev.queues[0].size = 2 * QSIZE;  /* above max */
	CHECK_EQ(virtq_init(&vq, &vdev, 0), -EINVAL);

	setup(&gm, false);
	vdev.queues[0].enabled = false;  /* not an error: the driver may leave queues off */
	CHECK_EQ(virtq_init(&vq, &vdev, 0), -ENOENT);
	CHECK(!vdev.broken);
}

static void test_notify(void)
{
	gpa_t buf;

	/* Without EVENT_IDX: NO_INTERRUPT decides. */
	setup(&gm, false);
	virtq_push(&vq, 0, 0);
	CHECK(virtq_need_notify(&vq));
	drv_avail_hdr(&d)[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	virtq_push(&vq, 0, 0);
	CHECK(!virtq_need_notify(&vq));

	/* With EVENT_IDX: notify only when used idx passes used_event. */
	setup(&gm, true);
	drv_avail_hdr(&d)[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;  /* ignored with EVENT_IDX */
	drv_set_used_event(&d, 0);
	virtq_push(&vq, 0, 0);        /* used idx 0 -> 1 crosses event 0 */
	CHECK(virtq_need_notify(&vq));
	virtq_push(&vq, 0, 0);        /* 1 -> 2: event still 0, already signalled */
	CHECK(!virtq_need_notify(&vq));
	drv_set_used_event(&d, 4);
	virtq_push(&vq, 0, 0);        /* 2 -> 3 */
	CHECK(!virtq_need_notify(&vq));
	virtq_push(&vq, 0, 0);        /* 3 -> 4 */
	CHECK(!virtq_need_notify(&vq));
	virtq_push(&vq, 0, 0);        /* 4 -> 5 crosses 4 */
	CHECK(virtq_need_notify(&vq));
	virtq_push(&vq, 0, 0);
	virtq_push(&vq, 0, 0);        /* 5 -> 7 in one batch, event 6 inside it */
	drv_set_used_event(&d, 6);
	CHECK(virtq_need_notify(&vq));
	ft.used = 0;
	virtq_notify(&vq);            /* nothing new since */
	CHECK_EQ(ft.used, 0);

	/* avail_event follows what the device popped. */
	buf = drv_alloc(&d, 8);
	drv_desc(&d, 0, buf, 8, 0, 0);
	drv_add(&d, 0);
	drv_add(&d, 0);
	CHECK(virtq_enable_notify(&vq));    /* two waiting: do not sleep */
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK(!virtq_enable_notify(&vq));
	CHECK_EQ(drv_avail_event(&d), 2);
}

static void test_wraparound(void)
{
	gpa_t buf;

	setup(&gm, true);
	buf = drv_alloc(&d, 8);
	drv_desc(&d, 1, buf, 8, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 70000; i++) {  /* past 2^16 on both indexes */
		drv_add(&d, 1);
		if (virtq_pop(&vq, &chain) != 1) {
			CHECK(!"pop failed");
			break;
		}
		virtq_push(&vq, chain.head, 8);
	}
	CHECK_EQ(drv_used_idx(&d), (uint16_t)70000);
	CHECK(!vdev.broken);
}

int main(void)
{
	if (gmem_create(&gm, 4 * MiB, 0xc0000000ULL)) {
		fprintf(stderr, "gmem_create failed\n");
		return 1;
	}
	test_simple_chains();
	test_max_chain();
	test_loops();
	test_ranges();
	test_indirect_rules();
	test_buffers();
	test_length_cap();
	test_bad_layout();
	test_notify();
	test_wraparound();
	gmem_destroy(&gm);
	return check_summary("virtq");
}
