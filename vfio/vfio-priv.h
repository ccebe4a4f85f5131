/* SPDX-License-Identifier: Apache-2.0 */
/* Inside vfio/: the objects device.c creates and vfio_pci.c drives. */
#ifndef SKIFF_VFIO_PRIV_H
#define SKIFF_VFIO_PRIV_H

#include <linux/vfio.h>

#include "vfio.h"

struct vfio_iommu {
	int fd;                    /* /dev/iommu */
	uint32_t ioas_id;
	bool map_file;             /* RAM went in with IOMMU_IOAS_MAP_FILE */
	unsigned nr_ram;
	struct { uint64_t gpa, size; } ram[GMEM_MAX_REGIONS];
	char sysfs[128], dev[128];
};

struct vfio_region {
	uint64_t size, offset;     /* offset: in the device fd */
	uint32_t flags;            /* VFIO_REGION_INFO_FLAG_* */
};

struct vfio_device {
	struct vfio_iommu *io;
	char bdf[16];
	int fd;
	uint32_t dev_id;
	uint32_t num_regions, num_irqs;
	struct vfio_region regions[VFIO_PCI_NUM_REGIONS];
	uint32_t msix_count, intx_count;
};

/* Format a one-line message into err; returns r if it is -errno, else -EIO. */
int vfio_fail(char *err, size_t errlen, int r, const char *fmt, ...) SKIFF_PRINTF(4, 5);

#endif
