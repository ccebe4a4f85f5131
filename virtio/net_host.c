// SPDX-License-Identifier: Apache-2.0
/*
 * Tap devices and vhost-net: the system calls of virtio-net, as thin
 * wrappers returning -errno (see net_host.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_hdr.h"
#include "net_host.h"
#include "vhost.h"

int net_tap_open(const char *name, bool multi_queue, int *ret_fd, bool *ret_created)
{
	struct ifreq ifr = { 0 };
	int vnet_hdr_len = NET_VNET_HDR_LEN;
	bool existed;
	int fd, r;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	existed = if_nametoindex(name) != 0;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi_queue ? IFF_MULTI_QUEUE : 0);
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &vnet_hdr_len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	*ret_created = !existed;
	return 0;
}

int net_tap_set_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (s < 0)
		return -errno;
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ - 1));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!r && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(s);
	return r;
}

unsigned net_tap_probe_offloads(int fd)
{
	static const unsigned tries[] = { TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
					  TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM };
	unsigned found = 0;

	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]) && !found; i++)
		if (ioctl(fd, TUNSETOFFLOAD, tries[i]) == 0)
			found = tries[i];
	(void)!ioctl(fd, TUNSETOFFLOAD, 0);
	return found;
}

int net_tap_set_offloads(int fd, uint64_t f)
{
	unsigned off = 0;

	if (f >> VIRTIO_NET_F_GUEST_CSUM & 1) {
		off |= TUN_F_CSUM;
		if (f >> VIRTIO_NET_F_GUEST_TSO4 & 1)
			off |= TUN_F_TSO4;
		if (f >> VIRTIO_NET_F_GUEST_TSO6 & 1)
			off |= TUN_F_TSO6;
		if ((off & (TUN_F_TSO4 | TUN_F_TSO6)) && (f >> VIRTIO_NET_F_GUEST_ECN & 1))
			off |= TUN_F_TSO_ECN;
	}
	return ioctl(fd, TUNSETOFFLOAD, off) < 0 ? -errno : 0;
}

int net_tap_attach(int fd, bool attach)
{
	struct ifreq ifr = { .ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };
	int r = ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;

	/* Attaching an attached queue (or detaching a detached one) is no error. */
	return r == -EINVAL ? 0 : r;
}

int net_vhost_open(int *ret_fd, uint64_t *ret_features)
{
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VHOST_GET_FEATURES, ret_features) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int net_vhost_start(int fd, uint64_t features, const struct gmem *mem, const struct net_vhost_ring ring[2],
		    int tap_fd)
{
	struct vhost_ring rings[2] = {
		{ 0, ring[0].cfg, ring[0].call_fd }, { 1, ring[1].cfg, ring[1].call_fd },
	};
	int r = vhost_setup(fd, features, mem, rings, 2);

	for (unsigned i = 0; i < 2 && !r; i++) {
		struct vhost_vring_file backend = { .index = i, .fd = tap_fd };

		if (ioctl(fd, VHOST_NET_SET_BACKEND, &backend) < 0)
			r = -errno;
	}
	return r;
}

void net_vhost_stop(int fd)
{
	for (unsigned i = 0; i < 2; i++) {
		struct vhost_vring_file backend = { .index = i, .fd = -1 };

		(void)!ioctl(fd, VHOST_NET_SET_BACKEND, &backend);
	}
}
