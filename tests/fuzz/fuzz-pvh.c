/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for pvh_parse() and boot_load_linux() with ELF input. The
 * input is the kernel image; it is loaded, with a small initrd and a
 * command line, into two guests: 64 MiB of flat RAM and 48 MiB split by a
 * hole at 16 MiB. Besides crashes it checks the API contract: parse and
 * load agree, failures give one non-empty sentence and leave the entry
 * untouched, parsed segments lie inside the input, and a successful load
 * leaves a valid hvm_start_info.
 */
#include "boot.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MiB (1ULL << 20)

static void check(int cond)
{
	if (!cond)
		abort();
}

static struct gmem guests[2];
static int nr_guests;

static void setup(void)
{
	if (nr_guests)
		return;
	if (gmem_create(&guests[0], 64 * MiB, 0xc0000000ULL) ||
	    gmem_create(&guests[1], 48 * MiB, 16 * MiB))
		abort();
	nr_guests = 2;
}

static void check_err(const char *err)
{
	size_t len = strnlen(err, BOOT_ERR_MAX);

	check(len > 0 && len < BOOT_ERR_MAX);
	check(!strchr(err, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[3000] = { 9, 8, 7 };
	struct pvh_info info;
	char err[BOOT_ERR_MAX];
	int parsed;

	setup();
	err[0] = '\0';
	parsed = pvh_parse(data, size, &info, err, sizeof(err)) == 0;
	if (parsed) {
		check(info.nr_segments >= 1 && info.nr_segments <= PVH_MAX_SEGMENTS);
		for (unsigned i = 0; i < info.nr_segments; i++) {
			const struct pvh_segment *s = &info.segments[i];

			check(s->file_offset <= size && s->filesz <= size - s->file_offset);
			check(s->filesz <= s->memsz && s->memsz > 0);
		}
	} else {
		check_err(err);
	}

	for (int g = 0; g < nr_guests; g++) {
		const struct gmem *gm = &guests[g];
		struct boot_images im = {
			.kernel = data, .kernel_len = size,
			.initrd = initrd, .initrd_len = sizeof(initrd),
			.cmdline = "console=ttyS0",
			.rsdp_gpa = 0xe0000,
		};
		struct boot_entry entry, before;
		uint32_t si[14];
		int r;

		memset(&entry, 0x5a, sizeof(entry));
		before = entry;
		err[0] = '\0';
		r = boot_load_linux(gm, &im, &entry, err, sizeof(err));
		if (r) {
			check(r == -EINVAL);
			check_err(err);
			check(!memcmp(&entry, &before, sizeof(entry)));
			continue;
		}
		check(parsed);
		check(entry.mode == BOOT_ENTRY_PVH32 && entry.rip == info.entry && entry.param_gpa == 0x6000);
		for (unsigned i = 0; i < info.nr_segments; i++) {
			const struct pvh_segment *s = &info.segments[i];

			check(s->paddr >= MiB && s->paddr + s->memsz <= gm->regions[0].size);
		}
		check(gmem_read(gm, 0x6000, si, sizeof(si)) == 0);
		check(si[0] == 0x336ec578 && si[1] == 1 && si[3] == 1);
		check(si[12] == gm->nr_regions + 2);
	}
	return 0;
}
