/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Thin typed wrappers over the KVM ioctls skiff uses. They return 0 (or a
 * non-negative value) or -errno, and never log: callers decide what an
 * error means. Every raw ioctl() of the VMM lives in kvm.c and the
 * per-architecture kvm_x86.c / kvm_arm64.c (their own headers).
 */
#ifndef SKIFF_KVM_H
#define SKIFF_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

int kvm_open(int *ret_fd);
int kvm_check_extension(int kvm_fd, long cap);
int kvm_vcpu_mmap_size(int kvm_fd);
int kvm_create_vm(int kvm_fd, int *ret_fd);
int kvm_create_irqchip(int vm_fd);
int kvm_set_user_memory_region(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *host);
int kvm_irq_line(int vm_fd, uint32_t gsi, int level);
/* Inject one MSI: >0 delivered, 0 blocked by the guest (masked, no such APIC), or -errno. */
int kvm_signal_msi(int vm_fd, uint64_t addr, uint32_t data);
int kvm_create_vcpu(int vm_fd, unsigned long id, int *ret_fd);
int kvm_run(int vcpu_fd);
int kvm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing *routing);
int kvm_irqfd(int vm_fd, int efd, uint32_t gsi, bool deassign);
/* A level irqfd: efd asserts gsi, the guest's EOI deasserts it and signals resample_efd. */
int kvm_irqfd_resample(int vm_fd, int efd, int resample_efd, uint32_t gsi, bool deassign);
int kvm_ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int64_t datamatch, int efd, bool deassign);

#endif
