// SPDX-License-Identifier: Apache-2.0
/*
 * Setting up a vhost instance (vhost-net, vhost-vsock): memory table and
 * rings. The rings get the same checks as the userspace path's
 * virtq_init() before the kernel sees their addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vhost.h"

static int vhost_mem(int fd, const struct gmem *mem)
{
	struct vhost_memory *m = calloc(1, sizeof(*m) + mem->nr_regions * sizeof(m->regions[0]));
	int r = 0;

	if (!m)
		return -ENOMEM;
	m->nregions = mem->nr_regions;
	for (unsigned i = 0; i < mem->nr_regions; i++)
		m->regions[i] = (struct vhost_memory_region){
			.guest_phys_addr = mem->regions[i].gpa, .memory_size = mem->regions[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)mem->regions[i].host,
		};
	if (ioctl(fd, VHOST_SET_MEM_TABLE, m) < 0)
		r = -errno;
	free(m);
	return r;
}

static int vhost_ring(int fd, const struct gmem *mem, const struct vhost_ring *ring)
{
	const struct virtio_queue_cfg *c = ring->cfg;
	uint64_t n = c->size;
	void *desc = gmem_slice(mem, c->desc, 16 * n), *avail = gmem_slice(mem, c->avail, 6 + 2 * n);
	void *used = gmem_slice(mem, c->used, 6 + 8 * n);
	struct vhost_vring_state num = { .index = ring->index, .num = c->size };
	struct vhost_vring_state base = { .index = ring->index, .num = 0 };
	struct vhost_vring_addr addr = {
		.index = ring->index, .desc_user_addr = (uint64_t)(uintptr_t)desc,
		.used_user_addr = (uint64_t)(uintptr_t)used, .avail_user_addr = (uint64_t)(uintptr_t)avail,
	};
	struct vhost_vring_file kick = { .index = ring->index, .fd = c->kick_fd };
	struct vhost_vring_file call = { .index = ring->index, .fd = ring->call_fd };

	if (!desc || !avail || !used || n == 0 || (n & (n - 1)) || n > c->max_size ||
	    (c->desc & 15) || (c->avail & 1) || (c->used & 3))
		return -EFAULT;
	if (ioctl(fd, VHOST_SET_VRING_NUM, &num) < 0 || ioctl(fd, VHOST_SET_VRING_BASE, &base) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_ADDR, &addr) < 0 || ioctl(fd, VHOST_SET_VRING_KICK, &kick) < 0 ||
	    ioctl(fd, VHOST_SET_VRING_CALL, &call) < 0)
		return -errno;
	return 0;
}

int vhost_setup(int fd, uint64_t features, const struct gmem *mem, const struct vhost_ring *rings, unsigned nr)
{
	uint64_t vhost_features;
	int r;

	if (ioctl(fd, VHOST_SET_OWNER) < 0 || ioctl(fd, VHOST_GET_FEATURES, &vhost_features) < 0)
		return -errno;
	/* vhost knows the ring features; device-specific bits are not its business. */
	features &= vhost_features;
	if (ioctl(fd, VHOST_SET_FEATURES, &features) < 0)
		return -errno;
	r = vhost_mem(fd, mem);
	for (unsigned i = 0; i < nr && !r; i++)
		r = vhost_ring(fd, mem, &rings[i]);
	return r;
}

bool vhost_viommu_fallback(const struct virtio_device *vdev, const char *instead)
{
	if (!vdev->dma.translate)
		return false;
	log_warn("%s: behind a vIOMMU, which vhost cannot follow (its IOTLB protocol is not supported); using %s",
		 vdev->name, instead);
	return true;
}

int vhost_vsock_open(uint64_t guest_cid, int *ret_fd)
{
	int fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, VHOST_VSOCK_SET_GUEST_CID, &guest_cid) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int vhost_vsock_set_running(int fd, bool running)
{
	int on = running;

	return ioctl(fd, VHOST_VSOCK_SET_RUNNING, &on) < 0 ? -errno : 0;
}

void vhost_reset_owner(int fd)
{
	(void)!ioctl(fd, VHOST_RESET_OWNER);
}
