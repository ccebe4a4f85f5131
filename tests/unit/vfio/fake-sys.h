/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake of vfio/vfio-sys.h: an iommufd and one vfio-pci device (an
 * NVMe-like function: 16 KiB 64-bit BAR 0 with 4 MSI-X vectors, table at
 * 0x2000, PBA at 0x3000; INTA; PM, MSI (64-bit, maskable, 8 vectors),
 * MSI-X and PCIe (FLR capable) capabilities). fds are real eventfds so
 * that leaks show in /proc/self/fd. Every call counts; fail_nth makes the
 * n-th call fail with fail_errno. SET_IRQS keeps VFIO's rule of one
 * interrupt kind at a time (EINVAL otherwise).
 */
#ifndef SKIFF_TEST_FAKE_SYS_H
#define SKIFF_TEST_FAKE_SYS_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_CFG_OFFSET (7ull << 40)

struct fake_sys {
	unsigned calls;
	unsigned fail_nth;         /* 0: never */
	int fail_errno;
	int open_err_vfio;         /* forced error on opening the cdev */
	int bind_err, attach_err;
	bool no_map_file;          /* MAP_FILE gives ENOTTY */
	bool no_mmap;              /* BAR region without the MMAP flag */
	unsigned nr_map_file, nr_map;
	unsigned live_ioas;        /* IOAS objects not yet freed by close */
	int iommu_fd;
	unsigned resets;
	unsigned set_irqs_calls, set_irqs_count, set_irqs_flags, set_irqs_index;
	int set_irqs_fds[8];
	int irq_on;                /* VFIO_PCI_*_IRQ_INDEX with a trigger set, -1: none */
	unsigned irq_on_count;
	int intx_unmask_fd;        /* INTx's unmask eventfd, -1: none */
	/* the test's irqfd_resample fake */
	unsigned resample_live, resample_gsi;
	int resample_efd, resample_rfd;
	unsigned live_mmaps;
	uint16_t dev_command;      /* last command register write */
	uint64_t last_bar_write_off;
	uint32_t last_bar_write;
	uint8_t cfg[256];
};

extern struct fake_sys fake;
void fake_reset(void);
/* Count a call that is not a syscall of vfio/ (a vm_irq_ops fake); true: fail it with *r. */
bool fake_fail_now(int *r);

#endif
