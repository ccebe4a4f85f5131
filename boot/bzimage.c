// SPDX-License-Identifier: Apache-2.0
/* bzImage setup-header parsing (Documentation/arch/x86/boot.rst). */
#include <errno.h>
#include <string.h>

#include "boot-priv.h"

enum kernel_format kernel_detect_format(const uint8_t *img, size_t len)
{
	if (len >= 4 && memcmp(img, "\177ELF", 4) == 0)
		return KERNEL_ELF;
	if (len >= BP_HEADER_MAGIC + 4 && get_le16(img + BP_BOOT_FLAG) == 0xaa55 &&
	    memcmp(img + BP_HEADER_MAGIC, "HdrS", 4) == 0)
		return KERNEL_BZIMAGE;
	return KERNEL_UNKNOWN;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *ret, char *err, size_t errlen)
{
	struct bzimage_info info = { 0 };
	unsigned setup_sects;
	uint64_t syssize;

	if (kernel_detect_format(img, len) != KERNEL_BZIMAGE)
		return boot_fail(err, errlen, "not a bzImage (no boot flag or HdrS magic)");
	info.header_end = BP_JUMP + 2u + img[BP_JUMP + 1];
	if (info.header_end > len || info.header_end < BP_INIT_SIZE + 4)
		return boot_fail(err, errlen, "bzImage setup header is truncated or too old");
	info.protocol = get_le16(img + BP_VERSION);
	/* 2.12 brought xloadflags, which says whether the 64-bit entry exists. */
	if (info.protocol < 0x020c)
		return boot_fail(err, errlen, "bzImage boot protocol %u.%02u is too old (need 2.12)",
				 info.protocol >> 8, info.protocol & 0xff);
	if (!(get_le16(img + BP_XLOADFLAGS) & XLF_KERNEL_64))
		return boot_fail(err, errlen, "bzImage has no 64-bit entry point");
	if (!(img[BP_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return boot_fail(err, errlen, "bzImage is not loadable at 1 MiB (zImage)");
	setup_sects = img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4;
	info.setup_size = (setup_sects + 1) * 512;
	if (info.setup_size < info.header_end || info.setup_size >= len)
		return boot_fail(err, errlen, "bzImage is truncated: %zu bytes, setup alone is %u", len,
				 info.setup_size);
	if (len - info.setup_size > UINT32_MAX)
		return boot_fail(err, errlen, "bzImage is too large");
	info.payload_size = (uint32_t)(len - info.setup_size);
	/* syssize: the protected-mode kernel in 16-byte paragraphs (32 bits since 2.04). */
	syssize = (uint64_t)get_le32(img + BP_SYSSIZE) * 16;
	if (syssize > info.payload_size)
		return boot_fail(err, errlen, "bzImage is truncated: %zu bytes, its header says %llu", len,
				 (unsigned long long)(info.setup_size + syssize));
	info.init_size = get_le32(img + BP_INIT_SIZE);
	if (info.init_size < info.payload_size)
		return boot_fail(err, errlen, "bzImage init_size %u is smaller than its payload %u",
				 info.init_size, info.payload_size);
	info.initrd_addr_max = get_le32(img + BP_INITRD_ADDR_MAX);
	info.cmdline_size = get_le32(img + BP_CMDLINE_SIZE);
	*ret = info;
	return 0;
}
