// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-mmio transport, virtio 1.2 section 4.2 (version 2 register
 * layout). Register accesses arrive on vCPU threads; one mutex per
 * transport serialises them. Notifies normally never get here: each
 * queue's kick eventfd is a KVM ioeventfd on QueueNotify matching the
 * queue index. Interrupts are an irqfd on the device's GSI; the
 * InterruptStatus bits say why.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio-priv.h"

#define MMIO_MAGIC_VALUE        0x000
#define MMIO_VERSION            0x004
#define MMIO_DEVICE_ID          0x008
#define MMIO_VENDOR_ID          0x00c
#define MMIO_DEVICE_FEATURES    0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES    0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_QUEUE_SEL          0x030
#define MMIO_QUEUE_NUM_MAX      0x034
#define MMIO_QUEUE_NUM          0x038
#define MMIO_QUEUE_READY        0x044
#define MMIO_QUEUE_NOTIFY       0x050
#define MMIO_INTERRUPT_STATUS   0x060
#define MMIO_INTERRUPT_ACK      0x064
#define MMIO_STATUS             0x070
#define MMIO_QUEUE_DESC_LOW     0x080
#define MMIO_QUEUE_DESC_HIGH    0x084
#define MMIO_QUEUE_DRIVER_LOW   0x090
#define MMIO_QUEUE_DRIVER_HIGH  0x094
#define MMIO_QUEUE_DEVICE_LOW   0x0a0
#define MMIO_QUEUE_DEVICE_HIGH  0x0a4
#define MMIO_SHM_LEN_LOW        0x0b0
#define MMIO_SHM_LEN_HIGH       0x0b4
#define MMIO_SHM_BASE_LOW       0x0b8
#define MMIO_SHM_BASE_HIGH      0x0bc
#define MMIO_CONFIG_GENERATION  0x0fc
#define MMIO_CONFIG             0x100

#define MMIO_MAGIC  0x74726976  /* "virt" */
#define MMIO_VENDOR 0x46494b53  /* "SKIF" */
#define MMIO_INT_VRING  1
#define MMIO_INT_CONFIG 2

struct virtio_mmio {
	struct virtio_device *vdev;
	uint64_t base;
	unsigned gsi;
	const struct vm_irq_ops *irq;
	int irq_fd;                      /* irqfd for gsi; -1: no interrupts (tests) */
	pthread_mutex_t lock;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint32_t isr;                    /* atomic: set by device workers, acked by vCPUs */
	bool ioeventfd[VIRTIO_MAX_QUEUES];
};

static void mmio_interrupt(struct virtio_mmio *m, uint32_t why)
{
	__atomic_fetch_or(&m->isr, why, __ATOMIC_ACQ_REL);
	/* Edge-triggered: raise on every event, the driver reads ISR once per interrupt. */
	if (m->irq_fd >= 0)
		virtio_eventfd_signal(m->irq_fd);
}

static void mmio_signal_used(struct virtio_device *vdev, unsigned q)
{
	(void)q;
	mmio_interrupt(vdev->transport_priv, MMIO_INT_VRING);
}

static void mmio_signal_config(struct virtio_device *vdev)
{
	mmio_interrupt(vdev->transport_priv, MMIO_INT_CONFIG);
}

static const struct virtio_transport_ops mmio_transport_ops = {
	.signal_used = mmio_signal_used,
	.signal_config = mmio_signal_config,
};

static struct virtio_queue_cfg *mmio_queue(struct virtio_mmio *m)
{
	return m->queue_sel < m->vdev->nr_queues ? &m->vdev->queues[m->queue_sel] : NULL;
}

static uint32_t mmio_read_reg(struct virtio_mmio *m, uint64_t reg)
{
	struct virtio_device *vdev = m->vdev;
	struct virtio_queue_cfg *q = mmio_queue(m);

	switch (reg) {
	case MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case MMIO_VERSION:
		return 2;
	case MMIO_DEVICE_ID:
		return vdev->device_id;
	case MMIO_VENDOR_ID:
		return MMIO_VENDOR;
	case MMIO_DEVICE_FEATURES:
		return m->device_features_sel < 2 ?
		       (uint32_t)(virtio_device_features(vdev) >> (32 * m->device_features_sel)) : 0;
	case MMIO_QUEUE_NUM_MAX:
		return q ? q->max_size : 0;
	case MMIO_QUEUE_READY:
		return q ? q->enabled : 0;
	case MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&m->isr, __ATOMIC_ACQUIRE);
	case MMIO_STATUS:
		return virtio_device_status(vdev);
	case MMIO_SHM_LEN_LOW:
	case MMIO_SHM_LEN_HIGH:
		return 0xffffffff;  /* no shared memory regions */
	case MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&vdev->config_generation, __ATOMIC_ACQUIRE);
	default:
		return 0;
	}
}

static void mmio_set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffULL) | (uint64_t)val << 32 : (*v & ~0xffffffffULL) | val;
}

/* Queue registers: only while the queue is not ready and the driver is not running. */
static void mmio_write_queue(struct virtio_mmio *m, uint64_t reg, uint32_t v)
{
	struct virtio_queue_cfg *q = mmio_queue(m);

	if (!q || (virtio_device_status(m->vdev) & VIRTIO_STATUS_DRIVER_OK) ||
	    (q->enabled && reg != MMIO_QUEUE_READY))
		return;
	switch (reg) {
	case MMIO_QUEUE_NUM:
		q->size = (uint16_t)(v <= q->max_size ? v : 0);  /* virtq_init() rejects 0 */
		break;
	case MMIO_QUEUE_READY:
		q->enabled = v & 1;
		break;
	case MMIO_QUEUE_DESC_LOW:
	case MMIO_QUEUE_DESC_HIGH:
		mmio_set_half(&q->desc, reg == MMIO_QUEUE_DESC_HIGH, v);
		break;
	case MMIO_QUEUE_DRIVER_LOW:
	case MMIO_QUEUE_DRIVER_HIGH:
		mmio_set_half(&q->avail, reg == MMIO_QUEUE_DRIVER_HIGH, v);
		break;
	default:
		mmio_set_half(&q->used, reg == MMIO_QUEUE_DEVICE_HIGH, v);
		break;
	}
}

static void mmio_write_reg(struct virtio_mmio *m, uint64_t reg, uint32_t v)
{
	struct virtio_device *vdev = m->vdev;

	switch (reg) {
	case MMIO_DEVICE_FEATURES_SEL:
		m->device_features_sel = v;
		break;
	case MMIO_DRIVER_FEATURES_SEL:
		m->driver_features_sel = v;
		break;
	case MMIO_DRIVER_FEATURES:
		/* Fixed once FEATURES_OK is set: the device may already rely on them. */
		if (m->driver_features_sel < 2 && !(virtio_device_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
			mmio_set_half(&vdev->driver_features, m->driver_features_sel == 1, v);
		break;
	case MMIO_QUEUE_SEL:
		m->queue_sel = v;
		break;
	case MMIO_QUEUE_NUM:
	case MMIO_QUEUE_READY:
	case MMIO_QUEUE_DESC_LOW ... MMIO_QUEUE_DESC_HIGH:
	case MMIO_QUEUE_DRIVER_LOW ... MMIO_QUEUE_DRIVER_HIGH:
	case MMIO_QUEUE_DEVICE_LOW ... MMIO_QUEUE_DEVICE_HIGH:
		if (!(reg & 3))
			mmio_write_queue(m, reg, v);
		break;
	case MMIO_QUEUE_NOTIFY:
		/* Only without an ioeventfd for this queue (otherwise KVM took it). */
		if (v < vdev->nr_queues && vdev->queues[v].kick_fd >= 0)
			virtio_eventfd_signal(vdev->queues[v].kick_fd);
		break;
	case MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&m->isr, ~v, __ATOMIC_ACQ_REL);
		break;
	case MMIO_STATUS:
		virtio_device_set_status(vdev, (uint8_t)v);
		if (v == 0) {
			__atomic_store_n(&m->isr, 0, __ATOMIC_RELEASE);
			m->device_features_sel = m->driver_features_sel = m->queue_sel = 0;
		}
		break;
	default:
		break;
	}
}

static void mmio_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct virtio_mmio *m = opaque;
	uint32_t v;

	pthread_mutex_lock(&m->lock);
	if (offset >= MMIO_CONFIG) {
		m->vdev->ops->read_config(m->vdev, offset - MMIO_CONFIG, data, len);
	} else if (len == 4 && !(offset & 3)) {
		v = mmio_read_reg(m, offset);
		memcpy(data, &v, 4);
	} else {
		memset(data, 0, len);  /* registers are 32-bit only */
	}
	pthread_mutex_unlock(&m->lock);
}

static void mmio_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct virtio_mmio *m = opaque;
	uint32_t v;

	pthread_mutex_lock(&m->lock);
	if (offset >= MMIO_CONFIG) {
		m->vdev->ops->write_config(m->vdev, offset - MMIO_CONFIG, data, len);
	} else if (len == 4 && !(offset & 3)) {
		memcpy(&v, data, 4);
		mmio_write_reg(m, offset, v);
	}
	pthread_mutex_unlock(&m->lock);
}

const struct bus_device_ops virtio_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

static void mmio_close_queues(struct virtio_mmio *m)
{
	struct virtio_device *vdev = m->vdev;

	for (unsigned q = 0; q < vdev->nr_queues; q++) {
		int fd = vdev->queues[q].kick_fd;

		if (fd < 0)
			continue;
		if (m->ioeventfd[q])
			(void)m->irq->ioeventfd(m->irq->opaque, m->base + MMIO_QUEUE_NOTIFY, 4, q, fd, false);
		m->ioeventfd[q] = false;
		close(fd);
		vdev->queues[q].kick_fd = -1;
	}
}

static int mmio_setup_queues(struct virtio_mmio *m)
{
	struct virtio_device *vdev = m->vdev;

	for (unsigned q = 0; q < vdev->nr_queues; q++) {
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), r;

		if (fd < 0)
			return -errno;
		vdev->queues[q].kick_fd = fd;
		if (!m->irq || !m->irq->ioeventfd)
			continue;
		r = m->irq->ioeventfd(m->irq->opaque, m->base + MMIO_QUEUE_NOTIFY, 4, q, fd, true);
		if (r)  /* still works, through trapped writes to QueueNotify */
			log_warn("%s: no ioeventfd for queue %u (%s); notifies will exit to skiff",
				 vdev->name, q, strerror(-r));
		m->ioeventfd[q] = r == 0;
	}
	return 0;
}

int virtio_mmio_create(struct virtio_device *vdev, uint64_t base, unsigned gsi,
		       const struct vm_irq_ops *irq, struct virtio_mmio **ret)
{
	struct virtio_mmio *m;
	int r;

	if (vdev->nr_queues > VIRTIO_MAX_QUEUES || vdev->transport)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->vdev = vdev;
	m->base = base;
	m->gsi = gsi;
	m->irq = irq;
	m->irq_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	for (unsigned q = 0; q < vdev->nr_queues; q++)
		vdev->queues[q].kick_fd = -1;
	r = mmio_setup_queues(m);
	if (r)
		goto err;
	if (irq && irq->irqfd_gsi) {
		r = irq->irqfd_gsi(irq->opaque, gsi, &m->irq_fd);
		if (r) {
			log_error("%s: irqfd for GSI %u: %s", vdev->name, gsi, strerror(-r));
			goto err;
		}
	}
	vdev->transport = &mmio_transport_ops;
	vdev->transport_priv = m;
	*ret = m;
	return 0;

err:
	mmio_close_queues(m);
	pthread_mutex_destroy(&m->lock);
	free(m);
	return r;
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	virtio_device_reset(m->vdev);
	pthread_mutex_unlock(&m->lock);
	mmio_close_queues(m);
	if (m->irq_fd >= 0)
		close(m->irq_fd);  /* KVM drops the irqfd when its eventfd goes */
	m->vdev->transport = NULL;
	m->vdev->transport_priv = NULL;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int virtio_mmio_cmdline(const struct virtio_mmio *m, char *buf, size_t len)
{
	return snprintf(buf, len, "virtio_mmio.device=%u@%#" PRIx64 ":%u", VIRTIO_MMIO_SIZE, m->base, m->gsi);
}
