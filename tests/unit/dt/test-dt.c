// SPDX-License-Identifier: Apache-2.0
/*
 * dt/: the DTB decoded back with libfdt, node by node, against the
 * parameters (addresses from arch/aarch64/layout.h), and every rejected input.
 */
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include "check.h"
#include "params.h"

static unsigned char buf[1 << 16];

static int build(const struct dt_params *p, size_t *len)
{
	memset(buf, 0xa5, sizeof(buf));
	return dt_build(p, buf, sizeof(buf), len);
}

/* Cell i of property name at node (big-endian decoded); ~0 if absent or short. */
static uint32_t cell(int node, const char *name, unsigned i)
{
	int len;
	const fdt32_t *v = fdt_getprop(buf, node, name, &len);

	if (!v || len < 0 || (unsigned)len < (i + 1) * 4)
		return ~0u;
	return fdt32_to_cpu(v[i]);
}

static uint64_t cell64(int node, const char *name, unsigned i)
{
	return ((uint64_t)cell(node, name, i) << 32) | cell(node, name, i + 1);
}

static unsigned ncells(int node, const char *name)
{
	int len;

	return fdt_getprop(buf, node, name, &len) && len > 0 ? (unsigned)len / 4 : 0;
}

static bool str_is(int node, const char *name, const char *want)
{
	const char *s = fdt_getprop(buf, node, name, NULL);

	return s && !strcmp(s, want);
}

static void test_top(const struct dt_params *p)
{
	CHECK(fdt_check_header(buf) == 0);
	CHECK(str_is(0, "compatible", "linux,dummy-virt"));
	CHECK_EQ(cell(0, "#address-cells", 0), 2);
	CHECK_EQ(cell(0, "#size-cells", 0), 2);
	int gic = fdt_path_offset(buf, "/intc@8000000");
	CHECK(gic > 0);
	CHECK_EQ(cell(0, "interrupt-parent", 0), fdt_get_phandle(buf, gic));

	int mem = fdt_path_offset(buf, "/memory@40000000");
	CHECK(str_is(mem, "device_type", "memory"));
	CHECK_EQ(cell64(mem, "reg", 0), AARCH64_RAM_BASE);
	CHECK_EQ(cell64(mem, "reg", 2), AARCH64_RAM_DEFAULT_SIZE);

	int psci = fdt_path_offset(buf, "/psci");
	CHECK(str_is(psci, "compatible", "arm,psci-1.0"));
	int clen;
	const char *compat = fdt_getprop(buf, psci, "compatible", &clen);
	CHECK(compat && fdt_stringlist_contains(compat, clen, "arm,psci-0.2"));
	CHECK(str_is(psci, "method", "hvc"));

	CHECK(str_is(gic, "compatible", "arm,gic-v3"));
	CHECK(fdt_getprop(buf, gic, "interrupt-controller", NULL) != NULL);
	CHECK_EQ(cell(gic, "#interrupt-cells", 0), 3);
	CHECK_EQ(cell64(gic, "reg", 0), AARCH64_GIC_DIST_BASE);
	CHECK_EQ(cell64(gic, "reg", 4), AARCH64_GIC_REDIST_BASE);
	CHECK_EQ(cell64(gic, "reg", 6), p->nr_cpus * AARCH64_GIC_REDIST_STRIDE);
	int its = fdt_subnode_offset(buf, gic, "msi-controller@8080000");
	CHECK(its > 0);
	CHECK(str_is(its, "compatible", "arm,gic-v3-its"));
	CHECK(fdt_getprop(buf, its, "msi-controller", NULL) != NULL);
	CHECK_EQ(cell(its, "#msi-cells", 0), 1);
	CHECK_EQ(cell64(its, "reg", 0), AARCH64_GIC_ITS_BASE);

	int timer = fdt_path_offset(buf, "/timer");
	CHECK(str_is(timer, "compatible", "arm,armv8-timer"));
	CHECK_EQ(ncells(timer, "interrupts"), 12);
	CHECK_EQ(cell(timer, "interrupts", 0), 1);  /* PPI */
	CHECK_EQ(cell(timer, "interrupts", 1), AARCH64_TIMER_S_EL1_PPI);
	CHECK_EQ(cell(timer, "interrupts", 7), AARCH64_TIMER_VIRT_PPI);
}

static void test_cpus(unsigned nr)
{
	struct dt_params p;
	size_t len;
	int n = 0, node;

	test_dt_params(&p, nr, 1, 0);
	CHECK(build(&p, &len) == 0);
	int cpus = fdt_path_offset(buf, "/cpus");
	CHECK(cpus > 0);
	fdt_for_each_subnode(node, buf, cpus) {
		CHECK(str_is(node, "device_type", "cpu"));
		CHECK(str_is(node, "enable-method", "psci"));
		CHECK_EQ(cell(node, "reg", 0), dt_cpu_mpidr((unsigned)n));
		n++;
	}
	CHECK_EQ(n, nr);
	if (nr > 17) /* the 18th vCPU is Aff1 1, Aff0 1 */
		CHECK(fdt_subnode_offset(buf, cpus, "cpu@101") > 0);
}

static void test_uart_chosen(const struct dt_params *p)
{
	int uart = fdt_path_offset(buf, "/pl011@9000000");
	CHECK(str_is(uart, "compatible", "arm,pl011"));
	CHECK_EQ(cell64(uart, "reg", 0), AARCH64_PL011_BASE);
	CHECK_EQ(cell(uart, "interrupts", 0), 0);
	CHECK_EQ(cell(uart, "interrupts", 1), AARCH64_PL011_SPI);
	int clk = fdt_node_offset_by_phandle(buf, cell(uart, "clocks", 0));
	CHECK(clk > 0);
	CHECK(str_is(clk, "compatible", "fixed-clock"));
	CHECK_EQ(cell(clk, "clock-frequency", 0), AARCH64_PL011_CLOCK_HZ);
	CHECK_EQ(cell(uart, "clocks", 1), cell(uart, "clocks", 0));

	int ch = fdt_path_offset(buf, "/chosen");
	CHECK(str_is(ch, "bootargs", p->bootargs));
	const char *out = fdt_getprop(buf, ch, "stdout-path", NULL);
	CHECK(out && fdt_path_offset(buf, out) == uart);
	CHECK_EQ(cell64(ch, "linux,initrd-start", 0), p->initrd.base);
	CHECK_EQ(cell64(ch, "linux,initrd-end", 0), p->initrd.base + p->initrd.size);
}

/* The vSMMUv3 node a host bridge's iommu-map points at, or -1 if it has none. */
static int host_smmu(int host)
{
	if (!fdt_getprop(buf, host, "iommu-map", NULL))
		return -1;
	return fdt_node_offset_by_phandle(buf, cell(host, "iommu-map", 1));
}

/*
 * Each msi_direct_devs device: a child node Linux matches by devfn, naming
 * the reserved-memory window, whose iommu-addresses list that node with the
 * window as a PCI address (3 cells) and size (2) and whose reg is the same
 * range (so Linux maps it 1:1).
 */
static void test_msi_direct(const struct dt_params *p, int host, const struct dt_pci_host *h)
{
	int win = fdt_path_offset(buf, "/reserved-memory/msi-window@8000000");
	unsigned n = 0;

	CHECK(win > 0);
	CHECK_EQ(cell64(win, "reg", 0), p->msi_window.base);
	CHECK_EQ(cell64(win, "reg", 2), p->msi_window.size);
	CHECK(fdt_getprop(buf, win, "no-map", NULL) != NULL);
	for (int c = fdt_first_subnode(buf, host); c >= 0; c = fdt_next_subnode(buf, c)) {
		uint32_t reg0 = cell(c, "reg", 0), ph = fdt_get_phandle(buf, c);
		unsigned d = (reg0 >> 11) & 0x1f;
		bool listed = false;

		n++;
		CHECK(h->msi_direct_devs & (1u << d));
		CHECK_EQ(reg0 >> 16, h->bus_start);
		CHECK_EQ(ncells(c, "reg"), 5);
		CHECK_EQ(cell(c, "memory-region", 0), fdt_get_phandle(buf, win));
		for (unsigned k = 0; k + 6 <= ncells(win, "iommu-addresses"); k += 6)
			if (cell(win, "iommu-addresses", k) == ph) {
				listed = true;
				CHECK_EQ(cell64(win, "iommu-addresses", k + 2), p->msi_window.base);
				CHECK_EQ(cell64(win, "iommu-addresses", k + 4), p->msi_window.size);
			}
		CHECK_MSG(listed, "device %u of bus %u is not in the window's iommu-addresses", d, h->bus_start);
	}
	CHECK_EQ(n, (unsigned)__builtin_popcount(h->msi_direct_devs));
}

static void test_host(const struct dt_params *p, int host, unsigned i, int its)
{
	const struct dt_pci_host *h = &p->pci[i];
	uint32_t nbus = h->bus_end - h->bus_start + 1u;

	CHECK(str_is(host, "device_type", "pci"));
	CHECK_EQ(cell64(host, "reg", 0), AARCH64_PCI_ECAM_BASE + ((uint64_t)h->bus_start << 20));
	CHECK_EQ(cell64(host, "reg", 2), (uint64_t)nbus << 20);
	CHECK_EQ(cell(host, "bus-range", 0), h->bus_start);
	CHECK_EQ(cell(host, "bus-range", 1), h->bus_end);
	CHECK_EQ(ncells(host, "ranges"), 14);
	CHECK_EQ(cell(host, "ranges", 0), 0x02000000);
	CHECK_EQ(cell64(host, "ranges", 3), h->mmio32.base);
	CHECK_EQ(cell(host, "ranges", 7), 0x03000000);
	CHECK_EQ(cell64(host, "ranges", 12), h->mmio64.size);
	/* msi-map: identity over the bridge's RIDs, to the ITS. */
	CHECK_EQ(cell(host, "msi-map", 0), (uint32_t)h->bus_start << 8);
	CHECK_EQ(cell(host, "msi-map", 1), fdt_get_phandle(buf, its));
	CHECK_EQ(cell(host, "msi-map", 2), (uint32_t)h->bus_start << 8);
	CHECK_EQ(cell(host, "msi-map", 3), nbus << 8);
	/* INTx: 4 devices x 4 pins, 10 cells each; device 1 INTB -> SPI base + 2. */
	CHECK_EQ(ncells(host, "interrupt-map"), 160);
	CHECK_EQ(cell(host, "interrupt-map", 50), 1u << 11);
	CHECK_EQ(cell(host, "interrupt-map", 53), 2);
	CHECK_EQ(cell(host, "interrupt-map", 58), AARCH64_PCI_INTX_SPI_BASE + 2);
	int smmu = host_smmu(host);
	if (h->viommu < 0) {
		CHECK_EQ(smmu, -1);
		return;
	}
	CHECK(smmu > 0);
	CHECK(str_is(smmu, "compatible", "arm,smmu-v3"));
	CHECK_EQ(cell64(smmu, "reg", 0), p->viommus[h->viommu].base);
	CHECK_EQ(cell(smmu, "#iommu-cells", 0), 1);
	CHECK_EQ(cell(smmu, "interrupts", 1), p->viommus[h->viommu].spi_base);
	CHECK_EQ(cell(smmu, "interrupts", 10), p->viommus[h->viommu].spi_base + 3);
	CHECK(str_is(smmu, "interrupt-names", "eventq"));
	CHECK_EQ(cell(smmu, "msi-parent", 0), cell(host, "msi-map", 1));  /* the ITS */
	CHECK_EQ(cell(smmu, "msi-parent", 1), p->viommus[h->viommu].its_devid);
	CHECK_EQ(cell(host, "iommu-map", 0), (uint32_t)h->bus_start << 8);
	CHECK_EQ(cell(host, "iommu-map", 3), nbus << 8);
	test_msi_direct(p, host, h);
}

static void test_pci(const struct dt_params *p)
{
	int its = fdt_path_offset(buf, "/intc@8000000/msi-controller@8080000");
	unsigned i = 0;

	for (int n = fdt_node_offset_by_compatible(buf, -1, "pci-host-ecam-generic"); n >= 0;
	     n = fdt_node_offset_by_compatible(buf, n, "pci-host-ecam-generic")) {
		CHECK(i < p->nr_pci_hosts);
		if (i < p->nr_pci_hosts)
			test_host(p, n, i, its);
		i++;
	}
	CHECK_EQ(i, p->nr_pci_hosts);
	unsigned smmus = 0;
	for (int n = fdt_node_offset_by_compatible(buf, -1, "arm,smmu-v3"); n >= 0;
	     n = fdt_node_offset_by_compatible(buf, n, "arm,smmu-v3"))
		smmus++;
	CHECK_EQ(smmus, p->nr_viommus);
}

/* pci=off: no host bridge, the virtio-mmio transports with their edge SPIs. */
static void test_virtio_mmio(void)
{
	struct dt_params p;
	size_t len = 0;
	unsigned n = 0;

	test_dt_params(&p, 1, 0, 0);
	CHECK(build(&p, &len) == 0);
	for (int off = fdt_node_offset_by_compatible(buf, -1, "virtio,mmio"); off >= 0;
	     off = fdt_node_offset_by_compatible(buf, off, "virtio,mmio")) {
		CHECK_EQ(cell64(off, "reg", 0), AARCH64_VIRTIO_MMIO_BASE + n * AARCH64_VIRTIO_MMIO_STRIDE);
		CHECK_EQ(cell64(off, "reg", 2), 0x200);
		CHECK_EQ(cell(off, "interrupts", 0), 0);  /* SPI */
		CHECK_EQ(cell(off, "interrupts", 1), AARCH64_VIRTIO_MMIO_SPI_BASE + n);
		CHECK_EQ(cell(off, "interrupts", 2), 1);  /* edge */
		n++;
	}
	CHECK_EQ(n, 3);
	CHECK_EQ(fdt_node_offset_by_compatible(buf, -1, "pci-host-ecam-generic"), -FDT_ERR_NOTFOUND);
	struct dt_params bad = p;
	bad.nr_virtio_mmio = DT_MAX_VIRTIO_MMIO + 1;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.virtio_mmio_spi_base = 986;        /* the third one past the GIC's SPIs */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.virtio_mmio_stride = 0x100;        /* transports overlapping */
	CHECK(build(&bad, &len) == -EINVAL);
}

static void test_rejects(void)
{
	struct dt_params p, bad;
	size_t len = 0, good;

	test_dt_params(&p, 2, 3, 2);
	CHECK(build(&p, &good) == 0);
	/* Exactly big enough works; one byte less is -ENOSPC, as is a tiny buffer. */
	CHECK(dt_build(&p, buf, good, &len) == 0 && len == good);
	CHECK(dt_build(&p, buf, good - 1, &len) == -ENOSPC);
	CHECK(dt_build(&p, buf, 16, &len) == -ENOSPC);

	bad = p; bad.nr_cpus = 0;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.nr_cpus = DT_MAX_CPUS + 1;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.nr_pci_hosts = DT_MAX_PCI_HOSTS + 1;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.nr_viommus = DT_MAX_VIOMMUS + 1;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[2].viommu = 2;          /* only 0 and 1 exist */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[1].viommu = -2;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[1].bus_start = bad.pci[0].bus_end;   /* overlaps bus 0's range */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[1].bus_start = 200; bad.pci[1].bus_end = 199;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[0].ecam_base += 0x1000;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[0].mmio32.base = 0xfff00000; /* runs past 4 GiB */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.pci[0].mmio64.base = UINT64_MAX - 10;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.viommus[1].spi_base = 986;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.viommus[1].base += 0x1000;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.msi_window.size = 0;             /* devices that need a window, and none */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.timer_ppis[2] = 16;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.ram.size = 0;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.initrd.base = UINT64_MAX - 4;
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.initrd.base = AARCH64_RAM_BASE - 0x1000;  /* starts below RAM */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.initrd.base = AARCH64_RAM_BASE + AARCH64_RAM_DEFAULT_SIZE - 0x1000; /* runs past it */
	CHECK(build(&bad, &len) == -EINVAL);
	bad = p; bad.uart_clock_hz = 0;
	CHECK(build(&bad, &len) == -EINVAL);
}

int main(void)
{
	struct dt_params p;
	size_t len = 0;
	static unsigned char first[sizeof(buf)];

	test_dt_params(&p, 2, 3, 2);
	CHECK(build(&p, &len) == 0);
	CHECK(len > 0 && len <= AARCH64_FDT_MAX_SIZE);
	test_top(&p);
	test_uart_chosen(&p);
	test_pci(&p);
	/* The same parameters give the same bytes (fixed phandles, fixed order). */
	memcpy(first, buf, len);
	size_t len2 = 0;
	CHECK(build(&p, &len2) == 0 && len2 == len && !memcmp(first, buf, len));

	/* No initrd, no bootargs: neither property appears. */
	p.initrd.size = 0;
	p.bootargs = NULL;
	CHECK(build(&p, &len) == 0);
	int ch = fdt_path_offset(buf, "/chosen");
	CHECK(fdt_getprop(buf, ch, "linux,initrd-start", NULL) == NULL);
	CHECK(fdt_getprop(buf, ch, "bootargs", NULL) == NULL);

	/* Eight host bridges, seven vSMMUv3s, 64 vCPUs. */
	test_dt_params(&p, 64, 8, 7);
	CHECK(build(&p, &len) == 0);
	test_top(&p);
	test_pci(&p);
	test_cpus(1);
	test_cpus(20);
	test_cpus(DT_MAX_CPUS);
	test_rejects();
	test_virtio_mmio();
	return check_summary("dt");
}
