// SPDX-License-Identifier: Apache-2.0
/* The arm64-only KVM ioctls: vCPU init, one-reg access, in-kernel devices (vGIC, ITS). */
#include "kvm-priv.h"
#include "kvm_arm64.h"

int kvm_arm_preferred_target(int vm_fd, struct kvm_vcpu_init *init)
{
	return kvm_ioctl(vm_fd, KVM_ARM_PREFERRED_TARGET, init);
}

int kvm_arm_vcpu_init(int vcpu_fd, const struct kvm_vcpu_init *init)
{
	return kvm_ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, init);
}

int kvm_set_one_reg(int vcpu_fd, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&value };

	return kvm_ioctl(vcpu_fd, KVM_SET_ONE_REG, &reg);
}

int kvm_get_one_reg(int vcpu_fd, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)value };

	return kvm_ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg);
}

int kvm_create_device(int vm_fd, uint32_t type, int *ret_fd)
{
	struct kvm_create_device dev = { .type = type };
	int r = kvm_ioctl(vm_fd, KVM_CREATE_DEVICE, &dev);

	if (r < 0)
		return r;
	*ret_fd = (int)dev.fd;
	return 0;
}

int kvm_device_set_attr(int dev_fd, uint32_t group, uint64_t attr, const void *value)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)value };

	return kvm_ioctl(dev_fd, KVM_SET_DEVICE_ATTR, &a);
}

int kvm_device_has_attr(int dev_fd, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr };

	return kvm_ioctl(dev_fd, KVM_HAS_DEVICE_ATTR, &a);
}

int kvm_signal_msi_devid(int vm_fd, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data,
		.flags = KVM_MSI_VALID_DEVID, .devid = devid,
	};

	return kvm_ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);
}
