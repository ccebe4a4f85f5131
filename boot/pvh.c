// SPDX-License-Identifier: Apache-2.0
/*
 * ELF vmlinux with a PVH entry: the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY
 * gives a 32-bit physical entry point. Every offset and size read from the
 * file is checked against the file before use.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "boot-priv.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* [off, off+size) inside a buffer of len bytes, without overflow. */
static int in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int pvh_scan_notes(const uint8_t *p, uint64_t size, uint32_t *entry)
{
	uint64_t pos = 0;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_sz, desc_sz;

		memcpy(&nh, p + pos, sizeof(nh));
		pos += sizeof(nh);
		name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
		desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
		if (name_sz > size - pos || desc_sz > size - pos - name_sz)
			return -EINVAL;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    memcmp(p + pos, "Xen", 4) == 0 && nh.n_descsz >= 4) {
			*entry = get_le32(p + pos + name_sz);
			return 1;
		}
		pos += name_sz + desc_sz;
	}
	return 0;
}

int pvh_parse(const uint8_t *img, size_t len, struct pvh_info *ret, char *err, size_t errlen)
{
	struct pvh_info info = { 0 };
	Elf64_Ehdr eh;
	int found = 0;

	if (len < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG) != 0)
		return boot_fail(err, errlen, "not an ELF file");
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return boot_fail(err, errlen, "ELF kernel is not a little-endian x86_64 ELF64 image");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    !in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		return boot_fail(err, errlen, "ELF program headers are missing or truncated");

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE) {
			int r;

			if (!in_file(ph.p_offset, ph.p_filesz, len))
				return boot_fail(err, errlen, "ELF note segment %u lies outside the file", i);
			r = pvh_scan_notes(img + ph.p_offset, ph.p_filesz, &info.entry);
			if (r < 0)
				return boot_fail(err, errlen, "ELF note segment %u is malformed", i);
			found |= r;
		} else if (ph.p_type == PT_LOAD && ph.p_memsz) {
			struct pvh_segment *s;

			if (!in_file(ph.p_offset, ph.p_filesz, len))
				return boot_fail(err, errlen, "ELF segment %u lies outside the file", i);
			if (ph.p_filesz > ph.p_memsz)
				return boot_fail(err, errlen, "ELF segment %u has filesz > memsz", i);
			if (info.nr_segments == PVH_MAX_SEGMENTS)
				return boot_fail(err, errlen, "ELF kernel has too many loadable segments");
			s = &info.segments[info.nr_segments++];
			*s = (struct pvh_segment){ ph.p_offset, ph.p_paddr, ph.p_filesz, ph.p_memsz };
		}
	}
	if (!found)
		return boot_fail(err, errlen,
				 "ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); "
				 "build it with CONFIG_PVH or boot its bzImage");
	if (info.nr_segments == 0)
		return boot_fail(err, errlen, "ELF kernel has no loadable segments");
	*ret = info;
	return 0;
}
