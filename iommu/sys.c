// SPDX-License-Identifier: Apache-2.0
/* The real system calls behind struct iommu_sys (the only raw iommufd ioctls of iommu/). */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommu.h"

static int sys_open(void *ctx, const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	(void)ctx;
	return fd < 0 ? -errno : fd;
}

static void sys_close(void *ctx, int fd)
{
	(void)ctx;
	if (fd >= 0)
		close(fd);
}

static int sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	(void)ctx;
	return r < 0 ? -errno : r;
}

static const struct iommu_sys real = { sys_open, sys_close, sys_ioctl, NULL };

const struct iommu_sys *iommu_sys_real(void)
{
	return &real;
}
