// SPDX-License-Identifier: Apache-2.0
/*
 * A PCI function: 4 KiB config space where every byte has a write mask
 * (bits the guest may change) and a write-1-to-clear mask, a type-0
 * header, BARs (sized by all-ones writes: the mask keeps only the address
 * bits above the size), and capability lists. After each guest write the
 * BAR decode state is recomputed and the owner told about moves.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pci.h"
#include "pci-priv.h"

uint32_t pci_cfg_get(const struct pci_func *f, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len && off + i < PCI_CFG_SIZE; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	return v;
}

void pci_cfg_put(struct pci_func *f, unsigned off, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len && off + i < PCI_CFG_SIZE; i++)
		f->cfg[off + i] = (uint8_t)(v >> (8 * i));
}

void pci_cfg_set_wmask(struct pci_func *f, unsigned off, const void *mask, unsigned len)
{
	if (off < PCI_CFG_SIZE && len <= PCI_CFG_SIZE - off)
		memcpy(f->wmask + off, mask, len);
}

void pci_cfg_set_w1cmask(struct pci_func *f, unsigned off, const void *mask, unsigned len)
{
	if (off < PCI_CFG_SIZE && len <= PCI_CFG_SIZE - off)
		memcpy(f->w1cmask + off, mask, len);
}

static void set_wmask(struct pci_func *f, unsigned off, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		f->wmask[off + i] = (uint8_t)(v >> (8 * i));
}

/* PCIe capability v2 of a root-complex integrated endpoint (PCIe 6.0 7.5.3). */
static void add_pcie_cap(struct pci_func *f)
{
	uint8_t cap[0x3c] = { 0 };
	uint16_t off;

	cap[2] = 0x02 | (0x9 << 4);      /* version 2, device/port type 9: RCiEP */
	cap[4] = 0x00;                   /* Device Capabilities: 128-byte max payload */
	cap[0x24] = 0x00;                /* Device Capabilities 2 */
	if (pci_cap_add(f, PCI_CAP_ID_EXP, cap, sizeof(cap), &off))
		return;
	/* Device Control: relaxed ordering, no-snoop etc. are guest-writable, no effect. */
	set_wmask(f, off + 8, 0x7fff, 2);
	/* Device Status: error-detected bits are W1C. */
	f->w1cmask[off + 10] = 0x0f;
}

void pci_func_init(struct pci_func *f, const struct pci_func_params *p,
		   const struct pci_func_ops *ops, void *opaque)
{
	pthread_mutexattr_t a;

	memset(f, 0, sizeof(*f));
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&f->lock, &a);
	pthread_mutexattr_destroy(&a);
	snprintf(f->name, sizeof(f->name), "pci %04x:%04x", p->vendor_id, p->device_id);
	f->ops = ops;
	f->opaque = opaque;

	pci_cfg_put(f, PCI_VENDOR_ID, p->vendor_id, 2);
	pci_cfg_put(f, PCI_DEVICE_ID, p->device_id, 2);
	pci_cfg_put(f, PCI_REVISION_ID, p->revision, 1);
	pci_cfg_put(f, PCI_CLASS_PROG, p->class_code, 3);
	pci_cfg_put(f, PCI_SUBSYSTEM_VENDOR_ID, p->subsys_vendor_id, 2);
	pci_cfg_put(f, PCI_SUBSYSTEM_ID, p->subsys_id, 2);
	pci_cfg_put(f, PCI_HEADER_TYPE, 0, 1);
	pci_cfg_put(f, PCI_INTERRUPT_PIN, p->intx_pin <= 4 ? p->intx_pin : 0, 1);

	set_wmask(f, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			  PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE, 2);
	f->w1cmask[PCI_STATUS + 1] = PCI_STATUS_W1C >> 8;
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;

	f->cap_next = PCI_STD_HEADER_END;
	f->ext_next = PCI_EXT_CAP_START;
	for (unsigned i = 0; i < PCI_NR_BARS; i++)
		f->bars[i].mapped = PCI_BAR_UNMAPPED;
	if (p->pcie)
		add_pcie_cap(f);
}

void pci_func_destroy(struct pci_func *f)
{
	pci_msix_free(f);
	pthread_mutex_destroy(&f->lock);
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_func_add_bar(struct pci_func *f, unsigned i, enum pci_bar_type type, uint64_t size,
		     bool prefetchable)
{
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
	uint32_t flags;

	if (i >= PCI_NR_BARS || !pow2(size) || f->bars[i].type != PCI_BAR_NONE || f->bars[i].upper)
		return -EINVAL;
	switch (type) {
	case PCI_BAR_IO:
		if (size < 4 || size > 256)
			return -EINVAL;
		flags = PCI_BASE_ADDRESS_SPACE_IO;
		break;
	case PCI_BAR_MEM32:
		if (size < 16 || size > (1ull << 31))
			return -EINVAL;
		flags = prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0;
		break;
	case PCI_BAR_MEM64:
		if (size < 16 || size > (1ull << 62) || i + 1 >= PCI_NR_BARS ||
		    f->bars[i + 1].type != PCI_BAR_NONE || f->bars[i + 1].upper)
			return -EINVAL;
		flags = PCI_BASE_ADDRESS_MEM_TYPE_64 | (prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		break;
	default:
		return -EINVAL;
	}
	f->bars[i] = (struct pci_bar){ type, prefetchable, size, PCI_BAR_UNMAPPED, false };
	pci_cfg_put(f, reg, flags, 4);
	uint64_t mask = ~(size - 1);
	set_wmask(f, reg, (uint32_t)mask & (type == PCI_BAR_IO ? ~3u : ~15u), 4);
	if (type == PCI_BAR_MEM64) {
		/* The upper half is a pseudo-BAR: no type of its own. */
		f->bars[i + 1] = (struct pci_bar){ PCI_BAR_NONE, false, 0, PCI_BAR_UNMAPPED, true };
		set_wmask(f, reg + 4, (uint32_t)(mask >> 32), 4);
	}
	return 0;
}

uint64_t pci_func_bar_addr(const struct pci_func *f, unsigned i)
{
	const struct pci_bar *b;
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;

	if (i >= PCI_NR_BARS)
		return 0;
	b = &f->bars[i];
	switch (b->type) {
	case PCI_BAR_IO:
		return pci_cfg_get(f, reg, 4) & ~3u;
	case PCI_BAR_MEM32:
		return pci_cfg_get(f, reg, 4) & ~15u;
	case PCI_BAR_MEM64:
		return (pci_cfg_get(f, reg, 4) & ~15ull) | (uint64_t)pci_cfg_get(f, reg + 4, 4) << 32;
	default:
		return 0;
	}
}

/* Where BAR i decodes given the command register, or PCI_BAR_UNMAPPED. */
static uint64_t bar_decode(const struct pci_func *f, unsigned i)
{
	const struct pci_bar *b = &f->bars[i];
	uint16_t cmd = (uint16_t)pci_cfg_get(f, PCI_COMMAND, 2);
	uint64_t addr = pci_func_bar_addr(f, i);

	if (b->type == PCI_BAR_NONE || addr == 0)
		return PCI_BAR_UNMAPPED;
	if (b->type == PCI_BAR_IO ? !(cmd & PCI_COMMAND_IO) : !(cmd & PCI_COMMAND_MEMORY))
		return PCI_BAR_UNMAPPED;
	/*
	 * All-ones (sizing) leaves a range ending at the top of the BAR's
	 * address space: never a real placement.
	 */
	uint64_t top = b->type == PCI_BAR_MEM64 ? UINT64_MAX : UINT32_MAX;
	if (addr > top - (b->size - 1) || addr + (b->size - 1) == top)
		return PCI_BAR_UNMAPPED;
	if (b->type == PCI_BAR_IO && addr + b->size > 0x10000)
		return PCI_BAR_UNMAPPED;
	if (b->type == PCI_BAR_MEM32 && addr + b->size > (1ull << 32))
		return PCI_BAR_UNMAPPED;
	return addr;
}

void pci_func_update_bars(struct pci_func *f)
{
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &f->bars[i];
		uint64_t now = bar_decode(f, i);

		if (b->type == PCI_BAR_NONE || now == b->mapped)
			continue;
		uint64_t old = b->mapped;
		b->mapped = now;
		if (f->ops && f->ops->bar_moved)
			f->ops->bar_moved(f, i, old, now);
	}
}

static void update_intx(struct pci_func *f)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(f, PCI_COMMAND, 2);
	bool out = f->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE);

	if (f->intx_level)
		f->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		f->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	if (out != f->intx_out) {
		f->intx_out = out;
		irq_line_set(&f->intx, out);
	}
}

void pci_func_set_intx(struct pci_func *f, bool level)
{
	pthread_mutex_lock(&f->lock);
	if (pci_cfg_get(f, PCI_INTERRUPT_PIN, 1)) {
		f->intx_level = level;
		update_intx(f);
	}
	pthread_mutex_unlock(&f->lock);
}

static bool cfg_access_ok(unsigned reg, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && reg < PCI_CFG_SIZE && len <= PCI_CFG_SIZE - reg;
}

void pci_func_cfg_read(struct pci_func *f, unsigned reg, void *data, unsigned len)
{
	if (!cfg_access_ok(reg, len)) {
		memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&f->lock);
	if (f->ops && f->ops->cfg_read)
		f->ops->cfg_read(f, reg, len);
	memcpy(data, f->cfg + reg, len);
	pthread_mutex_unlock(&f->lock);
}

static bool overlaps(unsigned reg, unsigned len, unsigned start, unsigned n)
{
	return reg < start + n && start < reg + len;
}

void pci_func_cfg_write(struct pci_func *f, unsigned reg, const void *data, unsigned len)
{
	const uint8_t *v = data;

	if (!cfg_access_ok(reg, len))
		return;
	pthread_mutex_lock(&f->lock);
	for (unsigned i = 0; i < len; i++) {
		unsigned r = reg + i;
		uint8_t b = (uint8_t)((f->cfg[r] & ~f->wmask[r]) | (v[i] & f->wmask[r]));

		f->cfg[r] = (uint8_t)(b & ~(v[i] & f->w1cmask[r]));
	}
	if (overlaps(reg, len, PCI_COMMAND, 2) ||
	    overlaps(reg, len, PCI_BASE_ADDRESS_0, 4 * PCI_NR_BARS))
		pci_func_update_bars(f);
	if (overlaps(reg, len, PCI_COMMAND, 2))
		update_intx(f);
	if (f->msix.nr && overlaps(reg, len, f->msix.cap, PCI_MSIX_CAP_SIZE))
		pci_msix_ctrl_changed(f);
	if (f->ops && f->ops->cfg_write)
		f->ops->cfg_write(f, reg, len);
	pthread_mutex_unlock(&f->lock);
}

void pci_func_bar_read(struct pci_func *f, unsigned bar, uint64_t offset, void *data, unsigned len)
{
	pthread_mutex_lock(&f->lock);
	if (!pci_msix_bar_read(f, bar, offset, data, len)) {
		if (f->ops && f->ops->bar_read)
			f->ops->bar_read(f, bar, offset, data, len);
		else
			memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&f->lock);
}

void pci_func_bar_write(struct pci_func *f, unsigned bar, uint64_t offset, const void *data,
			unsigned len)
{
	pthread_mutex_lock(&f->lock);
	if (!pci_msix_bar_write(f, bar, offset, data, len) && f->ops && f->ops->bar_write)
		f->ops->bar_write(f, bar, offset, data, len);
	pthread_mutex_unlock(&f->lock);
}

/* ---- capability lists ------------------------------------------------------ */

int pci_cap_add(struct pci_func *f, uint8_t id, const void *body, unsigned len, uint16_t *ret_off)
{
	unsigned off = (f->cap_next + 3u) & ~3u;

	if (len < 2 || off + len > PCI_STD_HEADER_END + 0xc0)
		return -ENOSPC;
	memcpy(f->cfg + off, body, len);
	f->cfg[off] = id;
	f->cfg[off + 1] = 0;
	memset(f->wmask + off, 0, len);
	memset(f->w1cmask + off, 0, len);
	if (f->cap_last)
		f->cfg[f->cap_last + 1] = (uint8_t)off;
	else
		f->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->cap_last = (uint16_t)off;
	f->cap_next = (uint16_t)(off + len);
	if (ret_off)
		*ret_off = (uint16_t)off;
	return 0;
}

int pci_ext_cap_add(struct pci_func *f, uint16_t id, uint8_t version, const void *body,
		    unsigned len, uint16_t *ret_off)
{
	unsigned off = (f->ext_next + 3u) & ~3u;

	if (len < 4 || off + len > PCI_CFG_SIZE || version > 15)
		return -ENOSPC;
	memcpy(f->cfg + off, body, len);
	pci_cfg_put(f, off, (uint32_t)id | (uint32_t)version << 16, 4);
	memset(f->wmask + off, 0, len);
	memset(f->w1cmask + off, 0, len);
	if (f->ext_last) {
		uint32_t h = pci_cfg_get(f, f->ext_last, 4);
		pci_cfg_put(f, f->ext_last, (h & 0xfffff) | (uint32_t)off << 20, 4);
	}
	f->ext_last = (uint16_t)off;
	f->ext_next = (uint16_t)(off + len);
	if (ret_off)
		*ret_off = (uint16_t)off;
	return 0;
}
