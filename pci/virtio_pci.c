// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-pci modern transport (virtio 1.2, 4.1). Everything lives in one
 * 64-bit memory BAR (BAR 0/1):
 *
 *   0x0000  common configuration (struct virtio_pci_common_cfg)
 *   0x0800  ISR status (1 byte; reading clears it and deasserts INTx)
 *   0x1000  device-specific configuration (the device model's)
 *   0x2000  notifications: queue q at 0x2000 + 4 q (notify_off_multiplier 4)
 *   0x3000  MSI-X table (nr_queues + 1 vectors: one per queue, one for config)
 *   0x3800  MSI-X PBA
 *
 * Each queue's notify address is a KVM ioeventfd on the queue's kick
 * eventfd (a 2-byte write, any value) while the BAR decodes; writes that
 * still trap (e.g. other lengths) kick the eventfd by hand.
 * All state is guarded by the function's lock; device ops run under it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "pci.h"
#include "virtio.h"

#define VIRTIO_PCI_VENDOR        0x1af4
#define VIRTIO_PCI_DEVICE_BASE   0x1040
#define VIRTIO_PCI_SUBSYS_ID     0x1100
#define VIRTIO_PCI_NO_VECTOR     0xffff

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

#define VP_BAR          0
#define VP_BAR_SIZE     0x4000
#define VP_COMMON_OFF   0x0000
#define VP_COMMON_SIZE  0x0800
#define VP_ISR_OFF      0x0800
#define VP_ISR_SIZE     0x0800
#define VP_DEVICE_OFF   0x1000
#define VP_DEVICE_SIZE  0x1000
#define VP_NOTIFY_OFF   0x2000
#define VP_NOTIFY_MULT  4
#define VP_MSIX_TABLE   0x3000
#define VP_MSIX_PBA     0x3800

/* virtio 1.2 4.1.4: struct virtio_pci_cap and friends */
struct virtio_pci_cap {
	uint8_t cap_vndr, cap_next, cap_len, cfg_type, bar, id, padding[2];
	uint32_t offset, length;
} __attribute__((packed));

struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier;
} __attribute__((packed));

struct virtio_pci_cfg_cap {
	struct virtio_pci_cap cap;
	uint8_t pci_cfg_data[4];
} __attribute__((packed));

/* Common configuration register offsets */
#define VP_DFSELECT      0x00
#define VP_DF            0x04
#define VP_GFSELECT      0x08
#define VP_GF            0x0c
#define VP_MSIX          0x10
#define VP_NUMQ          0x12
#define VP_STATUS        0x14
#define VP_CFGGENERATION 0x15
#define VP_Q_SELECT      0x16
#define VP_Q_SIZE        0x18
#define VP_Q_MSIX        0x1a
#define VP_Q_ENABLE      0x1c
#define VP_Q_NOFF        0x1e
#define VP_Q_DESCLO      0x20
#define VP_Q_DESCHI      0x24
#define VP_Q_AVAILLO     0x28
#define VP_Q_AVAILHI     0x2c
#define VP_Q_USEDLO      0x30
#define VP_Q_USEDHI      0x34
#define VP_Q_NDATA       0x38
#define VP_Q_RESET       0x3a
#define VP_COMMON_LEN    0x3c

_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap size");
_Static_assert(sizeof(struct virtio_pci_notify_cap) == 20, "virtio_pci_notify_cap size");
_Static_assert(sizeof(struct virtio_pci_cfg_cap) == 20, "virtio_pci_cfg_cap size");
_Static_assert(VP_MSIX_TABLE + (VIRTIO_MAX_QUEUES + 1) * PCI_MSIX_ENTRY_SIZE <= VP_MSIX_PBA,
	       "MSI-X table fits");
_Static_assert(VP_NOTIFY_OFF + VIRTIO_MAX_QUEUES * VP_NOTIFY_MULT <= VP_MSIX_TABLE, "notify fits");

struct virtio_pci {
	struct pci_func func;
	struct virtio_device *vdev;
	const struct vm_irq_ops *irq;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint16_t config_vector;
	uint8_t isr;
	uint16_t cfg_cap;             /* offset of the PCI_CFG access capability */
	uint64_t notify_base;         /* absolute address with ioeventfds, or PCI_BAR_UNMAPPED */
	bool resetting;               /* atomic: a device reset (it joins the device's worker) is under way */
};

static struct virtio_pci *vp_of(struct pci_func *f)
{
	return f->opaque;
}

static uint8_t vp_status(const struct virtio_pci *vp)
{
	return virtio_device_status(vp->vdev);
}

/* ---- ioeventfds --------------------------------------------------------- */

static void notify_unmap(struct virtio_pci *vp)
{
	if (vp->notify_base == PCI_BAR_UNMAPPED)
		return;
	for (unsigned q = 0; q < vp->vdev->nr_queues; q++)
		vp->irq->ioeventfd(vp->irq->opaque, vp->notify_base + VP_NOTIFY_MULT * q, 2, -1,
				   vp->vdev->queues[q].kick_fd, false);
	vp->notify_base = PCI_BAR_UNMAPPED;
}

static void notify_map(struct virtio_pci *vp, uint64_t bar_addr)
{
	uint64_t base = bar_addr + VP_NOTIFY_OFF;

	for (unsigned q = 0; q < vp->vdev->nr_queues; q++) {
		int r = vp->irq->ioeventfd(vp->irq->opaque, base + VP_NOTIFY_MULT * q, 2, -1,
					   vp->vdev->queues[q].kick_fd, true);
		if (r) {
			/* Trapped notifies still work, just slower. */
			log_warn("%s: ioeventfd for queue %u at %#llx: %s", vp->func.name, q,
				 (unsigned long long)(base + VP_NOTIFY_MULT * q), strerror(-r));
			for (unsigned i = 0; i < q; i++)
				vp->irq->ioeventfd(vp->irq->opaque, base + VP_NOTIFY_MULT * i, 2, -1,
						   vp->vdev->queues[i].kick_fd, false);
			return;
		}
	}
	vp->notify_base = base;
}

static void vp_bar_moved(struct pci_func *f, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	struct virtio_pci *vp = vp_of(f);

	(void)old_addr;
	if (bar != VP_BAR)
		return;
	notify_unmap(vp);
	if (new_addr != PCI_BAR_UNMAPPED)
		notify_map(vp, new_addr);
}

/* ---- interrupts -------------------------------------------------------------- */

/*
 * Take the function's lock from a device worker. A device reset runs under
 * that lock and waits for the worker to stop; a worker waiting for the lock
 * meanwhile would never stop. So wait in short steps and give up once a
 * reset is under way: an interrupt for a device being reset is moot.
 */
static bool vp_lock_from_worker(struct virtio_pci *vp)
{
	for (;;) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 1000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		if (pthread_mutex_timedlock(&vp->func.lock, &t) == 0)
			return true;
		if (__atomic_load_n(&vp->resetting, __ATOMIC_ACQUIRE))
			return false;
	}
}

static void vp_signal(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (!vp_lock_from_worker(vp))
		return;
	if (pci_msix_enabled(&vp->func)) {
		if (vector != VIRTIO_PCI_NO_VECTOR)
			pci_msix_fire(&vp->func, vector);
	} else {
		vp->isr |= isr_bit;
		pci_func_set_intx(&vp->func, true);
	}
	pthread_mutex_unlock(&vp->func.lock);
}

static void vp_signal_used(struct virtio_device *vdev, unsigned q)
{
	struct virtio_pci *vp = vdev->transport_priv;

	if (q < vdev->nr_queues)
		vp_signal(vp, vdev->queues[q].msix_vector, 1);
}

static void vp_signal_config(struct virtio_device *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	vp_signal(vp, vp->config_vector, 2);
}

static const struct virtio_transport_ops vp_transport_ops = {
	.signal_used = vp_signal_used,
	.signal_config = vp_signal_config,
};

/* ---- device status --------------------------------------------------------- */

/* Reset by the driver (status 0), at creation and at teardown. */
static void vp_reset(struct virtio_pci *vp)
{
	__atomic_store_n(&vp->resetting, true, __ATOMIC_RELEASE);
	virtio_device_reset(vp->vdev); /* queues' msix_vector become NO_VECTOR */
	__atomic_store_n(&vp->resetting, false, __ATOMIC_RELEASE);
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	vp->config_vector = VIRTIO_PCI_NO_VECTOR;
	vp->isr = 0;
	pci_func_set_intx(&vp->func, false);
}

static void vp_set_status(struct virtio_pci *vp, uint8_t status)
{
	if (status == 0)
		vp_reset(vp);
	else
		virtio_device_set_status(vp->vdev, status);
}

/* ---- common configuration ------------------------------------------------------ */

static struct virtio_queue_cfg *cur_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->vdev->nr_queues ? &vp->vdev->queues[vp->queue_select] : NULL;
}

static uint32_t common_read(struct virtio_pci *vp, unsigned off)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtio_queue_cfg *q = cur_queue(vp);

	switch (off) {
	case VP_DFSELECT: return vp->dfselect;
	case VP_DF: return vp->dfselect < 2 ? (uint32_t)(virtio_device_features(vdev) >> (32 * vp->dfselect)) : 0;
	case VP_GFSELECT: return vp->gfselect;
	case VP_GF:
		return vp->gfselect < 2 ? (uint32_t)(vdev->driver_features >> (32 * vp->gfselect)) : 0;
	case VP_MSIX: return vp->config_vector;
	case VP_NUMQ: return vdev->nr_queues;
	case VP_STATUS: return vp_status(vp);
	case VP_CFGGENERATION: return vdev->config_generation & 0xff;
	case VP_Q_SELECT: return vp->queue_select;
	case VP_Q_SIZE: return q ? q->size : 0;
	case VP_Q_MSIX: return q ? q->msix_vector : VIRTIO_PCI_NO_VECTOR;
	case VP_Q_ENABLE: return q ? q->enabled : 0;
	case VP_Q_NOFF: return q ? vp->queue_select : 0;
	case VP_Q_DESCLO: return q ? (uint32_t)q->desc : 0;
	case VP_Q_DESCHI: return q ? (uint32_t)(q->desc >> 32) : 0;
	case VP_Q_AVAILLO: return q ? (uint32_t)q->avail : 0;
	case VP_Q_AVAILHI: return q ? (uint32_t)(q->avail >> 32) : 0;
	case VP_Q_USEDLO: return q ? (uint32_t)q->used : 0;
	case VP_Q_USEDHI: return q ? (uint32_t)(q->used >> 32) : 0;
	case VP_Q_NDATA: return q ? vp->queue_select : 0;
	default: return 0;
	}
}

static void set_half(gpa_t *p, bool hi, uint32_t v)
{
	*p = hi ? (*p & 0xffffffffull) | (uint64_t)v << 32 : (*p & ~0xffffffffull) | v;
}

static uint16_t check_vector(struct virtio_pci *vp, uint32_t v)
{
	return v < vp->func.msix.nr ? (uint16_t)v : VIRTIO_PCI_NO_VECTOR;
}

static void queue_write(struct virtio_pci *vp, unsigned off, uint32_t v)
{
	struct virtio_queue_cfg *q = cur_queue(vp);

	/* The driver must not touch an enabled queue (virtio 1.2 4.1.4.3.2). */
	if (!q || (q->enabled && off != VP_Q_MSIX))
		return;
	switch (off) {
	case VP_Q_SIZE:
		if (v && !(v & (v - 1)) && v <= q->max_size)
			q->size = (uint16_t)v;
		break;
	case VP_Q_MSIX: q->msix_vector = check_vector(vp, v); break;
	case VP_Q_ENABLE:
		if (v == 1)
			q->enabled = true;
		break;
	case VP_Q_DESCLO: case VP_Q_DESCHI: set_half(&q->desc, off == VP_Q_DESCHI, v); break;
	case VP_Q_AVAILLO: case VP_Q_AVAILHI: set_half(&q->avail, off == VP_Q_AVAILHI, v); break;
	case VP_Q_USEDLO: case VP_Q_USEDHI: set_half(&q->used, off == VP_Q_USEDHI, v); break;
	}
}

static void common_write(struct virtio_pci *vp, unsigned off, uint32_t v)
{
	struct virtio_device *vdev = vp->vdev;

	switch (off) {
	case VP_DFSELECT: vp->dfselect = v; break;
	case VP_GFSELECT: vp->gfselect = v; break;
	case VP_GF:
		if (vp->gfselect < 2 && !(vp_status(vp) & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned sh = 32 * vp->gfselect;
			vdev->driver_features = (vdev->driver_features & ~(0xffffffffull << sh)) |
						(uint64_t)v << sh;
		}
		break;
	case VP_MSIX: vp->config_vector = check_vector(vp, v); break;
	case VP_STATUS: vp_set_status(vp, (uint8_t)v); break;
	case VP_Q_SELECT: vp->queue_select = (uint16_t)v; break;
	default: queue_write(vp, off, v); break;
	}
}

/* Width of the common-config field at off, or 0 if none starts there. */
static unsigned common_width(unsigned off)
{
	switch (off) {
	case VP_DFSELECT: case VP_DF: case VP_GFSELECT: case VP_GF:
	case VP_Q_DESCLO: case VP_Q_DESCHI: case VP_Q_AVAILLO: case VP_Q_AVAILHI:
	case VP_Q_USEDLO: case VP_Q_USEDHI:
		return 4;
	case VP_MSIX: case VP_NUMQ: case VP_Q_SELECT: case VP_Q_SIZE: case VP_Q_MSIX:
	case VP_Q_ENABLE: case VP_Q_NOFF: case VP_Q_NDATA: case VP_Q_RESET:
		return 2;
	case VP_STATUS: case VP_CFGGENERATION:
		return 1;
	default:
		return 0;
	}
}

/* ---- the BAR ---------------------------------------------------------------- */

static void put_le(void *data, uint64_t v, unsigned len)
{
	uint8_t *p = data;

	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const void *data, unsigned len)
{
	const uint8_t *p = data;
	uint64_t v = 0;

	for (unsigned i = 0; i < len && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void vp_bar_read(struct pci_func *f, unsigned bar, uint64_t off, void *data, unsigned len)
{
	struct virtio_pci *vp = vp_of(f);

	memset(data, 0, len);
	if (bar != VP_BAR || len == 0 || len > 8)
		return;
	if (off < VP_COMMON_OFF + VP_COMMON_SIZE) {
		/* 64-bit fields are read as two 32-bit halves (virtio 1.2 4.1.3.1). */
		if (common_width((unsigned)off) == len)
			put_le(data, common_read(vp, (unsigned)off), len);
	} else if (off == VP_ISR_OFF && len == 1) {
		*(uint8_t *)data = vp->isr;
		vp->isr = 0;
		pci_func_set_intx(f, false);
	} else if (off >= VP_DEVICE_OFF && off + len <= VP_DEVICE_OFF + VP_DEVICE_SIZE) {
		vp->vdev->ops->read_config(vp->vdev, off - VP_DEVICE_OFF, data, len);
	}
}

static void vp_bar_write(struct pci_func *f, unsigned bar, uint64_t off, const void *data,
			 unsigned len)
{
	struct virtio_pci *vp = vp_of(f);

	if (bar != VP_BAR || len == 0 || len > 8)
		return;
	if (off < VP_COMMON_OFF + VP_COMMON_SIZE) {
		if (common_width((unsigned)off) == len)
			common_write(vp, (unsigned)off, (uint32_t)get_le(data, len));
	} else if (off >= VP_DEVICE_OFF && off + len <= VP_DEVICE_OFF + VP_DEVICE_SIZE) {
		vp->vdev->ops->write_config(vp->vdev, off - VP_DEVICE_OFF, data, len);
	} else if (off >= VP_NOTIFY_OFF && off < VP_NOTIFY_OFF + VP_NOTIFY_MULT * vp->vdev->nr_queues) {
		/* A notify that missed the ioeventfd: kick by hand. */
		unsigned q = (unsigned)(off - VP_NOTIFY_OFF) / VP_NOTIFY_MULT;
		uint64_t one = 1;
		int fd = vp->vdev->queues[q].kick_fd;
		if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
			log_debug("%s: kick queue %u: %s", f->name, q, strerror(errno));
	}
}

/* ---- VIRTIO_PCI_CAP_PCI_CFG: BAR access through config space ------------------- */

static bool cfg_window(struct virtio_pci *vp, unsigned *ret_bar, uint32_t *ret_off,
		       uint32_t *ret_len)
{
	struct pci_func *f = &vp->func;
	unsigned c = vp->cfg_cap;

	*ret_bar = f->cfg[c + offsetof(struct virtio_pci_cap, bar)];
	*ret_off = pci_cfg_get(f, c + offsetof(struct virtio_pci_cap, offset), 4);
	*ret_len = pci_cfg_get(f, c + offsetof(struct virtio_pci_cap, length), 4);
	return *ret_bar == VP_BAR && (*ret_len == 1 || *ret_len == 2 || *ret_len == 4) &&
	       *ret_off % *ret_len == 0 && *ret_off <= VP_BAR_SIZE - *ret_len;
}

static bool touches_cfg_data(struct virtio_pci *vp, unsigned reg, unsigned len)
{
	unsigned d = vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);

	return reg < d + 4 && d < reg + len;
}

static void vp_cfg_read(struct pci_func *f, unsigned reg, unsigned len)
{
	struct virtio_pci *vp = vp_of(f);
	unsigned bar;
	uint32_t off, n;

	if (!touches_cfg_data(vp, reg, len) || !cfg_window(vp, &bar, &off, &n))
		return;
	pci_func_bar_read(f, bar, off,
			  f->cfg + vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), n);
}

static void vp_cfg_write(struct pci_func *f, unsigned reg, unsigned len)
{
	struct virtio_pci *vp = vp_of(f);
	unsigned bar;
	uint32_t off, n;

	if (!touches_cfg_data(vp, reg, len) || !cfg_window(vp, &bar, &off, &n))
		return;
	uint8_t buf[4];
	memcpy(buf, f->cfg + vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), 4);
	pci_func_bar_write(f, bar, off, buf, n);
}

static const struct pci_func_ops vp_func_ops = {
	.bar_read = vp_bar_read,
	.bar_write = vp_bar_write,
	.bar_moved = vp_bar_moved,
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
};

/* ---- creation ------------------------------------------------------------------ */

static uint32_t class_of(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET: return 0x020000;     /* Ethernet controller */
	case VIRTIO_ID_BLOCK: return 0x010000;   /* SCSI storage controller, as QEMU */
	case VIRTIO_ID_CONSOLE: return 0x078000; /* communication controller */
	default: return 0xff0000;
	}
}

static int add_vcap(struct pci_func *f, uint8_t type, uint32_t off, uint32_t len, unsigned extra,
		    const void *tail, uint16_t *ret_off)
{
	uint8_t buf[sizeof(struct virtio_pci_cap) + 4] = { 0 };
	struct virtio_pci_cap c = {
		.cap_len = (uint8_t)(sizeof(c) + extra), .cfg_type = type, .bar = VP_BAR,
		.offset = off, .length = len,
	};

	memcpy(buf, &c, sizeof(c));
	if (extra)
		memcpy(buf + sizeof(c), tail, extra);
	return pci_cap_add(f, PCI_CAP_ID_VNDR, buf, (unsigned)(sizeof(c) + extra), ret_off);
}

static int add_caps(struct virtio_pci *vp)
{
	struct pci_func *f = &vp->func;
	uint32_t mult = VP_NOTIFY_MULT, zero = 0;
	uint32_t nlen = VP_NOTIFY_MULT * (vp->vdev->nr_queues ? vp->vdev->nr_queues : 1);
	int r = 0;

	r = r ? r : add_vcap(f, VIRTIO_PCI_CAP_COMMON_CFG, VP_COMMON_OFF, VP_COMMON_LEN, 0, NULL, NULL);
	r = r ? r : add_vcap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, VP_NOTIFY_OFF, nlen, 4, &mult, NULL);
	r = r ? r : add_vcap(f, VIRTIO_PCI_CAP_ISR_CFG, VP_ISR_OFF, 1, 0, NULL, NULL);
	r = r ? r : add_vcap(f, VIRTIO_PCI_CAP_DEVICE_CFG, VP_DEVICE_OFF, VP_DEVICE_SIZE, 0, NULL, NULL);
	r = r ? r : add_vcap(f, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4, &zero, &vp->cfg_cap);
	if (r)
		return r;
	/* The driver programs bar, offset, length and data of the PCI_CFG window. */
	uint8_t ones[4] = { 0xff, 0xff, 0xff, 0xff };
	pci_cfg_set_wmask(f, vp->cfg_cap + offsetof(struct virtio_pci_cap, bar), ones, 1);
	pci_cfg_set_wmask(f, vp->cfg_cap + offsetof(struct virtio_pci_cap, offset), ones, 4);
	pci_cfg_set_wmask(f, vp->cfg_cap + offsetof(struct virtio_pci_cap, length), ones, 4);
	pci_cfg_set_wmask(f, vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), ones, 4);
	return 0;
}

static void close_kicks(struct virtio_device *vdev)
{
	for (unsigned q = 0; q < vdev->nr_queues; q++) {
		if (vdev->queues[q].kick_fd >= 0)
			close(vdev->queues[q].kick_fd);
		vdev->queues[q].kick_fd = -1;
	}
}

int virtio_pci_create(struct pci_root *root, unsigned bus_index, int slot,
		      struct virtio_device *vdev, const struct vm_irq_ops *irq,
		      struct virtio_pci **ret)
{
	struct virtio_pci *vp;
	int r;

	if (!vdev || !irq || vdev->nr_queues > VIRTIO_MAX_QUEUES || vdev->device_id > 0xffff - 0x1040)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vdev = vdev;
	vp->irq = irq;
	vp->notify_base = PCI_BAR_UNMAPPED;
	const struct pci_func_params p = {
		.vendor_id = VIRTIO_PCI_VENDOR,
		.device_id = (uint16_t)(VIRTIO_PCI_DEVICE_BASE + vdev->device_id),
		.subsys_vendor_id = VIRTIO_PCI_VENDOR,
		.subsys_id = VIRTIO_PCI_SUBSYS_ID,
		.revision = 1,
		.class_code = class_of(vdev->device_id),
		.intx_pin = 1,
		.pcie = true,
	};
	pci_func_init(&vp->func, &p, &vp_func_ops, vp);
	snprintf(vp->func.name, sizeof(vp->func.name), "%s", vdev->name ? vdev->name : "virtio");

	for (unsigned q = 0; q < vdev->nr_queues; q++)
		vdev->queues[q].kick_fd = -1;
	for (unsigned q = 0; q < vdev->nr_queues; q++) {
		vdev->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vdev->queues[q].kick_fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	r = pci_func_add_bar(&vp->func, VP_BAR, PCI_BAR_MEM64, VP_BAR_SIZE, false);
	if (!r)
		r = add_caps(vp);
	if (!r)
		r = pci_msix_init(&vp->func, irq, vdev->nr_queues + 1, VP_BAR, VP_MSIX_TABLE, VP_MSIX_PBA);
	if (r)
		goto fail;
	vdev->transport = &vp_transport_ops;
	vdev->transport_priv = vp;
	vp_reset(vp);
	r = pci_root_add_func(root, bus_index, slot, &vp->func, NULL);
	if (r) {
		vdev->transport = NULL;
		vdev->transport_priv = NULL;
		goto fail;
	}
	*ret = vp;
	return 0;
fail:
	/* The caller reports it: it knows which config entry asked for this. */
	close_kicks(vdev);
	pci_func_destroy(&vp->func);
	free(vp);
	return r;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	pthread_mutex_lock(&vp->func.lock);
	vp_reset(vp);
	notify_unmap(vp);
	vp->vdev->transport = NULL;
	vp->vdev->transport_priv = NULL;
	pthread_mutex_unlock(&vp->func.lock);
	pci_root_remove_func(vp->func.root, &vp->func);
	close_kicks(vp->vdev);
	pci_func_destroy(&vp->func);
	free(vp);
}

struct pci_func *virtio_pci_func(struct virtio_pci *vp)
{
	return &vp->func;
}
