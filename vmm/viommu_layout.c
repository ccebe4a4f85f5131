// SPDX-License-Identifier: Apache-2.0
/*
 * Where the VM's guest-visible VT-d units go (docs/vvtd.md): one unit per
 * PCIe root bus that holds devices, in bus order, unit k's registers in
 * vIOMMU slot k, and its DRHD listing every function on that bus as an
 * endpoint. Pure: it only reads the root complex, so it is tested
 * without KVM (tests/unit/vmm/test-viommu.c); vm_viommu.c creates the
 * units it describes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "vm-internal.h"

/* Scopes for the functions on root bus k the unit translates; *ret_assigned: one of them is assigned. */
static int bus_scopes(struct pci_root *root, const struct pci_root_bus_info *bi, vm_viommu_classify_fn classify,
		      void *opaque, struct acpi_viommu *a, bool *ret_assigned)
{
	*ret_assigned = false;
	for (unsigned dev = 0; dev < PCI_MAX_DEVICES; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			const struct pci_func *f = pci_root_find(root, bi->bus_start, dev, fn);
			enum vm_func_kind kind = f ? classify(opaque, f) : VM_FUNC_UNTRANSLATED;

			/* an untranslated function stays out of the DRHD: the guest must not map for it */
			if (kind == VM_FUNC_UNTRANSLATED)
				continue;
			if (a->nr_scopes == ACPI_VIOMMU_MAX_SCOPES)
				return -E2BIG; /* cannot happen: 256 functions per bus at most */
			a->scopes[a->nr_scopes++] = (struct acpi_viommu_scope){
				ACPI_VIOMMU_SCOPE_ENDPOINT, (uint8_t)dev, (uint8_t)fn,
			};
			if (kind == VM_FUNC_ASSIGNED)
				*ret_assigned = true;
		}
	}
	return 0;
}

int vm_viommu_layout(struct pci_root *root, vm_viommu_classify_fn classify, void *opaque, bool assigned_ok,
		     struct vm_viommu_slot *out, unsigned max, unsigned *ret_n, char *msg, size_t len)
{
	unsigned n = 0;

	*ret_n = 0;
	for (unsigned k = 0; k < pci_root_nr_buses(root); k++) {
		struct vm_viommu_slot s = { .bus_index = k };
		struct pci_root_bus_info bi;
		int r = pci_root_bus_info(root, k, &bi);

		if (r) {
			snprintf(msg, len, "root bus %u: %s", k, strerror(-r));
			return r;
		}
		s.bus = bi.bus_start;
		s.acpi.bus_first = bi.bus_start;
		s.acpi.bus_last = bi.bus_end;
		r = bus_scopes(root, &bi, classify, opaque, &s.acpi, &s.assigned);
		if (r) {
			snprintf(msg, len, "root bus %u: too many functions", k);
			return r;
		}
		if (!s.acpi.nr_scopes || (s.assigned && !assigned_ok))
			continue; /* nothing to translate, or assigned devices without a backend for them */
		if (n == max || n == X86_VIOMMU_MAX) {
			snprintf(msg, len, "%u or more root buses hold devices, and a VM has at most %u vIOMMUs", n + 1,
				 max < X86_VIOMMU_MAX ? max : X86_VIOMMU_MAX);
			return -E2BIG;
		}
		s.acpi.reg_base = X86_VIOMMU_BASE + n * X86_VIOMMU_STRIDE;
		out[n++] = s;
	}
	*ret_n = n;
	return 0;
}
