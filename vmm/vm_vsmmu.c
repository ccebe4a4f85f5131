// SPDX-License-Identifier: Apache-2.0
/*
 * The aarch64 VM's guest-visible SMMUv3s (the config's "iommu" section;
 * docs/vsmmuv3.md "In an arm64 VM"): one vSMMUv3 per host SMMUv3 that has
 * assigned devices, each backed by that SMMU's iommufd vIOMMU object (the
 * plan made it, with a VDEVICE per device). The guest's STEs become nested
 * HWPTs on it, its invalidations go to the host in one
 * IOMMU_HWPT_INVALIDATE per queue drain, and the vIOMMU's VEVENTQ feeds
 * the guest's event queue. Every unit's command queue and VEVENTQ are
 * served by one io_uring engine thread. The vSMMUv3's own MSIs (event
 * queue, GERROR, CMD_SYNC interrupts) go to the ITS as DeviceID
 * AARCH64_VIOMMU_ITS_DEVID_BASE + slot, as its DT node says.
 *
 * Emulated (virtio) devices are not behind a vSMMUv3: they sit on root
 * buses without assigned devices, which the DT gives no iommu-map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "kvm_arm64.h"
#include "layout.h"
#include "vm-internal.h"
#include "vm_arm64.h"

/* Host events the kernel may queue per vIOMMU before the engine reads them. */
#define VSMMU_VEVENTQ_DEPTH 64

struct vm_vsmmu_unit {
	struct vm *vm;
	unsigned plan_unit;
	uint32_t its_devid;
	struct smmuv3 *smmu;
	struct smmuv3_nested *nested;
	char name[16];                 /* "vsmmuv3-0": the MMIO bus keeps the pointer */
};

struct vm_vsmmu {
	unsigned nr;
	struct vm_vsmmu_unit unit[AARCH64_VIOMMU_MAX];
	struct iq_engine *engine;
	bool stopped;
};

unsigned arm64_vsmmu_units(const struct skiff_config *cfg, const struct iommu_plan *p, unsigned *unit,
			   unsigned max)
{
	unsigned n = 0;

	if (!cfg->iommu.enabled || !p)
		return 0;
	for (unsigned u = 0; u < iommu_plan_nr_units(p) && n < max; u++)
		if (iommu_plan_unit(p, u)->nr_devs)
			unit[n++] = u;
	return n;
}

static void vsmmu_msi(void *opaque, uint64_t addr, uint32_t data)
{
	const struct vm_vsmmu_unit *u = opaque;
	int r = kvm_signal_msi_devid(u->vm->vm_fd, addr, data, u->its_devid);

	/* The guest chose the address: a bad one is its own problem, not worth a warning per event. */
	if (r < 0)
		log_debug("%s: injecting the MSI %#llx/%#x: %s", u->name, (unsigned long long)addr, data, strerror(-r));
}

static void vsmmu_drain(void *opaque)
{
	smmuv3_drain(opaque);
}

/* The nested backend over the unit's vIOMMU, then the model over the backend. */
static int create_unit(struct vm *vm, unsigned k, unsigned plan_unit, struct vm_error *err)
{
	const struct iommu_unit *pu = iommu_plan_unit(vm_vfio_plan(vm), plan_unit);
	struct vm_vsmmu_unit *u = &vm->vsmmu->unit[k];
	struct smmuv3_nested_dev devs[SMMUV3_MAX_STREAMS];
	struct smmuv3_nested_params np = { .sys = iommu_sys_real(), .viommu_id = pu->viommu_id,
					   .veventq_depth = VSMMU_VEVENTQ_DEPTH, .devs = devs };
	uint32_t sids[SMMUV3_MAX_STREAMS];
	const struct smmuv3_env env = { .mem = &vm->mem, .msi = vsmmu_msi, .opaque = u };
	uint64_t base = AARCH64_VIOMMU_BASE + k * AARCH64_VIOMMU_STRIDE;
	char msg[IOMMU_ERR_MAX];
	int r;

	*u = (struct vm_vsmmu_unit){ .vm = vm, .plan_unit = plan_unit, .its_devid = AARCH64_VIOMMU_ITS_DEVID_BASE + k };
	snprintf(u->name, sizeof(u->name), "vsmmuv3-%u", k);
	if (pu->mode != IOMMU_UNIT_VIOMMU)
		return vm_fail(err, true, "%s: iommu.enabled: host IOMMU %s gives no iommufd vIOMMU object (%s: %s), "
			       "and a guest SMMUv3 needs one; drop the iommu section to assign its devices without",
			       vm->cfg->source, pu->instance, iommu_unit_mode_name(pu->mode), pu->why);
	np.nr_devs = vm_vfio_unit_streams(vm, plan_unit, devs, SMMUV3_MAX_STREAMS, &np.iommufd);
	np.s2_id = iommu_plan_s2(vm_vfio_plan(vm), (unsigned)pu->s2)->hwpt_id;
	for (unsigned i = 0; i < np.nr_devs; i++)
		sids[i] = devs[i].sid;
	r = smmuv3_nested_create(&np, &u->nested, msg, sizeof(msg));
	if (!r) {
		const struct smmuv3_params sp = { .index = k, .sids = sids, .nr_sids = np.nr_devs,
						  .backend = smmuv3_nested_backend(u->nested) };

		r = smmuv3_create(&sp, &env, &u->smmu, msg, sizeof(msg));
		if (r) {
			smmuv3_nested_destroy(u->nested);
			u->nested = NULL;
		}
	}
	if (r)
		return vm_fail(err, false, "%s (host IOMMU %s): %s", u->name, pu->instance, msg);
	vm->vsmmu->nr = k + 1;
	smmuv3_nested_set_unit(u->nested, u->smmu);
	r = bus_register(&vm->mmio, base, SMMUV3_REG_SIZE, &smmuv3_mmio_ops, u->smmu, u->name);
	if (!r)
		r = iq_engine_add(vm->vsmmu->engine, smmuv3_kick_fd(u->smmu), vsmmu_drain, u->smmu);
	if (!r && smmuv3_nested_event_fd(u->nested) >= 0)
		r = iq_engine_add_events(vm->vsmmu->engine, smmuv3_nested_event_fd(u->nested), smmuv3_nested_events,
					 u->nested);
	if (r)
		return vm_fail(err, false, "%s: registers at %#llx or the queue engine: %s", u->name,
			       (unsigned long long)base, strerror(-r));
	log_info("%s: SMMUv3 for root bus %u (%u assigned devices), registers at %#llx, nested on host IOMMU %s "
		 "(vIOMMU %u)", u->name, pu->root_bus, np.nr_devs, (unsigned long long)base, pu->instance,
		 pu->viommu_id);
	return 0;
}

int vm_create_vsmmu(struct vm *vm, struct vm_error *err)
{
	unsigned units[AARCH64_VIOMMU_MAX], n = arm64_vsmmu_units(vm->cfg, vm_vfio_plan(vm), units, AARCH64_VIOMMU_MAX);
	char msg[256];

	if (!vm->cfg->iommu.enabled)
		return 0;
	if (!n) {
		log_info("iommu: no assigned device, so the guest gets no vSMMUv3 (emulated devices are not "
			 "translated on aarch64)");
		return 0;
	}
	vm->vsmmu = calloc(1, sizeof(*vm->vsmmu));
	if (!vm->vsmmu)
		return vm_fail(err, false, "out of memory");
	if (iq_engine_create(&vm->vsmmu->engine, msg, sizeof(msg)))
		return vm_fail(err, false, "iommu: %s", msg);
	for (unsigned k = 0; k < n; k++)
		if (create_unit(vm, k, units[k], err))
			return -1;
	return 0;
}

int vm_vsmmu_start(struct vm *vm)
{
	return vm->vsmmu ? iq_engine_start(vm->vsmmu->engine) : 0;
}

/* After the vCPUs stopped: no drain runs from here on; then each unit's counters, one line each. */
void vm_vsmmu_stop(struct vm *vm)
{
	struct vm_vsmmu *vs = vm->vsmmu;

	if (!vs || vs->stopped)
		return;
	vs->stopped = true;
	iq_engine_destroy(vs->engine);
	vs->engine = NULL;
	for (unsigned k = 0; k < vs->nr; k++) {
		struct smmuv3_stats st;
		struct smmuv3_nested_stats ns;

		smmuv3_get_stats(vs->unit[k].smmu, &st);
		smmuv3_nested_get_stats(vs->unit[k].nested, &ns);
		log_info("%s stats: drains=%llu commands=%llu syncs=%llu flushes=%llu flushed_cmds=%llu host_calls=%llu "
			 "ste_reports=%llu cerrors=%llu events=%llu events_lost=%llu", vs->unit[k].name,
			 (unsigned long long)st.drains, (unsigned long long)st.commands, (unsigned long long)st.syncs,
			 (unsigned long long)st.flushes, (unsigned long long)st.flushed_cmds,
			 (unsigned long long)st.host_calls, (unsigned long long)st.ste_reports,
			 (unsigned long long)st.cerrors, (unsigned long long)st.events,
			 (unsigned long long)st.events_lost);
		log_info("%s nested: invalidations=%llu entries=%llu dropped=%llu partial=%llu hwpt_allocs=%llu "
			 "attaches=%llu errors=%llu vevents=%llu vevents_lost=%llu", vs->unit[k].name,
			 (unsigned long long)ns.invalidations, (unsigned long long)ns.entries,
			 (unsigned long long)ns.dropped, (unsigned long long)ns.partial,
			 (unsigned long long)ns.hwpt_allocs, (unsigned long long)ns.attaches,
			 (unsigned long long)ns.errors, (unsigned long long)ns.events, (unsigned long long)ns.events_lost);
	}
}

/* Before the assigned devices close: each goes back to its stage-2, the backend's objects are destroyed. */
void vm_destroy_vsmmu(struct vm *vm)
{
	struct vm_vsmmu *vs = vm->vsmmu;

	if (!vs)
		return;
	iq_engine_destroy(vs->engine);
	for (unsigned k = vs->nr; k-- > 0;) {
		smmuv3_destroy(vs->unit[k].smmu);
		smmuv3_nested_destroy(vs->unit[k].nested);
	}
	free(vs);
	vm->vsmmu = NULL;
}
