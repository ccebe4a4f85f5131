/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON configuration parser (Firecracker --config-file schema plus skiff's
 * own sections), built on jansson: the top level, boot-source,
 * machine-config and serial, and loading a file. The schema machinery
 * (field tables, messages, did-you-mean) is in schema.c, described in
 * config-priv.h; the drives and entropy sections are in drives.c,
 * network-interfaces and vsock in net.c, iommu in iommu.c.
 *
 * Firecracker sections skiff does not implement yet use cfg_parse_unsupported;
 * promoting one means writing its parse function (and its own field table)
 * and replacing the entry in top_fields[].
 */
#include "config-priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VCPU_MIN 1
#define VCPU_MAX 255
#define MEM_MIB_MIN 16
#define MEM_MIB_MAX 1048576ULL
#define CONFIG_FILE_MAX (64u << 20) /* refuse absurdly large config files */

/* ---- boot-source ---------------------------------------------------------- */

static int parse_kernel_image_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_string(c, p, v, false, &((struct skiff_config *)out)->kernel_image_path);
}

static int parse_initrd_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_string(c, p, v, true, &((struct skiff_config *)out)->initrd_path);
}

static int parse_boot_args(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;

	/* An empty command line is a legitimate choice, unlike an empty path. */
	if (json_is_string(v) && json_string_length(v) == 0) {
		char *s = strdup("");
		if (!s)
			return cfg_fail_nomem(c);
		free(cfg->boot_args);
		cfg->boot_args = s;
		return 0;
	}
	return cfg_get_string(c, p, v, true, &cfg->boot_args);
}

/*
 * How the guest learns its hardware: "device-tree" (aarch64's default) or
 * "acpi" (what x86 guests always get; on aarch64 with a minimal EFI
 * handoff, docs/arm64.md). null: the architecture's default.
 */
static int parse_firmware_tables(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	static const struct cfg_enum names[] = {
		{ "device-tree", FIRMWARE_TABLES_DT },
		{ "acpi", FIRMWARE_TABLES_ACPI },
	};
	int t = FIRMWARE_TABLES_DEFAULT;
	int rc = cfg_get_enum(c, p, v, names, ARRAY_LEN(names), &t);

	if (rc)
		return rc;
#if defined(__x86_64__)
	if (t == FIRMWARE_TABLES_DT)
		return cfg_fail(c, p, "x86_64 guests are described by ACPI only: use \"acpi\" or leave it out");
#endif
	((struct skiff_config *)out)->firmware_tables = (enum firmware_tables)t;
	return 0;
}

static const struct field boot_source_fields[] = {
	{ "kernel_image_path", parse_kernel_image_path, true },
	{ "initrd_path", parse_initrd_path, false },
	{ "boot_args", parse_boot_args, false },
	{ "firmware_tables", parse_firmware_tables, false },
};

static int parse_boot_source(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_parse_object(c, p, v, boot_source_fields, ARRAY_LEN(boot_source_fields), out);
}

/* ---- machine-config ------------------------------------------------------- */

static int parse_vcpu_count(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, VCPU_MIN, VCPU_MAX, &n);
	if (rc == 0)
		((struct skiff_config *)out)->vcpu_count = (unsigned)n;
	return rc;
}

static int parse_mem_size_mib(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, MEM_MIB_MIN, (json_int_t)MEM_MIB_MAX, &n);
	if (rc == 0)
		((struct skiff_config *)out)->mem_size_mib = (uint64_t)n;
	return rc;
}

static int parse_smt(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_bool(c, p, v, &((struct skiff_config *)out)->smt);
}

/* Firecracker's pre-1.0 name for smt; only "off" is accepted. */
static int parse_ht_enabled(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	return cfg_get_bool_off(c, p, v, "not supported by skiff; use \"smt\"");
}

static const struct field machine_config_fields[] = {
	{ "vcpu_count", parse_vcpu_count, true },
	{ "mem_size_mib", parse_mem_size_mib, true },
	{ "smt", parse_smt, false },
	{ "ht_enabled", parse_ht_enabled, false },
	{ "track_dirty_pages", cfg_parse_bool_off, false },
	{ "huge_pages", cfg_parse_none_only, false },
	{ "cpu_template", cfg_parse_none_only, false },
};

static int parse_machine_config(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_parse_object(c, p, v, machine_config_fields, ARRAY_LEN(machine_config_fields), out);
}

/* ---- serial (skiff) ------------------------------------------------------- */

struct serial_tmp {
	enum serial_mode mode;
	char *path;
	enum console_device device;
};

static int parse_serial_mode(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	static const struct cfg_enum names[] = {
		{ "stdio", SERIAL_STDIO },
		{ "file", SERIAL_FILE },
		{ "off", SERIAL_OFF },
	};
	struct serial_tmp *s = out;
	int mode = SERIAL_STDIO; /* null too */
	int rc = cfg_get_enum(c, p, v, names, ARRAY_LEN(names), &mode);

	s->mode = (enum serial_mode)mode;
	return rc;
}

static int parse_serial_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_string(c, p, v, true, &((struct serial_tmp *)out)->path);
}

static int parse_serial_device(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	static const struct cfg_enum names[] = {
		{ "com1", CONSOLE_COM1 },
		{ "virtio", CONSOLE_VIRTIO },
	};
	struct serial_tmp *s = out;
	int device = s->device;
	int rc = cfg_get_enum(c, p, v, names, ARRAY_LEN(names), &device);

	s->device = (enum console_device)device;
	return rc;
}

static const struct field serial_fields[] = {
	{ "mode", parse_serial_mode, false },
	{ "path", parse_serial_path, false },
	{ "device", parse_serial_device, false },
};

static int parse_serial(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	struct serial_tmp s = { .mode = SERIAL_STDIO, .path = NULL };

	if (json_is_null(v))
		return 0;
	int rc = cfg_parse_object(c, p, v, serial_fields, ARRAY_LEN(serial_fields), &s);
	if (rc == 0) {
		const struct jpath child = { .parent = p, .key = "path" };
		if (s.mode == SERIAL_FILE && !s.path)
			rc = cfg_fail(c, &child, "required when mode is \"file\"");
		else if (s.mode != SERIAL_FILE && s.path)
			rc = cfg_fail(c, &child, "only allowed when mode is \"file\"");
	}
	if (rc < 0) {
		free(s.path);
		return rc;
	}
	cfg->serial_mode = s.mode;
	cfg->console_device = s.device;
	free(cfg->serial_path);
	cfg->serial_path = s.path;
	return 0;
}

/* ---- top level ------------------------------------------------------------ */

static const struct field top_fields[] = {
	{ "boot-source", parse_boot_source, true },
	{ "machine-config", parse_machine_config, true },
	{ "serial", parse_serial, false },
	{ "drives", cfg_parse_drives, false },
	{ "network-interfaces", cfg_parse_net, false },
	{ "vsock", cfg_parse_vsock, false },
	/* Firecracker sections not implemented: accepted only when empty. */
	{ "balloon", cfg_parse_unsupported, false },
	{ "logger", cfg_parse_unsupported, false },
	{ "metrics", cfg_parse_unsupported, false },
	{ "mmds-config", cfg_parse_unsupported, false },
	{ "entropy", cfg_parse_entropy, false },
	{ "cpu-config", cfg_parse_unsupported, false },
	{ "vfio", cfg_parse_vfio, false },
	{ "iommu", cfg_parse_iommu, false },
};

void config_free(struct skiff_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->source);
	free(cfg->kernel_image_path);
	free(cfg->initrd_path);
	free(cfg->boot_args);
	free(cfg->serial_path);
	cfg_drives_free(cfg->drives, cfg->nr_drives);
	cfg_vfio_free(cfg->vfio, cfg->nr_vfio);
	cfg_net_free(cfg->net, cfg->nr_net);
	free(cfg->vsock.uds_path);
	memset(cfg, 0, sizeof(*cfg));
}

int config_load_buffer(const char *name, const char *data, size_t len, struct skiff_config *ret, char *err,
		       size_t errlen)
{
	struct ctx c = { .name = name ? name : "<config>", .err = err, .errlen = errlen };
	struct skiff_config cfg = {
		.serial_mode = SERIAL_STDIO, .iommu.address_width = CONFIG_IOMMU_ADDR_WIDTH_DEFAULT,
	};
	json_error_t jerr;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!data && len)
		return cfg_fail(&c, NULL, "no data");

	json_t *root = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root)
		return cfg_fail_json(&c, &jerr);

	if (!json_is_object(root)) {
		rc = cfg_fail(&c, NULL, "expected a JSON object at the top level");
		goto out;
	}
	rc = cfg_parse_object(&c, NULL, root, top_fields, ARRAY_LEN(top_fields), &cfg);
	if (rc == 0)
		rc = cfg_check_iommu(&c, &cfg);
	if (rc < 0)
		goto out;

	cfg.source = strdup(c.name);
	if (!cfg.source) {
		rc = cfg_fail_nomem(&c);
		goto out;
	}
	*ret = cfg;
	json_decref(root);
	return 0;

out:
	config_free(&cfg);
	json_decref(root);
	return rc;
}

int config_load_file(const char *path, struct skiff_config *ret, char *err, size_t errlen)
{
	struct ctx c = { .name = path ? path : "<config>", .err = err, .errlen = errlen };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!path)
		return cfg_fail(&c, NULL, "%s", strerror(EINVAL));

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		cfg_fail(&c, NULL, "%s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= CONFIG_FILE_MAX) {
				rc = -EFBIG;
				cfg_fail(&c, NULL, "%s", strerror(EFBIG));
				goto out;
			}
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf = realloc(buf, ncap);
			if (!nbuf) {
				rc = cfg_fail_nomem(&c);
				goto out;
			}
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			cfg_fail(&c, NULL, "%s", strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = config_load_buffer(path, buf, len, ret, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}
