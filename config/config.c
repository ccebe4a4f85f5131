/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON configuration parser (Firecracker --config-file schema plus skiff's
 * own sections), built on jansson.
 *
 * The schema is a set of tables (struct field) mapping each known key of
 * an object to a parse function. parse_object() walks an object's members
 * in document order, rejects unknown keys (with a did-you-mean suggestion
 * from the same table) and then reports missing required keys in table
 * order. The first error wins: every parse function returns -errno at once
 * and the message is written only once.
 *
 * Firecracker sections skiff does not implement yet use parse_unsupported;
 * promoting one means writing its parse function (and its own field table)
 * and replacing the entry in top_fields[].
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define VCPU_MIN 1
#define VCPU_MAX 255
#define MEM_MIB_MIN 16
#define MEM_MIB_MAX 1048576ULL
#define CONFIG_FILE_MAX (64u << 20) /* refuse absurdly large config files */

/* ---- error reporting ---------------------------------------------------- */

/* A JSON path as a chain of frames on the C stack. */
struct jpath {
	const struct jpath *parent;
	const char *key; /* object member, or NULL for an array element */
	size_t index;
};

struct ctx {
	const char *name; /* FILE in messages */
	char *err;
	size_t errlen;
	size_t used;
};

static void out_append(struct ctx *c, const char *s, size_t n)
{
	if (!c->err || c->errlen == 0)
		return;
	size_t room = c->errlen - 1 - c->used;
	if (n > room)
		n = room;
	memcpy(c->err + c->used, s, n);
	c->used += n;
	c->err[c->used] = '\0';
}

static void out_str(struct ctx *c, const char *s)
{
	out_append(c, s, strlen(s));
}

static void out_vfmt(struct ctx *c, const char *fmt, va_list ap)
{
	if (!c->err || c->errlen == 0)
		return;
	size_t room = c->errlen - c->used;
	int n = vsnprintf(c->err + c->used, room, fmt, ap);
	if (n < 0)
		return;
	c->used += (size_t)n < room ? (size_t)n : room - 1;
}

static void out_fmt(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_fmt(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out_vfmt(c, fmt, ap);
	va_end(ap);
}

static bool key_is_plain(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++) {
		unsigned char ch = (unsigned char)*k;
		if (!(ch == '_' || ch == '-' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z')))
			return false;
	}
	return true;
}

/* Append a string in double quotes, escaping '"' and '\\'. */
static void out_quoted(struct ctx *c, const char *s)
{
	out_str(c, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			out_str(c, "\\");
		out_append(c, p, 1);
	}
	out_str(c, "\"");
}

static void out_path(struct ctx *c, const struct jpath *p)
{
	if (!p)
		return;
	out_path(c, p->parent);
	if (!p->key) {
		out_fmt(c, "[%zu]", p->index);
	} else if (key_is_plain(p->key)) {
		if (p->parent)
			out_str(c, ".");
		out_str(c, p->key);
	} else {
		/* Keys like "a.b" or "" would make the path ambiguous. */
		out_str(c, "[");
		out_quoted(c, p->key);
		out_str(c, "]");
	}
}

/*
 * Keep the message on one printable line: JSON keys and jansson's
 * "near '...'" can carry control characters or broken UTF-8. C0/C1
 * controls and invalid bytes become '?'; an incomplete sequence left at
 * the end by truncation is dropped.
 */
static void out_finish(struct ctx *c)
{
	if (!c->err || c->errlen == 0)
		return;
	unsigned char *s = (unsigned char *)c->err;
	bool truncated = c->used == c->errlen - 1;
	size_t i = 0;

	while (i < c->used) {
		unsigned char ch = s[i];
		if (ch < 0x80) {
			if (ch < 0x20 || ch == 0x7f)
				s[i] = '?';
			i++;
			continue;
		}
		size_t need = ch >= 0xc2 && ch <= 0xdf ? 2 : ch >= 0xe0 && ch <= 0xef ? 3 :
			      ch >= 0xf0 && ch <= 0xf4 ? 4 : 0;
		size_t k = 1;
		while (k < need && i + k < c->used && (s[i + k] & 0xc0) == 0x80)
			k++;
		if (need && k == need) {
			if (ch == 0xc2 && s[i + 1] < 0xa0) /* C1 control */
				s[i] = s[i + 1] = '?';
			i += need;
			continue;
		}
		if (need && i + k == c->used && truncated) {
			c->used = i;
			s[i] = '\0';
			break;
		}
		s[i++] = '?';
	}
}

static int fail(struct ctx *c, const struct jpath *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write "FILE: path: message" (or "FILE: message" without a path). */
static int fail(struct ctx *c, const struct jpath *p, const char *fmt, ...)
{
	va_list ap;

	c->used = 0;
	if (c->err && c->errlen)
		c->err[0] = '\0';
	out_str(c, c->name);
	out_str(c, ": ");
	if (p) {
		out_path(c, p);
		out_str(c, ": ");
	}
	va_start(ap, fmt);
	out_vfmt(c, fmt, ap);
	va_end(ap);
	out_finish(c);
	return -EINVAL;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:  return "object";
	case JSON_ARRAY:   return "array";
	case JSON_STRING:  return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL:    return "float";
	case JSON_TRUE:
	case JSON_FALSE:   return "boolean";
	case JSON_NULL:    return "null";
	}
	return "unknown";
}

static int fail_type(struct ctx *c, const struct jpath *p, const char *want, const json_t *v)
{
	return fail(c, p, "expected %s, got %s", want, type_name(v));
}

static int fail_nomem(struct ctx *c)
{
	fail(c, NULL, "out of memory");
	return -ENOMEM;
}

/* ---- did-you-mean ------------------------------------------------------- */

static bool key_char_eq(char a, char b)
{
	if ((a == '-' || a == '_') && (b == '-' || b == '_'))
		return true;
	if (a >= 'A' && a <= 'Z')
		a = (char)(a - 'A' + 'a');
	if (b >= 'A' && b <= 'Z')
		b = (char)(b - 'A' + 'a');
	return a == b;
}

#define LEV_MAX 64
/*
 * Levenshtein distance with case and '-'/'_' folded; callers make sure
 * both strings are short (at most LEV_MAX - 1 bytes).
 */
static size_t lev(const char *a, size_t la, const char *b, size_t lb)
{
	size_t row[LEV_MAX];

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (key_char_eq(a[i - 1], b[j - 1]) ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static size_t absdiff(size_t a, size_t b)
{
	return a > b ? a - b : b - a;
}

/*
 * How close an unknown key is to a known one; SIZE_MAX when not close.
 * Close means: equal but for case or '-'/'_', or Levenshtein distance
 * <= 2 (<= 1 when either key is shorter than 6 bytes), or within
 * distance 1 of a leading '_'-separated part of at least 4 letters
 * ("vcpus" ~ "vcpu_count", "kernel" ~ "kernel_image_path").
 */
static size_t key_distance(const char *key, const char *known)
{
	size_t lk = strlen(key), ln = strlen(known);
	size_t best = SIZE_MAX;

	if (lk >= LEV_MAX - 3 || ln >= LEV_MAX)
		return SIZE_MAX;
	if (absdiff(lk, ln) <= 2) {
		size_t d = lev(key, lk, known, ln);
		size_t max = (lk < ln ? lk : ln) >= 6 ? 2 : 1;
		if (d <= max)
			best = d;
	}
	for (size_t i = 4; i < ln; i++) {
		if (known[i] != '_' && known[i] != '-')
			continue;
		if (absdiff(lk, i) > 1)
			continue;
		size_t d = lev(key, lk, known, i);
		if (d <= 1 && d < best)
			best = d;
	}
	return best;
}

/* ---- schema machinery ---------------------------------------------------- */

typedef int (*field_fn)(struct ctx *c, const struct jpath *p, json_t *v, void *out);

struct field {
	const char *key;
	field_fn parse;
	bool required;
};

static int parse_object(struct ctx *c, const struct jpath *p, json_t *obj, const struct field *fields,
			size_t nr, void *out)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return fail_type(c, p, "an object", obj);

	json_object_foreach(obj, key, val) {
		const struct jpath child = { .parent = p, .key = key };
		const struct field *f = NULL;
		for (size_t i = 0; i < nr; i++) {
			if (!strcmp(fields[i].key, key)) {
				f = &fields[i];
				break;
			}
		}
		if (!f) {
			const char *hint = NULL;
			size_t best = SIZE_MAX;
			for (size_t i = 0; i < nr; i++) {
				size_t d = key_distance(key, fields[i].key);
				if (d < best) {
					best = d;
					hint = fields[i].key;
				}
			}
			if (hint)
				return fail(c, &child, "unknown key; did you mean \"%s\"?", hint);
			return fail(c, &child, "unknown key");
		}
		int rc = f->parse(c, &child, val, out);
		if (rc < 0)
			return rc;
	}

	for (size_t i = 0; i < nr; i++) {
		if (fields[i].required && !json_object_get(obj, fields[i].key)) {
			const struct jpath child = { .parent = p, .key = fields[i].key };
			return fail(c, &child, "required");
		}
	}
	return 0;
}

/* String value into *dst (replacing it); null allowed when nullable. */
static int get_string(struct ctx *c, const struct jpath *p, json_t *v, bool nullable, char **dst)
{
	if (nullable && json_is_null(v)) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return fail_type(c, p, "a string", v);
	if (json_string_length(v) == 0)
		return fail(c, p, "must not be empty");
	char *s = strdup(json_string_value(v));
	if (!s)
		return fail_nomem(c);
	free(*dst);
	*dst = s;
	return 0;
}

static int get_int_range(struct ctx *c, const struct jpath *p, json_t *v, json_int_t min, json_int_t max,
			 json_int_t *dst)
{
	if (!json_is_integer(v))
		return fail_type(c, p, "an integer", v);
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return fail(c, p, "must be %lld..%lld, got %lld", (long long)min, (long long)max, (long long)n);
	*dst = n;
	return 0;
}

/* Boolean, null meaning false. */
static int get_bool(struct ctx *c, const struct jpath *p, json_t *v, bool *dst)
{
	if (json_is_null(v)) {
		*dst = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return fail_type(c, p, "a boolean", v);
	*dst = json_is_true(v);
	return 0;
}

/* A Firecracker feature skiff lacks: accepted only when off (false/null). */
static int parse_bool_off(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	bool on = false;
	(void)out;
	int rc = get_bool(c, p, v, &on);
	if (rc < 0)
		return rc;
	if (on)
		return fail(c, p, "not supported by skiff");
	return 0;
}

/* A Firecracker enum skiff only supports as "None" (or null). */
static int parse_none_only(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail_type(c, p, "a string", v);
	if (strcmp(json_string_value(v), "None") != 0)
		return fail(c, p, "not supported by skiff");
	return 0;
}

static bool is_empty_section(const json_t *v)
{
	return json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

/* Firecracker sections skiff does not implement: only "nothing" passes. */
static int parse_unsupported(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	if (is_empty_section(v))
		return 0;
	return fail(c, p, "not supported by skiff");
}

/* skiff's own sections reserved for later. */
static int parse_reserved(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	if (is_empty_section(v))
		return 0;
	return fail(c, p, "not supported by skiff yet");
}

/* ---- boot-source ---------------------------------------------------------- */

static int parse_kernel_image_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_string(c, p, v, false, &((struct skiff_config *)out)->kernel_image_path);
}

static int parse_initrd_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_string(c, p, v, true, &((struct skiff_config *)out)->initrd_path);
}

static int parse_boot_args(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;

	/* An empty command line is a legitimate choice, unlike an empty path. */
	if (json_is_string(v) && json_string_length(v) == 0) {
		char *s = strdup("");
		if (!s)
			return fail_nomem(c);
		free(cfg->boot_args);
		cfg->boot_args = s;
		return 0;
	}
	return get_string(c, p, v, true, &cfg->boot_args);
}

static const struct field boot_source_fields[] = {
	{ "kernel_image_path", parse_kernel_image_path, true },
	{ "initrd_path", parse_initrd_path, false },
	{ "boot_args", parse_boot_args, false },
};

static int parse_boot_source(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return parse_object(c, p, v, boot_source_fields, sizeof(boot_source_fields) / sizeof(boot_source_fields[0]),
			    out);
}

/* ---- machine-config ------------------------------------------------------- */

static int parse_vcpu_count(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = get_int_range(c, p, v, VCPU_MIN, VCPU_MAX, &n);
	if (rc == 0)
		((struct skiff_config *)out)->vcpu_count = (unsigned)n;
	return rc;
}

static int parse_mem_size_mib(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = get_int_range(c, p, v, MEM_MIB_MIN, (json_int_t)MEM_MIB_MAX, &n);
	if (rc == 0)
		((struct skiff_config *)out)->mem_size_mib = (uint64_t)n;
	return rc;
}

static int parse_smt(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_bool(c, p, v, &((struct skiff_config *)out)->smt);
}

/* Firecracker's pre-1.0 name for smt; only "off" is accepted. */
static int parse_ht_enabled(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	bool on = false;
	(void)out;
	int rc = get_bool(c, p, v, &on);
	if (rc < 0)
		return rc;
	if (on)
		return fail(c, p, "not supported by skiff; use \"smt\"");
	return 0;
}

static const struct field machine_config_fields[] = {
	{ "vcpu_count", parse_vcpu_count, true },
	{ "mem_size_mib", parse_mem_size_mib, true },
	{ "smt", parse_smt, false },
	{ "ht_enabled", parse_ht_enabled, false },
	{ "track_dirty_pages", parse_bool_off, false },
	{ "huge_pages", parse_none_only, false },
	{ "cpu_template", parse_none_only, false },
};

static int parse_machine_config(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return parse_object(c, p, v, machine_config_fields,
			    sizeof(machine_config_fields) / sizeof(machine_config_fields[0]), out);
}

/* ---- serial (skiff) ------------------------------------------------------- */

struct serial_tmp {
	enum serial_mode mode;
	char *path;
	enum console_device device;
};

static int parse_serial_mode(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct serial_tmp *s = out;

	if (json_is_null(v)) {
		s->mode = SERIAL_STDIO;
		return 0;
	}
	if (!json_is_string(v))
		return fail_type(c, p, "a string", v);
	const char *m = json_string_value(v);
	if (!strcmp(m, "stdio"))
		s->mode = SERIAL_STDIO;
	else if (!strcmp(m, "file"))
		s->mode = SERIAL_FILE;
	else if (!strcmp(m, "off"))
		s->mode = SERIAL_OFF;
	else
		return fail(c, p, "must be \"stdio\", \"file\" or \"off\", got \"%s\"", m);
	return 0;
}

static int parse_serial_path(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_string(c, p, v, true, &((struct serial_tmp *)out)->path);
}

static int parse_serial_device(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct serial_tmp *s = out;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail_type(c, p, "a string", v);
	if (!strcmp(json_string_value(v), "com1"))
		s->device = CONSOLE_COM1;
	else if (!strcmp(json_string_value(v), "virtio"))
		s->device = CONSOLE_VIRTIO;
	else
		return fail(c, p, "must be \"com1\" or \"virtio\", got \"%s\"", json_string_value(v));
	return 0;
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
	int rc = parse_object(c, p, v, serial_fields, sizeof(serial_fields) / sizeof(serial_fields[0]), &s);
	if (rc == 0) {
		const struct jpath child = { .parent = p, .key = "path" };
		if (s.mode == SERIAL_FILE && !s.path)
			rc = fail(c, &child, "required when mode is \"file\"");
		else if (s.mode != SERIAL_FILE && s.path)
			rc = fail(c, &child, "only allowed when mode is \"file\"");
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

/* ---- drives (Firecracker) -------------------------------------------------- */

static int parse_drive_id(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_drive *d = out;
	int rc = get_string(c, p, v, false, &d->drive_id);

	if (rc < 0)
		return rc;
	/* Firecracker's rule; it also keeps the id usable as a 20-byte disk serial. */
	for (const char *q = d->drive_id; *q; q++)
		if (!(isalnum((unsigned char)*q) || *q == '_'))
			return fail(c, p, "must contain only letters, digits and '_', got \"%s\"", d->drive_id);
	if (strlen(d->drive_id) > 20)
		return fail(c, p, "must be at most 20 characters (it is the disk's serial)");
	return 0;
}

static int parse_path_on_host(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_string(c, p, v, false, &((struct skiff_drive *)out)->path_on_host);
}

static int parse_is_root_device(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_bool(c, p, v, &((struct skiff_drive *)out)->is_root_device);
}

static int parse_is_read_only(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_bool(c, p, v, &((struct skiff_drive *)out)->is_read_only);
}

static int parse_partuuid(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return get_string(c, p, v, true, &((struct skiff_drive *)out)->partuuid);
}

static int parse_cache_type(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_drive *d = out;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail_type(c, p, "a string", v);
	if (!strcmp(json_string_value(v), "Unsafe"))
		d->cache_type = DRIVE_CACHE_UNSAFE;
	else if (!strcmp(json_string_value(v), "Writeback"))
		d->cache_type = DRIVE_CACHE_WRITEBACK;
	else
		return fail(c, p, "must be \"Unsafe\" or \"Writeback\", got \"%s\"", json_string_value(v));
	return 0;
}

/* skiff always uses io_uring; both of Firecracker's engine names are accepted. */
static int parse_io_engine(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail_type(c, p, "a string", v);
	if (strcmp(json_string_value(v), "Sync") && strcmp(json_string_value(v), "Async"))
		return fail(c, p, "must be \"Sync\" or \"Async\", got \"%s\"", json_string_value(v));
	return 0;
}

static int parse_null_only(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	return json_is_null(v) ? 0 : fail(c, p, "not supported by skiff");
}

static int parse_drive_root_bus(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = get_int_range(c, p, v, 0, 15, &n);

	if (rc == 0)
		((struct skiff_drive *)out)->root_bus = (int)n;
	return rc;
}

static int parse_drive_slot(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = get_int_range(c, p, v, 0, 31, &n);

	if (rc == 0)
		((struct skiff_drive *)out)->slot = (int)n;
	return rc;
}

static int parse_drive_num_queues(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = get_int_range(c, p, v, 1, 16, &n);

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
	{ "rate_limiter", parse_null_only, false },
	{ "socket", parse_null_only, false },
	{ "root_bus", parse_drive_root_bus, false },
	{ "slot", parse_drive_slot, false },
	{ "num_queues", parse_drive_num_queues, false },
};

static void drives_free(struct skiff_drive *drives, unsigned n)
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
				return fail(c, &key, "duplicate id \"%s\" (also drives[%u])", d[i].drive_id, j);
			if (d[i].is_root_device && d[j].is_root_device) {
				const struct jpath root = { .parent = &elem, .key = "is_root_device" };

				return fail(c, &root, "only one drive can be the root device (drives[%u] is)", j);
			}
		}
	}
	return 0;
}

static int parse_drives(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	struct skiff_drive *drives;
	size_t n;
	int rc = 0;

	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return fail_type(c, p, "an array", v);
	n = json_array_size(v);
	if (n > 32)
		return fail(c, p, "at most 32 drives, got %zu", n);
	if (n == 0)
		return 0;
	drives = calloc(n, sizeof(*drives));
	if (!drives)
		return fail_nomem(c);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct jpath elem = { .parent = p, .index = i };

		drives[i].root_bus = -1;
		drives[i].slot = -1;
		drives[i].num_queues = 1;
		rc = parse_object(c, &elem, json_array_get(v, i), drive_fields, ARRAY_LEN(drive_fields), &drives[i]);
	}
	if (rc == 0)
		rc = drives_check(c, p, drives, (unsigned)n);
	if (rc < 0) {
		drives_free(drives, (unsigned)n);
		return rc;
	}
	drives_free(cfg->drives, cfg->nr_drives);
	cfg->drives = drives;
	cfg->nr_drives = (unsigned)n;
	return 0;
}

/* ---- entropy (Firecracker): an object adds virtio-rng -------------------- */

static const struct field entropy_fields[] = {
	{ "rate_limiter", parse_null_only, false },
};

static int parse_entropy(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	int rc;

	if (json_is_null(v))
		return 0;
	rc = parse_object(c, p, v, entropy_fields, ARRAY_LEN(entropy_fields), NULL);
	if (rc == 0)
		((struct skiff_config *)out)->entropy = true;
	return rc;
}

/* ---- top level ------------------------------------------------------------ */

static const struct field top_fields[] = {
	{ "boot-source", parse_boot_source, true },
	{ "machine-config", parse_machine_config, true },
	{ "serial", parse_serial, false },
	/* Firecracker sections not implemented yet. */
	{ "drives", parse_drives, false },
	{ "network-interfaces", parse_unsupported, false },
	{ "vsock", parse_unsupported, false },
	{ "balloon", parse_unsupported, false },
	{ "logger", parse_unsupported, false },
	{ "metrics", parse_unsupported, false },
	{ "mmds-config", parse_unsupported, false },
	{ "entropy", parse_entropy, false },
	{ "cpu-config", parse_unsupported, false },
	/* skiff sections reserved for later. */
	{ "vfio", parse_reserved, false },
	{ "iommu", parse_reserved, false },
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
	drives_free(cfg->drives, cfg->nr_drives);
	memset(cfg, 0, sizeof(*cfg));
}

int config_load_buffer(const char *name, const char *data, size_t len, struct skiff_config *ret, char *err,
		       size_t errlen)
{
	struct ctx c = { .name = name ? name : "<config>", .err = err, .errlen = errlen };
	struct skiff_config cfg = { .serial_mode = SERIAL_STDIO };
	json_error_t jerr;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!data && len)
		return fail(&c, NULL, "no data");

	json_t *root = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		const char *text = jerr.text;
		/* Do not leak jansson's flag name into user-facing messages. */
		const char *nul = "\\u0000 is not allowed without JSON_ALLOW_NUL";
		char fixed[JSON_ERROR_TEXT_LENGTH + 16];
		if (!strncmp(text, nul, strlen(nul))) {
			snprintf(fixed, sizeof(fixed), "\\u0000 is not allowed in strings%s", text + strlen(nul));
			text = fixed;
		}
		c.used = 0;
		out_str(&c, c.name);
		if (jerr.line > 0)
			out_fmt(&c, ":%d:%d", jerr.line, jerr.column);
		out_str(&c, ": ");
		out_str(&c, text);
		out_finish(&c);
		return -EINVAL;
	}

	if (!json_is_object(root)) {
		rc = fail(&c, NULL, "expected a JSON object at the top level");
		goto out;
	}
	rc = parse_object(&c, NULL, root, top_fields, sizeof(top_fields) / sizeof(top_fields[0]), &cfg);
	if (rc < 0)
		goto out;

	cfg.source = strdup(c.name);
	if (!cfg.source) {
		rc = fail_nomem(&c);
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
		return fail(&c, NULL, "%s", strerror(EINVAL));

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		fail(&c, NULL, "%s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= CONFIG_FILE_MAX) {
				rc = -EFBIG;
				fail(&c, NULL, "%s", strerror(EFBIG));
				goto out;
			}
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf = realloc(buf, ncap);
			if (!nbuf) {
				rc = fail_nomem(&c);
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
			fail(&c, NULL, "%s", strerror(-rc));
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
