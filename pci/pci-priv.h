/* SPDX-License-Identifier: Apache-2.0 */
/* Private to pci/: pieces shared between the function model, MSI-X and the root. */
#ifndef SKIFF_PCI_PRIV_H
#define SKIFF_PCI_PRIV_H

#include "pci.h"

/* Recompute BAR decode and call ops->bar_moved for changes (lock held). */
void pci_func_update_bars(struct pci_func *f);

/* MSI-X (msix.c), lock held. */
void pci_msix_free(struct pci_func *f);
void pci_msix_ctrl_changed(struct pci_func *f);
/* True if [offset, offset+len) of BAR bar is the table or PBA (and was handled). */
bool pci_msix_bar_read(struct pci_func *f, unsigned bar, uint64_t offset, void *data, unsigned len);
bool pci_msix_bar_write(struct pci_func *f, unsigned bar, uint64_t offset, const void *data,
			unsigned len);

#endif
