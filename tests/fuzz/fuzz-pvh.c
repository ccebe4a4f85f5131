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
#include "fuzz-boot.h"

static const uint8_t initrd[3000] = { 9, 8, 7 };

struct loaded_ctx {
	const struct pvh_info *info;
	int parsed;
};

static void check_loaded(const struct gmem *gm, const struct boot_entry *entry, void *arg)
{
	const struct loaded_ctx *l = arg;
	const struct pvh_info *info = l->info;
	uint32_t si[14];

	check(l->parsed);
	check(entry->mode == BOOT_ENTRY_PVH32 && entry->rip == info->entry && entry->param_gpa == 0x6000);
	for (unsigned i = 0; i < info->nr_segments; i++) {
		const struct pvh_segment *s = &info->segments[i];

		check(s->paddr >= MiB && s->paddr + s->memsz <= gm->regions[0].size);
	}
	check(gmem_read(gm, 0x6000, si, sizeof(si)) == 0);
	check(si[0] == 0x336ec578 && si[1] == 1 && si[3] == 1);
	check(si[12] == gm->nr_regions + 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pvh_info info;
	char err[BOOT_ERR_MAX];
	int parsed;

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

	struct loaded_ctx l = { .info = &info, .parsed = parsed };

	fuzz_load_guests(data, size, initrd, sizeof(initrd), "console=ttyS0", check_loaded, &l);
	return 0;
}
