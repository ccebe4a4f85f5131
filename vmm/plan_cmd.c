// SPDX-License-Identifier: Apache-2.0
/*
 * `skiff plan --config vm.json [--json]`: the vIOMMU topology the VM would
 * get on this host (docs/iommu.md), without starting it. It asks the
 * kernel for real: opens /dev/iommu and each device's VFIO cdev (which
 * binds, attaches and resets the device, as a VM start would), executes
 * the plan, prints it, and tears everything down again. --dump-acpi DIR
 * also writes the DMAR and IORT that describe the plan's vIOMMUs (x86_64:
 * vm_arch_io.plan_dump_acpi; an aarch64 guest has no ACPI yet). Shared by
 * both architectures: the placement and the host IOMMU objects are the
 * same, the root buses' numbers come from the architecture's PCIe layout.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "iommu.h"
#include "vfio.h"
#include "vm-internal.h"

enum { PLAN_OK = 0, PLAN_HOST = 1, PLAN_USAGE = 2 };

struct plan_ctx {
	struct pci_root_cfg rc;
	struct vfio_iommu *io;
	struct vfio_device *dev[IOMMU_MAX_DEVS];
	unsigned nr;
};

static unsigned bus_number(void *opaque, unsigned idx)
{
	const struct plan_ctx *c = opaque;

	return idx < c->rc.nr_buses ? c->rc.buses[idx].bus_start : idx;
}

static int attach(void *opaque, uint32_t pt_id)
{
	return vfio_device_attach_pt(opaque, pt_id);
}

static int detach(void *opaque)
{
	return vfio_device_detach_pt(opaque);
}

static void print_empty(bool json)
{
	if (json)
		puts("{\n  \"schema\": \"skiff-plan/1\",\n  \"host_iommus\": [],\n  \"stage2\": []\n}");
	else
		puts("no assigned devices (no \"vfio\" section): no host IOMMU, no vIOMMU");
}

/* Open and bind every device, then execute the plan. */
static int execute(const struct skiff_config *cfg, struct iommu_plan *p, struct plan_ctx *c)
{
	struct gmem none = { .memfd = -1 }; /* no guest RAM to map: the plan needs only the IOAS */
	char msg[VFIO_ERR_MAX];
	int r = vfio_iommu_create(&none, NULL, &c->io, msg, sizeof(msg));

	if (r) {
		fprintf(stderr, "skiff: plan: %s\n", msg);
		return r == -ENOENT ? PLAN_USAGE : PLAN_HOST;
	}
	for (unsigned i = 0; i < cfg->nr_vfio; i++) {
		const struct iommu_dev *d = iommu_plan_dev(p, i);
		unsigned bus = bus_number(c, iommu_plan_unit(p, d->unit)->root_bus);
		struct iommu_attach_ops at = { attach, detach, NULL };

		r = vfio_device_open(c->io, cfg->vfio[i].bdf, &c->dev[i], msg, sizeof(msg));
		if (r) {
			fprintf(stderr, "skiff: plan: %s: vfio[%u].bdf: %s\n", cfg->source, i, msg);
			return r == -ENODEV || r == -EINVAL ? PLAN_USAGE : PLAN_HOST;
		}
		c->nr = i + 1;
		at.opaque = c->dev[i];
		iommu_plan_bind(p, i, vfio_device_dev_id(c->dev[i]), bus << 8 | d->slot << 3, &at);
	}
	r = iommu_plan_execute(p, vfio_iommu_fd(c->io), vfio_iommu_ioas_id(c->io), msg, sizeof(msg));
	if (r) {
		fprintf(stderr, "skiff: plan: %s\n", msg);
		return PLAN_HOST;
	}
	return PLAN_OK;
}

static int plan(const struct skiff_config *cfg, bool json, const char *dump_dir)
{
	struct plan_ctx c = { 0 };
	struct iommu_plan *p = NULL;
	const char *args = cfg->boot_args ? cfg->boot_args : "";
	char msg[VFIO_ERR_MAX + 64];
	unsigned nr_buses = 1;
	int status;

	if (!cfg->nr_vfio) {
		print_empty(json);
		return dump_dir ? vm_arch_io.plan_dump_acpi(NULL, NULL, dump_dir) : PLAN_OK;
	}
	if (boot_args_have(args, "pci=off")) {
		fprintf(stderr, "skiff: plan: %s: vfio[0]: the guest runs with pci=off, so there is no PCIe root bus "
			"to put an assigned device on\n", cfg->source);
		return PLAN_USAGE;
	}
	if (cfg->nr_vfio > IOMMU_MAX_DEVS) {
		fprintf(stderr, "skiff: plan: %s: vfio: at most %d devices\n", cfg->source, IOMMU_MAX_DEVS);
		return PLAN_USAGE;
	}
	status = vm_vfio_place(cfg, NULL, &p, &nr_buses, msg, sizeof(msg));
	if (status < 0) {
		fprintf(stderr, "skiff: plan: %s\n", msg);
		return status == -ENODEV || status == -EINVAL || status == -ENOSPC ? PLAN_USAGE : PLAN_HOST;
	}
	if (vm_arch_io.root_cfg(&c.rc, nr_buses, (struct irq_line){ 0 }) < 0) {
		fprintf(stderr, "skiff: plan: %u root buses do not fit the PCIe layout\n", nr_buses);
		iommu_plan_destroy(p);
		return PLAN_USAGE;
	}
	status = execute(cfg, p, &c);
	if (status == PLAN_OK)
		iommu_plan_print(p, stdout, json, bus_number, &c);
	if (status == PLAN_OK && dump_dir)
		status = vm_arch_io.plan_dump_acpi(p, &c.rc, dump_dir);
	iommu_plan_destroy(p);
	for (unsigned i = c.nr; i-- > 0;)
		vfio_device_close(c.dev[i]);
	vfio_iommu_destroy(c.io);
	return status;
}

int skiff_plan_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "dump-acpi", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = NULL, *dump_dir = NULL;
	struct skiff_config cfg;
	char msg[CONFIG_ERR_MAX];
	bool json = false;
	int c, status;

	while ((c = getopt_long(argc, argv, "c:jA:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'A':
			dump_dir = optarg;
			break;
		case 'h':
			puts("Usage: skiff plan --config FILE.json [--json] [--dump-acpi DIR]\n\n"
			     "Print the vIOMMU topology the VM would get on this host (host IOMMU -> vIOMMU -> root bus\n"
			     "-> devices, stage-2 sharing, fallbacks) without starting it. --dump-acpi DIR also writes\n"
			     "the DMAR and IORT describing its vIOMMUs to DIR/DMAR.dat and DIR/IORT.dat (none if no\n"
			     "unit has a vIOMMU). See docs/iommu.md.");
			return PLAN_OK;
		default:
			return PLAN_USAGE;
		}
	}
	if (!path || optind < argc) {
		fprintf(stderr, "skiff: plan: usage: skiff plan --config FILE.json [--json] [--dump-acpi DIR]\n");
		return PLAN_USAGE;
	}
	if (dump_dir && !vm_arch_io.plan_dump_acpi) {
		fprintf(stderr, "skiff: plan: --dump-acpi: this architecture's guests get no ACPI tables from skiff "
			"yet (an aarch64 guest gets a device tree: skiff --dump-dtb writes it)\n");
		return PLAN_USAGE;
	}
	if (config_load_file(path, &cfg, msg, sizeof(msg))) {
		fprintf(stderr, "skiff: %s\n", msg);
		return PLAN_USAGE;
	}
	status = plan(&cfg, json, dump_dir);
	config_free(&cfg);
	return status;
}
