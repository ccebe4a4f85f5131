/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few definitions of the kernel's IOMMUFD_TEST interface that the lab's
 * mock-IOMMU test uses. The kernel does not export this header: these are
 * copied from drivers/iommu/iommufd/iommufd_test.h of Linux 7.x (the lab
 * kernel is 7.2), where Copyright (c) 2021-2022 NVIDIA CORPORATION &
 * AFFILIATES. Test-only: nothing outside tests/lab/ includes it.
 */
#ifndef SKIFF_LAB_IOMMUFD_TEST_H
#define SKIFF_LAB_IOMMUFD_TEST_H

#include <linux/iommufd.h>
#include <linux/types.h>

enum {
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,
};

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;     /* the iommufd device id */
		} mock_domain;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 id;              /* the cache slot; the command's id is the device */
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		/* The largest member: it gives the union the kernel's size. */
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

struct iommu_hwpt_selftest {
	__u32 iotlb;
};

#endif
