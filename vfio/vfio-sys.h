/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The system-call layer of vfio/: every open, ioctl, pread/pwrite and mmap
 * of /dev/iommu and of VFIO device fds goes through these, and all of them
 * live in sys.c. Unit tests link a fake instead (tests/unit/vfio/). All
 * return the result or -errno, never set errno for the caller.
 */
#ifndef SKIFF_VFIO_SYS_H
#define SKIFF_VFIO_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int vfio_sys_open(const char *path);                 /* O_RDWR | O_CLOEXEC: fd or -errno */
void vfio_sys_close(int fd);
int vfio_sys_ioctl(int fd, unsigned long req, void *arg); /* >= 0 or -errno */
ssize_t vfio_sys_pread(int fd, void *buf, size_t len, uint64_t off);
ssize_t vfio_sys_pwrite(int fd, const void *buf, size_t len, uint64_t off);
/* Shared read/write mapping of len bytes at off; -errno in *ret_err on NULL. */
void *vfio_sys_mmap(int fd, size_t len, uint64_t off, int *ret_err);
void vfio_sys_munmap(void *p, size_t len);

#endif
