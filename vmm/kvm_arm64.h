/* SPDX-License-Identifier: Apache-2.0 */
/* The arm64-only KVM ioctls (kvm_arm64.c); same conventions as kvm.h. */
#ifndef SKIFF_KVM_ARM64_H
#define SKIFF_KVM_ARM64_H

#include "kvm.h"

int kvm_arm_preferred_target(int vm_fd, struct kvm_vcpu_init *init);
int kvm_arm_vcpu_init(int vcpu_fd, const struct kvm_vcpu_init *init);
int kvm_set_one_reg(int vcpu_fd, uint64_t id, uint64_t value);
int kvm_get_one_reg(int vcpu_fd, uint64_t id, uint64_t *value);
/* An in-kernel device (KVM_DEV_TYPE_*): its fd in *ret_fd. */
int kvm_create_device(int vm_fd, uint32_t type, int *ret_fd);
/* KVM_SET_DEVICE_ATTR: value points at what the attribute takes (NULL for control attributes). */
int kvm_device_set_attr(int dev_fd, uint32_t group, uint64_t attr, const void *value);
/* 0 if the device supports the attribute, else -errno (KVM_HAS_DEVICE_ATTR). */
int kvm_device_has_attr(int dev_fd, uint32_t group, uint64_t attr);
/* KVM_SIGNAL_MSI through the ITS: devid is the requester ID. >0 delivered, 0 blocked, or -errno. */
int kvm_signal_msi_devid(int vm_fd, uint64_t addr, uint32_t data, uint32_t devid);

#endif
