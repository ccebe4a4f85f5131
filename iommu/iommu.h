/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of skiff's vIOMMU topology (docs/iommu.md).
 *
 * A VM gets one guest IOMMU unit for each physical IOMMU instance behind
 * which it has assigned devices, never one spanning several. The plan:
 *
 *   1. placement (sysfs only, before the VM's PCIe root exists): each
 *      device's host IOMMU instance (/sys/bus/pci/devices/BDF/iommu); the
 *      devices of one instance form a unit, and each unit gets a PCIe
 *      root bus of its own (config may pin it), each device a slot;
 *   2. execution (on the VM's iommufd, with the devices bound):
 *      IOMMU_GET_HW_INFO per device; a stage-2 NEST_PARENT HWPT over the
 *      VM's IOAS, shared between units of the same driver type as far as
 *      the kernel accepts (EINVAL on attach or IOMMU_VIOMMU_ALLOC: another
 *      stage-2); an iommufd vIOMMU object per unit where the host type has
 *      one (SMMUv3, Tegra241 CMDQV, the kernel's selftest mock), parent-HWPT
 *      nesting where not (VT-d); a VDEVICE per device with its guest RID.
 *      Fallbacks (no VIOMMU ioctl, no nesting) attach the unit's devices to
 *      the IOAS directly, each announced in one log line.
 *
 * Until the guest-visible vIOMMU models exist, a nested unit's devices are
 * attached to their stage-2 HWPT itself: a valid paging domain with
 * IOVA = GPA, as QEMU does before the guest turns its vIOMMU on.
 *
 * Every raw iommufd ioctl goes through struct iommu_sys (iommu_sys_real()
 * in sys.c; the unit tests pass a fake). Attaching a device is the
 * caller's (VFIO cdev or, in the lab, the kernel's mock device), through
 * the attach callback of each device. Errors: -errno plus one sentence.
 */
#ifndef SKIFF_IOMMU_H
#define SKIFF_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core.h"

#define IOMMU_ERR_MAX 384
#define IOMMU_MAX_DEVS 16
#define IOMMU_MAX_UNITS 8
#define IOMMU_MAX_S2 8
#define IOMMU_NAME_MAX 64
#define IOMMU_WHY_MAX 200

/* IOMMU_GET_HW_INFO out_data_type of the kernel's selftest mock (not in the exported uAPI). */
#define IOMMU_HWTYPE_SELFTEST 0xfeedbeefu
/* Its vIOMMU type and nested-HWPT data type (drivers/iommu/iommufd/iommufd_test.h). */
#define IOMMU_VIOMMU_TYPE_SELFTEST_ID 0xdeadbeefu
#define IOMMU_HWPT_DATA_SELFTEST_ID 0xdeadu

/* Where to look: NULL fields mean "/sys", "/dev" (tests point them elsewhere). */
struct iommu_paths {
	const char *sysfs;
	const char *dev;
};

/* The system-call table: all raw iommufd ioctls of iommu/ go through it. Return -errno. */
struct iommu_sys {
	int (*open)(void *ctx, const char *path);            /* O_RDWR | O_CLOEXEC: fd or -errno */
	void (*close)(void *ctx, int fd);
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	void *ctx;
};
const struct iommu_sys *iommu_sys_real(void);

/*
 * How the plan moves a device: attach to a HWPT (an atomic replace), and
 * detach (DMA blocked) at teardown. The plan never attaches a device to
 * the IOAS: a bound device is on the IOAS already (vfio_device_open leaves
 * it there), and a replace onto the IOAS makes the kernel pick among the
 * IOAS's automatic domains, which the 7.2 kernel does without checking
 * the driver (measured in the lab: a mock device handed VT-d's domain
 * oopses in intel_iommu_attach_device). detach NULL: attach to the IOAS.
 */
struct iommu_attach_ops {
	int (*attach)(void *opaque, uint32_t pt_id);
	int (*detach)(void *opaque);
	void *opaque;
};

/* How a unit's devices reach guest memory. */
enum iommu_unit_mode {
	IOMMU_UNIT_PLANNED,      /* not executed yet */
	IOMMU_UNIT_VIOMMU,       /* an iommufd vIOMMU object over a stage-2 */
	IOMMU_UNIT_PARENT,       /* skiff's own vIOMMU nests on the stage-2 (VT-d) */
	IOMMU_UNIT_DIRECT,       /* fallback: devices on the IOAS, no nesting */
};

/* How one device is attached. */
enum iommu_attach_kind {
	IOMMU_AT_NONE,           /* detached by the teardown */
	IOMMU_AT_IOAS,           /* the VM's IOAS (kernel-made paging domain) */
	IOMMU_AT_STAGE2,         /* the unit's stage-2 HWPT: GPA identity */
	IOMMU_AT_NESTED,         /* a nested HWPT (iommu_plan_alloc_nested) */
};

struct iommu_s2 {
	uint32_t hwpt_id;
	uint32_t hw_type;        /* driver type of the device it was made for */
	unsigned first_unit;     /* the unit it was allocated for */
	unsigned nr_units;       /* units nesting on it */
};

struct iommu_unit {
	char instance[IOMMU_NAME_MAX];  /* sysfs class name: dmar0, smmu3.0x..., iommufd_selftest_iommu.0 */
	unsigned root_bus;       /* root bus index of its devices */
	bool bus_pinned;         /* the config chose it */
	unsigned nr_devs;
	/* execution */
	bool hw_known;           /* IOMMU_GET_HW_INFO answered */
	uint32_t hw_type;        /* IOMMU_HW_INFO_TYPE_*, IOMMU_HWTYPE_SELFTEST */
	uint64_t caps;           /* out_capabilities (0 on kernels before 6.7) */
	unsigned max_pasid_log2;
	uint32_t hw_data[8];     /* the first 32 bytes of the driver's info (cap/ecap, IDRs, ...) */
	uint32_t hw_data_len;     /* bytes of hw_data filled */
	enum iommu_unit_mode mode;
	int s2;                  /* index of its stage-2, -1: none */
	uint32_t viommu_id;      /* IOMMU_UNIT_VIOMMU */
	char why[IOMMU_WHY_MAX]; /* which stage-2 and why, or the fallback's reason */
};

struct iommu_dev {
	char name[32];           /* the config id */
	char bdf[16];            /* host PCI address; "" for a non-PCI (mock) device */
	int pin_bus, pin_slot;   /* config, -1: skiff places it */
	unsigned unit;
	unsigned slot;           /* placed slot on its unit's root bus */
	/* bound */
	uint32_t dev_id;         /* iommufd device id */
	uint32_t virt_id;        /* guest-visible ID: its guest RID (bus << 8 | devfn) */
	struct iommu_attach_ops at;
	/* execution */
	enum iommu_attach_kind attached;
	uint32_t pt_id;          /* what it is attached to */
	uint32_t vdevice_id;     /* 0: none */
	uint32_t nested_id;      /* 0: none */
	char why[IOMMU_WHY_MAX]; /* a per-device fallback, else "" */
};

struct iommu_plan;

/* One device to add to a plan. */
struct iommu_dev_desc {
	const char *name;
	const char *bdf;         /* host PCI address; NULL: not PCI, instance must be given */
	const char *instance;    /* NULL: read the sysfs iommu link of bdf */
	int root_bus, slot;      /* -1: skiff places it */
};

int iommu_plan_create(const struct iommu_sys *sys, const struct iommu_paths *paths, struct iommu_plan **ret,
		      char *err, size_t errlen) SKIFF_MUST_CHECK;
/*
 * Undo what execution did (devices it moved detached, then every object
 * it made destroyed, leaf first) and free the plan. Call it while the
 * devices are still bound (before closing their VFIO fds).
 */
void iommu_plan_destroy(struct iommu_plan *p);

/* Find the device's host IOMMU instance (sysfs) and put it in its unit. */
int iommu_plan_add(struct iommu_plan *p, const struct iommu_dev_desc *d, char *err, size_t errlen)
	SKIFF_MUST_CHECK;

/*
 * Give every unit its own root bus and every device a slot. busy: bit i
 * set = root bus i holds emulated devices (bus 0 always does), never given
 * to a unit unless the config pins one there (refused). min_buses: the
 * buses the VM has anyway. *ret_nr_buses: the root buses the VM needs.
 * -EINVAL with a sentence for pins that cannot hold (two instances on one
 * bus, one instance on two, a slot taken twice), -ENOSPC for too many.
 */
int iommu_plan_place(struct iommu_plan *p, uint32_t busy, unsigned min_buses, unsigned max_buses,
		     unsigned *ret_nr_buses, char *err, size_t errlen) SKIFF_MUST_CHECK;

/* The device was opened, bound and attached to the IOAS: its iommufd id, guest RID, how to move it. */
void iommu_plan_bind(struct iommu_plan *p, unsigned i, uint32_t dev_id, uint32_t virt_id,
		     const struct iommu_attach_ops *at);

/*
 * Build the objects on iommufd (ioas_id: the VM's IOAS; every device
 * bound). On failure everything made is undone (devices moved are
 * detached).
 */
int iommu_plan_execute(struct iommu_plan *p, int iommufd, uint32_t ioas_id, char *err, size_t errlen)
	SKIFF_MUST_CHECK;

/*
 * A nested HWPT for device i (on its unit's vIOMMU, or on its stage-2 for
 * parent nesting) from the guest's table data, and attach the device to
 * it. Until the vIOMMU models exist only the lab's mock test calls this.
 */
int iommu_plan_alloc_nested(struct iommu_plan *p, unsigned i, uint32_t data_type, const void *data,
			    uint32_t len, char *err, size_t errlen) SKIFF_MUST_CHECK;

unsigned iommu_plan_nr_devs(const struct iommu_plan *p);
unsigned iommu_plan_nr_units(const struct iommu_plan *p);
unsigned iommu_plan_nr_s2(const struct iommu_plan *p);
const struct iommu_dev *iommu_plan_dev(const struct iommu_plan *p, unsigned i);
const struct iommu_unit *iommu_plan_unit(const struct iommu_plan *p, unsigned i);
const struct iommu_s2 *iommu_plan_s2(const struct iommu_plan *p, unsigned i);
/* Every object id execution made, leaf first (for tests). Returns how many (may exceed max). */
unsigned iommu_plan_object_ids(const struct iommu_plan *p, uint32_t *ids, unsigned max);

/* "intel-vtd", "arm-smmuv3", "selftest", ... */
const char *iommu_hw_type_name(uint32_t hw_type);
const char *iommu_unit_mode_name(enum iommu_unit_mode m);
const char *iommu_attach_kind_name(enum iommu_attach_kind k);

/*
 * The plan as text or as JSON (docs/iommu.md has the schema). bus_number:
 * maps a root bus index to its first bus number (NULL: the index).
 */
void iommu_plan_print(const struct iommu_plan *p, FILE *out, bool json, unsigned (*bus_number)(void *, unsigned),
		      void *opaque);

#endif
