// SPDX-License-Identifier: Apache-2.0
/*
 * The VM's guest-visible VT-d units (the config's "iommu" section;
 * docs/vvtd.md): a struct vtd per root bus that holds devices
 * (viommu_layout.c says which), its register page on the MMIO bus, the
 * virtio devices on its bus translating their DMA through it, its DRHD in
 * the guest's DMAR, and the queue engine that drains every unit's
 * invalidation queue on its own thread. Fault and completion interrupts
 * are MSIs the guest programmed, injected with KVM_SIGNAL_MSI: they are
 * rare, so no irqfd route is kept for them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "kvm.h"
#include "layout.h"
#include "vm-internal.h"

#define VIOMMU_DEFAULT_PHYS_BITS 46 /* when CPUID 0x80000008 is missing: what QEMU's q35 reports */

struct vm_viommu_unit {
	struct vtd *vtd;
	struct vm_viommu_slot slot;
	unsigned nr_devs;
	bool iqe_logged;               /* engine thread only */
	char name[16];                 /* "vvtd0": the MMIO bus keeps the pointer */
};

/* A virtio device's dma_xlate opaque: its unit and requester ID. */
struct vm_viommu_dev {
	struct vtd *vtd;
	uint16_t rid;
};

struct vm_viommu {
	unsigned nr;
	struct vm_viommu_unit unit[X86_VIOMMU_MAX];
	struct acpi_viommu acpi[X86_VIOMMU_MAX];
	struct vm_viommu_dev dev[VM_MAX_VIRTIO];
	struct iq_engine *engine;
	bool stopped;                  /* the engine has been stopped and the counters printed */
};

static enum vm_func_kind classify(void *opaque, const struct pci_func *f)
{
	const struct vm *vm = opaque;

	for (unsigned i = 0; i < vm->nr_virtio; i++)
		if (vm->virtio[i].pci && virtio_pci_func(vm->virtio[i].pci) == f)
			return VM_FUNC_EMULATED;
	return vm_vfio_func_translated(vm, f) ? VM_FUNC_ASSIGNED : VM_FUNC_UNTRANSLATED;
}

/* vtd_env.msi: the guest's fault-event or invalidation-completion interrupt. */
static void viommu_msi(void *opaque, uint64_t addr, uint32_t data)
{
	const struct vm *vm = opaque;
	int r = kvm_signal_msi(vm->vm_fd, addr, data);

	/* The guest chose the address: a bad one is its own problem, not worth a warning per event. */
	if (r < 0)
		log_debug("vvtd: injecting the MSI %#llx/%#x: %s", (unsigned long long)addr, data, strerror(-r));
}

static int viommu_translate(void *opaque, uint64_t iova, uint64_t len, bool write, gpa_t *gpa, uint64_t *contig)
{
	const struct vm_viommu_dev *d = opaque;

	return vtd_translate(d->vtd, d->rid, iova, len, write, gpa, contig);
}

/*
 * The engine's callback. A queue error is the guest's own doing (the unit
 * raised IQE for it to see), so it is logged once per unit, not per drain.
 */
static void viommu_drain(void *opaque)
{
	struct vm_viommu_unit *u = opaque;
	struct vtd_stats st;

	vtd_drain(u->vtd);
	if (u->iqe_logged)
		return;
	vtd_get_stats(u->vtd, &st);
	if (st.iqe) {
		u->iqe_logged = true;
		log_warn("%s: the guest queued an invalid descriptor: invalidation queue error (IQE) raised, "
			 "the queue waits for the guest to fix it (logged once)", u->name);
	}
}

/* A write-buffer flush holds its vCPU this long at most (vtd_params.wbf_wait_ms). */
#define VIOMMU_WBF_WAIT_MS 5000

static int create_unit(struct vm *vm, unsigned k, const struct vm_viommu_slot *s, struct vm_error *err)
{
	struct vm_viommu_unit *u = &vm->viommu->unit[k];
	struct vtd_params p = {
		.index = k, .addr_width = vm->cfg->iommu.address_width, .bus = s->bus, .backend = NULL,
		.wbf_wait_ms = VIOMMU_WBF_WAIT_MS,  /* the engine's thread drains */
	};
	const struct vtd_env env = { .mem = &vm->mem, .msi = viommu_msi, .opaque = vm };
	char msg[256];
	int r;

	if (s->assigned && vm_vfio_viommu_backend(vm, s->bus_index, s->bus, &p.backend, err))
		return -1;
	if (s->assigned)
		vm_vfio_viommu_caps(vm, s->bus_index, &p);
	u->slot = *s;
	snprintf(u->name, sizeof(u->name), "vvtd%u", k);
	r = vtd_create(&p, &env, &u->vtd, msg, sizeof(msg));
	if (r)
		return vm_fail(err, false, "%s (root bus %u): %s", u->name, s->bus_index, msg);
	vm->viommu->nr = k + 1;
	r = bus_register(&vm->mmio, s->acpi.reg_base, VTD_REG_SIZE, &vtd_mmio_ops, u->vtd, u->name);
	if (r)
		return vm_fail(err, false, "%s: registers at %#llx: %s", u->name, (unsigned long long)s->acpi.reg_base,
			       strerror(-r));
	r = iq_engine_add(vm->viommu->engine, vtd_kick_fd(u->vtd), viommu_drain, u);
	if (r)
		return vm_fail(err, false, "%s: the queue engine: %s", u->name, strerror(-r));
	vm->viommu->acpi[k] = s->acpi;
	return 0;
}

/* Each virtio-pci device on a unit's bus translates its DMA through that unit. */
static void attach_virtio(struct vm *vm)
{
	struct vm_viommu *vi = vm->viommu;

	for (unsigned i = 0; i < vm->nr_virtio; i++) {
		const struct pci_func *f = vm->virtio[i].pci ? virtio_pci_func(vm->virtio[i].pci) : NULL;

		for (unsigned k = 0; f && k < vi->nr; k++) {
			struct vm_viommu_unit *u = &vi->unit[k];

			if (u->slot.bus_index != f->bus_index)
				continue;
			vi->dev[i] = (struct vm_viommu_dev){ u->vtd, (uint16_t)(f->bus << 8 | f->devfn) };
			vm->virtio[i].vdev->dma = (struct dma_xlate){ viommu_translate, &vi->dev[i] };
			u->nr_devs++;
		}
	}
}

int vm_create_viommu(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct vm_viommu_slot slots[X86_VIOMMU_MAX];
	char msg[256];
	unsigned n;
	int r;

	if (!cfg->iommu.enabled)
		return 0;
	if (!vm->pci) /* the config parser refuses this already; virtio-mmio has no requester IDs */
		return vm_fail(err, true, "%s: iommu.enabled: the guest runs with pci=off", cfg->source);
	vm->viommu = calloc(1, sizeof(*vm->viommu));
	if (!vm->viommu)
		return vm_fail(err, false, "out of memory");
	/* Assigned devices need the shadow backend; without it they keep no vIOMMU, as without the section. */
	r = vm_viommu_layout(vm->pci, classify, vm, vm_vfio_viommu_supported(vm), slots, X86_VIOMMU_MAX, &n, msg,
			     sizeof(msg));
	if (r)
		return vm_fail(err, r == -E2BIG, "%s: iommu.enabled: %s", cfg->source, msg);
	if (cfg->nr_vfio && !vm_vfio_viommu_supported(vm))
		log_info("iommu: assigned (vfio) devices get no vVT-d unit yet; they stay on the VM's IOAS");
	if (!n) {
		log_info("iommu: no root bus holds an emulated device, so the guest gets no vIOMMU");
		return 0;
	}
	r = iq_engine_create(&vm->viommu->engine, msg, sizeof(msg));
	if (r)
		return vm_fail(err, false, "iommu: %s", msg);
	for (unsigned k = 0; k < n; k++)
		if (create_unit(vm, k, &slots[k], err))
			return -1;
	attach_virtio(vm);
	for (unsigned k = 0; k < n; k++) {
		const struct vm_viommu_unit *u = &vm->viommu->unit[k];

		log_info("%s: VT-d unit for root bus %u (bus %02x; devices: %u emulated, %u assigned), registers at %#llx",
			 u->name, u->slot.bus_index, u->slot.bus, u->nr_devs, u->slot.acpi.nr_scopes - u->nr_devs,
			 (unsigned long long)u->slot.acpi.reg_base);
	}
	return 0;
}

/* CPUID 0x80000008 EAX[7:0], the guest's physical address width: the DMAR's host address width. */
static uint8_t guest_phys_bits(const struct vm *vm)
{
	for (unsigned i = 0; vm->cpuid && i < vm->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[i];

		if (e->function == 0x80000008 && (e->eax & 0xff) >= 32 && (e->eax & 0xff) <= 64)
			return (uint8_t)(e->eax & 0xff);
	}
	return VIOMMU_DEFAULT_PHYS_BITS;
}

void vm_viommu_acpi_params(struct vm *vm, struct acpi_x86_params *p)
{
	if (!vm->viommu || !vm->viommu->nr)
		return;
	p->nr_viommus = vm->viommu->nr;
	p->viommus = vm->viommu->acpi;
	p->phys_addr_bits = guest_phys_bits(vm);
}

int vm_viommu_start(struct vm *vm)
{
	if (!vm->viommu || !vm->viommu->engine)
		return 0;
	return iq_engine_start(vm->viommu->engine);
}

/*
 * After the vCPUs stopped, before any device goes: no drain runs from
 * here on. Then each unit's counters, one line each (benchmarks read them).
 */
void vm_viommu_stop(struct vm *vm)
{
	struct vm_viommu *vi = vm->viommu;

	if (!vi || vi->stopped)
		return;
	vi->stopped = true;
	iq_engine_destroy(vi->engine);
	vi->engine = NULL;
	for (unsigned k = 0; k < vi->nr; k++) {
		struct vtd_stats st;

		vtd_get_stats(vi->unit[k].vtd, &st);
		log_info("%s stats: drains=%llu descriptors=%llu waits=%llu host_calls=%llu iqe=%llu faults=%llu "
			 "iotlb_hits=%llu iotlb_misses=%llu wbfs=%llu wbf_wait_timeouts=%llu", vi->unit[k].name,
			 (unsigned long long)st.drains, (unsigned long long)st.descriptors, (unsigned long long)st.waits,
			 (unsigned long long)st.host_calls, (unsigned long long)st.iqe, (unsigned long long)st.faults,
			 (unsigned long long)st.iotlb_hits, (unsigned long long)st.iotlb_misses,
			 (unsigned long long)st.wbfs, (unsigned long long)st.wbf_wait_timeouts);
	}
}

/* After the devices are gone: nothing translates through the units any more. */
void vm_destroy_viommu(struct vm *vm)
{
	struct vm_viommu *vi = vm->viommu;

	if (!vi)
		return;
	iq_engine_destroy(vi->engine);
	for (unsigned k = vi->nr; k-- > 0;)
		vtd_destroy(vi->unit[k].vtd);
	free(vi);
	vm->viommu = NULL;
}
