// SPDX-License-Identifier: Apache-2.0
/*
 * Root complex: PCIe root buses in segment 0, each with an ECAM window
 * (1 MiB per bus), BAR windows and up to 32 integrated endpoints on its
 * first bus. ECAM offset → (bus, dev, fn, reg): bits 27:20, 19:15, 14:12,
 * 11:0. Nothing there, or a bad access (length not 1/2/4, crossing the
 * function's 4 KiB): reads all-ones, writes dropped.
 *
 * BAR windows are registered whole; an access is given to the BAR that
 * decodes it at that moment (the guest may have moved it), else it reads
 * all-ones. The topology is fixed while vCPUs run, so lookups take no lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "pci-priv.h"

enum win_kind { WIN_ECAM, WIN_MMIO32, WIN_MMIO64, WIN_IO, WIN_COUNT };

struct pci_root_bus;

struct pci_win {
	struct pci_root_bus *rb;
	enum win_kind kind;
	uint64_t base, size;
	char name[24];
};

struct pci_root_bus {
	struct pci_root *root;
	struct pci_root_bus_cfg cfg;
	struct pci_func *slots[PCI_MAX_DEVICES];
	uint64_t next[WIN_COUNT];       /* allocation cursor per window */
	struct pci_win win[WIN_COUNT];
};

struct pci_root {
	struct pci_root_cfg cfg;
	struct pci_root_bus buses[PCI_MAX_ROOT_BUSES];
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool ranges_overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return an && bn && a <= b + (bn - 1) && b <= a + (an - 1);
}

static int check_cfg(const struct pci_root_cfg *c)
{
	uint64_t mem[PCI_MAX_ROOT_BUSES * 3][2];
	unsigned n = 0;

	if (c->nr_buses == 0 || c->nr_buses > PCI_MAX_ROOT_BUSES || c->ecam_base % (1u << 20) ||
	    c->ecam_base > UINT64_MAX - (256ull << 20) || c->intx_gsi_count == 0)
		return -EINVAL;
	for (unsigned i = 0; i < c->nr_buses; i++) {
		const struct pci_root_bus_cfg *b = &c->buses[i];
		if (b->bus_start > b->bus_end)
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (b->bus_start <= c->buses[j].bus_end && c->buses[j].bus_start <= b->bus_end)
				return -EINVAL;
		if (b->mmio32_size && (b->mmio32_base > UINT32_MAX ||
				       b->mmio32_size > (1ull << 32) - b->mmio32_base))
			return -EINVAL;
		if (b->mmio64_size && b->mmio64_base > UINT64_MAX - (b->mmio64_size - 1))
			return -EINVAL;
		if (b->io_size && (uint32_t)b->io_base + b->io_size > 0x10000)
			return -EINVAL;
		if ((b->mmio32_base | b->mmio32_size | b->mmio64_base | b->mmio64_size) & 0xfff)
			return -EINVAL;
		mem[n][0] = c->ecam_base + ((uint64_t)b->bus_start << 20);
		mem[n++][1] = (uint64_t)(b->bus_end - b->bus_start + 1) << 20;
		mem[n][0] = b->mmio32_base;
		mem[n++][1] = b->mmio32_size;
		mem[n][0] = b->mmio64_base;
		mem[n++][1] = b->mmio64_size;
		for (unsigned j = 0; j < i; j++)
			if (ranges_overlap(b->io_base, b->io_size, c->buses[j].io_base, c->buses[j].io_size))
				return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < i; j++)
			if (ranges_overlap(mem[i][0], mem[i][1], mem[j][0], mem[j][1]))
				return -EINVAL;
	return 0;
}

int pci_root_create(const struct pci_root_cfg *cfg, struct pci_root **ret)
{
	static const char *const kind_name[WIN_COUNT] = { "ecam", "mmio32", "mmio64", "io" };
	struct pci_root *root;
	int r = check_cfg(cfg);

	if (r)
		return r;
	root = calloc(1, sizeof(*root));
	if (!root)
		return -ENOMEM;
	root->cfg = *cfg;
	for (unsigned i = 0; i < cfg->nr_buses; i++) {
		struct pci_root_bus *rb = &root->buses[i];
		const struct pci_root_bus_cfg *b = &cfg->buses[i];
		rb->root = root;
		rb->cfg = *b;
		rb->win[WIN_ECAM].base = cfg->ecam_base + ((uint64_t)b->bus_start << 20);
		rb->win[WIN_ECAM].size = (uint64_t)(b->bus_end - b->bus_start + 1) << 20;
		rb->win[WIN_MMIO32].base = b->mmio32_base;
		rb->win[WIN_MMIO32].size = b->mmio32_size;
		rb->win[WIN_MMIO64].base = b->mmio64_base;
		rb->win[WIN_MMIO64].size = b->mmio64_size;
		rb->win[WIN_IO].base = b->io_base;
		rb->win[WIN_IO].size = b->io_size;
		for (int k = 0; k < WIN_COUNT; k++) {
			rb->win[k].rb = rb;
			rb->win[k].kind = (enum win_kind)k;
			rb->next[k] = rb->win[k].base;
			snprintf(rb->win[k].name, sizeof(rb->win[k].name), "pci%u-%s", i, kind_name[k]);
		}
	}
	*ret = root;
	return 0;
}

void pci_root_destroy(struct pci_root *root)
{
	free(root);
}

unsigned pci_root_intx_gsi(const struct pci_root *root, unsigned dev, unsigned pin)
{
	return root->cfg.intx_gsi_base + (dev + pin) % root->cfg.intx_gsi_count;
}

/* Window for a BAR of this type, or NULL. 64-bit BARs go high when there is a high window. */
static enum win_kind bar_window(const struct pci_root_bus *rb, const struct pci_bar *b)
{
	switch (b->type) {
	case PCI_BAR_IO:
		return WIN_IO;
	case PCI_BAR_MEM64:
		return rb->win[WIN_MMIO64].size ? WIN_MMIO64 : WIN_MMIO32;
	default:
		return WIN_MMIO32;
	}
}

static int assign_bars(struct pci_root_bus *rb, struct pci_func *f)
{
	uint64_t next[WIN_COUNT], addr[PCI_NR_BARS] = { 0 };

	memcpy(next, rb->next, sizeof(next));
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		const struct pci_bar *b = &f->bars[i];
		if (b->type == PCI_BAR_NONE)
			continue;
		enum win_kind k = bar_window(rb, b);
		const struct pci_win *w = &rb->win[k];
		uint64_t align = b->type == PCI_BAR_IO ? b->size : (b->size < 4096 ? 4096 : b->size);
		uint64_t a = align_up(next[k], align);
		if (!w->size || a < next[k] || a - w->base > w->size || b->size > w->size - (a - w->base))
			return -ENOSPC;
		addr[i] = a;
		next[k] = a + b->size;
	}
	memcpy(rb->next, next, sizeof(next));
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		unsigned reg = PCI_BASE_ADDRESS_0 + 4 * i;
		if (f->bars[i].type == PCI_BAR_NONE)
			continue;
		uint32_t flags = pci_cfg_get(f, reg, 4) & (f->bars[i].type == PCI_BAR_IO ? 3u : 15u);
		pci_cfg_put(f, reg, (uint32_t)addr[i] | flags, 4);
		if (f->bars[i].type == PCI_BAR_MEM64)
			pci_cfg_put(f, reg + 4, (uint32_t)(addr[i] >> 32), 4);
	}
	return 0;
}

int pci_root_add_func(struct pci_root *root, unsigned bus_index, int slot, struct pci_func *f,
		      int *ret_slot)
{
	struct pci_root_bus *rb;
	int r;

	if (bus_index >= root->cfg.nr_buses || slot >= PCI_MAX_DEVICES || f->root)
		return -EINVAL;
	rb = &root->buses[bus_index];
	if (slot >= 0 && rb->slots[slot])
		return -EBUSY;
	for (int s = 0; slot < 0 && s < PCI_MAX_DEVICES; s++)
		if (!rb->slots[s])
			slot = s;
	if (slot < 0)
		return -ENOSPC;

	pthread_mutex_lock(&f->lock);
	r = assign_bars(rb, f);
	if (r) {
		pthread_mutex_unlock(&f->lock);
		return r;
	}
	f->root = root;
	f->bus_index = bus_index;
	f->bus = rb->cfg.bus_start;
	f->devfn = (uint8_t)(slot << 3);
	unsigned pin = pci_cfg_get(f, PCI_INTERRUPT_PIN, 1);
	if (pin) {
		f->intx = root->cfg.intx;
		f->intx.gsi = pci_root_intx_gsi(root, (unsigned)slot, pin - 1);
		pci_cfg_put(f, PCI_INTERRUPT_LINE, f->intx.gsi & 0xff, 1);
	}
	char tail[sizeof(f->name)];
	memcpy(tail, f->name, sizeof(tail));
	snprintf(f->name, sizeof(f->name), "0000:%02x:%02x.0 %.34s", f->bus, (unsigned)slot, tail);
	pthread_mutex_unlock(&f->lock);
	rb->slots[slot] = f;
	if (ret_slot)
		*ret_slot = slot;
	return 0;
}

void pci_root_remove_func(struct pci_root *root, struct pci_func *f)
{
	if (!root || f->root != root || f->bus_index >= root->cfg.nr_buses)
		return;
	struct pci_root_bus *rb = &root->buses[f->bus_index];
	if (rb->slots[f->devfn >> 3] == f)
		rb->slots[f->devfn >> 3] = NULL;
	f->root = NULL;
}

struct pci_func *pci_root_find(struct pci_root *root, unsigned bus, unsigned dev, unsigned fn)
{
	if (dev >= PCI_MAX_DEVICES || fn != 0)
		return NULL;
	for (unsigned i = 0; i < root->cfg.nr_buses; i++)
		if (root->buses[i].cfg.bus_start == bus)
			return root->buses[i].slots[dev];
	return NULL;
}

/* ---- ECAM ------------------------------------------------------------------ */

static struct pci_func *ecam_decode(struct pci_win *w, uint64_t offset, unsigned len,
				    unsigned *ret_reg)
{
	unsigned reg = (unsigned)(offset & 0xfff);

	if (offset >= w->size || (len != 1 && len != 2 && len != 4) || reg + len > PCI_CFG_SIZE)
		return NULL;
	*ret_reg = reg;
	return pci_root_find(w->rb->root, w->rb->cfg.bus_start + (unsigned)(offset >> 20),
			     (unsigned)(offset >> 15) & 31, (unsigned)(offset >> 12) & 7);
}

static void ecam_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	unsigned reg;
	struct pci_func *f = ecam_decode(opaque, offset, len, &reg);

	if (f)
		pci_func_cfg_read(f, reg, data, len);
	else
		memset(data, 0xff, len);
}

static void ecam_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	unsigned reg;
	struct pci_func *f = ecam_decode(opaque, offset, len, &reg);

	if (f)
		pci_func_cfg_write(f, reg, data, len);
}

static const struct bus_device_ops ecam_ops = { ecam_read, ecam_write };

/* ---- BAR windows ------------------------------------------------------------ */

/* Find the function and BAR decoding [addr, addr+len); returns it locked. */
static struct pci_func *bar_lookup(struct pci_win *w, uint64_t offset, unsigned len,
				   unsigned *ret_bar, uint64_t *ret_off)
{
	uint64_t addr = w->base + offset;

	if (len == 0 || offset >= w->size || len > w->size - offset)
		return NULL;
	for (unsigned s = 0; s < PCI_MAX_DEVICES; s++) {
		struct pci_func *f = w->rb->slots[s];
		if (!f)
			continue;
		pthread_mutex_lock(&f->lock);
		for (unsigned i = 0; i < PCI_NR_BARS; i++) {
			const struct pci_bar *b = &f->bars[i];
			if (b->type == PCI_BAR_NONE || b->mapped == PCI_BAR_UNMAPPED ||
			    (b->type == PCI_BAR_IO) != (w->kind == WIN_IO))
				continue;
			if (addr >= b->mapped && addr - b->mapped < b->size &&
			    len <= b->size - (addr - b->mapped)) {
				*ret_bar = i;
				*ret_off = addr - b->mapped;
				return f;
			}
		}
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

static void win_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	unsigned bar;
	uint64_t off;
	struct pci_func *f = bar_lookup(opaque, offset, len, &bar, &off);

	if (!f) {
		memset(data, 0xff, len);
		return;
	}
	pci_func_bar_read(f, bar, off, data, len);
	pthread_mutex_unlock(&f->lock);
}

static void win_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	unsigned bar;
	uint64_t off;
	struct pci_func *f = bar_lookup(opaque, offset, len, &bar, &off);

	if (!f)
		return;
	pci_func_bar_write(f, bar, off, data, len);
	pthread_mutex_unlock(&f->lock);
}

static const struct bus_device_ops win_ops = { win_read, win_write };

unsigned pci_root_windows(struct pci_root *root, struct pci_window out[PCI_MAX_WINDOWS])
{
	unsigned n = 0;

	for (unsigned i = 0; i < root->cfg.nr_buses; i++) {
		for (int k = 0; k < WIN_COUNT; k++) {
			struct pci_win *w = &root->buses[i].win[k];
			if (!w->size)
				continue;
			out[n++] = (struct pci_window){
				.pio = k == WIN_IO,
				.base = w->base,
				.size = w->size,
				.ops = k == WIN_ECAM ? &ecam_ops : &win_ops,
				.opaque = w,
				.name = w->name,
			};
		}
	}
	return n;
}

unsigned pci_root_nr_buses(const struct pci_root *root)
{
	return root->cfg.nr_buses;
}

int pci_root_bus_info(const struct pci_root *root, unsigned bus_index, struct pci_root_bus_info *ret)
{
	if (bus_index >= root->cfg.nr_buses)
		return -EINVAL;
	const struct pci_root_bus *rb = &root->buses[bus_index];
	*ret = (struct pci_root_bus_info){
		.bus_start = rb->cfg.bus_start,
		.bus_end = rb->cfg.bus_end,
		.ecam_base = root->cfg.ecam_base,
		.ecam_window = rb->win[WIN_ECAM].base,
		.mmio32_base = rb->cfg.mmio32_base,
		.mmio32_size = rb->cfg.mmio32_size,
		.mmio64_base = rb->cfg.mmio64_base,
		.mmio64_size = rb->cfg.mmio64_size,
		.io_base = rb->cfg.io_base,
		.io_size = rb->cfg.io_size,
	};
	return 0;
}
