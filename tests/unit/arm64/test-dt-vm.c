// SPDX-License-Identifier: Apache-2.0
/*
 * The aarch64 VM's device tree for a config (vmm/dt_vm.c), decoded with
 * libfdt: the CPUs, RAM and command line the config asks for, a PCIe host
 * bridge per root bus its drives name, the initrd where the VM puts it.
 */
#include <errno.h>
#include <libfdt.h>
#include <string.h>

#include "check.h"
#include "layout.h"
#include "vm-internal.h"
#include "vm_arm64.h"

static char buf[AARCH64_FDT_MAX_SIZE];

static int load(const char *json, struct skiff_config *cfg)
{
	char msg[CONFIG_ERR_MAX];
	int r = config_load_buffer("test.json", json, strlen(json), cfg, msg, sizeof(msg));

	if (r)
		fprintf(stderr, "config: %s\n", msg);
	return r;
}

static unsigned count_compatible(const char *compat)
{
	unsigned n = 0;

	for (int off = fdt_node_offset_by_compatible(buf, -1, compat); off >= 0;
	     off = fdt_node_offset_by_compatible(buf, off, compat))
		n++;
	return n;
}

static void test_config(void)
{
	static const char json[] =
		"{ \"boot-source\": { \"kernel_image_path\": \"k\", \"boot_args\": \"console=ttyAMA0\" },"
		"  \"machine-config\": { \"vcpu_count\": 3, \"mem_size_mib\": 512 },"
		"  \"drives\": [ { \"drive_id\": \"root\", \"path_on_host\": \"a\", \"is_root_device\": true,"
		"                  \"is_read_only\": false },"
		"                { \"drive_id\": \"d1\", \"path_on_host\": \"b\", \"is_root_device\": false,"
		"                  \"is_read_only\": true, \"root_bus\": 2 } ] }";
	struct skiff_config cfg;
	struct pci_root_cfg rc;
	char msg[256], *cmdline;
	const char *boot_args;
	size_t len;
	int off, plen;
	const fdt32_t *cells;

	if (!check_ok(load(json, &cfg) == 0))
		return;
	boot_args = cfg.boot_args;
	CHECK_EQ(arm64_nr_root_buses(&cfg, boot_args), 3);
	CHECK_EQ(arm64_nr_root_buses(&cfg, "pci=off console=ttyAMA0"), 0);
	CHECK(!pci_root_cfg_aarch64(&rc, 3, (struct irq_line){ 0 }));
	cmdline = vm_build_cmdline(&cfg, boot_args);
	CHECK(!arm64_dt_for_config(&cfg, cmdline, &rc, NULL, 0, AARCH64_RAM_BASE + (200u << 20), 0x1234, buf, sizeof(buf),
				   &len, msg, sizeof(msg)));
	CHECK(fdt_check_header(buf) == 0 && fdt_totalsize(buf) == len);

	off = fdt_path_offset(buf, "/chosen");
	CHECK(off >= 0);
	CHECK(!strcmp(fdt_getprop(buf, off, "bootargs", NULL), "console=ttyAMA0 root=/dev/vda rw"));
	cells = fdt_getprop(buf, off, "linux,initrd-start", &plen);
	CHECK(cells && plen == 8 && fdt32_to_cpu(cells[1]) == AARCH64_RAM_BASE + (200u << 20));
	cells = fdt_getprop(buf, off, "linux,initrd-end", &plen);
	CHECK(cells && plen == 8 && fdt32_to_cpu(cells[1]) == AARCH64_RAM_BASE + (200u << 20) + 0x1234);

	off = fdt_path_offset(buf, "/memory@40000000");
	cells = off >= 0 ? fdt_getprop(buf, off, "reg", &plen) : NULL;
	CHECK(cells && plen == 16 && fdt32_to_cpu(cells[3]) == 512u << 20);
	CHECK_EQ(count_compatible("arm,arm-v8"), 3);
	CHECK_EQ(count_compatible("pci-host-ecam-generic"), 3);
	CHECK_EQ(count_compatible("arm,gic-v3-its"), 1);
	CHECK_EQ(count_compatible("arm,pl011"), 1);
	/* Each bridge's bus-range is the VM's root bus. */
	off = fdt_node_offset_by_compatible(buf, -1, "pci-host-ecam-generic");
	for (unsigned i = 0; i < 3 && off >= 0; i++) {
		cells = fdt_getprop(buf, off, "bus-range", &plen);
		CHECK(cells && plen == 8 && fdt32_to_cpu(cells[0]) == rc.buses[i].bus_start &&
		      fdt32_to_cpu(cells[1]) == rc.buses[i].bus_end);
		off = fdt_node_offset_by_compatible(buf, off, "pci-host-ecam-generic");
	}

	/* pci=off: no bridges, no initrd; the config's two drives on virtio-mmio, edge SPIs from the base. */
	CHECK_EQ(vm_nr_virtio_devices(&cfg), 2);
	CHECK(!arm64_dt_for_config(&cfg, cmdline, NULL, NULL, vm_nr_virtio_devices(&cfg), 0, 0, buf, sizeof(buf), &len,
				   msg, sizeof(msg)));
	CHECK_EQ(count_compatible("pci-host-ecam-generic"), 0);
	CHECK_EQ(count_compatible("virtio,mmio"), 2);
	off = fdt_path_offset(buf, "/virtio_mmio@a001000");
	cells = fdt_getprop(buf, off, "interrupts", &plen);
	CHECK(cells && plen == 12 && fdt32_to_cpu(cells[1]) == AARCH64_VIRTIO_MMIO_SPI_BASE + 1 &&
	      fdt32_to_cpu(cells[2]) == 1);
	cells = fdt_getprop(buf, off, "reg", &plen);
	CHECK(cells && plen == 16 && fdt32_to_cpu(cells[1]) == AARCH64_VIRTIO_MMIO_BASE + AARCH64_VIRTIO_MMIO_STRIDE);
	CHECK(fdt_getprop(buf, fdt_path_offset(buf, "/chosen"), "linux,initrd-start", NULL) == NULL);

	/* Too many vCPUs for the redistributor space: a sentence naming the key. */
	cfg.vcpu_count = AARCH64_MAX_VCPUS + 1;
	CHECK(arm64_dt_for_config(&cfg, cmdline, NULL, NULL, 0, 0, 0, buf, sizeof(buf), &len, msg, sizeof(msg)) ==
	      -EINVAL);
	CHECK(strstr(msg, "vcpu_count"));
	free(cmdline);
	config_free(&cfg);
}

static uint64_t prop64(int off, const char *name)
{
	int plen;
	const void *v = fdt_getprop(buf, off, name, &plen);
	fdt64_t be;

	if (!v || plen != 8)
		return 0;
	memcpy(&be, v, 8);
	return fdt64_to_cpu(be);
}

static uint32_t prop32(int off, const char *name)
{
	int plen;
	const void *v = fdt_getprop(buf, off, name, &plen);
	fdt32_t be;

	if (!v || plen != 4)
		return 0;
	memcpy(&be, v, 4);
	return fdt32_to_cpu(be);
}

/*
 * firmware_tables "acpi" (vmm/acpi_vm.c): the area holds a stub DTB with
 * only /chosen whose linux,uefi-* point at the system table and memory
 * map inside the area, and the tables the RSDP names.
 */
static void test_acpi(void)
{
	static const char json[] =
		"{ \"boot-source\": { \"kernel_image_path\": \"k\", \"firmware_tables\": \"acpi\" },"
		"  \"machine-config\": { \"vcpu_count\": 2, \"mem_size_mib\": 256 } }";
	const uint64_t area = AARCH64_RAM_BASE + (256u << 20) - AARCH64_FDT_MAX_SIZE;
	struct skiff_config cfg;
	struct pci_root_cfg rc;
	struct acpi_layout l;
	char msg[256];
	int off, n = 0;

	if (!check_ok(load(json, &cfg) == 0))
		return;
	CHECK_EQ(cfg.firmware_tables, FIRMWARE_TABLES_ACPI);
	CHECK(!pci_root_cfg_aarch64(&rc, 2, (struct irq_line){ 0 }));
	if (!check_ok(arm64_acpi_for_config(&cfg, "console=ttyAMA0", &rc, NULL, 0, AARCH64_RAM_BASE + (100u << 20), 0x1000,
					    area, buf, sizeof(buf), &l, msg, sizeof(msg)) == 0)) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	CHECK(fdt_check_header(buf) == 0 && fdt_totalsize(buf) <= ARM64_FW_STUB_DTB_MAX);
	for (off = fdt_first_subnode(buf, 0); off >= 0; off = fdt_next_subnode(buf, off))
		n++;
	CHECK_EQ(n, 1); /* only /chosen: Linux then prefers ACPI */
	off = fdt_path_offset(buf, "/chosen");
	if (!check_ok(off >= 0))
		return;
	uint64_t st = prop64(off, "linux,uefi-system-table"), mm = prop64(off, "linux,uefi-mmap-start");
	CHECK_EQ(st, area + ARM64_FW_STUB_DTB_MAX);
	CHECK(mm > st && mm < st + 4096);
	CHECK_EQ(prop32(off, "linux,uefi-mmap-size"), 2 * 48); /* RAM, then the area to its end */
	CHECK_EQ(prop32(off, "linux,uefi-mmap-desc-size"), 48);
	CHECK_EQ(prop32(off, "linux,uefi-mmap-desc-ver"), 1);
	CHECK_EQ(prop32(off, "linux,uefi-secure-boot"), 2); /* disabled */
	CHECK_EQ(prop64(off, "linux,initrd-start"), AARCH64_RAM_BASE + (100u << 20));
	CHECK(!memcmp(buf + (st - area), "IBI SYST", 8));
	CHECK(!memcmp(buf + (l.rsdp_gpa - area), "RSD PTR ", 8));
	CHECK_EQ(l.nr_tables, 9);
	for (unsigned i = 0; i < l.nr_tables; i++)
		CHECK(l.tables[i].offset + l.tables[i].length <= sizeof(buf) &&
		      !memcmp(buf + l.tables[i].offset, l.tables[i].signature, 4) == (i != 0));
	config_free(&cfg);
}

int main(void)
{
	test_config();
	test_acpi();
	return check_summary("arm64-dt-vm");
}
