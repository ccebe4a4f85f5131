/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by fuzz-bzimage and fuzz-pvh: the two guests every input is
 * loaded into (64 MiB of flat RAM and 48 MiB split by a hole at 16 MiB),
 * and the load loop with the failure half of the API contract: a failed
 * load returns -EINVAL, gives one non-empty sentence and leaves the entry
 * untouched.
 */
#ifndef SKIFF_FUZZ_BOOT_H
#define SKIFF_FUZZ_BOOT_H

#include "boot.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MiB (1ULL << 20)

static inline void check(int cond)
{
	if (!cond)
		abort();
}

/* A loader's message: one non-empty line that fits. */
static inline void check_err(const char *err)
{
	size_t len = strnlen(err, BOOT_ERR_MAX);

	check(len > 0 && len < BOOT_ERR_MAX);
	check(!strchr(err, '\n'));
}

/*
 * boot_load_linux() of the kernel with initrd and cmdline into each guest.
 * A failure is checked here; after a success, loaded(gm, &entry, arg)
 * checks what was loaded.
 */
static inline void fuzz_load_guests(const uint8_t *kernel, size_t kernel_len, const uint8_t *initrd,
				    size_t initrd_len, const char *cmdline,
				    void (*loaded)(const struct gmem *gm, const struct boot_entry *entry, void *arg),
				    void *arg)
{
	const struct boot_images im = {
		.kernel = kernel, .kernel_len = kernel_len,
		.initrd = initrd, .initrd_len = initrd_len,
		.cmdline = cmdline,
		.rsdp_gpa = 0xe0000,
	};
	static struct gmem guests[2];
	static int nr_guests;

	if (!nr_guests) {
		if (gmem_create(&guests[0], 64 * MiB, 0xc0000000ULL) ||
		    gmem_create(&guests[1], 48 * MiB, 16 * MiB))
			abort();
		nr_guests = 2;
	}
	for (int g = 0; g < nr_guests; g++) {
		const struct gmem *gm = &guests[g];
		struct boot_entry entry, before;
		char err[BOOT_ERR_MAX];
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
		loaded(gm, &entry, arg);
	}
}

#endif
