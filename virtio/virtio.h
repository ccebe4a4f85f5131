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
#define VIRTIO_ID_VSOCK    19

#define VIRTIO_F_INDIRECT_DESC  28  /* VIRTIO_RING_F_INDIRECT_DESC */
#define VIRTIO_F_EVENT_IDX      29  /* VIRTIO_RING_F_EVENT_IDX */
#define VIRTIO_F_VERSION_1      32
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
	/*
	 * How the device's DMA addresses become GPAs. translate NULL (the
	 * default): ring and buffer addresses are GPAs. Set by the VMM before
	 * the driver starts, for a device behind a vIOMMU: the device then
	 * offers VIRTIO_F_ACCESS_PLATFORM, refuses FEATURES_OK without it,
	 * translates every ring and buffer address, and does not use vhost.
	 */
	struct dma_xlate dma;

	unsigned nr_queues;
	struct virtio_queue_cfg queues[VIRTIO_MAX_QUEUES];
	uint64_t driver_features;         /* negotiated */
	uint8_t status;
	uint32_t config_generation;

	const struct virtio_transport_ops *transport;
	void *transport_priv;

	bool broken;                      /* virtio_device_broken() already logged */
	bool active;                      /* activate() succeeded; reset() pending */
};

static inline bool virtio_has_feature(const struct virtio_device *vdev, unsigned bit)
{
	return vdev->driver_features >> bit & 1;
}

/*
 * Transport-independent device life cycle, shared by virtio-mmio and
 * virtio-pci. The transport serialises calls for one device.
 */
/*
 * Feature bits offered to the driver: the device's plus VERSION_1, and
 * ACCESS_PLATFORM when the device sits behind a vIOMMU (dma.translate set).
 */
uint64_t virtio_device_features(struct virtio_device *vdev);
/*
 * A driver write to device_status: 0 resets; FEATURES_OK is kept only if
 * the negotiated features are a subset of the offered ones and include
 * VERSION_1 (and ACCESS_PLATFORM behind a vIOMMU); DRIVER_OK activates the device (failure sets NEEDS_RESET).
 */
void virtio_device_set_status(struct virtio_device *vdev, uint8_t status);
uint8_t virtio_device_status(const struct virtio_device *vdev);
/*
 * Stop the device (ops->reset) and forget what the driver programmed:
 * status, features, queue addresses/sizes/enable. Queue max_size and
 * kick_fd (owned by the transport) are kept; msix_vector becomes 0xffff.
 */
void virtio_device_reset(struct virtio_device *vdev);
/* Reset, then ops->destroy. NULL is allowed. */
void virtio_device_destroy(struct virtio_device *vdev);

/* Tell the driver about used buffers / a config change (any thread). */
void virtio_signal_used(struct virtio_device *vdev, unsigned q);
void virtio_signal_config(struct virtio_device *vdev);
/* A guest error: log once with the device's name, set NEEDS_RESET, tell the driver. */
void virtio_device_broken(struct virtio_device *vdev, const char *fmt, ...) SKIFF_PRINTF(2, 3);

/* ---- device models ------------------------------------------------------
 * Each create function returns a device with no transport attached; give
 * it to virtio_mmio_create() (or the virtio-pci transport), and free it
 * with virtio_device_destroy() after the transport is gone. Messages for
 * the user go to err (one sentence, no newline).
 */
struct virtio_blk_params {
	const char *path;        /* raw image file or block device */
	bool read_only;
	const char *serial;      /* GET_ID, at most 20 bytes used; NULL: none */
	unsigned num_queues;     /* 0: 1 */
	unsigned queue_size;     /* power of two <= VIRTIO_QUEUE_MAX_SIZE; 0: 256 */
	const char *name;        /* for messages, e.g. "rootfs"; NULL: path */
};

int virtio_blk_create(const struct virtio_blk_params *p, const struct gmem *mem,
		      struct virtio_device **ret, char *err, size_t errlen) SKIFF_MUST_CHECK;

/* One console port: guest output goes to out_fd, in_fd (-1: none) feeds the guest. */
int virtio_console_create(int in_fd, int out_fd, const struct gmem *mem,
			  struct virtio_device **ret) SKIFF_MUST_CHECK;

/* Entropy from getrandom(). */
int virtio_rng_create(const struct gmem *mem, struct virtio_device **ret) SKIFF_MUST_CHECK;

/*
 * virtio-net over a tap device (net.c). The tap is opened by name with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (created if it does not exist and
 * skiff may create it); queue_pairs > 1 needs a multi-queue tap.
 */
struct virtio_net_params {
	const char *name;          /* for messages (the interface id); NULL: tap_name */
	const char *tap_name;      /* host network device */
	const uint8_t *mac;        /* 6 bytes offered to the guest; NULL: the guest picks one */
	unsigned queue_pairs;      /* 0: 1; at most 7 */
	bool vhost;                /* kernel data path if /dev/vhost-net exists, else userspace (logged) */
	const int *test_fds;       /* tests only: one datagram socket per pair instead of a tap */
};

int virtio_net_create(const struct virtio_net_params *p, const struct gmem *mem,
		      struct virtio_device **ret, char *err, size_t errlen) SKIFF_MUST_CHECK;

/*
 * virtio-vsock (vsock.c). By default with Firecracker's Unix-socket
 * bridge: a listening socket at uds_path is created now (a stale socket
 * file nobody listens on is replaced) and removed at destroy. With vhost,
 * if /dev/vhost-vsock can be opened, the kernel carries the packets and
 * host programs use AF_VSOCK directly (uds_path is not used); otherwise
 * the bridge, said in one line.
 */
struct virtio_vsock_params {
	uint32_t guest_cid;
	const char *uds_path;
	bool vhost;
};

int virtio_vsock_create(const struct virtio_vsock_params *p, const struct gmem *mem,
			struct virtio_device **ret, char *err, size_t errlen) SKIFF_MUST_CHECK;

/* ---- virtio-mmio transport (virtio 1.2, version 2) ----------------------- */
#define VIRTIO_MMIO_SIZE 0x200

struct virtio_mmio;

/*
 * Attach vdev to a virtio-mmio register window at base (register
 * virtio_mmio_ops on the MMIO bus at [base, base + VIRTIO_MMIO_SIZE) with
 * the returned object as opaque). Interrupts go to GSI gsi through an
 * irqfd and notifies arrive by ioeventfd when irq provides them; irq may
 * be NULL (tests: no interrupts, notifies by trapped writes only).
 */
int virtio_mmio_create(struct virtio_device *vdev, uint64_t base, unsigned gsi,
		       const struct vm_irq_ops *irq, struct virtio_mmio **ret) SKIFF_MUST_CHECK;
/* Reset the device, drop the ioeventfds and irqfd; the device itself stays. */
void virtio_mmio_destroy(struct virtio_mmio *m);
extern const struct bus_device_ops virtio_mmio_ops;
/* "virtio_mmio.device=512@0xADDR:GSI" for the kernel command line; snprintf's return. */
int virtio_mmio_cmdline(const struct virtio_mmio *m, char *buf, size_t len);

#endif
