/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SKIFF_VMM_IRQ_H
#define SKIFF_VMM_IRQ_H

#include <pthread.h>

#include "core.h"

#define VM_IRQ_MAX_MSI 512

struct vm_msi_vector {
	bool used;
	bool attached;     /* irqfd assigned */
	bool routed;       /* has a route in the table */
	int efd;
	uint32_t devid;
	uint64_t addr;
	uint32_t data;
};

/* The in-kernel interrupt controller whose pins the GSIs below the MSIs name. */
enum vm_irqchip {
	VM_IRQCHIP_X86,     /* PIC + IOAPIC: GSIs 0-23, MSIs from GSI 24 */
	VM_IRQCHIP_GICV3,   /* GSI n = SPI n (INTID 32 + n), MSIs through the ITS with DeviceIDs */
};

struct vm_irq {
	pthread_mutex_t lock;
	int vm_fd;
	enum vm_irqchip chip;
	unsigned nr_pins;         /* irqchip GSIs 0..nr_pins-1 */
	unsigned msi_gsi_base;    /* GSI of msi[0] */
	/*
	 * Non-zero: every MSI route names this doorbell, whatever address the
	 * guest programmed. On GICv3 the VM has one ITS, and KVM finds it by
	 * the route's address; behind a vSMMUv3 the guest programs an IOVA
	 * (its stage-1 maps the doorbell there), which KVM would not find.
	 */
	uint64_t msi_doorbell;
	struct vm_irq_ops ops;
	struct vm_msi_vector msi[VM_IRQ_MAX_MSI];  /* GSI = msi_gsi_base + index */
};

/* nr_spis: the GIC's SPI count with VM_IRQCHIP_GICV3, ignored on x86. */
void vm_irq_init(struct vm_irq *vi, int vm_fd, enum vm_irqchip chip, unsigned nr_spis);
void vm_irq_destroy(struct vm_irq *vi);

#endif
