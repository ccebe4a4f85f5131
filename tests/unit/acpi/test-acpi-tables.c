// SPDX-License-Identifier: Apache-2.0
/* Unit tests for acpi_build_x86() and the AML builder. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "aml.h"
#include "check.h"
#include "tables.h"

#define BASE_GPA 0xe0000ull

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static bool contains(const uint8_t *p, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(p + i, needle, m))
			return true;
	return false;
}

static struct acpi_x86_params default_params(unsigned nr_cpus)
{
	return (struct acpi_x86_params){
		.nr_cpus = nr_cpus,
		.lapic_addr = 0xfee00000,
		.ioapic_addr = 0xfec00000,
		.ioapic_id = 0,
		.sleep_control_port = 0x600,
		.sleep_status_port = 0x601,
		.reset_port = 0xcf9,
		.reset_value = 0x06,
		.s5_slp_typ = 5,
		.com1_port = 0x3f8,
		.com1_irq = 4,
		.pvpanic_port = 0x505,
	};
}

/* Pointer to the table at gpa, checking it lies inside the used area. */
static const uint8_t *table_at(const uint8_t *buf, const struct acpi_layout *lay, uint64_t gpa,
			       const char *sig)
{
	if (!check_ok(gpa >= BASE_GPA && gpa - BASE_GPA + 36 <= lay->used)) {
		fprintf(stderr, "pointer 0x%" PRIx64 " to %s outside the tables\n", gpa, sig);
		return NULL;
	}
	const uint8_t *t = buf + (gpa - BASE_GPA);
	if (!check_ok(memcmp(t, sig, 4) == 0)) {
		fprintf(stderr, "pointer 0x%" PRIx64 " should be %s, found %.4s\n", gpa, sig,
			(const char *)t);
		return NULL;
	}
	CHECK(gpa - BASE_GPA + rd32(t + 4) <= lay->used);
	return t;
}

static bool gas_is_io8(const uint8_t *g, uint16_t port)
{
	return g[0] == ACPI_GAS_SYSTEM_IO && g[1] == 8 && g[2] == 0 && rd64(g + 4) == port;
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	CHECK(gas_is_io8(g, port));
}

static void check_tables(const struct acpi_x86_params *p)
{
	static uint8_t buf[16384];
	struct acpi_layout lay;

	memset(buf, 0xa5, sizeof(buf));
	int err = acpi_build_x86(p, BASE_GPA, buf, sizeof(buf), &lay);
	CHECK(err == 0);
	if (err)
		return;

	CHECK(lay.rsdp_gpa == BASE_GPA);
	CHECK(lay.nr_tables == 5);
	CHECK(lay.used <= sizeof(buf));
	CHECK(buf[lay.used] == 0xa5); /* nothing written past used */
	const char *sigs[] = { "RSDP", "XSDT", "FACP", "DSDT", "APIC" };
	uint32_t prev_end = 0;
	for (unsigned i = 0; i < lay.nr_tables && i < 5; i++) {
		const struct acpi_table_ref *t = &lay.tables[i];
		CHECK(!strcmp(t->signature, sigs[i]));
		CHECK(t->offset % 16 == 0);
		CHECK(t->gpa == BASE_GPA + t->offset);
		CHECK(t->offset >= prev_end);
		prev_end = t->offset + t->length;
		if (i > 0) {
			/* Standard header: checksum and length. */
			CHECK(!memcmp(buf + t->offset, t->signature, 4));
			CHECK(rd32(buf + t->offset + 4) == t->length);
			CHECK(sum8(buf + t->offset, t->length) == 0);
			CHECK(!memcmp(buf + t->offset + 10, "SKIFF ", 6));
		}
	}
	CHECK(prev_end == lay.used);

	/* RSDP */
	const uint8_t *rsdp = buf;
	CHECK(!memcmp(rsdp, "RSD PTR ", 8));
	CHECK(sum8(rsdp, 20) == 0);
	CHECK(sum8(rsdp, 36) == 0);
	CHECK(rsdp[15] == 2);
	CHECK(rd32(rsdp + 20) == 36);
	const uint8_t *xsdt = table_at(buf, &lay, rd64(rsdp + 24), "XSDT");
	if (!xsdt)
		return;

	/* XSDT -> FADT, MADT */
	uint32_t xlen = rd32(xsdt + 4);
	CHECK(xlen == 36 + 16);
	const uint8_t *fadt = table_at(buf, &lay, rd64(xsdt + 36), "FACP");
	const uint8_t *madt = table_at(buf, &lay, rd64(xsdt + 44), "APIC");
	if (!fadt || !madt)
		return;

	/* FADT */
	CHECK(rd32(fadt + 4) == 276);
	CHECK(fadt[8] == 6);
	CHECK(fadt[131] == 5); /* minor revision */
	uint32_t flags = rd32(fadt + 112);
	CHECK(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	CHECK(flags & (1u << 10)); /* RESET_REG_SUP */
	uint16_t boot_arch = rd16(fadt + 109);
	CHECK(boot_arch & (1u << 2));    /* VGA not present */
	CHECK(!(boot_arch & (1u << 1))); /* no 8042 */
	check_gas_io8(fadt + 116, p->reset_port);
	CHECK(fadt[128] == p->reset_value);
	check_gas_io8(fadt + 244, p->sleep_control_port);
	check_gas_io8(fadt + 256, p->sleep_status_port);
	CHECK(!memcmp(fadt + 268, "SKIFFVMM", 8));
	CHECK(rd32(fadt + 40) == 0); /* only X_DSDT */
	const uint8_t *dsdt = table_at(buf, &lay, rd64(fadt + 140), "DSDT");

	/* MADT */
	uint32_t mlen = rd32(madt + 4);
	CHECK(rd32(madt + 36) == p->lapic_addr);
	unsigned nr_lapic = 0, nr_ioapic = 0, nr_iso = 0;
	uint32_t off = 44;
	while (off + 2 <= mlen) {
		const uint8_t *s = madt + off;
		if (s[1] < 2 || off + s[1] > mlen) {
			CHECK(!"bad MADT subtable length");
			break;
		}
		switch (s[0]) {
		case 0:
			CHECK(s[1] == 8);
			CHECK(s[2] == nr_lapic); /* processor UID */
			CHECK(s[3] == nr_lapic); /* APIC ID */
			CHECK(rd32(s + 4) == 1); /* enabled */
			nr_lapic++;
			break;
		case 1:
			CHECK(s[1] == 12);
			CHECK(s[2] == p->ioapic_id);
			CHECK(rd32(s + 4) == p->ioapic_addr);
			CHECK(rd32(s + 8) == 0);
			nr_ioapic++;
			break;
		case 2:
			CHECK(s[1] == 10);
			CHECK(s[2] == 0);
			if (s[3] == 0) {
				CHECK(rd32(s + 4) == 2);
				CHECK(rd16(s + 8) == 0x5); /* edge, active high */
			} else {
				CHECK(s[3] == 9);
				CHECK(rd32(s + 4) == 9);
				CHECK(rd16(s + 8) == 0xd); /* level, active high */
			}
			nr_iso++;
			break;
		default:
			CHECK(!"unexpected MADT subtable");
		}
		off += s[1];
	}
	CHECK(off == mlen);
	CHECK(nr_lapic == p->nr_cpus);
	CHECK(nr_ioapic == 1);
	CHECK(nr_iso == 2);

	/* DSDT contents (the iasl test decodes it properly). */
	if (dsdt) {
		uint32_t dlen = rd32(dsdt + 4);
		const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12 };
		const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
		CHECK(dsdt[8] == 2);
		CHECK(contains(dsdt, dlen, s5, sizeof(s5)));
		CHECK(contains(dsdt, dlen, pnp0501, sizeof(pnp0501)) == (p->com1_port != 0));
		CHECK(contains(dsdt, dlen, "QEMU0001", 9) == (p->pvpanic_port != 0));
	}
}

static void check_enospc(void)
{
	struct acpi_x86_params p = default_params(4);
	struct acpi_layout lay;
	static uint8_t ref[16384], buf[16384 + 64];

	CHECK(acpi_build_x86(&p, BASE_GPA, ref, sizeof(ref), &lay) == 0);
	size_t need = lay.used;
	CHECK(need > 0 && need < sizeof(ref));

	for (size_t len = 0; len < need; len++) {
		memset(buf, 0x5a, sizeof(buf));
		struct acpi_layout r = { 0 };
		int err = acpi_build_x86(&p, BASE_GPA, buf, len, &r);
		CHECK(err == -ENOSPC);
		CHECK(r.used == need);
		size_t i = 0;
		while (i < sizeof(buf) && buf[i] == 0x5a)
			i++;
		if (!check_ok(i == sizeof(buf)))
			fprintf(stderr, "len %zu: byte %zu written\n", len, i);
	}
	/* Exactly enough space works and produces the same bytes. */
	memset(buf, 0x5a, sizeof(buf));
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, need, &lay) == 0);
	CHECK(!memcmp(buf, ref, need));
	CHECK(buf[need] == 0x5a);
	/* ret may be NULL */
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, need, NULL) == 0);
}

static void check_einval(void)
{
	uint8_t buf[4096];
	struct acpi_layout lay;
	struct acpi_x86_params p;

	memset(buf, 0x5a, sizeof(buf));
	p = default_params(0);
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(256);
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(100000);
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(1);
	CHECK(acpi_build_x86(&p, BASE_GPA + 4, buf, sizeof(buf), &lay) == -EINVAL);
	p.com1_irq = 16;
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(1);
	p.lapic_addr = 0x100000000ull;
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(1);
	p.reset_port = 0;
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(1);
	p.sleep_status_port = 0;
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	p = default_params(1);
	p.s5_slp_typ = 8;
	CHECK(acpi_build_x86(&p, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	CHECK(acpi_build_x86(NULL, BASE_GPA, buf, sizeof(buf), &lay) == -EINVAL);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0x5a) {
			CHECK(!"buffer written on -EINVAL");
			break;
		}
	/* 255 CPUs is the maximum and works. */
	static uint8_t big[16384];
	p = default_params(255);
	CHECK(acpi_build_x86(&p, BASE_GPA, big, sizeof(big), &lay) == 0);
}

/* ---- AML builder ---- */

static void expect_aml(struct aml_buf *b, const uint8_t *want, size_t n, int line)
{
	int err = aml_finish(b);
	if (!check_ok(!err && b->len == n && !memcmp(b->data, want, n))) {
		fprintf(stderr, "%s:%d: AML mismatch (err %d, len %zu, want %zu):", __FILE__, line,
			err, b->len, n);
		for (size_t i = 0; i < b->len && !err; i++)
			fprintf(stderr, " %02x", b->data[i]);
		fprintf(stderr, "\n");
	}
	aml_free(b);
	aml_init(b);
}

#define EXPECT(b, ...)                                                           \
	do {                                                                     \
		static const uint8_t want_[] = { __VA_ARGS__ };                  \
		expect_aml(b, want_, sizeof(want_), __LINE__);                   \
	} while (0)

static void check_pkglen(void)
{
	uint8_t o[4];
	CHECK(aml_encode_pkglen(0, o) == 1 && o[0] == 1);
	CHECK(aml_encode_pkglen(62, o) == 1 && o[0] == 63);
	/* 63 body bytes + 2 = 65 = 0x41: lead 0x40 | 1, next 0x04 */
	CHECK(aml_encode_pkglen(63, o) == 2 && o[0] == 0x41 && o[1] == 0x04);
	CHECK(aml_encode_pkglen(4093, o) == 2 && o[0] == 0x4f && o[1] == 0xff);
	/* 4094 + 3 = 4097 = 0x1001 */
	CHECK(aml_encode_pkglen(4094, o) == 3 && o[0] == 0x81 && o[1] == 0x00 && o[2] == 0x01);
	CHECK(aml_encode_pkglen((1u << 20) - 4, o) == 3);
	CHECK(aml_encode_pkglen((1u << 20) - 3, o) == 4 && o[0] == 0xc1);
	CHECK(aml_encode_pkglen((1u << 28) - 5, o) == 4);
	CHECK(aml_encode_pkglen((1u << 28) - 4, o) == 0);
}

static void check_aml(void)
{
	struct aml_buf b;
	aml_init(&b);

	aml_integer(&b, 0);
	aml_integer(&b, 1);
	aml_integer(&b, 2);
	aml_integer(&b, 0xff);
	aml_integer(&b, 0x100);
	aml_integer(&b, 0x12345678);
	aml_integer(&b, 0x100000000ull);
	aml_integer(&b, UINT64_MAX);
	EXPECT(&b, 0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c, 0x78, 0x56, 0x34,
	       0x12, 0x0e, 0, 0, 0, 0, 1, 0, 0, 0, 0xff);

	aml_string(&b, "AB");
	aml_eisaid(&b, "PNP0A08");
	EXPECT(&b, 0x0d, 'A', 'B', 0, 0x0c, 0x41, 0xd0, 0x0a, 0x08);

	aml_namestring(&b, "\\_SB.PCI0");
	aml_namestring(&b, "^^AB");
	aml_namestring(&b, "A.B.C");
	aml_namestring(&b, "");
	aml_namestring(&b, "\\");
	EXPECT(&b, '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', '^', '^', 'A', 'B', '_',
	       '_', 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_', '_', 0x00,
	       '\\', 0x00);

	aml_name(&b, "_S5");
	aml_package_begin(&b, 2);
	aml_integer(&b, 5);
	aml_integer(&b, 0);
	aml_end(&b);
	EXPECT(&b, 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00);

	aml_method_begin(&b, "_STA", 0, false, 0);
	aml_return(&b);
	aml_integer(&b, 0x0f);
	aml_end(&b);
	EXPECT(&b, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);

	aml_buffer(&b, "\x01\x02", 2);
	EXPECT(&b, 0x11, 0x05, 0x0a, 0x02, 0x01, 0x02);

	aml_resource_begin(&b);
	aml_rs_io(&b, true, 0x3f8, 0x3f8, 1, 8);
	aml_rs_irq_noflags(&b, 1 << 4);
	aml_end(&b);
	EXPECT(&b, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22,
	       0x10, 0x00, 0x79, 0x00);

	/* A body longer than 63 bytes needs a two-byte PkgLength. */
	aml_package_begin(&b, 40);
	for (int i = 0; i < 40; i++)
		aml_integer(&b, 0x1234);
	aml_end(&b);
	CHECK(aml_finish(&b) == 0);
	CHECK(b.len == 1 + 2 + 1 + 40 * 3);
	CHECK(b.data[0] == 0x12);
	CHECK(b.data[1] == (0x40 | ((2 + 1 + 120) & 0xf)) && b.data[2] == (2 + 1 + 120) >> 4);
	CHECK(b.data[3] == 40);
	aml_free(&b);
	aml_init(&b);

	/* A resource template over 255 bytes: WordConst BufferSize. */
	aml_resource_begin(&b);
	struct aml_rs_addr a = { .min_fixed = true, .max_fixed = true, .min = 0x1000,
				 .max = 0x1fff, .length = 0x1000 };
	for (int i = 0; i < 6; i++)
		aml_rs_qword_memory(&b, &a, AML_NON_CACHEABLE, true);
	aml_end(&b);
	CHECK(aml_finish(&b) == 0);
	/* 6 * 46 + 2 = 278 bytes of descriptors; PkgLength 2 bytes, WordConst 3 */
	CHECK(b.len == 1 + 2 + 3 + 278);
	CHECK(b.data[3] == 0x0b && rd16(b.data + 4) == 278);
	CHECK(b.data[6] == 0x8a && rd16(b.data + 7) == 43);
	CHECK(b.data[b.len - 2] == 0x79);
	aml_free(&b);
	aml_init(&b);

	/* Errors are sticky and reported once. */
	aml_namestring(&b, "TOOLONG");
	CHECK(aml_finish(&b) == -EINVAL);
	aml_free(&b);
	aml_init(&b);
	aml_namestring(&b, "1ABC");
	CHECK(aml_finish(&b) == -EINVAL);
	aml_free(&b);
	aml_init(&b);
	aml_eisaid(&b, "pnp0501");
	CHECK(aml_finish(&b) == -EINVAL);
	aml_free(&b);
	aml_init(&b);
	aml_scope_begin(&b, "\\_SB");
	CHECK(aml_finish(&b) == -EINVAL); /* unclosed */
	aml_free(&b);
	aml_init(&b);
	aml_end(&b);
	CHECK(aml_finish(&b) == -EINVAL); /* nothing open */
	aml_free(&b);
	aml_init(&b);
	aml_rs_io(&b, true, 0, 0, 1, 1);
	CHECK(aml_finish(&b) == -EINVAL); /* descriptor outside a template */
	aml_free(&b);
	aml_init(&b);
	aml_resource_begin(&b);
	struct aml_rs_addr big = { .max = 0x10000 };
	aml_rs_word_io(&b, &big);
	aml_end(&b);
	CHECK(aml_finish(&b) == -EINVAL); /* does not fit a Word descriptor */
	aml_free(&b);
}

/* PCI host bridges and the GED: MCFG contents, XSDT entry, validation, file dump. */
static void check_pci(void)
{
	static struct acpi_pci_host hosts[2];
	static uint8_t buf[64 * 1024];
	struct acpi_x86_params p = default_params(2);
	struct acpi_layout lay;

	for (unsigned i = 0; i < 2; i++) {
		hosts[i].bus_start = (uint8_t)(i * 128);
		hosts[i].bus_end = (uint8_t)(i * 128 + 127);
		hosts[i].ecam_base = 0xe0000000;
		hosts[i].mmio32_base = 0xc0000000 + i * 0x10000000ull;
		hosts[i].mmio32_size = 0x10000000;
		hosts[i].mmio64_base = 0x4000000000ull + i * 0x800000000ull;
		hosts[i].mmio64_size = 0x800000000ull;
		for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++)
			for (unsigned pin = 0; pin < 4; pin++)
				hosts[i].prt_gsi[d][pin] = 16 + (d + pin) % 4;
	}
	p.nr_pci_hosts = 2;
	p.pci_hosts = hosts;
	p.ged_addr = 0xfeb00000;
	p.ged_gsi = 20;
	CHECK(acpi_build_x86(&p, 0xe0000, buf, sizeof(buf), &lay) == 0);
	CHECK(lay.nr_tables == 6);
	CHECK(!strcmp(lay.tables[5].signature, "MCFG"));
	const uint8_t *mcfg = buf + lay.tables[5].offset;
	CHECK(!memcmp(mcfg, "MCFG", 4));
	CHECK(rd32(mcfg + 4) == 44 + 2 * 16);
	uint8_t sum = 0;
	for (uint32_t i = 0; i < rd32(mcfg + 4); i++)
		sum = (uint8_t)(sum + mcfg[i]);
	CHECK(sum == 0);
	CHECK(rd64(mcfg + 44) == 0xe0000000 && rd16(mcfg + 52) == 0 && mcfg[54] == 0 && mcfg[55] == 127);
	CHECK(rd64(mcfg + 60) == 0xe0000000 && mcfg[70] == 128 && mcfg[71] == 255);
	const uint8_t *xsdt = buf + lay.tables[1].offset;
	CHECK(rd32(xsdt + 4) == 36 + 3 * 8);
	CHECK(rd64(xsdt + 36 + 16) == lay.tables[5].gpa);
	const uint8_t *dsdt = buf + lay.tables[3].offset;
	uint32_t dlen = lay.tables[3].length;
	CHECK(contains(dsdt, dlen, "PCI0", 4) && contains(dsdt, dlen, "PCI1", 4));
	CHECK(contains(dsdt, dlen, "GED0", 4) && contains(dsdt, dlen, "ACPI0013", 8));
	CHECK(contains(dsdt, dlen, "PWRB", 4) && contains(dsdt, dlen, "_PRT", 4));
	/* Extended interrupt descriptor for GSI 20: consumer, level, active-high, exclusive. */
	CHECK(contains(dsdt, dlen, "\x89\x06\x00\x01\x01\x14\x00\x00\x00", 9));

	/* Without a GED and PCI: no MCFG, no GED. */
	struct acpi_x86_params q = default_params(1);
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == 0);
	CHECK(lay.nr_tables == 5);
	CHECK(!contains(buf + lay.tables[3].offset, lay.tables[3].length, "GED0", 4));

	/* Bad hosts. */
	struct acpi_pci_host bad = hosts[0];
	q = p;
	q.pci_hosts = NULL;
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == -EINVAL);
	q = p;
	q.nr_pci_hosts = ACPI_MAX_PCI_HOSTS + 1;
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == -EINVAL);
	q = p;
	q.nr_pci_hosts = 1;
	q.pci_hosts = &bad;
	bad.bus_start = 5;
	bad.bus_end = 4;
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == -EINVAL);
	bad = hosts[0];
	bad.mmio32_base = 0xf0000000;
	bad.mmio32_size = 0x20000000;
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == -EINVAL);
	bad = hosts[0];
	bad.mmio64_base = UINT64_MAX - 0xfff;
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == -EINVAL);
	bad = hosts[0];
	bad.ecam_base = 0xe0001000;
	CHECK(acpi_build_x86(&q, 0xe0000, buf, sizeof(buf), &lay) == -EINVAL);

	/* acpi_write_tables: one file per table, byte for byte. */
	CHECK(acpi_build_x86(&p, 0xe0000, buf, sizeof(buf), &lay) == 0);
	char dir[] = "/tmp/acpi-tables.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK(acpi_write_tables(&lay, buf, dir) == 0);
	CHECK(acpi_write_tables(&lay, buf, "/nonexistent/dir") == -ENOENT);
	for (unsigned i = 0; i < lay.nr_tables; i++) {
		char path[256];
		uint8_t got[16 * 1024];
		snprintf(path, sizeof(path), "%s/%s.dat", dir, lay.tables[i].signature);
		FILE *f = fopen(path, "rb");
		CHECK(f != NULL);
		if (!f)
			continue;
		size_t n = fread(got, 1, sizeof(got), f);
		fclose(f);
		CHECK(n == lay.tables[i].length);
		CHECK(n <= sizeof(got) && !memcmp(got, buf + lay.tables[i].offset, n));
		remove(path);
	}
	rmdir(dir);
}

int main(void)
{
	struct acpi_x86_params p;

	p = default_params(1);
	check_tables(&p);
	p = default_params(4);
	check_tables(&p);
	p = default_params(4);
	p.com1_port = 0;
	p.pvpanic_port = 0;
	check_tables(&p);
	p = default_params(255);
	check_tables(&p);
	check_enospc();
	check_einval();
	check_pkglen();
	check_aml();
	check_pci();

	return check_summary("acpi-tables");
}
