/* SPDX-License-Identifier: Apache-2.0 */
/*
 * skiff's VM configuration: Firecracker's --config-file schema for what it
 * covers (boot-source, machine-config, ...) plus skiff's own sections.
 * Parsing never exits; errors come back as one formatted line:
 *   syntax:   "FILE:LINE:COLUMN: message"
 *   semantic: "FILE: json.path: message"
 */
#ifndef SKIFF_CONFIG_H
#define SKIFF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_ERR_MAX 512

enum serial_mode {
	SERIAL_STDIO,  /* COM1 on skiff's stdin/stdout (default) */
	SERIAL_FILE,   /* COM1 output appended to a file, no input */
	SERIAL_OFF,    /* no COM1 device */
};

enum console_device {
	CONSOLE_COM1,     /* the 16550A UART, ttyS0 (default) */
	CONSOLE_VIRTIO,   /* virtio-console, hvc0 */
};

enum drive_cache {
	DRIVE_CACHE_UNSAFE,     /* Firecracker's default: no flush is advertised */
	DRIVE_CACHE_WRITEBACK,  /* VIRTIO_BLK_F_FLUSH advertised and honoured */
};

/* One entry of Firecracker's "drives". */
struct skiff_drive {
	char *drive_id;         /* also the disk's serial (VIRTIO_BLK_T_GET_ID) */
	char *path_on_host;
	bool is_root_device;
	bool is_read_only;
	char *partuuid;         /* root=PARTUUID=... when the root device has one */
	enum drive_cache cache_type;
	int root_bus;           /* skiff: PCIe root bus index, -1 = default (0) */
	int slot;               /* skiff: PCI slot on that bus, -1 = first free */
	unsigned num_queues;    /* skiff: 1..16, default 1 */
};

/* One entry of skiff's "vfio": a host PCI function assigned to the guest. */
struct skiff_vfio {
	char *id;               /* letters, digits, '_'; at most 20 */
	char *bdf;              /* "DDDD:BB:DD.F", lower case */
	int root_bus;           /* PCIe root bus index, -1 = default (0) */
	int slot;               /* PCI slot on that bus, -1 = first free */
};

/* One entry of Firecracker's "network-interfaces": virtio-net on a tap. */
struct skiff_net {
	char *iface_id;         /* letters, digits, '_' */
	char *host_dev_name;    /* the tap, at most 15 characters */
	bool has_mac;
	uint8_t guest_mac[6];   /* unicast; without it the guest picks a random MAC */
	bool vhost;             /* skiff: vhost-net data path if the host has it */
	unsigned queue_pairs;   /* skiff: 1..7 (a multi-queue tap when > 1), default 1 */
	int root_bus;           /* skiff: PCIe root bus index, -1 = default (0) */
	int slot;               /* skiff: PCI slot on that bus, -1 = first free */
};

/* Firecracker's "vsock": virtio-vsock bridged to Unix sockets. */
struct skiff_vsock {
	bool enabled;
	uint32_t guest_cid;     /* 3..2^32-2 */
	char *uds_path;         /* host-initiated: connect here; guest-initiated: uds_path_PORT */
	bool vhost;             /* skiff: vhost-vsock (AF_VSOCK on the host) if the host has it */
};

/* skiff's "iommu": guest-visible VT-d units (docs/vvtd.md). */
#define CONFIG_IOMMU_ADDR_WIDTH_DEFAULT 48
struct skiff_iommu {
	bool enabled;            /* a vVT-d unit for each PCIe root bus that holds devices */
	unsigned address_width;  /* guest IOVA width: 48 (4-level tables, default) or 57 (5-level) */
};

/* boot-source.firmware_tables: the guest's hardware description. */
enum firmware_tables {
	FIRMWARE_TABLES_DEFAULT = 0, /* device tree on aarch64, ACPI on x86_64 */
	FIRMWARE_TABLES_DT,
	FIRMWARE_TABLES_ACPI,
};

struct skiff_config {
	char *source;  /* file name used in messages */

	/* boot-source */
	char *kernel_image_path;   /* required */
	char *initrd_path;         /* NULL when absent/null */
	char *boot_args;           /* NULL: skiff's default command line */
	enum firmware_tables firmware_tables;

	/* machine-config */
	unsigned vcpu_count;       /* 1..255, required */
	uint64_t mem_size_mib;     /* required, >= 16 */
	bool smt;

	/* serial (skiff) */
	enum serial_mode serial_mode;
	char *serial_path;         /* SERIAL_FILE only */
	enum console_device console_device;

	/* drives */
	unsigned nr_drives;
	struct skiff_drive *drives;

	/* network-interfaces */
	unsigned nr_net;
	struct skiff_net *net;

	/* vsock */
	struct skiff_vsock vsock;

	/* entropy: an object (even empty) adds a virtio-rng device */
	bool entropy;

	/* vfio (skiff) */
	unsigned nr_vfio;
	struct skiff_vfio *vfio;

	/* iommu (skiff) */
	struct skiff_iommu iommu;
};

/*
 * Parse the JSON file at path. On failure returns -errno (-EINVAL for bad
 * content, or the errno of open/read) with a one-line message in err.
 * ret is untouched on failure.
 */
int config_load_file(const char *path, struct skiff_config *ret, char *err, size_t errlen);
/* Same for an in-memory document; name is used as FILE in messages. */
int config_load_buffer(const char *name, const char *data, size_t len, struct skiff_config *ret,
		       char *err, size_t errlen);
void config_free(struct skiff_config *cfg);

#endif
