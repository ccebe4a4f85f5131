/* SPDX-License-Identifier: Apache-2.0 */
/* The x86-only KVM ioctls (kvm_x86.c); same conventions as kvm.h. */
#ifndef SKIFF_KVM_X86_H
#define SKIFF_KVM_X86_H

#include "kvm.h"

int kvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **ret);
int kvm_set_tss_addr(int vm_fd, uint64_t addr);
int kvm_set_identity_map_addr(int vm_fd, uint64_t addr);
int kvm_create_pit2(int vm_fd);
int kvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid2 *cpuid);
int kvm_get_regs(int vcpu_fd, struct kvm_regs *regs);
int kvm_set_regs(int vcpu_fd, const struct kvm_regs *regs);
int kvm_get_sregs(int vcpu_fd, struct kvm_sregs *sregs);
int kvm_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs);
int kvm_set_fpu(int vcpu_fd, const struct kvm_fpu *fpu);
int kvm_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs);
/* Returns the number of MSRs read (as KVM does), or -errno. */
int kvm_get_msrs(int vcpu_fd, struct kvm_msrs *msrs);
/* The vCPU's TSC frequency in kHz, or -errno. */
int kvm_vcpu_tsc_khz(int vcpu_fd);
int kvm_get_lapic(int vcpu_fd, struct kvm_lapic_state *lapic);
int kvm_set_lapic(int vcpu_fd, const struct kvm_lapic_state *lapic);
int kvm_get_xcrs(int vcpu_fd, struct kvm_xcrs *xcrs);

#endif
