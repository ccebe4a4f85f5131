// SPDX-License-Identifier: Apache-2.0
/*
 * Interrupts of an assigned function. VFIO lets a device signal one kind
 * at a time, so the function is in one mode: INTx (the default, while the
 * guest has neither MSI nor MSI-X enabled), MSI or MSI-X. Every kind goes
 * device -> VFIO eventfd -> KVM irqfd -> guest, without skiff:
 *
 * - INTx: a resample irqfd on the function's INTx GSI (level-triggered in
 *   the guest). VFIO masks the line when it fires; the guest's EOI signals
 *   the resample eventfd, which VFIO takes as "unmask" (and the device
 *   re-fires if it still wants service). The command register's INTx
 *   disable is written through to the device, where vfio-pci virtualises
 *   it by masking the line, so the guest's masking holds.
 * - MSI: the capability is emulated here; each enabled vector is a
 *   vm_irq_ops MSI route whose eventfd goes to VFIO; per-vector masks
 *   detach the irqfd (KVM keeps the signal pending until unmask).
 * - MSI-X: the table is pci_msix's; its vectors' eventfds go to VFIO.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-priv.h"
#include "vfio-sys.h"

#define PCI_CAP_ID_MSI 0x05
#define MSI_CTRL 2
#define  MSI_CTRL_ENABLE 0x0001
#define  MSI_CTRL_64 0x0080
#define  MSI_CTRL_MASKABLE 0x0100
#define MSI_ADDR 4

/* VFIO_DEVICE_SET_IRQS for index: fds (n of them) or, with fds NULL, none. */
static int set_irqs(struct vfio_pci *vp, unsigned index, uint32_t action, const int *fds, unsigned n)
{
	size_t sz = sizeof(struct vfio_irq_set) + n * sizeof(int32_t);
	struct vfio_irq_set *s = calloc(1, sz);
	int r;

	if (!s)
		return -ENOMEM;
	s->argsz = (uint32_t)sz;
	s->flags = (fds ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) | action;
	s->index = index;
	s->count = n;
	for (unsigned i = 0; fds && i < n; i++)
		((int32_t *)s->data)[i] = fds[i];
	r = vfio_sys_ioctl(vp->dev->fd, VFIO_DEVICE_SET_IRQS, s);
	free(s);
	return r < 0 ? r : 0;
}

static const char *const mode_name[] = { "nothing", "INTx", "MSI", "MSI-X" };

/*
 * Turn the current kind off at the device. If VFIO refuses, the mode (and
 * INTx's irqfd) stay as they are, so that nothing else is switched on
 * beside it and a later call, teardown at the latest, tries again.
 */
static int irq_off(struct vfio_pci *vp)
{
	static const unsigned index[] = { 0, VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_PCI_MSIX_IRQ_INDEX };
	int r;

	if (vp->mode == VFIO_IRQ_OFF)
		return 0;
	r = set_irqs(vp, index[vp->mode], VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	if (r) {
		log_warn("%s: turning %s off at the device: %s", vp->func.name, mode_name[vp->mode], strerror(-r));
		return r;
	}
	if (vp->mode == VFIO_IRQ_INTX) {
		vp->irq->irqfd_resample_release(vp->irq->opaque, vp->func.intx.gsi, vp->intx_efd, vp->intx_rfd);
		vp->intx_efd = vp->intx_rfd = -1;
	}
	vp->msi.nr = 0;
	vp->mode = VFIO_IRQ_OFF;
	return 0;
}

static void intx_on(struct vfio_pci *vp)
{
	unsigned gsi = vp->func.intx.gsi;
	int efd, rfd, r;

	if (!vp->intx)
		return;
	r = vp->irq->irqfd_resample(vp->irq->opaque, gsi, &efd, &rfd);
	if (r) {
		log_warn("%s: INTx: a level irqfd on GSI %u: %s; the guest gets no INTx", vp->func.name, gsi,
			 strerror(-r));
		return;
	}
	r = set_irqs(vp, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, &efd, 1);
	if (!r) {
		r = set_irqs(vp, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, &rfd, 1);
		if (r)
			(void)set_irqs(vp, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, NULL, 0);
	}
	if (r) {
		vp->irq->irqfd_resample_release(vp->irq->opaque, gsi, efd, rfd);
		log_warn("%s: INTx on the device: %s; the guest gets no INTx", vp->func.name, strerror(-r));
		return;
	}
	vp->intx_efd = efd;
	vp->intx_rfd = rfd;
	vp->mode = VFIO_IRQ_INTX;
}

void vfio_irq_default(struct vfio_pci *vp)
{
	if (!irq_off(vp))
		intx_on(vp);
}

/* ---- MSI-X ---------------------------------------------------------------------- */

static void msix_on(struct vfio_pci *vp)
{
	struct pci_func *f = &vp->func;
	int *fds = calloc(f->msix.nr, sizeof(int));
	int r = irq_off(vp);

	if (r) {
		free(fds);
		return;
	}
	r = -ENOMEM;
	if (fds) {
		for (unsigned v = 0; v < f->msix.nr; v++)
			fds[v] = f->msix.vec[v].efd;
		r = set_irqs(vp, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, fds, f->msix.nr);
		free(fds);
	}
	if (r) {
		log_warn("%s: enabling MSI-X on the device: %s", f->name, strerror(-r));
		intx_on(vp);
		return;
	}
	vp->mode = VFIO_IRQ_MSIX;
}

/* ---- MSI ---------------------------------------------------------------------------- */

static unsigned msi_data_off(const struct vfio_msi *m)
{
	return m->cap + (m->is64 ? 12u : 8u);
}

static unsigned msi_mask_off(const struct vfio_msi *m)
{
	return m->cap + (m->is64 ? 16u : 12u);
}

/* Vectors the guest enabled: 2^MME, no more than the device has. */
static unsigned msi_wanted(struct vfio_pci *vp)
{
	unsigned mme = (pci_cfg_get(&vp->func, vp->msi.cap + MSI_CTRL, 2) >> 4) & 7;

	return mme >= 6 || (1u << mme) > vp->msi.max ? vp->msi.max : 1u << mme;
}

/* Give every enabled vector its message (data's low bits are the vector number) and mask. */
static int msi_sync(struct vfio_pci *vp, unsigned n)
{
	struct vfio_msi *m = &vp->msi;
	struct pci_func *f = &vp->func;
	uint64_t addr = pci_cfg_get(f, m->cap + MSI_ADDR, 4);
	uint32_t data = pci_cfg_get(f, msi_data_off(m), 2) & ~(n - 1);
	uint32_t mask = m->maskable ? pci_cfg_get(f, msi_mask_off(m), 4) : 0;

	if (m->is64)
		addr |= (uint64_t)pci_cfg_get(f, m->cap + MSI_ADDR + 4, 4) << 32;
	for (unsigned v = 0; v < n; v++) {
		int r;

		if (m->handle[v] < 0) {
			r = vp->irq->msi_create(vp->irq->opaque, &m->handle[v], &m->efd[v]);
			if (r) {
				m->handle[v] = -1;
				return r;
			}
		}
		r = vp->irq->msi_update(vp->irq->opaque, m->handle[v], (uint32_t)vp->func.bus << 8 | vp->func.devfn, addr, data | v, mask >> v & 1);
		if (r)
			return r;
	}
	return 0;
}

static void msi_on(struct vfio_pci *vp)
{
	struct vfio_msi *m = &vp->msi;
	unsigned n = msi_wanted(vp);
	int r = irq_off(vp);

	if (r)
		return;
	r = msi_sync(vp, n);
	if (!r)
		r = set_irqs(vp, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, m->efd, n);
	if (r) {
		log_warn("%s: enabling MSI (%u vectors) on the device: %s", vp->func.name, n, strerror(-r));
		intx_on(vp);
		return;
	}
	m->nr = n;
	vp->mode = VFIO_IRQ_MSI;
	log_debug("%s: MSI on, %u vector(s), address %#llx data %#x", vp->func.name, n,
		  (unsigned long long)pci_cfg_get(&vp->func, m->cap + MSI_ADDR, 4),
		  pci_cfg_get(&vp->func, msi_data_off(m), 2));
}

static void msi_changed(struct vfio_pci *vp)
{
	bool on = pci_cfg_get(&vp->func, vp->msi.cap + MSI_CTRL, 2) & MSI_CTRL_ENABLE;
	int r;

	if (!on) {
		if (vp->mode == VFIO_IRQ_MSI)
			vfio_irq_default(vp);
		return;
	}
	if (vp->mode != VFIO_IRQ_MSI || msi_wanted(vp) != vp->msi.nr) {
		msi_on(vp);
		return;
	}
	/* Address, data or masks of the running vectors. */
	r = msi_sync(vp, vp->msi.nr);
	log_debug("%s: MSI address %#x data %#x mask %#x", vp->func.name,
		  pci_cfg_get(&vp->func, vp->msi.cap + MSI_ADDR, 4), pci_cfg_get(&vp->func, msi_data_off(&vp->msi), 2),
		  vp->msi.maskable ? pci_cfg_get(&vp->func, msi_mask_off(&vp->msi), 4) : 0);
	if (r)
		log_warn("%s: updating the MSI routes: %s", vp->func.name, strerror(-r));
}

int vfio_msi_setup(struct vfio_pci *vp, const uint8_t *real, unsigned off, char *err, size_t errlen)
{
	struct vfio_msi *m = &vp->msi;
	uint16_t ctrl = (uint16_t)(real[off + MSI_CTRL] | real[off + MSI_CTRL + 1] << 8);
	unsigned mmc = (ctrl >> 1) & 7, len;
	uint8_t body[24] = { 0 };
	uint8_t wm[24] = { 0 };
	int r;

	if (!vp->dev->msi_count || !vp->irq->msi_create)
		return 0;
	m->is64 = ctrl & MSI_CTRL_64;
	m->maskable = ctrl & MSI_CTRL_MASKABLE;
	m->max = mmc > 5 ? 32u : 1u << mmc;
	if (m->max > vp->dev->msi_count)
		m->max = vp->dev->msi_count > VFIO_MSI_MAX ? VFIO_MSI_MAX : vp->dev->msi_count;
	while (m->max & (m->max - 1)) /* a power of two, as MMC can say */
		m->max &= m->max - 1;
	for (mmc = 0; (1u << mmc) < m->max; mmc++)
		;
	len = (m->is64 ? 14u : 10u) + (m->maskable ? 10u : 0u);
	ctrl = (uint16_t)((ctrl & (MSI_CTRL_64 | MSI_CTRL_MASKABLE)) | mmc << 1);
	body[MSI_CTRL] = (uint8_t)ctrl;
	body[MSI_CTRL + 1] = (uint8_t)(ctrl >> 8);
	r = pci_cap_add(&vp->func, PCI_CAP_ID_MSI, body, len, &m->cap);
	if (r)
		return vfio_fail(err, errlen, r, "vfio: %s: no room for the MSI capability", vp->dev->bdf);
	wm[MSI_CTRL] = 0x71; /* enable, multiple message enable */
	memset(wm + MSI_ADDR, 0xff, 4);
	wm[MSI_ADDR] = 0xfc;
	if (m->is64)
		memset(wm + MSI_ADDR + 4, 0xff, 4);
	memset(wm + msi_data_off(m) - m->cap, 0xff, 2);
	if (m->maskable) {
		uint32_t bits = m->max == 32 ? UINT32_MAX : (1u << m->max) - 1;

		memcpy(wm + msi_mask_off(m) - m->cap, &bits, 4);
	}
	pci_cfg_set_wmask(&vp->func, m->cap + MSI_CTRL, wm + MSI_CTRL, len - MSI_CTRL);
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static bool touches(unsigned reg, unsigned len, unsigned start, unsigned n)
{
	return reg < start + n && start < reg + len;
}

void vfio_irq_cfg_write(struct vfio_pci *vp, unsigned reg, unsigned len)
{
	struct pci_func *f = &vp->func;

	if (f->msix.nr && touches(reg, len, f->msix.cap, PCI_MSIX_CAP_SIZE)) {
		bool on = pci_cfg_get(f, f->msix.cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE;

		if (on && vp->mode != VFIO_IRQ_MSIX)
			msix_on(vp);
		else if (!on && vp->mode == VFIO_IRQ_MSIX)
			vfio_irq_default(vp);
	}
	if (vp->msi.cap && touches(reg, len, vp->msi.cap, msi_mask_off(&vp->msi) + 4 - vp->msi.cap))
		msi_changed(vp);
}

void vfio_irq_teardown(struct vfio_pci *vp)
{
	if (irq_off(vp) && vp->mode == VFIO_IRQ_INTX) {
		/* Closing the device fd turns INTx off at the device; the irqfd is ours to drop. */
		vp->irq->irqfd_resample_release(vp->irq->opaque, vp->func.intx.gsi, vp->intx_efd, vp->intx_rfd);
		vp->intx_efd = vp->intx_rfd = -1;
		vp->mode = VFIO_IRQ_OFF;
	}
	for (unsigned v = 0; v < VFIO_MSI_MAX; v++)
		if (vp->msi.handle[v] >= 0) {
			vp->irq->msi_destroy(vp->irq->opaque, vp->msi.handle[v]);
			vp->msi.handle[v] = -1;
		}
}
