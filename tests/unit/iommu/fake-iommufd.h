/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake iommufd behind struct iommu_sys that models the kernel's rules as
 * docs/iommufd-uapi notes them: one ID space; IOMMU_DESTROY gives ENOENT
 * for unknown ids and EBUSY while something holds the object; NEST_PARENT
 * only where the instance nests (else EOPNOTSUPP); IOMMU_VIOMMU_ALLOC only
 * for the instance's own vIOMMU type (EOPNOTSUPP), on a nest parent
 * (EINVAL) its instance can use (EINVAL); VDEVICE EEXIST/EINVAL/ENOENT;
 * nested HWPTs; struct sizes as an older kernel has them (E2BIG when the
 * caller's tail is non-zero, or always with strict_size). Several host
 * instances of several types; two instances can share a stage-2 only when
 * their s2_key is equal (the kernel's compatibility, whatever it is).
 * Offering a stage-2 across driver types sets `hazard` (the real kernel
 * has hung there) and fails with EINVAL.
 *
 * IOAS areas (for the vVT-d shadow backend): IOMMU_IOAS_ALLOC, MAP_FILE
 * (only of the registered memfd) and MAP (only inside the registered VMM
 * mapping) with FIXED_IOVA, each call one area as in the kernel's
 * io_pagetable; a map over an existing area is EEXIST, over the reserved
 * range of an IOAS with a device attached EINVAL; IOMMU_IOAS_UNMAP removes
 * the areas inside the range in IOVA order and fails with ENOENT at the
 * first area the range cuts (those before it stay unmapped, as in
 * iopt_unmap_iova_range) or when it holds none. Destroying an IOAS drops
 * its areas; attaching a device to an IOAS with an area in the reserved
 * range is EADDRINUSE.
 */
#ifndef SKIFF_TEST_FAKE_IOMMUFD_H
#define SKIFF_TEST_FAKE_IOMMUFD_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu.h"

enum fake_op {
	FOP_HW_INFO, FOP_HWPT_ALLOC, FOP_VIOMMU_ALLOC, FOP_VDEVICE_ALLOC, FOP_DESTROY, FOP_ATTACH,
	FOP_IOAS_ALLOC, FOP_MAP, FOP_UNMAP, FOP_INVALIDATE, FOP_VEVENTQ_ALLOC, FOP_N
};

struct fake_inst {
	const char *name;
	uint32_t hw_type;
	bool nesting;          /* NEST_PARENT allowed */
	bool viommu_obj;       /* VIOMMU_ALLOC allowed (SMMUv3 with CANWBS/S2FWB, selftest) */
	int s2_key;            /* equal keys may share a stage-2 */
};

enum fake_kind { FK_FREE, FK_IOAS, FK_DEVICE, FK_PAGING, FK_NESTED, FK_VIOMMU, FK_VDEVICE, FK_VEVENTQ };

struct fake_obj {
	enum fake_kind kind;
	int inst;              /* device / object made for a device behind it */
	bool nest_parent;
	uint32_t holds;        /* the object it keeps busy (IOAS, parent, vIOMMU) */
	unsigned users;
	uint32_t pt;           /* FK_DEVICE: what it is attached to */
	uint64_t virt_id;      /* FK_VDEVICE */
	uint32_t dev;          /* FK_VDEVICE: its device */
	uint32_t data_type;    /* FK_NESTED: what it was made from */
	uint8_t data[32];
	uint32_t data_len;
};

/* One IOMMU_HWPT_INVALIDATE as the fake received it. */
#define FAKE_INV_LOG 64
#define FAKE_INV_BYTES 4096
struct fake_inv {
	uint32_t hwpt_id, data_type, entry_len, entry_num;
	uint32_t done;             /* entry_num written back */
	int ret;
	uint8_t data[FAKE_INV_BYTES];  /* the entries (as many as fit) */
};

#define FAKE_MAX_OBJ 128
#define FAKE_MAX_AREAS 8192

/* One IOAS area: what one IOMMU_IOAS_MAP(_FILE) made. */
struct fake_area {
	uint32_t ioas;            /* 0: free slot */
	uint64_t iova, len;
	uint64_t start;           /* offset in the memfd (MAP: derived from the VMM address) */
	uint32_t flags;           /* IOMMU_IOAS_MAP_READABLE / WRITEABLE */
	bool file;                /* made by MAP_FILE */
};

struct fake_iommufd {
	struct fake_inst inst[8];
	unsigned nr_inst;
	struct fake_obj obj[FAKE_MAX_OBJ]; /* index = id; 0 unused */
	uint32_t next_id;
	/* the kernel's version */
	bool no_hwpt_alloc, no_viommu;     /* ENOTTY */
	uint32_t ksz_hw_info, ksz_hwpt_alloc, ksz_viommu_alloc;
	bool strict_size;
	/* fault injection */
	unsigned calls, fail_nth;
	int fail_errno;
	int force[FOP_N];                  /* errno for the force_at-th call of that kind (1: the next) */
	unsigned force_at[FOP_N];
	unsigned n[FOP_N];                 /* calls per kind */
	bool hazard;
	unsigned ioas_attaches;             /* attaches onto an IOAS (the plan must make none) */
	int failed_op;                     /* the op fail_nth hit, -1: none */
	int fd;                            /* the eventfd standing in for /dev/iommu */
	/* IOAS areas */
	struct fake_area areas[FAKE_MAX_AREAS];
	unsigned nr_areas;                 /* live areas */
	int memfd;                         /* the only fd MAP_FILE accepts */
	uint64_t mem_size;                 /* its size */
	uintptr_t mem_host;                /* the VMM mapping MAP accepts (mem_size bytes) */
	bool no_map_file;                  /* MAP_FILE gives map_file_errno (ENOTTY: before 6.13) */
	int map_file_errno;
	uint64_t resv_first, resv_last;    /* reserved IOVA of an IOAS with a device attached; last 0: none */
	unsigned unmap_cuts;               /* UNMAPs refused because the range cut an area */
	/* IOMMU_HWPT_INVALIDATE: every call logged (the last FAKE_INV_LOG); a failure at an entry */
	struct fake_inv inv[FAKE_INV_LOG];
	unsigned nr_inv;                   /* calls so far */
	int inv_fail_errno;                /* fail the next call at entry inv_fail_at (entry_num = it) */
	uint32_t inv_fail_at;
	/* IOMMU_VEVENTQ_ALLOC: a pipe; the test writes vEVENTs into veventq_wfd */
	int veventq_wfd;
	/* IOMMU_GET_HW_INFO's driver data (the first 32 bytes), when set */
	uint32_t hw_data[8];
	bool hw_data_set;
};

extern struct fake_iommufd fk;
extern const struct iommu_sys fake_sys;

void fake_reset(void);
int fake_add_inst(const char *name, uint32_t hw_type, bool nesting, bool viommu_obj, int s2_key);
uint32_t fake_ioas(void);
uint32_t fake_device(int inst);
/* VFIO_DEVICE_ATTACH_IOMMUFD_PT / DETACH for a fake device (both count as FOP_ATTACH). */
int fake_attach(uint32_t dev_id, uint32_t pt_id);
int fake_detach(uint32_t dev_id);
/* Objects other than IOAS and devices. */
unsigned fake_live_objects(void);
bool fake_exists(uint32_t id);
/* The memfd MAP_FILE accepts and the VMM mapping MAP accepts, both of size bytes. */
void fake_set_mem(int memfd, void *host, uint64_t size);
/* Areas of an IOAS; whether iova is mapped there: its memfd offset and flags. */
unsigned fake_ioas_areas(uint32_t ioas);
bool fake_lookup(uint32_t ioas, uint64_t iova, uint64_t *ret_start, uint32_t *ret_flags);
/* The k-th IOMMU_HWPT_INVALIDATE call (0: the first), NULL if not logged. */
const struct fake_inv *fake_inv_call(unsigned k);
/* What device dev_id is attached to now (0: nothing). */
uint32_t fake_attached(uint32_t dev_id);
const struct fake_obj *fake_obj(uint32_t id);

#endif
