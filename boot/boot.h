/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading a Linux kernel into guest memory on x86_64: the bzImage boot
 * protocol (64-bit entry, zero page) and ELF vmlinux through its PVH entry
 * (hvm_start_info). Parsers work on an in-memory image and report problems
 * as one sentence; nothing here touches KVM.
 */
#ifndef SKIFF_BOOT_H
#define SKIFF_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define BOOT_ERR_MAX 256

/* e820 memory map, shared by both boot protocols. */
#define E820_RAM 1
#define E820_RESERVED 2

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct boot_memmap {
	unsigned nr;
	struct boot_e820_entry entries[16];
};

/* RAM below the EBDA, the reserved BIOS area, RAM from 1 MiB, RAM above 4 GiB. */
int boot_build_memmap(const struct gmem *gm, struct boot_memmap *ret) SKIFF_MUST_CHECK;

/* What bzimage_parse learnt from a bzImage's setup header. */
struct bzimage_info {
	uint16_t protocol;        /* e.g. 0x020f */
	uint32_t setup_size;      /* bytes before the protected-mode kernel */
	uint32_t payload_size;    /* bytes of the protected-mode kernel */
	uint32_t init_size;       /* memory the kernel needs from its load address */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;    /* maximum command line length */
	uint32_t header_end;      /* offset of the end of the setup header */
};

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *ret, char *err,
		  size_t errlen) SKIFF_MUST_CHECK;

#define PVH_MAX_SEGMENTS 16

struct pvh_segment {
	uint64_t file_offset;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

struct pvh_info {
	uint32_t entry;           /* XEN_ELFNOTE_PHYS32_ENTRY */
	unsigned nr_segments;
	struct pvh_segment segments[PVH_MAX_SEGMENTS];
};

int pvh_parse(const uint8_t *img, size_t len, struct pvh_info *ret, char *err,
	      size_t errlen) SKIFF_MUST_CHECK;

enum kernel_format { KERNEL_UNKNOWN, KERNEL_BZIMAGE, KERNEL_ELF };
enum kernel_format kernel_detect_format(const uint8_t *img, size_t len);

/* How the boot vCPU must start. */
enum boot_entry_mode {
	BOOT_ENTRY_LINUX64,  /* long mode, RSI = zero page */
	BOOT_ENTRY_PVH32,    /* 32-bit protected mode, paging off, EBX = start_info */
};

struct boot_entry {
	enum boot_entry_mode mode;
	uint64_t rip;
	uint64_t param_gpa;       /* zero page or hvm_start_info */
};

struct boot_images {
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd;    /* may be NULL */
	size_t initrd_len;
	const char *cmdline;
	uint64_t rsdp_gpa;        /* 0: none */
};

/*
 * Load kernel (either format), initrd and command line into guest memory
 * and build the boot parameters. Returns 0 or -errno with a sentence in err.
 */
int boot_load_linux(const struct gmem *gm, const struct boot_images *images,
		    struct boot_entry *ret, char *err, size_t errlen) SKIFF_MUST_CHECK;

/* Write GDT and identity page tables for the 64-bit entry. */
int boot_setup_x86_tables(const struct gmem *gm) SKIFF_MUST_CHECK;

/*
 * The arm64 Linux Image boot protocol (Documentation/arch/arm64/booting.rst,
 * image_arm64.c). The 64-byte header gives text_offset (where in a 2 MiB
 * aligned region the Image goes) and image_size (what it occupies, bss
 * included); images from before Linux 3.17 have image_size 0 and
 * text_offset 0x80000.
 */
#define ARM64_IMAGE_MAGIC 0x644d5241u   /* "ARM\x64" */
#define ARM64_IMAGE_HEADER_SIZE 64

struct arm64_image_info {
	uint64_t text_offset;
	uint64_t image_size;   /* memory the kernel uses from its load address; never below the file's length */
	uint64_t flags;
};

int arm64_image_parse(const uint8_t *img, size_t len, struct arm64_image_info *ret, char *err,
		      size_t errlen) SKIFF_MUST_CHECK;

/*
 * Where the boot images go in RAM [ram_base, ram_base + ram_size): the
 * kernel at the 2 MiB aligned ram_base + text_offset, the DTB in the last
 * dtb_max bytes of RAM, the initrd (initrd_len bytes, 0: none) right below
 * the DTB, page aligned. -ENOSPC with one sentence when they do not fit.
 */
struct arm64_boot_plan {
	uint64_t kernel_gpa;   /* = the entry point */
	uint64_t kernel_end;
	uint64_t initrd_gpa;   /* 0 without an initrd */
	uint64_t dtb_gpa;
};

int arm64_boot_plan(const struct arm64_image_info *info, uint64_t ram_base, uint64_t ram_size,
		    uint64_t initrd_len, uint64_t dtb_max, struct arm64_boot_plan *ret, char *err,
		    size_t errlen) SKIFF_MUST_CHECK;

#endif
