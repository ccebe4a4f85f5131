// SPDX-License-Identifier: Apache-2.0
/*
 * The VM's PCIe root complex, GED and virtio devices: which transport
 * (virtio-pci, or virtio-mmio when the guest runs with pci=off), where
 * each device goes, the kernel command-line additions, and ACPI params.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "vm-internal.h"

bool boot_args_have(const char *args, const char *token)
{
	size_t n = strlen(token);

	for (const char *p = args; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, token, n) && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p = strchr(p, ' ');
	}
	return false;
}

unsigned vm_nr_root_buses(const struct skiff_config *cfg)
{
	unsigned n = 1;

	for (unsigned i = 0; i < cfg->nr_drives; i++)
		if (cfg->drives[i].root_bus >= 0 && (unsigned)cfg->drives[i].root_bus + 1 > n)
			n = (unsigned)cfg->drives[i].root_bus + 1;
	for (unsigned i = 0; i < cfg->nr_net; i++)
		if (cfg->net[i].root_bus >= 0 && (unsigned)cfg->net[i].root_bus + 1 > n)
			n = (unsigned)cfg->net[i].root_bus + 1;
	for (unsigned i = 0; i < cfg->nr_vfio; i++)
		if (cfg->vfio[i].root_bus >= 0 && (unsigned)cfg->vfio[i].root_bus + 1 > n)
			n = (unsigned)cfg->vfio[i].root_bus + 1;
	return n;
}

static int vm_attach_virtio(struct vm *vm, struct virtio_device *vdev, const char *name, int root_bus,
			    int slot, const char *cfg_path, struct vm_error *err)
{
	const struct vm_arch_io *a = &vm_arch_io;
	struct vm_virtio_dev *d;
	int r;

	if (vm->nr_virtio == VM_MAX_VIRTIO) {
		virtio_device_destroy(vdev);
		return vm_fail(err, true, "%s: %s: too many virtio devices (at most %d)", vm->cfg->source, cfg_path,
			       VM_MAX_VIRTIO);
	}
	d = &vm->virtio[vm->nr_virtio];
	d->vdev = vdev;
	vm->nr_virtio++;
	if (vm->pci) {
		unsigned bus = root_bus < 0 ? 0 : (unsigned)root_bus;

		r = virtio_pci_create(vm->pci, bus, slot, vdev, &vm->irq.ops, &d->pci);
		if (r == -EBUSY)
			return vm_fail(err, true, "%s: %s.slot: slot %d on root bus %u is already taken by another device",
				       vm->cfg->source, cfg_path, slot, bus);
		if (r == -ENOSPC)
			return vm_fail(err, true, "%s: %s: no free slot or BAR space left on root bus %u",
				       vm->cfg->source, cfg_path, bus);
		if (r)
			return vm_fail(err, false, "%s: virtio-pci: %s", name, strerror(-r));
		return 0;
	}
	if (root_bus > 0 || slot >= 0)
		return vm_fail(err, true, "%s: %s.%s: the guest runs with pci=off, so there are no PCIe root buses",
			       vm->cfg->source, cfg_path, root_bus > 0 ? "root_bus" : "slot");
	if (vm->nr_mmio == a->nr_mmio_gsis || vm->nr_mmio == VM_MAX_MMIO)
		return vm_fail(err, true, "%s: %s: at most %u virtio-mmio devices with pci=off", vm->cfg->source,
			       cfg_path, vm->nr_mmio);
	{
		uint64_t base = a->mmio_base + vm->nr_mmio * a->mmio_stride;

		vm->mmio_gsi[vm->nr_mmio] = a->mmio_gsis[vm->nr_mmio];
		r = virtio_mmio_create(vdev, base, a->mmio_gsis[vm->nr_mmio], &vm->irq.ops, &d->mmio);
		if (!r)
			r = bus_register(&vm->mmio, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, d->mmio, name);
	}
	if (r)
		return vm_fail(err, false, "%s: virtio-mmio: %s", name, strerror(-r));
	vm->nr_mmio++;
	return 0;
}

static int vm_create_drives(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;

	/* The root device goes first so the guest names it vda. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < cfg->nr_drives; i++) {
			const struct skiff_drive *dr = &cfg->drives[i];
			struct virtio_blk_params p = {
				.path = dr->path_on_host, .read_only = dr->is_read_only, .serial = dr->drive_id,
				.num_queues = dr->num_queues, .name = dr->drive_id,
			};
			struct virtio_device *vdev;
			char path[32], msg[256];

			if (dr->is_root_device != (pass == 0))
				continue;
			snprintf(path, sizeof(path), "drives[%u]", i);
			if (virtio_blk_create(&p, &vm->mem, &vdev, msg, sizeof(msg)))
				return vm_fail(err, true, "%s: %s.path_on_host: %s", cfg->source, path, msg);
			if (vm_attach_virtio(vm, vdev, dr->drive_id, dr->root_bus, dr->slot, path, err))
				return -1;
		}
	}
	return 0;
}

static int vm_create_net(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;

	for (unsigned i = 0; i < cfg->nr_net; i++) {
		const struct skiff_net *ni = &cfg->net[i];
		struct virtio_net_params p = {
			.name = ni->iface_id, .tap_name = ni->host_dev_name, .mac = ni->has_mac ? ni->guest_mac : NULL,
			.queue_pairs = ni->queue_pairs, .vhost = ni->vhost,
		};
		struct virtio_device *vdev;
		char path[40], msg[256];
		int r;

		snprintf(path, sizeof(path), "network-interfaces[%u]", i);
		r = virtio_net_create(&p, &vm->mem, &vdev, msg, sizeof(msg));
		if (r)
			return vm_fail(err, r != -ENOMEM, "%s: %s.host_dev_name: %s", cfg->source, path, msg);
		if (vm_attach_virtio(vm, vdev, ni->iface_id, ni->root_bus, ni->slot, path, err))
			return -1;
	}
	return 0;
}

static int vm_create_other_virtio(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct virtio_device *vdev;
	int r;

	if (cfg->vsock.enabled) {
		char msg[256];

		struct virtio_vsock_params p = {
			.guest_cid = cfg->vsock.guest_cid, .uds_path = cfg->vsock.uds_path, .vhost = cfg->vsock.vhost,
		};

		r = virtio_vsock_create(&p, &vm->mem, &vdev, msg, sizeof(msg));
		if (r)
			return vm_fail(err, r != -ENOMEM, "%s: vsock.%s: %s", cfg->source,
				       r == -EADDRINUSE && cfg->vsock.vhost ? "guest_cid" : "uds_path", msg);
		if (vm_attach_virtio(vm, vdev, "virtio-vsock", -1, -1, "vsock", err))
			return -1;
	}
	if (cfg->entropy) {
		r = virtio_rng_create(&vm->mem, &vdev);
		if (r)
			return vm_fail(err, false, "virtio-rng: %s", strerror(-r));
		if (vm_attach_virtio(vm, vdev, "virtio-rng", -1, -1, "entropy", err))
			return -1;
	}
	if (cfg->console_device == CONSOLE_VIRTIO && cfg->serial_mode != SERIAL_OFF) {
		int in = cfg->serial_mode == SERIAL_STDIO ? STDIN_FILENO : -1;
		int out = cfg->serial_mode == SERIAL_STDIO ? STDOUT_FILENO : vm->serial_file_fd;

		r = virtio_console_create(in, out, &vm->mem, &vdev);
		if (r)
			return vm_fail(err, false, "virtio-console: %s", strerror(-r));
		if (vm_attach_virtio(vm, vdev, "virtio-console", -1, -1, "serial", err))
			return -1;
	}
	return 0;
}

static int vm_register_pci_windows(struct vm *vm, struct vm_error *err)
{
	struct pci_window w[PCI_MAX_WINDOWS];
	unsigned n = pci_root_windows(vm->pci, w);

	for (unsigned i = 0; i < n; i++) {
		int r = bus_register(w[i].pio ? &vm->pio : &vm->mmio, w[i].base, w[i].size, w[i].ops,
				     w[i].opaque, w[i].name);

		if (r)
			return vm_fail(err, false, "PCI window %s at %#llx: %s", w[i].name,
				       (unsigned long long)w[i].base, strerror(-r));
	}
	return 0;
}

int vm_create_io(struct vm *vm, const char *boot_args, unsigned min_buses, struct vm_error *err)
{
	const struct vm_arch_io *a = &vm_arch_io;
	struct irq_line intx = { vm_set_irq_level, vm, 0 };
	int r;

	vm_irq_init(&vm->irq, vm->vm_fd, a->irqchip, a->nr_spis);
	vm->irq.msi_doorbell = a->msi_doorbell;
	vm->irq_ready = true;
	if (a->has_ged) {
		ged_init(&vm->ged, (struct irq_line){ vm_set_irq_level, vm, a->ged_gsi });
		vm->ged_ready = true;
		r = bus_register(&vm->mmio, a->ged_addr, ACPI_GED_REG_SIZE, &ged_ops, &vm->ged, "ged");
		if (r)
			return vm_fail(err, false, "GED: %s", strerror(-r));
	}
	if (!boot_args_have(boot_args, "pci=off")) {
		struct pci_root_cfg rc;
		unsigned n = vm_nr_root_buses(vm->cfg);

		if (min_buses > n)
			n = min_buses;
		r = a->root_cfg(&rc, n, intx);
		if (!r)
			r = pci_root_create(&rc, &vm->pci);
		vm->pci_cfg = rc;
		if (r)
			return vm_fail(err, false, "creating the PCIe root complex: %s", strerror(-r));
	} else if (vm->cfg->nr_drives || vm->cfg->nr_net || vm->cfg->vsock.enabled || vm->cfg->entropy ||
		   vm->cfg->console_device == CONSOLE_VIRTIO) {
		log_info("boot_args has pci=off: virtio devices use the virtio-mmio transport");
	}
	if (vm_create_drives(vm, err) || vm_create_net(vm, err) || vm_create_other_virtio(vm, err))
		return -1;
	return vm->pci ? vm_register_pci_windows(vm, err) : 0;
}

unsigned vm_nr_virtio_devices(const struct skiff_config *cfg)
{
	return cfg->nr_drives + cfg->nr_net + (cfg->vsock.enabled ? 1 : 0) + (cfg->entropy ? 1 : 0) +
	       (cfg->console_device == CONSOLE_VIRTIO && cfg->serial_mode != SERIAL_OFF ? 1 : 0);
}

/* The command line the guest gets: the config's, plus root= for the root drive. */
char *vm_build_cmdline(const struct skiff_config *cfg, const char *boot_args)
{
	size_t cap = strlen(boot_args) + 128;
	char *s = malloc(cap);
	size_t n;

	if (!s)
		return NULL;
	n = (size_t)snprintf(s, cap, "%s", boot_args);
	for (unsigned i = 0; i < cfg->nr_drives; i++) {
		const struct skiff_drive *d = &cfg->drives[i];

		if (!d->is_root_device || boot_args_have(boot_args, "root=") || strstr(boot_args, "root="))
			continue;
		if (d->partuuid)
			n += (size_t)snprintf(s + n, cap - n, " root=PARTUUID=%s", d->partuuid);
		else
			n += (size_t)snprintf(s + n, cap - n, " root=/dev/vda");
		n += (size_t)snprintf(s + n, cap - n, d->is_read_only ? " ro" : " rw");
	}
	return s;
}

/* After the vCPUs have stopped: devices drain and sync their I/O here. */
void vm_destroy_io(struct vm *vm)
{
	for (unsigned i = vm->nr_virtio; i-- > 0;) {
		struct vm_virtio_dev *d = &vm->virtio[i];

		if (d->pci)
			virtio_pci_destroy(d->pci);
		if (d->mmio)
			virtio_mmio_destroy(d->mmio);
		virtio_device_destroy(d->vdev);
	}
	vm->nr_virtio = 0;
	if (vm->pci)
		pci_root_destroy(vm->pci);
	vm->pci = NULL;
	free(vm->acpi_hosts);
	vm->acpi_hosts = NULL;
	if (vm->ged_ready)
		ged_destroy(&vm->ged);
	if (vm->irq_ready)
		vm_irq_destroy(&vm->irq);
	vm->ged_ready = vm->irq_ready = false;
}
