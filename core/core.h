/* SPDX-License-Identifier: Apache-2.0 */
/*
 * skiff core: the small pieces every other module builds on — logging,
 * guest memory, the address-space bus, an epoll event loop and the
 * interfaces devices use to reach the VM (interrupt lines, stop requests).
 * Nothing here knows about KVM or any particular device.
 */
#ifndef SKIFF_CORE_H
#define SKIFF_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SKIFF_MUST_CHECK __attribute__((warn_unused_result))
#define SKIFF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- logging ------------------------------------------------------------
 * Messages go to stderr as "skiff: LEVEL: text". The level is chosen once
 * by main() before any thread starts and only read afterwards.
 */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) SKIFF_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* ---- guest memory -------------------------------------------------------
 * Guest RAM is one memfd (so iommufd and vhost can map it by fd later),
 * mapped once into the VMM and exposed to the guest as up to
 * GMEM_MAX_REGIONS guest-physical regions. Every access from device code
 * goes through the bounds-checked accessors below.
 */
typedef uint64_t gpa_t;

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	gpa_t gpa;           /* first guest-physical address */
	uint64_t size;       /* bytes */
	uint64_t fd_offset;  /* offset of this region in the memfd */
	uint8_t *host;       /* VMM mapping of the region */
};

struct gmem {
	int memfd;
	uint64_t size;        /* total RAM bytes */
	uint8_t *host;        /* mapping of the whole memfd */
	unsigned nr_regions;
	struct gmem_region regions[GMEM_MAX_REGIONS];
};

/*
 * Create guest RAM of ram_size bytes. RAM that would overlap the
 * [hole_start, 4 GiB) window is placed above 4 GiB instead.
 */
int gmem_create(struct gmem *ret, uint64_t ram_size, gpa_t hole_start) SKIFF_MUST_CHECK;
/* Guest RAM of ram_size bytes in one region from base (arm64: RAM above the devices). */
int gmem_create_at(struct gmem *ret, uint64_t ram_size, gpa_t base) SKIFF_MUST_CHECK;
void gmem_destroy(struct gmem *gm);
/* Host pointer to [gpa, gpa+len) if the whole range lies in one region, else NULL. */
void *gmem_slice(const struct gmem *gm, gpa_t gpa, uint64_t len);
int gmem_read(const struct gmem *gm, gpa_t gpa, void *buf, size_t len) SKIFF_MUST_CHECK;
int gmem_write(const struct gmem *gm, gpa_t gpa, const void *buf, size_t len) SKIFF_MUST_CHECK;
/* Highest guest-physical address of RAM plus one. */
gpa_t gmem_end(const struct gmem *gm);

/* ---- DMA address spaces -------------------------------------------------
 * How an emulated device's DMA addresses become guest-physical ones. A
 * device with no translate callback (the default) uses GPAs directly; a
 * device behind a guest-visible IOMMU gets the vIOMMU's translate for its
 * requester ID (iommu/, docs/vvtd.md). Called from device worker threads.
 */
struct dma_xlate {
	/*
	 * Translate [iova, iova + len) for a read (write false: the device
	 * reads guest memory) or a write. 0: *gpa is where iova lands and
	 * *contig (1..len) how many bytes from iova are contiguous in GPA
	 * space with the same rights; the caller translates the rest
	 * separately. -EFAULT: not mapped or not allowed (the vIOMMU has
	 * recorded the fault for the guest).
	 */
	int (*translate)(void *opaque, uint64_t iova, uint64_t len, bool write, gpa_t *gpa, uint64_t *contig);
	void *opaque;
};

/* ---- device bus ---------------------------------------------------------
 * One bus for port I/O and one for MMIO. Devices are registered before
 * the vCPUs start and the bus is read-only afterwards, so dispatch takes
 * no lock; each device serialises its own state.
 * Callbacks receive the offset from the start of the device's range.
 */
struct bus_device_ops {
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned len);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned len);
};

struct bus_range {
	uint64_t base;
	uint64_t last;        /* inclusive */
	const struct bus_device_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	struct bus_range *ranges;  /* sorted by base, never overlapping */
	unsigned nr;
	unsigned cap;
};

void bus_init(struct bus *bus);
void bus_destroy(struct bus *bus);
/* -EEXIST if the range overlaps a registered one, -EINVAL if empty or wrapping. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_device_ops *ops,
		 void *opaque, const char *name) SKIFF_MUST_CHECK;
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr);
/* Return false if nothing claims addr (reads then see all-ones). */
bool bus_read(const struct bus *bus, uint64_t addr, void *data, unsigned len);
bool bus_write(const struct bus *bus, uint64_t addr, const void *data, unsigned len);

/* ---- event loop ---------------------------------------------------------
 * A small epoll loop. The VMM's main thread runs it for stdin, signals
 * and (later) device back ends.
 */
typedef void (*evloop_fn)(void *opaque, int fd, uint32_t events);

struct evloop_entry;

struct evloop {
	int epfd;
	struct evloop_entry *entries;
	bool stop;
};

int evloop_init(struct evloop *loop) SKIFF_MUST_CHECK;
void evloop_destroy(struct evloop *loop);
int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *opaque) SKIFF_MUST_CHECK;
int evloop_del(struct evloop *loop, int fd);
/* Run until evloop_stop() is called from a callback; -errno on failure. */
int evloop_run(struct evloop *loop) SKIFF_MUST_CHECK;
void evloop_stop(struct evloop *loop);

/* ---- what devices may ask of the VM -------------------------------------- */

/* Set a GSI's level (edge devices pulse it). */
struct irq_line {
	void (*set_level)(void *opaque, unsigned gsi, bool high);
	void *opaque;
	unsigned gsi;
};

static inline void irq_line_set(const struct irq_line *line, bool high)
{
	if (line->set_level)
		line->set_level(line->opaque, line->gsi, high);
}

/*
 * Interrupt and notification plumbing the VM offers devices, carried by
 * KVM (irqfd, GSI routing, ioeventfd) so that neither direction needs the
 * VMM on the hot path. All return 0 or -errno.
 */
struct vm_irq_ops {
	/* An eventfd whose writes raise GSI gsi (edge) in the in-kernel irqchip. */
	int (*irqfd_gsi)(void *opaque, unsigned gsi, int *ret_efd);
	/* One MSI/MSI-X vector: an eventfd plus a KVM MSI route. */
	int (*msi_create)(void *opaque, int *ret_handle, int *ret_efd);
	/*
	 * New address/data; masked detaches the eventfd (writes stay pending in
	 * it). devid: the requester ID (bus << 8 | devfn) of the function that
	 * signals, which an arm64 ITS needs as the DeviceID; x86 ignores it.
	 */
	int (*msi_update)(void *opaque, int handle, uint32_t devid, uint64_t addr, uint32_t data, bool masked);
	void (*msi_destroy)(void *opaque, int handle);
	/*
	 * Guest MMIO writes of len bytes at addr (with value datamatch, unless
	 * datamatch < 0) signal efd instead of exiting to skiff.
	 */
	int (*ioeventfd)(void *opaque, uint64_t addr, unsigned len, int64_t datamatch, int efd, bool assign);
	/*
	 * A level-triggered line (PCI INTx) driven from outside skiff: a write
	 * to *ret_efd asserts GSI gsi; the guest's EOI deasserts it and
	 * signals *ret_resample_efd, on which the source (VFIO) unmasks and
	 * re-asserts if the device still wants service. The GSI must be an
	 * IOAPIC pin. No VMM wake-up in either direction.
	 */
	int (*irqfd_resample)(void *opaque, unsigned gsi, int *ret_efd, int *ret_resample_efd);
	/* Undo irqfd_resample: the line is deasserted and both eventfds closed. */
	void (*irqfd_resample_release)(void *opaque, unsigned gsi, int efd, int resample_efd);
	void *opaque;
};

/* Why the VM stops; main() maps it to the process exit status. */
enum vm_stop_reason {
	VM_STOP_POWEROFF,
	VM_STOP_REBOOT,
	VM_STOP_SIGNAL,
	VM_STOP_PANIC,
	VM_STOP_TRIPLE_FAULT,
	VM_STOP_ERROR,
};

struct vm_control {
	void (*request_stop)(void *opaque, enum vm_stop_reason reason);
	void *opaque;
};

static inline void vm_control_stop(const struct vm_control *ctl, enum vm_stop_reason reason)
{
	ctl->request_stop(ctl->opaque, reason);
}

/* Process exit status for a stop reason (README.md, "Command line"). */
int vm_stop_exit_status(enum vm_stop_reason reason);
const char *vm_stop_reason_name(enum vm_stop_reason reason);

#endif
