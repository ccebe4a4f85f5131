// SPDX-License-Identifier: Apache-2.0
/*
 * Per-vCPU CPUID from KVM_GET_SUPPORTED_CPUID: APIC IDs and a topology
 * that agrees across leaves 1, 4, 0xb/0x1f (Intel) and 0x80000008/
 * 0x8000001e (AMD), and an XSAVE leaf 0xd that agrees with the feature
 * flags. KVM can offer an XSAVE component (AVX, say) in leaf 0xd while
 * the feature's own flag is clear (seen under nested emulation); Linux
 * then drops the component, finds the size KVM reports for the XCR0 it
 * set does not match its own sum ("XSAVE consistency problem") and
 * panics in fpu__init_system. So components whose feature is absent are
 * removed from leaf 0xd and its sizes recomputed from what remains.
 */
#include "vmm-priv.h"

#define CPUID_VENDOR_AMD_EBX   0x68747541u  /* "Auth" */
#define CPUID_VENDOR_HYGON_EBX 0x6f677948u  /* "Hygo" */

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

struct cpu_topology {
	unsigned apic_id, nr_cpus, threads_per_core, thread_shift, pkg_shift;
};

static void cpuid_topology_leaf(struct kvm_cpuid_entry2 *e, const struct cpu_topology *t)
{
	e->edx = t->apic_id;
	switch (e->index) {
	case 0:  /* SMT level */
		e->eax = t->thread_shift;
		e->ebx = t->threads_per_core;
		e->ecx = 0 | 1u << 8;
		break;
	case 1:  /* core level: everything in the package */
		e->eax = t->pkg_shift;
		e->ebx = t->nr_cpus;
		e->ecx = 1 | 2u << 8;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
	}
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

static bool cpuid_bit(struct kvm_cpuid2 *c, uint32_t fn, int reg, unsigned bit)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, 0);
	uint32_t regs[4];

	if (!e)
		return false;
	regs[0] = e->eax, regs[1] = e->ebx, regs[2] = e->ecx, regs[3] = e->edx;
	return regs[reg] >> bit & 1;
}

enum { EAX, EBX, ECX, EDX };

/* XSAVE components 2..18 and the CPUID flag that says the feature exists. */
static const struct { unsigned component; uint32_t fn; int reg; unsigned bit; } xsave_feature[] = {
	{ 2, 1, ECX, 28 },                               /* AVX: YMM upper halves */
	{ 3, 7, EBX, 14 }, { 4, 7, EBX, 14 },            /* MPX */
	{ 5, 7, EBX, 16 }, { 6, 7, EBX, 16 }, { 7, 7, EBX, 16 }, /* AVX-512 */
	{ 9, 7, ECX, 3 },                                /* PKRU */
	{ 17, 7, EDX, 24 }, { 18, 7, EDX, 24 },          /* AMX tile config/data */
};

void cpuid_sanitize_xsave(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *leaf0 = cpuid_find(c, 0xd, 0), *leaf1 = cpuid_find(c, 0xd, 1);
	/* Supervisor components (IA32_XSS, e.g. CET) are listed in subleaf 1, not in XCR0. */
	uint64_t xss = leaf1 ? (uint64_t)leaf1->edx << 32 | leaf1->ecx : 0;
	uint64_t mask;
	uint32_t size = 512 + 64;  /* legacy area and XSAVE header */

	if (!leaf0)
		return;
	mask = (uint64_t)leaf0->edx << 32 | leaf0->eax;
	for (unsigned i = 0; i < ARRAY_SIZE(xsave_feature); i++)
		if (!cpuid_bit(c, xsave_feature[i].fn, xsave_feature[i].reg, xsave_feature[i].bit))
			mask &= ~(1ULL << xsave_feature[i].component);
	for (unsigned i = 2; i < 64; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xd, i);

		if (!e)
			continue;
		if (!(mask >> i & 1)) {
			if (xss >> i & 1)
				continue;  /* no standard-format offset; not part of the XCR0 size */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			continue;
		}
		if (e->eax && e->ebx + e->eax > size)  /* eax = size, ebx = offset */
			size = e->ebx + e->eax;
	}
	leaf0->eax = (uint32_t)mask;
	leaf0->edx = (uint32_t)(mask >> 32);
	leaf0->ebx = size;  /* KVM keeps this in step with the guest's XCR0 from here on */
	leaf0->ecx = size;
}

static void cpuid_clear(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index, int reg, uint32_t bits)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, fn, index);

	if (!e)
		return;
	switch (reg) {
	case EAX: e->eax &= ~bits; break;
	case EBX: e->ebx &= ~bits; break;
	case ECX: e->ecx &= ~bits; break;
	default: e->edx &= ~bits; break;
	}
}

#define BIT(n) (1u << (n))

void cpuid_hide_tsc_deadline(struct kvm_cpuid2 *c)
{
	cpuid_clear(c, 1, 0, ECX, BIT(24));
}

void cpuid_hide_xsave(struct kvm_cpuid2 *c)
{
	/* XSAVE, OSXSAVE and everything whose state only XSAVE can hold. */
	cpuid_clear(c, 1, 0, ECX, BIT(12) | BIT(26) | BIT(27) | BIT(28) | BIT(29));  /* FMA XSAVE OSXSAVE AVX F16C */
	cpuid_clear(c, 7, 0, EBX, BIT(5) | BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) |
				       BIT(28) | BIT(30) | BIT(31));                  /* AVX2, AVX-512 */
	cpuid_clear(c, 7, 0, ECX, BIT(1) | BIT(3) | BIT(6) | BIT(8) | BIT(9) | BIT(10) | BIT(11) |
				       BIT(12) | BIT(14));                            /* AVX-512, PKU, VAES... */
	cpuid_clear(c, 7, 0, EDX, BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25));
	cpuid_clear(c, 7, 1, EAX, BIT(4) | BIT(5) | BIT(23));                         /* AVX-VNNI, BF16, IFMA */
	cpuid_clear(c, 0x80000001, 0, ECX, BIT(11) | BIT(16));                        /* XOP, FMA4 */
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 0xd)
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

void cpuid_patch_for_vcpu(struct kvm_cpuid2 *cpuid, unsigned index, unsigned nr_cpus, bool smt)
{
	struct cpu_topology t = { .apic_id = index, .nr_cpus = nr_cpus };
	bool amd = false;

	t.threads_per_core = (smt && nr_cpus % 2 == 0) ? 2 : 1;
	t.thread_shift = bits_for(t.threads_per_core);
	t.pkg_shift = bits_for(nr_cpus);
	if (t.pkg_shift < t.thread_shift)
		t.pkg_shift = t.thread_shift;

	cpuid_sanitize_xsave(cpuid);
	for (unsigned i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0)
			amd = cpuid->entries[i].ebx == CPUID_VENDOR_AMD_EBX ||
			      cpuid->entries[i].ebx == CPUID_VENDOR_HYGON_EBX;

	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* EBX[23:16] is 8 bits: 256 (129+ vCPUs) would spill into the APIC ID. */
			e->ebx = (e->ebx & 0xff00u) | t.apic_id << 24 |
				 (t.pkg_shift < 8 ? 1u << t.pkg_shift : 0xffu) << 16;
			e->ecx |= 1u << 31;  /* running under a hypervisor */
			if (nr_cpus > 1)
				e->edx |= 1u << 28;  /* HTT: the count in EBX[23:16] is valid */
			else
				e->edx &= ~(1u << 28);
			break;
		case 4:
			if (amd || (e->eax & 0x1f) == 0)
				break;
			/* cores per package - 1; logical CPUs sharing this cache - 1 */
			e->eax &= 0x3fff;
			e->eax |= ((1u << (t.pkg_shift - t.thread_shift)) - 1) << 26;
			e->eax |= (((e->eax >> 5 & 7) == 3 ? (1u << t.pkg_shift) : t.threads_per_core) - 1) << 14;
			break;
		case 0xb:
		case 0x1f:
			cpuid_topology_leaf(e, &t);
			break;
		case 0x80000001:
			if (amd && nr_cpus > 1)
				e->ecx |= 1u << 1;  /* CmpLegacy */
			break;
		case 0x80000008:
			if (amd)
				e->ecx = (e->ecx & ~0xf0ffu) | t.pkg_shift << 12 | (nr_cpus - 1);
			break;
		case 0x8000001e:
			e->eax = t.apic_id;
			e->ebx = (t.threads_per_core - 1) << 8 | (t.apic_id >> t.thread_shift);
			e->ecx = 0;  /* node 0, one node per package */
			e->edx = 0;
			break;
		default:
			break;
		}
	}
}
