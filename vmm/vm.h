/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The KVM virtual machine (x86_64 or aarch64): guest RAM, the in-kernel
 * irqchip, the platform devices, the boot vCPU state, and the threads that
 * run it.
 */
#ifndef SKIFF_VM_H
#define SKIFF_VM_H

#include <stdbool.h>
#include <stddef.h>

#include "boot.h"
#include "config.h"
#include "core.h"

struct vm;

struct vm_error {
	char msg[512];
	bool is_config;   /* the user's input is at fault (exit 2), not the host (exit 1) */
};

/* Build the VM from a parsed config, loading kernel and initrd. */
int vm_create(const struct skiff_config *cfg, struct vm **ret, struct vm_error *err);
/* Run until the guest or a signal stops it. */
int vm_run(struct vm *vm, enum vm_stop_reason *ret_reason);
void vm_destroy(struct vm *vm);
/*
 * `--dump-dtb FILE`: the device tree an aarch64 VM of cfg gets, built
 * without KVM; on x86_64 a usage error (x86 guests get ACPI tables).
 */
int vm_dump_dtb(const struct skiff_config *cfg, const char *path, struct vm_error *err);
/* Write the guest's ACPI tables to DIR/<SIG>.dat (the VM need not run). */
int vm_dump_acpi(const struct vm *vm, const char *dir);
/* `skiff plan ARGS` (argv[0] = "plan"): exit status 0, 1 host failure, 2 usage/config/no iommufd. */
int skiff_plan_main(int argc, char **argv);

/* Whether this host's /dev/kvm can run a standard Linux guest; if not, why. */
bool host_kvm_usable(char *why, size_t whylen);

#endif
