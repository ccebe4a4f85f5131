// SPDX-License-Identifier: Apache-2.0
/* Registers, MSRs, FPU and local APIC of an x86 vCPU at power-on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "vmm-priv.h"

#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102

#define X86_CR0_PE  0x1ULL
#define X86_CR0_ET  0x10ULL
#define X86_CR0_PG  0x80000000ULL
#define X86_CR4_PAE 0x20ULL
#define EFER_LME    0x100ULL
#define EFER_LMA    0x400ULL

#define APIC_LVT0 0x350
#define APIC_LVT1 0x360
#define APIC_MODE_NMI    0x4
#define APIC_MODE_EXTINT 0x7

static int vcpu_set_msrs(int vcpu_fd)
{
	static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 }, { MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 }, { MSR_CSTAR, 0 }, { MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_IA32_MISC_ENABLE, 1 },             /* fast string operations */
		{ MSR_MTRR_DEF_TYPE, (1u << 11) | 6 },   /* MTRRs on, default write-back */
	};
	/* kvm_msrs ends in a flexible array: give it room for one entry. */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} one;

	/* One at a time: a host that lacks one of them must not cost us the others. */
	for (unsigned i = 0; i < ARRAY_SIZE(boot_msrs); i++) {
		memset(&one, 0, sizeof(one));
		one.hdr.nmsrs = 1;
		one.hdr.entries[0].index = boot_msrs[i].index;
		one.hdr.entries[0].data = boot_msrs[i].data;
		if (kvm_set_msrs(vcpu_fd, &one.hdr) != 1)
			log_debug("vcpu: MSR %#x not settable on this host", boot_msrs[i].index);
	}
	return 0;
}

static void lapic_set_lvt_mode(struct kvm_lapic_state *lapic, unsigned reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &lapic->regs[reg], 4);
	v = (v & ~0x700u) | mode << 8;
	memcpy(&lapic->regs[reg], &v, 4);
}

int x86_vcpu_init(int vcpu_fd, const struct kvm_cpuid2 *supported, unsigned index, unsigned nr_cpus,
		  bool smt, const char **ret_step)
{
	size_t size = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *cpuid = malloc(size);
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	struct kvm_lapic_state lapic;
	int r;

	if (!cpuid)
		return -ENOMEM;
	memcpy(cpuid, supported, size);
	cpuid_patch_for_vcpu(cpuid, index, nr_cpus, smt);
	if (index == 0 && log_enabled(LOG_DEBUG))
		for (unsigned i = 0; i < cpuid->nent; i++) {
			const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

			log_debug("cpuid %#010x.%u: %08x %08x %08x %08x", e->function, e->index, e->eax,
				  e->ebx, e->ecx, e->edx);
		}
	*ret_step = "set CPUID";
	r = kvm_set_cpuid2(vcpu_fd, cpuid);
	free(cpuid);
	if (r)
		return r;
	*ret_step = "set MSRs";
	r = vcpu_set_msrs(vcpu_fd);
	if (r)
		return r;
	*ret_step = "set FPU state";
	r = kvm_set_fpu(vcpu_fd, &fpu);
	if (r)
		return r;
	/* LINT0 delivers the legacy PIC (ExtINT), LINT1 NMIs, as firmware would leave them. */
	*ret_step = "set up the local APIC";
	r = kvm_get_lapic(vcpu_fd, &lapic);
	if (r)
		return r;
	lapic_set_lvt_mode(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_lvt_mode(&lapic, APIC_LVT1, APIC_MODE_NMI);
	return kvm_set_lapic(vcpu_fd, &lapic);
}

static void seg_flat(struct kvm_segment *s, uint16_t selector, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64, .g = 1,
	};
}

int x86_vcpu_set_boot_state(int vcpu_fd, const struct boot_entry *entry)
{
	struct kvm_regs regs = { .rflags = 0x2, .rip = entry->rip };
	struct kvm_sregs sregs;
	bool long_mode = entry->mode == BOOT_ENTRY_LINUX64;
	int r;

	r = kvm_get_sregs(vcpu_fd, &sregs);
	if (r)
		return r;
	seg_flat(&sregs.cs, long_mode ? 0x08 : 0x20, 0xb, long_mode);
	seg_flat(&sregs.ds, 0x10, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){
		.base = 0, .limit = 0xfffff, .selector = 0x18, .type = 0xb, .present = 1,
	};
	sregs.gdt.base = X86_BOOT_GDT_ADDR;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = X86_BOOT_IDT_ADDR;
	sregs.idt.limit = 7;
	if (long_mode) {
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sregs.cr3 = X86_PML4_ADDR;
		sregs.cr4 = X86_CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
		regs.rsi = entry->param_gpa;
		regs.rsp = regs.rbp = X86_BOOT_STACK_ADDR;
	} else {
		/* PVH: 32-bit protected mode, paging off, EBX = hvm_start_info. */
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rbx = entry->param_gpa;
	}
	r = kvm_set_sregs(vcpu_fd, &sregs);
	return r ? r : kvm_set_regs(vcpu_fd, &regs);
}
