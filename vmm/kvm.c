// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm-priv.h"
#include "kvm.h"

int kvm_ioctl(int fd, unsigned long req, const void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR && req != KVM_RUN);
	return r < 0 ? -errno : r;
}

static int xioctl_fd(int fd, unsigned long req, unsigned long arg, int *ret_fd)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		return -errno;
	*ret_fd = r;
	return 0;
}

int kvm_open(int *ret_fd)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int kvm_check_extension(int kvm_fd, long cap)
{
	return kvm_ioctl(kvm_fd, KVM_CHECK_EXTENSION, (void *)cap);
}

int kvm_vcpu_mmap_size(int kvm_fd)
{
	return kvm_ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
}

int kvm_create_vm(int kvm_fd, int *ret_fd)
{
	return xioctl_fd(kvm_fd, KVM_CREATE_VM, 0, ret_fd);
}

int kvm_create_irqchip(int vm_fd)
{
	return kvm_ioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL);
}

int kvm_set_user_memory_region(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return kvm_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

int kvm_irq_line(int vm_fd, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return kvm_ioctl(vm_fd, KVM_IRQ_LINE, &irq);
}

int kvm_signal_msi(int vm_fd, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data };

	return kvm_ioctl(vm_fd, KVM_SIGNAL_MSI, &msi);
}

int kvm_create_vcpu(int vm_fd, unsigned long id, int *ret_fd)
{
	return xioctl_fd(vm_fd, KVM_CREATE_VCPU, id, ret_fd);
}

int kvm_run(int vcpu_fd)
{
	return kvm_ioctl(vcpu_fd, KVM_RUN, NULL);
}

int kvm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing *routing)
{
	return kvm_ioctl(vm_fd, KVM_SET_GSI_ROUTING, routing);
}

int kvm_irqfd(int vm_fd, int efd, uint32_t gsi, bool deassign)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)efd,
		.gsi = gsi,
		.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0,
	};

	return kvm_ioctl(vm_fd, KVM_IRQFD, &irqfd);
}

int kvm_irqfd_resample(int vm_fd, int efd, int resample_efd, uint32_t gsi, bool deassign)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)efd,
		.gsi = gsi,
		.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : KVM_IRQFD_FLAG_RESAMPLE,
		.resamplefd = deassign ? 0 : (uint32_t)resample_efd,
	};

	return kvm_ioctl(vm_fd, KVM_IRQFD, &irqfd);
}

int kvm_ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int64_t datamatch, int efd, bool deassign)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch < 0 ? 0 : (uint64_t)datamatch,
		.addr = addr,
		.len = len,
		.fd = efd,
		.flags = (datamatch >= 0 ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
			 (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
	};

	return kvm_ioctl(vm_fd, KVM_IOEVENTFD, &io);
}
