// SPDX-License-Identifier: Apache-2.0
/* The arm64 Linux Image header and where the boot images go in guest RAM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"

#define SZ_2M 0x200000ULL
#define PAGE 0x1000ULL
#define IMAGE_FLAG_BE 0x1ULL            /* bit 0: kernel endianness, 1 = big-endian */
#define LEGACY_TEXT_OFFSET 0x80000ULL

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int arm64_image_parse(const uint8_t *img, size_t len, struct arm64_image_info *ret, char *err, size_t errlen)
{
	struct arm64_image_info info;

	if (len < ARM64_IMAGE_HEADER_SIZE) {
		snprintf(err, errlen, "%zu bytes is too short for an arm64 Image (its header is 64 bytes)", len);
		return -EINVAL;
	}
	if (le32(img + 56) != ARM64_IMAGE_MAGIC) {
		snprintf(err, errlen, "not an arm64 Linux Image (no \"ARM\\x64\" magic at byte 56; "
			 "a compressed Image.gz must be gunzipped first)");
		return -EINVAL;
	}
	info.text_offset = le64(img + 8);
	info.image_size = le64(img + 16);
	info.flags = le64(img + 24);
	if (info.image_size == 0) {
		/* Before Linux 3.17: text_offset was 0x80000 whatever the field said, and the size unknown. */
		info.text_offset = LEGACY_TEXT_OFFSET;
		info.image_size = len;
	}
	if (info.flags & IMAGE_FLAG_BE) {
		snprintf(err, errlen, "the arm64 Image is a big-endian kernel; skiff runs little-endian guests");
		return -EINVAL;
	}
	if (info.text_offset >= SZ_2M || info.text_offset % PAGE) {
		snprintf(err, errlen, "the arm64 Image's text_offset %#llx is not page aligned below 2 MiB",
			 (unsigned long long)info.text_offset);
		return -EINVAL;
	}
	if (info.image_size < len) {
		snprintf(err, errlen, "the arm64 Image's header says image_size %#llx, smaller than the file (%zu bytes)",
			 (unsigned long long)info.image_size, len);
		return -EINVAL;
	}
	*ret = info;
	return 0;
}

int arm64_boot_plan(const struct arm64_image_info *info, uint64_t ram_base, uint64_t ram_size,
		    uint64_t initrd_len, uint64_t dtb_max, struct arm64_boot_plan *ret, char *err, size_t errlen)
{
	struct arm64_boot_plan p = { 0 };
	uint64_t base = (ram_base + SZ_2M - 1) & ~(SZ_2M - 1);

	if (base < ram_base || ram_size < dtb_max || base - ram_base > ram_size - dtb_max) {
		snprintf(err, errlen, "guest RAM is too small for the kernel and device tree");
		return -ENOSPC;
	}
	p.dtb_gpa = ram_base + ram_size - dtb_max;
	p.kernel_gpa = base + info->text_offset;
	if (info->image_size > p.dtb_gpa || p.kernel_gpa > p.dtb_gpa - info->image_size) {
		snprintf(err, errlen, "the kernel needs %llu MiB from %#llx, more than guest RAM holds below the device tree",
			 (unsigned long long)(info->image_size >> 20), (unsigned long long)p.kernel_gpa);
		return -ENOSPC;
	}
	p.kernel_end = p.kernel_gpa + info->image_size;
	if (initrd_len) {
		if (initrd_len > p.dtb_gpa - p.kernel_end ||
		    ((p.dtb_gpa - initrd_len) & ~(PAGE - 1)) < p.kernel_end) {
			snprintf(err, errlen, "the initrd (%llu bytes) does not fit in guest RAM between the kernel and the device tree",
				 (unsigned long long)initrd_len);
			return -ENOSPC;
		}
		p.initrd_gpa = (p.dtb_gpa - initrd_len) & ~(PAGE - 1);
	}
	*ret = p;
	return 0;
}
