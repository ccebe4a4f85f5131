// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for boot/: the e820 map, the bzImage and PVH loaders on
 * synthetic images (zero page and hvm_start_info contents), every loader
 * error on truncated and malformed images (messages asserted exactly),
 * and the boot GDT and page tables.
 *
 * With --write-seeds BZDIR PVHDIR it instead writes the synthetic images
 * used as seeds for the fuzz-bzimage and fuzz-pvh corpora.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "check.h"
#include "layout.h"
#include "synth.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* rc must be -EINVAL and err exactly the formatted message. */
static void check_err_at(int line, const char *what, int rc, const char *err, const char *fmt, ...)
	SKIFF_PRINTF(5, 6);
static void check_err_at(int line, const char *what, int rc, const char *err, const char *fmt, ...)
{
	char want[BOOT_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	if (!check_ok(rc == -EINVAL && strcmp(err, want) == 0))
		fprintf(stderr, "%s:%d: %s: got rc %d \"%s\", want -EINVAL \"%s\"\n", __FILE__, line, what,
			rc, rc ? err : "", want);
}
#define CHECK_ERR(what, rc, err, ...) check_err_at(__LINE__, what, rc, err, __VA_ARGS__)

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static struct gmem gm128, gm_hole;   /* 128 MiB flat; 4.5 GiB with the hole at 3 GiB */
static uint8_t img[64 * 1024];

static void new_guest(struct gmem *gm, uint64_t size, uint64_t hole)
{
	int r = gmem_create(gm, size, hole);

	if (r) {
		fprintf(stderr, "gmem_create(%#llx): %s\n", (unsigned long long)size, strerror(-r));
		exit(1);
	}
}

/* Reset guest RAM between tests so that stale data cannot pass a check. */
static void wipe(const struct gmem *gm)
{
	memset(gm->host, 0, gm->regions[0].size < 64 * MiB ? gm->regions[0].size : 64 * MiB);
}

static int load(const struct gmem *gm, const uint8_t *k, size_t klen, const uint8_t *initrd,
		size_t initrd_len, const char *cmdline, struct boot_entry *entry, char *err)
{
	struct boot_images im = {
		.kernel = k, .kernel_len = klen, .initrd = initrd, .initrd_len = initrd_len,
		.cmdline = cmdline, .rsdp_gpa = X86_ACPI_TABLES_ADDR,
	};

	err[0] = '\0';
	return boot_load_linux(gm, &im, entry, err, BOOT_ERR_MAX);
}

/* ---- e820 ---- */

static void check_e820(const struct boot_e820_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	CHECK_EQ(e->addr, addr);
	CHECK_EQ(e->size, size);
	CHECK_EQ(e->type, type);
}

static void test_memmap(void)
{
	struct boot_memmap map;
	struct gmem tiny;

	CHECK(boot_build_memmap(&gm128, &map) == 0);
	CHECK_EQ(map.nr, 3);
	check_e820(&map.entries[0], 0, 0x9fc00, E820_RAM);
	check_e820(&map.entries[1], 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED);
	check_e820(&map.entries[2], 0x100000, 128 * MiB - 0x100000, E820_RAM);

	CHECK(boot_build_memmap(&gm_hole, &map) == 0);
	CHECK_EQ(map.nr, 4);
	check_e820(&map.entries[0], 0, 0x9fc00, E820_RAM);
	check_e820(&map.entries[1], 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED);
	check_e820(&map.entries[2], 0x100000, 3 * GiB - 0x100000, E820_RAM);
	check_e820(&map.entries[3], 4 * GiB, 1536 * MiB, E820_RAM);

	/* 1 MiB of RAM leaves nothing for the kernel. */
	new_guest(&tiny, 1 * MiB, X86_MMIO_HOLE_START);
	CHECK(boot_build_memmap(&tiny, &map) == -EINVAL);
	{
		struct boot_entry entry;
		char err[BOOT_ERR_MAX];
		struct synth_bz p = synth_bz_default();
		size_t len = synth_bzimage(img, sizeof(img), &p);

		CHECK_ERR("1 MiB guest", load(&tiny, img, len, NULL, 0, "", &entry, err), err,
			  "guest memory is too small to boot (need more than 1 MiB)");
	}
	gmem_destroy(&tiny);
}

/* ---- bzImage ---- */

static void check_zero_page_e820(const struct gmem *gm, const uint8_t *zp)
{
	struct boot_memmap map;

	CHECK(boot_build_memmap(gm, &map) == 0);
	CHECK_EQ(zp[0x1e8], map.nr);
	for (unsigned i = 0; i < map.nr; i++) {
		const uint8_t *e = zp + 0x2d0 + i * 20;

		CHECK_EQ(rd64(e), map.entries[i].addr);
		CHECK_EQ(rd64(e + 8), map.entries[i].size);
		CHECK_EQ(rd32(e + 16), map.entries[i].type);
	}
}

static void test_bzimage_load(const struct gmem *gm, uint32_t initrd_addr_max, uint16_t protocol)
{
	static uint8_t initrd[10000];
	const char *cmdline = "console=ttyS0 reboot=k panic=1";
	struct synth_bz p = synth_bz_default();
	struct boot_entry entry;
	char err[BOOT_ERR_MAX];
	uint64_t top, want_rd;
	size_t len;
	uint8_t *zp;
	int r;

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	p.initrd_addr_max = initrd_addr_max;
	p.protocol = protocol;
	len = synth_bzimage(img, sizeof(img), &p);
	wipe(gm);
	r = load(gm, img, len, initrd, sizeof(initrd), cmdline, &entry, err);
	CHECK(r == 0);
	if (r) {
		fprintf(stderr, "  load: %s\n", err);
		return;
	}
	CHECK_EQ(entry.mode, BOOT_ENTRY_LINUX64);
	CHECK_EQ(entry.rip, 0x100200);
	CHECK_EQ(entry.param_gpa, X86_ZERO_PAGE_ADDR);

	zp = gmem_slice(gm, X86_ZERO_PAGE_ADDR, 0x1000);
	CHECK(memcmp(zp + 0x202, "HdrS", 4) == 0);      /* setup header copied */
	CHECK_EQ(rd32(zp + 0x206) & 0xffff, protocol);
	CHECK_EQ(zp[0x210], 0xff);                      /* type_of_loader */
	CHECK_EQ(zp[0x211], 0x81);                      /* LOADED_HIGH | CAN_USE_HEAP */
	CHECK_EQ(rd32(zp + 0x224) & 0xffff, 0xfe00);    /* heap_end_ptr */
	CHECK_EQ(rd32(zp + 0x228), X86_CMDLINE_ADDR);
	CHECK(strcmp((char *)gmem_slice(gm, X86_CMDLINE_ADDR, strlen(cmdline) + 1), cmdline) == 0);

	/* initrd: page-aligned, as high as allowed, below initrd_addr_max and RAM's end */
	top = (uint64_t)initrd_addr_max + 1 < gm->regions[0].size ? (uint64_t)initrd_addr_max + 1
								  : gm->regions[0].size;
	want_rd = (top - sizeof(initrd)) & ~0xfffULL;
	CHECK_EQ(rd32(zp + 0x218), want_rd);
	CHECK_EQ(rd32(zp + 0x21c), sizeof(initrd));
	CHECK(memcmp(gmem_slice(gm, want_rd, sizeof(initrd)), initrd, sizeof(initrd)) == 0);

	CHECK_EQ(rd64(zp + 0x70), protocol >= 0x020e ? X86_ACPI_TABLES_ADDR : 0);
	check_zero_page_e820(gm, zp);
	/* payload at 1 MiB */
	CHECK(memcmp(gmem_slice(gm, X86_HIGH_MEM_START, p.payload_size), img + 1024, p.payload_size) == 0);
}

static void test_bzimage_no_initrd(void)
{
	struct synth_bz p = synth_bz_default();
	struct boot_entry entry;
	char err[BOOT_ERR_MAX];
	size_t len = synth_bzimage(img, sizeof(img), &p);
	uint8_t *zp;

	wipe(&gm128);
	memset(gmem_slice(&gm128, X86_ZERO_PAGE_ADDR, 0x1000), 0xee, 0x1000);
	CHECK(load(&gm128, img, len, NULL, 0, NULL, &entry, err) == 0);
	zp = gmem_slice(&gm128, X86_ZERO_PAGE_ADDR, 0x1000);
	CHECK_EQ(rd32(zp + 0x218), 0);
	CHECK_EQ(rd32(zp + 0x21c), 0);
	CHECK_EQ(zp[0x100], 0);                         /* rest of the zero page cleared */
	CHECK_EQ(*(char *)gmem_slice(&gm128, X86_CMDLINE_ADDR, 1), '\0');
}

/* Truncating the valid image anywhere gives the error for that offset. */
static void test_bzimage_truncated(void)
{
	struct synth_bz p = synth_bz_default();
	size_t full = synth_bzimage(img, sizeof(img), &p);
	struct bzimage_info info;
	struct boot_entry entry;
	char err[BOOT_ERR_MAX];

	CHECK(bzimage_parse(img, full, &info, err, sizeof(err)) == 0);
	CHECK_EQ(info.protocol, 0x020f);
	CHECK_EQ(info.setup_size, 1024);
	CHECK_EQ(info.payload_size, p.payload_size);
	CHECK_EQ(info.init_size, p.init_size);
	CHECK_EQ(info.initrd_addr_max, p.initrd_addr_max);
	CHECK_EQ(info.cmdline_size, p.cmdline_size);
	CHECK_EQ(info.header_end, SYNTH_BZ_HEADER_END);

	for (size_t l = 0; l < full; l += (l < 0x300 || l > full - 64) ? 1 : 7) {
		int rp = bzimage_parse(img, l, &info, err, sizeof(err));
		char lerr[BOOT_ERR_MAX];
		int rl = load(&gm128, img, l, NULL, 0, "", &entry, lerr);

		if (l < 0x206) {
			CHECK_ERR("truncated", rp, err, "not a bzImage (no boot flag or HdrS magic)");
			CHECK_ERR("truncated", rl, lerr, "kernel is neither a bzImage nor an ELF vmlinux");
			continue;
		}
		if (l < SYNTH_BZ_HEADER_END)
			CHECK_ERR("truncated", rp, err, "bzImage setup header is truncated or too old");
		else if (l <= 1024)
			CHECK_ERR("truncated", rp, err, "bzImage is truncated: %zu bytes, setup alone is 1024", l);
		else
			CHECK_ERR("truncated", rp, err,
				  "bzImage is truncated: %zu bytes, its header says %zu", l, full);
		CHECK_ERR("truncated (load)", rl, lerr, "%s", err);
		if (rp != -EINVAL)
			fprintf(stderr, "  at length %zu\n", l);
	}
}

static void test_bzimage_malformed(void)
{
	struct boot_entry entry;
	char err[BOOT_ERR_MAX];
	struct bzimage_info info;
	struct synth_bz p;
	size_t len;

#define BZ_ERR(what, ...)                                                            \
	do {                                                                         \
		CHECK_ERR(what, bzimage_parse(img, len, &info, err, sizeof(err)), err, __VA_ARGS__); \
		CHECK_ERR(what " (load)", load(&gm128, img, len, NULL, 0, "", &entry, err), err, \
			  __VA_ARGS__);                                              \
	} while (0)

	/* empty file */
	CHECK_ERR("empty", bzimage_parse(img, 0, &info, err, sizeof(err)), err,
		  "not a bzImage (no boot flag or HdrS magic)");
	CHECK_ERR("empty", load(&gm128, img, 0, NULL, 0, "", &entry, err), err,
		  "kernel is neither a bzImage nor an ELF vmlinux");

	p = synth_bz_default();
	len = synth_bzimage(img, sizeof(img), &p);
	memcpy(img + 0x202, "HdrT", 4);
	CHECK_ERR("bad magic", bzimage_parse(img, len, &info, err, sizeof(err)), err,
		  "not a bzImage (no boot flag or HdrS magic)");
	CHECK_ERR("bad magic", load(&gm128, img, len, NULL, 0, "", &entry, err), err,
		  "kernel is neither a bzImage nor an ELF vmlinux");
	len = synth_bzimage(img, sizeof(img), &p);
	img[0x1fe] = 0;
	CHECK_ERR("bad boot flag", bzimage_parse(img, len, &info, err, sizeof(err)), err,
		  "not a bzImage (no boot flag or HdrS magic)");

	p = synth_bz_default();
	p.header_len = 0x5f;  /* header ends before init_size */
	len = synth_bzimage(img, sizeof(img), &p);
	BZ_ERR("short header", "bzImage setup header is truncated or too old");

	p = synth_bz_default();
	p.protocol = 0x020b;
	len = synth_bzimage(img, sizeof(img), &p);
	BZ_ERR("old protocol", "bzImage boot protocol 2.11 is too old (need 2.12)");

	p = synth_bz_default();
	p.xloadflags = 0x02;
	len = synth_bzimage(img, sizeof(img), &p);
	BZ_ERR("no 64-bit entry", "bzImage has no 64-bit entry point");

	p = synth_bz_default();
	p.loadflags = 0;
	len = synth_bzimage(img, sizeof(img), &p);
	BZ_ERR("zImage", "bzImage is not loadable at 1 MiB (zImage)");

	/* setup_sects 255: 128 KiB of setup, more than the whole file */
	p = synth_bz_default();
	len = synth_bzimage(img, sizeof(img), &p);
	img[0x1f1] = 255;
	BZ_ERR("setup_sects huge", "bzImage is truncated: %zu bytes, setup alone is %u", len, 256u * 512);

	/* setup_sects 0 means 4: a 5 KiB image is all setup */
	p = synth_bz_default();
	p.setup_sects = 0;
	p.payload_size = 0x200;
	len = synth_bzimage(img, sizeof(img), &p);
	CHECK(bzimage_parse(img, len, &info, err, sizeof(err)) == 0 && info.setup_size == 2560);
	len = 2560;
	BZ_ERR("setup_sects 0", "bzImage is truncated: 2560 bytes, setup alone is 2560");

	p = synth_bz_default();
	p.init_size = p.payload_size - 1;
	len = synth_bzimage(img, sizeof(img), &p);
	BZ_ERR("init_size < payload", "bzImage init_size 4095 is smaller than its payload 4096");

	/* a kernel that needs more memory than the guest has */
	p = synth_bz_default();
	p.init_size = 128 * MiB;
	len = synth_bzimage(img, sizeof(img), &p);
	CHECK(bzimage_parse(img, len, &info, err, sizeof(err)) == 0);
	CHECK_ERR("init_size > RAM", load(&gm128, img, len, NULL, 0, "", &entry, err), err,
		  "guest memory is too small for this kernel (it needs 129 MiB from 1 MiB)");
#undef BZ_ERR
}

static void test_bzimage_limits(void)
{
	static uint8_t big_initrd[8 * MiB];
	struct synth_bz p = synth_bz_default();
	struct boot_entry entry;
	char err[BOOT_ERR_MAX];
	char cmdline[4096];
	size_t len;

	memset(cmdline, 'a', sizeof(cmdline));
	p.cmdline_size = 100;
	len = synth_bzimage(img, sizeof(img), &p);
	cmdline[100] = '\0';
	CHECK(load(&gm128, img, len, NULL, 0, cmdline, &entry, err) == 0);
	cmdline[100] = 'a';
	cmdline[101] = '\0';
	CHECK_ERR("cmdline too long", load(&gm128, img, len, NULL, 0, cmdline, &entry, err), err,
		  "kernel command line is 101 bytes; the kernel takes at most 100");

	/* initrd_addr_max leaves no room above the kernel (which ends at 3 MiB) */
	p = synth_bz_default();
	p.initrd_addr_max = 4 * MiB - 1;
	len = synth_bzimage(img, sizeof(img), &p);
	CHECK(load(&gm128, img, len, big_initrd, 1 * MiB, "", &entry, err) == 0);
	CHECK_ERR("initrd above initrd_addr_max",
		  load(&gm128, img, len, big_initrd, 1 * MiB + 1, "", &entry, err), err,
		  "initrd (%llu bytes) does not fit in guest memory between the kernel and 0x400000",
		  1 * MiB + 1);

	/* initrd too large for guest memory */
	p = synth_bz_default();
	len = synth_bzimage(img, sizeof(img), &p);
	CHECK_ERR("initrd too large", load(&gm128, img, len, big_initrd, 126 * MiB, "", &entry, err), err,
		  "initrd (%llu bytes) does not fit in guest memory between the kernel and 0x8000000",
		  126 * MiB);
	CHECK_ERR("initrd empty", load(&gm128, img, len, big_initrd, 0, "", &entry, err), err,
		  "initrd is empty");
}

/* ---- PVH ---- */

static void test_pvh_load(const struct gmem *gm)
{
	static uint8_t initrd[5000];
	const char *cmdline = "console=hvc0";
	struct boot_entry entry;
	struct pvh_info info;
	char err[BOOT_ERR_MAX];
	struct boot_memmap map;
	size_t len = synth_elf(img, sizeof(img));
	const uint8_t *si, *p;
	uint64_t want_rd;
	int r;

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 3);
	CHECK(pvh_parse(img, len, &info, err, sizeof(err)) == 0);
	CHECK_EQ(info.entry, SYNTH_ELF_ENTRY);
	CHECK_EQ(info.nr_segments, 2);
	CHECK_EQ(info.segments[0].paddr, SYNTH_ELF_SEG1_PADDR);
	CHECK_EQ(info.segments[1].memsz, 0x3000);

	wipe(gm);
	memset(gmem_slice(gm, SYNTH_ELF_SEG1_PADDR, 0x1000), 0xcc, 0x1000);
	memset(gmem_slice(gm, SYNTH_ELF_SEG2_PADDR, 0x4000), 0xcc, 0x4000);
	r = load(gm, img, len, initrd, sizeof(initrd), cmdline, &entry, err);
	CHECK(r == 0);
	if (r) {
		fprintf(stderr, "  load: %s\n", err);
		return;
	}
	CHECK_EQ(entry.mode, BOOT_ENTRY_PVH32);
	CHECK_EQ(entry.rip, SYNTH_ELF_ENTRY);
	CHECK_EQ(entry.param_gpa, X86_PVH_START_INFO_ADDR);

	/* segments copied, bss zeroed, bytes beyond memsz untouched */
	p = gmem_slice(gm, SYNTH_ELF_SEG1_PADDR, 0x1000);
	CHECK(memcmp(p, img + 0x400, 0x400) == 0);
	for (unsigned i = 0x400; i < 0x800; i++)
		if (p[i] != 0) {
			CHECK(p[i] == 0);
			break;
		}
	CHECK_EQ(p[0x800], 0xcc);
	p = gmem_slice(gm, SYNTH_ELF_SEG2_PADDR, 0x4000);
	CHECK(memcmp(p, img + 0x800, 0x100) == 0);
	CHECK_EQ(p[0x100], 0);
	CHECK_EQ(p[0x2fff], 0);
	CHECK_EQ(p[0x3000], 0xcc);

	si = gmem_slice(gm, X86_PVH_START_INFO_ADDR, 56);
	CHECK_EQ(rd32(si), 0x336ec578);
	CHECK_EQ(rd32(si + 4), 1);                        /* version */
	CHECK_EQ(rd32(si + 12), 1);                       /* nr_modules */
	CHECK_EQ(rd64(si + 16), X86_PVH_MODLIST_ADDR);
	CHECK_EQ(rd64(si + 24), X86_CMDLINE_ADDR);
	CHECK_EQ(rd64(si + 32), X86_ACPI_TABLES_ADDR);
	CHECK_EQ(rd64(si + 40), X86_PVH_MEMMAP_ADDR);
	CHECK(strcmp((char *)gmem_slice(gm, X86_CMDLINE_ADDR, strlen(cmdline) + 1), cmdline) == 0);

	/* PVH has no initrd_addr_max: as high as possible below 4 GiB */
	want_rd = (gm->regions[0].size - sizeof(initrd)) & ~0xfffULL;
	p = gmem_slice(gm, X86_PVH_MODLIST_ADDR, 32);
	CHECK_EQ(rd64(p), want_rd);
	CHECK_EQ(rd64(p + 8), sizeof(initrd));
	CHECK_EQ(rd64(p + 16), 0);
	CHECK(memcmp(gmem_slice(gm, want_rd, sizeof(initrd)), initrd, sizeof(initrd)) == 0);

	CHECK(boot_build_memmap(gm, &map) == 0);
	CHECK_EQ(rd32(si + 48), map.nr);
	for (unsigned i = 0; i < map.nr; i++) {
		p = gmem_slice(gm, X86_PVH_MEMMAP_ADDR + i * 24, 24);
		CHECK_EQ(rd64(p), map.entries[i].addr);
		CHECK_EQ(rd64(p + 8), map.entries[i].size);
		CHECK_EQ(rd32(p + 16), map.entries[i].type);
		CHECK_EQ(rd32(p + 20), 0);
	}

	/* without an initrd: no modules */
	CHECK(load(gm, img, len, NULL, 0, NULL, &entry, err) == 0);
	CHECK_EQ(rd32(si + 12), 0);
	CHECK_EQ(rd64(si + 16), 0);
}

static void test_pvh_truncated(void)
{
	size_t full = synth_elf(img, sizeof(img));
	struct pvh_info info;
	struct boot_entry entry;
	char err[BOOT_ERR_MAX], lerr[BOOT_ERR_MAX];
	const size_t ph_end = 64 + SYNTH_ELF_PHNUM * 56;

	for (size_t l = 0; l < full; l++) {
		int rp = pvh_parse(img, l, &info, err, sizeof(err));
		int rl = load(&gm128, img, l, NULL, 0, "", &entry, lerr);

		if (l < 4) {
			CHECK_ERR("truncated", rp, err, "not an ELF file");
			CHECK_ERR("truncated", rl, lerr, "kernel is neither a bzImage nor an ELF vmlinux");
			continue;
		}
		if (l < 64)
			CHECK_ERR("truncated", rp, err, "not an ELF file");
		else if (l < ph_end)
			CHECK_ERR("truncated", rp, err, "ELF program headers are missing or truncated");
		else if (l < SYNTH_ELF_NOTE_OFF + SYNTH_ELF_NOTE_SIZE)
			CHECK_ERR("truncated", rp, err, "ELF note segment 0 lies outside the file");
		else if (l < 0x800)
			CHECK_ERR("truncated", rp, err, "ELF segment 1 lies outside the file");
		else
			CHECK_ERR("truncated", rp, err, "ELF segment 2 lies outside the file");
		CHECK_ERR("truncated (load)", rl, lerr, "%s", err);
		if (rp != -EINVAL)
			fprintf(stderr, "  at length %zu\n", l);
	}
}

static Elf64_Ehdr *ehdr(void)
{
	return (Elf64_Ehdr *)(void *)img;
}

static void test_pvh_malformed(void)
{
	struct pvh_info info;
	struct boot_entry entry;
	char err[BOOT_ERR_MAX];
	size_t len;
	uint8_t *note = img + SYNTH_ELF_NOTE_OFF;

#define ELF_ERR(what, ...)                                                           \
	do {                                                                         \
		CHECK_ERR(what, pvh_parse(img, len, &info, err, sizeof(err)), err, __VA_ARGS__); \
		CHECK_ERR(what " (load)", load(&gm128, img, len, NULL, 0, "", &entry, err), err, \
			  __VA_ARGS__);                                              \
	} while (0)
#define FRESH() (len = synth_elf(img, sizeof(img)))

	FRESH();
	ehdr()->e_ident[EI_CLASS] = ELFCLASS32;
	ELF_ERR("ELF32", "ELF kernel is not a little-endian x86_64 ELF64 image");
	FRESH();
	ehdr()->e_ident[EI_DATA] = ELFDATA2MSB;
	ELF_ERR("big endian", "ELF kernel is not a little-endian x86_64 ELF64 image");
	FRESH();
	ehdr()->e_machine = EM_386;
	ELF_ERR("i386", "ELF kernel is not a little-endian x86_64 ELF64 image");

	FRESH();
	ehdr()->e_phoff = len;
	ELF_ERR("phoff at end", "ELF program headers are missing or truncated");
	FRESH();
	ehdr()->e_phoff = ~0ULL - 8;
	ELF_ERR("phoff near 2^64", "ELF program headers are missing or truncated");
	FRESH();
	ehdr()->e_phnum = 0xffff;  /* phnum * phentsize: 3.6 MB of headers */
	ELF_ERR("phnum huge", "ELF program headers are missing or truncated");
	FRESH();
	ehdr()->e_phnum = 0;
	ELF_ERR("phnum 0", "ELF program headers are missing or truncated");
	FRESH();
	ehdr()->e_phentsize = 0xffff;
	ELF_ERR("phentsize", "ELF program headers are missing or truncated");

	FRESH();
	synth_elf_phdr(img, 1)->p_offset = 0x800;
	synth_elf_phdr(img, 1)->p_filesz = 0x101;
	ELF_ERR("load beyond file", "ELF segment 1 lies outside the file");
	FRESH();
	synth_elf_phdr(img, 1)->p_offset = ~0ULL - 0xff;
	ELF_ERR("load offset overflow", "ELF segment 1 lies outside the file");
	FRESH();
	synth_elf_phdr(img, 1)->p_filesz = ~0ULL;
	ELF_ERR("load filesz overflow", "ELF segment 1 lies outside the file");
	FRESH();
	synth_elf_phdr(img, 2)->p_filesz = 0x100;
	synth_elf_phdr(img, 2)->p_memsz = 0xff;
	ELF_ERR("filesz > memsz", "ELF segment 2 has filesz > memsz");
	FRESH();
	synth_elf_phdr(img, 0)->p_offset = len - 8;
	ELF_ERR("note beyond file", "ELF note segment 0 lies outside the file");

	/* note sizes */
	FRESH();
	synth_put32(note, 0xffffffff);       /* namesz rounds up past 2^32 */
	ELF_ERR("namesz overflow", "ELF note segment 0 is malformed");
	FRESH();
	synth_put32(note + 4, 0xfffffffd);
	ELF_ERR("descsz overflow", "ELF note segment 0 is malformed");
	FRESH();
	synth_put32(note + 24 + 4, 8);       /* Xen descriptor runs past the segment */
	ELF_ERR("descsz past segment", "ELF note segment 0 is malformed");
	FRESH();
	synth_elf_phdr(img, 0)->p_filesz = 11;  /* too short for a header: no note */
	ELF_ERR("note short",
		"ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH or boot its bzImage");

	/* no PVH note: wrong type, wrong name, short descriptor, no PT_NOTE */
	FRESH();
	synth_put32(note + 24 + 8, 17);
	ELF_ERR("note type",
		"ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH or boot its bzImage");
	FRESH();
	memcpy(note + 24 + 12, "Xe\0\0", 4);
	ELF_ERR("note name",
		"ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH or boot its bzImage");
	FRESH();
	synth_put32(note + 24 + 4, 2);
	ELF_ERR("note desc short",
		"ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH or boot its bzImage");
	FRESH();
	synth_elf_phdr(img, 0)->p_type = PT_NULL;
	ELF_ERR("no PT_NOTE",
		"ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); build it with CONFIG_PVH or boot its bzImage");

	FRESH();
	synth_elf_phdr(img, 1)->p_type = PT_NULL;
	synth_elf_phdr(img, 2)->p_memsz = 0;
	synth_elf_phdr(img, 2)->p_filesz = 0;
	ELF_ERR("no PT_LOAD", "ELF kernel has no loadable segments");

	/* 17 PT_LOADs: headers at 0x400 */
	FRESH();
	ehdr()->e_phoff = 0x400;
	ehdr()->e_phnum = 18;
	memcpy(img + 0x400, synth_elf_phdr(img, 0), 56);
	for (unsigned i = 1; i < 18; i++) {
		Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0, .p_paddr = 0x1000000 + i * 0x1000,
				  .p_filesz = 0x10, .p_memsz = 0x10 };
		memcpy(img + 0x400 + i * 56, &ph, 56);
	}
	len = 0x400 + 18 * 56;
	ELF_ERR("17 segments", "ELF kernel has too many loadable segments");

	/* placement */
	FRESH();
	synth_elf_phdr(img, 1)->p_paddr = 0xff000;
	CHECK(pvh_parse(img, len, &info, err, sizeof(err)) == 0);
	CHECK_ERR("below 1 MiB", load(&gm128, img, len, NULL, 0, "", &entry, err), err,
		  "ELF segment at 0xff000 (2048 bytes) does not fit in guest RAM above 1 MiB");
	FRESH();
	synth_elf_phdr(img, 2)->p_paddr = 128 * MiB - 0x2000;
	CHECK_ERR("beyond RAM", load(&gm128, img, len, NULL, 0, "", &entry, err), err,
		  "ELF segment at 0x7ffe000 (12288 bytes) does not fit in guest RAM above 1 MiB");
	FRESH();
	synth_elf_phdr(img, 2)->p_paddr = 4 * GiB;
	CHECK_ERR("above 4 GiB", load(&gm_hole, img, len, NULL, 0, "", &entry, err), err,
		  "ELF segment at 0x100000000 (12288 bytes) does not fit in guest RAM above 1 MiB");
	FRESH();
	synth_elf_phdr(img, 2)->p_paddr = ~0ULL - 0xfff;
	CHECK_ERR("paddr wraps", load(&gm128, img, len, NULL, 0, "", &entry, err), err,
		  "ELF segment at 0xfffffffffffff000 (12288 bytes) does not fit in guest RAM above 1 MiB");
	FRESH();
	synth_elf_phdr(img, 2)->p_memsz = ~0ULL;
	CHECK_ERR("memsz huge", load(&gm128, img, len, NULL, 0, "", &entry, err), err,
		  "ELF segment at 0x1200000 (18446744073709551615 bytes) does not fit in guest RAM above 1 MiB");

	/* initrd and command line limits */
	FRESH();
	{
		static uint8_t rd[4 * MiB];
		static char cmdline[X86_CMDLINE_MAX + 1];

		CHECK_ERR("initrd too large", load(&gm128, img, len, rd, 128 * MiB - 16 * MiB, "", &entry, err),
			  err, "initrd (%llu bytes) does not fit in guest memory between the kernel and 0x8000000",
			  112 * MiB);
		memset(cmdline, 'x', X86_CMDLINE_MAX - 1);
		CHECK(load(&gm128, img, len, rd, sizeof(rd), cmdline, &entry, err) == 0);
		cmdline[X86_CMDLINE_MAX - 1] = 'x';
		CHECK_ERR("cmdline too long", load(&gm128, img, len, rd, sizeof(rd), cmdline, &entry, err), err,
			  "kernel command line is 65536 bytes; the kernel takes at most 65535");
	}
#undef FRESH
#undef ELF_ERR
}

/* ---- GDT and page tables ---- */

static void test_tables(void)
{
	const uint64_t *pml4, *pdpt, *pd, *gdt;
	struct gmem tiny;

	wipe(&gm128);
	memset(gmem_slice(&gm128, X86_PML4_ADDR, 0x1000), 0xab, 0x1000);
	CHECK(boot_setup_x86_tables(&gm128) == 0);
	pml4 = gmem_slice(&gm128, X86_PML4_ADDR, 0x1000);
	pdpt = gmem_slice(&gm128, X86_PDPT_ADDR, 0x1000);
	pd = gmem_slice(&gm128, X86_PD_ADDR, 0x4000);
	gdt = gmem_slice(&gm128, X86_BOOT_GDT_ADDR, 5 * 8);
	CHECK_EQ(pml4[0], X86_PDPT_ADDR | 3);
	for (unsigned i = 1; i < 512; i++)
		if (pml4[i]) {
			CHECK_EQ(pml4[i], 0);
			break;
		}
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(pdpt[i], (X86_PD_ADDR + i * 0x1000) | 3);
	CHECK_EQ(pdpt[4], 0);
	for (uint64_t i = 0; i < 2048; i++)
		if (pd[i] != ((i << 21) | 0x83)) {  /* present, writable, 2 MiB page */
			CHECK_EQ(pd[i], (i << 21) | 0x83);
			break;
		}
	CHECK_EQ(pd[2047] & ~0xfffULL, 4 * GiB - 2 * MiB);
	CHECK_EQ(gdt[0], 0);
	CHECK_EQ(gdt[1], 0x00af9b000000ffffULL);  /* 64-bit code: L=1, P, DPL 0 */
	CHECK_EQ(gdt[2], 0x00cf93000000ffffULL);  /* data */
	CHECK_EQ(gdt[3], 0x008f8b000000ffffULL);  /* busy TSS */
	CHECK_EQ(gdt[4], 0x00cf9b000000ffffULL);  /* 32-bit code: D=1 */
	CHECK_EQ(*(const uint64_t *)gmem_slice(&gm128, X86_BOOT_IDT_ADDR, 8), 0);

	/* a guest too small for the page directory */
	new_guest(&tiny, 0xc000, X86_MMIO_HOLE_START);
	CHECK(boot_setup_x86_tables(&tiny) == -EFAULT);
	gmem_destroy(&tiny);
}

/* ---- fuzz seeds ---- */

static int write_file(const char *dir, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static int write_seeds(const char *bzdir, const char *pvhdir)
{
	struct synth_bz p = synth_bz_default();
	int r = 0;
	size_t len;

	r |= write_file(bzdir, "valid-2.15", img, synth_bzimage(img, sizeof(img), &p));
	p.protocol = 0x020c;
	p.setup_sects = 0;
	r |= write_file(bzdir, "valid-2.12-setup-sects-0", img, synth_bzimage(img, sizeof(img), &p));
	p = synth_bz_default();
	p.initrd_addr_max = 0x1ffffff;
	p.cmdline_size = 16;
	p.payload_size = 600;
	r |= write_file(bzdir, "valid-low-initrd-max-short-cmdline", img, synth_bzimage(img, sizeof(img), &p));
	p = synth_bz_default();
	p.init_size = 63u << 20;
	r |= write_file(bzdir, "valid-big-init-size", img, synth_bzimage(img, sizeof(img), &p));
	p = synth_bz_default();
	p.protocol = 0x020b;
	r |= write_file(bzdir, "bad-old-protocol", img, synth_bzimage(img, sizeof(img), &p));
	p = synth_bz_default();
	p.header_len = 0x20;
	r |= write_file(bzdir, "bad-short-header", img, synth_bzimage(img, sizeof(img), &p));
	p = synth_bz_default();
	p.payload_size = 64;
	len = synth_bzimage(img, sizeof(img), &p);
	r |= write_file(bzdir, "bad-truncated-payload", img, len - 10);

	len = synth_elf(img, sizeof(img));
	r |= write_file(pvhdir, "valid", img, len);
	synth_elf_phdr(img, 2)->p_filesz = 0;
	synth_elf_phdr(img, 2)->p_paddr = 62 << 20;
	synth_elf_phdr(img, 2)->p_memsz = 1 << 20;
	r |= write_file(pvhdir, "valid-bss-only-high", img, len);
	len = synth_elf(img, sizeof(img));
	synth_elf_phdr(img, 0)->p_type = PT_NULL;
	r |= write_file(pvhdir, "bad-no-note", img, len);
	len = synth_elf(img, sizeof(img));
	synth_put32(img + SYNTH_ELF_NOTE_OFF + 28, 0xfffffffd);
	r |= write_file(pvhdir, "bad-note-descsz", img, len);
	len = synth_elf(img, sizeof(img));
	synth_elf_phdr(img, 1)->p_paddr = 0x80000;
	r |= write_file(pvhdir, "bad-segment-low", img, len);
	len = synth_elf(img, sizeof(img));
	r |= write_file(pvhdir, "bad-truncated", img, 0x700);
	return r;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2], argv[3]);

	new_guest(&gm128, 128 * MiB, X86_MMIO_HOLE_START);
	new_guest(&gm_hole, 4 * GiB + 512 * MiB, 3 * GiB);

	test_memmap();
	test_bzimage_load(&gm128, 0x7fffffff, 0x020f);
	test_bzimage_load(&gm128, 0x1ffffff, 0x020f);     /* initrd_addr_max below RAM's end */
	test_bzimage_load(&gm128, 0x7fffffff, 0x020d);    /* 2.13: no acpi_rsdp_addr */
	test_bzimage_load(&gm_hole, 0x7fffffff, 0x020f);  /* initrd below 2 GiB */
	test_bzimage_load(&gm_hole, 0xffffffff, 0x020f);  /* initrd below the hole */
	test_bzimage_no_initrd();
	test_bzimage_truncated();
	test_bzimage_malformed();
	test_bzimage_limits();
	test_pvh_load(&gm128);
	test_pvh_load(&gm_hole);
	test_pvh_truncated();
	test_pvh_malformed();
	test_tables();

	gmem_destroy(&gm128);
	gmem_destroy(&gm_hole);
	return check_summary("test-boot");
}
