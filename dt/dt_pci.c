// SPDX-License-Identifier: Apache-2.0
/*
 * PCIe host bridges and the vSMMUv3s in front of them. Each root bus is a
 * pci-host-ecam-generic node whose "reg" is its slice of the segment's
 * ECAM (the binding's ECAM starts at the first bus of bus-range). Requester
 * IDs are used unchanged as ITS DeviceIDs and SMMU StreamIDs, so msi-map
 * and iommu-map are identities over the bridge's buses.
 */
#include <errno.h>
#include <stdio.h>

#include "dt-priv.h"

/* phys.hi space codes of the PCI bus binding. */
#define PCI_SPACE_MMIO32 0x02000000u
#define PCI_SPACE_MMIO64 0x03000000u

static bool windows_ok(const struct dt_pci_host *h)
{
	if (h->mmio32.size && (h->mmio32.base > UINT32_MAX ||
			       h->mmio32.size > (1ull << 32) - h->mmio32.base))
		return false;
	return !h->mmio64.size || h->mmio64.base <= UINT64_MAX - h->mmio64.size;
}

int dt_check_pci(const struct dt_params *p)
{
	if (p->nr_pci_hosts > DT_MAX_PCI_HOSTS || p->nr_viommus > DT_MAX_VIOMMUS ||
	    p->pci_intx_spi_base > 987 - 3)
		return -EINVAL;
	for (unsigned i = 0; i < p->nr_viommus; i++)
		if (p->viommus[i].spi_base > 987 - 3 || p->viommus[i].base % 0x10000)
			return -EINVAL;
	for (unsigned i = 0; i < p->nr_pci_hosts; i++) {
		const struct dt_pci_host *h = &p->pci[i];
		if (h->bus_start > h->bus_end || h->ecam_base % (1u << 20) ||
		    h->ecam_base > UINT64_MAX - (256ull << 20) || !windows_ok(h) ||
		    h->viommu < -1 || h->viommu >= (int)p->nr_viommus || (h->msi_direct_devs && !p->msi_window.size))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (h->bus_start <= p->pci[j].bus_end && p->pci[j].bus_start <= h->bus_end)
				return -EINVAL;
	}
	return 0;
}

void dt_smmuv3_nodes(struct dtw *w, const struct dt_params *p)
{
	static const char names[] = "eventq\0priq\0cmdq-sync\0gerror";

	for (unsigned i = 0; i < p->nr_viommus; i++) {
		const struct dt_smmuv3 *s = &p->viommus[i];
		const struct dt_range reg = { s->base, 0x20000 };
		uint32_t irq[12];

		for (unsigned k = 0; k < 4; k++) {
			irq[3 * k + 0] = GIC_SPI;
			irq[3 * k + 1] = s->spi_base + k;
			irq[3 * k + 2] = IRQ_EDGE_RISING;
		}
		dtw_begin_at(w, "iommu", s->base);
		dtw_str(w, "compatible", "arm,smmu-v3");
		dtw_reg(w, &reg, 1);
		dtw_cells(w, "interrupts", irq, 12);
		dtw_prop(w, "interrupt-names", names, sizeof(names));
		/* The model reads and writes guest RAM coherently (it is the host CPU). */
		dtw_empty(w, "dma-coherent");
		const uint32_t msi_parent[2] = { PH_ITS, s->its_devid };
		dtw_cells(w, "msi-parent", msi_parent, 2);
		dtw_u32(w, "#iommu-cells", 1);
		dtw_u32(w, "phandle", PH_SMMU0 + i);
		dtw_end(w);
	}
}

/* A property of n cells (any n) filled in place: n may exceed dtw_cells' buffer. */
static fdt32_t *dtw_cells_in_place(struct dtw *w, const char *name, size_t n)
{
	void *val = NULL;

	if (!w->err)
		w->err = fdt_property_placeholder(w->fdt, name, (int)(n * sizeof(fdt32_t)), &val);
	return w->err ? NULL : val;
}

void dt_msi_window_node(struct dtw *w, const struct dt_params *p)
{
	const struct dt_range *win = &p->msi_window;
	unsigned n = 0;
	fdt32_t *c;

	for (unsigned h = 0; h < p->nr_pci_hosts; h++)
		n += (unsigned)__builtin_popcount(p->pci[h].msi_direct_devs);
	if (!n || !win->size)
		return;
	dtw_begin(w, "reserved-memory");
	dtw_u32(w, "#address-cells", 2);
	dtw_u32(w, "#size-cells", 2);
	dtw_empty(w, "ranges");
	dtw_begin_at(w, "msi-window", win->base);
	/* reg equal to the IOVA range: Linux makes it a direct (1:1) mapping, not a mere reservation */
	dtw_reg(w, win, 1);
	dtw_empty(w, "no-map");
	/* per device: its phandle, then a PCI address (3 cells) and size (2), as its bus counts them */
	c = dtw_cells_in_place(w, "iommu-addresses", (size_t)n * 6);
	for (unsigned h = 0; c && h < p->nr_pci_hosts; h++)
		for (unsigned d = 0; d < 32; d++) {
			if (!(p->pci[h].msi_direct_devs & (1u << d)))
				continue;
			const uint32_t e[6] = { PH_PCIDEV0 + h * 32 + d, PCI_SPACE_MMIO32, (uint32_t)(win->base >> 32),
						(uint32_t)win->base, (uint32_t)(win->size >> 32), (uint32_t)win->size };
			for (unsigned k = 0; k < 6; k++)
				*c++ = cpu_to_fdt32(e[k]);
		}
	dtw_u32(w, "phandle", PH_MSI_WINDOW);
	dtw_end(w);
	dtw_end(w);
}

/* Assigned devices whose stage-1 must map the MSI window: a node each, found by Linux through reg's devfn. */
static void msi_direct_dev_nodes(struct dtw *w, const struct dt_params *p, unsigned i)
{
	const struct dt_pci_host *h = &p->pci[i];

	for (unsigned d = 0; d < 32; d++) {
		if (!(h->msi_direct_devs & (1u << d)))
			continue;
		const uint32_t reg[5] = { (uint32_t)h->bus_start << 16 | d << 11, 0, 0, 0, 0 };
		char name[32];

		snprintf(name, sizeof(name), "device@%x", d);  /* not "endpoint": dtc takes those for graph ports */
		dtw_begin(w, name);
		dtw_cells(w, "reg", reg, 5);
		dtw_u32(w, "memory-region", PH_MSI_WINDOW);
		dtw_u32(w, "phandle", PH_PCIDEV0 + i * 32 + d);
		dtw_end(w);
	}
}

static void ranges_prop(struct dtw *w, const struct dt_pci_host *h)
{
	uint32_t c[14];
	size_t n = 0;
	const struct {
		uint32_t space;
		const struct dt_range *r;
	} win[2] = { { PCI_SPACE_MMIO32, &h->mmio32 }, { PCI_SPACE_MMIO64, &h->mmio64 } };

	/* (pci address: 3 cells, cpu address: 2, size: 2), identity-mapped. */
	for (unsigned i = 0; i < 2; i++) {
		if (!win[i].r->size)
			continue;
		uint64_t b = win[i].r->base, s = win[i].r->size;
		uint32_t e[7] = { win[i].space, (uint32_t)(b >> 32), (uint32_t)b,
				  (uint32_t)(b >> 32), (uint32_t)b, (uint32_t)(s >> 32), (uint32_t)s };
		for (unsigned k = 0; k < 7; k++)
			c[n++] = e[k];
	}
	dtw_cells(w, "ranges", c, n);
}

/* INTx: devices 0..3 (mod 4, by the mask) x pins INTA..INTD, swizzled onto 4 SPIs. */
static void intx_props(struct dtw *w, const struct dt_params *p)
{
	const uint32_t mask[4] = { 0x1800, 0, 0, 7 };
	uint32_t map[16 * 10];
	size_t n = 0;

	for (unsigned d = 0; d < 4; d++)
		for (unsigned pin = 0; pin < 4; pin++) {
			/* child: phys.hi (device), mid, lo, pin; parent: GIC, 2 address cells, SPI. */
			const uint32_t e[10] = { d << 11, 0, 0, pin + 1, PH_GIC, 0, 0, GIC_SPI,
						 p->pci_intx_spi_base + (d + pin) % 4, IRQ_LEVEL_HIGH };
			for (unsigned k = 0; k < 10; k++)
				map[n++] = e[k];
		}
	dtw_u32(w, "#interrupt-cells", 1);
	dtw_cells(w, "interrupt-map-mask", mask, 4);
	/* 160 cells, more than dtw_cells' buffer: filled in place. */
	fdt32_t *dst = dtw_cells_in_place(w, "interrupt-map", n);
	for (size_t k = 0; dst && k < n; k++)
		dst[k] = cpu_to_fdt32(map[k]);
}

static void host_node(struct dtw *w, const struct dt_params *p, unsigned i)
{
	const struct dt_pci_host *h = &p->pci[i];
	unsigned nbus = h->bus_end - h->bus_start + 1u;
	const struct dt_range ecam = { h->ecam_base + ((uint64_t)h->bus_start << 20), (uint64_t)nbus << 20 };
	const uint32_t bus_range[2] = { h->bus_start, h->bus_end };
	const uint32_t rid = (uint32_t)h->bus_start << 8, nrid = nbus << 8;

	dtw_begin_at(w, "pcie", ecam.base);
	dtw_str(w, "compatible", "pci-host-ecam-generic");
	dtw_str(w, "device_type", "pci");
	dtw_u32(w, "#address-cells", 3);
	dtw_u32(w, "#size-cells", 2);
	dtw_reg(w, &ecam, 1);
	dtw_cells(w, "bus-range", bus_range, 2);
	/* Every bridge is its own domain in a DT-booted Linux; fixed numbers keep names stable. */
	dtw_u32(w, "linux,pci-domain", i);
	dtw_empty(w, "dma-coherent");
	ranges_prop(w, h);
	intx_props(w, p);
	const uint32_t msi_map[4] = { rid, PH_ITS, rid, nrid };
	dtw_cells(w, "msi-map", msi_map, 4);
	if (h->viommu >= 0) {
		const uint32_t iommu_map[4] = { rid, PH_SMMU0 + (uint32_t)h->viommu, rid, nrid };
		dtw_cells(w, "iommu-map", iommu_map, 4);
	}
	msi_direct_dev_nodes(w, p, i);
	dtw_end(w);
}

void dt_pci_nodes(struct dtw *w, const struct dt_params *p)
{
	for (unsigned i = 0; i < p->nr_pci_hosts; i++)
		host_node(w, p, i);
}
