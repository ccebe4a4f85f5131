// SPDX-License-Identifier: Apache-2.0
/*
 * Building the aarch64 VM: KVM objects, guest RAM at the layout's base,
 * the in-kernel GICv3 and its ITS, the PL011, PCIe and virtio (shared
 * vm_virtio.c), the Image with its DTB and initrd, and the vCPUs.
 *
 * Order, as KVM wants it: vCPUs are created and KVM_ARM_VCPU_INIT'ed
 * before the vGIC is initialised (KVM_DEV_ARM_VGIC_CTRL_INIT sizes the
 * redistributors from the vCPUs that exist), the ITS after the vGIC.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libfdt.h>

#include "iommu.h"
#include "kvm_arm64.h"
#include "layout.h"
#include "vm-internal.h"
#include "vm_arm64.h"
#include "vfio.h"

/* virtio-mmio slot i interrupts on SPI AARCH64_VIRTIO_MMIO_SPI_BASE + i (edge; the DTB says so). */
static const unsigned arm64_virtio_mmio_spis[] = {
	AARCH64_VIRTIO_MMIO_SPI_BASE + 0, AARCH64_VIRTIO_MMIO_SPI_BASE + 1, AARCH64_VIRTIO_MMIO_SPI_BASE + 2,
	AARCH64_VIRTIO_MMIO_SPI_BASE + 3, AARCH64_VIRTIO_MMIO_SPI_BASE + 4, AARCH64_VIRTIO_MMIO_SPI_BASE + 5,
	AARCH64_VIRTIO_MMIO_SPI_BASE + 6, AARCH64_VIRTIO_MMIO_SPI_BASE + 7, AARCH64_VIRTIO_MMIO_SPI_BASE + 8,
	AARCH64_VIRTIO_MMIO_SPI_BASE + 9, AARCH64_VIRTIO_MMIO_SPI_BASE + 10, AARCH64_VIRTIO_MMIO_SPI_BASE + 11,
	AARCH64_VIRTIO_MMIO_SPI_BASE + 12, AARCH64_VIRTIO_MMIO_SPI_BASE + 13, AARCH64_VIRTIO_MMIO_SPI_BASE + 14,
	AARCH64_VIRTIO_MMIO_SPI_BASE + 15,
};

const struct vm_arch_io vm_arch_io = {
	.irqchip = VM_IRQCHIP_GICV3,
	.nr_spis = AARCH64_GIC_NR_IRQS - 32,
	.msi_doorbell = AARCH64_GIC_ITS_DOORBELL,
	.root_cfg = pci_root_cfg_aarch64,
	.mmio_base = AARCH64_VIRTIO_MMIO_BASE,
	.mmio_stride = AARCH64_VIRTIO_MMIO_STRIDE,
	.mmio_gsis = arm64_virtio_mmio_spis,
	.nr_mmio_gsis = ARRAY_SIZE(arm64_virtio_mmio_spis),
};

/* gsi is an SPI number; KVM_IRQ_LINE takes the type and the INTID. */
void vm_set_irq_level(void *opaque, unsigned gsi, bool high)
{
	struct vm *vm = opaque;
	uint32_t irq = (uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | (32 + gsi);
	int r = kvm_irq_line(vm->vm_fd, irq, high);

	if (r)
		log_warn("vm: raising SPI %u: %s", gsi, strerror(-r));
}

/* The vSMMUv3s' queue engine is what runs beside the vCPUs. */
int vm_arch_start(struct vm *vm)
{
	return vm_vsmmu_start(vm);
}

void vm_arch_stop(struct vm *vm)
{
	vm_vsmmu_stop(vm);
}

bool vm_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (!vm->uart_ready)
		return false;
	if (len)
		pl011_push_input(&vm->uart, buf, len);
	return true;
}

/* What the aarch64 VM does not do yet, refused up front with the config path. */
static int vm_check_supported(const struct skiff_config *cfg, struct vm_error *err)
{
	if (cfg->iommu.enabled && cfg->iommu.address_width != CONFIG_IOMMU_ADDR_WIDTH_DEFAULT)
		return vm_fail(err, true, "%s: iommu.address_width: the vSMMUv3 walks 48-bit tables; %u is a VT-d "
			       "setting (x86_64 only)", cfg->source, cfg->iommu.address_width);
	if (cfg->vcpu_count > AARCH64_MAX_VCPUS)
		return vm_fail(err, true, "%s: machine-config.vcpu_count: at most %d on aarch64, got %u", cfg->source,
			       AARCH64_MAX_VCPUS, cfg->vcpu_count);
	if ((cfg->mem_size_mib << 20) > AARCH64_RAM_MAX_SIZE)
		return vm_fail(err, true, "%s: machine-config.mem_size_mib: at most %llu on aarch64, got %llu",
			       cfg->source, (unsigned long long)(AARCH64_RAM_MAX_SIZE >> 20),
			       (unsigned long long)cfg->mem_size_mib);
	return 0;
}

/* KVM_CAP_MSI_DEVID is a per-VM answer that turns true once the ITS exists: vm_create_gic checks it. */
static int vm_create_kvm(struct vm *vm, struct vm_error *err)
{
	static const long caps[] = { KVM_CAP_ARM_PSCI_0_2, KVM_CAP_IRQ_ROUTING, KVM_CAP_IMMEDIATE_EXIT };

	return vm_open_kvm(vm, caps, ARRAY_SIZE(caps), "PSCI 0.2, IRQ routing or immediate exit", "", err);
}

static int vm_create_memory(struct vm *vm, struct vm_error *err)
{
	int r = gmem_create_at(&vm->mem, vm->cfg->mem_size_mib << 20, AARCH64_RAM_BASE);

	if (r)
		return vm_fail(err, false, "cannot allocate %llu MiB of guest memory: %s",
			       (unsigned long long)vm->cfg->mem_size_mib, strerror(-r));
	r = kvm_set_user_memory_region(vm->vm_fd, 0, AARCH64_RAM_BASE, vm->mem.size, vm->mem.host);
	if (r)
		return vm_fail(err, false, "KVM: adding guest memory at %#llx: %s",
			       (unsigned long long)AARCH64_RAM_BASE, strerror(-r));
	return 0;
}

static int vm_create_uart(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	int out = STDOUT_FILENO, r;

	if (cfg->serial_mode == SERIAL_FILE) {
		vm->serial_file_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (vm->serial_file_fd < 0)
			return vm_fail(err, true, "%s: serial.path: cannot open %s: %s", cfg->source,
				       cfg->serial_path, strerror(errno));
		out = vm->serial_file_fd;
	}
	/* The PL011 is always there (the DTB names it); with serial off or a virtio console it discards. */
	if (cfg->serial_mode == SERIAL_OFF || cfg->console_device != CONSOLE_COM1)
		out = -1;
	pl011_init(&vm->uart, out, (struct irq_line){ vm_set_irq_level, vm, AARCH64_PL011_SPI });
	vm->uart_ready = true;
	r = bus_register(&vm->mmio, AARCH64_PL011_BASE, AARCH64_PL011_SIZE, &pl011_ops, &vm->uart, "pl011");
	return r ? vm_fail(err, false, "PL011 at %#llx: %s", (unsigned long long)AARCH64_PL011_BASE, strerror(-r)) : 0;
}

static int vm_load_images(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct arm64_image_info info;
	struct arm64_boot_plan plan;
	char msg[BOOT_ERR_MAX];
	int r;

	r = vm_map_file(cfg->kernel_image_path, &vm->kernel);
	if (r)
		return vm_fail(err, true, "%s: boot-source.kernel_image_path: %s: %s", cfg->source,
			       cfg->kernel_image_path, r == -ENODATA ? "file is empty" : strerror(-r));
	if (cfg->initrd_path) {
		r = vm_map_file(cfg->initrd_path, &vm->initrd);
		if (r)
			return vm_fail(err, true, "%s: boot-source.initrd_path: %s: %s", cfg->source,
				       cfg->initrd_path, r == -ENODATA ? "file is empty" : strerror(-r));
	}
	if (arm64_image_parse(vm->kernel.data, vm->kernel.len, &info, msg, sizeof(msg)) ||
	    arm64_boot_plan(&info, AARCH64_RAM_BASE, vm->mem.size, vm->initrd.len, AARCH64_FDT_MAX_SIZE, &plan, msg,
			    sizeof(msg)))
		return vm_fail(err, true, "%s: %s", cfg->kernel_image_path, msg);
	if (gmem_write(&vm->mem, plan.kernel_gpa, vm->kernel.data, vm->kernel.len) ||
	    (vm->initrd.len && gmem_write(&vm->mem, plan.initrd_gpa, vm->initrd.data, vm->initrd.len)))
		return vm_fail(err, false, "copying the kernel and initrd into guest memory failed");
	vm->entry_pc = plan.kernel_gpa;
	vm->dtb_gpa = plan.dtb_gpa;
	vm->initrd_gpa = plan.initrd_gpa;
	vm->initrd_size = vm->initrd.len;
	/* The guest has its own copy now. */
	vm_unmap_file(&vm->kernel);
	vm_unmap_file(&vm->initrd);
	return 0;
}

/* Last: the DTB describes every device, so it is written once they all exist. */
static int vm_write_dtb(struct vm *vm, struct vm_error *err)
{
	void *dtb = gmem_slice(&vm->mem, vm->dtb_gpa, AARCH64_FDT_MAX_SIZE);
	size_t dtb_len;
	int r;

	if (!dtb)
		return vm_fail(err, false, "guest memory too small for the device tree");
	if (vm->cfg->firmware_tables == FIRMWARE_TABLES_ACPI)
		r = arm64_acpi_for_config(vm->cfg, vm->cmdline, vm->pci ? &vm->pci_cfg : NULL, vm_vfio_plan(vm),
					  vm->nr_mmio, vm->initrd_gpa, vm->initrd_size, vm->dtb_gpa, dtb,
					  AARCH64_FDT_MAX_SIZE, &vm->acpi, err->msg, sizeof(err->msg));
	else
		r = arm64_dt_for_config(vm->cfg, vm->cmdline, vm->pci ? &vm->pci_cfg : NULL, vm_vfio_plan(vm),
					vm->nr_mmio, vm->initrd_gpa, vm->initrd_size, dtb, AARCH64_FDT_MAX_SIZE, &dtb_len,
					err->msg, sizeof(err->msg));
	return r ? (err->is_config = r == -EINVAL, -1) : 0;
}

int vm_arch_vcpu_init(struct vm *vm, struct vcpu *v, const char **step)
{
	int r = arm64_vcpu_init(vm->vm_fd, v->fd, v->index, step);

	/* Secondaries stay powered off until the guest's PSCI CPU_ON, which KVM handles. */
	if (!r && v->index == 0) {
		*step = "set the boot registers";
		r = arm64_vcpu_set_boot_state(v->fd, vm->entry_pc, vm->dtb_gpa);
	}
	return r;
}

/* The vGIC (distributor, redistributors) and the ITS, after the vCPUs. */
static int vm_create_gic(struct vm *vm, struct vm_error *err)
{
	uint64_t dist = AARCH64_GIC_DIST_BASE, redist = AARCH64_GIC_REDIST_BASE, its = AARCH64_GIC_ITS_BASE;
	uint32_t nr_irqs = AARCH64_GIC_NR_IRQS;
	const char *step = "create the vGICv3";
	int r = kvm_create_device(vm->vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3, &vm->gic_fd);

	if (!r) {
		step = "set the vGICv3's addresses";
		r = kvm_device_set_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	}
	if (!r)
		r = kvm_device_set_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	if (!r) {
		step = "set the vGICv3's interrupt count";
		r = kvm_device_set_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	}
	if (!r) {
		step = "initialise the vGICv3";
		r = kvm_device_set_attr(vm->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	}
	if (!r) {
		step = "create the ITS";
		r = kvm_create_device(vm->vm_fd, KVM_DEV_TYPE_ARM_VGIC_ITS, &vm->its_fd);
	}
	if (!r)
		r = kvm_device_set_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &its);
	if (!r) {
		step = "initialise the ITS";
		r = kvm_device_set_attr(vm->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	}
	if (r)
		return vm_fail(err, false, "KVM: cannot %s: %s", step, strerror(-r));
	/* MSI routes and KVM_SIGNAL_MSI carry DeviceIDs (irq.c); KVM must want them. */
	if (kvm_check_extension(vm->vm_fd, KVM_CAP_MSI_DEVID) <= 0)
		return vm_fail(err, false, "KVM: the ITS does not take MSI device IDs (KVM_CAP_MSI_DEVID)");
	return 0;
}

int vm_create(const struct skiff_config *cfg, struct vm **ret, struct vm_error *err)
{
	struct vm *vm;
	const char *boot_args = cfg->boot_args ? cfg->boot_args : ARM64_DEFAULT_BOOT_ARGS;

	if (vm_check_supported(cfg, err))
		return -1;
	vm = vm_alloc(cfg, err);
	if (!vm)
		return -1;
	/*
	 * Assigned devices (vm_vfio.c, shared with x86): placed on root buses
	 * of their own first, so the root complex and the DTB have them; no
	 * vSMMUv3 in front yet, so DMA is GPA identity (the unit's stage-2 or
	 * the IOAS) and MSI-X goes to the ITS with the requester ID as DeviceID.
	 */
	if (vm_create_kvm(vm, err) || vm_create_memory(vm, err) || vm_create_uart(vm, err) ||
	    vm_place_vfio(vm, err) || vm_load_images(vm, err))
		goto fail;
	vm->cmdline = vm_build_cmdline(cfg, boot_args);
	if (!vm->cmdline) {
		(void)vm_fail(err, false, "out of memory");
		goto fail;
	}
	/*
	 * The devices after the vGIC: KVM takes irqfds on SPIs (virtio-mmio,
	 * assigned devices' INTx) only once it exists; the DTB after them all.
	 */
	if (vm_create_vcpus(vm, err) || vm_create_gic(vm, err) ||
	    vm_create_io(vm, boot_args, vm_vfio_nr_buses(vm), err) || vm_create_vfio(vm, err) ||
	    vm_create_vsmmu(vm, err) || vm_write_dtb(vm, err))
		goto fail;
	*ret = vm;
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

/* The tables the guest got (firmware_tables "acpi"); with a device tree there are none. */
int vm_dump_acpi(const struct vm *vm, const char *dir)
{
	const uint8_t *area = gmem_slice(&vm->mem, vm->dtb_gpa, AARCH64_FDT_MAX_SIZE);

	if (vm->cfg->firmware_tables != FIRMWARE_TABLES_ACPI)
		return -EOPNOTSUPP;
	return area ? acpi_write_tables(&vm->acpi, area, dir) : -EFAULT;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_destroy_vcpus(vm);
	vm_vsmmu_stop(vm);
	vm_destroy_vsmmu(vm);
	vm_destroy_vfio(vm);
	vm_destroy_io(vm);
	free(vm->cmdline);
	vm_unmap_file(&vm->kernel);
	vm_unmap_file(&vm->initrd);
	if (vm->uart_ready)
		pl011_destroy(&vm->uart);
	vm_free(vm);
}

/* Where vm_load_images will put the initrd, from the kernel's header and the initrd's size. */
static int vm_plan_boot(const struct skiff_config *cfg, uint64_t *initrd_gpa, uint64_t *initrd_len,
			uint64_t *dtb_gpa, struct vm_error *err)
{
	struct mapped_file kernel = { 0 };
	struct arm64_image_info info;
	struct arm64_boot_plan plan;
	char msg[BOOT_ERR_MAX];
	struct stat st;
	int r;

	*initrd_len = 0;
	if (cfg->initrd_path) {
		if (stat(cfg->initrd_path, &st) < 0)
			return vm_fail(err, true, "%s: boot-source.initrd_path: %s: %s", cfg->source, cfg->initrd_path,
				       strerror(errno));
		*initrd_len = (uint64_t)st.st_size;
	}
	r = vm_map_file(cfg->kernel_image_path, &kernel);
	if (r)
		return vm_fail(err, true, "%s: boot-source.kernel_image_path: %s: %s", cfg->source,
			       cfg->kernel_image_path, r == -ENODATA ? "file is empty" : strerror(-r));
	r = arm64_image_parse(kernel.data, kernel.len, &info, msg, sizeof(msg));
	if (!r)
		r = arm64_boot_plan(&info, AARCH64_RAM_BASE, cfg->mem_size_mib << 20, *initrd_len, AARCH64_FDT_MAX_SIZE,
				    &plan, msg, sizeof(msg));
	vm_unmap_file(&kernel);
	if (r)
		return vm_fail(err, true, "%s: %s", cfg->kernel_image_path, msg);
	*initrd_gpa = plan.initrd_gpa;
	*dtb_gpa = plan.dtb_gpa;
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len, struct vm_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), r = 0;

	if (fd < 0)
		return vm_fail(err, false, "--dump-dtb %s: %s", path, strerror(errno));
	errno = 0;
	if (write(fd, buf, len) != (ssize_t)len)
		r = vm_fail(err, false, "--dump-dtb %s: %s", path, errno ? strerror(errno) : "short write");
	if (close(fd) < 0 && !r)
		r = vm_fail(err, false, "--dump-dtb %s: %s", path, strerror(errno));
	return r;
}

/*
 * The root buses the config's assigned devices need (vm_vfio_place, as
 * vm_place_vfio does: sysfs only, no device is opened), at least nr; the
 * plan in *ret for the vSMMUv3 nodes (NULL without assigned devices).
 */
static int dump_vfio_buses(const struct skiff_config *cfg, const char *boot_args, unsigned *nr,
			   struct iommu_plan **ret, struct vm_error *err)
{
	char msg[VFIO_ERR_MAX + 64];
	unsigned n;
	int r;

	*ret = NULL;
	if (!cfg->nr_vfio)
		return 0;
	if (boot_args_have(boot_args, "pci=off"))
		return vm_fail(err, true, "%s: vfio[0]: the guest runs with pci=off, so there is no PCIe root bus "
			       "to put an assigned device on", cfg->source);
	r = vm_vfio_place(cfg, NULL, ret, &n, msg, sizeof(msg));
	if (r < 0)
		return vm_fail(err, r == -ENODEV || r == -EINVAL || r == -ENOSPC, "%s", msg);
	*nr = n > *nr ? n : *nr;
	return 0;
}

/*
 * `skiff --dump-dtb FILE`: the DTB the VM would get, without KVM: the
 * same config checks, command line, root-bus split (assigned devices'
 * buses included) and initrd place as
 * vm_create, through the same arm64_dt_for_config.
 */
int vm_dump_dtb(const struct skiff_config *cfg, const char *path, struct vm_error *err)
{
	const char *boot_args = cfg->boot_args ? cfg->boot_args : ARM64_DEFAULT_BOOT_ARGS;
	unsigned nr_buses = arm64_nr_root_buses(cfg, boot_args);
	uint64_t initrd_gpa, initrd_len, dtb_gpa;
	struct iommu_plan *plan = NULL;
	struct pci_root_cfg rc;
	char *cmdline = NULL;
	void *buf = NULL;
	size_t len;
	int r;

	if (vm_check_supported(cfg, err) || vm_plan_boot(cfg, &initrd_gpa, &initrd_len, &dtb_gpa, err) ||
	    dump_vfio_buses(cfg, boot_args, &nr_buses, &plan, err))
		return -1;
	if (nr_buses && pci_root_cfg_aarch64(&rc, nr_buses, (struct irq_line){ 0 })) {
		iommu_plan_destroy(plan);
		return vm_fail(err, true, "%s: %u PCIe root buses: too many on aarch64", cfg->source, nr_buses);
	}
	cmdline = vm_build_cmdline(cfg, boot_args);
	buf = malloc(AARCH64_FDT_MAX_SIZE);
	if (!cmdline || !buf) {
		r = vm_fail(err, false, "out of memory");
	} else {
		unsigned nr_mmio = nr_buses ? 0 : vm_nr_virtio_devices(cfg);

		/* With ACPI the guest's DTB is the stub with only /chosen, at the start of its area. */
		if (cfg->firmware_tables == FIRMWARE_TABLES_ACPI)
			r = arm64_acpi_for_config(cfg, cmdline, nr_buses ? &rc : NULL, plan, nr_mmio, initrd_gpa,
						  initrd_len, dtb_gpa, buf, AARCH64_FDT_MAX_SIZE, NULL, err->msg,
						  sizeof(err->msg));
		else
			r = arm64_dt_for_config(cfg, cmdline, nr_buses ? &rc : NULL, plan, nr_mmio, initrd_gpa,
						initrd_len, buf, AARCH64_FDT_MAX_SIZE, &len, err->msg, sizeof(err->msg));
		if (!r && cfg->firmware_tables == FIRMWARE_TABLES_ACPI)
			len = fdt_totalsize(buf);
		if (r)
			err->is_config = r == -EINVAL, r = -1;
		else
			r = write_file(path, buf, len, err);
	}
	free(cmdline);
	free(buf);
	iommu_plan_destroy(plan);
	return r;
}
