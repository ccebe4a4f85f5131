// SPDX-License-Identifier: Apache-2.0
/*
 * Assigned PCI functions (the config's "vfio" section): one iommufd IOAS
 * for the VM; the vIOMMU plan (iommu/, docs/iommu.md) puts the devices
 * behind each host IOMMU on a PCIe root bus of their own and attaches
 * them (a stage-2 HWPT, or the IOAS as the fallback); the KVM memory
 * slots their BARs are mapped through (slots 0..GMEM_MAX_REGIONS-1 are
 * guest RAM; BAR slots come from VM_VFIO_SLOT_BASE up). See docs/vfio.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
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
	struct iommu_plan *plan;
	unsigned nr_buses;           /* root buses the placement needs */
	/* per plan unit: the shadow backend of its vVT-d (config "iommu"), NULL: none */
	struct vtd_shadow *shadow[IOMMU_MAX_UNITS];
	/* per plan unit on a nesting host VT-d (PARENT): the nested backend instead */
	struct vtd_nested *nested[IOMMU_MAX_UNITS];
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

int vm_vfio_place(const struct skiff_config *cfg, const struct iommu_paths *paths, struct iommu_plan **ret,
		  unsigned *ret_nr_buses, char *msg, size_t len)
{
	uint32_t busy = 1; /* bus 0: virtio-rng, vsock, the console, unpinned drives and NICs */
	unsigned min = 1;
	struct iommu_plan *p;
	int r;

	for (unsigned i = 0; i < cfg->nr_drives + cfg->nr_net; i++) {
		int pin = i < cfg->nr_drives ? cfg->drives[i].root_bus : cfg->net[i - cfg->nr_drives].root_bus;
		unsigned b = pin < 0 ? 0 : (unsigned)pin;

		busy |= 1u << b;
		min = b + 1 > min ? b + 1 : min;
	}
	r = iommu_plan_create(iommu_sys_real(), paths, &p, msg, len);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < cfg->nr_vfio && !r; i++) {
		const struct skiff_vfio *c = &cfg->vfio[i];
		struct iommu_dev_desc d = { .name = c->id, .bdf = c->bdf, .root_bus = c->root_bus, .slot = c->slot };
		char m[IOMMU_ERR_MAX], node[64];
		struct vfio_paths vp = { paths ? paths->sysfs : NULL, paths ? paths->dev : NULL };

		/* bound to vfio-pci with a cdev first: that message says what to do */
		r = vfio_find_cdev(&vp, c->bdf, node, sizeof(node), m, sizeof(m));
		if (!r)
			r = iommu_plan_add(p, &d, m, sizeof(m));
		if (r < 0)
			snprintf(msg, len, "%s: vfio[%u].bdf: %s", cfg->source, i, m);
	}
	if (!r) {
		char m[IOMMU_ERR_MAX];

		r = iommu_plan_place(p, busy, min, PCI_MAX_ROOT_BUSES, ret_nr_buses, m, sizeof(m));
		if (r < 0)
			snprintf(msg, len, "%s: vfio: %s", cfg->source, m);
	}
	if (r < 0) {
		iommu_plan_destroy(p);
		return r;
	}
	*ret = p;
	return 0;
}

int vm_place_vfio(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct vm_vfio *vv;
	char msg[VFIO_ERR_MAX + 64];
	int r;

	if (!cfg->nr_vfio)
		return 0;
	/* Before the devices' own checks: with pci=off there is nowhere to put them. */
	if (cfg->boot_args && boot_args_have(cfg->boot_args, "pci=off"))
		return vm_fail(err, true, "%s: vfio[0]: the guest runs with pci=off, so there is no PCIe root bus "
			       "to put an assigned device on", cfg->source);
	vv = calloc(1, sizeof(*vv));
	if (!vv)
		return vm_fail(err, false, "out of memory");
	vm->vfio = vv;
	vv->vm = vm;
	pthread_mutex_init(&vv->lock, NULL);
	vv->map = (struct vfio_map_ops){ slot_map, slot_unmap, vv };
	if (cfg->nr_vfio > ARRAY_SIZE(vv->dev))
		return vm_fail(err, true, "%s: vfio: at most %zu devices", cfg->source, ARRAY_SIZE(vv->dev));
	r = vm_vfio_place(cfg, NULL, &vv->plan, &vv->nr_buses, msg, sizeof(msg));
	if (r < 0)
		return vm_fail(err, r == -ENODEV || r == -EINVAL || r == -ENOSPC, "%s", msg);
	return 0;
}

unsigned vm_vfio_nr_buses(const struct vm *vm)
{
	return vm->vfio ? vm->vfio->nr_buses : 0;
}

static int plan_attach(void *opaque, uint32_t pt_id)
{
	return vfio_device_attach_pt(opaque, pt_id);
}

static int plan_detach(void *opaque)
{
	return vfio_device_detach_pt(opaque);
}

/* Open device i and put it where the plan placed it. */
static int open_one(struct vm *vm, unsigned i, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	const struct skiff_vfio *c = &cfg->vfio[i];
	struct vm_vfio *vv = vm->vfio;
	const struct iommu_dev *pd = iommu_plan_dev(vv->plan, i);
	unsigned bus = iommu_plan_unit(vv->plan, pd->unit)->root_bus;
	struct iommu_attach_ops at = { plan_attach, plan_detach, NULL };
	struct pci_root_bus_info bi;
	char msg[VFIO_ERR_MAX];
	int r;

	r = vfio_device_open(vv->io, c->bdf, &vv->dev[i], msg, sizeof(msg));
	if (r)
		return vm_fail(err, r == -ENODEV || r == -EINVAL, "%s: vfio[%u].bdf: %s", cfg->source, i, msg);
	vv->nr = i + 1;
	r = vfio_pci_create(vv->dev[i], vm->pci, bus, (int)pd->slot, &vm->irq.ops, &vv->map, &vv->pci[i], msg,
			    sizeof(msg));
	if (r == -EBUSY)
		return vm_fail(err, true, "%s: vfio[%u].slot: slot %u on root bus %u is already taken by "
			       "another device", cfg->source, i, pd->slot, bus);
	if (r)
		return vm_fail(err, r == -ENOSPC, "%s: vfio[%u]: %s", cfg->source, i, msg);
	if (pci_root_bus_info(vm->pci, bus, &bi))
		return vm_fail(err, false, "vfio[%u]: root bus %u vanished", i, bus);
	at.opaque = vv->dev[i];
	iommu_plan_bind(vv->plan, i, vfio_device_dev_id(vv->dev[i]), (uint32_t)bi.bus_start << 8 | pd->slot << 3,
			&at);
	return 0;
}

int vm_create_vfio(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct vm_vfio *vv = vm->vfio;
	char msg[IOMMU_ERR_MAX];

	if (!cfg->nr_vfio)
		return 0;
	if (!vm->pci)
		return vm_fail(err, true, "%s: vfio[0]: the guest runs with pci=off, so there is no PCIe root bus "
			       "to put an assigned device on", cfg->source);
	if (vfio_iommu_create(&vm->mem, NULL, &vv->io, msg, sizeof(msg)))
		return vm_fail(err, false, "vfio[0] (%s): %s", cfg->vfio[0].id, msg);
	for (unsigned i = 0; i < cfg->nr_vfio; i++)
		if (open_one(vm, i, err))
			return -1;
	if (iommu_plan_execute(vv->plan, vfio_iommu_fd(vv->io), vfio_iommu_ioas_id(vv->io), msg, sizeof(msg)))
		return vm_fail(err, false, "%s", msg);
	for (unsigned i = 0; i < cfg->nr_vfio; i++) {
		const struct iommu_dev *d = iommu_plan_dev(vv->plan, i);
		const struct iommu_unit *u = iommu_plan_unit(vv->plan, d->unit);

		log_info("vfio: %s (%s) assigned to the guest on root bus %u slot %u, behind host IOMMU %s, "
			 "attached to its %s", cfg->vfio[i].bdf, cfg->vfio[i].id, u->root_bus, d->slot, u->instance,
			 d->attached == IOMMU_AT_STAGE2 ? "unit's stage-2 HWPT (GPA identity)" : "VM's IOAS");
	}
	return 0;
}

/* The shadows' counters, one line each (what docs/vvtd.md explains and the lab reads). */
static void shadow_report(struct vm_vfio *vv)
{
	for (unsigned u = 0; u < IOMMU_MAX_UNITS; u++) {
		struct vtd_shadow_stats st;

		if (!vv->shadow[u])
			continue;
		vtd_shadow_get_stats(vv->shadow[u], &st);
		log_info("vvtd shadow (host IOMMU %s): %llu flushes, %llu host calls: %llu maps (%llu KiB), %llu unmaps, "
			 "%llu device moves, %llu IOAS allocs, %llu destroys; %llu leaves walked, %llu MMIO leaves "
			 "skipped, %llu errors; %llu areas in %llu shadow IOASes now",
			 iommu_plan_unit(vv->plan, u)->instance, (unsigned long long)st.flushes,
			 (unsigned long long)st.host_calls, (unsigned long long)st.maps,
			 (unsigned long long)(st.mapped_bytes >> 10), (unsigned long long)st.unmaps,
			 (unsigned long long)st.moves, (unsigned long long)st.ioas_allocs,
			 (unsigned long long)st.ioas_destroys, (unsigned long long)st.leaves,
			 (unsigned long long)st.mmio_skipped, (unsigned long long)st.errors, (unsigned long long)st.areas,
			 (unsigned long long)st.domains);
	}
}

/* The nested backends' counters, one line each (docs/vvtd.md "Nested backend"). */
static void nested_report(struct vm_vfio *vv)
{
	for (unsigned u = 0; u < IOMMU_MAX_UNITS; u++) {
		struct vtd_nested_stats st;

		if (!vv->nested[u])
			continue;
		vtd_nested_get_stats(vv->nested[u], &st);
		log_info("vvtd nested (host IOMMU %s): %llu flushes, %llu host calls: %llu invalidations (%llu entries, "
			 "%llu failed part way), %llu nested HWPTs made, %llu device moves, %llu errors; %llu nested "
			 "HWPTs now", iommu_plan_unit(vv->plan, u)->instance, (unsigned long long)st.flushes,
			 (unsigned long long)st.host_calls, (unsigned long long)st.invalidations,
			 (unsigned long long)st.entries, (unsigned long long)st.partial, (unsigned long long)st.hwpt_allocs,
			 (unsigned long long)st.attaches, (unsigned long long)st.errors, (unsigned long long)st.domains);
	}
}

/* After the vCPUs stopped, before the PCI root and the MSI routes go. */
void vm_destroy_vfio(struct vm *vm)
{
	struct vm_vfio *vv = vm->vfio;

	if (!vv)
		return;
	for (unsigned i = vv->nr; i-- > 0;)
		vfio_pci_destroy(vv->pci[i]);
	/* The queue engine is stopped: no flush runs. Devices back on their identity target first. */
	shadow_report(vv);
	nested_report(vv);
	for (unsigned u = 0; u < IOMMU_MAX_UNITS; u++) {
		vtd_shadow_destroy(vv->shadow[u]);
		vtd_nested_destroy(vv->nested[u]);
	}
	iommu_plan_destroy(vv->plan); /* devices back on the IOAS, then its objects go */
	for (unsigned i = vv->nr; i-- > 0;)
		vfio_device_close(vv->dev[i]);
	vfio_iommu_destroy(vv->io);
	pthread_mutex_destroy(&vv->lock);
	free(vv);
	vm->vfio = NULL;
}

bool vm_vfio_viommu_supported(const struct vm *vm)
{
	(void)vm;
	return true; /* the shadow backend: any host IOMMU, nesting or not */
}

bool vm_vfio_func_translated(const struct vm *vm, const struct pci_func *f)
{
	const struct vm_vfio *vv = vm->vfio;

	for (unsigned i = 0; vv && i < vv->nr; i++)
		if (vv->pci[i] && vfio_pci_func(vv->pci[i]) == f)
			return !iommu_plan_dev(vv->plan, i)->why[0];
	return false;
}

/* The unit whose devices sit on root bus bus_index, or -1. */
static int unit_of_bus(const struct iommu_plan *p, unsigned bus_index)
{
	for (unsigned u = 0; u < iommu_plan_nr_units(p); u++)
		if (iommu_plan_unit(p, u)->root_bus == bus_index)
			return (int)u;
	return -1;
}

/*
 * A PARENT unit (its host VT-d nests) behind a vVT-d: the nested backend
 * (docs/vvtd.md "Nested backend"): the guest's first-stage tables go to the
 * host IOMMU on top of the unit's stage-2, where its devices already are.
 */
static int nested_backend(struct vm *vm, unsigned unit, uint8_t bus, const struct vtd_backend_ops **ret,
			  struct vm_error *err)
{
	struct vm_vfio *vv = vm->vfio;
	const struct iommu_unit *u = iommu_plan_unit(vv->plan, unit);
	struct vtd_nested_params np = { iommu_sys_real(), vfio_iommu_fd(vv->io),
					iommu_plan_s2(vv->plan, (unsigned)u->s2)->hwpt_id, false };
	char msg[IOMMU_ERR_MAX];
	int r = vtd_nested_create(&np, &vv->nested[unit], msg, sizeof(msg));

	for (unsigned i = 0; !r && i < iommu_plan_nr_devs(vv->plan); i++) {
		const struct iommu_dev *d = iommu_plan_dev(vv->plan, i);
		struct iommu_attach_ops at = { plan_attach, plan_detach, vv->dev[i] };

		if (d->unit != unit)
			continue;
		if (d->why[0]) {
			log_warn("vfio: %s (%s) fell back alone (%s): the guest's vVT-d does not translate for it",
				 vm->cfg->vfio[i].bdf, d->name, d->why);
			continue;
		}
		r = vtd_nested_add_device(vv->nested[unit], (uint16_t)d->virt_id, d->dev_id, &at, msg, sizeof(msg));
		if (!r)
			log_info("vfio: %s (%s) behind vvtd on bus %02x as %02x:%02x.0, nested on %s's stage-2",
				 vm->cfg->vfio[i].bdf, d->name, bus, d->virt_id >> 8, (d->virt_id >> 3) & 0x1f, u->instance);
	}
	if (r)
		return vm_fail(err, false, "vvtd on host IOMMU %s: %s", u->instance, msg);
	*ret = vtd_nested_backend(vv->nested[unit]);
	return 0;
}

void vm_vfio_viommu_caps(const struct vm *vm, unsigned bus_index, struct vtd_params *p)
{
	const struct vm_vfio *vv = vm->vfio;
	int unit = vv && vv->plan ? unit_of_bus(vv->plan, bus_index) : -1;

	if (unit >= 0 && vv->nested[unit])
		p->nested = vtd_nested_host_caps(iommu_plan_unit(vv->plan, (unsigned)unit), &p->host_cap, &p->host_ecap);
}

/*
 * The unit's devices behind a vVT-d: the shadow backend (docs/vvtd.md).
 * DIRECT units (no nesting, as QEMU's emulated VT-d in the lab) start on
 * the VM's IOAS; PARENT units whose host caps are unknown on their stage-2
 * HWPT, which is GPA identity as well, so that is where pass-through and
 * translation-off put them back. PARENT units with a VT-d's caps nest.
 */
int vm_vfio_viommu_backend(struct vm *vm, unsigned bus_index, uint8_t bus, const struct vtd_backend_ops **ret,
			   struct vm_error *err)
{
	struct vm_vfio *vv = vm->vfio;
	const struct iommu_unit *u;
	uint32_t identity;
	char msg[IOMMU_ERR_MAX];
	int unit, r;

	*ret = NULL;
	if (!vv || !vv->io)
		return vm_fail(err, false, "vvtd: root bus %u: no assigned devices are open", bus_index);
	unit = unit_of_bus(vv->plan, bus_index);
	if (unit < 0)
		return vm_fail(err, false, "vvtd: root bus %u holds no assigned devices", bus_index);
	u = iommu_plan_unit(vv->plan, (unsigned)unit);
	if (u->mode == IOMMU_UNIT_DIRECT)
		identity = vfio_iommu_ioas_id(vv->io);
	else if (u->mode == IOMMU_UNIT_PARENT)
		identity = iommu_plan_s2(vv->plan, (unsigned)u->s2)->hwpt_id;
	else
		return vm_fail(err, true, "%s: iommu: the assigned devices behind host IOMMU %s (%s) have an iommufd "
			       "vIOMMU object, which a guest VT-d cannot drive", vm->cfg->source, u->instance,
			       iommu_unit_mode_name(u->mode));
	if (vv->shadow[unit]) {
		*ret = vtd_shadow_backend(vv->shadow[unit]);
		return 0;
	}
	if (vv->nested[unit]) {
		*ret = vtd_nested_backend(vv->nested[unit]);
		return 0;
	}
	if (u->mode == IOMMU_UNIT_PARENT && vtd_nested_host_caps(u, &(uint64_t){ 0 }, &(uint64_t){ 0 }))
		return nested_backend(vm, (unsigned)unit, bus, ret, err);
	r = vtd_shadow_create(iommu_sys_real(), vfio_iommu_fd(vv->io), identity, &vm->mem, &vv->shadow[unit], msg,
			      sizeof(msg));
	for (unsigned i = 0; !r && i < iommu_plan_nr_devs(vv->plan); i++) {
		const struct iommu_dev *d = iommu_plan_dev(vv->plan, i);
		struct iommu_attach_ops at = { plan_attach, plan_detach, vv->dev[i] };

		if (d->unit != (unsigned)unit)
			continue;
		if (d->why[0]) {
			/* its identity is the VM's IOAS, not the unit's stage-2: not shadowed */
			log_warn("vfio: %s (%s) fell back alone (%s): the guest's vVT-d does not translate for it",
				 vm->cfg->vfio[i].bdf, d->name, d->why);
			continue;
		}
		r = vtd_shadow_add_device(vv->shadow[unit], (uint16_t)d->virt_id, &at, msg, sizeof(msg));
		if (!r)
			log_info("vfio: %s (%s) behind vvtd on bus %02x as %02x:%02x.0, shadow backend over %s",
				 vm->cfg->vfio[i].bdf, d->name, bus, d->virt_id >> 8, (d->virt_id >> 3) & 0x1f,
				 u->mode == IOMMU_UNIT_DIRECT ? "the VM's IOAS" : "the unit's stage-2");
	}
	if (r)
		return vm_fail(err, false, "vvtd on root bus %u: %s", bus_index, msg);
	*ret = vtd_shadow_backend(vv->shadow[unit]);
	return 0;
}

const struct iommu_plan *vm_vfio_plan(const struct vm *vm)
{
	return vm->vfio ? vm->vfio->plan : NULL;
}

/*
 * Plan unit `unit`'s devices as a vSMMUv3's nested backend takes them
 * (docs/vsmmuv3.md "In an arm64 VM"): guest StreamID = guest RID, the
 * iommufd device, the plan's VDEVICE, replace-attach through VFIO.
 * Devices that fell back alone are left out (they have no VDEVICE).
 */
unsigned vm_vfio_unit_streams(struct vm *vm, unsigned unit, struct smmuv3_nested_dev *out, unsigned max,
			      int *iommufd)
{
	struct vm_vfio *vv = vm->vfio;
	unsigned n = 0;

	*iommufd = vv && vv->io ? vfio_iommu_fd(vv->io) : -1;
	for (unsigned i = 0; vv && i < iommu_plan_nr_devs(vv->plan) && n < max; i++) {
		const struct iommu_dev *d = iommu_plan_dev(vv->plan, i);

		if (d->unit != unit || d->why[0] || !d->vdevice_id)
			continue;
		out[n++] = (struct smmuv3_nested_dev){ .sid = d->virt_id, .dev_id = d->dev_id,
						       .vdevice_id = d->vdevice_id,
						       .at = { plan_attach, plan_detach, vv->dev[i] } };
	}
	return n;
}
