// SPDX-License-Identifier: Apache-2.0
/*
 * Does KVM see what the guest does? Two things nested set-ups get wrong.
 *
 * 1. The guest's XSETBV.
 *
 * KVM keeps its own copy of each vCPU's XCR0, learnt by intercepting
 * XSETBV, and loads it on every guest entry. Under some nested set-ups
 * (KVM inside a software-emulated SVM guest, as in our lab) the intercept
 * never fires: the guest enables AVX, KVM still thinks XCR0 = x87 and
 * restores that on the next entry, and the guest's XRSTOR of its own
 * signal frames faults ("bad frame in rt_sigreturn"), killing init.
 *
 * The probe runs four instructions in a throw-away VM — XSETBV(XCR0 = 3)
 * then OUT — and asks KVM what it thinks XCR0 is. If KVM missed it, the
 * caller hides XSAVE from the guest so it uses FXSAVE, which needs no XCR0.
 *
 * 2. The guest's TSC. KVM gives each VM a TSC offset and converts the
 * guest's TSC-deadline timer writes with it. In the same lab the guest's
 * RDTSC returns the host's TSC without the offset, so every deadline
 * looks (host uptime) too far away to KVM: Linux's timer interrupts
 * stop, sleeps and I/O timeouts last seconds to minutes longer. The probe
 * reads the TSC in the guest and KVM's idea of it (IA32_TSC) right after;
 * if they disagree by more than a quarter second, the caller hides the
 * TSC-deadline timer and the guest uses the local APIC's one-shot timer,
 * which counts in KVM and does not depend on the offset.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-priv.h"

#define X86_CR4_OSXSAVE (1ULL << 18)
#define MSR_IA32_TSC    0x10
#define PROBE_TSC_SLACK_MS 250  /* exit latency is microseconds; the broken offset is seconds */

static const uint8_t probe_code[] = {
	0x66, 0xb8, 0x03, 0x00, 0x00, 0x00, /* mov eax, 3 (x87 | SSE) */
	0x66, 0x31, 0xd2,                   /* xor edx, edx */
	0x66, 0x31, 0xc9,                   /* xor ecx, ecx (XCR0) */
	0x0f, 0x01, 0xd1,                   /* xsetbv */
	0x0f, 0x31,                         /* rdtsc (edx:eax) */
	0xe6, 0x10,                         /* out 0x10, al */
	0xf4,                               /* hlt */
};

/* The guest's TSC (regs after RDTSC) against KVM's view of it, read just after. */
static int probe_tsc(int vcpu_fd, bool *ret_ok)
{
	struct { struct kvm_msrs hdr; struct kvm_msr_entry e; } m = {
		.hdr.nmsrs = 1, .e.index = MSR_IA32_TSC,
	};
	struct kvm_regs regs;
	uint64_t guest, khz, skew;
	int r = kvm_get_msrs(vcpu_fd, &m.hdr);

	if (r != 1)
		return r < 0 ? r : -EIO;
	r = kvm_get_regs(vcpu_fd, &regs);
	if (r)
		return r;
	guest = (regs.rdx & 0xffffffffULL) << 32 | (regs.rax & 0xffffffffULL);
	r = kvm_vcpu_tsc_khz(vcpu_fd);
	khz = r > 0 ? (uint64_t)r : 1000000;  /* unknown: assume 1 GHz */
	skew = m.e.data > guest ? m.e.data - guest : guest - m.e.data;
	*ret_ok = skew <= khz * PROBE_TSC_SLACK_MS;
	if (!*ret_ok)
		log_debug("probe: guest TSC %llu, KVM's view %llu (%llu ms apart)", (unsigned long long)guest,
			  (unsigned long long)m.e.data, (unsigned long long)(skew / khz));
	return 0;
}

static int probe_run(int kvm_fd, int vm_fd, const struct kvm_cpuid2 *cpuid, size_t run_size,
		     uint8_t *mem, struct kvm_probe_result *res)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rflags = 2, .rip = 0 };
	struct kvm_xcrs xcrs;
	struct kvm_run *run;
	int vcpu_fd, r;

	(void)kvm_fd;
	memcpy(mem, probe_code, sizeof(probe_code));
	r = kvm_set_user_memory_region(vm_fd, 0, 0, 0x1000, mem);
	if (!r)
		r = kvm_create_vcpu(vm_fd, 0, &vcpu_fd);
	if (r)
		return r;
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	if (run == MAP_FAILED) {
		r = -errno;
		goto out_close;
	}
	r = kvm_set_cpuid2(vcpu_fd, cpuid);
	if (!r)
		r = kvm_get_sregs(vcpu_fd, &sregs);
	if (r)
		goto out_unmap;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.cr4 |= X86_CR4_OSXSAVE;
	r = kvm_set_sregs(vcpu_fd, &sregs);
	if (!r)
		r = kvm_set_regs(vcpu_fd, &regs);
	if (!r)
		r = kvm_run(vcpu_fd);
	if (!r && (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10))
		r = -EIO;
	if (!r)
		r = probe_tsc(vcpu_fd, &res->tsc_offset_applied);
	if (!r)
		r = kvm_get_xcrs(vcpu_fd, &xcrs);
	if (!r) {
		res->xsetbv_seen = false;
		for (unsigned i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
			if (xcrs.xcrs[i].xcr == 0)
				res->xsetbv_seen = (xcrs.xcrs[i].value & 3) == 3;
	}
out_unmap:
	munmap(run, run_size);
out_close:
	close(vcpu_fd);
	return r;
}

int kvm_probe_guest_view(int kvm_fd, const struct kvm_cpuid2 *cpuid, size_t run_size, struct kvm_probe_result *res)
{
	uint8_t *mem;
	int vm_fd, r;

	r = kvm_create_vm(kvm_fd, &vm_fd);
	if (r)
		return r;
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		r = -errno;
	} else {
		r = probe_run(kvm_fd, vm_fd, cpuid, run_size, mem, res);
		munmap(mem, 0x1000);
	}
	close(vm_fd);
	return r;
}
