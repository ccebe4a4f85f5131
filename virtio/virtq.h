/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Split virtqueues (virtio 1.2 section 2.7) seen from the device side.
 * One thread owns a struct virtq; the driver runs concurrently on other
 * CPUs, so ring indexes are read with acquire and published with release
 * ordering, and every descriptor is copied once before it is checked.
 */
#ifndef SKIFF_VIRTQ_H
#define SKIFF_VIRTQ_H

#include <sys/uio.h>

#include "virtio.h"

#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

/* A chain carries at most 4 GiB - 1 bytes, so every used length fits in 32 bits. */
#define VIRTQ_MAX_CHAIN_BYTES 0xffffffffULL

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes");

struct virtq {
	struct virtio_device *vdev;
	unsigned index;
	uint16_t size;
	bool event_idx;
	bool ready;             /* virtq_init() succeeded and no guest error since */
	/* vdev->dma as virtq_init() found it: translate NULL when addresses are GPAs. */
	struct dma_xlate dma;
	/*
	 * Host views of the rings, each checked to lie in guest RAM. Behind
	 * a vIOMMU the ring IOVAs are translated once, here, and the views
	 * kept for the life of the queue: a driver keeps its rings mapped
	 * while the queue is enabled (Linux allocates them coherent), so an
	 * invalidation of a ring's IOVA does not move the ring.
	 */
	struct virtq_desc *desc;
	uint16_t *avail;        /* flags, idx, ring[size], used_event */
	uint16_t *used_hdr;     /* flags, idx */
	struct virtq_used_elem *used_ring;  /* ring[size], then avail_event */
	uint16_t last_avail;    /* next avail entry to pop */
	uint16_t used_idx;      /* next used entry to fill (published on push) */
	uint16_t signalled_used;
	bool signalled_valid;
};

/*
 * One descriptor chain as a list of host buffers: iov[0, nr_out) are
 * device-readable, iov[nr_out, nr_out + nr_in) device-writable.
 * iov must have room for the queue size plus one indirect table (no
 * chain of GPAs may be longer). Behind a vIOMMU a buffer becomes one
 * iovec per run of GPAs it translates to (adjacent runs merged), so
 * nr_out/nr_in may exceed the number of descriptors; a chain that needs
 * more than cap iovecs breaks the device.
 */
struct virtq_chain {
	uint16_t head;
	unsigned nr_out, nr_in;
	uint64_t out_len, in_len;
	struct iovec *iov;
	unsigned cap;
};

/*
 * Take over the queue the driver programmed in vdev->queues[index]
 * (enabled, with a valid layout in guest RAM). -EINVAL/-EFAULT if not;
 * the device is then marked broken. Behind a vIOMMU (vdev->dma) the ring
 * addresses are IOVAs: each ring must translate, with the rights the
 * device needs, to one contiguous run of guest RAM.
 */
int virtq_init(struct virtq *vq, struct virtio_device *vdev, unsigned index) SKIFF_MUST_CHECK;

/*
 * Pop the next available chain: 1 and *c filled, 0 if none, -EIO if the
 * driver broke the queue (device marked broken, queue stops). Behind a
 * vIOMMU, indirect tables and buffers are translated here, each time; a
 * translation fault (recorded by the vIOMMU for the guest) is such an
 * error too.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c) SKIFF_MUST_CHECK;

/* Give back the chain popped last, unused (e.g. no input for it after all). */
void virtq_unpop(struct virtq *vq);

/* Return a chain to the driver with len bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* After pushes: whether the driver wants an interrupt now (EVENT_IDX / NO_INTERRUPT). */
bool virtq_need_notify(struct virtq *vq);
/* virtq_need_notify() and, if so, virtio_signal_used(). */
void virtq_notify(struct virtq *vq);

/*
 * Before waiting for the next kick: ask the driver to notify when it adds
 * a buffer beyond what was popped. True if buffers arrived meanwhile, so
 * the caller must pop again instead of sleeping.
 */
bool virtq_enable_notify(struct virtq *vq);

/* Bytes the chain can take / offers; copies between chain and flat buffers. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len);
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);

#endif
