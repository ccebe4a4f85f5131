// SPDX-License-Identifier: Apache-2.0
#include <errno.h>

#include "boot.h"
#include "layout.h"

static int memmap_add(struct boot_memmap *map, uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (map->nr == ARRAY_SIZE(map->entries))
		return -ENOSPC;
	map->entries[map->nr++] = (struct boot_e820_entry){ addr, size, type };
	return 0;
}

int boot_build_memmap(const struct gmem *gm, struct boot_memmap *ret)
{
	struct boot_memmap map = { 0 };
	int r = 0;

	if (gm->nr_regions == 0 || gm->regions[0].gpa != 0 || gm->regions[0].size <= X86_HIGH_MEM_START)
		return -EINVAL;
	r |= memmap_add(&map, 0, X86_EBDA_START, E820_RAM);
	r |= memmap_add(&map, X86_EBDA_START, X86_HIGH_MEM_START - X86_EBDA_START, E820_RESERVED);
	r |= memmap_add(&map, X86_HIGH_MEM_START, gm->regions[0].size - X86_HIGH_MEM_START, E820_RAM);
	for (unsigned i = 1; i < gm->nr_regions; i++)
		r |= memmap_add(&map, gm->regions[i].gpa, gm->regions[i].size, E820_RAM);
	if (r)
		return -ENOSPC;
	*ret = map;
	return 0;
}
