// SPDX-License-Identifier: Apache-2.0
/* What the nested backends share (nested-priv.h): the batched invalidation call and destroying. */
#include <errno.h>
#include <linux/iommufd.h>
#include <string.h>

#include "nested-priv.h"

int nested_invalidate(const struct iommu_sys *sys, int fd, uint32_t hwpt_id, uint32_t data_type,
		      const void *entries, uint32_t entry_len, uint32_t n, uint32_t *done)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = hwpt_id, .data_uptr = (uintptr_t)entries, .data_type = data_type,
		.entry_len = entry_len, .entry_num = n,
	};
	int r = sys->ioctl(sys->ctx, fd, IOMMU_HWPT_INVALIDATE, &inv);

	if (r >= 0) {
		*done = n;
		return 0;
	}
	/* entry_num is written back on failure too; a kernel that left it alone names no entry: the first. */
	*done = inv.entry_num < n ? inv.entry_num : 0;
	return r;
}

void nested_destroy(const struct iommu_sys *sys, int fd, uint32_t *id, const char *who, const char *what)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = *id };
	int r;

	if (!*id)
		return;
	r = sys->ioctl(sys->ctx, fd, IOMMU_DESTROY, &d);
	if (r < 0)
		log_warn("%s: destroying %s %u: %s (it goes when the iommufd is closed)", who, what, *id, strerror(-r));
	*id = 0;
}
