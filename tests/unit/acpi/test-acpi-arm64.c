// SPDX-License-Identifier: Apache-2.0
/*
 * The arm64 tables (acpi_build_arm64) and the EFI handoff (acpi_build_efi)
 * read back from their bytes: checksums, the XSDT's list, FADT flags, the
 * MADT's GICCs (MPIDRs as dt_cpu_mpidr gives them) and GIC frames, GTDT
 * and SPCR interrupts, the IORT's nodes and ID mappings (root complex ->
 * ITS or SMMUv3, SMMUv3 -> ITS, RMR identity ranges), and the EFI system
 * table (signature, CRC32, GUIDs) and memory map (covers RAM exactly, no
 * overlap, the reserved range ACPI reclaim). Also what is refused.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "acpi.h"
#include "check.h"
#include "layout.h"

#define BASE 0x7fe11000ull

static uint8_t buf[1 << 20];
static struct acpi_pci_host hosts[ACPI_MAX_PCI_HOSTS];
static struct acpi_viommu viommus[ACPI_MAX_VIOMMUS];
static uint64_t mpidrs[ACPI_ARM64_MAX_CPUS];

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static struct acpi_arm64_params params(unsigned cpus, unsigned pci, unsigned nv)
{
	memset(hosts, 0, sizeof(hosts));
	memset(viommus, 0, sizeof(viommus));
	for (unsigned i = 0; i < cpus; i++)
		mpidrs[i] = (uint64_t)(i / 16) << 8 | i % 16;
	for (unsigned h = 0; h < pci; h++) {
		unsigned nbus = 256 / pci;
		hosts[h].bus_start = (uint8_t)(h * nbus);
		hosts[h].bus_end = (uint8_t)(h * nbus + nbus - 1);
		hosts[h].ecam_base = AARCH64_PCI_ECAM_BASE;
		hosts[h].mmio32_base = AARCH64_PCI_MMIO32_BASE + h * 0x1000000ull;
		hosts[h].mmio32_size = 0x1000000;
		hosts[h].preserve_boot_config = h < nv;
		if (h < nv)
			viommus[h] = (struct acpi_viommu){ .reg_base = AARCH64_VIOMMU_BASE + h * AARCH64_VIOMMU_STRIDE,
							   .bus_first = hosts[h].bus_start,
							   .bus_last = hosts[h].bus_end };
	}
	return (struct acpi_arm64_params){
		.nr_cpus = cpus, .mpidrs = mpidrs,
		.gicd_base = AARCH64_GIC_DIST_BASE, .gicr_base = AARCH64_GIC_REDIST_BASE,
		.gicr_size = cpus * AARCH64_GIC_REDIST_STRIDE, .its_base = AARCH64_GIC_ITS_BASE,
		.gic_maint_gsiv = 25, .timer_gsiv = { 29, 30, 27, 26 },
		.uart_base = AARCH64_PL011_BASE, .uart_size = AARCH64_PL011_SIZE, .uart_gsiv = 33,
		.nr_pci_hosts = pci, .pci_hosts = hosts,
		.nr_viommus = nv, .viommus = viommus, .viommu_devid_base = AARCH64_VIOMMU_ITS_DEVID_BASE,
		.msi_rmr_base = nv ? AARCH64_MSI_IOVA_BASE : 0, .msi_rmr_size = nv ? AARCH64_MSI_IOVA_SIZE : 0,
		.pa_bits = 40,
	};
}

static const uint8_t *table(const struct acpi_layout *l, const char *sig)
{
	for (unsigned i = 0; i < l->nr_tables; i++)
		if (!memcmp(l->tables[i].signature, sig, 4))
			return buf + l->tables[i].offset;
	return NULL;
}

static void check_common(const struct acpi_layout *l, unsigned cpus)
{
	const uint8_t *x = table(l, "XSDT"), *f = table(l, "FACP"), *m = table(l, "APIC");
	const uint8_t *s = table(l, "SPCR"), *g = table(l, "GTDT");

	if (!check_ok(x && f && m && s && g && table(l, "IORT")))
		return;
	for (unsigned i = 1; i < l->nr_tables; i++)
		CHECK_EQ(sum(buf + l->tables[i].offset, l->tables[i].length), 0);
	CHECK_EQ(sum(buf, 20), 0);
	CHECK_EQ(sum(buf, 36), 0);
	CHECK_EQ(rd(buf + 24, 8), BASE + (uint64_t)(x - buf));
	unsigned nx = (unsigned)(rd(x + 4, 4) - 36) / 8;
	CHECK_EQ(nx, l->nr_tables - 3); /* all but RSDP, XSDT, DSDT */
	CHECK_EQ(rd(x + 36, 8), BASE + (uint64_t)(f - buf));
	/* FADT: rev 6.5, HW_REDUCED, PSCI_COMPLIANT | PSCI_USE_HVC, X_DSDT. */
	CHECK_EQ(f[8], 6);
	CHECK_EQ(f[131], 5);
	CHECK(rd(f + 112, 4) & (1u << 20));
	CHECK_EQ(rd(f + 129, 2), 3);
	CHECK_EQ(rd(f + 140, 8), BASE + (uint64_t)(table(l, "DSDT") - buf));
	/* MADT: GICC per CPU with its MPIDR, then GICD v3, GICR, ITS. */
	size_t len = rd(m + 4, 4), off = 44;
	unsigned ngicc = 0, ngicd = 0, ngicr = 0, nits = 0;
	while (off + 2 <= len && m[off + 1]) {
		const uint8_t *e = m + off;
		if (e[0] == 0x0b) {
			CHECK_EQ(e[1], 80);
			CHECK_EQ(rd(e + 8, 4), ngicc); /* UID */
			CHECK_EQ(rd(e + 68, 8), (uint64_t)(ngicc / 16) << 8 | ngicc % 16);
			CHECK_EQ(rd(e + 12, 4) & 1, 1);
			ngicc++;
		} else if (e[0] == 0x0c) {
			CHECK_EQ(rd(e + 8, 8), AARCH64_GIC_DIST_BASE);
			CHECK_EQ(e[20], 3);
			ngicd++;
		} else if (e[0] == 0x0e) {
			CHECK_EQ(rd(e + 4, 8), AARCH64_GIC_REDIST_BASE);
			CHECK_EQ(rd(e + 12, 4), cpus * AARCH64_GIC_REDIST_STRIDE);
			ngicr++;
		} else if (e[0] == 0x0f) {
			CHECK_EQ(rd(e + 8, 8), AARCH64_GIC_ITS_BASE);
			nits++;
		}
		off += e[1];
	}
	CHECK_EQ(off, len);
	CHECK_EQ(ngicc, cpus);
	CHECK(ngicd == 1 && ngicr == 1 && nits == 1);
	/* SPCR: PL011 at its base, GSIV 32 + SPI 1; GTDT: the PPIs as INTIDs. */
	CHECK_EQ(s[36], 3);
	CHECK_EQ(rd(s + 44, 8), AARCH64_PL011_BASE);
	CHECK_EQ(rd(s + 54, 4), 32 + AARCH64_PL011_SPI);
	CHECK_EQ(rd(g + 48, 4), 29);
	CHECK_EQ(rd(g + 56, 4), 30);
	CHECK_EQ(rd(g + 64, 4), 27);
	CHECK_EQ(rd(g + 72, 4), 26);
}

struct map {
	uint32_t in, count, out, ref, flags;
};

static struct map map_at(const uint8_t *node, unsigned i)
{
	const uint8_t *p = node + rd(node + 12, 4) + 20 * i;

	return (struct map){ (uint32_t)rd(p, 4), (uint32_t)rd(p + 4, 4), (uint32_t)rd(p + 8, 4),
			     (uint32_t)rd(p + 12, 4), (uint32_t)rd(p + 16, 4) };
}

/* IORT: ITS group; SMMUv3 per vIOMMU; RC (segment 0); RMR per vIOMMU. */
static void check_iort(const struct acpi_layout *l, unsigned nv, unsigned pci)
{
	const uint8_t *t = table(l, "IORT");
	uint32_t off[32], type[32];
	unsigned n;

	if (!check_ok(t != NULL))
		return;
	CHECK_EQ(t[8], 5);
	n = (unsigned)rd(t + 36, 4);
	CHECK_EQ(n, 1 + nv + 1 + nv);
	if (n > 32)
		return;
	off[0] = (uint32_t)rd(t + 40, 4);
	for (unsigned i = 0; i < n; i++) {
		type[i] = t[off[i]];
		if (i + 1 < n)
			off[i + 1] = off[i] + (uint32_t)rd(t + off[i] + 1, 2);
	}
	CHECK_EQ(off[n - 1] + rd(t + off[n - 1] + 1, 2), rd(t + 4, 4));
	CHECK_EQ(type[0], 0);
	for (unsigned i = 0; i < nv; i++) {
		const uint8_t *s = t + off[1 + i];
		CHECK_EQ(type[1 + i], 4);
		CHECK_EQ(rd(s + 16, 8), AARCH64_VIOMMU_BASE + i * AARCH64_VIOMMU_STRIDE);
		struct map own = map_at(s, (unsigned)rd(s + 64, 4));
		CHECK_EQ(own.out, AARCH64_VIOMMU_ITS_DEVID_BASE + i);
		CHECK_EQ(own.ref, off[0]);
		CHECK_EQ(own.flags, 1);
		/* RMR: the SMMU's stream IDs, identity range = the MSI window. */
		const uint8_t *r = t + off[2 + nv + i];
		CHECK_EQ(type[2 + nv + i], 6);
		CHECK_EQ(rd(r + 16, 4), 1); /* remapping permitted, device memory */
		struct map rm = map_at(r, 0);
		CHECK_EQ(rm.in, (uint32_t)hosts[i].bus_start << 8);
		CHECK_EQ(rm.count, ((uint32_t)(hosts[i].bus_end - hosts[i].bus_start + 1) << 8) - 1);
		CHECK_EQ(rm.ref, off[1 + i]);
		CHECK_EQ(rd(r + 20, 4), 1);
		const uint8_t *d = r + rd(r + 24, 4);
		CHECK_EQ(rd(d, 8), AARCH64_MSI_IOVA_BASE);
		CHECK_EQ(rd(d + 8, 8), AARCH64_MSI_IOVA_SIZE);
	}
	/* The root complex: every RID, each host's to its SMMU or straight to the ITS. */
	const uint8_t *rc = t + off[1 + nv];
	CHECK_EQ(type[1 + nv], 2);
	unsigned nm = (unsigned)rd(rc + 8, 4);
	uint32_t next = 0;
	for (unsigned i = 0; i < nm; i++) {
		struct map m = map_at(rc, i);
		CHECK_EQ(m.in, next);
		unsigned h = pci ? m.in / (65536 / pci) : 0;
		if (h < nv) {
			CHECK_EQ(m.ref, off[1 + h]);
			CHECK_EQ(m.out, m.in);
		} else {
			CHECK_EQ(m.ref, off[0]);
			CHECK_EQ(m.out, m.in); /* DeviceID = RID on segment 0 */
		}
		next = m.in + m.count + 1;
	}
	CHECK_EQ(next, 0x10000);
}

static void test_tables(unsigned cpus, unsigned pci, unsigned nv)
{
	struct acpi_arm64_params p = params(cpus, pci, nv);
	struct acpi_layout l;

	memset(buf, 0xa5, sizeof(buf));
	if (!check_ok(acpi_build_arm64(&p, BASE, buf, sizeof(buf), &l) == 0))
		return;
	CHECK_EQ(l.rsdp_gpa, BASE);
	CHECK_EQ(l.nr_tables, pci ? 9u : 8u);
	CHECK_EQ(table(&l, "MCFG") != NULL, pci != 0);
	check_common(&l, cpus);
	check_iort(&l, nv, pci);
}

static void test_refused(void)
{
	struct acpi_arm64_params p = params(2, 2, 1);
	struct acpi_layout l = { 0 };

	memset(buf, 0x5a, 64);
	CHECK_EQ(acpi_build_arm64(&p, BASE, buf, 64, &l), -ENOSPC);
	CHECK(l.used > 64 && buf[0] == 0x5a && buf[63] == 0x5a);
	p.nr_cpus = 0;
	CHECK_EQ(acpi_build_arm64(&p, BASE, buf, sizeof(buf), NULL), -EINVAL);
	p = params(2, 2, 1);
	viommus[0].bus_last = 200; /* beyond host 0's buses */
	CHECK_EQ(acpi_build_arm64(&p, BASE, buf, sizeof(buf), NULL), -EINVAL);
	p = params(2, 2, 1);
	hosts[0].preserve_boot_config = false; /* Linux would ignore the RMR */
	CHECK_EQ(acpi_build_arm64(&p, BASE, buf, sizeof(buf), NULL), -EINVAL);
	p = params(2, 2, 1);
	p.msi_rmr_base = 0x8001000; /* not 64 KiB aligned */
	CHECK_EQ(acpi_build_arm64(&p, BASE, buf, sizeof(buf), NULL), -EINVAL);
	p = params(2, 1, 0);
	hosts[0].io_size = 0x1000; /* no port I/O on arm64 */
	CHECK_EQ(acpi_build_arm64(&p, BASE, buf, sizeof(buf), NULL), -EINVAL);
	p = params(2, 1, 0);
	CHECK_EQ(acpi_build_arm64(&p, BASE + 8, buf, sizeof(buf), NULL), -EINVAL);
}

static const uint8_t acpi20_guid[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
					 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
static const uint8_t rtprop_guid[16] = { 0x8a, 0x91, 0x66, 0xeb, 0xef, 0x7e, 0x2a, 0x40,
					 0x84, 0x2e, 0x93, 0x1d, 0x21, 0xc3, 0x8a, 0xe9 };

static const uint8_t memres_guid[16] = { 0xc6, 0xb0, 0x8e, 0x88, 0xde, 0x8e, 0xf5, 0x4f,
					 0xa8, 0xf0, 0x9a, 0xee, 0x5c, 0xb9, 0x77, 0xc2 };

static void check_mmap(const uint8_t *m, unsigned n, const struct acpi_efi_params *p)
{
	uint64_t at = p->ram_base;
	unsigned reclaim = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = m + i * ACPI_EFI_DESC_SIZE;
		uint64_t base = rd(d + 8, 8), size = rd(d + 24, 8) * 4096;
		CHECK_EQ(base, at); /* sorted, contiguous, no overlap */
		CHECK_EQ(rd(d + 32, 8), ACPI_EFI_MEMORY_WB);
		if (rd(d, 4) == ACPI_EFI_ACPI_RECLAIM_MEMORY) {
			CHECK_EQ(base, p->reserved_base);
			CHECK_EQ(size, p->reserved_size);
			reclaim++;
		} else {
			CHECK_EQ(rd(d, 4), ACPI_EFI_CONVENTIONAL_MEMORY);
		}
		at = base + size;
	}
	CHECK_EQ(at, p->ram_base + p->ram_size);
	CHECK_EQ(reclaim, 1);
}

static void test_efi(uint64_t ram_size, uint64_t res_base, uint64_t res_size, unsigned want_desc)
{
	struct acpi_efi_params p = { .ram_base = 0x40000000, .ram_size = ram_size, .reserved_base = res_base,
				     .reserved_size = res_size, .rsdp_gpa = res_base + 0x1000 };
	struct acpi_efi_layout l;
	static uint8_t page[4096];
	uint8_t st[120];

	if (!check_ok(acpi_build_efi(&p, res_base, page, sizeof(page), &l) == 0))
		return;
	CHECK_EQ(l.systab_gpa, res_base);
	CHECK_EQ(rd(page, 8), 0x5453595320494249ull);
	CHECK_EQ(rd(page + 8, 4), (2u << 16) | 70);
	CHECK_EQ(rd(page + 12, 4), 120);
	memcpy(st, page, sizeof(st));
	memset(st + 16, 0, 4);
	CHECK_EQ(rd(page + 16, 4), acpi_crc32(st, sizeof(st)));
	CHECK_EQ(rd(page + 88, 8), 0); /* no runtime services table */
	CHECK_EQ(rd(page + 96, 8), 0); /* no boot services */
	uint64_t vendor = rd(page + 24, 8);
	CHECK(vendor > res_base && vendor < res_base + 4096 && page[vendor - res_base] == 's' &&
	      page[vendor - res_base + 1] == 0);
	CHECK_EQ(rd(page + 104, 8), 3);
	uint64_t cfg = rd(page + 112, 8) - res_base;
	if (!check_ok(cfg + 72 <= sizeof(page)))
		return;
	CHECK(!memcmp(page + cfg + 48, memres_guid, 16));
	uint64_t mr = rd(page + cfg + 64, 8) - res_base;
	if (check_ok(mr + 16 <= sizeof(page)))
		for (unsigned i = 0; i < 16; i++)
			CHECK_EQ(page[mr + i], 0); /* empty: size 0, count 0, next 0 */
	CHECK(!memcmp(page + cfg, acpi20_guid, 16));
	CHECK_EQ(rd(page + cfg + 16, 8), p.rsdp_gpa);
	CHECK(!memcmp(page + cfg + 24, rtprop_guid, 16));
	uint64_t rt = rd(page + cfg + 40, 8) - res_base;
	if (check_ok(rt + 8 <= sizeof(page))) {
		CHECK_EQ(rd(page + rt, 2), 1);
		CHECK_EQ(rd(page + rt + 2, 2), 8);
		CHECK_EQ(rd(page + rt + 4, 4), 0); /* RuntimeServicesSupported: none */
	}
	CHECK_EQ(l.desc_size, 48);
	CHECK_EQ(l.desc_version, 1);
	CHECK_EQ(l.mmap_size, want_desc * 48);
	uint64_t mm = l.mmap_gpa - res_base;
	if (check_ok(mm + l.mmap_size <= sizeof(page)))
		check_mmap(page + mm, l.mmap_size / 48, &p);
}

static void test_efi_refused(void)
{
	struct acpi_efi_params p = { .ram_base = 0x40000000, .ram_size = 0x10000000,
				     .reserved_base = 0x4fe10000, .reserved_size = 0x1f0000 };
	static uint8_t page[4096];
	struct acpi_efi_layout l;

	CHECK_EQ(acpi_build_efi(&p, 0x4fe10000, page, 100, &l), -ENOSPC);
	CHECK_EQ(acpi_build_efi(&p, 0x4fe00000, page, 4096, &l), -EINVAL); /* outside the range */
	p.reserved_size = 0x200000;                                         /* beyond RAM */
	CHECK_EQ(acpi_build_efi(&p, 0x4fe10000, page, 4096, &l), -EINVAL);
	p.reserved_size = 0x1f0000;
	p.reserved_base = 0x4fe10800;                                       /* not page-aligned */
	CHECK_EQ(acpi_build_efi(&p, 0x4fe11000, page, 4096, &l), -EINVAL);
}

int main(void)
{
	CHECK_EQ(acpi_crc32("123456789", 9), 0xcbf43926u); /* the CRC-32 check value */
	test_tables(1, 0, 0);
	test_tables(2, 2, 0);
	test_tables(20, 2, 1);
	test_tables(64, 2, 2);
	test_tables(4, 8, 8);
	test_tables(256, 1, 1);
	test_refused();
	test_efi(0x10000000, 0x4fe10000, 0x1f0000, 2);  /* at the top of RAM */
	test_efi(0x10000000, 0x40000000, 0x10000, 2);    /* at the bottom */
	test_efi(0x10000000, 0x48000000, 0x100000, 3);   /* in the middle */
	test_efi_refused();
	return check_summary("acpi-arm64");
}
