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
/* Its invalidation data types (nested HWPT, vIOMMU) and its VEVENTQ type. */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_ID 0xdeadbeefu
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_ID 0xdeadbeefu
#define IOMMU_VEVENTQ_TYPE_SELFTEST_ID 0xbeefbeefu

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

/*
 * The host's software MSI window for PCI function bdf: the "msi" line of
 * its IOMMU group's reserved_regions (sysfs NULL: /sys), where iommufd
 * maps the interrupt controller's doorbell into a device's stage-2 (Arm
 * SMMUv3: 0x8000000, 1 MiB). -ENOENT: none; -errno: unreadable.
 */
int iommu_sysfs_msi_window(const char *sysfs, const char *bdf, uint64_t *base, uint64_t *size);

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

/* ==== The guest-visible Intel VT-d (vVT-d; docs/vvtd.md) ==================
 *
 * One struct vtd per guest DMA-remapping unit: a 4 KiB register page the
 * VMM puts on its MMIO bus (vtd_mmio_ops) and the DMAR describes. The
 * model offers scalable mode with 256-bit queued-invalidation
 * descriptors, first-stage translation (4- and 5-level), page-selective
 * invalidation and caching mode (so the guest invalidates after changing
 * context and PASID entries). Caching mode does not cover first-stage
 * mappings (VT-d spec 6.1): Linux invalidates after unmapping a
 * first-stage page but not after mapping one. A unit with a backend
 * therefore also offers RWBF: the write-buffer flush Linux then does after
 * every map (GCMD.WBF) reaches the backend as iotlb_invalidate(-1, 0, 0)
 * and a flush(), GSTS.WBFS held until it returns (docs/vvtd.md). No
 * interrupt remapping, no second-stage translation for the guest.
 *
 * Threads: vCPU threads call the register callbacks; a tail-register
 * write only records the tail and signals vtd_kick_fd(); the engine's
 * io_uring thread (struct iq_engine) then calls vtd_drain(), which reads
 * the queue from guest memory, applies every descriptor, calls the backend
 * once per batch, and completes invalidation-wait descriptors in order.
 * Device worker threads call vtd_translate(). One lock per unit.
 *
 * Everything the guest writes is hostile: a malformed descriptor stops the
 * queue at that descriptor with an Invalidation Queue Error (FSTS.IQE, the
 * fault event interrupt), a table the walk cannot read is a translation
 * fault recorded in the fault-recording registers, never a VMM crash and
 * never an access outside guest RAM.
 */
#define VTD_REG_SIZE 0x1000u
#define VTD_PASID_ANY 0xffffffffu

struct vtd;

/* What the model needs from the VM. */
struct vtd_env {
	const struct gmem *mem;      /* tables, the queue, wait-descriptor status writes */
	/* Deliver an MSI the guest programmed (fault event, completion event). */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	void *opaque;
};

/* How one requester ID translates (RID_PASID, i.e. requests without PASID). */
enum vtd_dev_mode {
	VTD_DEV_OFF,          /* translation disabled (GSTS.TES clear): DMA addresses are GPAs */
	VTD_DEV_PASSTHROUGH,  /* scalable-mode PASID entry with PGTT pass-through */
	VTD_DEV_BLOCKED,      /* no valid entry: every DMA faults (fault_reason says why) */
	VTD_DEV_FIRST_STAGE,  /* first-stage table at fs_root */
};

struct vtd_dev_state {
	enum vtd_dev_mode mode;
	uint16_t did;                /* domain id (PASSTHROUGH, FIRST_STAGE) */
	gpa_t fs_root;               /* FIRST_STAGE: the top-level table (FSPTPTR) */
	unsigned levels;             /* FIRST_STAGE: 4 or 5 */
	bool write_protect_ok;       /* FIRST_STAGE: WPE semantics (supervisor writes to R/O fault) */
	uint8_t fault_reason;        /* BLOCKED: the architected reason code */
};

/*
 * Where the host side of a unit's translations lives. Emulated devices
 * need none (the model's own IOTLB serves vtd_translate()); assigned
 * devices on a host without nesting use the shadow backend (iommu/
 * vtd_shadow.c). Called on the drain thread with the unit's lock NOT held,
 * so a backend may call vtd_device_state() and vtd_walk().
 */
struct vtd_backend_ops {
	/* A context / PASID-cache / global invalidation covering rid (-1: every rid) was applied. */
	void (*context_changed)(void *opaque, struct vtd *v, int rid);
	/*
	 * An IOTLB or PASID-based IOTLB invalidation: [iova, iova + len) of
	 * domain did (-1: every domain; len 0: the whole address space).
	 */
	void (*iotlb_invalidate)(void *opaque, struct vtd *v, int did, uint64_t iova, uint64_t len);
	/*
	 * End of a batch: before an invalidation wait completes and at the end
	 * of every drain. Issue the host calls; return how many were made, or
	 * -errno (logged once; the guest sees the wait complete: there is no
	 * architected error for a host failure, devices fault instead).
	 */
	int (*flush)(void *opaque, struct vtd *v);
	void *opaque;
};

/*
 * For a backend's flush() (the drain thread): the host failed the
 * invalidation of the nth iotlb_invalidate() call since the previous
 * flush (0: the first) and may not have done those after it; the ones
 * before it are done. The model then stops the queue with IQE at that
 * call's descriptor (IQH left there, the wait after it not completed), as
 * hardware does for a descriptor it cannot process; a register-based
 * invalidation, or one beyond the first 256 of a batch, is only logged.
 */
void vtd_backend_failed(struct vtd *v, unsigned nth);

struct vtd_params {
	unsigned index;              /* for messages: "vvtd0" */
	unsigned addr_width;         /* guest address width: 48 (4-level) or 57 (5-level) */
	/*
	 * The backend nests in hardware (vtd_nested.c): first-stage maps need
	 * no host work, so no RWBF; FS1GP, FS5LP, SMPWCS and C are offered only
	 * where host_cap/host_ecap (the host unit's, IOMMU_GET_HW_INFO) have
	 * them, so the guest never builds a table the host cannot walk.
	 */
	bool nested;
	uint64_t host_cap, host_ecap;
	uint8_t bus;                 /* the root bus number this unit serves (for fault records) */
	const struct vtd_backend_ops *backend; /* NULL: emulated devices only */
	/*
	 * How long a GCMD.WBF write may hold the writing vCPU until the drain
	 * thread has flushed (then WBFS reads clear at once); 0: the write
	 * returns at once and the guest polls WBFS. Only with a thread
	 * draining (the queue engine): a caller that drains itself after the
	 * write would wait for nothing. See docs/vvtd.md, "Shadow backend".
	 */
	unsigned wbf_wait_ms;
};

/* The unit with its registers at reset values. -errno and one sentence. */
int vtd_create(const struct vtd_params *p, const struct vtd_env *env, struct vtd **ret, char *err,
	       size_t errlen) SKIFF_MUST_CHECK;
void vtd_destroy(struct vtd *v);
/* Register page callbacks: bus_register(..., VTD_REG_SIZE, &vtd_mmio_ops, v, ...). */
extern const struct bus_device_ops vtd_mmio_ops;
/* Readable (eventfd) when the guest moved the queue tail: call vtd_drain(). */
int vtd_kick_fd(const struct vtd *v);
/* Process the invalidation queue up to the tail (the engine's thread). */
void vtd_drain(struct vtd *v);

/* Emulated devices: translate one access of device rid (a struct dma_xlate backend). */
int vtd_translate(struct vtd *v, uint16_t rid, uint64_t iova, uint64_t len, bool write, gpa_t *gpa,
		  uint64_t *contig);
/* How rid translates now (walks root/context/PASID tables; no fault recorded). */
void vtd_device_state(struct vtd *v, uint16_t rid, struct vtd_dev_state *st);
/*
 * Every present first-stage leaf of st overlapping [iova, iova + len), in
 * IOVA order, clipped to the range: fn(opaque, iova, gpa, size, writable);
 * a non-zero return stops the walk and is returned. Unreadable tables end
 * the walk with -EFAULT. No fault recorded.
 */
int vtd_walk(struct vtd *v, const struct vtd_dev_state *st, uint64_t iova, uint64_t len,
	     int (*fn)(void *opaque, uint64_t iova, gpa_t gpa, uint64_t size, bool writable), void *opaque);

/* The unit's counters (docs/vvtd.md): what benchmarks print. */
struct vtd_stats {
	uint64_t drains;             /* vtd_drain() calls that found work */
	uint64_t descriptors;        /* guest descriptors processed */
	uint64_t waits;              /* invalidation waits completed */
	uint64_t host_calls;         /* sum of the backend's flush() returns */
	uint64_t iqe;                /* invalidation queue errors raised */
	uint64_t faults;             /* translation faults recorded */
	uint64_t iotlb_hits, iotlb_misses;
	uint64_t wbfs;               /* write-buffer flushes the guest asked for (GCMD.WBF, with RWBF) */
	uint64_t wbf_wait_timeouts;  /* ... that outlasted wbf_wait_ms: the guest polled WBFS after */
};
void vtd_get_stats(struct vtd *v, struct vtd_stats *out);

/*
 * The shadow backend (vtd_shadow.c): assigned devices behind a vVT-d on a
 * host without nesting. A device starts on the VM's IOAS (GPA identity,
 * as while the guest has translation off); when the guest gives it a
 * first-stage domain it moves to a shadow IOAS of that domain, which
 * mirrors the guest's mappings (IOVA -> the guest page's offset in the RAM
 * memfd), updated from the invalidations of each drain with contiguous
 * runs coalesced into as few IOMMU_IOAS_MAP_FILE / IOMMU_IOAS_UNMAP calls
 * as possible; pass-through puts it back on the VM's IOAS, blocked
 * detaches it.
 */
struct vtd_shadow;
int vtd_shadow_create(const struct iommu_sys *sys, int iommufd, uint32_t vm_ioas_id, const struct gmem *mem,
		      struct vtd_shadow **ret, char *err, size_t errlen) SKIFF_MUST_CHECK;
/* Before the guest runs: device rid is moved through at. */
int vtd_shadow_add_device(struct vtd_shadow *s, uint16_t rid, const struct iommu_attach_ops *at, char *err,
			  size_t errlen) SKIFF_MUST_CHECK;
const struct vtd_backend_ops *vtd_shadow_backend(struct vtd_shadow *s);
/* Devices back on the VM's IOAS, shadow IOASes destroyed. */
void vtd_shadow_destroy(struct vtd_shadow *s);

/* The shadow's counters (docs/vvtd.md, "shadow backend"); any thread. */
struct vtd_shadow_stats {
	uint64_t flushes;            /* flush() calls that made host calls */
	uint64_t host_calls;         /* every ioctl and device move they made */
	uint64_t maps;               /* IOMMU_IOAS_MAP_FILE / IOMMU_IOAS_MAP calls */
	uint64_t unmaps;             /* IOMMU_IOAS_UNMAP calls */
	uint64_t mapped_bytes;       /* bytes those maps covered */
	uint64_t leaves;             /* first-stage leaves the walks visited */
	uint64_t moves;              /* device attaches and detaches */
	uint64_t ioas_allocs, ioas_destroys;
	uint64_t mmio_skipped;       /* leaves pointing outside RAM, not mapped */
	uint64_t errors;             /* host calls that failed */
	uint64_t areas;              /* IOAS areas mapped now, over all shadow IOASes */
	uint64_t domains;            /* shadow IOASes now */
};
void vtd_shadow_get_stats(struct vtd_shadow *s, struct vtd_shadow_stats *out);

/*
 * The nested backend (vtd_nested.c, docs/vvtd.md "Nested backend"):
 * assigned devices behind a vVT-d on a host VT-d that nests. A device's
 * first-stage PASID entry (RID_PASID) becomes an IOMMU_HWPT_DATA_VTD_S1
 * nested HWPT on the unit's stage-2 parent (one per guest domain and table
 * root), the device replace-attached to it; pass-through and translation
 * off put it on the stage-2 (GPA identity), blocked detaches it. The IOTLB
 * invalidations of one batch are ONE IOMMU_HWPT_INVALIDATE per nested HWPT;
 * a failure at an entry is an IQE at its descriptor (vtd_backend_failed).
 * Give the unit vtd_params.nested with the host's caps (the selftest
 * flavour, for the kernel's mock IOMMU in the lab, keeps the model's).
 */
struct vtd_nested;
struct vtd_nested_params {
	const struct iommu_sys *sys;
	int iommufd;
	uint32_t s2_id;              /* the unit's stage-2 (NEST_PARENT) HWPT */
	bool selftest;               /* the kernel's mock IOMMU's data types */
};
int vtd_nested_create(const struct vtd_nested_params *p, struct vtd_nested **ret, char *err, size_t errlen)
	SKIFF_MUST_CHECK;
/* Before the guest runs; the device is on the stage-2 (the plan put it there). */
int vtd_nested_add_device(struct vtd_nested *n, uint16_t rid, uint32_t dev_id, const struct iommu_attach_ops *at,
			  char *err, size_t errlen) SKIFF_MUST_CHECK;
const struct vtd_backend_ops *vtd_nested_backend(struct vtd_nested *n);
/* Devices back on the stage-2, nested HWPTs destroyed. */
void vtd_nested_destroy(struct vtd_nested *n);
/* The nested HWPT device rid is attached to now (0: none); for tests and diagnostics. */
uint32_t vtd_nested_hwpt(struct vtd_nested *n, uint16_t rid);
/* The host unit's CAP_REG and ECAP_REG from its IOMMU_GET_HW_INFO (struct iommu_hw_info_vtd); false: none. */
bool vtd_nested_host_caps(const struct iommu_unit *u, uint64_t *ret_cap, uint64_t *ret_ecap);

struct vtd_nested_stats {
	uint64_t flushes;            /* flush() calls that made host calls */
	uint64_t host_calls;         /* every ioctl and device move they made */
	uint64_t invalidations;      /* IOMMU_HWPT_INVALIDATE calls */
	uint64_t entries;            /* entries they carried */
	uint64_t partial;            /* calls the kernel failed part way */
	uint64_t hwpt_allocs;        /* nested HWPTs made */
	uint64_t attaches;           /* device attaches and detaches */
	uint64_t errors;             /* host calls that failed */
	uint64_t domains;            /* nested HWPTs now */
};
void vtd_nested_get_stats(struct vtd_nested *n, struct vtd_nested_stats *out);

/*
 * The queue engine (engine.c): one thread with an io_uring (liburing)
 * that waits on every registered kick fd (and later event-queue fds) and
 * calls the owner's drain for each that fired. iommufd has no io_uring
 * command, so the drains' host ioctls stay synchronous on this thread.
 */
struct iq_engine;
int iq_engine_create(struct iq_engine **ret, char *err, size_t errlen) SKIFF_MUST_CHECK;
/* Before iq_engine_start(): drain(opaque) runs on the engine thread whenever fd is readable. */
int iq_engine_add(struct iq_engine *e, int fd, void (*drain)(void *opaque), void *opaque) SKIFF_MUST_CHECK;
int iq_engine_start(struct iq_engine *e) SKIFF_MUST_CHECK;
/*
 * An event-queue fd (an iommufd VEVENTQ): like iq_engine_add, but the
 * engine reads nothing from it; drain(opaque) reads the events itself.
 */
int iq_engine_add_events(struct iq_engine *e, int fd, void (*drain)(void *opaque), void *opaque) SKIFF_MUST_CHECK;
/* Stop the thread (waits for a running drain) and free. NULL is allowed. */
void iq_engine_destroy(struct iq_engine *e);

/* ==== The guest-visible Arm SMMUv3 (vSMMUv3; docs/vsmmuv3.md) =============
 *
 * One struct smmuv3 per guest SMMUv3 (an IORT SMMUv3 node): register page
 * 0 and page 1, 64 KiB each, on the VMM's MMIO bus (smmuv3_mmio_ops over
 * SMMUV3_REG_SIZE). The model offers stage 1 only (AArch64 tables, 48-bit
 * input and output addresses, 16-bit ASIDs), linear and 2-level stream
 * tables, linear and 2-level CD tables, the command queue, the event
 * queue and MSIs; no stage 2, no PRI, no stall model, no wired interrupts.
 *
 * Threads: vCPU threads call the register callbacks; a CMDQ_PROD write
 * only records the index and signals smmuv3_kick_fd(); the engine's
 * thread (struct iq_engine) then calls smmuv3_drain(), which reads the
 * commands from guest memory, reports STE changes to the backend as it
 * meets them, accumulates the invalidations the host must see and hands
 * them to the backend as one batch at each CMD_SYNC (and at the end of
 * the drain) before completing the CMD_SYNC. The backend is called with
 * the unit's lock NOT held. smmuv3_inject_event() may be called from any
 * thread. One lock per unit.
 *
 * Everything the guest writes is hostile: an unknown or malformed command
 * stops the queue at that command with CERROR_ILL in CMDQ_CONS.ERR and
 * GERROR.CMDQ_ERR (plus the GERROR MSI) until the guest acknowledges it
 * through GERRORN; a table the decoder cannot read is the architected
 * event code in the decoded result; never a VMM crash, never an access
 * outside guest RAM.
 */
#define SMMUV3_REG_SIZE 0x20000u     /* page 0 + page 1 */
#define SMMUV3_PAGE_SIZE 0x10000u
#define SMMUV3_CMD_SIZE 16u
#define SMMUV3_EVENT_SIZE 32u
#define SMMUV3_MAX_STREAMS 64u       /* StreamIDs one unit reports to its backend */
#define SMMUV3_BATCH_MAX 256u        /* invalidations per backend flush */

/* Event record types (the architected codes; also why a decoded STE/CD is unusable). */
#define SMMUV3_EVT_C_BAD_STREAMID 0x02
#define SMMUV3_EVT_F_STE_FETCH 0x03
#define SMMUV3_EVT_C_BAD_STE 0x04
#define SMMUV3_EVT_C_BAD_SUBSTREAMID 0x08
#define SMMUV3_EVT_F_CD_FETCH 0x09
#define SMMUV3_EVT_C_BAD_CD 0x0a

/* Command queue error codes (CMDQ_CONS.ERR). */
#define SMMUV3_CERROR_NONE 0
#define SMMUV3_CERROR_ILL 1
#define SMMUV3_CERROR_ABT 2

struct smmuv3;

/* What the model needs from the VM. */
struct smmuv3_env {
	const struct gmem *mem;      /* tables, queues, MSI writes that land in RAM (CMD_SYNC polling) */
	/* Deliver an MSI the guest programmed whose address is not guest RAM (the GIC ITS doorbell). */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data);
	void *opaque;
};

/* What a stream's transactions get. */
enum smmuv3_config {
	SMMUV3_CFG_ABORT,            /* terminated (the STE says so, or no usable STE: see event) */
	SMMUV3_CFG_BYPASS,           /* untranslated: DMA addresses are GPAs */
	SMMUV3_CFG_S1,               /* stage-1 translation through the CD table at s1_ctx_ptr */
};

/* A stream's effective configuration (SMMUEN, GBPA and its STE). */
struct smmuv3_ste {
	enum smmuv3_config config;
	bool enabled;                /* CR0.SMMUEN; false: config comes from GBPA.ABORT */
	uint8_t event;               /* ABORT without a usable STE: C_BAD_STREAMID, F_STE_FETCH, C_BAD_STE */
	uint64_t word[2];            /* STE words 0-1 as the guest wrote them (0: no STE): a nested HWPT's data */
	gpa_t s1_ctx_ptr;            /* S1: the CD or L1 CD table */
	unsigned s1_cdmax;           /* S1: log2 of the number of CDs (0: one CD, no substreams) */
	unsigned s1_fmt;             /* S1: 0 linear, 1 2-level with 4 KiB leaves, 2 with 64 KiB leaves */
	unsigned s1dss;              /* S1: what traffic without a SubstreamID gets (STE.S1DSS) */
};

/* A decoded Context Descriptor. */
struct smmuv3_cd {
	uint8_t event;               /* 0: usable; else C_BAD_SUBSTREAMID, F_CD_FETCH, C_BAD_CD */
	gpa_t addr;                  /* where it was read (0: not reached) */
	uint64_t ttb0;
	unsigned t0sz;               /* input range 2^(64 - t0sz) */
	unsigned granule_shift;      /* TG0: 12 (4 KiB) or 16 (64 KiB) */
	unsigned ips_bits;           /* output size, clamped to the 48 bits offered */
	unsigned irgn0, orgn0, sh0;
	bool epd0, epd1;             /* walks through TTB0 / TTB1 disabled */
	bool affd, ha, hd;
	uint16_t asid;
	uint64_t mair;
};

/* One command as the guest wrote it (two little-endian 64-bit words, in host order here). */
struct smmuv3_cmd {
	uint64_t w[2];
};

/*
 * The nested path's host side (docs/vsmmuv3.md). Called on the drain
 * thread with the unit's lock NOT held.
 */
struct smmuv3_backend_ops {
	/*
	 * The effective configuration of stream sid changed (a CFGI_STE,
	 * CFGI_STE_RANGE or CFGI_ALL covering it, an SMMUEN or GBPA.ABORT
	 * change). Only for the StreamIDs given at creation, only when the
	 * result differs from the last one reported (the unit starts as
	 * bypass, SMMUEN clear). -errno: not applied (the backend logged why);
	 * the next invalidation of sid reports it again.
	 */
	int (*ste_changed)(void *opaque, struct smmuv3 *s, uint32_t sid, const struct smmuv3_ste *ste);
	/*
	 * n (>= 1) invalidations for the host (TLBI_NH_ALL/ASID/VA/VAA,
	 * TLBI_NSNH_ALL, ATC_INV, CFGI_CD, CFGI_CD_ALL; only for known
	 * StreamIDs), in queue order: one IOMMU_HWPT_INVALIDATE on the vIOMMU
	 * with IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3. Return the host calls
	 * made (>= 0) with *consumed = n, or -errno with *consumed = the
	 * entries the host completed (< n): the guest gets CERROR_ILL at
	 * command cmds[*consumed].
	 */
	int (*flush)(void *opaque, struct smmuv3 *s, const struct smmuv3_cmd *cmds, unsigned n,
		     unsigned *consumed);
	void *opaque;
};

struct smmuv3_params {
	unsigned index;              /* for messages: "vsmmuv3-0" */
	const uint32_t *sids;        /* StreamIDs of the devices behind it (IORT: StreamID = RID) */
	unsigned nr_sids;            /* <= SMMUV3_MAX_STREAMS */
	unsigned ssid_bits;          /* SubstreamID bits offered (IDR1.SSIDSIZE), 0-20 */
	bool ats;                    /* IDR0.ATS: CMD_ATC_INV accepted (else CERROR_ILL) */
	const struct smmuv3_backend_ops *backend; /* NULL: no host side (emulated devices only) */
};

/* The unit with its registers at reset values. -errno and one sentence. */
int smmuv3_create(const struct smmuv3_params *p, const struct smmuv3_env *env, struct smmuv3 **ret, char *err,
		  size_t errlen) SKIFF_MUST_CHECK;
void smmuv3_destroy(struct smmuv3 *s);
/* Both register pages: bus_register(..., SMMUV3_REG_SIZE, &smmuv3_mmio_ops, s, ...). */
extern const struct bus_device_ops smmuv3_mmio_ops;
/* Readable (eventfd) when the command queue or an SMMUEN/GBPA change needs the drain thread. */
int smmuv3_kick_fd(const struct smmuv3 *s);
/* Apply pending SMMUEN/GBPA changes and process the command queue (the engine's thread). */
void smmuv3_drain(struct smmuv3 *s);
/*
 * Write one 32-byte event record into the guest's event queue and send
 * its MSI (the IOMMU_VEVENTQ path). 0; -EAGAIN: queue disabled, dropped;
 * -ENOSPC: queue full, dropped and the overflow flag raised; -EFAULT: the
 * queue is not in guest RAM (GERROR.EVTQ_ABT_ERR).
 */
int smmuv3_inject_event(struct smmuv3 *s, const uint8_t rec[SMMUV3_EVENT_SIZE]);
/* Stream sid's effective configuration now (reads the guest's tables). */
void smmuv3_stream_state(struct smmuv3 *s, uint32_t sid, struct smmuv3_ste *ret);
/* The CD that SubstreamID ssid of a S1 stream state uses (ret->event says why not). */
void smmuv3_context(struct smmuv3 *s, const struct smmuv3_ste *ste, uint32_t ssid, struct smmuv3_cd *ret);

/* The unit's counters (docs/vsmmuv3.md): what benchmarks print. */
struct smmuv3_stats {
	uint64_t drains;             /* smmuv3_drain() calls that found commands */
	uint64_t commands;           /* guest commands consumed */
	uint64_t syncs;              /* CMD_SYNCs completed */
	uint64_t flushes;            /* backend flush() calls */
	uint64_t flushed_cmds;       /* commands handed to flush() */
	uint64_t host_calls;         /* sum of flush()'s returns */
	uint64_t ste_reports;        /* ste_changed() calls */
	uint64_t cerrors;            /* command queue errors raised */
	uint64_t events;             /* event records written */
	uint64_t events_lost;        /* dropped: queue disabled, full or unreachable */
};
void smmuv3_get_stats(struct smmuv3 *s, struct smmuv3_stats *out);

/*
 * The vSMMUv3 nested backend (smmuv3_nested.c, docs/vsmmuv3.md "Nested
 * backend"): a unit's StreamIDs on an iommufd vIOMMU object. A guest STE
 * becomes a nested HWPT on the vIOMMU (its words 0-1, masked to the fields
 * the kernel lets a guest own; abort and bypass STEs too) that the device
 * is replace-attached to; each batch of invalidations is ONE
 * IOMMU_HWPT_INVALIDATE on the vIOMMU; events of the vIOMMU's VEVENTQ go
 * into the guest's event queue. The selftest flavour speaks the kernel's
 * mock IOMMU (IOMMUFD_TEST) data types instead, so the lab can watch the
 * same code against a real kernel: the mock keeps STE word 0's low 32 bits
 * as its nested domain's IOTLB value; CFGI_CD clears cache slot SSID of the
 * device, CFGI_CD_ALL and ATC_INV all its slots; TLBI commands name no
 * device and have nothing to clear there, so that flavour drops them.
 */
struct smmuv3_nested;

struct smmuv3_nested_dev {
	uint32_t sid;                /* guest StreamID = the VDEVICE's virt_id */
	uint32_t dev_id;             /* iommufd device id */
	uint32_t vdevice_id;         /* the plan's VDEVICE; 0: the backend allocates one */
	struct iommu_attach_ops at;  /* replace-attach (detach: blocked DMA) */
};

struct smmuv3_nested_params {
	const struct iommu_sys *sys;
	int iommufd;
	uint32_t viommu_id;          /* the unit's vIOMMU object */
	uint32_t s2_id;              /* its stage-2: where devices go back at destroy (0: detached) */
	bool selftest;               /* the kernel's mock IOMMU's data types */
	unsigned veventq_depth;      /* 0: no VEVENTQ */
	const struct smmuv3_nested_dev *devs;
	unsigned nr_devs;            /* <= SMMUV3_MAX_STREAMS */
};

/* VDEVICEs (where not given) and the VEVENTQ; everything undone on failure. -errno and one sentence. */
int smmuv3_nested_create(const struct smmuv3_nested_params *p, struct smmuv3_nested **ret, char *err,
			 size_t errlen) SKIFF_MUST_CHECK;
const struct smmuv3_backend_ops *smmuv3_nested_backend(struct smmuv3_nested *n);
/* The unit the VEVENTQ's events go to (call once smmuv3_create() made it). */
void smmuv3_nested_set_unit(struct smmuv3_nested *n, struct smmuv3 *s);
/* The VEVENTQ's fd (-1: none): iq_engine_add_events(e, fd, smmuv3_nested_events, n). */
int smmuv3_nested_event_fd(const struct smmuv3_nested *n);
/* Read every event the VEVENTQ holds and inject it into the unit's event queue (the engine's thread). */
void smmuv3_nested_events(void *opaque);
/* Devices back on the stage-2 (or detached), every object the backend made destroyed. */
void smmuv3_nested_destroy(struct smmuv3_nested *n);
/* The nested HWPT stream sid is attached to now (0: none yet); for tests and diagnostics. */
uint32_t smmuv3_nested_hwpt(struct smmuv3_nested *n, uint32_t sid);

struct smmuv3_nested_stats {
	uint64_t invalidations;      /* IOMMU_HWPT_INVALIDATE calls */
	uint64_t entries;            /* entries they carried */
	uint64_t dropped;            /* commands the flavour had no entry for */
	uint64_t partial;            /* calls the kernel failed part way */
	uint64_t hwpt_allocs;        /* nested HWPTs made */
	uint64_t attaches;           /* device replace-attaches */
	uint64_t errors;             /* host calls that failed */
	uint64_t events;             /* vEVENTs injected */
	uint64_t events_lost;        /* vEVENTs the kernel lost or the guest's queue dropped */
};
void smmuv3_nested_get_stats(struct smmuv3_nested *n, struct smmuv3_nested_stats *out);

#endif
