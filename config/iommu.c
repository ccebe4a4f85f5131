// SPDX-License-Identifier: Apache-2.0
/*
 * skiff's "iommu" section: guest-visible VT-d units (docs/vvtd.md). With
 * "enabled": true every PCIe root bus that holds devices gets a unit of
 * its own; virtio-mmio (pci=off) has no vIOMMU, so the two exclude each
 * other, checked once the whole document is parsed (boot_args may come
 * after the section).
 */
#include <string.h>

#include "config-priv.h"

static int parse_enabled(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	return cfg_get_bool(c, p, v, &((struct skiff_iommu *)out)->enabled);
}

static int parse_address_width(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_iommu *io = out;

	if (json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return cfg_fail_type(c, p, "an integer", v);
	if (json_integer_value(v) != 48 && json_integer_value(v) != 57)
		return cfg_fail(c, p, "must be 48 (4-level tables) or 57 (5-level), got %lld",
				(long long)json_integer_value(v));
	io->address_width = (unsigned)json_integer_value(v);
	return 0;
}

static const struct field iommu_fields[] = {
	{ "enabled", parse_enabled, false },
	{ "address_width", parse_address_width, false },
};

int cfg_parse_iommu(struct ctx *c, const struct jpath *p, json_t *v, void *out)
{
	struct skiff_config *cfg = out;
	struct skiff_iommu io = { .enabled = false, .address_width = CONFIG_IOMMU_ADDR_WIDTH_DEFAULT };
	int rc;

	if (json_is_null(v))
		return 0;
	rc = cfg_parse_object(c, p, v, iommu_fields, ARRAY_LEN(iommu_fields), &io);
	if (rc == 0)
		cfg->iommu = io;
	return rc;
}

/* "pci=off" as a whole word of the command line. */
static bool has_pci_off(const char *args)
{
	static const char tok[] = "pci=off";

	for (const char *s = args; s && *s;) {
		while (*s == ' ')
			s++;
		if (!strncmp(s, tok, sizeof(tok) - 1) && (s[sizeof(tok) - 1] == ' ' || !s[sizeof(tok) - 1]))
			return true;
		s = strchr(s, ' ');
	}
	return false;
}

int cfg_check_iommu(struct ctx *c, const struct skiff_config *cfg)
{
	const struct jpath sec = { .key = "iommu" }, en = { .parent = &sec, .key = "enabled" };

	if (cfg->iommu.enabled && has_pci_off(cfg->boot_args))
		return cfg_fail(c, &en, "boot-source.boot_args has pci=off, and virtio-mmio devices cannot sit "
			       "behind a vIOMMU; drop pci=off or the iommu section");
	return 0;
}
