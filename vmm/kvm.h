/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Thin typed wrappers over the KVM ioctls skiff uses. They return 0 (or a
 * non-negative value) or -errno, and never log: callers decide what an
 * error means. Every raw ioctl() of the VMM lives in kvm.c.
 */
#ifndef SKIFF_KVM_H
#define SKIFF_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

int kvm_open(int *ret_fd);
int kvm_check_extension(int kvm_fd, long cap);
int kvm_vcpu_mmap_size(int kvm_fd);
int kvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **ret);
int kvm_create_vm(int kvm_fd, int *ret_fd);
int kvm_set_tss_addr(int vm_fd, uint64_t addr);
int kvm_set_identity_map_addr(int vm_fd, uint64_t addr);
int kvm_create_irqchip(int vm_fd);
int kvm_create_pit2(int vm_fd);
int kvm_set_user_memory_region(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *host);
int kvm_irq_line(int vm_fd, uint32_t gsi, int level);
/* Inject one MSI: >0 delivered, 0 blocked by the guest (masked, no such APIC), or -errno. */
int kvm_signal_msi(int vm_fd, uint64_t addr, uint32_t data);
int kvm_create_vcpu(int vm_fd, unsigned long id, int *ret_fd);
int kvm_run(int vcpu_fd);
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
int kvm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing *routing);
int kvm_irqfd(int vm_fd, int efd, uint32_t gsi, bool deassign);
/* A level irqfd: efd asserts gsi, the guest's EOI deasserts it and signals resample_efd. */
int kvm_irqfd_resample(int vm_fd, int efd, int resample_efd, uint32_t gsi, bool deassign);
int kvm_ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int64_t datamatch, int efd, bool deassign);

#endif
