/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SKIFF_VMM_PRIV_H
#define SKIFF_VMM_PRIV_H

#include <stdbool.h>

#include "kvm_x86.h"
#include "vm.h"

/* cpuid.c */
void cpuid_sanitize_xsave(struct kvm_cpuid2 *cpuid);
void cpuid_hide_xsave(struct kvm_cpuid2 *cpuid);
/* Clear CPUID.1:ECX.TSC_DEADLINE: the guest falls back to the APIC one-shot timer. */
void cpuid_hide_tsc_deadline(struct kvm_cpuid2 *cpuid);

/* xsave_probe.c: what KVM sees of a guest; both false under broken nesting. */
struct kvm_probe_result {
	bool xsetbv_seen;          /* KVM tracked the guest's XCR0 */
	bool tsc_offset_applied;   /* the guest's RDTSC agrees with KVM's TSC for it */
};
int kvm_probe_guest_view(int kvm_fd, const struct kvm_cpuid2 *cpuid, size_t run_size, struct kvm_probe_result *res);
void cpuid_patch_for_vcpu(struct kvm_cpuid2 *cpuid, unsigned index, unsigned nr_cpus, bool smt);

/* cpu_x86.c: architectural state of a vCPU before it first runs. */
int x86_vcpu_init(int vcpu_fd, const struct kvm_cpuid2 *supported, unsigned index,
		  unsigned nr_cpus, bool smt, const char **ret_step);
int x86_vcpu_set_boot_state(int vcpu_fd, const struct boot_entry *entry);

#endif
