/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the device models; not for other modules. */
#ifndef SKIFF_VIRTIO_PRIV_H
#define SKIFF_VIRTIO_PRIV_H

#include <pthread.h>

#include "virtio.h"

/*
 * Start a device worker with all signals blocked, so that SIGINT and
 * friends keep going to the VMM's main thread.
 */
int virtio_thread_start(pthread_t *ret, void *(*fn)(void *), void *arg) SKIFF_MUST_CHECK;

/* Add 1 to an eventfd / drain it; errors other than EAGAIN are ignored (nothing to do about them). */
void virtio_eventfd_signal(int fd);
void virtio_eventfd_drain(int fd);

/* Copy [offset, offset + len) of a device's config structure; bytes past its end read as 0. */
void virtio_config_read(const void *cfg, size_t cfg_len, uint64_t offset, void *data, unsigned len);

#endif
