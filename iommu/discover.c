// SPDX-License-Identifier: Apache-2.0
/*
 * Host discovery: which physical IOMMU instance a PCI function sits behind
 * (its sysfs "iommu" link names a /sys/class/iommu entry), and what the
 * driver behind it reports through IOMMU_GET_HW_INFO (type, capabilities,
 * PASID width, raw capability registers). Also the struct-size
 * negotiation every sized iommufd call goes through.
 */
#include <errno.h>
#include <limits.h>
#include <linux/iommufd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommu-priv.h"

int iommu_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -EIO;
}

const char *iommu_hw_type_name(uint32_t t)
{
	switch (t) {
	case IOMMU_HW_INFO_TYPE_NONE: return "none";
	case IOMMU_HW_INFO_TYPE_INTEL_VTD: return "intel-vtd";
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: return "arm-smmuv3";
	case IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: return "tegra241-cmdqv";
	case IOMMU_HW_INFO_TYPE_AMD: return "amd";
	case IOMMU_HWTYPE_SELFTEST: return "selftest";
	default: return "unknown";
	}
}

uint32_t iommu_viommu_type(uint32_t t)
{
	switch (t) {
	case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: return IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	case IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: return IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV;
	case IOMMU_HWTYPE_SELFTEST: return IOMMU_VIOMMU_TYPE_SELFTEST_ID;
	default: return 0;
	}
}

bool iommu_type_nests(uint32_t t)
{
	return t == IOMMU_HW_INFO_TYPE_INTEL_VTD || iommu_viommu_type(t) != 0;
}

/* ---- sysfs ---------------------------------------------------------------- */

bool iommu_sysfs_has_instance(const struct iommu_plan *p, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/class/iommu/%s", p->sysfs, name);
	return stat(path, &st) == 0;
}

int iommu_sysfs_msi_window(const char *sysfs, const char *bdf, uint64_t *base, uint64_t *size)
{
	char path[PATH_MAX], line[128], type[32];
	unsigned long long start, end;
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group/reserved_regions", sysfs ? sysfs : "/sys",
		 bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* "0x0000000008000000 0x00000000080fffff msi" per line; "msi" is the software-managed window */
	while (r && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %llx %31s", &start, &end, type) == 3 && !strcmp(type, "msi") && end > start) {
			*base = start;
			*size = end - start + 1;
			r = 0;
		}
	fclose(f);
	return r;
}

int iommu_sysfs_instance(const struct iommu_plan *p, const char *bdf, char *name, size_t len, char *err,
			 size_t errlen)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", p->sysfs, bdf);
	if (stat(path, &st) < 0)
		return iommu_fail(err, errlen, -ENODEV, "PCI device %s does not exist on this host (`lspci -D` lists "
				  "the PCI addresses there are)", bdf);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu", p->sysfs, bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return iommu_fail(err, errlen, -ENODEV, "PCI device %s is not behind an IOMMU (it has no sysfs iommu "
				  "link): turn the host IOMMU on (intel_iommu=on, or the firmware's VT-d/AMD-Vi/SMMU "
				  "setting)", bdf);
	link[n] = '\0';
	const char *base = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (!*base || strlen(base) >= len)
		return iommu_fail(err, errlen, -EINVAL, "PCI device %s: its iommu link \"%s\" names no IOMMU instance",
				  bdf, link);
	snprintf(name, len, "%s", base);
	if (!iommu_sysfs_has_instance(p, name))
		return iommu_fail(err, errlen, -ENODEV, "PCI device %s: its IOMMU %s is missing from %s/class/iommu",
				  bdf, name, p->sysfs);
	return 0;
}

/* ---- sized calls ------------------------------------------------------------ */

int iommu_sized_ioctl(struct iommu_plan *p, unsigned long req, void *arg, uint32_t *size, uint32_t older,
		      const char *what)
{
	int r;

	for (;;) {
		memcpy(arg, size, sizeof(*size));
		r = p->sys->ioctl(p->sys->ctx, p->fd, req, arg);
		if (r != -E2BIG || *size <= older)
			return r;
		log_info("iommu: this kernel's %s is older (E2BIG for %u bytes); using its %u-byte layout", what,
			 *size, older);
		memset((char *)arg + older, 0, *size - older);
		*size = older;
	}
}

/* ---- IOMMU_GET_HW_INFO ---------------------------------------------------------- */

static int hw_info(struct iommu_plan *p, struct iommu_dev *d, struct iommu_unit *u, char *err, size_t errlen)
{
	uint32_t data[8] = { 0 };
	struct iommu_hw_info q = {
		.dev_id = d->dev_id, .data_len = sizeof(data), .data_uptr = (uintptr_t)data,
	};
	int r = iommu_sized_ioctl(p, IOMMU_GET_HW_INFO, &q, &p->sz_hw_info, IOMMU_HW_INFO_SIZE_V1,
				  "IOMMU_GET_HW_INFO");

	if (r == -ENOTTY)
		return iommu_fail(err, errlen, r, "iommu: %s: this kernel has no IOMMU_GET_HW_INFO (iommufd older "
				  "than 6.6)", d->name);
	if (r < 0)
		return iommu_fail(err, errlen, r, "iommu: %s: IOMMU_GET_HW_INFO: %s", d->name, strerror(-r));
	if (u->hw_known && q.out_data_type != u->hw_type)
		return iommu_fail(err, errlen, -EINVAL, "iommu: %s reports IOMMU type %s but others behind %s "
				  "report %s", d->name, iommu_hw_type_name(q.out_data_type), u->instance,
				  iommu_hw_type_name(u->hw_type));
	if (!u->hw_known) {
		u->hw_known = true;
		u->hw_type = q.out_data_type;
		u->caps = p->sz_hw_info > IOMMU_HW_INFO_SIZE_V1 ? q.out_capabilities : 0;
		u->max_pasid_log2 = p->sz_hw_info > IOMMU_HW_INFO_SIZE_V1 ? q.out_max_pasid_log2 : 0;
		u->hw_data_len = q.data_len < sizeof(data) ? q.data_len : sizeof(data);
		memcpy(u->hw_data, data, sizeof(data));
	}
	return 0;
}

int iommu_read_hw_info(struct iommu_plan *p, char *err, size_t errlen)
{
	for (unsigned i = 0; i < p->nr_devs; i++) {
		struct iommu_dev *d = &p->devs[i];
		int r = hw_info(p, d, &p->units[d->unit], err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}
