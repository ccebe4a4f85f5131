// SPDX-License-Identifier: Apache-2.0
/*
 * iommufd and the VFIO cdev: one IOAS per VM with guest RAM at IOVA = GPA,
 * and opening an assigned PCI function (find its cdev in sysfs, bind it to
 * the iommufd, attach it to the IOAS, check the usable IOVA ranges against
 * guest RAM, read its regions and IRQs, reset it). Every failure is one
 * sentence that says what to do about it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/iommufd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfio-priv.h"
#include "vfio-sys.h"

int vfio_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EIO;
}

static const char *sysfs_root(const struct vfio_paths *p)
{
	return p && p->sysfs ? p->sysfs : "/sys";
}

static const char *dev_root(const struct vfio_paths *p)
{
	return p && p->dev ? p->dev : "/dev";
}

/* ---- the IOAS ------------------------------------------------------------- */

static int map_region(struct vfio_iommu *io, const struct gmem *gm, const struct gmem_region *g)
{
	const uint32_t flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
	int r = -ENOTTY;

	if (io->map_file) {
		struct iommu_ioas_map_file mf = {
			.size = sizeof(mf), .flags = flags, .ioas_id = io->ioas_id, .fd = gm->memfd,
			.start = g->fd_offset, .length = g->size, .iova = g->gpa,
		};

		r = vfio_sys_ioctl(io->fd, IOMMU_IOAS_MAP_FILE, &mf);
		if (r != -ENOTTY && r != -EOPNOTSUPP)
			return r;
		io->map_file = false;
	}
	struct iommu_ioas_map m = {
		.size = sizeof(m), .flags = flags, .ioas_id = io->ioas_id,
		.user_va = (uintptr_t)g->host, .length = g->size, .iova = g->gpa,
	};
	return vfio_sys_ioctl(io->fd, IOMMU_IOAS_MAP, &m);
}

int vfio_iommu_create(const struct gmem *gm, const struct vfio_paths *paths, struct vfio_iommu **ret,
		      char *err, size_t errlen)
{
	struct vfio_iommu *io = calloc(1, sizeof(*io));
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char path[PATH_MAX];
	int r;

	if (!io)
		return vfio_fail(err, errlen, -ENOMEM, "vfio: out of memory");
	snprintf(io->sysfs, sizeof(io->sysfs), "%s", sysfs_root(paths));
	snprintf(io->dev, sizeof(io->dev), "%s", dev_root(paths));
	snprintf(path, sizeof(path), "%s/iommu", io->dev);
	io->fd = vfio_sys_open(path);
	if (io->fd < 0) {
		r = io->fd;
		free(io);
		if (r == -ENOENT)
			return vfio_fail(err, errlen, r, "%s does not exist: this kernel has no iommufd "
				    "(build it with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y)", path);
		if (r == -EACCES || r == -EPERM)
			return vfio_fail(err, errlen, r, "%s: permission denied (run skiff as root or give it access "
				    "to %s)", path, path);
		return vfio_fail(err, errlen, r, "%s: %s", path, strerror(-r));
	}
	r = vfio_sys_ioctl(io->fd, IOMMU_IOAS_ALLOC, &alloc);
	if (r < 0) {
		(void)vfio_fail(err, errlen, r, "iommufd: allocating an I/O address space: %s (is this kernel's "
			   "iommufd older than 6.6?)", strerror(-r));
		goto fail;
	}
	io->ioas_id = alloc.out_ioas_id;
	io->map_file = true;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct gmem_region *g = &gm->regions[i];

		r = map_region(io, gm, g);
		if (r < 0) {
			(void)vfio_fail(err, errlen, r, "iommufd: mapping %llu MiB of guest RAM at %#llx for DMA: %s%s",
				   (unsigned long long)(g->size >> 20), (unsigned long long)g->gpa, strerror(-r),
				   r == -ENOMEM ? " (the pinned pages count against RLIMIT_MEMLOCK: raise "
				   "`ulimit -l` or run as root)" : "");
			goto fail;
		}
		io->ram[io->nr_ram].gpa = g->gpa;
		io->ram[io->nr_ram].size = g->size;
		io->nr_ram++;
	}
	log_debug("vfio: guest RAM mapped for DMA with IOMMU_IOAS_%s", io->map_file ? "MAP_FILE" : "MAP");
	*ret = io;
	return 0;
fail:
	vfio_sys_close(io->fd);
	free(io);
	return r;
}

void vfio_iommu_destroy(struct vfio_iommu *io)
{
	if (!io)
		return;
	vfio_sys_close(io->fd); /* destroys the IOAS and its mappings */
	free(io);
}

/* ---- finding the device ------------------------------------------------------ */

static bool bdf_valid(const char *bdf)
{
	unsigned dom, bus, dev, fn;
	char tail;

	return strlen(bdf) == 12 && sscanf(bdf, "%4x:%2x:%2x.%1u%c", &dom, &bus, &dev, &fn, &tail) == 4 &&
	       dev < 32 && fn < 8;
}

/* No cdev: a kernel without CONFIG_VFIO_DEVICE_CDEV, often without iommufd as well. */
static int no_cdev(const struct vfio_paths *paths, const char *bdf, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/iommu", dev_root(paths));
	if (stat(path, &st) < 0)
		return vfio_fail(err, errlen, -EOPNOTSUPP, "PCI device %s is bound to vfio-pci but has no VFIO device "
			    "cdev, and there is no %s: this kernel has neither the VFIO cdev nor iommufd (build it "
			    "with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y; skiff does not use VFIO groups)",
			    bdf, path);
	return vfio_fail(err, errlen, -EOPNOTSUPP, "PCI device %s is bound to vfio-pci but has no VFIO device "
		    "cdev: this kernel lacks CONFIG_VFIO_DEVICE_CDEV (skiff uses /dev/vfio/devices/vfioN and "
		    "iommufd, not VFIO groups)", bdf);
}

int vfio_find_cdev(const struct vfio_paths *paths, const char *bdf, char *node, size_t nodelen, char *err,
		   size_t errlen)
{
	const char *sys = sysfs_root(paths);
	char path[PATH_MAX], link[PATH_MAX];
	struct stat st;
	struct dirent *de;
	DIR *d;
	ssize_t n;

	if (!bdf_valid(bdf))
		return vfio_fail(err, errlen, -EINVAL, "\"%s\" is not a PCI address: write it as DDDD:BB:DD.F, "
			    "e.g. 0000:00:03.0", bdf);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sys, bdf);
	if (stat(path, &st) < 0)
		return vfio_fail(err, errlen, -ENODEV, "PCI device %s does not exist on this host (`lspci -D` lists "
			    "the PCI addresses there are)", bdf);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sys, bdf);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	const char *drv = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strcmp(drv, "vfio-pci")) {
		char how[320];

		snprintf(how, sizeof(how), "echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
			 "echo %s > /sys/bus/pci/drivers_probe", bdf, bdf);
		if (!*drv)
			return vfio_fail(err, errlen, -EPERM, "PCI device %s is not bound to vfio-pci (it has no driver): "
				    "bind it with `%s`", bdf, how);
		return vfio_fail(err, errlen, -EPERM, "PCI device %s is bound to %s, not vfio-pci: unbind it "
			    "(echo %s > /sys/bus/pci/devices/%s/driver/unbind), then `%s`", bdf, drv, bdf, bdf, how);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vfio-dev", sys, bdf);
	node[0] = '\0';
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4) && strlen(de->d_name) < nodelen) {
			snprintf(node, nodelen, "%s", de->d_name);
			break;
		}
	if (d)
		closedir(d);
	/*
	 * Linux 6.1-6.5 list vfio-dev/vfioN without a character device; only
	 * CONFIG_VFIO_DEVICE_CDEV gives it a "dev" (major:minor) attribute.
	 */
	if (node[0]) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vfio-dev/%s/dev", sys, bdf, node);
		if (stat(path, &st) == 0)
			return 0;
		node[0] = '\0';
	}
	return no_cdev(paths, bdf, err, errlen);
}

/* ---- opening it ------------------------------------------------------------------ */

static int busy(char *err, size_t errlen, const char *bdf, const char *what)
{
	return vfio_fail(err, errlen, -EBUSY, "PCI device %s is busy (%s): another process, maybe "
		    "another VMM, has it; stop that first", bdf, what);
}

/* Every guest RAM range must lie inside one usable IOVA range. */
static int check_iova_ranges(struct vfio_device *dev, char *err, size_t errlen)
{
	struct vfio_iommu *io = dev->io;
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = io->ioas_id };
	struct iommu_iova_range *ranges = NULL;
	int r = 0;

	for (int attempt = 0; attempt < 3; attempt++) {
		q.allowed_iovas = (uintptr_t)ranges;
		r = vfio_sys_ioctl(io->fd, IOMMU_IOAS_IOVA_RANGES, &q);
		if (r != -EMSGSIZE)
			break;
		free(ranges);
		ranges = calloc(q.num_iovas ? q.num_iovas : 1, sizeof(*ranges));
		if (!ranges)
			return vfio_fail(err, errlen, -ENOMEM, "vfio: out of memory");
	}
	if (r < 0) {
		free(ranges);
		return vfio_fail(err, errlen, r, "iommufd: reading the usable IOVA ranges for %s: %s", dev->bdf,
			    strerror(-r));
	}
	for (unsigned i = 0; i < io->nr_ram; i++) {
		uint64_t first = io->ram[i].gpa, last = first + io->ram[i].size - 1;
		bool ok = false;

		for (unsigned k = 0; ranges && k < q.num_iovas && !ok; k++)
			ok = ranges[k].start <= first && last <= ranges[k].last;
		if (!ok) {
			free(ranges);
			return vfio_fail(err, errlen, -EADDRINUSE, "PCI device %s: its IOMMU cannot map guest RAM "
				    "[%#llx, %#llx] (the range collides with an IOVA window the host reserves); "
				    "give the VM less memory", dev->bdf, (unsigned long long)first,
				    (unsigned long long)last);
		}
	}
	free(ranges);
	return 0;
}

static int read_info(struct vfio_device *dev, char *err, size_t errlen)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int r = vfio_sys_ioctl(dev->fd, VFIO_DEVICE_GET_INFO, &info);

	if (r < 0)
		return vfio_fail(err, errlen, r, "VFIO: %s: reading the device info: %s", dev->bdf, strerror(-r));
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI) || info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX)
		return vfio_fail(err, errlen, -ENODEV, "VFIO: %s is not a PCI device to vfio-pci", dev->bdf);
	dev->num_regions = info.num_regions;
	dev->num_irqs = info.num_irqs;
	for (unsigned i = 0; i <= VFIO_PCI_CONFIG_REGION_INDEX; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		r = vfio_sys_ioctl(dev->fd, VFIO_DEVICE_GET_REGION_INFO, &ri);
		if (r < 0)
			return vfio_fail(err, errlen, r, "VFIO: %s: reading region %u's info: %s", dev->bdf, i,
				    strerror(-r));
		dev->regions[i] = (struct vfio_region){ ri.size, ri.offset, ri.flags };
	}
	if (!dev->regions[VFIO_PCI_CONFIG_REGION_INDEX].size)
		return vfio_fail(err, errlen, -ENODEV, "VFIO: %s has no config space region", dev->bdf);
	for (unsigned i = VFIO_PCI_INTX_IRQ_INDEX; i <= VFIO_PCI_MSIX_IRQ_INDEX && i < info.num_irqs; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		r = vfio_sys_ioctl(dev->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
		if (r < 0)
			return vfio_fail(err, errlen, r, "VFIO: %s: reading IRQ %u's info: %s", dev->bdf, i,
				    strerror(-r));
		if (i == VFIO_PCI_INTX_IRQ_INDEX)
			dev->intx_count = ii.count;
		else if (i == VFIO_PCI_MSI_IRQ_INDEX)
			dev->msi_count = ii.count;
		else
			dev->msix_count = ii.count;
	}
	dev->can_reset = info.flags & VFIO_DEVICE_FLAGS_RESET;
	if (dev->can_reset) {
		r = vfio_sys_ioctl(dev->fd, VFIO_DEVICE_RESET, NULL);
		if (r < 0)
			log_warn("vfio: %s: reset before start failed (%s); going on with the device as it is",
				 dev->bdf, strerror(-r));
	} else {
		log_info("vfio: %s has no reset method; the guest gets it as the host left it", dev->bdf);
	}
	return 0;
}

int vfio_device_open(struct vfio_iommu *io, const char *bdf, struct vfio_device **ret, char *err,
		     size_t errlen)
{
	struct vfio_device *dev;
	char node[64], path[PATH_MAX];
	struct vfio_paths paths = { io->sysfs, io->dev };
	int r = vfio_find_cdev(&paths, bdf, node, sizeof(node), err, errlen);

	if (r < 0)
		return r;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return vfio_fail(err, errlen, -ENOMEM, "vfio: out of memory");
	dev->io = io;
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	snprintf(path, sizeof(path), "%s/vfio/devices/%s", io->dev, node);
	dev->fd = vfio_sys_open(path);
	if (dev->fd < 0) {
		r = dev->fd;
		free(dev);
		if (r == -EBUSY)
			return busy(err, errlen, bdf, "opening its VFIO cdev gave EBUSY");
		if (r == -ENOENT)
			return vfio_fail(err, errlen, r, "%s does not exist although sysfs lists %s for %s: is devtmpfs "
				    "mounted on /dev?", path, node, bdf);
		if (r == -EACCES || r == -EPERM)
			return vfio_fail(err, errlen, r, "%s: permission denied (run skiff as root or give it access "
				    "to %s)", path, path);
		return vfio_fail(err, errlen, r, "%s: %s", path, strerror(-r));
	}

	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetof(struct vfio_device_bind_iommufd, token_uuid_ptr), .iommufd = io->fd,
	};
	r = vfio_sys_ioctl(dev->fd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	/*
	 * EBUSY: a legacy VFIO group user (QEMU's container path) has the
	 * device; EINVAL: another cdev user has it bound already (the kernel
	 * allows one open of a device through cdevs).
	 */
	if (r == -EBUSY || r == -EINVAL) {
		r = busy(err, errlen, bdf, r == -EBUSY ? "VFIO_DEVICE_BIND_IOMMUFD gave EBUSY: its VFIO group is open" :
			 "VFIO_DEVICE_BIND_IOMMUFD gave EINVAL: it is bound to another iommufd");
		goto fail;
	}
	if (r < 0) {
		(void)vfio_fail(err, errlen, r, "VFIO: binding %s to iommufd: %s", bdf, strerror(-r));
		goto fail;
	}
	dev->dev_id = bind.out_devid;

	struct vfio_device_attach_iommufd_pt at = {
		.argsz = offsetof(struct vfio_device_attach_iommufd_pt, pasid), .pt_id = io->ioas_id,
	};
	r = vfio_sys_ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
	if (r == -EBUSY) {
		r = busy(err, errlen, bdf, "VFIO_DEVICE_ATTACH_IOMMUFD_PT gave EBUSY");
		goto fail;
	}
	if (r == -EADDRINUSE) {
		(void)vfio_fail(err, errlen, r, "PCI device %s: its IOMMU reserves addresses inside guest RAM "
			   "(attach gave EADDRINUSE); give the VM less memory", bdf);
		goto fail;
	}
	if (r < 0) {
		(void)vfio_fail(err, errlen, r, "VFIO: attaching %s to the VM's I/O address space: %s", bdf,
			   strerror(-r));
		goto fail;
	}
	r = check_iova_ranges(dev, err, errlen);
	if (!r)
		r = read_info(dev, err, errlen);
	if (r < 0)
		goto fail;
	*ret = dev;
	return 0;
fail:
	vfio_sys_close(dev->fd); /* unbinds and detaches */
	free(dev);
	return r;
}

void vfio_device_close(struct vfio_device *dev)
{
	if (!dev)
		return;
	vfio_sys_close(dev->fd);
	free(dev);
}

int vfio_iommu_fd(const struct vfio_iommu *io)
{
	return io->fd;
}

uint32_t vfio_iommu_ioas_id(const struct vfio_iommu *io)
{
	return io->ioas_id;
}

uint32_t vfio_device_dev_id(const struct vfio_device *dev)
{
	return dev->dev_id;
}

int vfio_device_attach_pt(struct vfio_device *dev, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = offsetof(struct vfio_device_attach_iommufd_pt, pasid), .pt_id = pt_id,
	};

	return vfio_sys_ioctl(dev->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
}

int vfio_device_detach_pt(struct vfio_device *dev)
{
	struct vfio_device_detach_iommufd_pt dt = { .argsz = offsetof(struct vfio_device_detach_iommufd_pt, pasid) };

	return vfio_sys_ioctl(dev->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt);
}
