/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel's selftest mock device (IOMMUFD_TEST) as the lab's mock
 * programs (iommu-mock-plan.c, iommu-mock-nested.c) put it in a vIOMMU
 * plan: created on the VM's IOAS, moved by the plan through its attach ops.
 */
#ifndef SKIFF_LAB_MOCK_DEV_H
#define SKIFF_LAB_MOCK_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "iommu.h"
#include "iommufd-test.h"
#include "vfio.h"

#define MOCK_INSTANCE "iommufd_selftest_iommu.0"

/*
 * A mock device, and a plain paging HWPT of its own to park it on at
 * teardown: an explicit HWPT, because a replace onto the IOAS lets the
 * 7.2 kernel pick VT-d's automatic domain for the mock device (an oops).
 */
struct mock {
	int fd;
	uint32_t stdev_id, idev_id, park_id;
};

/* IOMMU_TEST_CMD on fd: 0 or -errno. */
int mock_test_cmd(int fd, struct iommu_test_cmd *c);
/* The plan's attach ops for a mock (opaque: struct mock *); detach parks it. */
int mock_attach(void *opaque, uint32_t pt_id);
int mock_detach(void *opaque);
/* Mock device i ("mock0", "mock1") on io's IOAS with its parking HWPT, added to p. -errno and err. */
int mock_add(struct iommu_plan *p, struct vfio_iommu *io, unsigned i, struct mock *m, char *err, size_t errlen);

#endif
