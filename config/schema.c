/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The schema machinery of the config parser (see config-priv.h): error
 * messages with their JSON path, did-you-mean suggestions for unknown
 * keys, cfg_parse_object() and the value getters.
 */
#include "config-priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- error reporting ---------------------------------------------------- */

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

/* Write "FILE: path: message" (or "FILE: message" without a path). */
int cfg_fail(struct ctx *c, const struct jpath *p, const char *fmt, ...)
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

int cfg_fail_type(struct ctx *c, const struct jpath *p, const char *want, const json_t *v)
{
	return cfg_fail(c, p, "expected %s, got %s", want, type_name(v));
}

int cfg_fail_nomem(struct ctx *c)
{
	cfg_fail(c, NULL, "out of memory");
	return -ENOMEM;
}

int cfg_fail_json(struct ctx *c, const json_error_t *jerr)
{
	const char *text = jerr->text;
	/* Do not leak jansson's flag name into user-facing messages. */
	const char *nul = "\\u0000 is not allowed without JSON_ALLOW_NUL";
	char fixed[JSON_ERROR_TEXT_LENGTH + 16];

	if (!strncmp(text, nul, strlen(nul))) {
		snprintf(fixed, sizeof(fixed), "\\u0000 is not allowed in strings%s", text + strlen(nul));
		text = fixed;
	}
	c->used = 0;
	out_str(c, c->name);
	if (jerr->line > 0)
		out_fmt(c, ":%d:%d", jerr->line, jerr->column);
	out_str(c, ": ");
	out_str(c, text);
	out_finish(c);
	return -EINVAL;
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

int cfg_parse_object(struct ctx *c, const struct jpath *p, json_t *obj, const struct field *fields, size_t nr,
		     void *out)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return cfg_fail_type(c, p, "an object", obj);

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
				return cfg_fail(c, &child, "unknown key; did you mean \"%s\"?", hint);
			return cfg_fail(c, &child, "unknown key");
		}
		int rc = f->parse(c, &child, val, out);
		if (rc < 0)
			return rc;
	}

	for (size_t i = 0; i < nr; i++) {
		if (fields[i].required && !json_object_get(obj, fields[i].key)) {
			const struct jpath child = { .parent = p, .key = fields[i].key };
			return cfg_fail(c, &child, "required");
		}
	}
	return 0;
}

int cfg_parse_object_array(struct ctx *c, const struct jpath *p, json_t *v, size_t max, const char *what,
			   const struct field *fields, size_t nr_fields, size_t elem_size,
			   void (*init)(void *elem), void **ret, size_t *ret_n)
{
	size_t n;
	char *elems;
	int rc = 0;

	*ret = NULL;
	*ret_n = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return cfg_fail_type(c, p, "an array", v);
	n = json_array_size(v);
	if (n > max)
		return cfg_fail(c, p, "at most %zu %s, got %zu", max, what, n);
	if (n == 0)
		return 0;
	elems = calloc(n, elem_size);
	if (!elems)
		return cfg_fail_nomem(c);
	*ret = elems;
	*ret_n = n;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct jpath elem = { .parent = p, .index = i };

		if (init)
			init(elems + i * elem_size);
		rc = cfg_parse_object(c, &elem, json_array_get(v, i), fields, nr_fields, elems + i * elem_size);
	}
	return rc;
}

/* String value into *dst (replacing it); null allowed when nullable. */
int cfg_get_string(struct ctx *c, const struct jpath *p, json_t *v, bool nullable, char **dst)
{
	if (nullable && json_is_null(v)) {
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return cfg_fail_type(c, p, "a string", v);
	if (json_string_length(v) == 0)
		return cfg_fail(c, p, "must not be empty");
	char *s = strdup(json_string_value(v));
	if (!s)
		return cfg_fail_nomem(c);
	free(*dst);
	*dst = s;
	return 0;
}

int cfg_get_int_range(struct ctx *c, const struct jpath *p, json_t *v, json_int_t min, json_int_t max,
		      json_int_t *dst)
{
	if (!json_is_integer(v))
		return cfg_fail_type(c, p, "an integer", v);
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return cfg_fail(c, p, "must be %lld..%lld, got %lld", (long long)min, (long long)max, (long long)n);
	*dst = n;
	return 0;
}

/* Boolean, null meaning false. */
int cfg_get_bool(struct ctx *c, const struct jpath *p, json_t *v, bool *dst)
{
	if (json_is_null(v)) {
		*dst = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return cfg_fail_type(c, p, "a boolean", v);
	*dst = json_is_true(v);
	return 0;
}

int cfg_get_enum(struct ctx *c, const struct jpath *p, json_t *v, const struct cfg_enum *names, size_t nr,
		 int *dst)
{
	char list[128] = "";
	size_t used = 0;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cfg_fail_type(c, p, "a string", v);
	for (size_t i = 0; i < nr; i++) {
		if (!strcmp(json_string_value(v), names[i].name)) {
			*dst = names[i].value;
			return 0;
		}
	}
	/* "A", "B" or "C" */
	for (size_t i = 0; i < nr && used < sizeof(list); i++) {
		const char *sep = i == 0 ? "" : i + 1 < nr ? ", " : " or ";
		int n = snprintf(list + used, sizeof(list) - used, "%s\"%s\"", sep, names[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return cfg_fail(c, p, "must be %s, got \"%s\"", list, json_string_value(v));
}

/* A Firecracker feature skiff lacks: accepted only when off (false/null). */
int cfg_get_bool_off(struct ctx *c, const struct jpath *p, json_t *v, const char *msg)
{
	bool on = false;
	int rc = cfg_get_bool(c, p, v, &on);
	if (rc < 0)
		return rc;
	if (on)
		return cfg_fail(c, p, "%s", msg);
	return 0;
}

int cfg_parse_bool_off(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	return cfg_get_bool_off(c, p, v, "not supported by skiff");
}

/* A Firecracker enum skiff only supports as "None" (or null). */
int cfg_parse_none_only(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cfg_fail_type(c, p, "a string", v);
	if (strcmp(json_string_value(v), "None") != 0)
		return cfg_fail(c, p, "not supported by skiff");
	return 0;
}

int cfg_parse_null_only(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	return json_is_null(v) ? 0 : cfg_fail(c, p, "not supported by skiff");
}

static bool is_empty_section(const json_t *v)
{
	return json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_object(v) && json_object_size(v) == 0);
}

/* Firecracker sections skiff does not implement: only "nothing" passes. */
int cfg_parse_unsupported(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	(void)out;
	if (is_empty_section(v))
		return 0;
	return cfg_fail(c, p, "not supported by skiff");
}

