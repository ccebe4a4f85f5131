// SPDX-License-Identifier: Apache-2.0
/*
 * acpi-dump DIR [key=value...]: build the x86 tables and write each one to
 * DIR/<SIG>.dat (RSDP.dat, XSDT.dat, FACP.dat, DSDT.dat, APIC.dat) for
 * disassembly with iasl, printing "SIG gpa=0x... len=N" for each. Keys:
 * cpus, lapic, ioapic, ioapic-id, sleep-ctl, sleep-sts, reset-port,
 * reset-value, s5, com1-port, com1-irq, pvpanic, base, ssdt, pci, pci-io,
 * ged, ged-gsi. Numbers accept 0x prefixes; running without arguments lists
 * the defaults. Tables are written with acpi_write_tables().
 *
 * pci=N adds N PCIe host bridges laid out like skiff's x86 default: ECAM
 * at 0xe0000000, buses split evenly, 32-bit windows split from
 * 0xc0000000 (512 MiB), 64-bit ones from 0x4000000000 (64 GiB), _PRT GSI
 * 16 + (slot + pin) % 4 for every slot; pci-io=1 gives host 0 the I/O
 * window 0xc000-0xcfff. ged=ADDR adds the GED at ADDR with GSI ged-gsi.
 *
 * ssdt=1 also writes DIR/SSDT.dat, an AML builder exercise that is not part
 * of the VM's tables: a PCIe-host-bridge-like device with a _CRS using
 * every descriptor the builder has, a _PRT package needing a 2-byte
 * PkgLength and a buffer needing a 3-byte one, so that iasl checks the
 * encoder too.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "aml.h"
#include "tables.h"

struct opt {
	const char *key;
	uint64_t max;
	uint64_t value;
};

enum {
	O_CPUS, O_LAPIC, O_IOAPIC, O_IOAPIC_ID, O_SLEEP_CTL, O_SLEEP_STS, O_RESET_PORT,
	O_RESET_VALUE, O_S5, O_COM1_PORT, O_COM1_IRQ, O_PVPANIC, O_BASE, O_SSDT, O_PCI, O_PCI_IO,
	O_GED, O_GED_GSI, O_VIOMMUS, O_VIOMMU_INCL, O_VIOMMU_SEGS, O_VIOMMU_BITS, O_COUNT
};

static int usage(const struct opt *o)
{
	fprintf(stderr, "usage: acpi-dump DIR [key=value...]\nkeys (defaults):\n");
	for (int i = 0; i < O_COUNT; i++)
		fprintf(stderr, "  %s=0x%" PRIx64 "\n", o[i].key, o[i].value);
	return 2;
}

static int write_file(const char *dir, const char *sig, const void *data, size_t len)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s.dat", dir, sig) >= (int)sizeof(path)) {
		fprintf(stderr, "acpi-dump: path too long\n");
		return -1;
	}
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "acpi-dump: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fwrite(data, 1, len, f);
	if (fclose(f) != 0 || n != len) {
		fprintf(stderr, "acpi-dump: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

static void ssdt_body(struct aml_buf *b)
{
	aml_scope_begin(b, "\\_SB");
	aml_device_begin(b, "PCI0");
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0A08");
	aml_name(b, "_CID");
	aml_eisaid(b, "PNP0A03");
	aml_name(b, "_SEG");
	aml_integer(b, 0);
	aml_name(b, "_UID");
	aml_integer(b, 0);

	aml_name(b, "_CRS");
	aml_resource_begin(b);
	aml_rs_word_bus_number(b, &(struct aml_rs_addr){ .producer = true, .min_fixed = true,
						       .max_fixed = true, .min = 0, .max = 0xff,
						       .length = 0x100 });
	aml_rs_word_io(b, &(struct aml_rs_addr){ .producer = true, .min_fixed = true,
					       .max_fixed = true, .min = 0x1000, .max = 0xffff,
					       .length = 0xf000 });
	aml_rs_dword_io(b, &(struct aml_rs_addr){ .producer = true, .min_fixed = true,
						.max_fixed = true, .min = 0x0, .max = 0xcf7,
						.length = 0xcf8 });
	aml_rs_dword_memory(b, &(struct aml_rs_addr){ .producer = true, .min_fixed = true,
						    .max_fixed = true, .min = 0xc0000000,
						    .max = 0xdfffffff, .length = 0x20000000 },
			    AML_NON_CACHEABLE, true);
	aml_rs_qword_memory(b, &(struct aml_rs_addr){ .producer = true, .min_fixed = true,
						    .max_fixed = true, .min = 0x8000000000ull,
						    .max = 0xffffffffffull,
						    .length = 0x8000000000ull },
			    AML_PREFETCHABLE, true);
	aml_rs_memory32_fixed(b, true, 0xe0000000, 0x10000000);
	aml_rs_io(b, false, 0xcf8, 0xcf8, 1, 8);
	aml_rs_irq_noflags(b, (1u << 5) | (1u << 10));
	aml_end(b);

	/* _PRT: 32 devices x 4 pins, 128 entries (a 2-byte PkgLength). */
	aml_name(b, "_PRT");
	aml_package_begin(b, 128);
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_package_begin(b, 4);
			aml_integer(b, (uint64_t)dev << 16 | 0xffff);
			aml_integer(b, pin);
			aml_integer(b, 0);
			aml_integer(b, 16 + (dev + pin) % 8);
			aml_end(b);
		}
	}
	aml_end(b);

	/* A 5000-byte buffer (a 3-byte PkgLength, a WordConst BufferSize). */
	uint8_t blob[5000];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	aml_name(b, "BLOB");
	aml_buffer(b, blob, sizeof(blob));

	aml_name(b, "STR0");
	aml_string(b, "skiff");
	aml_name(b, "Q64");
	aml_integer(b, 0x123456789abcdef0ull);
	aml_name(b, "ALL1");
	aml_integer(b, UINT64_MAX);

	aml_method_begin(b, "_STA", 0, true, 0);
	aml_return(b);
	aml_integer(b, 0x0f);
	aml_end(b);
	aml_end(b); /* PCI0 */
	aml_end(b); /* \_SB */
}

static int write_ssdt(const char *dir)
{
	struct aml_buf b;
	struct acpi_header h;
	int err;

	aml_init(&b);
	memset(&h, 0, sizeof(h));
	aml_bytes(&b, &h, sizeof(h));
	ssdt_body(&b);
	err = aml_finish(&b);
	if (err) {
		fprintf(stderr, "acpi-dump: SSDT: %s\n", strerror(-err));
		aml_free(&b);
		return -1;
	}
	acpi_header_init(&h, "SSDT", (uint32_t)b.len, 2);
	memcpy(b.data, &h, sizeof(h));
	acpi_table_checksum(b.data);
	err = write_file(dir, "SSDT", b.data, b.len);
	if (!err)
		printf("SSDT len=%zu\n", b.len);
	aml_free(&b);
	return err;
}

/*
 * vIOMMU i of n on segment i % segs, the (i / segs)-th of its segment: its
 * own 32-bus block with a gap before and after it (buses 32k+2..32k+17),
 * register slot i (VT-d page / SMMUv3 frame, 128 KiB apart), and unless
 * INCLUDE_PCI_ALL, (i % 4) + 1 scopes on its root bus alternating
 * endpoint and bridge: devices 1.. , functions i % 8.
 */
static void make_viommu(struct acpi_viommu *u, unsigned i, unsigned segs, unsigned incl)
{
	unsigned k = i / segs;

	memset(u, 0, sizeof(*u));
	u->reg_base = 0xfe000000ull + 0x20000ull * i;
	u->segment = (uint16_t)(i % segs);
	u->bus_first = (uint8_t)(32 * k + 2);
	u->bus_last = (uint8_t)(32 * k + 17);
	u->include_all = incl;
	if (incl)
		return;
	u->nr_scopes = i % 4 + 1;
	for (unsigned s = 0; s < u->nr_scopes; s++) {
		u->scopes[s].type = s % 2 ? ACPI_VIOMMU_SCOPE_BRIDGE : ACPI_VIOMMU_SCOPE_ENDPOINT;
		u->scopes[s].dev = (uint8_t)(s + 1);
		u->scopes[s].fn = (uint8_t)(i % 8);
	}
}

/* The input, one line per vIOMMU, for iasl-check.sh to compare with iasl's decoding. */
static void print_viommus(const struct acpi_viommu *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		printf("viommu %u reg=0x%" PRIx64 " seg=%u bus=%u-%u incl=%d scopes=", i,
		       v[i].reg_base, v[i].segment, v[i].bus_first, v[i].bus_last,
		       v[i].include_all);
		for (unsigned s = 0; s < v[i].nr_scopes; s++)
			printf("%s%u:%u.%u", s ? "," : "", v[i].scopes[s].type, v[i].scopes[s].dev,
			       v[i].scopes[s].fn);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	struct opt o[O_COUNT] = {
		[O_CPUS] = { "cpus", UINT32_MAX, 1 },
		[O_LAPIC] = { "lapic", UINT64_MAX, 0xfee00000 },
		[O_IOAPIC] = { "ioapic", UINT64_MAX, 0xfec00000 },
		[O_IOAPIC_ID] = { "ioapic-id", UINT8_MAX, 0 },
		[O_SLEEP_CTL] = { "sleep-ctl", UINT16_MAX, 0x600 },
		[O_SLEEP_STS] = { "sleep-sts", UINT16_MAX, 0x601 },
		[O_RESET_PORT] = { "reset-port", UINT16_MAX, 0xcf9 },
		[O_RESET_VALUE] = { "reset-value", UINT8_MAX, 0x06 },
		[O_S5] = { "s5", UINT8_MAX, 5 },
		[O_COM1_PORT] = { "com1-port", UINT16_MAX, 0x3f8 },
		[O_COM1_IRQ] = { "com1-irq", UINT8_MAX, 4 },
		[O_PVPANIC] = { "pvpanic", UINT16_MAX, 0x505 },
		[O_BASE] = { "base", UINT64_MAX, 0xe0000 },
		[O_SSDT] = { "ssdt", 1, 0 },
		[O_PCI] = { "pci", 16, 0 },
		[O_PCI_IO] = { "pci-io", 1, 0 },
		[O_GED] = { "ged", UINT64_MAX, 0 },
		[O_GED_GSI] = { "ged-gsi", UINT32_MAX, 20 },
		[O_VIOMMUS] = { "viommus", 2 * ACPI_MAX_VIOMMUS, 0 },
		[O_VIOMMU_INCL] = { "viommu-incl", 0xffff, 0 },
		[O_VIOMMU_SEGS] = { "viommu-segs", ACPI_MAX_VIOMMUS, 1 },
		[O_VIOMMU_BITS] = { "viommu-bits", 64, 39 },
	};

	if (argc < 2 || argv[1][0] == '-')
		return usage(o);
	for (int a = 2; a < argc; a++) {
		const char *eq = strchr(argv[a], '=');
		int i;
		for (i = 0; eq && i < O_COUNT; i++)
			if (strlen(o[i].key) == (size_t)(eq - argv[a]) &&
			    !strncmp(o[i].key, argv[a], (size_t)(eq - argv[a])))
				break;
		if (!eq || i == O_COUNT) {
			fprintf(stderr, "acpi-dump: unknown option '%s'\n", argv[a]);
			return usage(o);
		}
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 0);
		if (errno || end == eq + 1 || *end || v > o[i].max) {
			fprintf(stderr, "acpi-dump: bad value in '%s'\n", argv[a]);
			return 2;
		}
		o[i].value = v;
	}

	struct acpi_x86_params p = {
		.nr_cpus = (unsigned)o[O_CPUS].value,
		.lapic_addr = o[O_LAPIC].value,
		.ioapic_addr = o[O_IOAPIC].value,
		.ioapic_id = (uint8_t)o[O_IOAPIC_ID].value,
		.sleep_control_port = (uint16_t)o[O_SLEEP_CTL].value,
		.sleep_status_port = (uint16_t)o[O_SLEEP_STS].value,
		.reset_port = (uint16_t)o[O_RESET_PORT].value,
		.reset_value = (uint8_t)o[O_RESET_VALUE].value,
		.s5_slp_typ = (uint8_t)o[O_S5].value,
		.com1_port = (uint16_t)o[O_COM1_PORT].value,
		.com1_irq = (uint8_t)o[O_COM1_IRQ].value,
		.pvpanic_port = (uint16_t)o[O_PVPANIC].value,
		.ged_addr = o[O_GED].value,
		.ged_gsi = (uint32_t)o[O_GED_GSI].value,
	};
	static struct acpi_pci_host hosts[16];
	unsigned nr_hosts = (unsigned)o[O_PCI].value;
	for (unsigned i = 0; i < nr_hosts; i++) {
		struct acpi_pci_host *h = &hosts[i];
		unsigned nbus = 256 / nr_hosts;
		h->bus_start = (uint8_t)(i * nbus);
		h->bus_end = (uint8_t)(i * nbus + nbus - 1);
		h->ecam_base = 0xe0000000;
		h->mmio32_size = (0x20000000 / nr_hosts) & ~0xfffffull;
		h->mmio32_base = 0xc0000000 + i * h->mmio32_size;
		h->mmio64_size = (0x1000000000ull / nr_hosts) & ~0xfffffull;
		h->mmio64_base = 0x4000000000ull + i * h->mmio64_size;
		if (i == 0 && o[O_PCI_IO].value) {
			h->io_base = 0xc000;
			h->io_size = 0x1000;
		}
		for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++)
			for (unsigned pin = 0; pin < 4; pin++)
				h->prt_gsi[d][pin] = 16 + (d + pin) % 4;
	}
	p.nr_pci_hosts = nr_hosts;
	p.pci_hosts = nr_hosts ? hosts : NULL;
	static struct acpi_viommu viommus[2 * ACPI_MAX_VIOMMUS];
	unsigned nr_viommus = (unsigned)o[O_VIOMMUS].value;
	unsigned segs = o[O_VIOMMU_SEGS].value ? (unsigned)o[O_VIOMMU_SEGS].value : 1;
	for (unsigned i = 0; i < nr_viommus; i++)
		make_viommu(&viommus[i], i, segs, (unsigned)(o[O_VIOMMU_INCL].value >> i) & 1);
	p.nr_viommus = nr_viommus;
	p.viommus = nr_viommus ? viommus : NULL;
	p.phys_addr_bits = (uint8_t)o[O_VIOMMU_BITS].value;
	if (nr_viommus) {
		char msg[256];
		int r = acpi_viommus_check(viommus, nr_viommus, msg, sizeof(msg));
		if (r) {
			fprintf(stderr, "acpi-dump: %s\n", msg);
			return 1;
		}
	}
	static uint8_t buf[64 * 1024];
	struct acpi_layout lay;
	int err = acpi_build_x86(&p, o[O_BASE].value, buf, sizeof(buf), &lay);
	if (err) {
		fprintf(stderr, "acpi-dump: acpi_build_x86: %s\n", strerror(-err));
		return 1;
	}
	err = acpi_write_iort(viommus, nr_viommus, p.phys_addr_bits, argv[1]);
	if (err) {
		fprintf(stderr, "acpi-dump: acpi_write_iort: %s\n", strerror(-err));
		return 1;
	}
	print_viommus(viommus, nr_viommus);

	err = acpi_write_tables(&lay, buf, argv[1]);
	if (err) {
		fprintf(stderr, "acpi-dump: acpi_write_tables: %s\n", strerror(-err));
		return 1;
	}
	for (unsigned i = 0; i < lay.nr_tables; i++) {
		const struct acpi_table_ref *t = &lay.tables[i];
		printf("%s gpa=0x%" PRIx64 " len=%u\n", t->signature, t->gpa, t->length);
	}
	if (o[O_SSDT].value && write_ssdt(argv[1]))
		return 1;
	return 0;
}
