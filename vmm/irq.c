// SPDX-License-Identifier: Apache-2.0
/*
 * Interrupt plumbing for devices (struct vm_irq_ops) on KVM: irqfds for
 * IOAPIC pins (edge, and level with a resample eventfd for assigned
 * devices' INTx), MSI routes with irqfds, ioeventfds.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so skiff keeps the table
 * itself: the in-kernel irqchip's default routes (on x86 GSIs 0-23, PIC
 * and IOAPIC pins, as kvm_setup_default_irq_routing makes them; on arm64
 * one per SPI, GSI n = SPI n, as the vGIC's default table has them), then
 * one MSI route per vector above those. On arm64 the MSI routes carry the
 * requester ID as the ITS DeviceID (KVM_MSI_VALID_DEVID). MSI-X table
 * writes arrive on any vCPU thread, hence the lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "irq.h"
#include "kvm.h"

#define IOAPIC_PINS 24
#define PIC_PINS 16
/* KVM's x86 irqchip numbers (KVM_IRQCHIP_*), which only x86's uAPI header defines. */
#define IRQCHIP_PIC_MASTER 0
#define IRQCHIP_PIC_SLAVE 1
#define IRQCHIP_IOAPIC 2

static unsigned irq_pin_routes(const struct vm_irq *vi, struct kvm_irq_routing_entry *e)
{
	unsigned nr = 0;

	if (vi->chip == VM_IRQCHIP_GICV3) {
		for (unsigned gsi = 0; gsi < vi->nr_pins; gsi++)
			e[nr++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP, .u.irqchip = { 0, gsi },
			};
		return nr;
	}
	for (unsigned gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi < PIC_PINS) {
			e[nr++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { gsi < 8 ? IRQCHIP_PIC_MASTER : IRQCHIP_PIC_SLAVE, gsi % 8 },
			};
		}
		e[nr++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { IRQCHIP_IOAPIC, gsi },
		};
	}
	return nr;
}

static int irq_push_routes(struct vm_irq *vi)
{
	size_t n = PIC_PINS * 2 + (IOAPIC_PINS - PIC_PINS) + vi->nr_pins + VM_IRQ_MAX_MSI;
	struct kvm_irq_routing *rt = calloc(1, sizeof(*rt) + n * sizeof(rt->entries[0]));
	unsigned nr;
	int r;

	if (!rt)
		return -ENOMEM;
	nr = irq_pin_routes(vi, rt->entries);
	for (unsigned i = 0; i < VM_IRQ_MAX_MSI; i++) {
		const struct vm_msi_vector *v = &vi->msi[i];
		uint64_t addr = vi->msi_doorbell ? vi->msi_doorbell : v->addr;

		if (!v->used || !v->routed)
			continue;
		rt->entries[nr] = (struct kvm_irq_routing_entry){
			.gsi = vi->msi_gsi_base + i, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = v->data },
		};
		if (vi->chip == VM_IRQCHIP_GICV3) {
			rt->entries[nr].flags = KVM_MSI_VALID_DEVID;
			rt->entries[nr].u.msi.devid = v->devid;
		}
		nr++;
	}
	rt->nr = nr;
	r = kvm_set_gsi_routing(vi->vm_fd, rt);
	free(rt);
	return r;
}

static int irq_irqfd_gsi(void *opaque, unsigned gsi, int *ret_efd)
{
	struct vm_irq *vi = opaque;
	int efd, r;

	if (gsi >= vi->nr_pins)
		return -EINVAL;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	r = kvm_irqfd(vi->vm_fd, efd, gsi, false);
	if (r) {
		close(efd);
		return r;
	}
	*ret_efd = efd;
	return 0;
}

/*
 * KVM asserts the pin (its own IRQ source, ORed with KVM_IRQ_LINE's) on a
 * write to efd and keeps it asserted until the guest's EOI, when it
 * deasserts and signals resample_efd. The IOAPIC pin must be level-
 * triggered in the guest, as the DSDT's _PRT and Interrupt() make PCI INTx.
 */
static int irq_irqfd_resample(void *opaque, unsigned gsi, int *ret_efd, int *ret_resample_efd)
{
	struct vm_irq *vi = opaque;
	int efd, rfd, r;

	if (gsi >= vi->nr_pins)
		return -EINVAL;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rfd < 0) {
		r = -errno;
		close(efd);
		return r;
	}
	r = kvm_irqfd_resample(vi->vm_fd, efd, rfd, gsi, false);
	if (r) {
		close(rfd);
		close(efd);
		return r;
	}
	*ret_efd = efd;
	*ret_resample_efd = rfd;
	return 0;
}

static void irq_irqfd_resample_release(void *opaque, unsigned gsi, int efd, int resample_efd)
{
	struct vm_irq *vi = opaque;

	/* Deassigning the last irqfd on the GSI's resampler also lowers the line. */
	if (kvm_irqfd_resample(vi->vm_fd, efd, -1, gsi, true))
		log_warn("irq: detaching the level irqfd of GSI %u failed", gsi);
	close(efd);
	close(resample_efd);
}

static int irq_msi_create(void *opaque, int *ret_handle, int *ret_efd)
{
	struct vm_irq *vi = opaque;
	int r = -ENOSPC;

	pthread_mutex_lock(&vi->lock);
	for (unsigned i = 0; i < VM_IRQ_MAX_MSI; i++) {
		struct vm_msi_vector *v = &vi->msi[i];

		if (v->used)
			continue;
		v->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->efd < 0) {
			r = -errno;
			break;
		}
		v->used = true;
		v->attached = v->routed = false;
		*ret_handle = (int)i;
		*ret_efd = v->efd;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&vi->lock);
	return r;
}

static struct vm_msi_vector *irq_msi_get(struct vm_irq *vi, int handle)
{
	if (handle < 0 || handle >= VM_IRQ_MAX_MSI || !vi->msi[handle].used)
		return NULL;
	return &vi->msi[handle];
}

static int irq_msi_update(void *opaque, int handle, uint32_t devid, uint64_t addr, uint32_t data, bool masked)
{
	struct vm_irq *vi = opaque;
	struct vm_msi_vector *v;
	unsigned gsi = vi->msi_gsi_base + (unsigned)handle;
	int r = 0;

	pthread_mutex_lock(&vi->lock);
	v = irq_msi_get(vi, handle);
	if (!v) {
		r = -EINVAL;
		goto out;
	}
	if (!v->routed || v->addr != addr || v->data != data || v->devid != devid) {
		v->devid = devid;
		v->addr = addr;
		v->data = data;
		v->routed = true;
		r = irq_push_routes(vi);
		if (r)
			goto out;
	}
	/* Detaching on mask leaves signals in the eventfd; KVM injects them on re-attach. */
	if (masked == v->attached) {
		r = kvm_irqfd(vi->vm_fd, v->efd, gsi, masked);
		if (!r)
			v->attached = !masked;
	}
out:
	pthread_mutex_unlock(&vi->lock);
	return r;
}

static void irq_msi_destroy(void *opaque, int handle)
{
	struct vm_irq *vi = opaque;
	struct vm_msi_vector *v;

	pthread_mutex_lock(&vi->lock);
	v = irq_msi_get(vi, handle);
	if (v) {
		if (v->attached)
			kvm_irqfd(vi->vm_fd, v->efd, vi->msi_gsi_base + (unsigned)handle, true);
		close(v->efd);
		memset(v, 0, sizeof(*v));
		if (irq_push_routes(vi))
			log_warn("irq: dropping the MSI route for GSI %u failed", vi->msi_gsi_base + (unsigned)handle);
	}
	pthread_mutex_unlock(&vi->lock);
}

static int irq_ioeventfd(void *opaque, uint64_t addr, unsigned len, int64_t datamatch, int efd, bool assign)
{
	struct vm_irq *vi = opaque;

	return kvm_ioeventfd(vi->vm_fd, addr, len, datamatch, efd, !assign);
}

void vm_irq_init(struct vm_irq *vi, int vm_fd, enum vm_irqchip chip, unsigned nr_spis)
{
	memset(vi, 0, sizeof(*vi));
	pthread_mutex_init(&vi->lock, NULL);
	vi->vm_fd = vm_fd;
	vi->chip = chip;
	vi->nr_pins = chip == VM_IRQCHIP_GICV3 ? nr_spis : IOAPIC_PINS;
	vi->msi_gsi_base = vi->nr_pins;
	vi->ops = (struct vm_irq_ops){
		.irqfd_gsi = irq_irqfd_gsi,
		.msi_create = irq_msi_create,
		.msi_update = irq_msi_update,
		.msi_destroy = irq_msi_destroy,
		.ioeventfd = irq_ioeventfd,
		.irqfd_resample = irq_irqfd_resample,
		.irqfd_resample_release = irq_irqfd_resample_release,
		.opaque = vi,
	};
}

void vm_irq_destroy(struct vm_irq *vi)
{
	for (int i = 0; i < VM_IRQ_MAX_MSI; i++)
		if (vi->msi[i].used)
			irq_msi_destroy(vi, i);
	pthread_mutex_destroy(&vi->lock);
}
