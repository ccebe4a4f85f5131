/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What vhost-net and vhost-vsock share: handing a device's rings and the
 * guest's memory to a vhost instance. Thin wrappers returning -errno.
 */
#ifndef SKIFF_VIRTIO_VHOST_H
#define SKIFF_VIRTIO_VHOST_H

#include "virtio.h"

struct vhost_ring {
	unsigned index;                      /* the vring within the vhost instance */
	const struct virtio_queue_cfg *cfg;  /* what the driver programmed (kick_fd included) */
	int call_fd;                         /* vhost signals used buffers here */
};

/*
 * Owner, features (those the instance knows, from features), the guest
 * memory table and the rings. -EFAULT if a ring lies outside guest
 * memory or is misaligned.
 */
int vhost_setup(int fd, uint64_t features, const struct gmem *mem, const struct vhost_ring *rings,
		unsigned nr) SKIFF_MUST_CHECK;

/*
 * True (and one log line saying the device uses `instead`) when vdev sits
 * behind a vIOMMU: its ring and buffer addresses are IOVAs, and vhost
 * would need the vhost IOTLB protocol (VHOST_F_IOTLB_MSG), which skiff
 * does not speak, to translate them. The caller then takes its userspace
 * path, which translates through vdev->dma.
 */
bool vhost_viommu_fallback(const struct virtio_device *vdev, const char *instead);

/* vhost-vsock: open /dev/vhost-vsock and claim the guest's CID (-EADDRINUSE: another VM has it). */
int vhost_vsock_open(uint64_t guest_cid, int *ret_fd) SKIFF_MUST_CHECK;
int vhost_vsock_set_running(int fd, bool running) SKIFF_MUST_CHECK;
/* Give up ownership (after a device reset) so that the next activation can set the instance up again. */
void vhost_reset_owner(int fd);

#endif
