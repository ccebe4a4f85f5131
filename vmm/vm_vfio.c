// SPDX-License-Identifier: Apache-2.0
/*
 * Assigned PCI functions (the config's "vfio" section): one iommufd IOAS
 * for the VM, each device on its PCIe root bus, and the KVM memory slots
 * their BARs are mapped through (slots 0..GMEM_MAX_REGIONS-1 are guest
 * RAM; BAR slots come from VM_VFIO_SLOT_BASE up). See docs/vfio.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio.h"
#include "vm-internal.h"

#define VM_VFIO_SLOT_BASE GMEM_MAX_REGIONS
#define VM_VFIO_MAX_SLOTS 64

struct vm_vfio {
	struct vm *vm;
	pthread_mutex_t lock;        /* the slot map: BARs move from vCPU threads */
	uint64_t slots_used;         /* bit i: slot VM_VFIO_SLOT_BASE + i */
	struct vfio_map_ops map;
	struct vfio_iommu *io;
	unsigned nr;
	struct vfio_device *dev[16];
	struct vfio_pci *pci[16];
};

static int slot_map(void *opaque, uint64_t gpa, uint64_t size, void *host, int *ret_slot)
{
	struct vm_vfio *vv = opaque;
	int r = -ENOSPC;

	pthread_mutex_lock(&vv->lock);
	for (unsigned i = 0; i < VM_VFIO_MAX_SLOTS; i++) {
		if (vv->slots_used & (1ull << i))
			continue;
		r = kvm_set_user_memory_region(vv->vm->vm_fd, VM_VFIO_SLOT_BASE + i, gpa, size, host);
		if (!r) {
			vv->slots_used |= 1ull << i;
			*ret_slot = (int)i;
		}
		break;
	}
	pthread_mutex_unlock(&vv->lock);
	return r;
}

static void slot_unmap(void *opaque, int slot)
{
	struct vm_vfio *vv = opaque;
	int r;

	pthread_mutex_lock(&vv->lock);
	r = kvm_set_user_memory_region(vv->vm->vm_fd, VM_VFIO_SLOT_BASE + (unsigned)slot, 0, 0, NULL);
	if (r)
		log_warn("vfio: removing KVM memory slot %u: %s", VM_VFIO_SLOT_BASE + (unsigned)slot, strerror(-r));
	vv->slots_used &= ~(1ull << slot);
	pthread_mutex_unlock(&vv->lock);
}

int vm_create_vfio(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct vm_vfio *vv;
	char msg[VFIO_ERR_MAX];

	if (!cfg->nr_vfio)
		return 0;
	if (!vm->pci)
		return vm_fail(err, true, "%s: vfio[0]: the guest runs with pci=off, so there is no PCIe root bus "
			       "to put an assigned device on", cfg->source);
	vv = calloc(1, sizeof(*vv));
	if (!vv)
		return vm_fail(err, false, "out of memory");
	vm->vfio = vv;
	vv->vm = vm;
	pthread_mutex_init(&vv->lock, NULL);
	vv->map = (struct vfio_map_ops){ slot_map, slot_unmap, vv };
	/* What is wrong with a device (missing, not bound to vfio-pci, no cdev) before the VM's iommufd. */
	for (unsigned i = 0; i < cfg->nr_vfio && i < ARRAY_SIZE(vv->dev); i++) {
		char node[64];
		int r = vfio_find_cdev(NULL, cfg->vfio[i].bdf, node, sizeof(node), msg, sizeof(msg));

		if (r)
			return vm_fail(err, r == -ENODEV || r == -EINVAL, "%s: vfio[%u].bdf: %s", cfg->source, i, msg);
	}
	for (unsigned i = 0; i < cfg->nr_vfio && i < ARRAY_SIZE(vv->dev); i++) {
		const struct skiff_vfio *c = &cfg->vfio[i];
		unsigned bus = c->root_bus < 0 ? 0 : (unsigned)c->root_bus;
		int r;

		if (bus >= pci_root_nr_buses(vm->pci))
			return vm_fail(err, true, "%s: vfio[%u].root_bus: root bus %u does not exist (this VM has %u; "
				       "drives[].root_bus or vfio[].root_bus make more)", cfg->source, i, bus, pci_root_nr_buses(vm->pci));
		if (!vv->io && vfio_iommu_create(&vm->mem, NULL, &vv->io, msg, sizeof(msg)))
			return vm_fail(err, false, "vfio[%u] (%s): %s", i, c->id, msg);
		r = vfio_device_open(vv->io, c->bdf, &vv->dev[i], msg, sizeof(msg));
		if (r)
			return vm_fail(err, r == -ENODEV || r == -EINVAL, "%s: vfio[%u].bdf: %s", cfg->source, i, msg);
		vv->nr = i + 1;
		r = vfio_pci_create(vv->dev[i], vm->pci, bus, c->slot, &vm->irq.ops, &vv->map, &vv->pci[i], msg,
				    sizeof(msg));
		if (r == -EBUSY)
			return vm_fail(err, true, "%s: vfio[%u].slot: slot %d on root bus %u is already taken by "
				       "another device", cfg->source, i, c->slot, bus);
		if (r)
			return vm_fail(err, r == -ENOSPC, "%s: vfio[%u]: %s", cfg->source, i, msg);
		log_info("vfio: %s (%s) assigned to the guest", c->bdf, c->id);
	}
	return 0;
}

/* After the vCPUs stopped, before the PCI root and the MSI routes go. */
void vm_destroy_vfio(struct vm *vm)
{
	struct vm_vfio *vv = vm->vfio;

	if (!vv)
		return;
	for (unsigned i = vv->nr; i-- > 0;) {
		vfio_pci_destroy(vv->pci[i]);
		vfio_device_close(vv->dev[i]);
	}
	vfio_iommu_destroy(vv->io);
	pthread_mutex_destroy(&vv->lock);
	free(vv);
	vm->vfio = NULL;
}
