// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vmm/viommu_layout.c: which root buses get a vVT-d unit,
 * in which register slot, with which DRHD scopes; buses with assigned
 * devices only with a backend for them; the unit limit; and the DMAR the
 * layout gives (one DRHD per unit, reg_base and scopes as laid out).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "layout.h"
#include "vm-internal.h"

#define MAX_FUNCS 8

struct funcs {
	struct pci_func f[MAX_FUNCS];
	enum vm_func_kind kind[MAX_FUNCS];
	unsigned n;
};

static enum vm_func_kind classify(void *opaque, const struct pci_func *f)
{
	struct funcs *fs = opaque;

	for (unsigned i = 0; i < fs->n; i++)
		if (&fs->f[i] == f)
			return fs->kind[i];
	return VM_FUNC_EMULATED;
}

static void add(struct pci_root *root, struct funcs *fs, unsigned bus_index, int slot, enum vm_func_kind kind)
{
	struct pci_func_params p = { .vendor_id = 0x1af4, .device_id = 0x1042, .class_code = 0x010000, .pcie = true };
	struct pci_func *f = &fs->f[fs->n];

	pci_func_init(f, &p, NULL, NULL);
	fs->kind[fs->n++] = kind;
	CHECK_EQ(pci_root_add_func(root, bus_index, slot, f, NULL), 0);
}

static struct pci_root *new_root(unsigned nr_buses)
{
	struct pci_root_cfg rc;
	struct pci_root *root = NULL;

	CHECK_EQ(pci_root_cfg_x86(&rc, nr_buses, (struct irq_line){ 0 }), 0);
	CHECK_EQ(pci_root_create(&rc, &root), 0);
	return root;
}

static void free_all(struct pci_root *root, struct funcs *fs)
{
	for (unsigned i = 0; i < fs->n; i++) {
		pci_root_remove_func(root, &fs->f[i]);
		pci_func_destroy(&fs->f[i]);
	}
	pci_root_destroy(root);
}

static void check_dmar(const struct vm_viommu_slot *s, unsigned n)
{
	struct acpi_viommu v[X86_VIOMMU_MAX];
	uint8_t buf[4096];
	size_t len = 0, off = 48;
	char msg[256];

	for (unsigned i = 0; i < n; i++)
		v[i] = s[i].acpi;
	CHECK_MSG(acpi_viommus_check(v, n, msg, sizeof(msg)) == 0, "acpi_viommus_check: %s", msg);
	CHECK_EQ(acpi_build_dmar(v, n, 46, buf, sizeof(buf), &len), 0);
	CHECK(!memcmp(buf, "DMAR", 4));
	CHECK_EQ(buf[36], 45); /* host address width - 1 */
	for (unsigned i = 0; i < n && off < len; i++) {
		uint16_t dlen;
		uint64_t base;

		memcpy(&dlen, buf + off + 2, 2);
		memcpy(&base, buf + off + 8, 8);
		CHECK_EQ(buf[off], 0);  /* DRHD */
		CHECK_EQ(buf[off + 4], 0); /* no INCLUDE_PCI_ALL */
		CHECK_EQ(base, X86_VIOMMU_BASE + i * X86_VIOMMU_STRIDE);
		CHECK_EQ(dlen, 16 + 8 * s[i].acpi.nr_scopes);
		for (unsigned k = 0; k < s[i].acpi.nr_scopes; k++) {
			const uint8_t *sc = buf + off + 16 + 8 * k;

			CHECK_EQ(sc[0], 1); /* endpoint */
			CHECK_EQ(sc[5], s[i].bus);
			CHECK_EQ(sc[6], s[i].acpi.scopes[k].dev);
			CHECK_EQ(sc[7], s[i].acpi.scopes[k].fn);
		}
		off += dlen;
	}
	CHECK_EQ(off, len);
}

/* Buses 0 and 2 hold emulated devices, bus 1 nothing: two units, slots 0 and 1. */
static void test_emulated(void)
{
	struct pci_root *root = new_root(3);
	struct funcs fs = { .n = 0 };
	struct vm_viommu_slot s[X86_VIOMMU_MAX];
	struct pci_root_bus_info b2;
	unsigned n = 99;
	char msg[256] = "";

	add(root, &fs, 0, 0, VM_FUNC_EMULATED);
	add(root, &fs, 0, 3, VM_FUNC_EMULATED);
	add(root, &fs, 2, -1, VM_FUNC_EMULATED);
	CHECK_EQ(vm_viommu_layout(root, classify, &fs, false, s, X86_VIOMMU_MAX, &n, msg, sizeof(msg)), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(pci_root_bus_info(root, 2, &b2), 0);
	CHECK_EQ(s[0].bus_index, 0);
	CHECK_EQ(s[0].bus, 0);
	CHECK_EQ(s[0].acpi.reg_base, X86_VIOMMU_BASE);
	CHECK_EQ(s[0].acpi.bus_first, 0);
	CHECK_EQ(s[0].acpi.nr_scopes, 2);
	CHECK(s[0].acpi.scopes[0].dev == 0 && s[0].acpi.scopes[1].dev == 3);
	CHECK(s[0].acpi.scopes[0].type == ACPI_VIOMMU_SCOPE_ENDPOINT && s[0].acpi.scopes[1].fn == 0);
	CHECK(!s[0].assigned);
	CHECK_EQ(s[1].bus_index, 2);
	CHECK_EQ(s[1].bus, b2.bus_start);
	CHECK_EQ(s[1].acpi.bus_first, b2.bus_start);
	CHECK_EQ(s[1].acpi.bus_last, b2.bus_end);
	CHECK_EQ(s[1].acpi.reg_base, X86_VIOMMU_BASE + X86_VIOMMU_STRIDE);
	CHECK_EQ(s[1].acpi.nr_scopes, 1);
	CHECK_EQ(s[1].acpi.scopes[0].dev, 0);
	check_dmar(s, n);

	/* One unit allowed: the second bus with devices is an error that says so. */
	CHECK_EQ(vm_viommu_layout(root, classify, &fs, false, s, 1, &n, msg, sizeof(msg)),
		 (unsigned long long)-E2BIG);
	CHECK_MSG(!strcmp(msg, "2 or more root buses hold devices, and a VM has at most 1 vIOMMUs"), "msg: %s", msg);
	CHECK_EQ(n, 0);
	free_all(root, &fs);
}

/*
 * An assigned device's bus gets a unit only with a backend for it; a
 * function that fell back alone gets no scope, and a bus of only such none.
 */
static void test_assigned(void)
{
	struct pci_root *root = new_root(3);
	struct funcs fs = { .n = 0 };
	struct vm_viommu_slot s[X86_VIOMMU_MAX];
	unsigned n = 0;
	char msg[256];

	add(root, &fs, 0, -1, VM_FUNC_EMULATED);
	add(root, &fs, 1, 4, VM_FUNC_ASSIGNED);
	add(root, &fs, 1, 6, VM_FUNC_UNTRANSLATED); /* fell back alone: no scope */
	add(root, &fs, 2, 2, VM_FUNC_UNTRANSLATED); /* a bus of such only: no unit */
	CHECK_EQ(vm_viommu_layout(root, classify, &fs, false, s, X86_VIOMMU_MAX, &n, msg, sizeof(msg)), 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(s[0].bus_index, 0);
	CHECK_EQ(vm_viommu_layout(root, classify, &fs, true, s, X86_VIOMMU_MAX, &n, msg, sizeof(msg)), 0);
	CHECK_EQ(n, 2);
	CHECK(!s[0].assigned && s[1].assigned);
	CHECK_EQ(s[1].bus_index, 1);
	CHECK_EQ(s[1].acpi.nr_scopes, 1);
	CHECK_EQ(s[1].acpi.scopes[0].dev, 4);
	check_dmar(s, n);
	free_all(root, &fs);
}

/* No devices: no unit. Every bus full of devices: one unit per bus, up to the 8 slots. */
static void test_extremes(void)
{
	struct pci_root *root = new_root(1);
	struct funcs fs = { .n = 0 };
	struct vm_viommu_slot s[X86_VIOMMU_MAX];
	unsigned n = 5;
	char msg[256];

	CHECK_EQ(vm_viommu_layout(root, classify, &fs, true, s, X86_VIOMMU_MAX, &n, msg, sizeof(msg)), 0);
	CHECK_EQ(n, 0);
	free_all(root, &fs);

	root = new_root(PCI_MAX_ROOT_BUSES);
	fs.n = 0;
	for (unsigned b = 0; b < PCI_MAX_ROOT_BUSES; b++)
		add(root, &fs, b, 31, VM_FUNC_EMULATED);
	CHECK_EQ(vm_viommu_layout(root, classify, &fs, true, s, X86_VIOMMU_MAX, &n, msg, sizeof(msg)), 0);
	CHECK_EQ(n, PCI_MAX_ROOT_BUSES);
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(s[i].bus_index, i);
		CHECK_EQ(s[i].acpi.scopes[0].dev, 31);
	}
	check_dmar(s, n);
	free_all(root, &fs);
}

int main(void)
{
	test_emulated();
	test_assigned();
	test_extremes();
	return check_summary("viommu-layout");
}
