/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic kernel images for the boot tests and the fuzz seed corpora:
 * a minimal bzImage (setup header only, a patterned payload) and a minimal
 * ELF64 vmlinux with a PVH note. Both are small enough to be fuzz seeds.
 */
#ifndef SKIFF_TEST_SYNTH_H
#define SKIFF_TEST_SYNTH_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

static inline void synth_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void synth_put32(uint8_t *p, uint32_t v)
{
	synth_put16(p, (uint16_t)v);
	synth_put16(p + 2, (uint16_t)(v >> 16));
}

static inline uint8_t synth_pattern(size_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8));
}

/* ---- bzImage ---- */
struct synth_bz {
	uint16_t protocol;
	uint8_t setup_sects;      /* 0 means 4, as in the protocol */
	uint8_t header_len;       /* byte at 0x201: header ends at 0x202 + this */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t payload_size;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
};

#define SYNTH_BZ_HEADER_END 0x268u

static inline struct synth_bz synth_bz_default(void)
{
	return (struct synth_bz){
		.protocol = 0x020f,
		.setup_sects = 1,
		.header_len = SYNTH_BZ_HEADER_END - 0x202,
		.loadflags = 0x01,           /* LOADED_HIGH */
		.xloadflags = 0x01,          /* XLF_KERNEL_64 */
		.payload_size = 4096,
		.init_size = 2u << 20,
		.initrd_addr_max = 0x7fffffff,
		.cmdline_size = 2047,
	};
}

static inline size_t synth_bz_setup_size(const struct synth_bz *p)
{
	return ((size_t)(p->setup_sects ? p->setup_sects : 4) + 1) * 512;
}

/* Returns the image length, or 0 if cap is too small. */
static inline size_t synth_bzimage(uint8_t *buf, size_t cap, const struct synth_bz *p)
{
	size_t setup = synth_bz_setup_size(p), len = setup + p->payload_size;

	if (cap < len || setup < 0x300)
		return 0;
	memset(buf, 0, setup);
	buf[0x1f1] = p->setup_sects;
	synth_put32(buf + 0x1f4, (p->payload_size + 15) / 16);  /* syssize */
	synth_put16(buf + 0x1fe, 0xaa55);
	buf[0x200] = 0xeb;
	buf[0x201] = p->header_len;
	memcpy(buf + 0x202, "HdrS", 4);
	synth_put16(buf + 0x206, p->protocol);
	buf[0x211] = p->loadflags;
	synth_put32(buf + 0x22c, p->initrd_addr_max);
	synth_put16(buf + 0x236, p->xloadflags);
	synth_put32(buf + 0x238, p->cmdline_size);
	synth_put32(buf + 0x260, p->init_size);
	for (size_t i = 0; i < p->payload_size; i++)
		buf[setup + i] = synth_pattern(i);
	return len;
}

/* ---- ELF64 vmlinux with a PVH entry note ----
 * phdr 0: PT_NOTE at SYNTH_ELF_NOTE_OFF: a "GNU" note, then Xen type 18
 * phdr 1: PT_LOAD file [0x400, 0x800) -> 16 MiB, memsz 0x800 (bss 0x400)
 * phdr 2: PT_LOAD file [0x800, 0x900) -> 18 MiB, memsz 0x3000
 */
#define SYNTH_ELF_PHNUM     3
#define SYNTH_ELF_NOTE_OFF  0x200u
#define SYNTH_ELF_NOTE_SIZE 44u
#define SYNTH_ELF_LEN       0x900u
#define SYNTH_ELF_ENTRY     0x1000040u
#define SYNTH_ELF_SEG1_PADDR 0x1000000u
#define SYNTH_ELF_SEG2_PADDR 0x1200000u

static inline Elf64_Phdr *synth_elf_phdr(uint8_t *buf, unsigned i)
{
	return (Elf64_Phdr *)(void *)(buf + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static inline size_t synth_elf(uint8_t *buf, size_t cap)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[SYNTH_ELF_PHNUM] = {
		{ .p_type = PT_NOTE, .p_offset = SYNTH_ELF_NOTE_OFF, .p_filesz = SYNTH_ELF_NOTE_SIZE,
		  .p_memsz = SYNTH_ELF_NOTE_SIZE, .p_align = 4 },
		{ .p_type = PT_LOAD, .p_offset = 0x400, .p_paddr = SYNTH_ELF_SEG1_PADDR,
		  .p_vaddr = 0xffffffff81000000ULL, .p_filesz = 0x400, .p_memsz = 0x800, .p_align = 0x1000 },
		{ .p_type = PT_LOAD, .p_offset = 0x800, .p_paddr = SYNTH_ELF_SEG2_PADDR,
		  .p_vaddr = 0xffffffff81200000ULL, .p_filesz = 0x100, .p_memsz = 0x3000, .p_align = 0x1000 },
	};
	uint8_t *n;

	if (cap < SYNTH_ELF_LEN)
		return 0;
	memset(buf, 0, SYNTH_ELF_LEN);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0xffffffff81000000ULL;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = SYNTH_ELF_PHNUM;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + eh.e_phoff, ph, sizeof(ph));

	n = buf + SYNTH_ELF_NOTE_OFF;
	synth_put32(n, 4);            /* "GNU" note, descsz 5 (padded to 8) */
	synth_put32(n + 4, 5);
	synth_put32(n + 8, 1);
	memcpy(n + 12, "GNU", 4);
	memcpy(n + 16, "abcde", 5);
	n += 24;
	synth_put32(n, 4);            /* "Xen" XEN_ELFNOTE_PHYS32_ENTRY */
	synth_put32(n + 4, 4);
	synth_put32(n + 8, 18);
	memcpy(n + 12, "Xen", 4);
	synth_put32(n + 16, SYNTH_ELF_ENTRY);

	for (size_t i = 0x400; i < SYNTH_ELF_LEN; i++)
		buf[i] = synth_pattern(i);
	return SYNTH_ELF_LEN;
}

#endif
