/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of virtio-net: tap devices and vhost-net. Every ioctl of
 * the net device is here; each function returns 0 or -errno and never
 * logs (net.c decides what to tell the user).
 */
#ifndef SKIFF_VIRTIO_NET_HOST_H
#define SKIFF_VIRTIO_NET_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define NET_VNET_HDR_LEN 12  /* struct virtio_net_hdr_v1 */

/*
 * Open (or, with CAP_NET_ADMIN, create) the tap called name with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (| IFF_MULTI_QUEUE), non-blocking,
 * and set its vnet header length to 12. *ret_created tells whether the
 * device did not exist before (skiff made it; it goes away with skiff).
 */
int net_tap_open(const char *name, bool multi_queue, int *ret_fd, bool *ret_created) SKIFF_MUST_CHECK;
/* Bring a tap skiff created up (it starts down). */
int net_tap_set_up(const char *name) SKIFF_MUST_CHECK;

/* TUN_F_* bits the tap takes (TUNSETOFFLOAD probe); the offloads are left off. */
unsigned net_tap_probe_offloads(int fd);
/* Offloads for what the guest can receive: from its negotiated virtio-net features. */
int net_tap_set_offloads(int fd, uint64_t guest_features) SKIFF_MUST_CHECK;
/* TUNSETQUEUE: attach or detach one queue of a multi-queue tap. */
int net_tap_attach(int fd, bool attach) SKIFF_MUST_CHECK;

/* Open /dev/vhost-net and read its features; -errno if the host has none. */
int net_vhost_open(int *ret_fd, uint64_t *ret_features) SKIFF_MUST_CHECK;

/* One vhost-net instance serves one queue pair: rx is vring 0, tx vring 1. */
struct net_vhost_ring {
	const struct virtio_queue_cfg *cfg;  /* what the driver programmed */
	int call_fd;                         /* vhost signals used buffers here */
};

/*
 * Hand a queue pair to an open vhost-net fd: owner, features (the ring
 * features vhost knows), guest memory, both rings, kick and call fds, and
 * the tap as backend. -EFAULT if a ring lies outside guest memory.
 */
int net_vhost_start(int fd, uint64_t features, const struct gmem *mem, const struct net_vhost_ring ring[2],
		    int tap_fd) SKIFF_MUST_CHECK;
/* Detach the backend (stops vhost's worker from touching the rings); the caller closes fd. */
void net_vhost_stop(int fd);

#endif
