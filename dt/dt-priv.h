/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by dt.c (top-level nodes) and dt_pci.c (host bridges, SMMUs). */
#ifndef SKIFF_DT_PRIV_H
#define SKIFF_DT_PRIV_H

#include <libfdt.h>

#include "dt.h"

/* Phandles are fixed: the tree's shape is, and fixed numbers keep DTBs comparable. */
enum {
	PH_GIC = 1,
	PH_ITS = 2,
	PH_CLK = 3,
	PH_MSI_WINDOW = 4,
	PH_SMMU0 = 16,   /* vSMMUv3 i: PH_SMMU0 + i */
	PH_PCIDEV0 = 64, /* host h's device d: PH_PCIDEV0 + h * 32 + d */
};

/* GIC interrupt specifier: type (0 SPI, 1 PPI), number, flags. */
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_EDGE_RISING 1u
#define IRQ_LEVEL_HIGH  4u

/*
 * Sequential-write state: the first libfdt error sticks and every later
 * call is skipped, so node builders need not check each property.
 */
struct dtw {
	void *fdt;
	int err;   /* a libfdt FDT_ERR_* (negative), 0 while fine */
};

/* A tree in buf (size bytes, at most 2 GiB used); dtw_finish: 0 with *len, -ENOSPC, or -EIO logged. */
void dtw_start(struct dtw *w, void *buf, size_t size);
int dtw_finish(struct dtw *w, size_t *len);
void dtw_begin(struct dtw *w, const char *name);
void dtw_end(struct dtw *w);
void dtw_prop(struct dtw *w, const char *name, const void *val, size_t len);
void dtw_u32(struct dtw *w, const char *name, uint32_t v);
void dtw_str(struct dtw *w, const char *name, const char *s);
void dtw_empty(struct dtw *w, const char *name);
/* A property of n 32-bit cells, converted to big-endian. */
void dtw_cells(struct dtw *w, const char *name, const uint32_t *cells, size_t n);
/* "reg" of n (address, size) pairs with #address-cells = #size-cells = 2. */
void dtw_reg(struct dtw *w, const struct dt_range *r, size_t n);
/* "NAME@HEXADDR" */
void dtw_begin_at(struct dtw *w, const char *name, uint64_t addr);

/* dt_pci.c */
int dt_check_pci(const struct dt_params *p);
void dt_smmuv3_nodes(struct dtw *w, const struct dt_params *p);
/* /reserved-memory with the MSI window, when a host has msi_direct_devs. */
void dt_msi_window_node(struct dtw *w, const struct dt_params *p);
void dt_pci_nodes(struct dtw *w, const struct dt_params *p);

#endif
