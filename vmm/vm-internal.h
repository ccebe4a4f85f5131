/* SPDX-License-Identifier: Apache-2.0 */
/* The VM object, shared by vm.c (construction) and run.c (execution). */
#ifndef SKIFF_VM_INTERNAL_H
#define SKIFF_VM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "acpi.h"
#include "devices.h"
#include "irq.h"
#include "pci.h"
#include "virtio.h"
#include "kvm.h"
#include "vm.h"

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

#define VM_MAX_VIRTIO 32
#define VM_MAX_MMIO 16

struct vm_virtio_dev {
	struct virtio_device *vdev;
	struct virtio_pci *pci;    /* one of these two */
	struct virtio_mmio *mmio;
};

struct mapped_file {
	const uint8_t *data;
	size_t len;
};

struct vm {
	const struct skiff_config *cfg;
	int kvm_fd, vm_fd;
	struct gmem mem;
	struct bus pio, mmio;
	struct kvm_cpuid2 *cpuid;
	size_t run_size;
	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct boot_entry entry;
	struct mapped_file kernel, initrd;
	char *cmdline;             /* what the guest kernel gets */
	struct acpi_layout acpi;   /* the tables, in guest memory at X86_ACPI_TABLES_ADDR */

	/* aarch64 (vm_arm64.c): the vGIC and its ITS, the PL011, the boot vCPU's entry. */
	int gic_fd, its_fd;
	struct pl011 uart;
	bool uart_ready;
	uint64_t entry_pc, dtb_gpa;
	uint64_t initrd_gpa, initrd_size;  /* aarch64: where the initrd went, for the DTB written last */

	struct serial8250 com1;
	bool com1_ready;
	int serial_file_fd;
	struct i8042 i8042;
	struct pvpanic pvpanic;
	struct acpi_pm pm;
	struct cmos_rtc rtc;
	bool rtc_ready;

	/* Interrupt routing, PCIe, GED, virtio (vm_virtio.c). */
	struct vm_irq irq;
	bool irq_ready;
	struct ged ged;
	bool ged_ready;
	struct pci_root *pci;      /* NULL with pci=off */
	struct pci_root_cfg pci_cfg;  /* what pci was made from */
	struct acpi_pci_host *acpi_hosts;
	unsigned nr_virtio, nr_mmio;
	unsigned mmio_gsi[VM_MAX_MMIO];
	struct acpi_virtio_mmio acpi_mmio[VM_MAX_MMIO];
	struct vm_virtio_dev virtio[VM_MAX_VIRTIO];
	struct vm_vfio *vfio;      /* assigned PCI functions (vm_vfio.c), NULL: none */
	struct vm_viommu *viommu;  /* guest-visible VT-d units (vm_viommu.c), NULL: none */
	struct vm_vsmmu *vsmmu;    /* guest-visible SMMUv3s, aarch64 (vm_vsmmu.c), NULL: none */

	/* Stopping: the first reason wins; stop_efd wakes the main loop. */
	pthread_mutex_t stop_lock;
	atomic_bool stopping;
	enum vm_stop_reason stop_reason;
	int stop_efd;
	/* A pvpanic report: the stop that follows is the panic's; the timer ends the grace. */
	bool panic_reported;
	int panic_timer_fd;

	/* Console escape (Ctrl-A x) state, main thread only. */
	bool escape_pending;
};

/* Record a failure for vm_create's caller; evaluates to -1. */
#define vm_fail(err, cfgerr, ...) \
	(snprintf((err)->msg, sizeof((err)->msg), __VA_ARGS__), (err)->is_config = (cfgerr), -1)

/* vm_common.c */
/* A VM with every fd -1 and its stop eventfd and panic timer; NULL after vm_fail. */
struct vm *vm_alloc(const struct skiff_config *cfg, struct vm_error *err);
/*
 * Open /dev/kvm (no_kvm_hint finishes the sentence when it does not
 * exist), require each of the nr_caps capabilities (else "KVM on this
 * host lacks " + missing), create the VM and read the vCPU mmap size.
 */
int vm_open_kvm(struct vm *vm, const long *caps, unsigned nr_caps, const char *missing, const char *no_kvm_hint,
		struct vm_error *err);
/* cfg->vcpu_count vCPUs with their kvm_run, each set up by vm_arch_vcpu_init. */
int vm_create_vcpus(struct vm *vm, struct vm_error *err);
/* First in vm_destroy: the vCPUs' fds and kvm_run mappings. */
void vm_destroy_vcpus(struct vm *vm);
/* Last in vm_destroy: buses, the irqchip, VM, memory and KVM fds, the stop machinery; frees vm. */
void vm_free(struct vm *vm);
void vm_request_stop(void *opaque, enum vm_stop_reason reason);
/* Map a whole file read-only: -ENODATA if it is empty, -EISDIR for a directory. */
int vm_map_file(const char *path, struct mapped_file *ret);
void vm_unmap_file(struct mapped_file *f);

/*
 * The per-architecture side of the VM (vm.c on x86_64, vm_arm64.c on
 * aarch64): vm_create, vm_destroy, vm_dump_acpi and these.
 */
/* irq_line callback: KVM_IRQ_LINE on the in-kernel irqchip (an IOAPIC pin, or an SPI number on arm64). */
void vm_set_irq_level(void *opaque, unsigned gsi, bool high);
/* Console input from the main loop (stdin) for the UART (len 0: only ask); false if the VM has none. */
bool vm_console_input(struct vm *vm, const uint8_t *buf, size_t len);
/* One new vCPU (v->fd, v->index): its architectural state, the boot registers on vCPU 0; *step for errors. */
int vm_arch_vcpu_init(struct vm *vm, struct vcpu *v, const char **step);
/* Just before the vCPUs start / after they stopped (x86: the vVT-d engine). */
int vm_arch_start(struct vm *vm);
void vm_arch_stop(struct vm *vm);
struct iommu_plan;
/* What vm_virtio.c places where on this architecture. */
struct vm_arch_io {
	enum vm_irqchip irqchip;
	unsigned nr_spis;                   /* GICv3 only */
	uint64_t msi_doorbell;              /* GICv3: the ITS doorbell all MSI routes name (vm_irq) */
	int (*root_cfg)(struct pci_root_cfg *ret, unsigned nr_buses, struct irq_line intx);
	uint64_t mmio_base, mmio_stride;    /* virtio-mmio slots (pci=off) */
	const unsigned *mmio_gsis;
	unsigned nr_mmio_gsis;
	bool has_ged;                       /* the ACPI GED (x86) */
	uint64_t ged_addr;
	unsigned ged_gsi;
	/*
	 * `skiff plan --dump-acpi DIR` (plan_cmd.c): the plan's DMAR and IORT
	 * (p NULL: none); 0, or 1 with a sentence printed. NULL: refused (an
	 * aarch64 guest gets a device tree, no ACPI yet).
	 */
	int (*plan_dump_acpi)(const struct iommu_plan *p, const struct pci_root_cfg *rc, const char *dir);
};
extern const struct vm_arch_io vm_arch_io;

/* vm_virtio.c */
bool boot_args_have(const char *args, const char *token);
/* Root buses the config's devices name (at least 1). */
unsigned vm_nr_root_buses(const struct skiff_config *cfg);
/* The PCIe root complex (at least min_buses root buses) or virtio-mmio with pci=off, and the virtio devices. */
int vm_create_io(struct vm *vm, const char *boot_args, unsigned min_buses, struct vm_error *err);
/* The virtio devices cfg makes (drives, interfaces, vsock, rng, a virtio console), one transport each. */
unsigned vm_nr_virtio_devices(const struct skiff_config *cfg);
char *vm_build_cmdline(const struct skiff_config *cfg, const char *boot_args);
void vm_destroy_io(struct vm *vm);

/* vm_vfio.c: the config's vfio devices, after vm_create_io; torn down before vm_destroy_io. */
int vm_create_vfio(struct vm *vm, struct vm_error *err);
/* Before vm_create_io: the vIOMMU placement (sysfs only) that decides the root buses. */
int vm_place_vfio(struct vm *vm, struct vm_error *err);
unsigned vm_vfio_nr_buses(const struct vm *vm);
struct iommu_paths;
/* The placement for cfg; msg: one line naming the config. Shared with `skiff plan`. */
int vm_vfio_place(const struct skiff_config *cfg, const struct iommu_paths *paths, struct iommu_plan **ret,
		  unsigned *ret_nr_buses, char *msg, size_t len);
void vm_destroy_vfio(struct vm *vm);
/*
 * For vm_viommu.c (the config's "iommu" section): whether assigned
 * devices can sit behind a vVT-d unit (the shadow backend, docs/vvtd.md),
 * and the backend for the unit of root bus bus_index, whose assigned
 * devices then move through it (created by vm_vfio.c on the first call,
 * after vm_create_vfio; destroyed by vm_destroy_vfio, which must run after
 * the queue engine stopped). Units that fell back (DIRECT) get the
 * shadow, parent units (PARENT: the host VT-d nests, its CAP/ECAP known)
 * the nested backend (the shadow if the caps are unknown); a unit with an
 * iommufd vIOMMU object is refused with a sentence.
 */
struct vtd_backend_ops;
bool vm_vfio_viommu_supported(const struct vm *vm);
/* The executed plan (NULL: no assigned devices). */
const struct iommu_plan *vm_vfio_plan(const struct vm *vm);
/* Plan unit's streams for a vSMMUv3 nested backend (at most max); *iommufd the VM's iommufd. */
struct smmuv3_nested_dev;
unsigned vm_vfio_unit_streams(struct vm *vm, unsigned unit, struct smmuv3_nested_dev *out, unsigned max,
			      int *iommufd);
/* Whether assigned function f is translated by its unit (false: it fell back alone, or is not assigned). */
bool vm_vfio_func_translated(const struct vm *vm, const struct pci_func *f);
int vm_vfio_viommu_backend(struct vm *vm, unsigned bus_index, uint8_t bus, const struct vtd_backend_ops **ret,
			   struct vm_error *err);
/* After vm_vfio_viommu_backend: a nested unit's vtd_params (nested, the host's CAP/ECAP). */
struct vtd_params;
void vm_vfio_viommu_caps(const struct vm *vm, unsigned bus_index, struct vtd_params *p);

/*
 * vm_viommu.c: the config's "iommu" section. vm_create_viommu after
 * vm_create_vfio (every device is on its bus) and before the ACPI tables
 * are built; vm_viommu_start just before the vCPUs; vm_viommu_stop after
 * they stopped (prints each unit's counters); vm_destroy_viommu after the
 * devices are gone.
 */
int vm_create_viommu(struct vm *vm, struct vm_error *err);
void vm_viommu_acpi_params(struct vm *vm, struct acpi_x86_params *p);
int vm_viommu_start(struct vm *vm);
void vm_viommu_stop(struct vm *vm);
void vm_destroy_viommu(struct vm *vm);

/*
 * viommu_layout.c: the VM's vVT-d units (docs/vvtd.md). One slot per
 * root bus of root that holds functions, in bus order, slot k's registers
 * at X86_VIOMMU_BASE + k * X86_VIOMMU_STRIDE and an endpoint scope per
 * function of the bus that classify() says the unit translates; a bus with
 * an assigned function only when assigned_ok. At most max; -E2BIG with one
 * sentence in msg when more buses hold devices.
 */
enum vm_func_kind {
	VM_FUNC_EMULATED,      /* a virtio-pci function: translated through the unit's IOTLB */
	VM_FUNC_ASSIGNED,      /* an assigned function the unit's backend shadows */
	VM_FUNC_UNTRANSLATED,  /* an assigned function that fell back alone: no scope, no translation */
};
typedef enum vm_func_kind (*vm_viommu_classify_fn)(void *opaque, const struct pci_func *f);
struct vm_viommu_slot {
	unsigned bus_index;          /* root bus within the root complex */
	uint8_t bus;                 /* its bus number */
	bool assigned;               /* holds assigned (VFIO) devices */
	struct acpi_viommu acpi;     /* its DRHD */
};
int vm_viommu_layout(struct pci_root *root, vm_viommu_classify_fn classify, void *opaque, bool assigned_ok,
		     struct vm_viommu_slot *out, unsigned max, unsigned *ret_n, char *msg, size_t len);

/*
 * plan_acpi.c: an executed plan's vIOMMUs for the DMAR and the IORT
 * (docs/iommu.md). vIOMMU k, the k-th unit in plan order whose mode is
 * VIOMMU or PARENT (fallen-back units get none), has its registers in
 * slot k (X86_VIOMMU_BASE + k * X86_VIOMMU_STRIDE), segment 0, the bus
 * range of its root bus in rc, and an endpoint scope (slot, function 0)
 * for each of its devices that did not fall back on its own. At most max
 * into v; *ret_n (may be 0). -EINVAL / -E2BIG with one sentence in msg.
 */
int vm_plan_viommus(const struct iommu_plan *p, const struct pci_root_cfg *rc, struct acpi_viommu *v,
		    unsigned max, unsigned *ret_n, char *msg, size_t len);
/*
 * `skiff plan --dump-acpi DIR`: DIR/DMAR.dat and DIR/IORT.dat for v (none
 * when n is 0; files of those names left from before are removed first).
 * addr_bits: the DMAR's host address width and the IORT's address limit.
 */
int vm_plan_write_acpi(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, const char *dir);
/* vm_arch_io.plan_dump_acpi on x86_64: vm_plan_viommus and vm_plan_write_acpi, the host's address width. */
int vm_plan_dump_acpi(const struct iommu_plan *p, const struct pci_root_cfg *rc, const char *dir);

#endif
