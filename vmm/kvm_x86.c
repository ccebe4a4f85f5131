// SPDX-License-Identifier: Apache-2.0
/* The x86-only KVM ioctls (CPUID, segment and MSR state, LAPIC, PIT). */
#include <errno.h>
#include <stdlib.h>

#include "kvm-priv.h"
#include "kvm_x86.h"

int kvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **ret)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		int r;

		if (!c)
			return -ENOMEM;
		c->nent = nent;
		r = kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (r >= 0) {
			*ret = c;
			return 0;
		}
		free(c);
		if (r != -E2BIG)
			return r;
	}
	return -E2BIG;
}

int kvm_set_tss_addr(int vm_fd, uint64_t addr)
{
	return kvm_ioctl(vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)addr);
}

int kvm_set_identity_map_addr(int vm_fd, uint64_t addr)
{
	return kvm_ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr);
}

int kvm_create_pit2(int vm_fd)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	return kvm_ioctl(vm_fd, KVM_CREATE_PIT2, &pit);
}

int kvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid2 *cpuid)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid);
}

int kvm_get_regs(int vcpu_fd, struct kvm_regs *regs)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_REGS, regs);
}

int kvm_set_regs(int vcpu_fd, const struct kvm_regs *regs)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_REGS, regs);
}

int kvm_get_sregs(int vcpu_fd, struct kvm_sregs *sregs)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_SREGS, sregs);
}

int kvm_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_SREGS, sregs);
}

int kvm_set_fpu(int vcpu_fd, const struct kvm_fpu *fpu)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_FPU, fpu);
}

int kvm_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_MSRS, msrs);
}

int kvm_get_msrs(int vcpu_fd, struct kvm_msrs *msrs)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_MSRS, msrs);
}

int kvm_vcpu_tsc_khz(int vcpu_fd)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_TSC_KHZ, NULL);
}

int kvm_get_lapic(int vcpu_fd, struct kvm_lapic_state *lapic)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_LAPIC, lapic);
}

int kvm_set_lapic(int vcpu_fd, const struct kvm_lapic_state *lapic)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_LAPIC, lapic);
}

int kvm_get_xcrs(int vcpu_fd, struct kvm_xcrs *xcrs)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_XCRS, xcrs);
}
