/* SPDX-License-Identifier: Apache-2.0 */
/* The aarch64 VM's internals shared by vm_arm64.c, cpu_arm64.c and dt_vm.c. */
#ifndef SKIFF_VM_ARM64_H
#define SKIFF_VM_ARM64_H

#include "boot.h"
#include "config.h"
#include "acpi.h"
#include "pci.h"

#define ARM64_DEFAULT_BOOT_ARGS "console=ttyAMA0 panic=-1"

struct iommu_plan;
struct vm;
struct vm_error;

/*
 * The device tree for cfg (dt_vm.c): vcpu_count CPUs, RAM from the
 * layout, cmdline as bootargs, one ECAM host bridge per root bus of rc
 * (NULL: pci=off, none), a vSMMUv3 per arm64_vsmmu_units() of plan (NULL:
 * no assigned devices), nr_virtio_mmio virtio-mmio transports (pci=off), the initrd [initrd_gpa, +initrd_len) (len 0:
 * none). Into buf (size bytes); *len gets the size. -errno with one
 * sentence in msg.
 */
int arm64_dt_for_config(const struct skiff_config *cfg, const char *cmdline, const struct pci_root_cfg *rc,
			const struct iommu_plan *plan, unsigned nr_virtio_mmio, uint64_t initrd_gpa,
			uint64_t initrd_len, void *buf, size_t size, size_t *len, char *msg, size_t msglen);

/*
 * vm_vsmmu.c: the guest's vSMMUv3s. arm64_vsmmu_units() lists the plan
 * units that get one, in slot order (slot k: registers at
 * AARCH64_VIOMMU_BASE + k * stride, ITS DeviceID base + k): every unit
 * with devices when the config's iommu section is on, none otherwise.
 * The DT (dt_vm.c) and the VM use the same list.
 */
unsigned arm64_vsmmu_units(const struct skiff_config *cfg, const struct iommu_plan *p, unsigned *unit,
			   unsigned max);
/* After vm_create_vfio; vm_vsmmu_start before the vCPUs run, _stop after; _destroy before vm_destroy_vfio. */
int vm_create_vsmmu(struct vm *vm, struct vm_error *err);
int vm_vsmmu_start(struct vm *vm);
void vm_vsmmu_stop(struct vm *vm);
void vm_destroy_vsmmu(struct vm *vm);

struct dt_params;
/*
 * The device tree's inputs for cfg (the same arguments as arm64_dt_for_config): what the DTB and,
 * in ACPI mode, the ACPI tables (acpi_vm.c) describe. -EINVAL with msg.
 */
int arm64_dt_params(const struct skiff_config *cfg, const char *cmdline, const struct pci_root_cfg *rc,
		    const struct iommu_plan *plan, unsigned nr_virtio_mmio, uint64_t initrd_gpa,
		    uint64_t initrd_len, struct dt_params *p, char *msg, size_t msglen);

/*
 * ACPI mode (acpi_vm.c): the firmware area at area_gpa (the DTB's place,
 * area_size bytes up to the end of RAM) gets the stub DTB (only /chosen)
 * at its start, then one page with the EFI system table and memory map,
 * then the ACPI tables. area is the host view; *tables (may be NULL) the
 * tables' layout, offsets from area. -errno with one sentence in msg
 * (-EINVAL: the config's fault).
 */
#define ARM64_FW_STUB_DTB_MAX 0x10000ULL
int arm64_acpi_for_config(const struct skiff_config *cfg, const char *cmdline, const struct pci_root_cfg *rc,
			  const struct iommu_plan *plan, unsigned nr_virtio_mmio, uint64_t initrd_gpa,
			  uint64_t initrd_len, uint64_t area_gpa, void *area, size_t area_size,
			  struct acpi_layout *tables, char *msg, size_t msglen);

/* The root-bus split the VM uses for cfg: 0 with pci=off in boot_args. */
unsigned arm64_nr_root_buses(const struct skiff_config *cfg, const char *boot_args);

/* cpu_arm64.c: KVM_ARM_VCPU_INIT with PSCI 0.2 (secondaries powered off), then the boot vCPU's registers. */
int arm64_vcpu_init(int vm_fd, int vcpu_fd, unsigned index, const char **ret_step);
int arm64_vcpu_set_boot_state(int vcpu_fd, uint64_t pc, uint64_t dtb_gpa);

#endif
