// SPDX-License-Identifier: Apache-2.0
/*
 * skiff's vfio section: host PCI functions assigned to the guest.
 *   "vfio": [{"id": "nvme0", "bdf": "0000:00:03.0", "root_bus": 0, "slot": 3}]
 */
#include "config-priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_id(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_vfio *d = out;
	int rc = cfg_get_string(c, p, v, false, &d->id);

	if (rc < 0)
		return rc;
	for (const char *q = d->id; *q; q++)
		if (!(isalnum((unsigned char)*q) || *q == '_'))
			return cfg_fail(c, p, "must contain only letters, digits and '_', got \"%s\"", d->id);
	if (strlen(d->id) > 20)
		return cfg_fail(c, p, "must be at most 20 characters");
	return 0;
}

static bool hexn(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_bdf(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_vfio *d = out;
	int rc = cfg_get_string(c, p, v, false, &d->bdf);
	const char *s;
	unsigned dev;

	if (rc < 0)
		return rc;
	s = d->bdf;
	if (strlen(s) != 12 || !hexn(s, 4) || s[4] != ':' || !hexn(s + 5, 2) || s[7] != ':' || !hexn(s + 8, 2) ||
	    s[10] != '.' || s[11] < '0' || s[11] > '7' || sscanf(s + 8, "%2x", &dev) != 1 || dev > 0x1f)
		return cfg_fail(c, p, "must be a PCI address DDDD:BB:DD.F (device 00..1f, function 0..7), "
			    "e.g. \"0000:00:03.0\", got \"%s\"", s);
	for (char *q = d->bdf; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return 0;
}

static int parse_root_bus(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 0, 15, &n);

	if (rc == 0)
		((struct skiff_vfio *)out)->root_bus = (int)n;
	return rc;
}

static int parse_slot(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	json_int_t n = 0;
	int rc = cfg_get_int_range(c, p, v, 0, 31, &n);

	if (rc == 0)
		((struct skiff_vfio *)out)->slot = (int)n;
	return rc;
}

static const struct field vfio_fields[] = {
	{ "id", parse_id, true },
	{ "bdf", parse_bdf, true },
	{ "root_bus", parse_root_bus, false },
	{ "slot", parse_slot, false },
};

void cfg_vfio_free(struct skiff_vfio *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].bdf);
	}
	free(v);
}

static int vfio_check(struct ctx *c, const struct jpath *p, const struct skiff_vfio *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct jpath elem = { .parent = p, .index = i };

		for (unsigned j = 0; j < i; j++) {
			const struct jpath id = { .parent = &elem, .key = "id" };
			const struct jpath bdf = { .parent = &elem, .key = "bdf" };

			if (!strcmp(d[i].id, d[j].id))
				return cfg_fail(c, &id, "duplicate id \"%s\" (also vfio[%u])", d[i].id, j);
			if (!strcmp(d[i].bdf, d[j].bdf))
				return cfg_fail(c, &bdf, "%s is already assigned by vfio[%u]", d[i].bdf, j);
		}
	}
	return 0;
}

static void vfio_defaults(void *elem)
{
	struct skiff_vfio *d = elem;

	d->root_bus = -1;
	d->slot = -1;
}

int cfg_parse_vfio(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	void *elems;
	size_t n;
	int rc;

	rc = cfg_parse_object_array(c, p, v, 16, "devices", vfio_fields, ARRAY_LEN(vfio_fields), sizeof(struct skiff_vfio), vfio_defaults,
				    &elems, &n);
	if (rc == 0 && n)
		rc = vfio_check(c, p, elems, (unsigned)n);
	if (rc < 0 || n == 0) {
		cfg_vfio_free(elems, (unsigned)n);
		return rc;
	}
	cfg_vfio_free(cfg->vfio, cfg->nr_vfio);
	cfg->vfio = elems;
	cfg->nr_vfio = (unsigned)n;
	return 0;
}
