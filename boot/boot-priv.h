/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SKIFF_BOOT_PRIV_H
#define SKIFF_BOOT_PRIV_H

#include <stdio.h>

#include "boot.h"

#define boot_fail(err, errlen, ...) (snprintf((err), (errlen), __VA_ARGS__), -EINVAL)

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Offsets in the bzImage setup header / boot_params (Documentation/arch/x86/boot.rst). */
#define BP_ACPI_RSDP_ADDR   0x070
#define BP_E820_ENTRIES     0x1e8
#define BP_SETUP_SECTS      0x1f1
#define BP_SYSSIZE          0x1f4
#define BP_BOOT_FLAG        0x1fe
#define BP_JUMP             0x200
#define BP_HEADER_MAGIC     0x202
#define BP_VERSION          0x206
#define BP_TYPE_OF_LOADER   0x210
#define BP_LOADFLAGS        0x211
#define BP_RAMDISK_IMAGE    0x218
#define BP_RAMDISK_SIZE     0x21c
#define BP_HEAP_END_PTR     0x224
#define BP_CMD_LINE_PTR     0x228
#define BP_INITRD_ADDR_MAX  0x22c
#define BP_XLOADFLAGS       0x236
#define BP_CMDLINE_SIZE     0x238
#define BP_INIT_SIZE        0x260
#define BP_E820_TABLE       0x2d0
#define BP_SIZE             0x1000

#define XLF_KERNEL_64       (1u << 0)
#define LOADFLAG_LOADED_HIGH (1u << 0)
#define LOADFLAG_CAN_USE_HEAP (1u << 7)

#endif
