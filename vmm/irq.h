/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SKIFF_VMM_IRQ_H
#define SKIFF_VMM_IRQ_H

#include <pthread.h>

#include "core.h"

#define VM_IRQ_MSI_GSI_BASE 24
#define VM_IRQ_MAX_MSI 512

struct vm_msi_vector {
	bool used;
	bool attached;     /* irqfd assigned */
	bool routed;       /* has a route in the table */
	int efd;
	uint64_t addr;
	uint32_t data;
};

struct vm_irq {
	pthread_mutex_t lock;
	int vm_fd;
	struct vm_irq_ops ops;
	struct vm_msi_vector msi[VM_IRQ_MAX_MSI];  /* GSI = VM_IRQ_MSI_GSI_BASE + index */
};

void vm_irq_init(struct vm_irq *vi, int vm_fd);
void vm_irq_destroy(struct vm_irq *vi);

#endif
