// SPDX-License-Identifier: Apache-2.0
/*
 * The plan for people (text) and for tools (JSON, schema "skiff-plan/1",
 * docs/iommu.md): host IOMMU -> guest vIOMMU -> root bus -> devices,
 * which stage-2 each unit uses and why, every fallback.
 */
#include <jansson.h>
#include <string.h>

#include "iommu-priv.h"

static unsigned bus_no(unsigned (*bus_number)(void *, unsigned), void *opaque, unsigned idx)
{
	return bus_number ? bus_number(opaque, idx) : idx;
}

static const char *mode_text(const struct iommu_unit *u)
{
	switch (u->mode) {
	case IOMMU_UNIT_VIOMMU: return "an iommufd vIOMMU object";
	case IOMMU_UNIT_PARENT: return "nesting on the parent HWPT (skiff's own vIOMMU, no iommufd vIOMMU object)";
	case IOMMU_UNIT_DIRECT: return "none";
	default: return "not decided (the plan was not executed)";
	}
}

static void print_text(const struct iommu_plan *p, FILE *out, unsigned (*bus_number)(void *, unsigned),
		       void *opaque)
{
	fprintf(out, "%u assigned device%s behind %u host IOMMU%s, %u stage-2 page table%s\n", p->nr_devs,
		p->nr_devs == 1 ? "" : "s", p->nr_units, p->nr_units == 1 ? "" : "s", p->nr_s2,
		p->nr_s2 == 1 ? "" : "s");
	for (unsigned i = 0; i < p->nr_units; i++) {
		const struct iommu_unit *u = &p->units[i];
		unsigned bus = bus_no(bus_number, opaque, u->root_bus);

		fprintf(out, "host IOMMU %s: %s (type %#x), capabilities %#llx, PASID bits %u\n", u->instance,
			iommu_hw_type_name(u->hw_type), u->hw_type, (unsigned long long)u->caps, u->max_pasid_log2);
		fprintf(out, "  vIOMMU: %s\n", mode_text(u));
		if (u->s2 >= 0)
			fprintf(out, "  stage-2: #%d, %s\n", u->s2, u->why);
		else if (u->mode == IOMMU_UNIT_DIRECT)
			fprintf(out, "  fallback: %s; devices attached to the VM's IOAS directly\n", u->why);
		fprintf(out, "  root bus %u (bus %02x)%s\n", u->root_bus, bus, u->bus_pinned ? ", pinned by the config" : "");
		for (unsigned k = 0; k < p->nr_devs; k++) {
			const struct iommu_dev *d = &p->devs[k];

			if (d->unit != i)
				continue;
			fprintf(out, "    %s%s%s%s: guest 0000:%02x:%02x.0, virt_id %#x, attached to %s%s%s%s\n", d->name,
				d->bdf[0] ? " (host " : "", d->bdf, d->bdf[0] ? ")" : "", bus, d->slot, d->virt_id,
				iommu_attach_kind_name(d->attached), d->vdevice_id ? ", with a vDEVICE" : "",
				d->why[0] ? "; fallback: " : "", d->why);
		}
	}
	for (unsigned s = 0; s < p->nr_s2; s++)
		fprintf(out, "stage-2 #%u: %s, made for %s, used by %u host IOMMU%s\n", s,
			iommu_hw_type_name(p->s2[s].hw_type), p->units[p->s2[s].first_unit].instance,
			p->s2[s].nr_units, p->s2[s].nr_units == 1 ? "" : "s");
}

static json_t *dev_json(const struct iommu_dev *d, unsigned bus)
{
	char gbdf[16];

	snprintf(gbdf, sizeof(gbdf), "0000:%02x:%02x.0", bus & 0xff, d->slot & 0x1f);
	return json_pack("{s:s, s:s?, s:s, s:i, s:I, s:s, s:b, s:s?}", "id", d->name, "host_bdf",
			 d->bdf[0] ? d->bdf : NULL, "guest_bdf", gbdf, "slot", (int)d->slot, "virt_id",
			 (json_int_t)d->virt_id, "attach", iommu_attach_kind_name(d->attached), "vdevice",
			 d->vdevice_id != 0, "fallback", d->why[0] ? d->why : NULL);
}

static json_t *unit_json(const struct iommu_plan *p, unsigned i, unsigned bus)
{
	const struct iommu_unit *u = &p->units[i];
	json_t *devs = json_array();
	json_t *o;

	for (unsigned k = 0; k < p->nr_devs; k++)
		if (p->devs[k].unit == i)
			json_array_append_new(devs, dev_json(&p->devs[k], bus));
	o = json_pack("{s:s, s:s, s:I, s:I, s:i, s:s, s:o, s:s?, s:s?, s:i, s:i, s:b, s:o}", "host_iommu",
		      u->instance, "type", iommu_hw_type_name(u->hw_type), "type_id", (json_int_t)u->hw_type,
		      "capabilities", (json_int_t)u->caps, "max_pasid_log2", (int)u->max_pasid_log2, "mode",
		      iommu_unit_mode_name(u->mode), "stage2", u->s2 >= 0 ? json_integer(u->s2) : json_null(),
		      "stage2_reason", u->s2 >= 0 ? u->why : NULL, "fallback",
		      u->mode == IOMMU_UNIT_DIRECT ? u->why : NULL, "root_bus", (int)u->root_bus, "bus_number",
		      (int)bus, "root_bus_pinned", u->bus_pinned, "devices", devs);
	return o;
}

static void print_json(const struct iommu_plan *p, FILE *out, unsigned (*bus_number)(void *, unsigned),
		       void *opaque)
{
	json_t *units = json_array(), *s2s = json_array(), *root;

	for (unsigned i = 0; i < p->nr_units; i++)
		json_array_append_new(units, unit_json(p, i, bus_no(bus_number, opaque, p->units[i].root_bus)));
	for (unsigned s = 0; s < p->nr_s2; s++) {
		json_t *users = json_array();

		for (unsigned i = 0; i < p->nr_units; i++)
			if (p->units[i].s2 == (int)s)
				json_array_append_new(users, json_string(p->units[i].instance));
		json_array_append_new(s2s, json_pack("{s:i, s:s, s:s, s:o}", "index", (int)s, "type",
						     iommu_hw_type_name(p->s2[s].hw_type), "made_for",
						     p->units[p->s2[s].first_unit].instance, "host_iommus", users));
	}
	root = json_pack("{s:s, s:o, s:o}", "schema", "skiff-plan/1", "host_iommus", units, "stage2", s2s);
	json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
}

void iommu_plan_print(const struct iommu_plan *p, FILE *out, bool json, unsigned (*bus_number)(void *, unsigned),
		      void *opaque)
{
	if (json)
		print_json(p, out, bus_number, opaque);
	else
		print_text(p, out, bus_number, opaque);
}
