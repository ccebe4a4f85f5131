// SPDX-License-Identifier: Apache-2.0
/*
 * The transport-independent part of a virtio device's life cycle: status
 * handshake, feature check, reset, and the notifications a device model
 * sends through whatever transport it is attached to.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "virtio-priv.h"

/*
 * status is written by the transport (a vCPU thread) and OR-ed with
 * NEEDS_RESET by device workers, so every access is atomic.
 */
uint8_t virtio_device_status(const struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE);
}

uint64_t virtio_device_features(struct virtio_device *vdev)
{
	uint64_t f = vdev->ops->features(vdev) | 1ULL << VIRTIO_F_VERSION_1;

	if (vdev->dma.translate)
		f |= 1ULL << VIRTIO_F_ACCESS_PLATFORM;
	return f;
}

static bool virtio_features_ok(struct virtio_device *vdev)
{
	uint64_t offered = virtio_device_features(vdev);

	return !(vdev->driver_features & ~offered) && virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
}

void virtio_device_set_status(struct virtio_device *vdev, uint8_t status)
{
	uint8_t old = virtio_device_status(vdev);
	uint8_t set = status & ~old;

	if (status == 0) {
		virtio_device_reset(vdev);
		return;
	}
	status &= (uint8_t)~VIRTIO_STATUS_NEEDS_RESET;
	if ((set & VIRTIO_STATUS_FEATURES_OK) && !virtio_features_ok(vdev)) {
		log_warn("%s: driver accepted features %#llx beyond the offered %#llx (or without VERSION_1)",
			 vdev->name, (unsigned long long)vdev->driver_features,
			 (unsigned long long)virtio_device_features(vdev));
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	} else if ((set & VIRTIO_STATUS_FEATURES_OK) && vdev->dma.translate &&
		   !virtio_has_feature(vdev, VIRTIO_F_ACCESS_PLATFORM)) {
		/*
		 * Behind a vIOMMU the driver's addresses are IOVAs; a driver
		 * that would hand out GPAs instead cannot work (virtio 1.2
		 * 6.1: the device MAY fail then).
		 */
		log_warn("%s: driver refused ACCESS_PLATFORM, which a device behind a vIOMMU needs",
			 vdev->name);
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	/* The device owns NEEDS_RESET (a worker may set it right now); keep it. */
	while (!__atomic_compare_exchange_n(&vdev->status, &old,
					    (uint8_t)(status | (old & VIRTIO_STATUS_NEEDS_RESET)), false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	status |= old & VIRTIO_STATUS_NEEDS_RESET;

	if ((set & VIRTIO_STATUS_DRIVER_OK) && (status & VIRTIO_STATUS_FEATURES_OK) && !vdev->active) {
		int r = vdev->ops->activate(vdev);

		if (r) {
			log_error("%s: cannot start: %s", vdev->name, strerror(-r));
			__atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
			virtio_signal_config(vdev);
			return;
		}
		vdev->active = true;
	}
}

void virtio_device_reset(struct virtio_device *vdev)
{
	if (vdev->active)
		vdev->ops->reset(vdev);
	vdev->active = false;
	for (unsigned q = 0; q < vdev->nr_queues; q++) {
		struct virtio_queue_cfg *c = &vdev->queues[q];

		c->size = c->max_size;
		c->enabled = false;
		c->desc = c->avail = c->used = 0;
		c->msix_vector = 0xffff;
	}
	vdev->driver_features = 0;
	__atomic_store_n(&vdev->broken, false, __ATOMIC_RELAXED);
	__atomic_store_n(&vdev->status, 0, __ATOMIC_RELEASE);
}

void virtio_device_destroy(struct virtio_device *vdev)
{
	if (!vdev)
		return;
	virtio_device_reset(vdev);
	vdev->ops->destroy(vdev);
}

void virtio_signal_used(struct virtio_device *vdev, unsigned q)
{
	if (vdev->transport && vdev->transport->signal_used)
		vdev->transport->signal_used(vdev, q);
}

void virtio_signal_config(struct virtio_device *vdev)
{
	if (vdev->transport && vdev->transport->signal_config)
		vdev->transport->signal_config(vdev);
}

void virtio_device_broken(struct virtio_device *vdev, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	/* A guest can repeat the same mistake in a loop; say it once per reset. */
	if (__atomic_exchange_n(&vdev->broken, true, __ATOMIC_ACQ_REL))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s: guest error, device needs reset: %s", vdev->name, msg);
	__atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
	virtio_signal_config(vdev);
}

int virtio_thread_start(pthread_t *ret, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(ret, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

void virtio_eventfd_signal(int fd)
{
	uint64_t one = 1;
	ssize_t n;

	do
		n = write(fd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

void virtio_eventfd_drain(int fd)
{
	uint64_t v;
	ssize_t n;

	do
		n = read(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
}

void virtio_config_read(const void *cfg, size_t cfg_len, uint64_t offset, void *data, unsigned len)
{
	memset(data, 0, len);
	if (offset >= cfg_len)
		return;
	if (len > cfg_len - offset)
		len = (unsigned)(cfg_len - offset);
	memcpy(data, (const uint8_t *)cfg + offset, len);
}
