/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio 1.2 devices and the interface between a device and its transport
 * (virtio-pci modern in pci/, virtio-mmio here). A device knows nothing of
 * its transport: it sees queues, features, a config space and two ways to
 * reach the driver (used-buffer and config-change notifications).
 *
 * Notifications avoid the VMM wherever KVM can carry them:
 *  - driver → device: each queue has a kick eventfd, registered by the
 *    transport as a KVM ioeventfd on its notify address; the device's
 *    worker polls it (no vCPU exit handling per notify);
 *  - device → driver: virtio_signal_used() ends in a write to an eventfd
 *    that KVM injects as an interrupt (irqfd), through the transport.
 *
 * Everything in a virtqueue comes from the guest and is hostile: the
 * descriptor walk is bounds-checked, hop-limited and overflow-checked; a
 * malformed chain marks the device broken (VIRTIO_CONFIG_S_NEEDS_RESET),
 * never crashes skiff, and never touches host memory outside guest RAM.
 */
#ifndef SKIFF_VIRTIO_H
#define SKIFF_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

#define VIRTIO_ID_NET      1
#define VIRTIO_ID_BLOCK    2
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_ID_RNG      4

#define VIRTIO_F_VERSION_1      32
#define VIRTIO_F_EVENT_IDX      29  /* VIRTIO_RING_F_EVENT_IDX */
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_STATUS_ACKNOWLEDGE  1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  64
#define VIRTIO_STATUS_FAILED       128

#define VIRTIO_MAX_QUEUES 16
#define VIRTIO_QUEUE_MAX_SIZE 1024

/* What the driver programmed for one queue (through the transport). */
struct virtio_queue_cfg {
	uint16_t size;         /* power of two, <= max_size */
	uint16_t max_size;
	bool enabled;
	gpa_t desc, avail, used;
	uint16_t msix_vector;  /* virtio-pci only */
	int kick_fd;           /* eventfd the guest's notifies arrive on (-1: none) */
};

struct virtio_device;

/* Provided by the transport. */
struct virtio_transport_ops {
	/* Interrupt the driver: used buffers in queue q / config changed. */
	void (*signal_used)(struct virtio_device *vdev, unsigned q);
	void (*signal_config)(struct virtio_device *vdev);
};

/* Provided by each device model. */
struct virtio_device_ops {
	/* Device-specific feature bits (the transport adds VERSION_1 etc.). */
	uint64_t (*features)(struct virtio_device *vdev);
	void (*read_config)(struct virtio_device *vdev, uint64_t offset, void *data, unsigned len);
	void (*write_config)(struct virtio_device *vdev, uint64_t offset, const void *data, unsigned len);
	/* DRIVER_OK: queues are programmed; start serving them. -errno marks the device failed. */
	int (*activate)(struct virtio_device *vdev);
	/* Reset by the driver (status 0) or at teardown: stop, forget queue state. */
	void (*reset)(struct virtio_device *vdev);
	/* Free everything (after reset). */
	void (*destroy)(struct virtio_device *vdev);
};

struct virtio_device {
	const char *name;                 /* for messages, e.g. "virtio-blk rootfs" */
	uint32_t device_id;
	const struct virtio_device_ops *ops;
	void *priv;                       /* the device model's state */
	const struct gmem *mem;           /* guest memory the rings and buffers live in */

	unsigned nr_queues;
	struct virtio_queue_cfg queues[VIRTIO_MAX_QUEUES];
	uint64_t driver_features;         /* negotiated */
	uint8_t status;
	uint32_t config_generation;

	const struct virtio_transport_ops *transport;
	void *transport_priv;
};

static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit)
{
	return vdev->driver_features >> bit & 1;
}

/* Tell the driver about used buffers / a config change (any thread). */
void virtio_signal_used(struct virtio_device *vdev, unsigned q);
void virtio_signal_config(struct virtio_device *vdev);
/* A guest error: log once with the device's name, set NEEDS_RESET, tell the driver. */
void virtio_device_broken(struct virtio_device *vdev, const char *fmt, ...) SKIFF_PRINTF(2, 3);

#endif
