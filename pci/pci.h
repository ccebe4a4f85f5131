/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PCI Express for skiff: PCI functions (4 KiB config space with write
 * masks, BARs, capabilities, MSI-X, INTx), root complexes with one or more
 * PCIe root buses in segment 0 (ECAM config access, BAR windows), and the
 * virtio-pci modern transport. See pci/README.md for the topology model.
 *
 * Topology: every function sits directly on a root bus (bus_start of its
 * root bus) as a root-complex integrated endpoint; no root ports or
 * switches yet. A root complex is fixed once the vCPUs run (functions are
 * added before), so ECAM and BAR dispatch take no topology lock; each
 * function serialises itself with its own (recursive) mutex.
 *
 * BAR accesses: the VMM registers each root bus's whole MMIO window(s) on
 * its MMIO bus (pci_root_windows()); the root dispatches to whichever BAR
 * currently decodes the address, so guests may move BARs freely without
 * touching the (read-only after start) bus. Owners hear about moves through
 * pci_func_ops.bar_moved to re-register ioeventfds.
 */
#ifndef SKIFF_PCI_H
#define SKIFF_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"

/* ---- config space registers (type 0 / type 1 common header) ------------- */
#define PCI_CFG_SIZE             4096
#define PCI_VENDOR_ID            0x00
#define PCI_DEVICE_ID            0x02
#define PCI_COMMAND              0x04
#define  PCI_COMMAND_IO          0x0001
#define  PCI_COMMAND_MEMORY      0x0002
#define  PCI_COMMAND_MASTER      0x0004
#define  PCI_COMMAND_PARITY      0x0040
#define  PCI_COMMAND_SERR        0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS               0x06
#define  PCI_STATUS_INTERRUPT    0x0008
#define  PCI_STATUS_CAP_LIST     0x0010
#define  PCI_STATUS_W1C          0xf900 /* parity/abort/SERR error bits */
#define PCI_REVISION_ID          0x08
#define PCI_CLASS_PROG           0x09
#define PCI_CACHE_LINE_SIZE      0x0c
#define PCI_HEADER_TYPE          0x0e
#define PCI_BASE_ADDRESS_0       0x10
#define  PCI_BASE_ADDRESS_SPACE_IO   0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID  0x2c
#define PCI_SUBSYSTEM_ID         0x2e
#define PCI_ROM_ADDRESS          0x30
#define PCI_CAPABILITY_LIST      0x34
#define PCI_INTERRUPT_LINE       0x3c
#define PCI_INTERRUPT_PIN        0x3d
#define PCI_STD_HEADER_END       0x40
#define PCI_EXT_CAP_START        0x100

#define PCI_CAP_ID_VNDR          0x09
#define PCI_CAP_ID_EXP           0x10
#define PCI_CAP_ID_MSIX          0x11

/* MSI-X capability (offsets from the capability) and table entries */
#define PCI_MSIX_FLAGS           2
#define  PCI_MSIX_FLAGS_QSIZE    0x07ff
#define  PCI_MSIX_FLAGS_MASKALL  0x4000
#define  PCI_MSIX_FLAGS_ENABLE   0x8000
#define PCI_MSIX_TABLE           4
#define PCI_MSIX_PBA             8
#define PCI_MSIX_CAP_SIZE        12
#define PCI_MSIX_ENTRY_SIZE      16
#define PCI_MSIX_ENTRY_CTRL      12
#define  PCI_MSIX_ENTRY_CTRL_MASKBIT 1u
#define PCI_MSIX_MAX_VECTORS     2048

#define PCI_NR_BARS              6
#define PCI_MAX_DEVICES          32
#define PCI_MAX_ROOT_BUSES       8
#define PCI_BAR_UNMAPPED         UINT64_MAX

/* ---- a PCI function ------------------------------------------------------ */
enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_MEM32, PCI_BAR_MEM64, PCI_BAR_IO };

struct pci_bar {
	enum pci_bar_type type;
	bool prefetchable;
	uint64_t size;        /* power of two (>= 16 memory, >= 4 I/O), 0: unused */
	uint64_t mapped;      /* address the BAR decodes now, PCI_BAR_UNMAPPED if not */
	bool upper;           /* the upper half of the 64-bit BAR before it */
};

struct pci_func;

/*
 * The owner's callbacks, all called with the function's lock held (the
 * lock is recursive: the owner may call pci_func_* from them).
 */
struct pci_func_ops {
	/* Guest access to BAR bar at offset (MSI-X table/PBA are handled here). */
	void (*bar_read)(struct pci_func *f, unsigned bar, uint64_t offset, void *data, unsigned len);
	void (*bar_write)(struct pci_func *f, unsigned bar, uint64_t offset, const void *data,
			  unsigned len);
	/*
	 * BAR bar now decodes at new_addr (PCI_BAR_UNMAPPED: stopped decoding;
	 * old_addr likewise): move ioeventfds or other mappings.
	 */
	void (*bar_moved)(struct pci_func *f, unsigned bar, uint64_t old_addr, uint64_t new_addr);
	/* Before a config read of [reg, reg+len) / after a config write (masks already applied). */
	void (*cfg_read)(struct pci_func *f, unsigned reg, unsigned len);
	void (*cfg_write)(struct pci_func *f, unsigned reg, unsigned len);
};

struct pci_msix_vector {
	int handle;           /* vm_irq_ops msi handle, -1 before msi_create */
	int efd;
	bool masked;          /* effective mask last given to msi_update */
	bool pending;         /* fired while masked (see pci_msix_fire) */
};

struct pci_msix {
	const struct vm_irq_ops *irq;
	uint16_t cap;         /* config offset of the capability */
	unsigned nr;          /* vectors */
	unsigned bar;
	uint32_t table_off, pba_off;
	uint8_t *table;       /* nr * 16 bytes, guest-visible */
	struct pci_msix_vector *vec;
};

struct pci_root;

struct pci_func {
	pthread_mutex_t lock;  /* recursive; config space, BARs, MSI-X, INTx, owner state */
	char name[48];         /* "0000:00:03.0 virtio-blk" */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];   /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits a 1 clears */
	uint16_t cap_next;     /* first free offset for a standard capability */
	uint16_t cap_last;     /* offset of the last standard capability, 0: none */
	uint16_t ext_next, ext_last;
	struct pci_bar bars[PCI_NR_BARS];
	struct pci_msix msix;  /* nr == 0: no MSI-X */
	struct irq_line intx;  /* gsi from the root's swizzle; set_level NULL: none */
	bool intx_level;       /* what the function asserts (before INTx disable) */
	bool intx_out;         /* what the line was last set to */
	const struct pci_func_ops *ops;
	void *opaque;          /* the owner's */
	struct pci_root *root;
	unsigned bus_index;    /* root bus within root */
	uint8_t bus, devfn;
};

struct pci_func_params {
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_id;
	uint8_t revision;
	uint32_t class_code;   /* class << 16 | subclass << 8 | prog-if */
	uint8_t intx_pin;      /* 0: no INTx, 1..4: INTA..INTD */
	bool pcie;             /* add a PCIe capability (root-complex integrated endpoint) */
};

/* Initialise a type-0 function (not yet on a bus), lock included. */
void pci_func_init(struct pci_func *f, const struct pci_func_params *p,
		   const struct pci_func_ops *ops, void *opaque);
/* Free MSI-X vectors and the lock. The function must be off any root. */
void pci_func_destroy(struct pci_func *f);

/*
 * Declare BAR i (i+1 is taken too for MEM64) of size bytes. The address
 * is given by pci_root_add_func(). -EINVAL for a bad index/size.
 */
int pci_func_add_bar(struct pci_func *f, unsigned i, enum pci_bar_type type, uint64_t size,
		     bool prefetchable) SKIFF_MUST_CHECK;

/*
 * Append a standard capability of len bytes (including the 2-byte
 * id/next header, whose contents in body are ignored) and link it; *ret_off
 * gets its offset. Extended capabilities: len includes the 4-byte header.
 * -ENOSPC if it does not fit.
 */
int pci_cap_add(struct pci_func *f, uint8_t id, const void *body, unsigned len,
		uint16_t *ret_off) SKIFF_MUST_CHECK;
int pci_ext_cap_add(struct pci_func *f, uint16_t id, uint8_t version, const void *body,
		    unsigned len, uint16_t *ret_off) SKIFF_MUST_CHECK;
/* Set the write / write-1-to-clear masks of bytes [off, off+len). */
void pci_cfg_set_wmask(struct pci_func *f, unsigned off, const void *mask, unsigned len);
void pci_cfg_set_w1cmask(struct pci_func *f, unsigned off, const void *mask, unsigned len);

/* Little-endian helpers on the config array (no locking, no masks). */
uint32_t pci_cfg_get(const struct pci_func *f, unsigned off, unsigned len);
void pci_cfg_put(struct pci_func *f, unsigned off, uint32_t v, unsigned len);

/*
 * Guest config access (ECAM or the virtio PCI_CFG window): len 1, 2 or 4,
 * reg + len <= 4096; anything else reads all-ones / is dropped.
 */
void pci_func_cfg_read(struct pci_func *f, unsigned reg, void *data, unsigned len);
void pci_func_cfg_write(struct pci_func *f, unsigned reg, const void *data, unsigned len);
/* Guest access to BAR bar at offset (MSI-X first, then ops->bar_*). */
void pci_func_bar_read(struct pci_func *f, unsigned bar, uint64_t offset, void *data, unsigned len);
void pci_func_bar_write(struct pci_func *f, unsigned bar, uint64_t offset, const void *data,
			unsigned len);
/* Current guest-programmed base of BAR i (masked flags; 64-bit BARs whole). */
uint64_t pci_func_bar_addr(const struct pci_func *f, unsigned i);

/* Assert/deassert the function's INTx (honours INTx disable; sets status.INT). */
void pci_func_set_intx(struct pci_func *f, bool level);

/*
 * MSI-X with nr vectors (1..2048): table at table_off and PBA at pba_off
 * in BAR bar (8-byte aligned, inside the BAR, not overlapping); one
 * irq->msi_create per vector. All vectors start masked.
 */
int pci_msix_init(struct pci_func *f, const struct vm_irq_ops *irq, unsigned nr, unsigned bar,
		  uint32_t table_off, uint32_t pba_off) SKIFF_MUST_CHECK;
bool pci_msix_enabled(struct pci_func *f);
/*
 * Fire vector v: writes its eventfd. If the vector is masked (entry mask,
 * function mask or MSI-X disabled) KVM keeps the write pending in the
 * eventfd and delivers it on unmask; the PBA bit is set meanwhile and
 * cleared on unmask. Out-of-range vectors are ignored (-EINVAL).
 */
int pci_msix_fire(struct pci_func *f, unsigned v);
/* The eventfd of vector v (for a device that signals it directly), or -1. */
int pci_msix_vector_fd(struct pci_func *f, unsigned v);

/* ---- root complex ----------------------------------------------------------- */
struct pci_root_bus_cfg {
	uint8_t bus_start, bus_end;      /* segment 0 bus range, inclusive */
	uint64_t mmio32_base, mmio32_size;  /* below 4 GiB, non-prefetchable BARs */
	uint64_t mmio64_base, mmio64_size;  /* 0: none (64-bit BARs then go low) */
	uint16_t io_base, io_size;       /* 0: no I/O window (I/O BARs refused) */
};

struct pci_root_cfg {
	uint64_t ecam_base;       /* bus 0's config space; bus n at ecam_base + (n << 20) */
	unsigned nr_buses;        /* root buses, 1..PCI_MAX_ROOT_BUSES */
	struct pci_root_bus_cfg buses[PCI_MAX_ROOT_BUSES];
	struct irq_line intx;     /* set_level and opaque; gsi is ignored (swizzle) */
	unsigned intx_gsi_base;   /* slot d pin p (0 = INTA) -> base + (d + p) % intx_gsi_count */
	unsigned intx_gsi_count;
};

/*
 * The x86 layout (arch/x86_64/layout.h) split between nr_buses root
 * buses: bus ranges, 32- and 64-bit windows evenly; no I/O windows.
 * -EINVAL unless 1 <= nr_buses <= PCI_MAX_ROOT_BUSES.
 */
int pci_root_cfg_x86(struct pci_root_cfg *ret, unsigned nr_buses, struct irq_line intx)
	SKIFF_MUST_CHECK;
/*
 * The same over arch/aarch64/layout.h; intx_gsi_base is then an SPI
 * number (INTID - 32). Each function exists only in its architecture's build.
 */
int pci_root_cfg_aarch64(struct pci_root_cfg *ret, unsigned nr_buses, struct irq_line intx)
	SKIFF_MUST_CHECK;

/* -EINVAL for overlapping/misaligned ranges or windows, -ENOMEM. */
int pci_root_create(const struct pci_root_cfg *cfg, struct pci_root **ret) SKIFF_MUST_CHECK;
/* Destroys nothing it does not own: remove/destroy functions first (or not at all). */
void pci_root_destroy(struct pci_root *root);

/*
 * Put f on root bus bus_index at slot (function 0), or the first free
 * slot if slot < 0; assign its BARs from the bus's windows, its INTx GSI,
 * and fill *ret_slot (may be NULL). -EBUSY: slot taken; -ENOSPC: no slot
 * or window space; -EINVAL: bad index. Before the vCPUs start.
 */
int pci_root_add_func(struct pci_root *root, unsigned bus_index, int slot, struct pci_func *f,
		      int *ret_slot) SKIFF_MUST_CHECK;
/* Take f off its root (before destroying it while the root lives on). */
void pci_root_remove_func(struct pci_root *root, struct pci_func *f);
/* The function at (bus, dev, fn), or NULL. */
struct pci_func *pci_root_find(struct pci_root *root, unsigned bus, unsigned dev, unsigned fn);

/* INTx GSI of slot dev, pin 0..3 (INTA..INTD), on any root bus. */
unsigned pci_root_intx_gsi(const struct pci_root *root, unsigned dev, unsigned pin);

/* Something for the VMM to register: ECAM and BAR windows. */
struct pci_window {
	bool pio;             /* on the port I/O bus (else MMIO) */
	uint64_t base, size;
	const struct bus_device_ops *ops;
	void *opaque;
	const char *name;
};
#define PCI_MAX_WINDOWS (PCI_MAX_ROOT_BUSES * 4)
/* Fill out[] with every window to register; returns how many. */
unsigned pci_root_windows(struct pci_root *root, struct pci_window out[PCI_MAX_WINDOWS]);

/* For ACPI (MCFG, host bridges, _PRT). */
struct pci_root_bus_info {
	uint8_t bus_start, bus_end;
	uint64_t ecam_base;       /* MCFG base (bus 0 of segment 0) */
	uint64_t ecam_window;     /* config space of bus_start */
	uint64_t mmio32_base, mmio32_size;
	uint64_t mmio64_base, mmio64_size;
	uint16_t io_base, io_size;
};
unsigned pci_root_nr_buses(const struct pci_root *root);
int pci_root_bus_info(const struct pci_root *root, unsigned bus_index,
		      struct pci_root_bus_info *ret) SKIFF_MUST_CHECK;

/* ---- virtio-pci (modern) --------------------------------------------------- */
struct virtio_device;
struct virtio_pci;

/*
 * Attach vdev to a new virtio-pci function on root bus bus_index at slot
 * (< 0: first free): one 64-bit memory BAR with the common/ISR/device/
 * notify regions and the MSI-X table/PBA (nr_queues + 1 vectors), a
 * kick eventfd per queue (ioeventfd on its notify address while the BAR
 * decodes). vdev stays the caller's.
 */
int virtio_pci_create(struct pci_root *root, unsigned bus_index, int slot,
		      struct virtio_device *vdev, const struct vm_irq_ops *irq,
		      struct virtio_pci **ret) SKIFF_MUST_CHECK;
/* Reset the device, drop ioeventfds and vectors; the root must not be dispatching. */
void virtio_pci_destroy(struct virtio_pci *vp);
struct pci_func *virtio_pci_func(struct virtio_pci *vp);

#endif
