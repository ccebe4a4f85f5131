// SPDX-License-Identifier: Apache-2.0
/* The GDT and identity page tables the boot vCPU starts with. */
#include <errno.h>
#include <string.h>

#include "boot.h"
#include "layout.h"

int boot_setup_x86_tables(const struct gmem *gm)
{
	/* null, 64-bit code (0x08), data (0x10), TSS (0x18), 32-bit code (0x20) */
	static const uint64_t gdt[] = {
		0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL, 0x008f8b000000ffffULL,
		0x00cf9b000000ffffULL,
	};
	uint64_t *pml4 = gmem_slice(gm, X86_PML4_ADDR, 0x1000);
	uint64_t *pdpt = gmem_slice(gm, X86_PDPT_ADDR, 0x1000);
	uint64_t *pd = gmem_slice(gm, X86_PD_ADDR, 4 * 0x1000);
	uint64_t idt = 0;

	_Static_assert(X86_BOOT_GDT_ADDR + sizeof(gdt) <= X86_BOOT_IDT_ADDR, "GDT overlaps IDT");
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	if (gmem_write(gm, X86_BOOT_GDT_ADDR, gdt, sizeof(gdt)) ||
	    gmem_write(gm, X86_BOOT_IDT_ADDR, &idt, sizeof(idt)))
		return -EFAULT;
	/* Identity-map 4 GiB with 2 MiB pages: covers the kernel, zero page, command line and initrd. */
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = X86_PDPT_ADDR | 0x3;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (X86_PD_ADDR + i * 0x1000) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;
	return 0;
}
