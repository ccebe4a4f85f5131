// SPDX-License-Identifier: Apache-2.0
/*
 * IO Remapping Table (Arm DEN 0049E.d), the arm64 counterpart of the
 * DMAR: x86's `skiff plan --dump-acpi` and the arm64 guest's tables
 * (acpi_build_arm64, docs/arm64.md). Layout (docs/acpi.md):
 *
 *   header | ITS group | SMMUv3 node per vIOMMU | root complex per segment
 *          [| RMR node per vIOMMU]
 *
 * Root complex k (segment s) maps each vIOMMU's requester IDs
 * [bus_first << 8, bus_last << 8 | 0xff] to that vIOMMU's SMMUv3 node
 * with StreamID = RID, and every RID outside the vIOMMUs straight to the
 * ITS (DeviceID (s << 16) | RID) so those functions still get MSIs.
 * SMMUv3 node i maps its StreamIDs on to the ITS (the same DeviceIDs) and
 * has a second, single mapping for its own MSIs (event queue, GERROR,
 * CMD_SYNC: all MSI-based, no GSIVs), DeviceID
 * ACPI_IORT_SMMU_DEVID_BASE + i, named by its DeviceID mapping index.
 * RMR node i (with opts.rmr_size) maps vIOMMU i's stream IDs to its SMMUv3
 * node and lists the one range that must stay identity-mapped for them.
 * Flags: COHACC override (the SMMU's table walks are coherent, as all of
 * a VM's memory is); the root complexes are coherent (CCA, CPM, DACS), no
 * ATS, no PASID.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "tables.h"

#define SMMU_FRAME   0x20000ull /* two 64 KiB register pages */
#define SMMU_ALIGN   0x10000ull
#define SMMU_NR_MAPS 2          /* StreamIDs -> ITS, own MSIs -> ITS */
#define RID_LAST     0xffffu
#define RMR_NODE_LEN (sizeof(struct acpi_iort_rmr) + sizeof(struct acpi_iort_id_mapping) + \
		      sizeof(struct acpi_iort_rmr_desc))

static const struct acpi_iort_opts x86_dump_opts = { .smmu_devid_base = ACPI_IORT_SMMU_DEVID_BASE };

struct iort_plan {
	unsigned nr_segments;
	uint16_t segments[ACPI_MAX_VIOMMUS]; /* increasing */
	unsigned rc_maps[ACPI_MAX_VIOMMUS];  /* ID mappings of each root complex */
	uint32_t smmu_off, rc_off[ACPI_MAX_VIOMMUS], rmr_off, len;
	unsigned nr_rmr;
};

static uint32_t rid_first(const struct acpi_viommu *u)
{
	return (uint32_t)u->bus_first << 8;
}

static uint32_t rid_last(const struct acpi_viommu *u)
{
	return (uint32_t)u->bus_last << 8 | 0xff;
}

static int check_iort(const struct acpi_viommu *v, unsigned n, unsigned addr_bits,
		      const struct acpi_iort_opts *o)
{
	int err = acpi_viommus_check(v, n, NULL, 0);

	if (err)
		return err;
	if ((!n && !o->rc_segment0) || addr_bits < 32 || addr_bits > 64)
		return -EINVAL;
	if (o->rmr_size && (o->rmr_base % SMMU_ALIGN || o->rmr_size % SMMU_ALIGN ||
			    o->rmr_base > UINT64_MAX - (o->rmr_size - 1)))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (v[i].segment >= ACPI_IORT_MAX_SEGMENT || v[i].reg_base % SMMU_ALIGN ||
		    v[i].reg_base > UINT64_MAX - (SMMU_FRAME - 1))
			return -EINVAL;
		for (unsigned j = i + 1; j < n; j++)
			if (v[i].reg_base < v[j].reg_base + SMMU_FRAME &&
			    v[j].reg_base < v[i].reg_base + SMMU_FRAME)
				return -EINVAL;
	}
	return 0;
}

/* vIOMMUs of segment seg in increasing bus order, into idx; returns how many. */
static unsigned segment_viommus(const struct acpi_viommu *v, unsigned n, uint16_t seg,
				unsigned idx[ACPI_MAX_VIOMMUS])
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (v[i].segment != seg)
			continue;
		unsigned at = k++;
		while (at && v[idx[at - 1]].bus_first > v[i].bus_first) {
			idx[at] = idx[at - 1];
			at--;
		}
		idx[at] = i;
	}
	return k;
}

/* Number of RC mappings: one per vIOMMU and one per gap between or around them. */
static unsigned rc_map_count(const struct acpi_viommu *v, const unsigned *idx, unsigned k)
{
	unsigned maps = k;
	uint32_t next = 0;

	for (unsigned j = 0; j < k; j++) {
		if (rid_first(&v[idx[j]]) > next)
			maps++;
		next = rid_last(&v[idx[j]]) + 1;
	}
	return maps + (next <= RID_LAST);
}

static void plan_iort(const struct acpi_viommu *v, unsigned n, const struct acpi_iort_opts *o,
		      struct iort_plan *p)
{
	memset(p, 0, sizeof(*p));
	if (o->rc_segment0)
		p->segments[p->nr_segments++] = 0; /* the lowest: stays first */
	for (unsigned i = 0; i < n; i++) {
		unsigned at = p->nr_segments;
		bool dup = false;
		for (unsigned s = 0; s < p->nr_segments; s++)
			dup |= p->segments[s] == v[i].segment;
		if (dup)
			continue;
		p->nr_segments++;
		while (at && p->segments[at - 1] > v[i].segment) {
			p->segments[at] = p->segments[at - 1];
			at--;
		}
		p->segments[at] = v[i].segment;
	}
	uint32_t off = sizeof(struct acpi_iort) + sizeof(struct acpi_iort_its_group);
	p->smmu_off = off;
	off += n * (uint32_t)(sizeof(struct acpi_iort_smmu_v3) +
			      SMMU_NR_MAPS * sizeof(struct acpi_iort_id_mapping));
	for (unsigned s = 0; s < p->nr_segments; s++) {
		unsigned idx[ACPI_MAX_VIOMMUS];
		unsigned k = segment_viommus(v, n, p->segments[s], idx);

		p->rc_maps[s] = rc_map_count(v, idx, k);
		p->rc_off[s] = off;
		off += (uint32_t)(sizeof(struct acpi_iort_root_complex) +
				  p->rc_maps[s] * sizeof(struct acpi_iort_id_mapping));
	}
	p->rmr_off = off;
	p->nr_rmr = o->rmr_size ? n : 0;
	off += p->nr_rmr * (uint32_t)RMR_NODE_LEN;
	p->len = off;
}

static uint32_t smmu_node_off(const struct iort_plan *p, unsigned i)
{
	return p->smmu_off + i * (uint32_t)(sizeof(struct acpi_iort_smmu_v3) +
					    SMMU_NR_MAPS * sizeof(struct acpi_iort_id_mapping));
}

static uint32_t its_devid(uint16_t seg, uint32_t rid)
{
	return (uint32_t)seg << 16 | rid;
}

static size_t put_map(uint8_t *dst, uint32_t in, uint32_t last, uint32_t out, uint32_t ref,
		      uint32_t flags)
{
	struct acpi_iort_id_mapping m = {
		.input_base = in,
		.id_count = last - in,
		.output_base = out,
		.output_reference = ref,
		.flags = flags,
	};
	memcpy(dst, &m, sizeof(m));
	return sizeof(m);
}

static void write_smmu(uint8_t *dst, const struct acpi_viommu *u, unsigned i, uint32_t devid_base)
{
	const uint32_t its = sizeof(struct acpi_iort);
	struct acpi_iort_smmu_v3 s = {
		.node = {
			.type = ACPI_IORT_NODE_SMMU_V3,
			.length = sizeof(s) + SMMU_NR_MAPS * sizeof(struct acpi_iort_id_mapping),
			.revision = ACPI_IORT_SMMU_V3_REVISION,
			.identifier = 1 + i,
			.mapping_count = SMMU_NR_MAPS,
			.mapping_offset = sizeof(s),
		},
		.base_address = u->reg_base,
		.flags = ACPI_IORT_SMMU_V3_COHACC_OVERRIDE,
		.model = ACPI_IORT_SMMU_V3_MODEL_GENERIC,
		.id_mapping_index = 1,
	};
	size_t off = sizeof(s);

	memcpy(dst, &s, sizeof(s));
	off += put_map(dst + off, rid_first(u), rid_last(u), its_devid(u->segment, rid_first(u)),
		       its, 0);
	put_map(dst + off, 0, 0, devid_base + i, its, ACPI_IORT_ID_SINGLE_MAPPING);
}

static void write_rc(uint8_t *dst, const struct acpi_viommu *v, unsigned n,
		     const struct iort_plan *p, unsigned s, unsigned addr_bits)
{
	const uint32_t its = sizeof(struct acpi_iort);
	uint16_t seg = p->segments[s];
	struct acpi_iort_root_complex rc = {
		.node = {
			.type = ACPI_IORT_NODE_PCI_RC,
			.length = (uint16_t)(sizeof(rc) +
					     p->rc_maps[s] * sizeof(struct acpi_iort_id_mapping)),
			.revision = ACPI_IORT_RC_REVISION,
			.identifier = 1 + n + s,
			.mapping_count = p->rc_maps[s],
			.mapping_offset = sizeof(rc),
		},
		.cache_coherency = ACPI_IORT_CCA_COHERENT,
		.memory_flags = ACPI_IORT_MF_COHERENT | ACPI_IORT_MF_DEVICE_ATTR,
		.segment = seg,
		.memory_address_limit = (uint8_t)addr_bits,
	};
	unsigned idx[ACPI_MAX_VIOMMUS];
	unsigned k = segment_viommus(v, n, seg, idx);
	size_t off = sizeof(rc);
	uint32_t next = 0;

	memcpy(dst, &rc, sizeof(rc));
	for (unsigned j = 0; j < k; j++) {
		const struct acpi_viommu *u = &v[idx[j]];
		if (rid_first(u) > next)
			off += put_map(dst + off, next, rid_first(u) - 1, its_devid(seg, next), its, 0);
		off += put_map(dst + off, rid_first(u), rid_last(u), rid_first(u),
			       smmu_node_off(p, idx[j]), 0);
		next = rid_last(u) + 1;
	}
	if (next <= RID_LAST)
		put_map(dst + off, next, RID_LAST, its_devid(seg, next), its, 0);
}

/*
 * RMR node k (vIOMMU k): the SMMU's stream IDs (its buses' RIDs), each
 * with the one range [rmr_base, +rmr_size) that must stay identity-mapped
 * in the stage-1 the guest gives them; remapping permitted, device memory.
 */
static void write_rmr(uint8_t *dst, const struct acpi_viommu *u, uint32_t id, uint32_t smmu_off,
		      const struct acpi_iort_opts *o)
{
	struct acpi_iort_rmr r = {
		.node = {
			.type = ACPI_IORT_NODE_RMR,
			.length = RMR_NODE_LEN,
			.revision = ACPI_IORT_RMR_REVISION,
			.identifier = id,
			.mapping_count = 1,
			.mapping_offset = sizeof(r),
		},
		.flags = ACPI_IORT_RMR_REMAP_PERMITTED,
		.nr_descriptors = 1,
		.descriptor_offset = sizeof(r) + sizeof(struct acpi_iort_id_mapping),
	};
	struct acpi_iort_rmr_desc d = { .base = o->rmr_base, .length = o->rmr_size };

	memcpy(dst, &r, sizeof(r));
	put_map(dst + sizeof(r), rid_first(u), rid_last(u), rid_first(u), smmu_off, 0);
	memcpy(dst + r.descriptor_offset, &d, sizeof(d));
}

int acpi_build_iort(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, uint8_t *buf,
		    size_t len, size_t *ret_len)
{
	return acpi_build_iort_opts(v, n, addr_bits, &x86_dump_opts, buf, len, ret_len);
}

int acpi_build_iort_opts(const struct acpi_viommu *v, unsigned n, unsigned addr_bits,
			 const struct acpi_iort_opts *o, uint8_t *buf, size_t len, size_t *ret_len)
{
	struct iort_plan p;
	int err = o ? check_iort(v, n, addr_bits, o) : -EINVAL;

	if (err)
		return err;
	if (!buf && len)
		return -EINVAL;
	plan_iort(v, n, o, &p);
	if (ret_len)
		*ret_len = p.len;
	if (p.len > len)
		return -ENOSPC;

	memset(buf, 0, p.len);
	struct acpi_iort h = {
		.node_count = 1 + n + p.nr_segments + p.nr_rmr,
		.node_offset = sizeof(h),
	};
	acpi_header_init(&h.header, "IORT", p.len, ACPI_IORT_REVISION);
	memcpy(buf, &h, sizeof(h));
	struct acpi_iort_its_group its = {
		.node = {
			.type = ACPI_IORT_NODE_ITS_GROUP,
			.length = sizeof(its),
			.revision = ACPI_IORT_ITS_REVISION,
			.identifier = 0,
		},
		.its_count = 1,
		.its_id = 0,
	};
	memcpy(buf + sizeof(h), &its, sizeof(its));
	for (unsigned i = 0; i < n; i++)
		write_smmu(buf + smmu_node_off(&p, i), &v[i], i, o->smmu_devid_base);
	for (unsigned s = 0; s < p.nr_segments; s++)
		write_rc(buf + p.rc_off[s], v, n, &p, s, addr_bits);
	for (unsigned i = 0; i < p.nr_rmr; i++)
		write_rmr(buf + p.rmr_off + i * (uint32_t)RMR_NODE_LEN, &v[i], 1 + n + p.nr_segments + i,
			  smmu_node_off(&p, i), o);
	acpi_table_checksum(buf);
	return 0;
}
