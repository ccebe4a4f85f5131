// SPDX-License-Identifier: Apache-2.0
/*
 * The stub device tree of an ACPI boot: a root with only /chosen, as the
 * Linux EFI stub hands one to the kernel. /chosen carries the command
 * line, the initrd and the EFI handoff (drivers/firmware/efi/fdtparams.c
 * reads linux,uefi-system-table, -mmap-start, -mmap-size, -mmap-desc-size,
 * -mmap-desc-ver and -secure-boot, and takes none unless all are there). A tree with nothing but /chosen is what makes arm64
 * Linux pick ACPI over DT on its own (no acpi=force needed).
 */
#include <errno.h>
#include <string.h>

#include "core.h"
#include "dt-priv.h"

static void u64_prop(struct dtw *w, const char *name, uint64_t v)
{
	fdt64_t be = cpu_to_fdt64(v);

	dtw_prop(w, name, &be, sizeof(be));
}

int dt_build_efi_stub(const struct dt_efi_stub *p, void *buf, size_t size, size_t *len)
{
	struct dtw w;

	if (!p->systab || !p->mmap_start || !p->mmap_size || !p->desc_size ||
	    (p->initrd.size && p->initrd.base > UINT64_MAX - p->initrd.size))
		return -EINVAL;
	dtw_start(&w, buf, size);
	dtw_begin(&w, "");
	dtw_u32(&w, "#address-cells", 2);
	dtw_u32(&w, "#size-cells", 2);
	dtw_begin(&w, "chosen");
	if (p->bootargs)
		dtw_str(&w, "bootargs", p->bootargs);
	if (p->initrd.size) {
		u64_prop(&w, "linux,initrd-start", p->initrd.base);
		u64_prop(&w, "linux,initrd-end", p->initrd.base + p->initrd.size);
	}
	u64_prop(&w, "linux,uefi-system-table", p->systab);
	u64_prop(&w, "linux,uefi-mmap-start", p->mmap_start);
	dtw_u32(&w, "linux,uefi-mmap-size", p->mmap_size);
	dtw_u32(&w, "linux,uefi-mmap-desc-size", p->desc_size);
	dtw_u32(&w, "linux,uefi-mmap-desc-ver", p->desc_version);
	/* Required by Linux 6.x+ too (fdtparams.c); efi_secureboot_mode_disabled. */
	dtw_u32(&w, "linux,uefi-secure-boot", DT_EFI_SECURE_BOOT_DISABLED);
	dtw_end(&w);
	dtw_end(&w);
	return dtw_finish(&w, len);
}
