/* SPDX-License-Identifier: Apache-2.0 */
/* Inside vfio/: the objects device.c creates and vfio_pci.c drives. */
#ifndef SKIFF_VFIO_PRIV_H
#define SKIFF_VFIO_PRIV_H

#include <linux/vfio.h>

#include "vfio.h"

struct vfio_iommu {
	int fd;                    /* /dev/iommu */
	uint32_t ioas_id;
	bool map_file;             /* RAM went in with IOMMU_IOAS_MAP_FILE */
	unsigned nr_ram;
	struct { uint64_t gpa, size; } ram[GMEM_MAX_REGIONS];
	char sysfs[128], dev[128];
};

struct vfio_region {
	uint64_t size, offset;     /* offset: in the device fd */
	uint32_t flags;            /* VFIO_REGION_INFO_FLAG_* */
};

struct vfio_device {
	struct vfio_iommu *io;
	char bdf[16];
	int fd;
	uint32_t dev_id;
	uint32_t num_regions, num_irqs;
	struct vfio_region regions[VFIO_PCI_NUM_REGIONS];
	uint32_t msix_count, msi_count, intx_count;
	bool can_reset;            /* VFIO_DEVICE_FLAGS_RESET */
};

/* ---- the guest's function (vfio_pci.c, interrupts in irq.c) ---- */

#define VFIO_PAGE 4096ull
#define VFIO_MAX_PIECES 3
#define VFIO_MSI_MAX 32

struct vfio_piece {
	uint64_t off, size;
	int slot;                  /* -1: not mapped into the guest */
};

struct vfio_bar {
	void *host;                /* mmap of the whole BAR, NULL: trapped */
	uint64_t size;
	unsigned nr;
	struct vfio_piece p[VFIO_MAX_PIECES];
};

/* Which interrupt the device signals now (VFIO allows one kind at a time). */
enum vfio_irq_mode { VFIO_IRQ_OFF, VFIO_IRQ_INTX, VFIO_IRQ_MSI, VFIO_IRQ_MSIX };

struct vfio_msi {
	uint16_t cap;              /* config offset, 0: no MSI for the guest */
	bool is64, maskable;
	unsigned max;              /* vectors the device can have (1..32) */
	unsigned nr;               /* vectors handed to VFIO now */
	int handle[VFIO_MSI_MAX], efd[VFIO_MSI_MAX]; /* vm_irq_ops MSI vectors, -1: none */
};

struct vfio_pci {
	struct pci_func func;
	struct vfio_device *dev;
	struct vfio_map_ops map;
	const struct vm_irq_ops *irq;
	bool on_root;
	enum vfio_irq_mode mode;
	bool intx;                 /* the guest has INTx (pin != 0) */
	int intx_efd, intx_rfd;    /* the resample irqfd while mode is INTX, else -1 */
	struct vfio_msi msi;
	uint16_t exp_cap;          /* PCIe capability, 0: none */
	bool flr;                  /* the guest may Initiate FLR */
	struct vfio_bar bars[PCI_NR_BARS];
};

/* irq.c: INTx, MSI and MSI-X of the assigned function (called with the func lock held). */
int vfio_msi_setup(struct vfio_pci *vp, const uint8_t *real, unsigned off, char *err, size_t errlen);
void vfio_irq_cfg_write(struct vfio_pci *vp, unsigned reg, unsigned len);
/* Back to INTx (or nothing without a pin), as after reset. */
void vfio_irq_default(struct vfio_pci *vp);
/* Everything off at the device and in KVM; MSI vectors freed. */
void vfio_irq_teardown(struct vfio_pci *vp);

/* Format a one-line message into err; returns r if it is -errno, else -EIO. */
int vfio_fail(char *err, size_t errlen, int r, const char *fmt, ...) SKIFF_PRINTF(4, 5);

#endif
