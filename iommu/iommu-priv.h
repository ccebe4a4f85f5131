/* SPDX-License-Identifier: Apache-2.0 */
/* Inside iommu/: the plan object that discover.c, plan.c and print.c share. */
#ifndef SKIFF_IOMMU_PRIV_H
#define SKIFF_IOMMU_PRIV_H

#include "iommu.h"

struct iommu_plan {
	const struct iommu_sys *sys;
	char sysfs[128], dev[128];
	int fd;                   /* the VM's iommufd (not owned) */
	uint32_t ioas_id;
	bool executed;
	unsigned nr_devs, nr_units, nr_s2;
	struct iommu_dev devs[IOMMU_MAX_DEVS];
	struct iommu_unit units[IOMMU_MAX_UNITS];
	struct iommu_s2 s2[IOMMU_MAX_S2];
	/* Struct sizes the kernel takes; lowered once on E2BIG (older kernels). */
	uint32_t sz_hw_info, sz_hwpt_alloc, sz_viommu_alloc;
};

/* The older layouts an E2BIG falls back to: the 6.6 hw_info, the 6.7 hwpt_alloc, the 6.13 viommu_alloc. */
#define IOMMU_HW_INFO_SIZE_V1 32u
#define IOMMU_HWPT_ALLOC_SIZE_V1 32u
#define IOMMU_VIOMMU_ALLOC_SIZE_V1 24u

/* Format a one-line message into err; returns r if it is -errno, else -EIO. */
int iommu_fail(char *err, size_t errlen, int r, const char *fmt, ...) SKIFF_PRINTF(4, 5);

/* discover.c */
int iommu_sysfs_instance(const struct iommu_plan *p, const char *bdf, char *name, size_t len, char *err,
			 size_t errlen) SKIFF_MUST_CHECK;
bool iommu_sysfs_has_instance(const struct iommu_plan *p, const char *name);
/* IOMMU_GET_HW_INFO for every bound device; the unit takes its first device's answer. */
int iommu_read_hw_info(struct iommu_plan *p, char *err, size_t errlen) SKIFF_MUST_CHECK;
/*
 * ioctl whose struct starts with its u32 size: on E2BIG retry once with the
 * older size (the tail zeroed) and remember it in *size.
 */
int iommu_sized_ioctl(struct iommu_plan *p, unsigned long req, void *arg, uint32_t *size, uint32_t older,
		      const char *what);
/* The iommufd vIOMMU object type for a host type, 0: none (VT-d, AMD in this uAPI). */
uint32_t iommu_viommu_type(uint32_t hw_type);
/* Whether skiff knows how to nest on this host type at all. */
bool iommu_type_nests(uint32_t hw_type);

#endif
