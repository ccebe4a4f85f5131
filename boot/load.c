// SPDX-License-Identifier: Apache-2.0
/* Placing kernel, initrd, command line and boot parameters in guest RAM. */
#include <errno.h>
#include <string.h>

#include "boot-priv.h"
#include "layout.h"

/* PVH start info (xen/include/public/arch-x86/hvm/start_info.h), version 1. */
#define PVH_START_MAGIC 0x336ec578u

struct pvh_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
_Static_assert(sizeof(struct pvh_start_info) == 56, "hvm_start_info layout");

struct pvh_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
_Static_assert(sizeof(struct pvh_modlist_entry) == 32, "hvm_modlist_entry layout");

struct pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "hvm_memmap_table_entry layout");
_Static_assert(X86_PVH_MEMMAP_ADDR + X86_E820_MAX * sizeof(struct pvh_memmap_entry) <= X86_ZERO_PAGE_ADDR,
	       "PVH memory map overlaps the zero page");

/* Packed as in boot_params.e820_table. */
struct bp_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct bp_e820_entry) == 20, "boot_e820_entry layout");

struct load_ctx {
	const struct gmem *gm;
	const struct boot_images *images;
	struct boot_memmap memmap;
	uint64_t low_end;       /* end of RAM below the MMIO hole */
	uint64_t kernel_end;    /* first byte after the loaded kernel */
	uint64_t initrd_gpa;
	char *err;
	size_t errlen;
};

static int load_cmdline(struct load_ctx *c, size_t max_len)
{
	const char *cmdline = c->images->cmdline ? c->images->cmdline : "";
	size_t len = strlen(cmdline);

	if (len > max_len || len >= X86_CMDLINE_MAX)
		return boot_fail(c->err, c->errlen, "kernel command line is %zu bytes; the kernel takes at most %zu",
				 len, max_len < X86_CMDLINE_MAX - 1 ? max_len : (size_t)X86_CMDLINE_MAX - 1);
	if (gmem_write(c->gm, X86_CMDLINE_ADDR, cmdline, len + 1))
		return boot_fail(c->err, c->errlen, "guest memory too small for the command line");
	return 0;
}

/* The initrd goes as high as allowed below limit, page-aligned, above the kernel. */
static int load_initrd(struct load_ctx *c, uint64_t limit)
{
	uint64_t len = c->images->initrd_len, top = limit < c->low_end ? limit : c->low_end, gpa;

	if (!c->images->initrd)
		return 0;
	if (len == 0)
		return boot_fail(c->err, c->errlen, "initrd is empty");
	if (len > top || ((top - len) & ~0xfffULL) < c->kernel_end)
		return boot_fail(c->err, c->errlen,
				 "initrd (%llu bytes) does not fit in guest memory between the kernel and %#llx",
				 (unsigned long long)len, (unsigned long long)top);
	gpa = (top - len) & ~0xfffULL;
	if (gmem_write(c->gm, gpa, c->images->initrd, len))
		return boot_fail(c->err, c->errlen, "initrd does not fit in guest memory");
	c->initrd_gpa = gpa;
	return 0;
}

static int load_bzimage(struct load_ctx *c, struct boot_entry *ret)
{
	const struct boot_images *im = c->images;
	struct bzimage_info info;
	uint8_t *zp;
	int r;

	r = bzimage_parse(im->kernel, im->kernel_len, &info, c->err, c->errlen);
	if (r)
		return r;
	c->kernel_end = X86_HIGH_MEM_START + info.init_size;
	if (c->kernel_end > c->low_end)
		return boot_fail(c->err, c->errlen, "guest memory is too small for this kernel (it needs %u MiB from 1 MiB)",
				 (info.init_size >> 20) + 1);
	if (gmem_write(c->gm, X86_HIGH_MEM_START, im->kernel + info.setup_size, info.payload_size))
		return boot_fail(c->err, c->errlen, "guest memory is too small for this kernel");
	r = load_cmdline(c, info.cmdline_size);
	if (!r)
		r = load_initrd(c, (uint64_t)info.initrd_addr_max + 1);
	if (r)
		return r;

	zp = gmem_slice(c->gm, X86_ZERO_PAGE_ADDR, BP_SIZE);
	if (!zp)
		return -EFAULT;
	memset(zp, 0, BP_SIZE);
	memcpy(zp + BP_SETUP_SECTS, im->kernel + BP_SETUP_SECTS, info.header_end - BP_SETUP_SECTS);
	zp[BP_TYPE_OF_LOADER] = 0xff;  /* "undefined" boot loader */
	zp[BP_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	memcpy(zp + BP_HEAP_END_PTR, &(uint32_t){ 0xfe00 }, 4);
	memcpy(zp + BP_CMD_LINE_PTR, &(uint32_t){ X86_CMDLINE_ADDR }, 4);
	memcpy(zp + BP_RAMDISK_IMAGE, &(uint32_t){ (uint32_t)c->initrd_gpa }, 4);
	memcpy(zp + BP_RAMDISK_SIZE, &(uint32_t){ c->initrd_gpa ? (uint32_t)im->initrd_len : 0 }, 4);
	if (info.protocol >= 0x020e)
		memcpy(zp + BP_ACPI_RSDP_ADDR, &im->rsdp_gpa, 8);
	zp[BP_E820_ENTRIES] = (uint8_t)c->memmap.nr;
	for (unsigned i = 0; i < c->memmap.nr; i++) {
		const struct boot_e820_entry *e = &c->memmap.entries[i];
		struct bp_e820_entry be = { e->addr, e->size, e->type };

		memcpy(zp + BP_E820_TABLE + i * sizeof(be), &be, sizeof(be));
	}
	/* The 64-bit entry sits 0x200 bytes into the protected-mode kernel. */
	*ret = (struct boot_entry){ BOOT_ENTRY_LINUX64, X86_HIGH_MEM_START + 0x200, X86_ZERO_PAGE_ADDR };
	return 0;
}

static int pvh_write_start_info(struct load_ctx *c)
{
	struct pvh_start_info si = {
		.magic = PVH_START_MAGIC,
		.version = 1,
		.cmdline_paddr = X86_CMDLINE_ADDR,
		.rsdp_paddr = c->images->rsdp_gpa,
		.memmap_paddr = X86_PVH_MEMMAP_ADDR,
		.memmap_entries = c->memmap.nr,
	};

	if (c->initrd_gpa) {
		struct pvh_modlist_entry mod = { c->initrd_gpa, c->images->initrd_len, 0, 0 };

		si.nr_modules = 1;
		si.modlist_paddr = X86_PVH_MODLIST_ADDR;
		if (gmem_write(c->gm, X86_PVH_MODLIST_ADDR, &mod, sizeof(mod)))
			return -EFAULT;
	}
	for (unsigned i = 0; i < c->memmap.nr; i++) {
		const struct boot_e820_entry *e = &c->memmap.entries[i];
		struct pvh_memmap_entry pe = { e->addr, e->size, e->type, 0 };

		if (gmem_write(c->gm, X86_PVH_MEMMAP_ADDR + i * sizeof(pe), &pe, sizeof(pe)))
			return -EFAULT;
	}
	return gmem_write(c->gm, X86_PVH_START_INFO_ADDR, &si, sizeof(si));
}

static int load_pvh(struct load_ctx *c, struct boot_entry *ret)
{
	const struct boot_images *im = c->images;
	struct pvh_info info;
	int r;

	r = pvh_parse(im->kernel, im->kernel_len, &info, c->err, c->errlen);
	if (r)
		return r;
	for (unsigned i = 0; i < info.nr_segments; i++) {
		const struct pvh_segment *s = &info.segments[i];
		uint8_t *dst;

		/* Below 1 MiB live our boot structures; above low_end there is no RAM. */
		if (s->paddr < X86_HIGH_MEM_START || s->paddr > c->low_end || s->memsz > c->low_end - s->paddr)
			return boot_fail(c->err, c->errlen,
					 "ELF segment at %#llx (%llu bytes) does not fit in guest RAM above 1 MiB",
					 (unsigned long long)s->paddr, (unsigned long long)s->memsz);
		dst = gmem_slice(c->gm, s->paddr, s->memsz);
		if (!dst)
			return -EFAULT;
		memcpy(dst, im->kernel + s->file_offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		if (s->paddr + s->memsz > c->kernel_end)
			c->kernel_end = s->paddr + s->memsz;
	}
	r = load_cmdline(c, X86_CMDLINE_MAX - 1);
	if (!r)
		r = load_initrd(c, X86_4G);
	if (r)
		return r;
	if (pvh_write_start_info(c))
		return boot_fail(c->err, c->errlen, "guest memory too small for the PVH start info");
	*ret = (struct boot_entry){ BOOT_ENTRY_PVH32, info.entry, X86_PVH_START_INFO_ADDR };
	return 0;
}

int boot_load_linux(const struct gmem *gm, const struct boot_images *images, struct boot_entry *ret,
		    char *err, size_t errlen)
{
	struct load_ctx c = { .gm = gm, .images = images, .err = err, .errlen = errlen };
	struct boot_entry entry;
	int r;

	if (boot_build_memmap(gm, &c.memmap))
		return boot_fail(err, errlen, "guest memory is too small to boot (need more than 1 MiB)");
	c.low_end = gm->regions[0].size;
	switch (kernel_detect_format(images->kernel, images->kernel_len)) {
	case KERNEL_BZIMAGE:
		r = load_bzimage(&c, &entry);
		break;
	case KERNEL_ELF:
		r = load_pvh(&c, &entry);
		break;
	default:
		return boot_fail(err, errlen, "kernel is neither a bzImage nor an ELF vmlinux");
	}
	if (r)
		return r;
	*ret = entry;
	return 0;
}
