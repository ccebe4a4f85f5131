// SPDX-License-Identifier: Apache-2.0
/* Building the x86_64 VM: KVM objects, guest RAM, devices, boot images. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "acpi.h"
#include "layout.h"
#include "vm-internal.h"
#include "vmm-priv.h"

#define DEFAULT_BOOT_ARGS "console=ttyS0 reboot=k panic=1"

/*
 * pvpanic: Linux reports the panic from its panic notifiers, before it
 * flushes the panic message to the consoles. Stopping at once would lose
 * the one message that says what went wrong, so the guest gets
 * PANIC_GRACE_MS more to print it; it then reboots or halts (a stop
 * reported as the panic) or the timer stops it.
 */
#define PANIC_GRACE_MS 2000

static void vm_report_panic(void *opaque, enum vm_stop_reason reason)
{
	struct vm *vm = opaque;
	struct itimerspec when = { .it_value = { .tv_sec = PANIC_GRACE_MS / 1000,
						   .tv_nsec = (PANIC_GRACE_MS % 1000) * 1000000L } };
	bool first;

	pthread_mutex_lock(&vm->stop_lock);
	first = !vm->panic_reported;
	vm->panic_reported = true;
	pthread_mutex_unlock(&vm->stop_lock);
	if (!first)
		return;
	if (vm->panic_timer_fd < 0 || timerfd_settime(vm->panic_timer_fd, 0, &when, NULL) < 0) {
		vm_request_stop(vm, reason);
		return;
	}
	log_debug("guest reported a panic; it has %d ms to print it", PANIC_GRACE_MS);
}

static const unsigned x86_virtio_mmio_gsis[] = X86_VIRTIO_MMIO_GSIS;

const struct vm_arch_io vm_arch_io = {
	.irqchip = VM_IRQCHIP_X86,
	.root_cfg = pci_root_cfg_x86,
	.mmio_base = X86_VIRTIO_MMIO_BASE,
	.mmio_stride = X86_VIRTIO_MMIO_STRIDE,
	.mmio_gsis = x86_virtio_mmio_gsis,
	.nr_mmio_gsis = ARRAY_SIZE(x86_virtio_mmio_gsis),
	.has_ged = true,
	.ged_addr = X86_GED_ADDR,
	.ged_gsi = X86_GED_GSI,
	.plan_dump_acpi = vm_plan_dump_acpi,
};

void vm_set_irq_level(void *opaque, unsigned gsi, bool high)
{
	struct vm *vm = opaque;
	int r = kvm_irq_line(vm->vm_fd, gsi, high);

	if (r)
		log_warn("vm: raising GSI %u: %s", gsi, strerror(-r));
}

int vm_arch_start(struct vm *vm)
{
	return vm_viommu_start(vm);
}

void vm_arch_stop(struct vm *vm)
{
	vm_viommu_stop(vm);
}

bool vm_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (!vm->com1_ready)
		return false;
	if (len)
		serial8250_push_input(&vm->com1, buf, len);
	return true;
}

/*
 * Hide what KVM cannot follow on this host (see xsave_probe.c): XSAVE when
 * it misses the guest's XCR0, the TSC-deadline timer when the guest's TSC
 * is not the one KVM converts deadlines with.
 */
static int vm_probe_kvm(struct vm *vm, struct vm_error *err)
{
	struct kvm_probe_result res = { .xsetbv_seen = true, .tsc_offset_applied = true };
	int r = kvm_probe_guest_view(vm->kvm_fd, vm->cpuid, vm->run_size, &res);

	if (r)
		return vm_fail(err, false, "KVM: probing XSAVE and TSC support: %s", strerror(-r));
	if (!res.xsetbv_seen) {
		log_info("KVM on this host does not track the guest's XCR0 (a nested set-up?); "
			 "XSAVE and AVX are hidden from the guest");
		cpuid_hide_xsave(vm->cpuid);
	}
	if (!res.tsc_offset_applied) {
		log_info("KVM on this host does not apply the guest's TSC offset (a nested set-up?); "
			 "the TSC-deadline timer is hidden, the guest uses the APIC one-shot timer");
		cpuid_hide_tsc_deadline(vm->cpuid);
	}
	return 0;
}

static int vm_create_kvm(struct vm *vm, struct vm_error *err)
{
	static const long caps[] = { KVM_CAP_IRQCHIP, KVM_CAP_IRQ_ROUTING, KVM_CAP_IMMEDIATE_EXIT };
	int r = vm_open_kvm(vm, caps, ARRAY_SIZE(caps), "the in-kernel irqchip or immediate exit",
			    " (load kvm_intel or kvm_amd)", err);

	if (r)
		return r;
	/* Three pages below the IOAPIC that Intel's VMX needs for real-mode emulation. */
	r = kvm_set_tss_addr(vm->vm_fd, 0xfffbd000);
	if (!r)
		r = kvm_set_identity_map_addr(vm->vm_fd, 0xfffbc000);
	if (r)
		return vm_fail(err, false, "KVM: setting the TSS/identity-map addresses: %s", strerror(-r));
	r = kvm_create_irqchip(vm->vm_fd);
	if (r)
		return vm_fail(err, false, "KVM: creating the in-kernel irqchip: %s", strerror(-r));
	r = kvm_create_pit2(vm->vm_fd);
	if (r)
		return vm_fail(err, false, "KVM: creating the in-kernel PIT: %s", strerror(-r));
	r = kvm_get_supported_cpuid(vm->kvm_fd, &vm->cpuid);
	if (r)
		return vm_fail(err, false, "KVM: reading the supported CPUID: %s", strerror(-r));
	return vm_probe_kvm(vm, err);
}

static int vm_create_memory(struct vm *vm, struct vm_error *err)
{
	uint64_t bytes = vm->cfg->mem_size_mib << 20;
	/* RAM above 4 GiB must end before the PCI 64-bit window. */
	uint64_t max_mib = (X86_PCI_MMIO64_BASE - (X86_4G - X86_MMIO_HOLE_START)) >> 20;
	int r;

	if (vm->cfg->mem_size_mib > max_mib)
		return vm_fail(err, true, "%s: machine-config.mem_size_mib: at most %llu on x86_64 (PCI devices live above), got %llu",
			       vm->cfg->source, (unsigned long long)max_mib, (unsigned long long)vm->cfg->mem_size_mib);
	r = gmem_create(&vm->mem, bytes, X86_MMIO_HOLE_START);

	if (r)
		return vm_fail(err, false, "cannot allocate %llu MiB of guest memory: %s",
			       (unsigned long long)vm->cfg->mem_size_mib, strerror(-r));
	for (unsigned i = 0; i < vm->mem.nr_regions; i++) {
		const struct gmem_region *g = &vm->mem.regions[i];

		r = kvm_set_user_memory_region(vm->vm_fd, i, g->gpa, g->size, g->host);
		if (r)
			return vm_fail(err, false, "KVM: adding guest memory at %#llx: %s",
				       (unsigned long long)g->gpa, strerror(-r));
	}
	return 0;
}

static int vm_register(struct bus *bus, uint64_t base, uint64_t len,
		       const struct bus_device_ops *ops, void *opaque, const char *name,
		       struct vm_error *err)
{
	int r = bus_register(bus, base, len, ops, opaque, name);

	return r ? vm_fail(err, false, "device %s at %#llx: %s", name, (unsigned long long)base, strerror(-r)) : 0;
}

static int vm_create_devices(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct vm_control ctl = { vm_request_stop, vm };
	int r = 0;

	vm->i8042.ctl = ctl;
	vm->pvpanic.ctl = (struct vm_control){ vm_report_panic, vm };
	vm->pm = (struct acpi_pm){ ctl, X86_ACPI_S5_SLP_TYP, X86_ACPI_RESET_VALUE };
	cmos_rtc_init(&vm->rtc);
	vm->rtc_ready = true;
	if (cfg->serial_mode == SERIAL_FILE) {
		vm->serial_file_fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (vm->serial_file_fd < 0)
			return vm_fail(err, true, "%s: serial.path: cannot open %s: %s", cfg->source,
				       cfg->serial_path, strerror(errno));
	}
	if (cfg->serial_mode != SERIAL_OFF && cfg->console_device == CONSOLE_COM1) {
		int out = cfg->serial_mode == SERIAL_FILE ? vm->serial_file_fd : STDOUT_FILENO;

		serial8250_init(&vm->com1, out, (struct irq_line){ vm_set_irq_level, vm, X86_IRQ_COM1 });
		vm->com1_ready = true;
		r |= vm_register(&vm->pio, X86_PORT_COM1, 8, &serial8250_ops, &vm->com1, "COM1", err);
	}
	r |= vm_register(&vm->pio, X86_PORT_I8042_DATA, 5, &i8042_ops, &vm->i8042, "i8042", err);
	r |= vm_register(&vm->pio, X86_PORT_RTC, 2, &cmos_rtc_ops, &vm->rtc, "rtc", err);
	r |= vm_register(&vm->pio, X86_PORT_PVPANIC, 1, &pvpanic_ops, &vm->pvpanic, "pvpanic", err);
	r |= vm_register(&vm->pio, X86_PORT_ACPI_SLEEP_CTL, 3, &acpi_pm_ops, &vm->pm, "acpi-pm", err);
	return r ? -1 : 0;
}

/* Fill the PCI and GED parts of the ACPI params; hosts is VM-owned storage. */
static int vm_acpi_io_params(struct vm *vm, struct acpi_x86_params *p)
{
	unsigned n = vm->pci ? pci_root_nr_buses(vm->pci) : 0;

	p->ged_addr = X86_GED_ADDR;
	p->ged_gsi = X86_GED_GSI;
	for (unsigned i = 0; i < vm->nr_mmio; i++)
		vm->acpi_mmio[i] = (struct acpi_virtio_mmio){
			(uint32_t)(X86_VIRTIO_MMIO_BASE + i * X86_VIRTIO_MMIO_STRIDE), VIRTIO_MMIO_SIZE, vm->mmio_gsi[i],
		};
	p->nr_virtio_mmio = vm->nr_mmio;
	p->virtio_mmio = vm->acpi_mmio;
	if (!n)
		return 0;
	vm->acpi_hosts = calloc(n, sizeof(*vm->acpi_hosts));
	if (!vm->acpi_hosts)
		return -ENOMEM;
	for (unsigned k = 0; k < n; k++) {
		struct acpi_pci_host *h = &vm->acpi_hosts[k];
		struct pci_root_bus_info bi;
		int r = pci_root_bus_info(vm->pci, k, &bi);

		if (r)
			return r;
		*h = (struct acpi_pci_host){
			.bus_start = bi.bus_start, .bus_end = bi.bus_end, .ecam_base = bi.ecam_base,
			.mmio32_base = bi.mmio32_base, .mmio32_size = bi.mmio32_size,
			.mmio64_base = bi.mmio64_base, .mmio64_size = bi.mmio64_size,
			.io_base = bi.io_base, .io_size = bi.io_size,
		};
		for (unsigned d = 0; d < ACPI_PCI_SLOTS; d++)
			for (unsigned pin = 0; pin < 4; pin++)
				h->prt_gsi[d][pin] = pci_root_intx_gsi(vm->pci, d, pin);
	}
	p->nr_pci_hosts = n;
	p->pci_hosts = vm->acpi_hosts;
	return 0;
}

static int vm_build_acpi(struct vm *vm, uint64_t *ret_rsdp, struct vm_error *err)
{
	struct acpi_x86_params p = {
		.nr_cpus = vm->cfg->vcpu_count,
		.lapic_addr = X86_LAPIC_ADDR,
		.ioapic_addr = X86_IOAPIC_ADDR,
		.ioapic_id = (uint8_t)vm->cfg->vcpu_count,
		.sleep_control_port = X86_PORT_ACPI_SLEEP_CTL,
		.sleep_status_port = X86_PORT_ACPI_SLEEP_STS,
		.reset_port = X86_PORT_ACPI_RESET,
		.reset_value = X86_ACPI_RESET_VALUE,
		.s5_slp_typ = X86_ACPI_S5_SLP_TYP,
		.com1_port = vm->com1_ready ? X86_PORT_COM1 : 0,
		.com1_irq = X86_IRQ_COM1,
		.rtc_port = X86_PORT_RTC,
		.rtc_irq = X86_IRQ_RTC,
		.pvpanic_port = X86_PORT_PVPANIC,
	};
	uint8_t *buf = gmem_slice(&vm->mem, X86_ACPI_TABLES_ADDR, X86_ACPI_TABLES_SIZE);
	int r;

	if (!buf)
		return vm_fail(err, false, "guest memory too small for the ACPI tables");
	r = vm_acpi_io_params(vm, &p);
	if (r)
		return vm_fail(err, false, "describing PCI to ACPI: %s", strerror(-r));
	vm_viommu_acpi_params(vm, &p);
	r = acpi_build_x86(&p, X86_ACPI_TABLES_ADDR, buf, X86_ACPI_TABLES_SIZE, &vm->acpi);
	if (r)
		return vm_fail(err, false, "building the ACPI tables: %s", strerror(-r));
	*ret_rsdp = vm->acpi.rsdp_gpa;
	return 0;
}

static int vm_load_images(struct vm *vm, struct vm_error *err)
{
	const struct skiff_config *cfg = vm->cfg;
	struct boot_images images = { .cmdline = vm->cmdline };
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
	images.kernel = vm->kernel.data;
	images.kernel_len = vm->kernel.len;
	images.initrd = vm->initrd.data;
	images.initrd_len = vm->initrd.len;
	if (vm_build_acpi(vm, &images.rsdp_gpa, err))
		return -1;
	if (boot_setup_x86_tables(&vm->mem))
		return vm_fail(err, false, "guest memory too small for the boot page tables");
	r = boot_load_linux(&vm->mem, &images, &vm->entry, msg, sizeof(msg));
	if (r)
		return vm_fail(err, true, "%s: %s", cfg->kernel_image_path, msg);
	/* The guest has its own copy now. */
	vm_unmap_file(&vm->kernel);
	vm_unmap_file(&vm->initrd);
	return 0;
}

int vm_arch_vcpu_init(struct vm *vm, struct vcpu *v, const char **step)
{
	int r = x86_vcpu_init(v->fd, vm->cpuid, v->index, vm->cfg->vcpu_count, vm->cfg->smt, step);

	/* Only the boot CPU gets a register state; the others wait for INIT/SIPI. */
	if (!r && v->index == 0) {
		*step = "set the boot registers";
		r = x86_vcpu_set_boot_state(v->fd, &vm->entry);
	}
	return r;
}

int vm_create(const struct skiff_config *cfg, struct vm **ret, struct vm_error *err)
{
	struct vm *vm = vm_alloc(cfg, err);
	const char *boot_args;

	if (!vm)
		return -1;
	if (vm_create_kvm(vm, err) || vm_create_memory(vm, err) || vm_create_devices(vm, err))
		goto fail;
	boot_args = cfg->boot_args ? cfg->boot_args : DEFAULT_BOOT_ARGS;
	if (vm_place_vfio(vm, err) || vm_create_io(vm, boot_args, vm_vfio_nr_buses(vm), err) || vm_create_vfio(vm, err) ||
	    vm_create_viommu(vm, err))
		goto fail;
	vm->cmdline = vm_build_cmdline(cfg, boot_args);
	if (!vm->cmdline) {
		(void)vm_fail(err, false, "out of memory");
		goto fail;
	}
	if (vm_load_images(vm, err) || vm_create_vcpus(vm, err))
		goto fail;
	*ret = vm;
	return 0;
fail:
	vm_destroy(vm);
	return -1;
}

int vm_dump_dtb(const struct skiff_config *cfg, const char *path, struct vm_error *err)
{
	(void)cfg, (void)path;
	return vm_fail(err, true, "--dump-dtb: x86_64 guests are described by ACPI tables, not a device tree (see --dump-acpi)");
}

int vm_dump_acpi(const struct vm *vm, const char *dir)
{
	const uint8_t *buf = gmem_slice(&vm->mem, X86_ACPI_TABLES_ADDR, X86_ACPI_TABLES_SIZE);

	return buf ? acpi_write_tables(&vm->acpi, buf, dir) : -EFAULT;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_destroy_vcpus(vm);
	free(vm->cpuid);
	/* Devices drain and sync their I/O before anything they use goes away (vm_run stopped the vVT-d engine). */
	vm_destroy_vfio(vm);
	vm_destroy_io(vm);
	vm_destroy_viommu(vm);
	free(vm->cmdline);
	vm_unmap_file(&vm->kernel);
	vm_unmap_file(&vm->initrd);
	if (vm->com1_ready)
		serial8250_destroy(&vm->com1);
	if (vm->rtc_ready)
		cmos_rtc_destroy(&vm->rtc);
	vm_free(vm);
}
