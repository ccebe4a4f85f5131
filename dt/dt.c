// SPDX-License-Identifier: Apache-2.0
/*
 * The device tree builder: libfdt's sequential-write API, nodes in the
 * order the DTB holds them. Bindings followed (Linux's
 * Documentation/devicetree/bindings): arm/psci, arm/cpus, timer/arm,arch_timer,
 * interrupt-controller/arm,gic-v3, serial/pl011, clock/fixed-clock,
 * pci/host-generic-pci, pci/pci-msi and pci-iommu (msi-map, iommu-map),
 * iommu/arm,smmu-v3; chosen for the boot arguments and initrd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "dt-priv.h"

void dtw_begin(struct dtw *w, const char *name)
{
	if (!w->err)
		w->err = fdt_begin_node(w->fdt, name);
}

void dtw_begin_at(struct dtw *w, const char *name, uint64_t addr)
{
	char n[64];

	snprintf(n, sizeof(n), "%s@%llx", name, (unsigned long long)addr);
	dtw_begin(w, n);
}

void dtw_end(struct dtw *w)
{
	if (!w->err)
		w->err = fdt_end_node(w->fdt);
}

void dtw_prop(struct dtw *w, const char *name, const void *val, size_t len)
{
	if (!w->err)
		w->err = fdt_property(w->fdt, name, val, (int)len);
}

void dtw_u32(struct dtw *w, const char *name, uint32_t v)
{
	if (!w->err)
		w->err = fdt_property_u32(w->fdt, name, v);
}

void dtw_str(struct dtw *w, const char *name, const char *s)
{
	dtw_prop(w, name, s, strlen(s) + 1);
}

void dtw_empty(struct dtw *w, const char *name)
{
	dtw_prop(w, name, NULL, 0);
}

void dtw_cells(struct dtw *w, const char *name, const uint32_t *cells, size_t n)
{
	fdt32_t be[64];

	if (n > sizeof(be) / sizeof(be[0])) {
		w->err = w->err ? w->err : -FDT_ERR_INTERNAL;
		return;
	}
	for (size_t i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	dtw_prop(w, name, be, n * sizeof(be[0]));
}

void dtw_reg(struct dtw *w, const struct dt_range *r, size_t n)
{
	uint32_t c[16];

	if (n > 4) {
		w->err = w->err ? w->err : -FDT_ERR_INTERNAL;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		c[4 * i + 0] = (uint32_t)(r[i].base >> 32);
		c[4 * i + 1] = (uint32_t)r[i].base;
		c[4 * i + 2] = (uint32_t)(r[i].size >> 32);
		c[4 * i + 3] = (uint32_t)r[i].size;
	}
	dtw_cells(w, "reg", c, 4 * n);
}

uint64_t dt_cpu_mpidr(unsigned i)
{
	return ((uint64_t)(i / 16) << 8) | (i % 16);
}

static void cpus_node(struct dtw *w, const struct dt_params *p)
{
	dtw_begin(w, "cpus");
	dtw_u32(w, "#address-cells", 1);
	dtw_u32(w, "#size-cells", 0);
	for (unsigned i = 0; i < p->nr_cpus; i++) {
		uint64_t mpidr = dt_cpu_mpidr(i);
		dtw_begin_at(w, "cpu", mpidr);
		dtw_str(w, "device_type", "cpu");
		dtw_str(w, "compatible", "arm,arm-v8");
		dtw_u32(w, "reg", (uint32_t)mpidr);
		/* Secondary CPUs are started with PSCI CPU_ON, not a spin table. */
		dtw_str(w, "enable-method", "psci");
		dtw_end(w);
	}
	dtw_end(w);
}

static void psci_node(struct dtw *w)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

	dtw_begin(w, "psci");
	dtw_prop(w, "compatible", compat, sizeof(compat));
	/* KVM answers PSCI calls made with HVC from EL1. */
	dtw_str(w, "method", "hvc");
	dtw_end(w);
}

static void memory_node(struct dtw *w, const struct dt_params *p)
{
	dtw_begin_at(w, "memory", p->ram.base);
	dtw_str(w, "device_type", "memory");
	dtw_reg(w, &p->ram, 1);
	dtw_end(w);
}

static void gic_node(struct dtw *w, const struct dt_params *p)
{
	const struct dt_range reg[2] = { p->gic_dist, p->gic_redist };
	const uint32_t maint[3] = { GIC_PPI, p->gic_maint_ppi, IRQ_LEVEL_HIGH };

	dtw_begin_at(w, "intc", p->gic_dist.base);
	dtw_str(w, "compatible", "arm,gic-v3");
	dtw_u32(w, "#interrupt-cells", 3);
	dtw_empty(w, "interrupt-controller");
	dtw_u32(w, "#redistributor-regions", 1);
	dtw_reg(w, reg, 2);
	dtw_cells(w, "interrupts", maint, 3);
	/* The ITS is a child node with addresses in the parent's space. */
	dtw_u32(w, "#address-cells", 2);
	dtw_u32(w, "#size-cells", 2);
	dtw_empty(w, "ranges");
	dtw_u32(w, "phandle", PH_GIC);
	dtw_begin_at(w, "msi-controller", p->gic_its.base);
	dtw_str(w, "compatible", "arm,gic-v3-its");
	dtw_empty(w, "msi-controller");
	dtw_u32(w, "#msi-cells", 1);
	dtw_reg(w, &p->gic_its, 1);
	dtw_u32(w, "phandle", PH_ITS);
	dtw_end(w);
	dtw_end(w);
}

static void timer_node(struct dtw *w, const struct dt_params *p)
{
	uint32_t irq[12];

	for (unsigned i = 0; i < 4; i++) {
		irq[3 * i + 0] = GIC_PPI;
		irq[3 * i + 1] = p->timer_ppis[i];
		irq[3 * i + 2] = IRQ_LEVEL_HIGH;
	}
	dtw_begin(w, "timer");
	dtw_str(w, "compatible", "arm,armv8-timer");
	dtw_cells(w, "interrupts", irq, 12);
	dtw_empty(w, "always-on");
	dtw_end(w);
}

static void uart_nodes(struct dtw *w, const struct dt_params *p)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clk_names[] = "uartclk\0apb_pclk";
	const uint32_t irq[3] = { GIC_SPI, p->uart_spi, IRQ_LEVEL_HIGH };
	const uint32_t clks[2] = { PH_CLK, PH_CLK };

	/* The PL011 driver needs a clock to compute baud divisors; one fixed clock serves both inputs. */
	dtw_begin(w, "apb-pclk");
	dtw_str(w, "compatible", "fixed-clock");
	dtw_u32(w, "#clock-cells", 0);
	dtw_u32(w, "clock-frequency", p->uart_clock_hz);
	dtw_str(w, "clock-output-names", "clk24mhz");
	dtw_u32(w, "phandle", PH_CLK);
	dtw_end(w);

	dtw_begin_at(w, "pl011", p->uart.base);
	dtw_prop(w, "compatible", compat, sizeof(compat));
	dtw_reg(w, &p->uart, 1);
	dtw_cells(w, "interrupts", irq, 3);
	dtw_cells(w, "clocks", clks, 2);
	dtw_prop(w, "clock-names", clk_names, sizeof(clk_names));
	dtw_end(w);
}

/* virtio-mmio transports: the device behind each is found by probing its registers. */
static void virtio_mmio_nodes(struct dtw *w, const struct dt_params *p)
{
	for (unsigned i = 0; i < p->nr_virtio_mmio; i++) {
		const struct dt_range reg = { p->virtio_mmio_base + i * p->virtio_mmio_stride, p->virtio_mmio_size };
		const uint32_t irq[3] = { GIC_SPI, p->virtio_mmio_spi_base + i, IRQ_EDGE_RISING };

		dtw_begin_at(w, "virtio_mmio", reg.base);
		dtw_str(w, "compatible", "virtio,mmio");
		dtw_reg(w, &reg, 1);
		dtw_cells(w, "interrupts", irq, 3);
		dtw_empty(w, "dma-coherent");
		dtw_end(w);
	}
}

static void chosen_node(struct dtw *w, const struct dt_params *p)
{
	char stdout_path[64];

	dtw_begin(w, "chosen");
	if (p->bootargs)
		dtw_str(w, "bootargs", p->bootargs);
	snprintf(stdout_path, sizeof(stdout_path), "/pl011@%llx", (unsigned long long)p->uart.base);
	dtw_str(w, "stdout-path", stdout_path);
	if (p->initrd.size) {
		if (!w->err)
			w->err = fdt_property_u64(w->fdt, "linux,initrd-start", p->initrd.base);
		if (!w->err)
			w->err = fdt_property_u64(w->fdt, "linux,initrd-end", p->initrd.base + p->initrd.size);
	}
	dtw_end(w);
}

static bool range_ok(const struct dt_range *r)
{
	return r->size && r->base <= UINT64_MAX - r->size;
}

static int check_params(const struct dt_params *p)
{
	if (p->nr_cpus == 0 || p->nr_cpus > DT_MAX_CPUS || !range_ok(&p->ram) ||
	    !range_ok(&p->gic_dist) || !range_ok(&p->gic_redist) || !range_ok(&p->gic_its) ||
	    !range_ok(&p->uart) || p->uart_clock_hz == 0)
		return -EINVAL;
	/* PPIs are 0..15; SPIs here must stay inside the GIC's 988 (INTID 32..1019). */
	if (p->gic_maint_ppi > 15 || p->uart_spi > 987)
		return -EINVAL;
	if (p->nr_virtio_mmio > DT_MAX_VIRTIO_MMIO ||
	    (p->nr_virtio_mmio && (p->virtio_mmio_spi_base + p->nr_virtio_mmio > 988 || !p->virtio_mmio_size ||
				   p->virtio_mmio_stride < p->virtio_mmio_size)))
		return -EINVAL;
	for (unsigned i = 0; i < 4; i++)
		if (p->timer_ppis[i] > 15)
			return -EINVAL;
	/* The kernel takes the initrd from RAM it was told about; anything else is a caller bug. */
	if (p->initrd.size && (p->initrd.base > UINT64_MAX - p->initrd.size ||
			       p->initrd.base < p->ram.base ||
			       p->initrd.base + p->initrd.size > p->ram.base + p->ram.size))
		return -EINVAL;
	return dt_check_pci(p);
}

static void root_node(struct dtw *w, const struct dt_params *p)
{
	dtw_begin(w, "");
	dtw_str(w, "compatible", "linux,dummy-virt");
	dtw_str(w, "model", "skiff");
	dtw_u32(w, "#address-cells", 2);
	dtw_u32(w, "#size-cells", 2);
	dtw_u32(w, "interrupt-parent", PH_GIC);
	chosen_node(w, p);
	memory_node(w, p);
	dt_msi_window_node(w, p);
	cpus_node(w, p);
	psci_node(w);
	gic_node(w, p);
	timer_node(w, p);
	uart_nodes(w, p);
	virtio_mmio_nodes(w, p);
	dt_smmuv3_nodes(w, p);
	dt_pci_nodes(w, p);
	dtw_end(w);
}

void dtw_start(struct dtw *w, void *buf, size_t size)
{
	*w = (struct dtw){ buf, 0 };
	if (size > INT32_MAX)
		size = INT32_MAX;
	w->err = fdt_create(buf, (int)size);
	if (!w->err)
		w->err = fdt_finish_reservemap(buf);
}

int dtw_finish(struct dtw *w, size_t *len)
{
	if (!w->err)
		w->err = fdt_finish(w->fdt);
	if (w->err == -FDT_ERR_NOSPACE)
		return -ENOSPC;
	if (w->err) {
		log_error("device tree: libfdt failed: %s", fdt_strerror(w->err));
		return -EIO;
	}
	*len = fdt_totalsize(w->fdt);
	return 0;
}

int dt_build(const struct dt_params *p, void *buf, size_t size, size_t *len)
{
	struct dtw w;
	int r = check_params(p);

	if (r)
		return r;
	dtw_start(&w, buf, size);
	root_node(&w, p);
	return dtw_finish(&w, len);
}
