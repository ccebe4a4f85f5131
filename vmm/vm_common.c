// SPDX-License-Identifier: Apache-2.0
/*
 * What both architectures' VM construction shares: the VM's allocation and
 * stop machinery, vCPU creation (the architecture initialises each vCPU),
 * the teardown of both, stop requests, mapping the boot images.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vm-internal.h"

int vm_open_kvm(struct vm *vm, const long *caps, unsigned nr_caps, const char *missing, const char *no_kvm_hint,
		struct vm_error *err)
{
	int r = kvm_open(&vm->kvm_fd);

	if (r == -ENOENT)
		return vm_fail(err, false, "/dev/kvm does not exist: this host has no KVM%s", no_kvm_hint);
	if (r == -EACCES)
		return vm_fail(err, false, "/dev/kvm: permission denied (run as root or join the kvm group)");
	if (r)
		return vm_fail(err, false, "/dev/kvm: %s", strerror(-r));
	for (unsigned i = 0; i < nr_caps; i++)
		if (kvm_check_extension(vm->kvm_fd, caps[i]) <= 0)
			return vm_fail(err, false, "KVM on this host lacks %s", missing);
	r = kvm_create_vm(vm->kvm_fd, &vm->vm_fd);
	if (r)
		return vm_fail(err, false, "cannot create a KVM VM: %s", strerror(-r));
	r = kvm_vcpu_mmap_size(vm->kvm_fd);
	if (r <= 0)
		return vm_fail(err, false, "KVM: vCPU mmap size: %s", strerror(-r));
	vm->run_size = (size_t)r;
	return 0;
}

struct vm *vm_alloc(const struct skiff_config *cfg, struct vm_error *err)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm) {
		(void)vm_fail(err, false, "out of memory");
		return NULL;
	}
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->serial_file_fd = vm->panic_timer_fd = vm->gic_fd = vm->its_fd = -1;
	vm->mem.memfd = -1;
	pthread_mutex_init(&vm->stop_lock, NULL);
	bus_init(&vm->pio);
	bus_init(&vm->mmio);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->panic_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->stop_efd < 0 || vm->panic_timer_fd < 0) {
		(void)vm_fail(err, false, "eventfd/timerfd: %s", strerror(errno));
		vm_free(vm);
		return NULL;
	}
	return vm;
}

int vm_create_vcpus(struct vm *vm, struct vm_error *err)
{
	unsigned n = vm->cfg->vcpu_count;
	int max = kvm_check_extension(vm->kvm_fd, KVM_CAP_MAX_VCPUS);

	if (max > 0 && n > (unsigned)max)
		return vm_fail(err, true, "%s: machine-config.vcpu_count: this host's KVM allows at most %d vCPUs, got %u",
			       vm->cfg->source, max, n);
	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return vm_fail(err, false, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		struct vcpu *v = &vm->vcpus[i];
		const char *step = "create";
		int r;

		v->vm = vm;
		v->index = i;
		v->fd = -1;
		r = kvm_create_vcpu(vm->vm_fd, i, &v->fd);
		if (!r) {
			v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
			if (v->run == MAP_FAILED) {
				v->run = NULL;
				r = -errno;
			}
		}
		vm->nr_vcpus = i + 1;
		if (!r)
			r = vm_arch_vcpu_init(vm, v, &step);
		if (r)
			return vm_fail(err, false, "vCPU %u: %s: %s", i, step, strerror(-r));
	}
	return 0;
}

void vm_destroy_vcpus(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
}

void vm_free(struct vm *vm)
{
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	if (vm->its_fd >= 0)
		close(vm->its_fd);
	if (vm->gic_fd >= 0)
		close(vm->gic_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	gmem_destroy(&vm->mem);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->serial_file_fd >= 0) {
		fsync(vm->serial_file_fd);
		close(vm->serial_file_fd);
	}
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->panic_timer_fd >= 0)
		close(vm->panic_timer_fd);
	pthread_mutex_destroy(&vm->stop_lock);
	free(vm);
}

void vm_request_stop(void *opaque, enum vm_stop_reason reason)
{
	struct vm *vm = opaque;
	uint64_t one = 1;

	pthread_mutex_lock(&vm->stop_lock);
	if (!atomic_load(&vm->stopping)) {
		/* After a pvpanic report, the reboot or halt that follows is the panic's. */
		if (vm->panic_reported && reason != VM_STOP_SIGNAL && reason != VM_STOP_ERROR)
			reason = VM_STOP_PANIC;
		vm->stop_reason = reason;
		atomic_store(&vm->stopping, true);
	}
	pthread_mutex_unlock(&vm->stop_lock);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		log_debug("vm: stop eventfd: %s", strerror(errno));
}

/* Map a whole file read-only; empty files are an error the caller names. */
int vm_map_file(const char *path, struct mapped_file *ret)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : st.st_size == 0 ? -ENODATA : -errno;

		close(fd);
		return r;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	ret->data = p;
	ret->len = (size_t)st.st_size;
	return 0;
}

void vm_unmap_file(struct mapped_file *f)
{
	if (f->data)
		munmap((void *)f->data, f->len);
	f->data = NULL;
}
