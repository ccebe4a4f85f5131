/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside config/: the schema machinery (schema.c) that the section parsers
 * (config.c, drives.c) are written with.
 *
 * A section is a table of struct field mapping each known key of an object
 * to a parse function. cfg_parse_object() walks an object's members in
 * document order, rejects unknown keys (with a did-you-mean suggestion
 * from the same table) and then reports missing required keys in table
 * order. The first error wins: every parse function returns -errno at once
 * and the message is written only once, by one of the cfg_fail*()
 * functions, as "FILE: PATH: message".
 */
#ifndef SKIFF_CONFIG_PRIV_H
#define SKIFF_CONFIG_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A JSON path as a chain of frames on the C stack. */
struct jpath {
	const struct jpath *parent;
	const char *key; /* object member, or NULL for an array element */
	size_t index;
};

/* One parse: the name for messages and the caller's message buffer. */
struct ctx {
	const char *name; /* FILE in messages */
	char *err;
	size_t errlen;
	size_t used;
};

/* ---- messages (each returns -EINVAL, cfg_fail_nomem -ENOMEM) ---------------- */

/* Write "FILE: path: message" (or "FILE: message" without a path). */
int cfg_fail(struct ctx *c, const struct jpath *p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "expected WANT, got TYPE-OF-V" */
int cfg_fail_type(struct ctx *c, const struct jpath *p, const char *want, const json_t *v);
int cfg_fail_nomem(struct ctx *c);
/* A syntax error from jansson: "FILE:LINE:COLUMN: text". */
int cfg_fail_json(struct ctx *c, const json_error_t *jerr);

/* ---- objects --------------------------------------------------------------- */

typedef int (*field_fn)(struct ctx *c, const struct jpath *p, json_t *v, void *out);

struct field {
	const char *key;
	field_fn parse;
	bool required;
};

/* obj's members through fields[0..nr) into out. */
int cfg_parse_object(struct ctx *c, const struct jpath *p, json_t *obj, const struct field *fields, size_t nr,
		     void *out);

/*
 * An array (or null) of at most max objects, each parsed with fields into
 * one element of elem_size bytes, after init (if set) gave it its defaults.
 * *ret gets the calloc'd elements and *ret_n their number (NULL and 0 for
 * null or []); on an error they stay there for the caller's free function.
 * what names the elements in the "at most" message.
 */
int cfg_parse_object_array(struct ctx *c, const struct jpath *p, json_t *v, size_t max, const char *what,
			   const struct field *fields, size_t nr_fields, size_t elem_size,
			   void (*init)(void *elem), void **ret, size_t *ret_n);

/* ---- values ------------------------------------------------------------------ */

/* String value into *dst (replacing it); null allowed when nullable. */
int cfg_get_string(struct ctx *c, const struct jpath *p, json_t *v, bool nullable, char **dst);
int cfg_get_int_range(struct ctx *c, const struct jpath *p, json_t *v, json_int_t min, json_int_t max,
		      json_int_t *dst);
/* Boolean, null meaning false. */
int cfg_get_bool(struct ctx *c, const struct jpath *p, json_t *v, bool *dst);
/* A boolean that must be off (false or null); msg when it is true. */
int cfg_get_bool_off(struct ctx *c, const struct jpath *p, json_t *v, const char *msg);

struct cfg_enum {
	const char *name;
	int value;
};

/*
 * A string that must be one of names[0..nr): its value into *dst. null
 * leaves *dst alone. Anything else: must be "A", "B" or "C", got "X".
 */
int cfg_get_enum(struct ctx *c, const struct jpath *p, json_t *v, const struct cfg_enum *names, size_t nr,
		 int *dst);

/* ---- field parsers for what skiff does not implement ------------------------ */

/* A Firecracker feature skiff lacks: accepted only when off (false/null). */
int cfg_parse_bool_off(struct ctx *c, const struct jpath *p, json_t *v, void *out);
/* A Firecracker enum skiff only supports as "None" (or null). */
int cfg_parse_none_only(struct ctx *c, const struct jpath *p, json_t *v, void *out);
/* Only null. */
int cfg_parse_null_only(struct ctx *c, const struct jpath *p, json_t *v, void *out);
/* Firecracker sections skiff does not implement: only "nothing" (null, [], {}) passes. */
int cfg_parse_unsupported(struct ctx *c, const struct jpath *p, json_t *v, void *out);

/* ---- sections in drives.c (out is the struct skiff_config) ------------------ */

int cfg_parse_drives(struct ctx *c, const struct jpath *p, json_t *v, void *out);
int cfg_parse_entropy(struct ctx *c, const struct jpath *p, json_t *v, void *out);
void cfg_drives_free(struct skiff_drive *drives, unsigned n);

/* ---- network-interfaces and vsock in net.c ------------------------------------ */

int cfg_parse_net(struct ctx *c, const struct jpath *p, json_t *v, void *out);
int cfg_parse_vsock(struct ctx *c, const struct jpath *p, json_t *v, void *out);
void cfg_net_free(struct skiff_net *n, unsigned nr);

/* ---- the vfio section in vfio.c --------------------------------------------- */

int cfg_parse_vfio(struct ctx *c, const struct jpath *p, json_t *v, void *out);
void cfg_vfio_free(struct skiff_vfio *v, unsigned n);

/* ---- the iommu section in iommu.c ------------------------------------------- */

int cfg_parse_iommu(struct ctx *c, const struct jpath *p, json_t *v, void *out);
/* After the whole document: what the section excludes elsewhere (pci=off). */
int cfg_check_iommu(struct ctx *c, const struct skiff_config *cfg);

#endif
