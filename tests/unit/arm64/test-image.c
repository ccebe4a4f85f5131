// SPDX-License-Identifier: Apache-2.0
/* The arm64 Image header parser and where the boot images go (boot/image_arm64.c). */
#include <errno.h>
#include <string.h>

#include "boot.h"
#include "check.h"

#define MIB (1ULL << 20)

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void header(uint8_t *img, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(img, 0, ARM64_IMAGE_HEADER_SIZE);
	img[0] = 0x4d, img[1] = 0x5a;  /* "MZ": the EFI stub's, ignored */
	put64(img + 8, text_offset);
	put64(img + 16, image_size);
	put64(img + 24, flags);
	memcpy(img + 56, "ARM\x64", 4);
}

static void test_parse(void)
{
	static uint8_t img[4096];
	struct arm64_image_info info;
	char err[BOOT_ERR_MAX];

	header(img, 0, 0x21b0000, 0xa);
	CHECK(!arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)));
	CHECK_EQ(info.text_offset, 0);
	CHECK_EQ(info.image_size, 0x21b0000);
	CHECK_EQ(info.flags, 0xa);

	header(img, 0x80000, 0x1000000, 0x2);
	CHECK(!arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)));
	CHECK_EQ(info.text_offset, 0x80000);

	/* Before 3.17: image_size 0 means text_offset 0x80000 and the file's length. */
	header(img, 0, 0, 0);
	CHECK(!arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)));
	CHECK_EQ(info.text_offset, 0x80000);
	CHECK_EQ(info.image_size, sizeof(img));

	CHECK(arm64_image_parse(img, 63, &info, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "too short"));
	header(img, 0, 0x100000, 0);
	img[59] = 0x65;
	CHECK(arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "magic"));
	header(img, 0, 0x100000, 1);  /* big-endian kernel */
	CHECK(arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "big-endian"));
	header(img, 0x80800, 0x100000, 0);  /* not page aligned */
	CHECK(arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)) == -EINVAL);
	header(img, 0x200000, 0x100000, 0);  /* not below 2 MiB */
	CHECK(arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)) == -EINVAL);
	header(img, 0, 100, 0);  /* smaller than the file */
	CHECK(arm64_image_parse(img, sizeof(img), &info, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "image_size"));
}

static void test_plan(void)
{
	struct arm64_image_info info = { .text_offset = 0, .image_size = 0x21b0000 };
	struct arm64_boot_plan p;
	char err[BOOT_ERR_MAX];
	const uint64_t ram = 0x40000000, dtb_max = 2 * MIB;

	CHECK(!arm64_boot_plan(&info, ram, 256 * MIB, 1039861, dtb_max, &p, err, sizeof(err)));
	CHECK_EQ(p.kernel_gpa, ram);
	CHECK_EQ(p.kernel_end, ram + 0x21b0000);
	CHECK_EQ(p.dtb_gpa, ram + 254 * MIB);
	CHECK_EQ(p.initrd_gpa, (ram + 254 * MIB - 1039861) & ~0xfffULL);
	CHECK(p.initrd_gpa + 1039861 <= p.dtb_gpa);

	/* text_offset is from the 2 MiB aligned base; no initrd. */
	info.text_offset = 0x80000;
	CHECK(!arm64_boot_plan(&info, ram + 0x1000, 256 * MIB, 0, dtb_max, &p, err, sizeof(err)));
	CHECK_EQ(p.kernel_gpa, ram + 2 * MIB + 0x80000);
	CHECK_EQ(p.initrd_gpa, 0);

	/* Does not fit: the kernel, then the initrd between it and the DTB. */
	info.text_offset = 0;
	CHECK(arm64_boot_plan(&info, ram, 32 * MIB, 0, dtb_max, &p, err, sizeof(err)) == -ENOSPC);
	CHECK(strstr(err, "kernel"));
	CHECK(arm64_boot_plan(&info, ram, 64 * MIB, 30 * MIB, dtb_max, &p, err, sizeof(err)) == -ENOSPC);
	CHECK(strstr(err, "initrd"));
	CHECK(arm64_boot_plan(&info, ram, 64 * MIB, ~0ULL, dtb_max, &p, err, sizeof(err)) == -ENOSPC);
	CHECK(arm64_boot_plan(&info, ram, MIB, 0, dtb_max, &p, err, sizeof(err)) == -ENOSPC);
	info.image_size = ~0ULL - 5;
	CHECK(arm64_boot_plan(&info, ram, 256 * MIB, 0, dtb_max, &p, err, sizeof(err)) == -ENOSPC);
}

int main(void)
{
	test_parse();
	test_plan();
	return check_summary("arm64-image");
}
