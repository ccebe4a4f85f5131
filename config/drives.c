/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drives section (Firecracker's, plus skiff's root_bus, slot and
 * num_queues) and the entropy section of the VM configuration.
 */
#include "config-priv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- drives (Firecracker) -------------------------------------------------- */

static int parse_drive_id(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_drive *d = out;
	int rc = cfg_get_string(c, p, v, false, &d->drive_id);

	if (rc < 0)
		return rc;
	/* Firecracker's rule; it also keeps the id usable as a 20-byte disk serial. */
	for (const char *q = d->drive_id; *q; q++)
		if (!(isalnum((unsigned char)*q) || *q == '_'))
			return cfg_fail(c, p, "must contain only letters, digits and '_', got \"%s\"", d->drive_id);
	if (strlen(d->drive_id) > 20)
		return cfg_fail(c, p, "must be at most 20 characters (it is the disk's serial)");
	return 0;
}

static int parse_path_on_host(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_string(c, p, v, false, &((struct skiff_drive *)out)->path_on_host);
}

static int parse_is_root_device(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_bool(c, p, v, &((struct skiff_drive *)out)->is_root_device);
}

static int parse_is_read_only(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_bool(c, p, v, &((struct skiff_drive *)out)->is_read_only);
}

static int parse_partuuid(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_string(c, p, v, true, &((struct skiff_drive *)out)->partuuid);
}

static int parse_cache_type(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	static const struct cfg_enum names[] = {
		{ "Unsafe", DRIVE_CACHE_UNSAFE },
		{ "Writeback", DRIVE_CACHE_WRITEBACK },
	};
	struct skiff_drive *d = out;
	int cache = d->cache_type;
	int rc = cfg_get_enum(c, p, v, names, ARRAY_LEN(names), &cache);

	d->cache_type = (enum drive_cache)cache;
	return rc;
}

/* skiff always uses io_uring; both of Firecracker's engine names are accepted. */
static int parse_io_engine(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	static const struct cfg_enum names[] = { { "Sync", 0 }, { "Async", 0 } };
	int ignored = 0;

	(void)out;
	return cfg_get_enum(c, p, v, names, ARRAY_LEN(names), &ignored);
}

static int parse_drive_root_bus(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 0, 15, &n);

	if (rc == 0)
		((struct skiff_drive *)out)->root_bus = (int)n;
	return rc;
}

static int parse_drive_slot(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 0, 31, &n);

	if (rc == 0)
		((struct skiff_drive *)out)->slot = (int)n;
	return rc;
}

static int parse_drive_num_queues(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 1, 16, &n);

	if (rc == 0)
		((struct skiff_drive *)out)->num_queues = (unsigned)n;
	return rc;
}

static const struct field drive_fields[] = {
	{ "drive_id", parse_drive_id, true },
	{ "path_on_host", parse_path_on_host, true },
	{ "is_root_device", parse_is_root_device, true },
	{ "is_read_only", parse_is_read_only, false },
	{ "partuuid", parse_partuuid, false },
	{ "cache_type", parse_cache_type, false },
	{ "io_engine", parse_io_engine, false },
	{ "rate_limiter", cfg_parse_null_only, false },
	{ "socket", cfg_parse_null_only, false },
	{ "root_bus", parse_drive_root_bus, false },
	{ "slot", parse_drive_slot, false },
	{ "num_queues", parse_drive_num_queues, false },
};

void cfg_drives_free(struct skiff_drive *drives, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(drives[i].drive_id);
		free(drives[i].path_on_host);
		free(drives[i].partuuid);
	}
	free(drives);
}

/* Checks across entries: unique ids, at most one root device. */
static int drives_check(struct ctx *c, const struct jpath *p, const struct skiff_drive *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct jpath elem = { .parent = p, .index = i };

		for (unsigned j = 0; j < i; j++) {
			const struct jpath key = { .parent = &elem, .key = "drive_id" };

			if (!strcmp(d[i].drive_id, d[j].drive_id))
				return cfg_fail(c, &key, "duplicate id \"%s\" (also drives[%u])", d[i].drive_id, j);
			if (d[i].is_root_device && d[j].is_root_device) {
				const struct jpath root = { .parent = &elem, .key = "is_root_device" };

				return cfg_fail(c, &root, "only one drive can be the root device (drives[%u] is)", j);
			}
		}
	}
	return 0;
}

static void drive_defaults(void *elem)
{
	struct skiff_drive *d = elem;

	d->root_bus = -1;
	d->slot = -1;
	d->num_queues = 1;
}

int cfg_parse_drives(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	void *elems;
	size_t n;
	int rc;

	rc = cfg_parse_object_array(c, p, v, 32, "drives", drive_fields, ARRAY_LEN(drive_fields), sizeof(struct skiff_drive), drive_defaults,
				    &elems, &n);
	if (rc == 0 && n)
		rc = drives_check(c, p, elems, (unsigned)n);
	if (rc < 0 || n == 0) {
		cfg_drives_free(elems, (unsigned)n);
		return rc;
	}
	cfg_drives_free(cfg->drives, cfg->nr_drives);
	cfg->drives = elems;
	cfg->nr_drives = (unsigned)n;
	return 0;
}

/* ---- entropy (Firecracker): an object adds virtio-rng -------------------- */

static const struct field entropy_fields[] = {
	{ "rate_limiter", cfg_parse_null_only, false },
};

int cfg_parse_entropy(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	int rc;

	if (json_is_null(v))
		return 0;
	rc = cfg_parse_object(c, p, v, entropy_fields, ARRAY_LEN(entropy_fields), NULL);
	if (rc == 0)
		((struct skiff_config *)out)->entropy = true;
	return rc;
}
