/* SPDX-License-Identifier: Apache-2.0 */
/*
 * VFIO PCI device assignment through iommufd (the VFIO cdev interface; no
 * legacy container/group path). See docs/vfio.md.
 *
 * vfio_iommu: one /dev/iommu per VM with one IOAS that maps all guest RAM
 * at IOVA = GPA (IOMMU_IOAS_MAP_FILE on the RAM memfd, IOMMU_IOAS_MAP of
 * the VMM's mapping where the kernel lacks MAP_FILE).
 *
 * vfio_device: a host PCI function bound to vfio-pci, opened through its
 * cdev (/dev/vfio/devices/vfioN), bound to the iommufd, attached to the
 * IOAS, reset, with its region and IRQ info read.
 *
 * vfio_pci: the guest-visible PCI function on skiff's PCI layer:
 * virtualised config space, BARs mapped straight into the guest through
 * the owner's map ops (KVM memory slots), MSI-X table/PBA trapped; INTx
 * (a resample irqfd), MSI and MSI-X eventfds handed to
 * VFIO_DEVICE_SET_IRQS; the guest's FLR becomes VFIO_DEVICE_RESET.
 *
 * Errors come back as -errno plus one sentence in err that says what to do.
 */
#ifndef SKIFF_VFIO_H
#define SKIFF_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "pci.h"

#define VFIO_ERR_MAX 384

struct vfio_iommu;
struct vfio_device;
struct vfio_pci;

/* Where to look: NULL fields mean "/sys", "/dev" (tests point them elsewhere). */
struct vfio_paths {
	const char *sysfs;
	const char *dev;
};

int vfio_iommu_create(const struct gmem *gm, const struct vfio_paths *paths, struct vfio_iommu **ret,
		      char *err, size_t errlen) SKIFF_MUST_CHECK;
void vfio_iommu_destroy(struct vfio_iommu *io);

/*
 * Find the cdev of PCI function bdf ("0000:00:03.0") under sysfs; fills
 * node (e.g. "vfio0"). Checks that it exists and is bound to vfio-pci.
 */
int vfio_find_cdev(const struct vfio_paths *paths, const char *bdf, char *node, size_t nodelen, char *err,
		   size_t errlen) SKIFF_MUST_CHECK;

/* Open, bind, attach to io's IOAS, check IOVA ranges, reset, read region/IRQ info. */
int vfio_device_open(struct vfio_iommu *io, const char *bdf, struct vfio_device **ret, char *err,
		     size_t errlen) SKIFF_MUST_CHECK;
/* Detach happens on close; the device is then free for another user. */
void vfio_device_close(struct vfio_device *dev);

/* For the vIOMMU plan (iommu/): the VM's iommufd and IOAS, a device's iommufd id. */
int vfio_iommu_fd(const struct vfio_iommu *io);
uint32_t vfio_iommu_ioas_id(const struct vfio_iommu *io);
uint32_t vfio_device_dev_id(const struct vfio_device *dev);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT to an IOAS or HWPT (an atomic replace): 0 or -errno, nothing logged. */
int vfio_device_attach_pt(struct vfio_device *dev, uint32_t pt_id) SKIFF_MUST_CHECK;
/* VFIO_DEVICE_DETACH_IOMMUFD_PT: DMA blocked until the next attach. 0 or -errno. */
int vfio_device_detach_pt(struct vfio_device *dev) SKIFF_MUST_CHECK;

/* Map / unmap host memory (a device BAR) at a guest-physical address. */
struct vfio_map_ops {
	int (*map)(void *opaque, uint64_t gpa, uint64_t size, void *host, int *ret_slot);
	void (*unmap)(void *opaque, int slot);
	void *opaque;
};

/*
 * Put dev on root bus bus_index at slot (< 0: first free). The vfio_pci
 * does not own dev. -ENOSPC / -EBUSY as pci_root_add_func.
 */
int vfio_pci_create(struct vfio_device *dev, struct pci_root *root, unsigned bus_index, int slot,
		    const struct vm_irq_ops *irq, const struct vfio_map_ops *map, struct vfio_pci **ret,
		    char *err, size_t errlen) SKIFF_MUST_CHECK;
/* After the vCPUs stopped: interrupts off, BAR mappings gone, off the root. */
void vfio_pci_destroy(struct vfio_pci *vp);
struct pci_func *vfio_pci_func(struct vfio_pci *vp);

#endif
