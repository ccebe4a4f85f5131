/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object, shared by vm.c (construction) and run.c (execution). */
#ifndef SKIFF_VM_INTERNAL_H
#define SKIFF_VM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "devices.h"
#include "vmm-priv.h"

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

struct mapped_file {
	const uint8_t *data;
	size_t len;
};

struct vm {
	const struct skiff_config *cfg;
	int kvm_fd, vm_fd;
	struct gmem mem;
	struct bus pio, mmio;
	struct kvm_cpuid2 *cpuid;
	size_t run_size;
	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct boot_entry entry;
	struct mapped_file kernel, initrd;

	struct serial8250 com1;
	bool com1_ready;
	int serial_file_fd;
	struct i8042 i8042;
	struct pvpanic pvpanic;
	struct acpi_pm pm;
	struct cmos_rtc rtc;
	bool rtc_ready;

	/* Stopping: the first reason wins; stop_efd wakes the main loop. */
	pthread_mutex_t stop_lock;
	atomic_bool stopping;
	enum vm_stop_reason stop_reason;
	int stop_efd;

	/* Console escape (Ctrl-A x) state, main thread only. */
	bool escape_pending;
};

void vm_request_stop(void *opaque, enum vm_stop_reason reason);

#endif
