// SPDX-License-Identifier: Apache-2.0
/*
 * The guest's view of an assigned PCI function, on skiff's PCI layer.
 *
 * Config space is virtual: built once from the device's real config
 * (vendor, device, class, subsystem, revision), BARs sized from VFIO region
 * info, the capability list filtered to what skiff can stand behind (PM
 * and PCIe copied read-only but for PCIe Device Control, MSI-X emulated by
 * pci_msix, MSI emulated in irq.c; vendor-specific and every extended
 * capability hidden). Only the command register reaches the device
 * (memory/I/O decode, bus master, INTx disable); Initiate FLR in the PCIe
 * Device Control register becomes VFIO_DEVICE_RESET.
 *
 * BARs: mmap-able regions are mapped once into skiff and into the guest
 * as memory slots (through vfio_map_ops) wherever the BAR decodes, minus
 * the pages holding the MSI-X table and PBA, which stay trapped; trapped
 * accesses that are not MSI-X go to the device with pread/pwrite.
 *
 * Interrupts (irq.c): INTx through a resample irqfd, MSI and MSI-X
 * vectors' eventfds handed to VFIO_DEVICE_SET_IRQS, so the device
 * interrupts the guest without skiff.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-priv.h"
#include "vfio-sys.h"

#define PAGE VFIO_PAGE
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_MSI 0x05
#define PCI_PM_CTRL_NO_SOFT_RESET 0x0008
#define EXP_DEVCAP 4
#define  EXP_DEVCAP_FLR (1u << 28)
#define EXP_DEVCTL 8
#define  EXP_DEVCTL_FLR 0x8000
#define EXP_DEVSTA 10

static const struct vfio_region *cfg_region(const struct vfio_pci *vp)
{
	return &vp->dev->regions[VFIO_PCI_CONFIG_REGION_INDEX];
}

/* ---- BARs ------------------------------------------------------------------- */

static void bar_unmap_guest(struct vfio_pci *vp, unsigned i)
{
	struct vfio_bar *b = &vp->bars[i];

	for (unsigned k = 0; k < b->nr; k++)
		if (b->p[k].slot >= 0) {
			vp->map.unmap(vp->map.opaque, b->p[k].slot);
			b->p[k].slot = -1;
		}
}

static void bar_moved(struct pci_func *f, unsigned bar, uint64_t old_addr, uint64_t new_addr)
{
	struct vfio_pci *vp = f->opaque;
	struct vfio_bar *b = &vp->bars[bar];

	(void)old_addr;
	if (!b->host)
		return;
	bar_unmap_guest(vp, bar);
	if (new_addr == PCI_BAR_UNMAPPED)
		return;
	for (unsigned k = 0; k < b->nr; k++) {
		int r = vp->map.map(vp->map.opaque, new_addr + b->p[k].off, b->p[k].size,
				    (uint8_t *)b->host + b->p[k].off, &b->p[k].slot);

		if (r) {
			b->p[k].slot = -1;
			log_warn("%s: BAR %u: mapping %#llx+%#llx into the guest: %s; its accesses are trapped",
				 f->name, bar, (unsigned long long)(new_addr + b->p[k].off),
				 (unsigned long long)b->p[k].size, strerror(-r));
		}
	}
}

static void bar_read(struct pci_func *f, unsigned bar, uint64_t offset, void *data, unsigned len)
{
	struct vfio_pci *vp = f->opaque;
	const struct vfio_region *rg = &vp->dev->regions[bar];

	if (offset + len > rg->size ||
	    vfio_sys_pread(vp->dev->fd, data, len, rg->offset + offset) != (ssize_t)len)
		memset(data, 0xff, len);
}

static void bar_write(struct pci_func *f, unsigned bar, uint64_t offset, const void *data, unsigned len)
{
	struct vfio_pci *vp = f->opaque;
	const struct vfio_region *rg = &vp->dev->regions[bar];

	if (offset + len <= rg->size &&
	    vfio_sys_pwrite(vp->dev->fd, data, len, rg->offset + offset) != (ssize_t)len)
		log_debug("%s: BAR %u write at %#llx failed", f->name, bar, (unsigned long long)offset);
}

/* Split BAR i into the pieces outside the MSI-X table and PBA pages. */
static void bar_pieces(struct vfio_pci *vp, unsigned i)
{
	struct vfio_bar *b = &vp->bars[i];
	const struct pci_msix *m = &vp->func.msix;
	uint64_t ex[2][2];
	unsigned nex = 0;

	if (m->nr && m->bar == i) {
		uint64_t tl = (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE, pl = (m->nr + 63) / 64 * 8;

		ex[nex][0] = m->table_off & ~(PAGE - 1);
		ex[nex][1] = (m->table_off + tl + PAGE - 1) & ~(PAGE - 1);
		nex++;
		ex[nex][0] = m->pba_off & ~(PAGE - 1);
		ex[nex][1] = (m->pba_off + pl + PAGE - 1) & ~(PAGE - 1);
		nex++;
		if (ex[1][0] < ex[0][0]) {
			uint64_t t0 = ex[0][0], t1 = ex[0][1];

			ex[0][0] = ex[1][0], ex[0][1] = ex[1][1];
			ex[1][0] = t0, ex[1][1] = t1;
		}
		if (ex[1][0] <= ex[0][1]) { /* overlapping or adjacent: merge */
			if (ex[1][1] > ex[0][1])
				ex[0][1] = ex[1][1];
			nex = 1;
		}
	}
	uint64_t at = 0;
	b->nr = 0;
	for (unsigned k = 0; k <= nex; k++) {
		uint64_t end = k < nex ? ex[k][0] : b->size;

		if (end > b->size)
			end = b->size;
		if (end > at)
			b->p[b->nr++] = (struct vfio_piece){ at, end - at, -1 };
		if (k < nex)
			at = ex[k][1];
	}
}

static int setup_bars(struct vfio_pci *vp, const uint8_t *real, char *err, size_t errlen)
{
	struct vfio_device *dev = vp->dev;

	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		const struct vfio_region *rg = &dev->regions[i];
		uint32_t reg;
		enum pci_bar_type type;
		int r;

		if (!rg->size)
			continue;
		memcpy(&reg, real + PCI_BASE_ADDRESS_0 + 4 * i, 4);
		if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
			log_warn("vfio: %s: BAR %u is an I/O BAR; skiff's PCIe buses have no I/O window, so "
				 "the guest does not see it", dev->bdf, i);
			continue;
		}
		type = reg & PCI_BASE_ADDRESS_MEM_TYPE_64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
		r = pci_func_add_bar(&vp->func, i, type, rg->size, reg & PCI_BASE_ADDRESS_MEM_PREFETCH);
		if (r)
			return vfio_fail(err, errlen, r, "vfio: %s: BAR %u of %#llx bytes cannot be modelled: %s",
				    dev->bdf, i, (unsigned long long)rg->size, strerror(-r));
		vp->bars[i].size = rg->size;
		if (type == PCI_BAR_MEM64)
			i++;
	}
	return 0;
}

static void map_bars(struct vfio_pci *vp)
{
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		const struct vfio_region *rg = &vp->dev->regions[i];
		struct vfio_bar *b = &vp->bars[i];
		int r = 0;

		if (!b->size || !(rg->flags & VFIO_REGION_INFO_FLAG_MMAP) || b->size < PAGE)
			continue;
		b->host = vfio_sys_mmap(vp->dev->fd, b->size, rg->offset, &r);
		if (!b->host) {
			log_info("vfio: %s: BAR %u cannot be mmapped (%s); its accesses are trapped",
				 vp->dev->bdf, i, strerror(-r));
			continue;
		}
		bar_pieces(vp, i);
	}
}

/* ---- capabilities -------------------------------------------------------------- */

/*
 * The PCIe capability, copied; Device Control guest-writable (no effect on
 * the device) but for Initiate FLR, which becomes VFIO_DEVICE_RESET: FLR
 * is offered wherever VFIO can reset, whatever method the host uses.
 */
static void setup_exp(struct vfio_pci *vp, const uint8_t *real, unsigned off)
{
	struct pci_func *f = &vp->func;
	unsigned len = (real[off + 2] & 0xf) >= 2 ? 0x3c : 0x14;
	uint8_t devctl[2] = { 0xff, 0x7f };
	uint32_t devcap;
	uint16_t at;

	if (off + len > 256 || pci_cap_add(f, PCI_CAP_ID_EXP, real + off, len, &at))
		return;
	vp->exp_cap = at;
	devcap = pci_cfg_get(f, at + EXP_DEVCAP, 4);
	vp->flr = vp->dev->can_reset;
	if (vp->flr) {
		devcap |= EXP_DEVCAP_FLR;
		devctl[1] = 0xff;
	} else {
		devcap &= ~EXP_DEVCAP_FLR;
	}
	pci_cfg_put(f, at + EXP_DEVCAP, devcap, 4);
	pci_cfg_set_wmask(f, at + EXP_DEVCTL, devctl, 2);
	f->w1cmask[at + EXP_DEVSTA] = 0x0f;
}

static int setup_caps(struct vfio_pci *vp, const uint8_t *real, const struct vm_irq_ops *irq, char *err,
		      size_t errlen)
{
	struct pci_func *f = &vp->func;
	const char *bdf = vp->dev->bdf;
	unsigned off = real[PCI_STATUS] & PCI_STATUS_CAP_LIST ? real[PCI_CAPABILITY_LIST] & ~3u : 0;
	int r;

	for (unsigned guard = 0; off >= PCI_STD_HEADER_END && off < 256 && guard < 48; guard++) {
		uint8_t id = real[off];
		uint16_t at;

		switch (id) {
		case PCI_CAP_ID_MSIX: {
			uint16_t flags = (uint16_t)(real[off + 2] | real[off + 3] << 8);
			uint32_t t, p;

			memcpy(&t, real + off + PCI_MSIX_TABLE, 4);
			memcpy(&p, real + off + PCI_MSIX_PBA, 4);
			if ((t & 7) != (p & 7))
				return vfio_fail(err, errlen, -ENOTSUP, "vfio: %s: its MSI-X table and PBA live in "
					    "different BARs, which skiff does not support yet", bdf);
			r = pci_msix_init(f, irq, (flags & PCI_MSIX_FLAGS_QSIZE) + 1u, t & 7, t & ~7u, p & ~7u);
			if (r)
				return vfio_fail(err, errlen, r, "vfio: %s: setting up MSI-X (%u vectors in BAR %u): %s",
					    bdf, (flags & PCI_MSIX_FLAGS_QSIZE) + 1u, t & 7, strerror(-r));
			break;
		}
		case PCI_CAP_ID_MSI:
			r = vfio_msi_setup(vp, real, off, err, errlen);
			if (r)
				return r;
			break;
		case PCI_CAP_ID_EXP:
			setup_exp(vp, real, off);
			break;
		case PCI_CAP_ID_PM:
			if (off + 8 <= 256 && pci_cap_add(f, id, real + off, 8, &at) == 0)
				/*
				 * PMCSR: D0, the state the device is in, and No_Soft_Reset:
				 * skiff does not model D-states, so the guest must not take a
				 * D3hot round trip for a reset (it gets FLR instead).
				 */
				pci_cfg_put(f, at + 4, PCI_PM_CTRL_NO_SOFT_RESET, 2);
			break;
		default:
			log_debug("vfio: %s: hiding capability %#x at %#x", bdf, id, off);
			break;
		}
		off = real[off + 1] & ~3u;
	}
	return 0;
}

/* ---- config writes that reach the device ----------------------------------------- */

/*
 * The guest set Initiate FLR: what the function looks like after one (no
 * decode, no bus mastering, MSI/MSI-X off, back on INTx) and a real reset
 * of the device in between. The guest restores the rest (BARs, MSI-X
 * table), as Linux's pcie_flr() does.
 */
static void guest_flr(struct vfio_pci *vp)
{
	struct pci_func *f = &vp->func;
	const uint16_t zero = 0;
	int r;

	log_debug("%s: the guest asked for a function-level reset", f->name);
	if (f->msix.nr)
		pci_func_cfg_write(f, f->msix.cap + PCI_MSIX_FLAGS, &zero, 2);
	if (vp->msi.cap)
		pci_func_cfg_write(f, vp->msi.cap + 2, &zero, 2);
	pci_func_cfg_write(f, PCI_COMMAND, &zero, 2);
	vfio_irq_teardown(vp);
	r = vfio_sys_ioctl(vp->dev->fd, VFIO_DEVICE_RESET, NULL);
	if (r < 0)
		log_warn("%s: the guest's function-level reset: VFIO_DEVICE_RESET failed: %s", f->name,
			 strerror(-r));
	vfio_irq_default(vp);
}

static void cfg_write(struct pci_func *f, unsigned reg, unsigned len)
{
	struct vfio_pci *vp = f->opaque;

	if (reg < PCI_COMMAND + 2 && PCI_COMMAND < reg + len) {
		uint16_t cmd = (uint16_t)pci_cfg_get(f, PCI_COMMAND, 2);

		if (vfio_sys_pwrite(vp->dev->fd, &cmd, 2, cfg_region(vp)->offset + PCI_COMMAND) != 2)
			log_warn("%s: writing the command register to the device failed", f->name);
	}
	vfio_irq_cfg_write(vp, reg, len);
	if (vp->flr && reg < vp->exp_cap + EXP_DEVCTL + 2u && vp->exp_cap + EXP_DEVCTL + 0u < reg + len) {
		uint16_t ctl = (uint16_t)pci_cfg_get(f, vp->exp_cap + EXP_DEVCTL, 2);

		if (ctl & EXP_DEVCTL_FLR) {
			pci_cfg_put(f, vp->exp_cap + EXP_DEVCTL, ctl & ~EXP_DEVCTL_FLR, 2);
			guest_flr(vp);
		}
	}
}

static const struct pci_func_ops vfio_pci_ops = {
	.bar_read = bar_read,
	.bar_write = bar_write,
	.bar_moved = bar_moved,
	.cfg_write = cfg_write,
};

/* ---- life cycle ---------------------------------------------------------------------- */

int vfio_pci_create(struct vfio_device *dev, struct pci_root *root, unsigned bus_index, int slot,
		    const struct vm_irq_ops *irq, const struct vfio_map_ops *map, struct vfio_pci **ret,
		    char *err, size_t errlen)
{
	struct vfio_pci *vp = calloc(1, sizeof(*vp));
	uint8_t real[256];
	uint16_t cmd = 0;
	int r;

	if (!vp)
		return vfio_fail(err, errlen, -ENOMEM, "vfio: out of memory");
	vp->dev = dev;
	vp->map = *map;
	vp->irq = irq;
	vp->intx_efd = vp->intx_rfd = -1;
	for (unsigned v = 0; v < VFIO_MSI_MAX; v++)
		vp->msi.handle[v] = vp->msi.efd[v] = -1;
	if (vfio_sys_pread(dev->fd, real, sizeof(real), cfg_region(vp)->offset) != (ssize_t)sizeof(real)) {
		free(vp);
		return vfio_fail(err, errlen, -EIO, "vfio: %s: reading its config space failed", dev->bdf);
	}
	struct pci_func_params p = {
		.vendor_id = (uint16_t)(real[0] | real[1] << 8),
		.device_id = (uint16_t)(real[2] | real[3] << 8),
		.revision = real[PCI_REVISION_ID],
		.class_code = (uint32_t)(real[9] | real[10] << 8 | real[11] << 16),
		.subsys_vendor_id = (uint16_t)(real[PCI_SUBSYSTEM_VENDOR_ID] | real[PCI_SUBSYSTEM_VENDOR_ID + 1] << 8),
		.subsys_id = (uint16_t)(real[PCI_SUBSYSTEM_ID] | real[PCI_SUBSYSTEM_ID + 1] << 8),
		/* INTx only where VFIO has it and KVM can carry it as a level irqfd. */
		.intx_pin = dev->intx_count && irq->irqfd_resample && real[PCI_INTERRUPT_PIN] <= 4 ?
			    real[PCI_INTERRUPT_PIN] : 0,
	};
	pci_func_init(&vp->func, &p, &vfio_pci_ops, vp);
	for (unsigned i = 0; i < PCI_NR_BARS; i++)
		for (unsigned k = 0; k < VFIO_MAX_PIECES; k++)
			vp->bars[i].p[k].slot = -1;
	/* Quiet until the guest's driver turns it on. */
	if (vfio_sys_pwrite(dev->fd, &cmd, 2, cfg_region(vp)->offset + PCI_COMMAND) != 2)
		log_debug("vfio: %s: clearing the command register failed", dev->bdf);
	r = setup_bars(vp, real, err, errlen);
	if (!r)
		r = setup_caps(vp, real, irq, err, errlen);
	if (r)
		goto fail;
	map_bars(vp);
	r = pci_root_add_func(root, bus_index, slot, &vp->func, NULL);
	if (r) {
		(void)vfio_fail(err, errlen, r, "vfio: %s: %s", dev->bdf,
			   r == -EBUSY ? "the slot is already taken" :
			   r == -ENOSPC ? "no free slot or BAR space left on its root bus" : strerror(-r));
		goto fail;
	}
	vp->on_root = true;
	snprintf(vp->func.name, sizeof(vp->func.name), "%02x:%02x.%x vfio %s", vp->func.bus,
		 vp->func.devfn >> 3, vp->func.devfn & 7, dev->bdf);
	vp->intx = pci_cfg_get(&vp->func, PCI_INTERRUPT_PIN, 1) != 0;
	pthread_mutex_lock(&vp->func.lock);
	vfio_irq_default(vp);
	pthread_mutex_unlock(&vp->func.lock);
	*ret = vp;
	return 0;
fail:
	vfio_pci_destroy(vp);
	return r;
}

void vfio_pci_destroy(struct vfio_pci *vp)
{
	if (!vp)
		return;
	pthread_mutex_lock(&vp->func.lock);
	vfio_irq_teardown(vp);
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		bar_unmap_guest(vp, i);
		vfio_sys_munmap(vp->bars[i].host, vp->bars[i].size);
		vp->bars[i].host = NULL;
	}
	pthread_mutex_unlock(&vp->func.lock);
	if (vp->on_root)
		pci_root_remove_func(vp->func.root, &vp->func);
	pci_func_destroy(&vp->func);
	free(vp);
}

struct pci_func *vfio_pci_func(struct vfio_pci *vp)
{
	return &vp->func;
}
