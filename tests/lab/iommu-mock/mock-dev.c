// SPDX-License-Identifier: Apache-2.0
/* The selftest mock device for the lab's mock programs (mock-dev.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mock-dev.h"

int mock_test_cmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return iommu_sys_real()->ioctl(NULL, fd, IOMMU_TEST_CMD, c);
}

int mock_attach(void *opaque, uint32_t pt_id)
{
	struct mock *m = opaque;
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = m->stdev_id };

	c.mock_domain_replace.pt_id = pt_id;
	return mock_test_cmd(m->fd, &c);
}

int mock_detach(void *opaque)
{
	return mock_attach(opaque, ((struct mock *)opaque)->park_id);
}

int mock_add(struct iommu_plan *p, struct vfio_iommu *io, unsigned i, struct mock *m, char *err, size_t errlen)
{
	int fd = vfio_iommu_fd(io);
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = vfio_iommu_ioas_id(io) };
	struct iommu_dev_desc d = { i ? "mock1" : "mock0", NULL, MOCK_INSTANCE, -1, -1 };
	int r = mock_test_cmd(fd, &c);

	if (r) {
		snprintf(err, errlen, "IOMMU_TEST_OP_MOCK_DOMAIN: %s", strerror(-r));
		return r;
	}
	*m = (struct mock){ fd, c.mock_domain.out_stdev_id, c.mock_domain.out_idev_id, 0 };
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = m->idev_id, .pt_id = vfio_iommu_ioas_id(io) };
	r = iommu_sys_real()->ioctl(NULL, fd, IOMMU_HWPT_ALLOC, &a);
	if (r) {
		snprintf(err, errlen, "a parking HWPT for mock%u: %s", i, strerror(-r));
		return r;
	}
	m->park_id = a.out_hwpt_id;
	return iommu_plan_add(p, &d, err, errlen);
}
