/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside iommu/: what the nested backends (smmuv3_nested.c, vtd_nested.c)
 * share. The kernel's selftest mock IOMMU (IOMMUFD_TEST) has data types
 * of its own that the exported uAPI does not carry; the layouts below are
 * those of drivers/iommu/iommufd/iommufd_test.h (Linux 6.13 and later),
 * the ids are in iommu.h.
 */
#ifndef SKIFF_NESTED_PRIV_H
#define SKIFF_NESTED_PRIV_H

#include "iommu.h"

/* IOMMU_HWPT_DATA_SELFTEST: the mock copies iotlb into each of its nested domain's 4 IOTLB slots. */
struct nested_selftest_hwpt {
	uint32_t iotlb;
};

#define NESTED_SELFTEST_INV_ALL 1u       /* IOMMU_TEST_INVALIDATE_FLAG_ALL */
#define NESTED_SELFTEST_IOTLB_MAX 3u     /* MOCK_NESTED_DOMAIN_IOTLB_ID_MAX */
#define NESTED_SELFTEST_CACHE_MAX 3u     /* MOCK_DEV_CACHE_ID_MAX */

/* IOMMU_HWPT_INVALIDATE_DATA_SELFTEST on a nested HWPT: clear one IOTLB slot (or all). */
struct nested_selftest_hwpt_inv {
	uint32_t flags;
	uint32_t iotlb_id;
};

/* IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST on a vIOMMU: clear one cache slot of a device (or all). */
struct nested_selftest_viommu_inv {
	uint32_t flags;
	uint32_t vdev_id;                /* the VDEVICE's virt_id */
	uint32_t cache_id;
};

/* IOMMU_VEVENTQ_TYPE_SELFTEST: IOMMU_TEST_OP_TRIGGER_VEVENT's event. */
struct nested_selftest_vevent {
	uint32_t virt_id;
};

_Static_assert(sizeof(struct nested_selftest_hwpt_inv) == 8, "iommu_hwpt_invalidate_selftest");
_Static_assert(sizeof(struct nested_selftest_viommu_inv) == 12, "iommu_viommu_invalidate_selftest");

/*
 * One IOMMU_HWPT_INVALIDATE of n entries on hwpt_id (a nested HWPT or a
 * vIOMMU). 0 with *done = n, or -errno with *done = the entries the
 * kernel reports handled (entry_num, clamped below n).
 */
int nested_invalidate(const struct iommu_sys *sys, int fd, uint32_t hwpt_id, uint32_t data_type,
		      const void *entries, uint32_t entry_len, uint32_t n, uint32_t *done) SKIFF_MUST_CHECK;
/* IOMMU_DESTROY of *id if set; a failure is logged (the object goes with the iommufd). */
void nested_destroy(const struct iommu_sys *sys, int fd, uint32_t *id, const char *who, const char *what);

#endif
