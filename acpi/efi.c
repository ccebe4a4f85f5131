// SPDX-License-Identifier: Apache-2.0
/*
 * The EFI handoff for an arm64 guest booted without firmware. Linux on
 * arm64 finds ACPI only through an EFI system table's configuration table;
 * the EFI stub normally passes the table and the memory map in the device
 * tree's /chosen (linux,uefi-*), and the kernel then builds its memory
 * from that map instead of /memory. skiff plays the stub: this file lays
 * out, in a buffer that the VM copies to guest memory,
 *
 *   +0x000 system table (UEFI 2.70 header, CRC32 over it)
 *   +0x100 firmware vendor, UCS-2 "skiff"
 *   +0x200 configuration tables: ACPI 2.0 -> RSDP, RT properties, memreserve
 *   +0x300 EFI_RT_PROPERTIES_TABLE: no runtime service supported
 *   +0x380 LINUX_EFI_MEMRESERVE table: empty (the stub always installs
 *          one; without it the GICv3 ITS driver cannot record its LPI
 *          tables for kexec and warns, once per CPU)
 *   +0x400 memory map: RAM below, inside and above the reserved range
 *
 * No boot services (the guest never runs before ExitBootServices) and no
 * runtime services: with RuntimeServicesSupported 0 Linux never calls
 * into the NULL runtime table, and powers off and reboots through PSCI.
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"

#define EFI_SYSTAB_SIGNATURE 0x5453595320494249ull /* "IBI SYST" */
#define EFI_REVISION_2_70    ((2u << 16) | 70u)
#define SYSTAB_LEN           120
#define OFF_VENDOR           0x100
#define OFF_CONFIG           0x200
#define OFF_RT_PROP          0x300
#define OFF_MEMRESERVE       0x380
#define NR_CONFIG_TABLES     3
#define OFF_MMAP             0x400
#define MMAP_MAX             3
#define EFI_PAGE             4096ull

struct efi_guid_bytes {
	uint8_t b[16];
};

/* GUIDs in their in-memory form: the first three fields little-endian. */
static const struct efi_guid_bytes acpi20_guid = { {
	0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
	0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } }; /* 8868e871-e4f1-11d3-bc22-0080c73c8881 */
static const struct efi_guid_bytes rt_prop_guid = { {
	0x8a, 0x91, 0x66, 0xeb, 0xef, 0x7e, 0x2a, 0x40,
	0x84, 0x2e, 0x93, 0x1d, 0x21, 0xc3, 0x8a, 0xe9 } }; /* eb66918a-7eef-402a-842e-931d21c38ae9 */
static const struct efi_guid_bytes memreserve_guid = { {
	0xc6, 0xb0, 0x8e, 0x88, 0xde, 0x8e, 0xf5, 0x4f,
	0xa8, 0xf0, 0x9a, 0xee, 0x5c, 0xb9, 0x77, 0xc2 } }; /* 888eb0c6-8ede-4ff5-a8f0-9aee5cb977c2 */

uint32_t acpi_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (unsigned k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_desc(uint8_t *d, uint32_t type, uint64_t base, uint64_t size)
{
	memset(d, 0, ACPI_EFI_DESC_SIZE);
	put32(d, type);
	put64(d + 8, base);        /* physical start */
	put64(d + 16, 0);          /* virtual start: never mapped for runtime */
	put64(d + 24, size / EFI_PAGE);
	put64(d + 32, ACPI_EFI_MEMORY_WB);
}

static int check_efi(const struct acpi_efi_params *p, uint64_t base_gpa, size_t len)
{
	if (p->ram_base % EFI_PAGE || p->ram_size % EFI_PAGE || !p->ram_size ||
	    p->reserved_base % EFI_PAGE || p->reserved_size % EFI_PAGE || !p->reserved_size)
		return -EINVAL;
	if (p->ram_base > UINT64_MAX - p->ram_size || p->reserved_base < p->ram_base ||
	    p->reserved_size > p->ram_size || p->reserved_base - p->ram_base > p->ram_size - p->reserved_size)
		return -EINVAL;
	if (base_gpa % EFI_PAGE || base_gpa < p->reserved_base ||
	    base_gpa - p->reserved_base > p->reserved_size - EFI_PAGE)
		return -EINVAL;
	if (len < EFI_PAGE)
		return -ENOSPC;
	return 0;
}

/* The memory map: conventional RAM around the ACPI-reclaim range; returns the entries. */
static unsigned write_mmap(uint8_t *m, const struct acpi_efi_params *p)
{
	uint64_t ram_end = p->ram_base + p->ram_size, res_end = p->reserved_base + p->reserved_size;
	unsigned n = 0;

	if (p->reserved_base > p->ram_base)
		put_desc(m + ACPI_EFI_DESC_SIZE * n++, ACPI_EFI_CONVENTIONAL_MEMORY, p->ram_base,
			 p->reserved_base - p->ram_base);
	put_desc(m + ACPI_EFI_DESC_SIZE * n++, ACPI_EFI_ACPI_RECLAIM_MEMORY, p->reserved_base,
		 p->reserved_size);
	if (ram_end > res_end)
		put_desc(m + ACPI_EFI_DESC_SIZE * n++, ACPI_EFI_CONVENTIONAL_MEMORY, res_end, ram_end - res_end);
	return n;
}

int acpi_build_efi(const struct acpi_efi_params *p, uint64_t base_gpa, uint8_t *buf, size_t len,
		   struct acpi_efi_layout *ret)
{
	static const char vendor[] = "skiff";
	uint8_t *st = buf;
	int err;

	_Static_assert(OFF_CONFIG + 24 * NR_CONFIG_TABLES <= OFF_RT_PROP && OFF_RT_PROP + 8 <= OFF_MEMRESERVE &&
		       OFF_MEMRESERVE + 16 <= OFF_MMAP, "EFI page layout");
	_Static_assert(OFF_MMAP + MMAP_MAX * ACPI_EFI_DESC_SIZE <= EFI_PAGE, "EFI area is one page");
	if (!p || !buf || !ret)
		return -EINVAL;
	err = check_efi(p, base_gpa, len);
	if (err)
		return err;
	memset(buf, 0, EFI_PAGE);
	for (unsigned i = 0; i < sizeof(vendor); i++)
		buf[OFF_VENDOR + 2 * i] = (uint8_t)vendor[i]; /* UCS-2, NUL included */

	memcpy(buf + OFF_CONFIG, &acpi20_guid, 16);
	put64(buf + OFF_CONFIG + 16, p->rsdp_gpa);
	memcpy(buf + OFF_CONFIG + 24, &rt_prop_guid, 16);
	put64(buf + OFF_CONFIG + 40, base_gpa + OFF_RT_PROP);
	memcpy(buf + OFF_CONFIG + 48, &memreserve_guid, 16);
	put64(buf + OFF_CONFIG + 64, base_gpa + OFF_MEMRESERVE);
	/* The memreserve table (size, count, next, no entries) stays all zero. */
	/* EFI_RT_PROPERTIES_TABLE: version 1, length 8, RuntimeServicesSupported 0. */
	buf[OFF_RT_PROP] = 1;
	buf[OFF_RT_PROP + 2] = 8;

	put64(st, EFI_SYSTAB_SIGNATURE);
	put32(st + 8, EFI_REVISION_2_70);
	put32(st + 12, SYSTAB_LEN);
	put64(st + 24, base_gpa + OFF_VENDOR);
	put32(st + 32, 1);                     /* firmware revision */
	/* console handles/protocols (40..87), runtime (88), boot services (96): none */
	put64(st + 104, NR_CONFIG_TABLES);     /* NumberOfTableEntries */
	put64(st + 112, base_gpa + OFF_CONFIG);
	put32(st + 16, acpi_crc32(st, SYSTAB_LEN)); /* computed with the CRC field 0 */

	unsigned n = write_mmap(buf + OFF_MMAP, p);
	memset(ret, 0, sizeof(*ret));
	ret->systab_gpa = base_gpa;
	ret->mmap_gpa = base_gpa + OFF_MMAP;
	ret->mmap_size = n * ACPI_EFI_DESC_SIZE;
	ret->desc_size = ACPI_EFI_DESC_SIZE;
	ret->desc_version = ACPI_EFI_DESC_VERSION;
	ret->used = EFI_PAGE;
	return 0;
}
