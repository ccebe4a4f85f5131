// SPDX-License-Identifier: Apache-2.0
/*
 * virtio devices behind a vIOMMU (vdev->dma): ACCESS_PLATFORM negotiation,
 * and the virtqueue walker translating ring, indirect-table and buffer
 * addresses through a fake dma_xlate — a page permutation of an IOVA
 * window with holes and read-only pages — so that rings and buffers split
 * across pages must land in the right GPAs, a fault breaks the device,
 * and the identity path (no translate) is unchanged.
 */
#include <errno.h>

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

int main(void)
{
	if (gmem_create(&gm, 4 * MiB, 0xc0000000ULL)) {
		fprintf(stderr, "gmem_create failed\n");
		return 1;
	}
	test_features();
	gmem_destroy(&gm);
	return check_summary("dma");
}
