// SPDX-License-Identifier: Apache-2.0
/*
 * MSI-X: capability, vector table and pending-bit array, on top of the
 * VM's MSI routes (vm_irq_ops). Each vector owns one route and eventfd,
 * created up front. A vector's effective mask is
 *     !enable || function mask || entry mask
 * and msi_update() is called whenever a table entry is written or the
 * effective mask changes, so KVM's route always matches the table.
 *
 * Pending bits: the device signals by writing the eventfd; while masked,
 * KVM has detached it and the count stays in the eventfd until unmask. We
 * only know about fires that go through pci_msix_fire(), which set the
 * PBA bit while masked; unmasking clears it (KVM delivers the held-back
 * interrupt then). Table/PBA accesses must be 4 or 8 bytes, naturally
 * aligned; others read all-ones and are dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci.h"
#include "pci-priv.h"

static uint32_t entry_get(const struct pci_msix *m, unsigned v, unsigned off)
{
	const uint8_t *p = m->table + v * PCI_MSIX_ENTRY_SIZE + off;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool vector_masked(struct pci_func *f, unsigned v)
{
	uint16_t ctrl = (uint16_t)pci_cfg_get(f, f->msix.cap + PCI_MSIX_FLAGS, 2);

	return !(ctrl & PCI_MSIX_FLAGS_ENABLE) || (ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	       (entry_get(&f->msix, v, PCI_MSIX_ENTRY_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* Push vector v's state to KVM if it changed (or always, with force). */
static void vector_update(struct pci_func *f, unsigned v, bool force)
{
	struct pci_msix *m = &f->msix;
	struct pci_msix_vector *vec = &m->vec[v];
	bool masked = vector_masked(f, v);

	if (!force && masked == vec->masked)
		return;
	uint64_t addr = entry_get(m, v, 0) | (uint64_t)entry_get(m, v, 4) << 32;
	int r = m->irq->msi_update(m->irq->opaque, vec->handle, (uint32_t)f->bus << 8 | f->devfn, addr, entry_get(m, v, 8), masked);
	if (r) {
		log_warn("%s: MSI-X vector %u: %s", f->name, v, strerror(-r));
		return;
	}
	vec->masked = masked;
	if (!masked)
		vec->pending = false; /* KVM injects what the eventfd held */
}

void pci_msix_ctrl_changed(struct pci_func *f)
{
	for (unsigned v = 0; v < f->msix.nr; v++)
		vector_update(f, v, false);
}

int pci_msix_init(struct pci_func *f, const struct vm_irq_ops *irq, unsigned nr, unsigned bar,
		  uint32_t table_off, uint32_t pba_off)
{
	struct pci_msix *m = &f->msix;
	uint32_t table_len = nr * PCI_MSIX_ENTRY_SIZE, pba_len = (nr + 63) / 64 * 8;
	uint64_t size;
	uint8_t cap[PCI_MSIX_CAP_SIZE] = { 0 };
	int r;

	if (m->nr || !irq || nr == 0 || nr > PCI_MSIX_MAX_VECTORS || bar >= PCI_NR_BARS)
		return -EINVAL;
	size = f->bars[bar].size;
	if (f->bars[bar].type == PCI_BAR_NONE || f->bars[bar].type == PCI_BAR_IO ||
	    table_off % 8 || pba_off % 8 || table_off + (uint64_t)table_len > size ||
	    pba_off + (uint64_t)pba_len > size ||
	    (table_off < pba_off + pba_len && pba_off < table_off + table_len))
		return -EINVAL;

	m->table = calloc(nr, PCI_MSIX_ENTRY_SIZE);
	m->vec = calloc(nr, sizeof(*m->vec));
	if (!m->table || !m->vec) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned v = 0; v < nr; v++) {
		m->vec[v].handle = -1;
		m->vec[v].masked = true;
		m->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	m->irq = irq;
	for (unsigned v = 0; v < nr; v++) {
		r = irq->msi_create(irq->opaque, &m->vec[v].handle, &m->vec[v].efd);
		if (r) {
			m->vec[v].handle = -1;
			goto fail;
		}
		m->nr = v + 1; /* so that fail: destroys what exists */
	}

	cap[PCI_MSIX_FLAGS] = (uint8_t)(nr - 1);
	cap[PCI_MSIX_FLAGS + 1] = (uint8_t)((nr - 1) >> 8);
	for (int i = 0; i < 4; i++) {
		cap[PCI_MSIX_TABLE + i] = (uint8_t)((table_off | bar) >> (8 * i));
		cap[PCI_MSIX_PBA + i] = (uint8_t)((pba_off | bar) >> (8 * i));
	}
	r = pci_cap_add(f, PCI_CAP_ID_MSIX, cap, sizeof(cap), &m->cap);
	if (r)
		goto fail;
	f->wmask[m->cap + PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	m->nr = nr;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;
	return 0;
fail:
	pci_msix_free(f);
	return r;
}

void pci_msix_free(struct pci_func *f)
{
	struct pci_msix *m = &f->msix;

	for (unsigned v = 0; m->vec && v < m->nr; v++)
		if (m->vec[v].handle >= 0)
			m->irq->msi_destroy(m->irq->opaque, m->vec[v].handle);
	free(m->table);
	free(m->vec);
	m->table = NULL;
	m->vec = NULL;
	m->nr = 0;
}

bool pci_msix_enabled(struct pci_func *f)
{
	bool on;

	pthread_mutex_lock(&f->lock);
	on = f->msix.nr && (pci_cfg_get(f, f->msix.cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	pthread_mutex_unlock(&f->lock);
	return on;
}

int pci_msix_fire(struct pci_func *f, unsigned v)
{
	uint64_t one = 1;
	int r = 0;

	pthread_mutex_lock(&f->lock);
	if (v >= f->msix.nr) {
		r = -EINVAL;
		goto out;
	}
	if (f->msix.vec[v].masked)
		f->msix.vec[v].pending = true;
	if (write(f->msix.vec[v].efd, &one, sizeof(one)) != sizeof(one))
		r = -errno;
out:
	pthread_mutex_unlock(&f->lock);
	return r;
}

int pci_msix_vector_fd(struct pci_func *f, unsigned v)
{
	int fd;

	pthread_mutex_lock(&f->lock);
	fd = v < f->msix.nr ? f->msix.vec[v].efd : -1;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

static bool in_region(uint64_t off, unsigned len, uint64_t start, uint64_t n)
{
	return off < start + n && start < off + len;
}

static bool access_ok(uint64_t off, unsigned len)
{
	return (len == 4 || len == 8) && off % len == 0;
}

bool pci_msix_bar_read(struct pci_func *f, unsigned bar, uint64_t offset, void *data, unsigned len)
{
	struct pci_msix *m = &f->msix;
	uint64_t tlen = (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE, plen = (m->nr + 63) / 64 * 8;

	if (!m->nr || bar != m->bar)
		return false;
	if (in_region(offset, len, m->table_off, tlen)) {
		if (access_ok(offset, len) && offset + len <= m->table_off + tlen)
			memcpy(data, m->table + (offset - m->table_off), len);
		else
			memset(data, 0xff, len);
		return true;
	}
	if (in_region(offset, len, m->pba_off, plen)) {
		memset(data, 0xff, len);
		if (!access_ok(offset, len) || offset + len > m->pba_off + plen)
			return true;
		uint8_t *out = data;
		unsigned first = (unsigned)(offset - m->pba_off) * 8;
		for (unsigned i = 0; i < len * 8; i++) {
			unsigned v = first + i;
			if (i % 8 == 0)
				out[i / 8] = 0;
			if (v < m->nr && m->vec[v].pending)
				out[i / 8] |= (uint8_t)(1u << (i % 8));
		}
		return true;
	}
	return false;
}

bool pci_msix_bar_write(struct pci_func *f, unsigned bar, uint64_t offset, const void *data,
			unsigned len)
{
	struct pci_msix *m = &f->msix;
	uint64_t tlen = (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE, plen = (m->nr + 63) / 64 * 8;

	if (!m->nr || bar != m->bar)
		return false;
	if (in_region(offset, len, m->pba_off, plen))
		return true; /* read-only */
	if (!in_region(offset, len, m->table_off, tlen))
		return false;
	if (!access_ok(offset, len) || offset + len > m->table_off + tlen)
		return true;
	uint64_t rel = offset - m->table_off;
	unsigned v = (unsigned)(rel / PCI_MSIX_ENTRY_SIZE);
	uint8_t *e = m->table + rel;
	if (memcmp(e, data, len) == 0)
		return true;
	memcpy(e, data, len);
	/* Only bit 0 of Vector Control is writable. */
	uint8_t *ctrl = m->table + v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL;
	ctrl[0] &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	ctrl[1] = ctrl[2] = ctrl[3] = 0;
	vector_update(f, v, true);
	return true;
}
