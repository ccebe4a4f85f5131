/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for guest accesses to a virtio-pci function: its config
 * space (through the ECAM window, any offset/length), its BAR (through
 * the root's MMIO windows: common config, ISR, device config, notify,
 * MSI-X table and PBA, wherever the guest has moved it) and device-side
 * notifications in between. The input is a sequence of 8-byte records:
 *
 *   op (1) | len (1) | offset (2, LE) | value (4, LE)
 *
 * op % 4: 0 config read, 1 config write, 2 BAR access (bit 2: write),
 * 3 signal_used(queue value % 4) / signal_config. Besides crashes it
 * checks: the vendor ID never changes, reads of absent functions are
 * all-ones, and every MSI route update names a live vector.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci.h"
#include "virtio.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSI 32

struct fake {
	int efd[MAX_MSI];
	bool used[MAX_MSI];
	unsigned ioev;
};

static int f_msi_create(void *o, int *h, int *efd)
{
	struct fake *f = o;

	for (int i = 0; i < MAX_MSI; i++) {
		if (f->used[i])
			continue;
		f->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (f->efd[i] < 0)
			return -errno;
		f->used[i] = true;
		*h = i;
		*efd = f->efd[i];
		return 0;
	}
	return -ENOSPC;
}

static int f_msi_update(void *o, int h, uint32_t devid, uint64_t addr, uint32_t data, bool masked)
{
	struct fake *f = o;

	(void)devid, (void)addr, (void)data, (void)masked;
	check(h >= 0 && h < MAX_MSI && f->used[h]);
	return 0;
}

static void f_msi_destroy(void *o, int h)
{
	struct fake *f = o;

	check(h >= 0 && h < MAX_MSI && f->used[h]);
	close(f->efd[h]);
	f->used[h] = false;
}

static int f_ioeventfd(void *o, uint64_t addr, unsigned len, int64_t dm, int efd, bool assign)
{
	struct fake *f = o;

	(void)addr, (void)len, (void)dm;
	check(efd >= 0);
	if (assign)
		f->ioev++;
	else
		check(f->ioev-- > 0);
	return 0;
}

static void f_set_level(void *o, unsigned gsi, bool high)
{
	(void)o, (void)high;
	check(gsi >= 16 && gsi < 20);
}

/* A device with two queues and an 8-byte config space. */
struct dev {
	struct virtio_device vdev;
	uint8_t config[8];
};

static uint64_t d_features(struct virtio_device *v)
{
	(void)v;
	return 1ull << 5 | 1ull << VIRTIO_F_EVENT_IDX;
}

static void d_read_config(struct virtio_device *v, uint64_t off, void *data, unsigned len)
{
	struct dev *d = v->priv;

	memset(data, 0, len);
	if (off < sizeof(d->config) && len <= sizeof(d->config) - off)
		memcpy(data, d->config + off, len);
}

static void d_write_config(struct virtio_device *v, uint64_t off, const void *data, unsigned len)
{
	struct dev *d = v->priv;

	if (off < sizeof(d->config) && len <= sizeof(d->config) - off)
		memcpy(d->config + off, data, len);
}

static int d_activate(struct virtio_device *v)
{
	return v->queues[0].size ? 0 : -EINVAL;
}

static void d_reset(struct virtio_device *v)
{
	(void)v;
}

static void d_destroy(struct virtio_device *v)
{
	(void)v;
}

static const struct virtio_device_ops d_ops = {
	d_features, d_read_config, d_write_config, d_activate, d_reset, d_destroy,
};

static struct pci_window *find(struct pci_window *w, unsigned n, uint64_t addr, unsigned len)
{
	for (unsigned i = 0; i < n; i++)
		if (!w[i].pio && addr >= w[i].base && addr - w[i].base < w[i].size &&
		    len <= w[i].size - (addr - w[i].base))
			return &w[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake fk = { 0 };
	const struct vm_irq_ops irq = { .msi_create = f_msi_create, .msi_update = f_msi_update,
					.msi_destroy = f_msi_destroy, .ioeventfd = f_ioeventfd, .opaque = &fk };
	struct pci_root_cfg cfg;
	struct pci_root *root;
	struct virtio_pci *vp;
	struct dev d = { .config = "skiff!!" };
	struct pci_window w[PCI_MAX_WINDOWS];

	log_set_level(LOG_ERROR);
	d.vdev.name = "fuzz";
	d.vdev.device_id = VIRTIO_ID_BLOCK;
	d.vdev.ops = &d_ops;
	d.vdev.priv = &d;
	d.vdev.nr_queues = 2;
	d.vdev.queues[0].max_size = d.vdev.queues[1].max_size = 256;
	check(!pci_root_cfg_x86(&cfg, 2, (struct irq_line){ f_set_level, NULL, 0 }));
	check(!pci_root_create(&cfg, &root));
	check(!virtio_pci_create(root, 0, 3, &d.vdev, &irq, &vp));
	unsigned nw = pci_root_windows(root, w);
	struct pci_func *f = virtio_pci_func(vp);
	uint64_t ecam = cfg.ecam_base + (3u << 15);

	for (size_t i = 0; i + 8 <= size; i += 8) {
		const uint8_t *r = data + i;
		unsigned op = r[0], len = r[1] % 9;
		unsigned off = (unsigned)r[2] | (unsigned)r[3] << 8;
		uint64_t val = (uint64_t)r[4] | (uint64_t)r[5] << 8 | (uint64_t)r[6] << 16 |
			       (uint64_t)r[7] << 24;
		uint8_t buf[8];
		struct pci_window *x;

		if (len == 0)
			len = 4;
		memcpy(buf, &val, 4);
		memcpy(buf + 4, &val, 4);
		switch (op % 4) {
		case 0:
		case 1:
			/* Mostly our function; bit 4 of op targets dev 4 (absent). */
			x = find(w, nw, ecam + (op & 0x10 ? 1u << 15 : 0) + off, len);
			if (!x)
				break;
			if (op % 4 == 1) {
				x->ops->write(x->opaque, ecam + (op & 0x10 ? 1u << 15 : 0) + off - x->base,
					      buf, len);
			} else {
				x->ops->read(x->opaque, ecam + (op & 0x10 ? 1u << 15 : 0) + off - x->base,
					     buf, len);
				if (op & 0x10)
					for (unsigned k = 0; k < len; k++)
						check(buf[k] == 0xff);
			}
			break;
		case 2: {
			uint64_t bar = f->bars[0].mapped;
			if (bar == PCI_BAR_UNMAPPED)
				bar = pci_func_bar_addr(f, 0);
			x = find(w, nw, bar + off, len);
			if (!x)
				break;
			if (op & 4)
				x->ops->write(x->opaque, bar + off - x->base, buf, len);
			else
				x->ops->read(x->opaque, bar + off - x->base, buf, len);
			break;
		}
		case 3:
			if (op & 4)
				virtio_signal_config(&d.vdev);
			else
				virtio_signal_used(&d.vdev, (unsigned)val % 4);
			break;
		}
		uint32_t vid;
		pci_func_cfg_read(f, PCI_VENDOR_ID, &vid, 4);
		check(vid == ((0x1040u + VIRTIO_ID_BLOCK) << 16 | 0x1af4));
	}

	virtio_pci_destroy(vp);
	pci_root_destroy(root);
	check(fk.ioev == 0);
	for (int i = 0; i < MAX_MSI; i++)
		check(!fk.used[i]);
	for (unsigned q = 0; q < d.vdev.nr_queues; q++)
		check(d.vdev.queues[q].kick_fd == -1);
	return 0;
}
