/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for bzimage_parse() and boot_load_linux() with bzImage
 * input. The input is the kernel image; it is loaded, with a small initrd
 * and a command line, into two guests: 64 MiB of flat RAM and 48 MiB
 * split by a hole at 16 MiB. Besides crashes it checks the API contract:
 * parse and load agree, failures give one non-empty sentence and leave
 * the entry untouched, successes give a parsed header that fits the input
 * and a zero page that describes what was loaded.
 */
#include "fuzz-boot.h"

static const uint8_t initrd[5000] = { 1, 2, 3 };

struct loaded_ctx {
	const uint8_t *data;
	const struct bzimage_info *info;
	int parsed;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check_loaded(const struct gmem *gm, const struct boot_entry *entry, void *arg)
{
	const struct loaded_ctx *l = arg;
	const struct bzimage_info *info = l->info;

	check(l->parsed);
	check(entry->mode == BOOT_ENTRY_LINUX64 && entry->rip == 0x100200 && entry->param_gpa == 0x7000);
	const uint8_t *zp = gmem_slice(gm, 0x7000, 0x1000);
	check(zp != NULL);
	check(zp[0x210] == 0xff);
	check(le32(zp + 0x228) == 0x20000);
	uint32_t rd = le32(zp + 0x218), rd_size = le32(zp + 0x21c);
	uint64_t top = (uint64_t)info->initrd_addr_max + 1;
	check(rd_size == sizeof(initrd));
	check((rd & 0xfff) == 0 && rd >= 0x100000 + (uint64_t)info->init_size);
	check(rd + rd_size <= top && rd + rd_size <= gm->regions[0].size);
	check(!memcmp(gmem_slice(gm, rd, rd_size), initrd, rd_size));
	check(!memcmp(gmem_slice(gm, 0x100000, info->payload_size), l->data + info->setup_size,
		      info->payload_size));
	check(zp[0x1e8] == gm->nr_regions + 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage_info info;
	char err[BOOT_ERR_MAX];
	int parsed;

	err[0] = '\0';
	parsed = bzimage_parse(data, size, &info, err, sizeof(err)) == 0;
	if (parsed) {
		check(info.protocol >= 0x020c);
		check(info.setup_size >= info.header_end && info.setup_size < size);
		check((uint64_t)info.setup_size + info.payload_size == size);
		check(info.init_size >= info.payload_size);
	} else {
		check_err(err);
	}

	struct loaded_ctx l = { .data = data, .info = &info, .parsed = parsed };

	fuzz_load_guests(data, size, initrd, sizeof(initrd), "console=ttyS0 reboot=k panic=1", check_loaded,
			 &l);
	return 0;
}
