// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the vIOMMU tables: acpi_viommus_check(), acpi_build_dmar(),
 * acpi_build_iort(), acpi_write_iort() and the DMAR in acpi_build_x86().
 *
 * The tables are decoded here from their bytes, without the builder's
 * structs, and compared with the input. The IORT is also walked the way
 * Linux's drivers/acpi/arm64/iort.c resolves IDs: every requester ID of
 * every segment must reach the right SMMUv3 node with StreamID = RID and
 * then the ITS with DeviceID (segment << 16) | RID, or the ITS directly
 * when no vIOMMU owns its bus. Inputs come from a fixed generator (no
 * randomness between runs): 1 to 8 vIOMMUs, 1 to 4 segments, scoped and
 * INCLUDE_PCI_ALL units mixed, varied bus ranges and scopes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "check.h"

/* A check whose result the test branches on: evaluates to cond. */
#define VERIFY(cond, ...) \
	((cond) ? check_ok(true) \
		: (checks++, check_fail(__FILE__, __LINE__, NULL, __VA_ARGS__), false))

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A fixed pseudo-random sequence, so every run tests the same inputs. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/*
 * n vIOMMUs over nseg segments; vIOMMU i on segment i % nseg, each with its
 * own slice of the 256 buses (a random range inside it); incl_mask picks the
 * INCLUDE_PCI_ALL units (at most one per segment is the caller's job).
 */
static void gen(struct acpi_viommu *v, unsigned n, unsigned nseg, unsigned incl_mask, uint32_t seed)
{
	unsigned per_seg = (n + nseg - 1) / nseg;
	unsigned slice = 256 / per_seg;

	for (unsigned i = 0; i < n; i++) {
		struct acpi_viommu *u = &v[i];
		unsigned k = i / nseg;
		unsigned lo = k * slice, len = 1 + lcg(&seed) % slice;
		unsigned first = lo + lcg(&seed) % (slice - len + 1);

		memset(u, 0, sizeof(*u));
		u->reg_base = 0xfe000000ull + 0x20000ull * i;
		u->segment = (uint16_t)(i % nseg);
		u->bus_first = (uint8_t)first;
		u->bus_last = (uint8_t)(first + len - 1);
		u->include_all = (incl_mask >> i) & 1;
		if (u->include_all)
			continue;
		u->nr_scopes = lcg(&seed) % 9;
		for (unsigned s = 0; s < u->nr_scopes; s++) {
			u->scopes[s].type = (uint8_t)(1 + lcg(&seed) % 2);
			u->scopes[s].dev = (uint8_t)(s * 3 + lcg(&seed) % 3); /* distinct devices */
			u->scopes[s].fn = (uint8_t)(lcg(&seed) % 8);
		}
	}
}

static void check_header(const uint8_t *t, size_t len, const char *sig, uint8_t rev)
{
	CHECK(!memcmp(t, sig, 4));
	CHECK_EQ(rd32(t + 4), len);
	CHECK_EQ(t[8], rev);
	CHECK_EQ(sum8(t, len), 0);
	CHECK(!memcmp(t + 10, "SKIFF ", 6));
}

/* DMAR: scoped units in input order, then INCLUDE_PCI_ALL ones; every field. */
static void check_dmar(const uint8_t *t, size_t len, const struct acpi_viommu *v, unsigned n,
		       unsigned bits)
{
	size_t off = 48;

	check_header(t, len, "DMAR", 1);
	CHECK_EQ(t[36], bits - 1);
	CHECK_EQ(t[37], 0); /* no INTR_REMAP, no X2APIC_OPT_OUT, no DMA_CTRL opt-in */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < n; i++) {
			const struct acpi_viommu *u = &v[i];
			if (u->include_all != (pass == 1))
				continue;
			if (!check_ok(off + 16 <= len)) {
				fprintf(stderr, "DMAR ends before vIOMMU %u\n", i);
				return;
			}
			const uint8_t *d = t + off;
			CHECK_EQ(rd16(d), 0);
			CHECK_EQ(rd16(d + 2), 16 + 8 * u->nr_scopes);
			CHECK_EQ(d[4], u->include_all ? 1 : 0);
			CHECK_EQ(d[5], 0);
			CHECK_EQ(rd16(d + 6), u->segment);
			CHECK_EQ(rd64(d + 8), u->reg_base);
			for (unsigned s = 0; s < u->nr_scopes && off + 24 + 8 * s <= len; s++) {
				const uint8_t *sc = d + 16 + 8 * s;
				CHECK_EQ(sc[0], u->scopes[s].type);
				CHECK_EQ(sc[1], 8);
				CHECK_EQ(sc[5], u->bus_first);
				CHECK_EQ(sc[6], u->scopes[s].dev);
				CHECK_EQ(sc[7], u->scopes[s].fn);
			}
			off += rd16(d + 2);
		}
	}
	CHECK_EQ(off, len);
}

struct iort_view {
	const uint8_t *t;
	size_t len;
	uint32_t its;              /* offset of the ITS group */
	uint32_t smmu[ACPI_MAX_VIOMMUS];
	uint32_t rc[ACPI_IORT_MAX_SEGMENT];
	bool has_rc[ACPI_IORT_MAX_SEGMENT];
};

/* The mapping of node at off that contains id, skipping index skip; -1 if none. */
static int find_map(const struct iort_view *w, uint32_t off, uint32_t id, int skip)
{
	const uint8_t *nd = w->t + off;
	uint32_t count = rd32(nd + 8), moff = rd32(nd + 12);
	int found = -1;

	for (uint32_t m = 0; m < count; m++) {
		const uint8_t *mp = nd + moff + 20 * m;
		if ((int)m == skip || (rd32(mp + 16) & 1))
			continue;
		if (id >= rd32(mp) && id - rd32(mp) <= rd32(mp + 4)) {
			CHECK_MSG(found < 0, "node at %#x: ID %#x in two mappings", off, id);
			found = (int)m;
		}
	}
	return found;
}

static void check_rid(const struct iort_view *w, const struct acpi_viommu *v, unsigned n,
		      uint16_t seg, uint32_t rid)
{
	int owner = -1;
	for (unsigned i = 0; i < n; i++)
		if (v[i].segment == seg && rid >> 8 >= v[i].bus_first && rid >> 8 <= v[i].bus_last)
			owner = (int)i;
	uint32_t rc = w->rc[seg];
	int m = find_map(w, rc, rid, -1);
	if (!VERIFY(m >= 0, "segment %u RID %#x: no root complex mapping", seg, rid))
		return;
	const uint8_t *mp = w->t + rc + rd32(w->t + rc + 12) + 20 * m;
	uint32_t out = rd32(mp + 8) + (rid - rd32(mp)), ref = rd32(mp + 12);
	if (owner < 0) {
		CHECK_MSG(ref == w->its && out == ((uint32_t)seg << 16 | rid),
			  "segment %u RID %#x: expected the ITS directly", seg, rid);
		return;
	}
	uint32_t sm = w->smmu[owner];
	if (!VERIFY(ref == sm && out == rid, "segment %u RID %#x: expected SMMU %d, StreamID = RID",
		       seg, rid, owner))
		return;
	int idx = (int)rd32(w->t + sm + 64);
	m = find_map(w, sm, out, idx);
	if (!VERIFY(m >= 0, "SMMU %d: StreamID %#x not mapped on", owner, out))
		return;
	mp = w->t + sm + rd32(w->t + sm + 12) + 20 * m;
	CHECK(rd32(mp + 12) == w->its);
	CHECK(rd32(mp + 8) + (out - rd32(mp)) == ((uint32_t)seg << 16 | rid));
}

static void check_smmu(const struct iort_view *w, const struct acpi_viommu *u, unsigned i)
{
	const uint8_t *nd = w->t + w->smmu[i];
	CHECK_EQ(nd[0], 4);
	CHECK_EQ(nd[3], 4);            /* node revision (E.d) */
	CHECK_EQ(rd64(nd + 16), u->reg_base);
	CHECK_EQ(rd32(nd + 24), 1);    /* COHACC override */
	CHECK_EQ(rd32(nd + 36), 0);    /* generic SMMUv3 */
	for (unsigned g = 0; g < 4; g++)
		CHECK_EQ(rd32(nd + 40 + 4 * g), 0); /* MSIs, not GSIVs */
	uint32_t idx = rd32(nd + 64);
	CHECK(idx < rd32(nd + 8));
	const uint8_t *mp = nd + rd32(nd + 12) + 20 * idx;
	CHECK_EQ(rd32(mp + 16), 1);    /* single mapping */
	CHECK_EQ(rd32(mp + 12), w->its);
	CHECK_EQ(rd32(mp + 8), ACPI_IORT_SMMU_DEVID_BASE + i);
}

static void check_iort(const uint8_t *t, size_t len, const struct acpi_viommu *v, unsigned n,
		       unsigned bits)
{
	struct iort_view w = { .t = t, .len = len };
	unsigned nsmmu = 0, nrc = 0, nits = 0, nseg = 0;
	bool seg_used[ACPI_IORT_MAX_SEGMENT] = { false };

	check_header(t, len, "IORT", 5);
	for (unsigned i = 0; i < n; i++) {
		nseg += !seg_used[v[i].segment];
		seg_used[v[i].segment] = true;
	}
	uint32_t count = rd32(t + 36), off = rd32(t + 40);
	CHECK_EQ(count, 1 + n + nseg);
	for (uint32_t k = 0; k < count; k++) {
		if (!VERIFY(off + 16 <= len && rd16(t + off + 1) >= 16 &&
			       off + rd16(t + off + 1) <= len, "IORT node %u out of bounds", k))
			return;
		const uint8_t *nd = t + off;
		CHECK_EQ(rd32(nd + 4), k); /* unique identifiers */
		if (nd[0] == 0) {
			w.its = off;
			nits++;
			CHECK_EQ(rd32(nd + 16), 1);
		} else if (nd[0] == 4 && nsmmu < n) {
			w.smmu[nsmmu++] = off;
		} else if (nd[0] == 2 && rd32(nd + 28) < ACPI_IORT_MAX_SEGMENT) {
			w.rc[rd32(nd + 28)] = off;
			w.has_rc[rd32(nd + 28)] = true;
			nrc++;
			CHECK_EQ(nd[3], 3);
			CHECK_EQ(rd32(nd + 16), 1); /* coherent */
			CHECK_EQ(nd[23], 3);        /* CPM | DACS */
			CHECK_EQ(rd32(nd + 24), 0); /* no ATS */
			CHECK_EQ(nd[32], bits);
		} else {
			CHECK_MSG(false, "IORT node %u: unexpected type %u", k, nd[0]);
		}
		off += rd16(nd + 1);
	}
	CHECK_EQ(off, len);
	CHECK_EQ(nits, 1);
	CHECK_EQ(nsmmu, n);
	CHECK_EQ(nrc, nseg);
	for (unsigned i = 0; i < nsmmu; i++)
		check_smmu(&w, &v[i], i);
	for (unsigned s = 0; s < ACPI_IORT_MAX_SEGMENT; s++) {
		CHECK_EQ(w.has_rc[s], seg_used[s]);
		if (!w.has_rc[s] || !seg_used[s])
			continue;
		for (uint32_t rid = 0; rid <= 0xffff; rid++)
			check_rid(&w, v, n, (uint16_t)s, rid);
	}
}

static uint8_t buf[64 * 1024];

static void check_one(const struct acpi_viommu *v, unsigned n, unsigned bits)
{
	size_t len = 0, need = 0;

	CHECK_EQ(acpi_viommus_check(v, n, NULL, 0), 0);
	CHECK_EQ(acpi_build_dmar(v, n, bits, NULL, 0, &need), -ENOSPC);
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(acpi_build_dmar(v, n, bits, buf, need - 1, &len), -ENOSPC);
	CHECK_EQ(buf[0], 0xa5); /* untouched */
	CHECK_EQ(acpi_build_dmar(v, n, bits, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, need);
	CHECK_EQ(buf[len], 0xa5);
	check_dmar(buf, len, v, n, bits);

	CHECK_EQ(acpi_build_iort(v, n, bits, NULL, 0, &need), -ENOSPC);
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(acpi_build_iort(v, n, bits, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, need);
	CHECK_EQ(buf[len], 0xa5);
	check_iort(buf, len, v, n, bits);
}

static void check_generated(void)
{
	static struct acpi_viommu v[ACPI_MAX_VIOMMUS];
	unsigned cases = 0;

	for (unsigned n = 1; n <= ACPI_MAX_VIOMMUS; n++) {
		for (unsigned nseg = 1; nseg <= 4 && nseg <= n; nseg++) {
			/* none, the last one, and the first of every segment INCLUDE_PCI_ALL */
			unsigned masks[3] = { 0, 1u << (n - 1), (1u << nseg) - 1 };
			for (unsigned m = 0; m < 3; m++) {
				gen(v, n, nseg, masks[m], 7 * n + 3 * nseg + m);
				check_one(v, n, 32 + (n * 7 + m) % 33);
				cases++;
			}
		}
	}
	printf("acpi-viommu: %u generated vIOMMU lists checked\n", cases);
}

static struct acpi_viommu two[2];

static void reset_two(void)
{
	gen(two, 2, 1, 0, 1);
	two[0].bus_first = 0x10, two[0].bus_last = 0x1f;
	two[1].bus_first = 0x20, two[1].bus_last = 0x2f;
	CHECK_EQ(acpi_viommus_check(two, 2, NULL, 0), 0);
}

static void expect_reject(int err, const char *needle, int line)
{
	char msg[256] = "";
	int r = acpi_viommus_check(two, 2, msg, sizeof(msg));

	CHECK_MSG(r == err && strstr(msg, needle), "line %d: got %d \"%s\", wanted %d \"...%s...\"",
		  line, r, msg, err, needle);
	size_t len;
	CHECK_MSG(acpi_build_dmar(two, 2, 39, buf, sizeof(buf), &len) == err, "line %d: DMAR", line);
	CHECK_MSG(acpi_build_iort(two, 2, 39, buf, sizeof(buf), &len) == err, "line %d: IORT", line);
	reset_two();
}

static void check_rejects(void)
{
	static struct acpi_viommu nine[ACPI_MAX_VIOMMUS + 1];
	char msg[256] = "";
	size_t len;

	gen(nine, 9, 3, 0, 5);
	CHECK_EQ(acpi_viommus_check(nine, 9, msg, sizeof(msg)), -E2BIG);
	CHECK(!strcmp(msg, "9 vIOMMUs: at most 8 are supported"));
	CHECK_EQ(acpi_build_dmar(nine, 9, 39, buf, sizeof(buf), &len), -E2BIG);
	CHECK_EQ(acpi_build_iort(nine, 9, 39, buf, sizeof(buf), &len), -E2BIG);
	CHECK_EQ(acpi_viommus_check(NULL, 1, msg, sizeof(msg)), -EINVAL);

	reset_two();
	two[1].bus_first = 0x1f;
	expect_reject(-EINVAL, "vIOMMUs 0 and 1 overlap on segment 0: buses 0x10-0x1f and 0x1f-0x2f",
		      __LINE__);
	two[1].bus_first = 0x00, two[1].bus_last = 0xff;
	expect_reject(-EINVAL, "overlap on segment 0", __LINE__);
	two[0].bus_first = 0x30;
	expect_reject(-EINVAL, "vIOMMU 0: bus range 0x30-0x1f is reversed", __LINE__);
	two[0].include_all = two[1].include_all = true;
	two[0].nr_scopes = two[1].nr_scopes = 0;
	expect_reject(-EINVAL, "both INCLUDE_PCI_ALL units of segment 0", __LINE__);
	two[1].include_all = true;
	two[1].nr_scopes = 1;
	expect_reject(-EINVAL, "vIOMMU 1: an INCLUDE_PCI_ALL unit cannot also list device scopes",
		      __LINE__);
	two[0].nr_scopes = 1;
	two[0].scopes[0] = (struct acpi_viommu_scope){ 3, 1, 0 };
	expect_reject(-EINVAL, "vIOMMU 0: scope 0 has type 3", __LINE__);
	two[0].nr_scopes = 1;
	two[0].scopes[0] = (struct acpi_viommu_scope){ 1, 32, 0 };
	expect_reject(-EINVAL, "names device 32 function 0", __LINE__);
	two[0].nr_scopes = 2;
	two[0].scopes[0] = (struct acpi_viommu_scope){ 1, 4, 2 };
	two[0].scopes[1] = (struct acpi_viommu_scope){ 2, 4, 2 };
	expect_reject(-EINVAL, "vIOMMU 0: function 04.2 is listed twice", __LINE__);
	two[0].nr_scopes = ACPI_VIOMMU_MAX_SCOPES + 1;
	expect_reject(-EINVAL, "257 device scopes", __LINE__);
	two[1].reg_base = 0;
	expect_reject(-EINVAL, "vIOMMU 1: register base 0 is not", __LINE__);
	two[1].reg_base = 0xfe000800;
	expect_reject(-EINVAL, "register base 0xfe000800 is not", __LINE__);
	two[1].reg_base = two[0].reg_base;
	expect_reject(-EINVAL, "share the register page 0xfe000000", __LINE__);

	/* Different segments may reuse bus numbers; one INCLUDE_PCI_ALL each. */
	two[1].segment = 1;
	two[1].bus_first = 0x10, two[1].bus_last = 0x1f;
	two[0].include_all = two[1].include_all = true;
	two[0].nr_scopes = two[1].nr_scopes = 0;
	CHECK_EQ(acpi_viommus_check(two, 2, msg, sizeof(msg)), 0);
	check_one(two, 2, 39);

	/* IORT only: SMMUv3 frames are 128 KiB, 64 KiB aligned; segments < 16. */
	reset_two();
	two[1].reg_base = two[0].reg_base + 0x1000; /* fine for VT-d */
	CHECK_EQ(acpi_build_dmar(two, 2, 39, buf, sizeof(buf), &len), 0);
	CHECK_EQ(acpi_build_iort(two, 2, 39, buf, sizeof(buf), &len), -EINVAL);
	two[1].reg_base = two[0].reg_base + 0x10000; /* aligned, frames overlap */
	CHECK_EQ(acpi_build_iort(two, 2, 39, buf, sizeof(buf), &len), -EINVAL);
	two[1].reg_base = two[0].reg_base + 0x20000;
	CHECK_EQ(acpi_build_iort(two, 2, 39, buf, sizeof(buf), &len), 0);
	two[1].segment = ACPI_IORT_MAX_SEGMENT;
	CHECK_EQ(acpi_build_dmar(two, 2, 39, buf, sizeof(buf), &len), 0);
	CHECK_EQ(acpi_build_iort(two, 2, 39, buf, sizeof(buf), &len), -EINVAL);
	reset_two();

	/* Address width and empty lists. */
	CHECK_EQ(acpi_build_dmar(two, 2, 31, buf, sizeof(buf), &len), -EINVAL);
	CHECK_EQ(acpi_build_iort(two, 2, 65, buf, sizeof(buf), &len), -EINVAL);
	CHECK_EQ(acpi_build_dmar(two, 0, 39, buf, sizeof(buf), &len), -EINVAL);
	CHECK_EQ(acpi_build_iort(two, 0, 39, buf, sizeof(buf), &len), -EINVAL);
	CHECK_EQ(acpi_build_dmar(two, 2, 39, NULL, 16, &len), -EINVAL);
}

static struct acpi_x86_params x86_params(void)
{
	return (struct acpi_x86_params){
		.nr_cpus = 2, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
		.sleep_control_port = 0x600, .sleep_status_port = 0x601, .reset_port = 0x602,
		.reset_value = 1, .s5_slp_typ = 5,
	};
}

/* The x86 build carries the DMAR (as acpi_build_dmar makes it) iff there are vIOMMUs. */
static void check_x86(void)
{
	static uint8_t tables[64 * 1024];
	static struct acpi_pci_host hosts[2];
	struct acpi_x86_params p = x86_params();
	struct acpi_layout lay;
	size_t len;

	hosts[0] = (struct acpi_pci_host){ .bus_start = 0, .bus_end = 0x7f, .ecam_base = 0xe0000000 };
	hosts[1] = (struct acpi_pci_host){ .bus_start = 0x80, .bus_end = 0xff, .ecam_base = 0xe0000000 };
	p.nr_pci_hosts = 2;
	p.pci_hosts = hosts;
	CHECK_EQ(acpi_build_x86(&p, 0xe0000, tables, sizeof(tables), &lay), 0);
	for (unsigned i = 0; i < lay.nr_tables; i++)
		CHECK(strcmp(lay.tables[i].signature, "DMAR") && strcmp(lay.tables[i].signature, "IORT"));

	reset_two();
	two[1].bus_first = 0x80, two[1].bus_last = 0x9f;
	p.nr_viommus = 2;
	p.viommus = two;
	p.phys_addr_bits = 46;
	CHECK_EQ(acpi_build_x86(&p, 0xe0000, tables, sizeof(tables), &lay), 0);
	const struct acpi_table_ref *d = NULL, *x = NULL;
	for (unsigned i = 0; i < lay.nr_tables; i++) {
		if (!strcmp(lay.tables[i].signature, "DMAR"))
			d = &lay.tables[i];
		if (!strcmp(lay.tables[i].signature, "XSDT"))
			x = &lay.tables[i];
	}
	if (!VERIFY(d && x, "no DMAR or XSDT in the layout"))
		return;
	CHECK_EQ(acpi_build_dmar(two, 2, 46, buf, sizeof(buf), &len), 0);
	CHECK_EQ(d->length, len);
	CHECK(!memcmp(tables + d->offset, buf, len));
	const uint8_t *xs = tables + x->offset;
	CHECK_EQ(rd32(xs + 4), 36 + 8 * 4); /* FADT, MADT, MCFG, DMAR */
	CHECK_EQ(rd64(xs + 36 + 8 * 3), d->gpa);

	/* Refused: a vIOMMU outside every host's buses, or a bad address width. */
	two[1].bus_last = 0x7f + 0x20;
	two[1].bus_first = 0x70;
	CHECK_EQ(acpi_build_x86(&p, 0xe0000, tables, sizeof(tables), &lay), -EINVAL);
	two[1].bus_first = 0x80, two[1].bus_last = 0x9f;
	two[1].segment = 1;
	CHECK_EQ(acpi_build_x86(&p, 0xe0000, tables, sizeof(tables), &lay), -EINVAL);
	two[1].segment = 0;
	p.phys_addr_bits = 0;
	CHECK_EQ(acpi_build_x86(&p, 0xe0000, tables, sizeof(tables), &lay), -EINVAL);
	p.phys_addr_bits = 46;
	p.nr_viommus = 9;
	CHECK_EQ(acpi_build_x86(&p, 0xe0000, tables, sizeof(tables), &lay), -E2BIG);
}

/* acpi_write_iort: DIR/IORT.dat equals acpi_build_iort's bytes; nothing for no vIOMMUs. */
static void check_write_iort(void)
{
	char dir[] = "/tmp/acpi-viommu.XXXXXX", path[64];
	size_t len;

	if (!VERIFY(mkdtemp(dir), "mkdtemp: %s", strerror(errno)))
		return;
	snprintf(path, sizeof(path), "%s/IORT.dat", dir);
	reset_two();
	CHECK_EQ(acpi_write_iort(two, 0, 39, dir), 0);
	CHECK(access(path, F_OK) != 0);
	CHECK_EQ(acpi_write_iort(two, 2, 39, dir), 0);
	CHECK_EQ(acpi_build_iort(two, 2, 39, buf, sizeof(buf), &len), 0);
	static uint8_t file[64 * 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, file, sizeof(file)) : -1;
	if (fd >= 0)
		close(fd);
	CHECK_EQ(got, (ssize_t)len);
	CHECK(got > 0 && !memcmp(file, buf, len));
	two[0].segment = ACPI_IORT_MAX_SEGMENT;
	CHECK_EQ(acpi_write_iort(two, 2, 39, dir), -EINVAL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	check_generated();
	check_rejects();
	check_x86();
	check_write_iort();
	return check_summary("acpi-viommu");
}
