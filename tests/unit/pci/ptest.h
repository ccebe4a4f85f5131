/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers for pci/: a fake vm_irq_ops that records MSI routes,
 * ioeventfds and INTx levels, config-space and MMIO-window accessors, and
 * a root complex built on the fake.
 */
#ifndef SKIFF_TEST_PTEST_H
#define SKIFF_TEST_PTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "layout.h"
#include "pci.h"

/* ---- fake vm_irq_ops ---------------------------------------------------------- */
#define FAKE_MAX 64

struct fake_irq {
	int efd[FAKE_MAX];
	bool used[FAKE_MAX];
	unsigned nr_updates;
	struct { int handle; uint32_t devid; uint64_t addr; uint32_t data; bool masked; } last;
	struct { uint64_t addr; unsigned len; int efd; bool on; } ioev[FAKE_MAX];
	unsigned nr_ioev_calls;
	unsigned gsi_high[32];
	int fail_create_after; /* -1: never */
};

static inline int fake_msi_create(void *opaque, int *ret_handle, int *ret_efd)
{
	struct fake_irq *fi = opaque;

	if (fi->fail_create_after == 0)
		return -ENOSPC;
	if (fi->fail_create_after > 0)
		fi->fail_create_after--;
	for (int i = 0; i < FAKE_MAX; i++) {
		if (fi->used[i])
			continue;
		fi->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fi->efd[i] < 0)
			return -errno;
		fi->used[i] = true;
		*ret_handle = i;
		*ret_efd = fi->efd[i];
		return 0;
	}
	return -ENOSPC;
}

static inline int fake_msi_update(void *opaque, int handle, uint32_t devid, uint64_t addr, uint32_t data, bool masked)
{
	struct fake_irq *fi = opaque;

	if (handle < 0 || handle >= FAKE_MAX || !fi->used[handle])
		return -EINVAL;
	fi->nr_updates++;
	fi->last.handle = handle;
	fi->last.devid = devid;
	fi->last.addr = addr;
	fi->last.data = data;
	fi->last.masked = masked;
	return 0;
}

static inline void fake_msi_destroy(void *opaque, int handle)
{
	struct fake_irq *fi = opaque;

	if (handle >= 0 && handle < FAKE_MAX && fi->used[handle]) {
		close(fi->efd[handle]);
		fi->used[handle] = false;
	}
}

static inline int fake_ioeventfd(void *opaque, uint64_t addr, unsigned len, int64_t datamatch,
				 int efd, bool assign)
{
	struct fake_irq *fi = opaque;

	(void)datamatch;
	fi->nr_ioev_calls++;
	for (int i = 0; i < FAKE_MAX; i++) {
		if (assign && !fi->ioev[i].on) {
			fi->ioev[i].addr = addr;
			fi->ioev[i].len = len;
			fi->ioev[i].efd = efd;
			fi->ioev[i].on = true;
			return 0;
		}
		if (!assign && fi->ioev[i].on && fi->ioev[i].addr == addr && fi->ioev[i].efd == efd) {
			fi->ioev[i].on = false;
			return 0;
		}
	}
	return assign ? -ENOSPC : -ENOENT;
}

static inline int fake_ioev_find(struct fake_irq *fi, uint64_t addr)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (fi->ioev[i].on && fi->ioev[i].addr == addr)
			return fi->ioev[i].efd;
	return -1;
}

static inline unsigned fake_ioev_count(struct fake_irq *fi)
{
	unsigned n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += fi->ioev[i].on;
	return n;
}

static inline void fake_set_level(void *opaque, unsigned gsi, bool high)
{
	struct fake_irq *fi = opaque;

	if (gsi < 32)
		fi->gsi_high[gsi] = high;
}

static inline unsigned fake_open_msi(struct fake_irq *fi)
{
	unsigned n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += fi->used[i];
	return n;
}

static inline struct vm_irq_ops fake_ops(struct fake_irq *fi)
{
	memset(fi, 0, sizeof(*fi));
	fi->fail_create_after = -1;
	return (struct vm_irq_ops){
		.msi_create = fake_msi_create,
		.msi_update = fake_msi_update,
		.msi_destroy = fake_msi_destroy,
		.ioeventfd = fake_ioeventfd,
		.opaque = fi,
	};
}

static inline uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* ---- helpers -------------------------------------------------------------------- */

static inline uint32_t cfg_rd(struct pci_func *f, unsigned reg, unsigned len)
{
	uint32_t v = 0;

	pci_func_cfg_read(f, reg, &v, len);
	return v;
}

static inline void cfg_wr(struct pci_func *f, unsigned reg, uint32_t v, unsigned len)
{
	pci_func_cfg_write(f, reg, &v, len);
}

/* A PCIe function's identity for the tests. */
static const struct pci_func_params t_params = {
	.vendor_id = 0x1234, .device_id = 0x5678, .subsys_vendor_id = 0x1af4, .subsys_id = 0x1100,
	.revision = 3, .class_code = 0x0c0330, .intx_pin = 2, .pcie = true,
};

static inline struct pci_window *find_window(struct pci_window *w, unsigned n, uint64_t addr, bool pio)
{
	for (unsigned i = 0; i < n; i++)
		if (w[i].pio == pio && addr >= w[i].base && addr - w[i].base < w[i].size)
			return &w[i];
	return NULL;
}

static inline uint64_t mmio_rd(struct pci_window *w, unsigned n, uint64_t addr, unsigned len)
{
	struct pci_window *x = find_window(w, n, addr, false);
	uint64_t v = 0;

	if (!x)
		return ~0ull;
	x->ops->read(x->opaque, addr - x->base, &v, len);
	return v;
}

static inline void mmio_wr(struct pci_window *w, unsigned n, uint64_t addr, uint64_t v, unsigned len)
{
	struct pci_window *x = find_window(w, n, addr, false);

	if (x)
		x->ops->write(x->opaque, addr - x->base, &v, len);
}

/* ---- root complex ---------------------------------------------------------------- */

/* The build architecture's layout (vfio's tests use make_root on aarch64 too). */
#if defined(__aarch64__)
#define ptest_root_cfg pci_root_cfg_aarch64
#else
#define ptest_root_cfg pci_root_cfg_x86
#endif

static inline struct pci_root *make_root(unsigned nr, struct fake_irq *fi, bool io)
{
	struct pci_root_cfg c;
	struct pci_root *root = NULL;

	CHECK(!ptest_root_cfg(&c, nr, (struct irq_line){ fake_set_level, fi, 0 }));
	if (io) {
		c.buses[0].io_base = 0xc000;
		c.buses[0].io_size = 0x1000;
	}
	CHECK(!pci_root_create(&c, &root));
	return root;
}
#endif
