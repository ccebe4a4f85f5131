// SPDX-License-Identifier: Apache-2.0
/* The real system calls behind vfio-sys.h (the only raw ioctls of vfio/). */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio-sys.h"

int vfio_sys_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void vfio_sys_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

int vfio_sys_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

ssize_t vfio_sys_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

ssize_t vfio_sys_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

void *vfio_sys_mmap(int fd, size_t len, uint64_t off, int *ret_err)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);

	if (p == MAP_FAILED) {
		*ret_err = -errno;
		return NULL;
	}
	return p;
}

void vfio_sys_munmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}
