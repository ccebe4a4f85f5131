// SPDX-License-Identifier: Apache-2.0
/* The fake behind vfio-sys.h for the unit tests (see fake-sys.h). */
#include <errno.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake-sys.h"
#include "vfio-sys.h"

struct fake_sys fake;

void fake_reset(void)
{
	static const uint8_t cfg[256] = {
		[0x00] = 0x36, 0x1b, 0x10, 0x00,          /* 1b36:0010 */
		[0x06] = 0x10,                            /* status: capability list */
		[0x08] = 0x02, 0x02, 0x08, 0x01,          /* rev 2, class 01:08:02 */
		[0x10] = 0x04,                            /* BAR 0: 64-bit memory */
		[0x2c] = 0xf4, 0x1a, 0x00, 0x11,
		[0x34] = 0x40,
		[0x3d] = 0x01,
		[0x40] = 0x01, 0x50, 0x03, 0x00, 0x08, 0x00, /* PM */
		[0x50] = 0x05, 0x60, 0x86, 0x01,          /* MSI: 64-bit, maskable, 8 vectors */
		[0x60] = 0x11, 0x80, 0x03, 0x00,          /* MSI-X, 4 vectors */
		[0x64] = 0x00, 0x20, 0x00, 0x00,          /* table BAR 0 + 0x2000 */
		[0x68] = 0x00, 0x30, 0x00, 0x00,          /* PBA BAR 0 + 0x3000 */
		[0x80] = 0x10, 0x00, 0x02, 0x00,          /* PCIe v2, endpoint */
		[0x87] = 0x10,                            /* DevCap: FLR */
	};

	memset(&fake, 0, sizeof(fake));
	memcpy(fake.cfg, cfg, sizeof(cfg));
	fake.iommu_fd = -1;
	fake.irq_on = -1;
	fake.intx_unmask_fd = -1;
}

bool fake_fail_now(int *r)
{
	fake.calls++;
	if (fake.fail_nth && fake.calls == fake.fail_nth) {
		*r = -fake.fail_errno;
		return true;
	}
	return false;
}

int vfio_sys_open(const char *path)
{
	int r, fd;

	if (fake_fail_now(&r))
		return r;
	if (access(path, F_OK) < 0)
		return -errno;
	if (strstr(path, "/vfio/devices/") && fake.open_err_vfio)
		return -fake.open_err_vfio;
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!strstr(path, "/vfio/"))
		fake.iommu_fd = fd;
	return fd;
}

void vfio_sys_close(int fd)
{
	if (fd < 0)
		return;
	if (fd == fake.iommu_fd) {
		fake.live_ioas = 0;
		fake.iommu_fd = -1;
	}
	close(fd);
}

static int region_info(struct vfio_region_info *ri)
{
	ri->flags = 0;
	ri->size = 0;
	ri->offset = (uint64_t)ri->index << 40;
	if (ri->index == VFIO_PCI_BAR0_REGION_INDEX) {
		ri->size = 0x4000;
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			    (fake.no_mmap ? 0 : VFIO_REGION_INFO_FLAG_MMAP);
	} else if (ri->index == VFIO_PCI_CONFIG_REGION_INDEX) {
		ri->size = 4096;
		ri->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	}
	return 0;
}

/* VFIO_DEVICE_SET_IRQS as vfio-pci checks it: one kind of interrupt at a time. */
static int set_irqs(const struct vfio_irq_set *s)
{
	bool fds = s->flags & VFIO_IRQ_SET_DATA_EVENTFD;

	fake.set_irqs_calls++;
	fake.set_irqs_count = s->count;
	fake.set_irqs_flags = s->flags;
	fake.set_irqs_index = s->index;
	for (unsigned i = 0; fds && i < s->count && i < 8; i++)
		fake.set_irqs_fds[i] = ((const int32_t *)s->data)[i];
	if (s->flags & VFIO_IRQ_SET_ACTION_UNMASK) {
		if (s->index != VFIO_PCI_INTX_IRQ_INDEX || fake.irq_on != VFIO_PCI_INTX_IRQ_INDEX || !fds ||
		    s->count != 1)
			return -EINVAL;
		fake.intx_unmask_fd = ((const int32_t *)s->data)[0];
		return 0;
	}
	if (!(s->flags & VFIO_IRQ_SET_ACTION_TRIGGER))
		return -EINVAL;
	if (!fds && !s->count) {
		if (fake.irq_on == (int)s->index) {
			fake.irq_on = -1;
			fake.intx_unmask_fd = -1;
		}
		return 0;
	}
	if (fake.irq_on >= 0 && fake.irq_on != (int)s->index)
		return -EINVAL;
	fake.irq_on = (int)s->index;
	fake.irq_on_count = s->count;
	return 0;
}

int vfio_sys_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	(void)fd;
	if (fake_fail_now(&r))
		return r;
	switch (req) {
	case IOMMU_IOAS_ALLOC:
		((struct iommu_ioas_alloc *)arg)->out_ioas_id = 7;
		fake.live_ioas++;
		return 0;
	case IOMMU_IOAS_MAP_FILE:
		if (fake.no_map_file)
			return -ENOTTY;
		fake.nr_map_file++;
		return 0;
	case IOMMU_IOAS_MAP:
		fake.nr_map++;
		return 0;
	case IOMMU_IOAS_IOVA_RANGES: {
		struct iommu_ioas_iova_ranges *q = arg;
		struct iommu_iova_range *out = (void *)(uintptr_t)q->allowed_iovas;

		if (q->num_iovas < 2) {
			q->num_iovas = 2;
			return -EMSGSIZE;
		}
		q->num_iovas = 2;
		out[0] = (struct iommu_iova_range){ 0, 0xfedfffff };
		out[1] = (struct iommu_iova_range){ 0xfef00000, (1ull << 48) - 1 };
		return 0;
	}
	case VFIO_DEVICE_BIND_IOMMUFD:
		if (fake.bind_err)
			return -fake.bind_err;
		((struct vfio_device_bind_iommufd *)arg)->out_devid = 3;
		return 0;
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return fake.attach_err ? -fake.attach_err : 0;
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;

		i->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
		i->num_regions = VFIO_PCI_NUM_REGIONS;
		i->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *ii = arg;

		ii->count = ii->index == VFIO_PCI_MSIX_IRQ_INDEX ? 4 : ii->index == VFIO_PCI_MSI_IRQ_INDEX ? 8 : 1;
		return 0;
	}
	case VFIO_DEVICE_RESET:
		fake.resets++;
		return 0;
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(arg);
	default:
		return -ENOTTY;
	}
}

ssize_t vfio_sys_pread(int fd, void *buf, size_t len, uint64_t off)
{
	int r;

	(void)fd;
	if (fake_fail_now(&r))
		return r;
	if (off >= FAKE_CFG_OFFSET) {
		off -= FAKE_CFG_OFFSET;
		if (off + len > sizeof(fake.cfg))
			return -EINVAL;
		memcpy(buf, fake.cfg + off, len);
		return (ssize_t)len;
	}
	for (size_t i = 0; i < len; i++) /* BAR 0: each byte is its offset's low byte */
		((uint8_t *)buf)[i] = (uint8_t)(off + i);
	return (ssize_t)len;
}

ssize_t vfio_sys_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	int r;

	(void)fd;
	if (fake_fail_now(&r))
		return r;
	if (off == FAKE_CFG_OFFSET + 4 && len == 2)
		memcpy(&fake.dev_command, buf, 2);
	else if (off < FAKE_CFG_OFFSET && len == 4) {
		fake.last_bar_write_off = off;
		memcpy(&fake.last_bar_write, buf, 4);
	}
	return (ssize_t)len;
}

void *vfio_sys_mmap(int fd, size_t len, uint64_t off, int *ret_err)
{
	int r;
	void *p;

	(void)fd;
	(void)off;
	if (fake_fail_now(&r)) {
		*ret_err = r;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		*ret_err = -errno;
		return NULL;
	}
	fake.live_mmaps++;
	return p;
}

void vfio_sys_munmap(void *p, size_t len)
{
	if (p) {
		munmap(p, len);
		fake.live_mmaps--;
	}
}
