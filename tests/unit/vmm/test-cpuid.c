// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vmm/cpuid.c on synthetic KVM_GET_SUPPORTED_CPUID tables:
 * per-vCPU APIC IDs and topology leaves (Intel and AMD), and the XSAVE
 * leaf 0xd clean-up (cpuid_sanitize_xsave, cpuid_hide_xsave).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm-priv.h"

/* Which table a failed check was on, appended to its message. */
static char ctx[128] = "";

#define CHECK_CONTEXT ctx
#include "check.h"

#define MAX_ENT 64
#define BIT(n) (1u << (n))

#define VENDOR_INTEL_EBX 0x756e6547u  /* "Genu" */
#define VENDOR_AMD_EBX   0x68747541u  /* "Auth" */

struct table {
	struct kvm_cpuid2 *c;
};

static struct kvm_cpuid2 *table_new(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_ENT * sizeof(c->entries[0]));

	if (!c)
		abort();
	return c;
}

static void add(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index, uint32_t eax, uint32_t ebx,
		uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	if (c->nent > MAX_ENT)
		abort();
	*e = (struct kvm_cpuid_entry2){ .function = fn, .index = index, .eax = eax, .ebx = ebx,
					.ecx = ecx, .edx = edx };
}

static struct kvm_cpuid_entry2 *get(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	fprintf(stderr, "leaf %#x.%u missing\n", fn, index);
	abort();
}

/* Leaf 1 ECX: FMA, XSAVE, OSXSAVE, AVX, F16C, SSE3 (bit 0) and SSE4.2 (bit 20). */
#define L1_ECX_XSAVE_BITS (BIT(12) | BIT(26) | BIT(27) | BIT(28) | BIT(29))
#define L1_ECX (L1_ECX_XSAVE_BITS | BIT(0) | BIT(20))

/* XSAVE components: x87, SSE, AVX (2), AVX-512 (5,6,7), PKRU (9); sizes as on real CPUs. */
#define XCR0_ALL 0x2e7u

static void add_xsave_leaves(struct kvm_cpuid2 *c)
{
	add(c, 0xd, 0, XCR0_ALL, 2696, 2696, 0);
	add(c, 0xd, 1, 0xf, 2696, 0, 0);
	add(c, 0xd, 2, 256, 576, 0, 0);
	add(c, 0xd, 5, 64, 1088, 0, 0);
	add(c, 0xd, 6, 512, 1152, 0, 0);
	add(c, 0xd, 7, 1024, 1664, 0, 0);
	add(c, 0xd, 9, 8, 2688, 0, 0);
}

static const uint32_t leaf4_eax[] = { 0xfc004121, 0xfc004122, 0xfc004143, 0xfc03c163 };

/* avx: leaf 1 ECX bit 28; avx512: leaf 7 EBX bit 16; pku: leaf 7 ECX bit 3 */
static struct kvm_cpuid2 *intel_table(int avx, int avx512, int pku)
{
	struct kvm_cpuid2 *c = table_new();

	add(c, 0, 0, 0x1f, VENDOR_INTEL_EBX, 0x6c65746e, 0x49656e69);
	add(c, 1, 0, 0x906ea, 0x17ff0800, L1_ECX & ~(avx ? 0 : BIT(28)), BIT(28) | BIT(0));
	add(c, 4, 0, leaf4_eax[0], 0x1c0003f, 0x3f, 0);    /* L1d */
	add(c, 4, 1, leaf4_eax[1], 0x1c0003f, 0x3f, 0);    /* L1i */
	add(c, 4, 2, leaf4_eax[2], 0x3c0003f, 0x3ff, 0);   /* L2 */
	add(c, 4, 3, leaf4_eax[3], 0x3c0003f, 0x3fff, 6);  /* L3 */
	add(c, 4, 4, 0, 0, 0, 0);
	add(c, 7, 0, 0, BIT(5) | (avx512 ? BIT(16) : 0) | BIT(3), pku ? BIT(3) | BIT(4) : BIT(4), BIT(10));
	add(c, 7, 1, BIT(4) | BIT(5), 0, 0, 0);
	add(c, 0xb, 0, 1, 2, 0x100, 0x55);
	add(c, 0xb, 1, 4, 16, 0x201, 0x55);
	add(c, 0xb, 2, 0, 0, 2, 0x55);
	add(c, 0x1f, 0, 1, 2, 0x100, 0x55);
	add(c, 0x1f, 1, 4, 16, 0x201, 0x55);
	add_xsave_leaves(c);
	add(c, 0x80000001, 0, 0, 0, BIT(0) | BIT(5), 0);
	add(c, 0x80000008, 0, 0x3027, 0, 0x7003, 0);
	return c;
}

static struct kvm_cpuid2 *amd_table(void)
{
	struct kvm_cpuid2 *c = table_new();

	add(c, 0, 0, 0x10, VENDOR_AMD_EBX, 0x444d4163, 0x69746e65);
	add(c, 1, 0, 0xa20f10, 0x3f0800, L1_ECX, BIT(28));
	add(c, 4, 0, 0x121, 0, 0, 0);  /* AMD reports leaf 4 as reserved; must stay untouched */
	add(c, 7, 0, 0, BIT(5), 0, 0);
	add_xsave_leaves(c);
	add(c, 0x80000001, 0, 0, 0, BIT(0) | BIT(11) | BIT(16), 0);
	add(c, 0x80000008, 0, 0x3030, 0, 0x3000f | 0x7000, 0);  /* bits 16-17 must survive */
	add(c, 0x8000001e, 0, 7, 0x107, 0x300, 0x1);
	return c;
}

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static void test_topology_intel(void)
{
	for (unsigned n = 1; n <= 4; n++)
		for (int smt = 0; smt <= 1; smt++)
			for (unsigned id = 0; id < n; id++) {
				struct kvm_cpuid2 *c = intel_table(1, 1, 1);
				unsigned threads = smt && n % 2 == 0 ? 2 : 1;
				unsigned tshift = threads == 2 ? 1 : 0;
				unsigned pshift = bits_for(n);
				struct kvm_cpuid_entry2 *e;

				snprintf(ctx, sizeof(ctx), "intel n=%u smt=%d id=%u", n, smt, id);
				cpuid_patch_for_vcpu(c, id, n, smt);

				e = get(c, 1, 0);
				CHECK_EQ(e->ebx >> 24, id);                      /* initial APIC ID */
				CHECK_EQ(e->ebx >> 16 & 0xff, 1u << pshift);     /* logical CPUs per package */
				CHECK_EQ(e->ebx & 0xffff, 0x0800);               /* CLFLUSH size kept */
				CHECK_EQ(e->ecx >> 31, 1);                       /* hypervisor */
				CHECK_EQ(e->edx >> 28 & 1, n > 1);               /* HTT */
				CHECK_EQ(e->edx & 1, 1);

				/* leaf 0xb and 0x1f: SMT level then core level, x2APIC ID in EDX */
				for (uint32_t fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
					e = get(c, fn, 0);
					CHECK_EQ(e->eax, tshift);
					CHECK_EQ(e->ebx, threads);
					CHECK_EQ(e->ecx, 0x100);
					CHECK_EQ(e->edx, id);
					e = get(c, fn, 1);
					CHECK_EQ(e->eax, pshift);
					CHECK_EQ(e->ebx, n);
					CHECK_EQ(e->ecx, 0x201);
					CHECK_EQ(e->edx, id);
				}
				e = get(c, 0xb, 2);                               /* invalid level */
				CHECK_EQ(e->eax, 0);
				CHECK_EQ(e->ebx, 0);
				CHECK_EQ(e->ecx, 2);
				CHECK_EQ(e->edx, id);
				/* the level shift must cover every APIC ID */
				CHECK_EQ(id >> get(c, 0xb, 1)->eax, 0);

				/* leaf 4: cores per package - 1, sharing - 1, low bits kept */
				for (uint32_t i = 0; i < 4; i++) {
					e = get(c, 4, i);
					unsigned share = i == 3 ? 1u << pshift : threads;

					CHECK_EQ(e->eax >> 26, (1u << (pshift - tshift)) - 1);
					CHECK_EQ(e->eax >> 14 & 0xfff, share - 1);
					CHECK_EQ(e->eax & 0x3fff, leaf4_eax[i] & 0x3fff);
				}
				CHECK_EQ(get(c, 4, 4)->eax, 0);
				CHECK_EQ(get(c, 0x80000008, 0)->ecx, 0x7003);   /* AMD-only field untouched */
				CHECK_EQ(get(c, 0x80000001, 0)->ecx, BIT(0) | BIT(5));
				free(c);
			}
}

static void test_topology_amd(void)
{
	for (unsigned n = 1; n <= 4; n++)
		for (int smt = 0; smt <= 1; smt++)
			for (unsigned id = 0; id < n; id++) {
				struct kvm_cpuid2 *c = amd_table();
				unsigned threads = smt && n % 2 == 0 ? 2 : 1;
				unsigned tshift = threads == 2 ? 1 : 0;
				unsigned pshift = bits_for(n);
				struct kvm_cpuid_entry2 *e;

				snprintf(ctx, sizeof(ctx), "amd n=%u smt=%d id=%u", n, smt, id);
				cpuid_patch_for_vcpu(c, id, n, smt);
				e = get(c, 1, 0);
				CHECK_EQ(e->ebx >> 24, id);
				CHECK_EQ(e->ebx >> 16 & 0xff, 1u << pshift);
				e = get(c, 0x80000008, 0);
				CHECK_EQ(e->ecx & 0xff, n - 1);                  /* NC */
				CHECK_EQ(e->ecx >> 12 & 0xf, pshift);            /* ApicIdSize */
				CHECK_EQ(e->ecx & ~0xf0ffu, 0x30000);
				CHECK_EQ(e->eax, 0x3030);
				CHECK_EQ(get(c, 0x80000001, 0)->ecx >> 1 & 1, n > 1);  /* CmpLegacy */
				e = get(c, 0x8000001e, 0);
				CHECK_EQ(e->eax, id);                            /* extended APIC ID */
				CHECK_EQ(e->ebx, (threads - 1) << 8 | id >> tshift);
				CHECK_EQ(e->ecx, 0);
				CHECK_EQ(e->edx, 0);
				CHECK_EQ(get(c, 4, 0)->eax, 0x121);
				free(c);
			}
}

/* Larger counts: 0x80000008 NC = n - 1 and the shift covers the highest APIC ID. */
static void test_topology_large(void)
{
	static const unsigned counts[] = { 5, 8, 17, 64, 255 };

	for (unsigned k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		unsigned n = counts[k];
		struct kvm_cpuid2 *c = amd_table();

		snprintf(ctx, sizeof(ctx), "amd n=%u", n);
		cpuid_patch_for_vcpu(c, n - 1, n, true);
		CHECK_EQ(get(c, 0x80000008, 0)->ecx & 0xff, n - 1);
		CHECK_EQ((n - 1) >> (get(c, 0x80000008, 0)->ecx >> 12 & 0xf), 0);
		CHECK_EQ(get(c, 1, 0)->ebx >> 24, n - 1);
		free(c);
		c = intel_table(1, 1, 1);
		snprintf(ctx, sizeof(ctx), "intel n=%u", n);
		cpuid_patch_for_vcpu(c, n - 1, n, false);
		CHECK_EQ(get(c, 0xb, 1)->ebx, n);
		CHECK_EQ((n - 1) >> get(c, 0xb, 1)->eax, 0);
		CHECK_EQ(get(c, 0xb, 0)->edx, n - 1);
		CHECK_EQ(get(c, 1, 0)->ebx >> 24, n - 1);
		CHECK_EQ(get(c, 1, 0)->ebx >> 16 & 0xff, n > 128 ? 255 : 1u << bits_for(n));
		free(c);
	}
}

struct xsave_case {
	int avx, avx512, pku;
	uint32_t mask, size;
};

static void test_sanitize_xsave(void)
{
	static const struct xsave_case cases[] = {
		{ 1, 1, 1, XCR0_ALL, 2696 },
		{ 0, 1, 1, XCR0_ALL & ~BIT(2), 2696 },          /* AVX dropped, size from PKRU */
		{ 1, 1, 0, XCR0_ALL & ~BIT(9), 2688 },          /* PKRU dropped: ends after ZMM */
		{ 1, 0, 0, 0x7, 832 },                          /* only AVX left */
		{ 0, 0, 0, 0x3, 576 },                          /* legacy area + header */
		{ 0, 0, 1, 0x203, 2696 },
	};

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct xsave_case *x = &cases[k];
		struct kvm_cpuid2 *c = intel_table(x->avx, x->avx512, x->pku);
		struct kvm_cpuid_entry2 *e;

		snprintf(ctx, sizeof(ctx), "xsave avx=%d avx512=%d pku=%d", x->avx, x->avx512, x->pku);
		cpuid_sanitize_xsave(c);
		e = get(c, 0xd, 0);
		CHECK_EQ(e->eax, x->mask);
		CHECK_EQ(e->edx, 0);
		CHECK_EQ(e->ebx, x->size);
		CHECK_EQ(e->ecx, x->size);
		CHECK_EQ(get(c, 0xd, 1)->eax, 0xf);              /* subleaf 1 left alone */
		for (unsigned i = 2; i < 10; i++) {
			if (i == 3 || i == 4 || i == 8)
				continue;
			e = get(c, 0xd, i);
			if (x->mask >> i & 1) {
				CHECK_EQ(e->eax != 0 && e->ebx != 0, 1);
			} else {
				CHECK_EQ(e->eax, 0);
				CHECK_EQ(e->ebx, 0);
			}
		}
		/* idempotent, and the feature flags themselves are untouched */
		cpuid_sanitize_xsave(c);
		CHECK_EQ(get(c, 0xd, 0)->eax, x->mask);
		CHECK_EQ(get(c, 0xd, 0)->ebx, x->size);
		CHECK_EQ(get(c, 1, 0)->ecx >> 28 & 1, x->avx);
		/* cpuid_patch_for_vcpu applies the same clean-up */
		free(c);
		c = intel_table(x->avx, x->avx512, x->pku);
		cpuid_patch_for_vcpu(c, 0, 2, false);
		CHECK_EQ(get(c, 0xd, 0)->eax, x->mask);
		CHECK_EQ(get(c, 0xd, 0)->ecx, x->size);
		free(c);
	}

	/* supervisor components (CET_U 11, CET_S 12, in IA32_XSS per subleaf 1 ECX) are not
	 * in XCR0: their subleaves must survive, without counting towards the XCR0 size */
	for (int avx = 0; avx <= 1; avx++) {
		struct kvm_cpuid2 *c = intel_table(avx, 1, 1);

		snprintf(ctx, sizeof(ctx), "xsave supervisor avx=%d", avx);
		get(c, 0xd, 1)->ecx = BIT(11) | BIT(12);
		add(c, 0xd, 11, 16, 0, 1, 0);
		add(c, 0xd, 12, 24, 0, 1, 0);
		cpuid_sanitize_xsave(c);
		CHECK_EQ(get(c, 0xd, 0)->eax, avx ? XCR0_ALL : XCR0_ALL & ~BIT(2));
		CHECK_EQ(get(c, 0xd, 0)->ebx, 2696);
		CHECK_EQ(get(c, 0xd, 1)->ecx, BIT(11) | BIT(12));
		CHECK_EQ(get(c, 0xd, 11)->eax, 16);
		CHECK_EQ(get(c, 0xd, 11)->ecx, 1);
		CHECK_EQ(get(c, 0xd, 12)->eax, 24);
		CHECK_EQ(get(c, 0xd, 12)->ecx, 1);
		free(c);
	}

	/* no leaf 0xd: nothing to do, nothing touched */
	{
		struct kvm_cpuid2 *c = table_new();

		snprintf(ctx, sizeof(ctx), "no leaf 0xd");
		add(c, 1, 0, 0, 0, L1_ECX, 0);
		cpuid_sanitize_xsave(c);
		CHECK_EQ(c->nent, 1);
		CHECK_EQ(c->entries[0].ecx, L1_ECX);
		free(c);
	}
}

static void test_hide_xsave(void)
{
	struct kvm_cpuid2 *c = intel_table(1, 1, 1);
	struct kvm_cpuid_entry2 *e;

	snprintf(ctx, sizeof(ctx), "hide xsave");
	cpuid_hide_xsave(c);
	e = get(c, 1, 0);
	CHECK_EQ(e->ecx & L1_ECX_XSAVE_BITS, 0);         /* FMA XSAVE OSXSAVE AVX F16C */
	CHECK_EQ(e->ecx, BIT(0) | BIT(20));              /* SSE3, SSE4.2 kept */
	CHECK_EQ(e->edx, BIT(28) | BIT(0));
	e = get(c, 7, 0);
	CHECK_EQ(e->ebx, BIT(3));                        /* AVX2 and AVX-512F gone, BMI1 kept */
	CHECK_EQ(e->ecx, BIT(4));                        /* PKU gone, OSPKE kept */
	CHECK_EQ(e->edx, BIT(10));
	CHECK_EQ(get(c, 7, 1)->eax, 0);                  /* AVX-VNNI, AVX512-BF16 */
	for (unsigned i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function != 0xd)
			continue;
		CHECK_EQ(e->eax | e->ebx | e->ecx | e->edx, 0);
	}
	free(c);

	c = amd_table();
	cpuid_hide_xsave(c);
	CHECK_EQ(get(c, 0x80000001, 0)->ecx, BIT(0));    /* XOP, FMA4 gone */
	free(c);
}

int main(void)
{
	test_topology_intel();
	test_topology_amd();
	test_topology_large();
	test_sanitize_xsave();
	test_hide_xsave();
	return check_summary("test-cpuid");
}
