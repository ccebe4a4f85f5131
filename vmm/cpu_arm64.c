// SPDX-License-Identifier: Apache-2.0
/*
 * An arm64 vCPU before it first runs. KVM emulates PSCI 0.2 and later for
 * us: CPU_ON starts a powered-off secondary at the entry point the guest
 * gives, SYSTEM_OFF and SYSTEM_RESET become KVM_EXIT_SYSTEM_EVENT. So only
 * the boot vCPU gets registers, the ones the arm64 boot protocol asks for:
 * x0 = the DTB's address, x1-x3 = 0, PC = the Image's first byte, EL1h
 * with D, A, I and F masked (MMU and caches are off after reset).
 */
#include <stddef.h>

#include "kvm_arm64.h"
#include "vm_arm64.h"

#define CORE_REG(field) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

#define PSTATE_EL1H 0x5u
#define PSTATE_DAIF (0xfu << 6)

int arm64_vcpu_init(int vm_fd, int vcpu_fd, unsigned index, const char **ret_step)
{
	struct kvm_vcpu_init init = { 0 };
	int r;

	*ret_step = "KVM_ARM_PREFERRED_TARGET";
	r = kvm_arm_preferred_target(vm_fd, &init);
	if (r)
		return r;
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (index > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	*ret_step = "KVM_ARM_VCPU_INIT";
	return kvm_arm_vcpu_init(vcpu_fd, &init);
}

int arm64_vcpu_set_boot_state(int vcpu_fd, uint64_t pc, uint64_t dtb_gpa)
{
	int r = kvm_set_one_reg(vcpu_fd, CORE_REG(regs.pstate), PSTATE_EL1H | PSTATE_DAIF);

	for (unsigned i = 0; !r && i < 4; i++)
		r = kvm_set_one_reg(vcpu_fd, CORE_REG(regs.regs[i]), i == 0 ? dtb_gpa : 0);
	if (!r)
		r = kvm_set_one_reg(vcpu_fd, CORE_REG(regs.pc), pc);
	return r;
}
