// SPDX-License-Identifier: Apache-2.0
/*
 * virtio devices behind a vIOMMU (vdev->dma): ACCESS_PLATFORM negotiation,
 * and the virtqueue walker translating ring, indirect-table and buffer
 * addresses through a fake dma_xlate — a page permutation of an IOVA
 * window with holes and read-only pages — so that rings and buffers split
 * across pages must land in the right GPAs, a fault breaks the device,
 * and the identity path (no translate) is unchanged. Then virtio-blk,
 * virtio-net and virtio-vsock end to end behind the fake; where
 * /dev/vhost-net and /dev/vhost-vsock exist (the lab: vhost-fallback),
 * their "vhost" must give way to the userspace paths.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "blk_req.h"
#include "net_hdr.h"
#include "vsock_pkt.h"
#include "vtest.h"

#define QSIZE 8
#define PAGE 4096ULL
#define IOVA_BASE 0x100000000ULL  /* the fake's IOVA window: above the fake RAM, so no IOVA is a valid GPA */
#define IOVA_PAGES 256
#define GPA_BASE 0x100000ULL      /* the GPA pages the window maps to: [1 MiB, 2 MiB) */
#define HOLE (~0u)

/*
 * IOVA page i maps to GPA page map[i] (HOLE: unmapped); ro[i]: the device
 * may only read it. Each answer covers the rest of one IOVA page, or more
 * when the next IOVA pages follow in GPA and merge is set (as an IOMMU
 * with large pages would), so the walker sees both shapes.
 */
struct fake_iommu {
	unsigned map[IOVA_PAGES];
	bool ro[IOVA_PAGES];
	bool merge;
	unsigned calls, faults;
};

static int fake_translate(void *opaque, uint64_t iova, uint64_t len, bool write, gpa_t *gpa, uint64_t *contig)
{
	struct fake_iommu *f = opaque;
	uint64_t page = (iova - IOVA_BASE) / PAGE, n;

	f->calls++;
	if (iova < IOVA_BASE || page >= IOVA_PAGES || f->map[page] == HOLE || (write && f->ro[page])) {
		f->faults++;
		return -EFAULT;
	}
	*gpa = GPA_BASE + f->map[page] * PAGE + (iova & (PAGE - 1));
	n = PAGE - (iova & (PAGE - 1));
	while (f->merge && n < len && page + 1 < IOVA_PAGES && f->map[page + 1] == f->map[page] + 1 &&
	       !(write && f->ro[page + 1])) {
		page++;
		n += PAGE;
	}
	*contig = n < len ? n : len;
	return 0;
}

static struct gmem gm;
static struct virtio_device vdev;
static struct fake_transport ft;
static struct fake_iommu fi;

static uint64_t dummy_features(struct virtio_device *v)
{
	(void)v;
	return 1ULL << VIRTIO_F_EVENT_IDX;
}

static const struct virtio_device_ops dummy_ops = { .features = dummy_features };

static void dev_setup(bool translate)
{
	memset(&vdev, 0, sizeof(vdev));
	memset(&ft, 0, sizeof(ft));
	ft.used_fd = -1;
	vdev.name = "test-dma";
	vdev.ops = &dummy_ops;
	vdev.mem = &gm;
	vdev.nr_queues = 1;
	vdev.queues[0].max_size = QSIZE;
	vdev.transport = &fake_transport_ops;
	vdev.transport_priv = &ft;
	if (translate)
		vdev.dma = (struct dma_xlate){ .translate = fake_translate, .opaque = &fi };
}

/* Negotiate driver features; whether FEATURES_OK stuck. */
static bool negotiate(uint64_t features)
{
	vdev.driver_features = features;
	virtio_device_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_device_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return virtio_device_status(&vdev) & VIRTIO_STATUS_FEATURES_OK;
}

static void test_features(void)
{
	const uint64_t v1 = 1ULL << VIRTIO_F_VERSION_1, ap = 1ULL << VIRTIO_F_ACCESS_PLATFORM;

	/* Without a vIOMMU: ACCESS_PLATFORM is neither offered nor accepted. */
	dev_setup(false);
	CHECK_EQ(virtio_device_features(&vdev), v1 | 1ULL << VIRTIO_F_EVENT_IDX);
	CHECK(negotiate(v1));
	dev_setup(false);
	CHECK(!negotiate(v1 | ap));

	/* Behind one: offered, and a driver that refuses it does not get FEATURES_OK. */
	dev_setup(true);
	CHECK_EQ(virtio_device_features(&vdev), v1 | ap | 1ULL << VIRTIO_F_EVENT_IDX);
	CHECK(!negotiate(v1));
	dev_setup(true);
	CHECK(negotiate(v1 | ap));
	dev_setup(true);
	CHECK(negotiate(v1 | ap | 1ULL << VIRTIO_F_EVENT_IDX));

	/* A reset forgets the driver's features but not the device's place behind the vIOMMU. */
	virtio_device_set_status(&vdev, 0);
	CHECK(vdev.dma.translate == fake_translate);
	CHECK(!negotiate(v1));
}

/* ---- the fake vIOMMU's mappings, and a driver that works in IOVAs ---------- */

static void fi_reset(bool merge)
{
	memset(&fi, 0, sizeof(fi));
	for (unsigned i = 0; i < IOVA_PAGES; i++)
		fi.map[i] = HOLE;
	fi.merge = merge;
}

/* IOVA pages [ipage, ipage + n) to GPA pages [gpage, gpage + n), in order. */
static void fi_map(unsigned ipage, unsigned gpage, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fi.map[ipage + i] = gpage + i;
}

/* IOVA pages [ipage, ipage + n) to GPA pages far apart and backwards: no two adjacent. */
static void fi_scatter(unsigned ipage, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fi.map[ipage + i] = 250 - 3 * ((ipage + i) % 80);
}

static uint64_t iova(unsigned page, unsigned off)
{
	return IOVA_BASE + page * PAGE + off;
}

/* Where the fake maps iova (the test's own lookup, independent of the walker). */
static gpa_t fi_gpa(uint64_t a)
{
	unsigned page = (unsigned)((a - IOVA_BASE) / PAGE);

	if (a < IOVA_BASE || page >= IOVA_PAGES || fi.map[page] == HOLE) {
		fprintf(stderr, "test bug: IOVA %#llx not mapped\n", (unsigned long long)a);
		abort();
	}
	return GPA_BASE + fi.map[page] * PAGE + (a & (PAGE - 1));
}

/* The driver's (CPU's) access to IOVA-addressed memory, page by page. */
static void dw(uint64_t a, const void *buf, uint64_t len)
{
	for (uint64_t done = 0, chunk; done < len; done += chunk) {
		chunk = PAGE - ((a + done) & (PAGE - 1));
		if (chunk > len - done)
			chunk = len - done;
		memcpy(gmem_slice(&gm, fi_gpa(a + done), chunk), (const uint8_t *)buf + done, chunk);
	}
}

static void dr(uint64_t a, void *buf, uint64_t len)
{
	for (uint64_t done = 0, chunk; done < len; done += chunk) {
		chunk = PAGE - ((a + done) & (PAGE - 1));
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)buf + done, gmem_slice(&gm, fi_gpa(a + done), chunk), chunk);
	}
}

struct idrv {
	uint64_t desc, avail, used;
	uint16_t avail_idx;
};

static struct idrv dv;
static struct virtq vq;
static struct iovec iov[QSIZE + VIRTIO_QUEUE_MAX_SIZE];
static struct virtq_chain chain = { .iov = iov, .cap = ARRAY_SIZE(iov) };

static void idesc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	dw(table + 16ULL * i, &d, 16);
}

static void iadd_to(struct idrv *d, uint16_t head)
{
	uint16_t idx;

	dw(d->avail + 4 + 2ULL * (d->avail_idx % QSIZE), &head, 2);
	idx = ++d->avail_idx;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	dw(d->avail + 2, &idx, 2);
}

static void iadd(uint16_t head)
{
	iadd_to(&dv, head);
}

/* Wait until the device has used `want` chains of d's queue in total (5 s). */
static bool iwait_used(struct idrv *d, uint16_t want)
{
	uint16_t idx;

	for (int i = 0; i < 5000; i++) {
		dr(d->used + 2, &idx, 2);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (idx == want)
			return true;
		usleep(1000);
	}
	return false;
}

static void izero(uint64_t a, uint64_t len)
{
	static const uint8_t zero[PAGE];

	for (uint64_t done = 0, chunk; done < len; done += chunk) {
		chunk = len - done < PAGE ? len - done : PAGE;
		dw(a + done, zero, chunk);
	}
}

/* Program a queue of QSIZE entries with rings at IOVAs (zeroed where mapped). */
static void iqueue(struct idrv *d, struct virtio_queue_cfg *q, uint64_t desc, uint64_t avail, uint64_t used)
{
	*d = (struct idrv){ .desc = desc, .avail = avail, .used = used };
	q->size = QSIZE;
	q->enabled = true;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	izero(desc, 16 * QSIZE);
	izero(avail, 6 + 2 * QSIZE);
	if (fi.map[(used - IOVA_BASE) / PAGE] != HOLE)
		izero(used, 6 + 8 * QSIZE);
}

/*
 * A device behind the fake with a queue whose rings are at the given
 * IOVAs; the desc and avail rings' pages must be mapped. virtq_init's result.
 */
static int queue_setup(uint64_t desc, uint64_t avail, uint64_t used)
{
	dev_setup(true);
	vdev.driver_features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_ACCESS_PLATFORM |
			       1ULL << VIRTIO_F_EVENT_IDX;
	vdev.queues[0].kick_fd = -1;
	iqueue(&dv, &vdev.queues[0], desc, avail, used);
	return virtq_init(&vq, &vdev, 0);
}

/* The usual queue for buffer tests: rings on IOVA pages 0-2, scattered in GPA space. */
static void queue_std(bool merge)
{
	fi_reset(merge);
	fi_scatter(0, 3);
	CHECK_EQ(queue_setup(iova(0, 0), iova(1, 0), iova(2, 0)), 0);
}

static bool is_broken(void)
{
	return (vdev.status & VIRTIO_STATUS_NEEDS_RESET) && vdev.broken && ft.config == 1;
}

static void expect_broken(int line)
{
	int r = virtq_pop(&vq, &chain);

	if (!check_ok(r == -EIO && is_broken()))
		fprintf(stderr, "line %d: expected a broken queue, pop gave %d\n", line, r);
	CHECK_EQ(virtq_pop(&vq, &chain), -EIO);
}

/* iov[k] must be the host view of len bytes at GPA gpa. */
static void check_iov(unsigned k, gpa_t gpa, size_t len, int line)
{
	if (!check_ok(k < chain.nr_out + chain.nr_in && chain.iov[k].iov_base == gmem_slice(&gm, gpa, len) &&
		      chain.iov[k].iov_len == len))
		fprintf(stderr, "line %d: iov[%u] is not %zu bytes at GPA %#llx\n", line, k, len,
			(unsigned long long)gpa);
}

/* ---- rings --------------------------------------------------------------- */

static void test_rings(void)
{
	uint64_t desc = iova(4, PAGE - 64);  /* 128 bytes: straddles IOVA pages 4 and 5 */
	struct virtq_used_elem e;
	uint16_t v;
	uint8_t data[8] = "payload";

	/* Straddling rings are fine when the pages follow each other in GPA space. */
	fi_reset(false);
	fi_map(4, 20, 2);
	fi_map(9, 7, 1);
	fi_map(30, 100, 1);
	CHECK_EQ(queue_setup(desc, iova(9, 2), iova(30, PAGE - 72)), 0);
	CHECK(vq.desc == gmem_slice(&gm, GPA_BASE + 20 * PAGE + PAGE - 64, 16 * QSIZE));
	CHECK(vq.avail == gmem_slice(&gm, GPA_BASE + 7 * PAGE + 2, 6 + 2 * QSIZE));
	CHECK(vq.used_hdr == gmem_slice(&gm, GPA_BASE + 100 * PAGE + PAGE - 72, 4));
	CHECK_EQ(fi.faults, 0);

	/* A buffer, pushed back: the used element lands at the used ring's GPA. */
	fi_map(40, 60, 1);
	dw(iova(40, 0), data, sizeof(data));
	idesc_at(desc, 5, iova(40, 0), sizeof(data), 0, 0);  /* descriptor 5 is on the second page */
	iadd(5);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.head, 5);
	check_iov(0, GPA_BASE + 60 * PAGE, sizeof(data), __LINE__);
	virtq_push(&vq, 5, 3);
	CHECK(!virtq_enable_notify(&vq));
	dr(dv.used + 2, &v, 2);
	CHECK_EQ(v, 1);
	dr(dv.used + 4, &e, sizeof(e));
	CHECK_EQ(e.id, 5);
	CHECK_EQ(e.len, 3);
	dr(dv.used + 4 + 8 * QSIZE, &v, 2);  /* avail_event, the used ring's last bytes */
	CHECK_EQ(v, 1);
	CHECK(!vdev.broken);

	/* The same descriptor ring with its two pages apart in GPA space. */
	fi_reset(false);
	fi_scatter(4, 2);
	fi_map(9, 7, 1);
	fi_map(30, 100, 1);
	CHECK_EQ(queue_setup(desc, iova(9, 2), iova(30, 0)), -EINVAL);
	CHECK(is_broken());
	CHECK_EQ(virtq_pop(&vq, &chain), -EIO);

	/* A ring in a hole: a fault the vIOMMU recorded. */
	fi_reset(false);
	fi_map(4, 20, 2);
	fi_map(9, 7, 1);
	CHECK_EQ(queue_setup(desc, iova(9, 2), iova(30, 0)), -EFAULT);
	CHECK(is_broken());
	CHECK_EQ(fi.faults, 1);

	/* The used ring on a page the device may only read. */
	fi_reset(false);
	fi_map(4, 20, 2);
	fi_map(9, 7, 1);
	fi_map(30, 100, 1);
	fi.ro[30] = true;
	CHECK_EQ(queue_setup(desc, iova(9, 2), iova(30, 0)), -EFAULT);
	CHECK(is_broken());

	/* A ring the vIOMMU maps outside guest RAM. */
	fi_reset(false);
	fi_map(4, 20, 2);
	fi_map(9, 7, 1);
	fi_map(30, 100, 1);
	CHECK_EQ(queue_setup(desc, iova(9, 2), iova(30, 0)), 0);
	fi.map[9] = 4096;  /* GPA 17 MiB: past the 4 MiB of RAM */
	CHECK_EQ(virtq_init(&vq, &vdev, 0), -EFAULT);
	CHECK(vdev.broken);

	/* Misaligned IOVAs are refused before anything is translated. */
	fi_reset(false);
	fi_map(4, 20, 2);
	fi_map(9, 7, 1);
	fi_map(30, 100, 1);
	CHECK_EQ(queue_setup(desc + 8, iova(9, 2), iova(30, 0)), -EINVAL);
	CHECK_EQ(fi.calls, 0);
}

/* ---- buffers ------------------------------------------------------------- */

static void test_split_buffers(void)
{
	uint8_t in[3 * PAGE], out[3 * PAGE];
	uint64_t a = iova(10, 100);  /* 3 pages from offset 100: touches IOVA pages 10-13 */

	for (unsigned merge = 0; merge < 2; merge++) {
		queue_std(merge);
		fi_scatter(10, 4);
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (uint8_t)(i * 7 + 3);
		dw(a, in, sizeof(in));
		fi_map(20, 150, 1);
		idesc_at(dv.desc, 2, a, sizeof(in), VIRTQ_DESC_F_NEXT, 6);
		idesc_at(dv.desc, 6, iova(20, 8), 64, VIRTQ_DESC_F_WRITE, 0);
		iadd(2);
		CHECK_EQ(virtq_pop(&vq, &chain), 1);
		CHECK_EQ(chain.nr_out, 4);  /* one iovec per page: no two are adjacent in GPA */
		CHECK_EQ(chain.nr_in, 1);
		CHECK_EQ(chain.out_len, sizeof(in));
		CHECK_EQ(chain.in_len, 64);
		check_iov(0, fi_gpa(a), PAGE - 100, __LINE__);
		check_iov(1, fi_gpa(iova(11, 0)), PAGE, __LINE__);
		check_iov(2, fi_gpa(iova(12, 0)), PAGE, __LINE__);
		check_iov(3, fi_gpa(iova(13, 0)), 100, __LINE__);
		check_iov(4, GPA_BASE + 150 * PAGE + 8, 64, __LINE__);
		memset(out, 0, sizeof(out));
		CHECK_EQ(iov_to_buf(chain.iov, chain.nr_out, 0, out, sizeof(out)), sizeof(out));
		CHECK(memcmp(in, out, sizeof(in)) == 0);
		CHECK_EQ(iov_from_buf(chain.iov + chain.nr_out, chain.nr_in, 0, in, 64), 64);
		dr(iova(20, 8), out, 64);
		CHECK(memcmp(in, out, 64) == 0);

		/* Pages that follow each other in GPA space give one iovec, whatever the vIOMMU's runs. */
		fi_map(10, 30, 4);
		idesc_at(dv.desc, 3, a, sizeof(in), 0, 0);
		iadd(3);
		CHECK_EQ(virtq_pop(&vq, &chain), 1);
		CHECK_EQ(chain.nr_out, 1);
		check_iov(0, GPA_BASE + 30 * PAGE + 100, sizeof(in), __LINE__);

		/* Two pages together, then a jump: two iovecs. */
		fi_map(10, 30, 2);
		fi_map(12, 90, 2);
		iadd(3);
		CHECK_EQ(virtq_pop(&vq, &chain), 1);
		CHECK_EQ(chain.nr_out, 2);
		check_iov(0, GPA_BASE + 30 * PAGE + 100, 2 * PAGE - 100, __LINE__);
		check_iov(1, GPA_BASE + 90 * PAGE, PAGE + 100, __LINE__);
		CHECK(!vdev.broken);
	}
}

static void test_faults(void)
{
	/* A hole in the middle of a buffer. */
	queue_std(false);
	fi_map(10, 30, 3);
	fi.map[11] = HOLE;
	idesc_at(dv.desc, 0, iova(10, 0), 3 * PAGE, 0, 0);
	iadd(0);
	expect_broken(__LINE__);
	CHECK_EQ(fi.faults, 1);

	/* The device may read a read-only page, not write it. */
	queue_std(false);
	fi_map(10, 30, 2);
	fi.ro[11] = true;
	idesc_at(dv.desc, 0, iova(10, 0), 2 * PAGE, 0, 0);
	iadd(0);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	idesc_at(dv.desc, 0, iova(10, 0), 2 * PAGE, VIRTQ_DESC_F_WRITE, 0);
	iadd(0);
	expect_broken(__LINE__);
	CHECK_EQ(fi.faults, 1);

	/* A buffer the vIOMMU maps past the end of RAM. */
	queue_std(false);
	fi.map[10] = 4096;
	idesc_at(dv.desc, 0, iova(10, 0), 16, 0, 0);
	iadd(0);
	expect_broken(__LINE__);

	/* IOVA + length wrapping at 2^64. */
	queue_std(false);
	idesc_at(dv.desc, 0, ~0ULL - 3, 16, 0, 0);
	iadd(0);
	expect_broken(__LINE__);

	/* A buffer in more pieces than the chain has iovecs for. */
	queue_std(false);
	fi_scatter(10, 8);
	chain.cap = 4;
	idesc_at(dv.desc, 0, iova(10, 0), 3 * PAGE, VIRTQ_DESC_F_NEXT, 1);  /* 3 iovecs */
	idesc_at(dv.desc, 1, iova(14, 0), PAGE, VIRTQ_DESC_F_NEXT, 2);      /* the 4th */
	idesc_at(dv.desc, 2, iova(16, 0), 2 * PAGE, VIRTQ_DESC_F_WRITE, 0); /* 5th and 6th: too many */
	iadd(0);
	expect_broken(__LINE__);
	chain.cap = ARRAY_SIZE(iov);
}

/* ---- indirect tables ----------------------------------------------------- */

/* A chain of n readable 100-byte buffers on IOVA page 50 + k, through an indirect table at table. */
static void indirect_chain(uint64_t table, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		idesc_at(table, k, iova(50 + k, 0), 100, k + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(k + 1));
	idesc_at(dv.desc, 1, table, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	iadd(1);
}

static void check_indirect_chain(unsigned n, int line)
{
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nr_out, n);
	for (unsigned k = 0; k < n && k < chain.nr_out; k++)
		check_iov(k, fi_gpa(iova(50 + k, 0)), 100, line);
}

static void test_indirect(void)
{
	/* 16 entries across IOVA pages 40 and 41, contiguous in GPA: one view. */
	queue_std(false);
	fi_map(40, 70, 2);
	fi_scatter(50, 16);
	indirect_chain(iova(40, PAGE - 128), 16);
	fi.calls = 0;
	check_indirect_chain(16, __LINE__);
	CHECK_EQ(fi.calls, 2 + 16);  /* the table's two pages, then each buffer */

	/* The same table with its pages apart: each entry is read through the vIOMMU. */
	queue_std(false);
	fi_scatter(40, 2);
	fi_scatter(50, 16);
	indirect_chain(iova(40, PAGE - 128), 16);
	check_indirect_chain(16, __LINE__);
	CHECK(!vdev.broken);

	/* ... and one of them in a hole: a fault. */
	queue_std(false);
	fi_scatter(40, 2);
	fi_scatter(50, 16);
	indirect_chain(iova(40, PAGE - 128), 16);
	fi.map[41] = HOLE;
	expect_broken(__LINE__);

	/* Scattered, with a hole past the discontinuity: found when the walk reaches it. */
	queue_std(false);
	fi_scatter(40, 2);
	fi_scatter(50, 1);
	idesc_at(iova(40, PAGE - 128), 0, iova(50, 0), 100, VIRTQ_DESC_F_NEXT, 300);  /* entry 300: page 42 */
	idesc_at(dv.desc, 1, iova(40, PAGE - 128), 16 * 400, VIRTQ_DESC_F_INDIRECT, 0);
	iadd(1);
	expect_broken(__LINE__);
	CHECK_EQ(fi.faults, 1);

	/* A table wholly in a hole. */
	queue_std(false);
	fi_scatter(50, 4);
	idesc_at(dv.desc, 1, iova(45, 0), 64, VIRTQ_DESC_F_INDIRECT, 0);
	iadd(1);
	expect_broken(__LINE__);

	/* The table rules still hold: a table inside a (scattered) table. */
	queue_std(false);
	fi_scatter(40, 2);
	idesc_at(iova(40, PAGE - 16), 0, iova(40, 0), 16, VIRTQ_DESC_F_NEXT, 1);
	idesc_at(iova(40, PAGE - 16), 1, iova(40, 0), 16, VIRTQ_DESC_F_INDIRECT, 0);
	idesc_at(dv.desc, 1, iova(40, PAGE - 16), 32, VIRTQ_DESC_F_INDIRECT, 0);
	iadd(1);
	expect_broken(__LINE__);
}

/* ---- without a vIOMMU nothing is translated --------------------------------- */

static void test_identity(void)
{
	struct drv d;

	fi_reset(false);
	dev_setup(false);
	vdev.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	drv_init(&d, &gm, 0x10000, QSIZE);
	drv_cfg(&d, &vdev.queues[0]);
	CHECK_EQ(virtq_init(&vq, &vdev, 0), 0);
	CHECK(vq.desc == gmem_slice(&gm, 0x10000, 16 * QSIZE));
	drv_desc(&d, 0, 0x200000, 3 * PAGE, 0, 0);  /* one buffer of 3 pages: one iovec at its GPA */
	drv_add(&d, 0);
	CHECK_EQ(virtq_pop(&vq, &chain), 1);
	CHECK_EQ(chain.nr_out, 1);
	check_iov(0, 0x200000, 3 * PAGE, __LINE__);
	/* An IOVA-looking address is just a GPA outside RAM. */
	drv_desc(&d, 0, iova(0, 0), 16, 0, 0);
	drv_add(&d, 0);
	expect_broken(__LINE__);
	CHECK_EQ(fi.calls, 0);
}

/* ---- devices end to end, behind the fake ------------------------------------ */

/* Attach dev to the fake transport and vIOMMU and take it to DRIVER_OK with every offered feature. */
static void dev_start(struct virtio_device *dev)
{
	memset(&ft, 0, sizeof(ft));
	ft.used_fd = -1;
	dev->transport = &fake_transport_ops;
	dev->transport_priv = &ft;
	dev->dma = (struct dma_xlate){ .translate = fake_translate, .opaque = &fi };
	dev->driver_features = virtio_device_features(dev);
	virtio_device_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_device_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	virtio_device_set_status(dev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				      VIRTIO_STATUS_DRIVER_OK);
	CHECK(dev->active);
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, 8) != 8)
		abort();
}

/*
 * One virtio-blk request with every part split across pages scattered in
 * GPA space: the 16-byte header straddles IOVA pages 10/11, the data
 * (3 pages) starts at 12 + 200 bytes, the status byte is on page 16.
 */
static uint8_t blk_io(int kick_fd, uint32_t type, uint64_t sector, uint8_t *data, uint32_t len)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	bool dev_writes = type == VIRTIO_BLK_T_IN;
	uint64_t ha = iova(10, PAGE - 8), da = iova(12, 200), sa = iova(16, 77);
	uint8_t st = 0xee;

	dw(ha, &h, sizeof(h));
	dw(sa, &st, 1);
	if (!dev_writes)
		dw(da, data, len);
	idesc_at(dv.desc, 0, ha, sizeof(h), VIRTQ_DESC_F_NEXT, 1);
	idesc_at(dv.desc, 1, da, len, VIRTQ_DESC_F_NEXT | (dev_writes ? VIRTQ_DESC_F_WRITE : 0), 2);
	idesc_at(dv.desc, 2, sa, 1, VIRTQ_DESC_F_WRITE, 0);
	iadd(0);
	kick(kick_fd);
	if (!iwait_used(&dv, dv.avail_idx))
		return 0xff;
	if (dev_writes)
		dr(da, data, len);
	dr(sa, &st, 1);
	return st;
}

static void test_blk(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	uint8_t out[3 * PAGE], in[3 * PAGE], file[3 * PAGE];
	struct virtio_device *blk;
	char path[256], err[256];
	int fd, kick_fd;

	snprintf(path, sizeof(path), "%s/skiff-test-dma-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0) {
		CHECK(!"temporary image");
		return;
	}
	if (!check_ok(virtio_blk_create(&(struct virtio_blk_params){ .path = path }, &gm, &blk, err,
					sizeof(err)) == 0)) {
		fprintf(stderr, "virtio_blk_create: %s\n", err);
		goto out;
	}
	fi_reset(false);
	fi_scatter(0, 3);
	fi_scatter(10, 7);
	iqueue(&dv, &blk->queues[0], iova(0, 0), iova(1, 0), iova(2, 0));
	kick_fd = blk->queues[0].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev_start(blk);
	CHECK(virtio_has_feature(blk, VIRTIO_F_ACCESS_PLATFORM));

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 13 + 5);
	CHECK_EQ(blk_io(kick_fd, VIRTIO_BLK_T_OUT, 8, out, sizeof(out)), VIRTIO_BLK_S_OK);
	CHECK(pread(fd, file, sizeof(file), 8 * 512) == (ssize_t)sizeof(file) && memcmp(file, out, sizeof(out)) == 0);
	memset(in, 0, sizeof(in));
	CHECK_EQ(blk_io(kick_fd, VIRTIO_BLK_T_IN, 8, in, sizeof(in)), VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, out, sizeof(out)) == 0);
	CHECK(!blk->broken);
	CHECK_EQ(fi.faults, 0);

	/* The guest unmaps the data pages and asks again: a fault, the device breaks, skiff goes on. */
	fi.map[13] = HOLE;
	iadd(0);
	kick(kick_fd);
	/* virtio_device_broken() sets broken, logs, then NEEDS_RESET: wait for the last. */
	for (int i = 0; i < 5000 && !(virtio_device_status(blk) & VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	CHECK(blk->broken);
	CHECK(virtio_device_status(blk) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(fi.faults, 1);
	virtio_device_destroy(blk);
	close(kick_fd);
out:
	close(fd);
	unlink(path);
}

/*
 * Start net behind the fake and transmit one frame whose header straddles
 * IOVA pages 10/11 and whose body runs into page 12, all far apart in GPA
 * space; then read it from the host side (fd, skip bytes of each datagram
 * before the frame) and compare. Frames of another EtherType are skipped.
 */
static void net_tx_check(struct virtio_device *net, int fd, size_t skip)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t frame[1200], got[4096];
	struct idrv rxd, txd;
	int kick_fd[2];
	bool found = false;

	fi_reset(true);
	fi_scatter(0, 6);
	fi_scatter(10, 3);
	iqueue(&rxd, &net->queues[0], iova(3, 0), iova(4, 0), iova(5, 0));
	iqueue(&txd, &net->queues[1], iova(0, 0), iova(1, 0), iova(2, 0));
	for (unsigned q = 0; q < 2; q++)
		kick_fd[q] = net->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev_start(net);
	CHECK(!net->broken);

	memset(frame, 0xff, 6);                       /* broadcast */
	memcpy(frame + 6, "\x06\0\0\0\0\x02", 6);
	memcpy(frame + 12, "\x88\xb5", 2);            /* local experimental EtherType */
	for (size_t i = 14; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i ^ 0x5a);
	dw(iova(10, PAGE - 4), &h, sizeof(h));
	dw(iova(11, PAGE - 300), frame, sizeof(frame));
	idesc_at(txd.desc, 0, iova(10, PAGE - 4), sizeof(h), VIRTQ_DESC_F_NEXT, 1);
	idesc_at(txd.desc, 1, iova(11, PAGE - 300), sizeof(frame), 0, 0);
	iadd_to(&txd, 0);
	kick(kick_fd[1]);
	CHECK(iwait_used(&txd, 1));
	for (int tries = 0; tries < 50 && !found; tries++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n = poll(&pfd, 1, 100) == 1 ? recv(fd, got, sizeof(got), 0) : -1;

		found = n == (ssize_t)(skip + sizeof(frame)) && memcmp(got + skip, frame, sizeof(frame)) == 0;
	}
	CHECK_MSG(found, "the frame did not reach the host side intact");
	CHECK(!net->broken);
	virtio_device_destroy(net);
	close(kick_fd[0]);
	close(kick_fd[1]);
}

/* virtio-net's userspace worker through translated buffers, a socket pair standing in for the tap. */
static void test_net(void)
{
	static const uint8_t mac[6] = { 0x06, 0, 0, 0, 0, 2 };
	struct virtio_device *net;
	char err[256];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv)) {
		CHECK(!"socketpair");
		return;
	}
	if (!check_ok(virtio_net_create(&(struct virtio_net_params){ .name = "t", .tap_name = "t", .mac = mac,
								      .test_fds = &sv[0] },
					&gm, &net, err, sizeof(err)) == 0)) {
		fprintf(stderr, "virtio_net_create: %s\n", err);
		return;
	}
	net_tx_check(net, sv[1], sizeof(struct virtio_net_hdr_v1));
	close(sv[1]);
}

/*
 * "vhost": true on a real tap where /dev/vhost-net exists (the lab, as
 * root): behind a vIOMMU the device must still start and move the frame
 * itself. vhost-net could not: it would be handed rings at IOVAs, which
 * are outside guest RAM here, and the device would break.
 */
static void test_net_vhost_tap(void)
{
	struct virtio_device *net;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	char name[16], err[256];
	int fd;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) || access("/dev/vhost-net", R_OK | W_OK)) {
		fprintf(stderr, "test-dma: no vhost-net tap test here (needs root, /dev/net/tun and /dev/vhost-net; "
			"the lab runs it: vhost-fallback)\n");
		return;
	}
	snprintf(name, sizeof(name), "skdma%d", (int)(getpid() % 100000));
	if (!check_ok(virtio_net_create(&(struct virtio_net_params){ .name = "t", .tap_name = name, .vhost = true },
					&gm, &net, err, sizeof(err)) == 0)) {
		fprintf(stderr, "virtio_net_create: %s\n", err);
		return;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	sll.sll_ifindex = (int)if_nametoindex(name);
	if (!check_ok(fd >= 0 && sll.sll_ifindex > 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == 0)) {
		fprintf(stderr, "test-dma: packet socket on %s: %s\n", name, strerror(errno));
		virtio_device_destroy(net);
		return;
	}
	net_tx_check(net, fd, 0);
	close(fd);
}

/*
 * virtio-vsock with "vhost": behind a vIOMMU it must use the Unix-socket
 * bridge even where /dev/vhost-vsock exists (the socket would not be there
 * otherwise). A host CONNECT reaches the guest as a REQUEST packet written
 * into a receive buffer that straddles two pages far apart in GPA space.
 */
static void test_vsock(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct virtio_vsock_hdr h;
	struct virtio_device *vs;
	struct idrv rxd, txd, evd;
	int fd = -1, kick_fd[3];
	char err[256];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/skiff-test-dma-%d.sock", dir, (int)getpid());
	if (!check_ok(virtio_vsock_create(&(struct virtio_vsock_params){ .guest_cid = 3, .uds_path = sa.sun_path,
									  .vhost = true },
					  &gm, &vs, err, sizeof(err)) == 0)) {
		fprintf(stderr, "virtio_vsock_create: %s\n", err);
		return;
	}
	fi_reset(false);
	fi_scatter(0, 9);
	fi_scatter(20, 2);
	iqueue(&rxd, &vs->queues[0], iova(0, 0), iova(1, 0), iova(2, 0));
	iqueue(&txd, &vs->queues[1], iova(3, 0), iova(4, 0), iova(5, 0));
	iqueue(&evd, &vs->queues[2], iova(6, 0), iova(7, 0), iova(8, 0));
	for (unsigned q = 0; q < 3; q++)
		kick_fd[q] = vs->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	idesc_at(rxd.desc, 0, iova(20, PAGE - 20), 1024, VIRTQ_DESC_F_WRITE, 0);  /* the header straddles */
	iadd_to(&rxd, 0);
	dev_start(vs);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(fd >= 0 && write(fd, "CONNECT 5000\n", 13) == 13);
	CHECK(iwait_used(&rxd, 1));
	dr(iova(20, PAGE - 20), &h, sizeof(h));
	CHECK_EQ(le16toh(h.op), VIRTIO_VSOCK_OP_REQUEST);
	CHECK_EQ(le64toh(h.dst_cid), 3);
	CHECK_EQ(le32toh(h.dst_port), 5000);
	CHECK(!vs->broken);
	if (fd >= 0)
		close(fd);
	virtio_device_destroy(vs);
	for (unsigned q = 0; q < 3; q++)
		close(kick_fd[q]);
	CHECK(access(sa.sun_path, F_OK) < 0);
}

int main(void)
{
	vtest_need_io_uring();
	if (gmem_create(&gm, 4 * MiB, 0xc0000000ULL)) {
		fprintf(stderr, "gmem_create failed\n");
		return 1;
	}
	test_features();
	test_rings();
	test_split_buffers();
	test_faults();
	test_indirect();
	test_identity();
	test_blk();
	test_net();
	test_net_vhost_tap();
	test_vsock();
	gmem_destroy(&gm);
	return check_summary("dma");
}
