// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for iommu/ over a fake iommufd (fake-iommufd.c) and a fake
 * sysfs tree: discovery and its messages, placement on root buses,
 * stage-2 sharing (compatible, incompatible, never across driver types),
 * vIOMMU and parent nesting, every fallback with its one log line, E2BIG
 * negotiation, the error codes the kernel gives, nested HWPTs, teardown
 * to zero objects, fail-nth over the whole plan execution, and the
 * plan's vIOMMUs as DMAR/IORT input (vmm/plan_acpi.c).
 */
#include <dirent.h>
#include <errno.h>
#include <linux/iommufd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "fake-iommufd.h"
#include "iommu.h"
#include "layout.h"
#include "vm-internal.h"

static char tmp[64], sysdir[128];
static struct iommu_paths paths;

/* ---- the fake host ------------------------------------------------------------- */

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	CHECK_MSG(system(cmd) == 0, "%s", cmd);
}

/* PCI function bdf behind IOMMU inst (NULL: no iommu link). */
static void host_dev(const char *bdf, const char *inst)
{
	char d[256], l[300];

	snprintf(d, sizeof(d), "%s/bus/pci/devices/%s", sysdir, bdf);
	sh("rm -rf '%s'; mkdir -p '%s'", d, d);
	if (!inst)
		return;
	snprintf(l, sizeof(l), "%s/class/iommu/%s", sysdir, inst);
	sh("mkdir -p '%s'; true '%s'", l, l);
	snprintf(l, sizeof(l), "../../../../devices/virtual/iommu/%s", inst);
	snprintf(d, sizeof(d), "%s/bus/pci/devices/%s/iommu", sysdir, bdf);
	CHECK(symlink(l, d) == 0);
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* stderr into a buffer while a step runs: the log lines it prints. */
static char logbuf[8192];
static int saved_stderr = -1;
static FILE *logf_;

static void log_start(void)
{
	fflush(stderr);
	logf_ = tmpfile();
	saved_stderr = dup(2);
	dup2(fileno(logf_), 2);
}

static void log_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(logf_);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, logf_);
	logbuf[n] = '\0';
	fclose(logf_);
}

static unsigned count_lines(const char *needle)
{
	unsigned n = 0;

	for (const char *p = logbuf; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* ---- a scenario: devices behind fake instances, a plan over them ------------------------ */

struct tdev {
	const char *name;
	int inst;           /* index into fk.inst */
	int pin_bus, pin_slot;
	uint32_t dev_id;
};

static int attach_cb(void *opaque, uint32_t pt_id)
{
	return fake_attach(*(uint32_t *)opaque, pt_id);
}

static int detach_cb(void *opaque)
{
	return fake_detach(*(uint32_t *)opaque);
}

struct run {
	struct iommu_plan *p;
	uint32_t ioas;
	int fd;
	unsigned nr_buses;
	char err[IOMMU_ERR_MAX];
	int r;              /* the first failing step's result */
};

/* Everything up to, not including, execution. */
static void setup(struct run *rn, struct tdev *t, unsigned n)
{
	memset(rn, 0, sizeof(*rn));
	rn->r = iommu_plan_create(&fake_sys, &paths, &rn->p, rn->err, sizeof(rn->err));
	CHECK_EQ(rn->r, 0);
	for (unsigned i = 0; i < n; i++) {
		char bdf[16];
		struct iommu_dev_desc d = { .name = t[i].name, .bdf = bdf, .root_bus = t[i].pin_bus,
					    .slot = t[i].pin_slot };

		snprintf(bdf, sizeof(bdf), "0000:00:%02x.0", i + 1);
		host_dev(bdf, fk.inst[t[i].inst].name);
		rn->r = iommu_plan_add(rn->p, &d, rn->err, sizeof(rn->err));
		CHECK_MSG(rn->r == 0, "add %s: %s", t[i].name, rn->err);
	}
	rn->r = iommu_plan_place(rn->p, 1, 1, 8, &rn->nr_buses, rn->err, sizeof(rn->err));
	CHECK_MSG(rn->r == 0, "place: %s", rn->err);
	rn->fd = fake_sys.open(NULL, "/dev/iommu");
	rn->ioas = fake_ioas();
	for (unsigned i = 0; i < n; i++) {
		const struct iommu_dev *d = iommu_plan_dev(rn->p, i);
		const struct iommu_unit *u = iommu_plan_unit(rn->p, d->unit);
		struct iommu_attach_ops at = { attach_cb, detach_cb, &t[i].dev_id };

		t[i].dev_id = fake_device(t[i].inst);
		CHECK_EQ(fake_attach(t[i].dev_id, rn->ioas), 0); /* as vfio_device_open leaves it */
		fk.ioas_attaches = 0;
		iommu_plan_bind(rn->p, i, t[i].dev_id, (u->root_bus * 0x20) << 8 | d->slot << 3, &at);
	}
	memset(fk.n, 0, sizeof(fk.n)); /* count the plan's calls only */
}

static int execute(struct run *rn)
{
	log_start();
	rn->r = iommu_plan_execute(rn->p, rn->fd, rn->ioas, rn->err, sizeof(rn->err));
	log_end();
	return rn->r;
}

/* Every device off the plan's objects: detached, or still on the IOAS. */
static bool all_on_ioas(const struct tdev *t, unsigned n, uint32_t ioas)
{
	for (unsigned i = 0; i < n; i++)
		if (fk.obj[t[i].dev_id].pt != ioas && fk.obj[t[i].dev_id].pt != 0)
			return false;
	return fk.ioas_attaches == 0;
}

/* Destroy the plan: zero objects left, every device off them, ids give ENOENT, no IOAS attach. */
static void teardown(struct run *rn, struct tdev *t, unsigned n)
{
	uint32_t ids[64];
	unsigned nr = iommu_plan_object_ids(rn->p, ids, 64);

	log_start();
	iommu_plan_destroy(rn->p);
	log_end();
	CHECK_EQ(fake_live_objects(), 0);
	CHECK(all_on_ioas(t, n, rn->ioas));
	for (unsigned i = 0; i < nr && i < 64; i++) {
		struct iommu_destroy d = { .size = sizeof(d), .id = ids[i] };

		CHECK_EQ(fake_sys.ioctl(NULL, rn->fd, IOMMU_DESTROY, &d), -ENOENT);
	}
	CHECK(!fk.hazard);
	fake_sys.close(NULL, rn->fd);
}

static const struct iommu_unit *unit_of(struct run *rn, unsigned dev)
{
	return iommu_plan_unit(rn->p, iommu_plan_dev(rn->p, dev)->unit);
}

/* ---- discovery and placement ------------------------------------------------------------- */

static void test_discovery(void)
{
	struct iommu_plan *p;
	char err[IOMMU_ERR_MAX];
	struct iommu_dev_desc d = { .name = "x", .bdf = "0000:00:1f.0", .root_bus = -1, .slot = -1 };

	fake_reset();
	CHECK_EQ(iommu_plan_create(&fake_sys, &paths, &p, err, sizeof(err)), 0);
	CHECK_EQ(iommu_plan_add(p, &d, err, sizeof(err)), -ENODEV);
	CHECK(strstr(err, "does not exist on this host"));
	host_dev("0000:00:1f.0", NULL);
	CHECK_EQ(iommu_plan_add(p, &d, err, sizeof(err)), -ENODEV);
	CHECK(strstr(err, "not behind an IOMMU") && strstr(err, "intel_iommu=on"));
	d = (struct iommu_dev_desc){ .name = "m", .instance = "nope.0", .root_bus = -1, .slot = -1 };
	CHECK_EQ(iommu_plan_add(p, &d, err, sizeof(err)), -ENODEV);
	CHECK(strstr(err, "no IOMMU nope.0"));
	host_dev("0000:00:1e.0", "dmar7");
	d = (struct iommu_dev_desc){ .name = "a", .bdf = "0000:00:1e.0", .root_bus = -1, .slot = -1 };
	CHECK_EQ(iommu_plan_add(p, &d, err, sizeof(err)), 0);
	d.name = "b";
	d.bdf = NULL;
	d.instance = "dmar7"; /* given, and it exists: same unit */
	CHECK_EQ(iommu_plan_add(p, &d, err, sizeof(err)), 0);
	CHECK_EQ(iommu_plan_nr_units(p), 1);
	CHECK(!strcmp(iommu_plan_unit(p, 0)->instance, "dmar7"));
	CHECK_EQ(iommu_plan_unit(p, 0)->nr_devs, 2);
	iommu_plan_destroy(p);
}

static int place(struct tdev *t, unsigned n, uint32_t busy, unsigned max, unsigned *nr, struct iommu_plan **ret,
		 char *err)
{
	int r = iommu_plan_create(&fake_sys, &paths, ret, err, IOMMU_ERR_MAX);

	for (unsigned i = 0; !r && i < n; i++) {
		char bdf[16];
		struct iommu_dev_desc d = { .name = t[i].name, .bdf = bdf, .root_bus = t[i].pin_bus,
					    .slot = t[i].pin_slot };

		snprintf(bdf, sizeof(bdf), "0000:00:%02x.0", i + 1);
		host_dev(bdf, fk.inst[t[i].inst].name);
		r = iommu_plan_add(*ret, &d, err, IOMMU_ERR_MAX);
	}
	return r ? r : iommu_plan_place(*ret, busy, 1, max, nr, err, IOMMU_ERR_MAX);
}

static void test_placement(void)
{
	struct iommu_plan *p;
	char err[IOMMU_ERR_MAX];
	unsigned nr = 0;

	fake_reset();
	fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	fake_add_inst("smmu1", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	{
		struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 1, -1, -1, 0 }, { "c", 0, -1, -1, 0 } };

		CHECK_EQ(place(t, 3, 0, 8, &nr, &p, err), 0);
		CHECK_EQ(iommu_plan_nr_units(p), 2);
		CHECK_EQ(iommu_plan_unit(p, 0)->root_bus, 1);
		CHECK_EQ(iommu_plan_unit(p, 1)->root_bus, 2);
		CHECK_EQ(iommu_plan_dev(p, 0)->slot, 0);
		CHECK_EQ(iommu_plan_dev(p, 2)->slot, 1);
		CHECK_EQ(iommu_plan_dev(p, 1)->slot, 0);
		CHECK_EQ(nr, 3);
		iommu_plan_destroy(p);
	}
	{	/* a drive on bus 1; a pin on bus 5 and slot 4; unpinned slots go around it */
		struct tdev t[] = { { "a", 0, -1, 0, 0 }, { "b", 1, 5, 4, 0 }, { "c", 1, -1, -1, 0 } };

		t[0].pin_slot = -1;
		CHECK_EQ(place(t, 3, 1u << 1, 8, &nr, &p, err), 0);
		CHECK_EQ(iommu_plan_unit(p, 0)->root_bus, 2);
		CHECK_EQ(iommu_plan_unit(p, 1)->root_bus, 5);
		CHECK(iommu_plan_unit(p, 1)->bus_pinned);
		CHECK_EQ(iommu_plan_dev(p, 1)->slot, 4);
		CHECK_EQ(iommu_plan_dev(p, 2)->slot, 0);
		CHECK_EQ(nr, 6);
		iommu_plan_destroy(p);
	}
	struct { struct tdev t[2]; uint32_t busy; unsigned max; int r; const char *msg; } bad[] = {
		{ { { "a", 0, 3, -1, 0 }, { "b", 1, 3, -1, 0 } }, 0, 8, -EINVAL, "already the bus of" },
		{ { { "a", 0, 3, -1, 0 }, { "b", 0, 4, -1, 0 } }, 0, 8, -EINVAL, "share one root bus" },
		{ { { "a", 0, 0, -1, 0 }, { "b", 1, -1, -1, 0 } }, 0, 8, -EINVAL, "holds emulated devices" },
		{ { { "a", 0, 2, -1, 0 }, { "b", 1, -1, -1, 0 } }, 1u << 2, 8, -EINVAL, "holds emulated devices" },
		{ { { "a", 0, -1, 7, 0 }, { "b", 0, -1, 7, 0 } }, 0, 8, -EINVAL, "already taken" },
		{ { { "a", 0, 9, -1, 0 }, { "b", 1, -1, -1, 0 } }, 0, 8, -EINVAL, "does not exist" },
		{ { { "a", 0, -1, -1, 0 }, { "b", 1, -1, -1, 0 } }, 0, 2, -ENOSPC, "a root bus each" },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		CHECK_MSG(place(bad[i].t, 2, bad[i].busy, bad[i].max, &nr, &p, err) == bad[i].r, "bad[%u]", i);
		CHECK_MSG(strstr(err, bad[i].msg), "bad[%u]: %s", i, err);
		iommu_plan_destroy(p);
	}
}

/* ---- sharing -------------------------------------------------------------------------------- */

static void test_share_compatible(void)
{
	struct run rn;
	struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 0, -1, -1, 0 }, { "c", 1, -1, -1, 0 } };

	fake_reset();
	fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	fake_add_inst("smmu1", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	setup(&rn, t, 3);
	CHECK_MSG(execute(&rn) == 0, "%s", rn.err);
	CHECK_EQ(iommu_plan_nr_s2(rn.p), 1);
	CHECK_EQ(fk.n[FOP_HWPT_ALLOC], 1);
	CHECK_EQ(iommu_plan_s2(rn.p, 0)->nr_units, 2);
	for (unsigned u = 0; u < 2; u++) {
		CHECK_EQ(iommu_plan_unit(rn.p, u)->mode, IOMMU_UNIT_VIOMMU);
		CHECK_EQ(iommu_plan_unit(rn.p, u)->s2, 0);
		CHECK(fake_exists(iommu_plan_unit(rn.p, u)->viommu_id));
	}
	CHECK(iommu_plan_unit(rn.p, 0)->viommu_id != iommu_plan_unit(rn.p, 1)->viommu_id);
	CHECK(strstr(iommu_plan_unit(rn.p, 1)->why, "shares stage-2 #0 with smmu0"));
	CHECK_EQ(iommu_plan_unit(rn.p, 0)->hw_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	CHECK_EQ(iommu_plan_unit(rn.p, 0)->max_pasid_log2, 20);
	CHECK_EQ(iommu_plan_unit(rn.p, 0)->hw_data[0], 0x1234);
	for (unsigned i = 0; i < 3; i++) {
		const struct iommu_dev *d = iommu_plan_dev(rn.p, i);

		CHECK_EQ(d->attached, IOMMU_AT_STAGE2);
		CHECK_EQ(fk.obj[t[i].dev_id].pt, iommu_plan_s2(rn.p, 0)->hwpt_id);
		CHECK(d->vdevice_id && fake_exists(d->vdevice_id));
		CHECK_EQ(fk.obj[d->vdevice_id].virt_id, d->virt_id);
	}
	CHECK_EQ(iommu_plan_dev(rn.p, 0)->virt_id, 0x2000);
	CHECK_EQ(iommu_plan_dev(rn.p, 1)->virt_id, 0x2008);
	CHECK_EQ(iommu_plan_dev(rn.p, 2)->virt_id, 0x4000);
	CHECK_EQ(count_lines("directly"), 0);
	teardown(&rn, t, 3);
}

static void test_share_incompatible(void)
{
	struct run rn;
	struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 1, -1, -1, 0 }, { "c", 2, -1, -1, 0 } };

	fake_reset();
	fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	fake_add_inst("smmu1", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 2);
	fake_add_inst("smmu2", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 2);
	setup(&rn, t, 3);
	CHECK_MSG(execute(&rn) == 0, "%s", rn.err);
	CHECK_EQ(iommu_plan_nr_s2(rn.p), 2);
	CHECK_EQ(unit_of(&rn, 0)->s2, 0);
	CHECK_EQ(unit_of(&rn, 1)->s2, 1);
	CHECK_EQ(unit_of(&rn, 2)->s2, 1); /* the second stage-2 fits the third */
	CHECK(strstr(unit_of(&rn, 1)->why, "of its own (the kernel refused the earlier ones"));
	CHECK(strstr(unit_of(&rn, 0)->why, "of its own (the first of its driver type)"));
	CHECK_EQ(count_lines("refused stage-2 #0"), 2);
	teardown(&rn, t, 3);
}

static void test_vtd_parent(void)
{
	struct run rn;
	struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 1, -1, -1, 0 }, { "c", 2, -1, -1, 0 },
			    { "d", 2, -1, -1, 0 } };

	fake_reset();
	fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 1);
	fake_add_inst("dmar1", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 1);
	fake_add_inst("dmar2", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 2);
	setup(&rn, t, 4);
	CHECK_MSG(execute(&rn) == 0, "%s", rn.err);
	CHECK_EQ(iommu_plan_nr_s2(rn.p), 2);
	CHECK_EQ(fk.n[FOP_VIOMMU_ALLOC], 0);
	CHECK_EQ(fk.n[FOP_VDEVICE_ALLOC], 0);
	for (unsigned i = 0; i < 4; i++) {
		CHECK_EQ(unit_of(&rn, i)->mode, IOMMU_UNIT_PARENT);
		CHECK_EQ(iommu_plan_dev(rn.p, i)->attached, IOMMU_AT_STAGE2);
	}
	CHECK_EQ(unit_of(&rn, 1)->s2, 0);
	CHECK_EQ(unit_of(&rn, 3)->s2, 1);
	CHECK_EQ(count_lines("the attach gave EINVAL"), 1);
	/* nesting on the parent with the guest's VT-d first stage */
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = 0x100000, .addr_width = 48 };
	CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1), rn.err,
					 sizeof(rn.err)), 0);
	CHECK_EQ(iommu_plan_dev(rn.p, 0)->attached, IOMMU_AT_NESTED);
	CHECK_EQ(fk.obj[fk.obj[t[0].dev_id].pt].kind, FK_NESTED);
	teardown(&rn, t, 4);
}

/* Units of three driver types: a stage-2 is never offered across types. */
static void test_mixed_types(void)
{
	struct run rn;
	struct tdev t[] = { { "m0", 0, -1, -1, 0 }, { "m1", 0, -1, -1, 0 }, { "nvme", 1, -1, -1, 0 },
			    { "s", 2, -1, -1, 0 } };

	fake_reset();
	fake_add_inst("iommufd_selftest_iommu.0", IOMMU_HWTYPE_SELFTEST, true, true, 1);
	fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 1);
	fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	setup(&rn, t, 4);
	CHECK_MSG(execute(&rn) == 0, "%s", rn.err);
	CHECK(!fk.hazard);
	CHECK_EQ(iommu_plan_nr_s2(rn.p), 3);
	CHECK_EQ(unit_of(&rn, 0)->mode, IOMMU_UNIT_VIOMMU);
	CHECK_EQ(unit_of(&rn, 2)->mode, IOMMU_UNIT_PARENT);
	CHECK_EQ(unit_of(&rn, 3)->mode, IOMMU_UNIT_VIOMMU);
	CHECK_EQ(count_lines("refused"), 0);
	/* nested HWPTs on the mock's vIOMMU */
	uint32_t iotlb = 0xbadbeef;
	for (unsigned i = 0; i < 2; i++)
		CHECK_MSG(iommu_plan_alloc_nested(rn.p, i, IOMMU_HWPT_DATA_SELFTEST_ID, &iotlb, sizeof(iotlb), rn.err,
						  sizeof(rn.err)) == 0, "%s", rn.err);
	CHECK_EQ(fk.obj[iommu_plan_dev(rn.p, 0)->nested_id].holds, unit_of(&rn, 0)->viommu_id);
	/* a second one replaces the first, which is destroyed */
	uint32_t old = iommu_plan_dev(rn.p, 0)->nested_id;
	CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, IOMMU_HWPT_DATA_SELFTEST_ID, &iotlb, sizeof(iotlb), rn.err,
					 sizeof(rn.err)), 0);
	CHECK(!fake_exists(old));
	CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, IOMMU_HWPT_DATA_VTD_S1, &iotlb, sizeof(iotlb), rn.err,
					 sizeof(rn.err)), -EOPNOTSUPP);
	CHECK(strstr(rn.err, "nested HWPT"));
	/* guest table data the driver refuses (SMMUv3: disallowed STE bits) is EIO; the old nesting stays */
	old = iommu_plan_dev(rn.p, 0)->nested_id;
	fk.force[FOP_HWPT_ALLOC] = EIO;
	fk.force_at[FOP_HWPT_ALLOC] = fk.n[FOP_HWPT_ALLOC] + 1;
	CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, IOMMU_HWPT_DATA_SELFTEST_ID, &iotlb, sizeof(iotlb), rn.err,
					 sizeof(rn.err)), -EIO);
	CHECK(strstr(rn.err, "Input/output error"));
	CHECK_EQ(iommu_plan_dev(rn.p, 0)->nested_id, old);
	CHECK_EQ(fk.obj[t[0].dev_id].pt, old);
	/* a failed attach to the new nested HWPT destroys it and keeps the old one */
	fk.force[FOP_ATTACH] = ENOMEM;
	fk.force_at[FOP_ATTACH] = fk.n[FOP_ATTACH] + 1;
	unsigned live = fake_live_objects();
	CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, IOMMU_HWPT_DATA_SELFTEST_ID, &iotlb, sizeof(iotlb), rn.err,
					 sizeof(rn.err)), -ENOMEM);
	CHECK_EQ(fake_live_objects(), live);
	CHECK_EQ(fk.obj[t[0].dev_id].pt, old);
	/* the JSON and text forms name everything */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	iommu_plan_print(rn.p, f, true, NULL, NULL);
	iommu_plan_print(rn.p, f, false, NULL, NULL);
	fclose(f);
	CHECK(strstr(buf, "\"schema\": \"skiff-plan/1\""));
	CHECK(strstr(buf, "\"mode\": \"parent-hwpt\""));
	CHECK(strstr(buf, "\"attach\": \"nested\""));
	CHECK(strstr(buf, "host IOMMU dmar0: intel-vtd"));
	CHECK(strstr(buf, "stage-2 #0: selftest, made for iommufd_selftest_iommu.0"));
	free(buf);
	teardown(&rn, t, 4);
}

/* ---- fallbacks ------------------------------------------------------------------------------ */

struct fb_case {
	const char *what;
	uint32_t type;
	bool nesting, viommu_obj, no_hwpt, no_viommu;
	const char *why;
	unsigned hwpt_calls;
};

static void test_fallbacks(void)
{
	static const struct fb_case cases[] = {
		{ "VT-d without nesting", IOMMU_HW_INFO_TYPE_INTEL_VTD, false, false, false, false,
		  "IOMMU_HWPT_ALLOC with NEST_PARENT gave EOPNOTSUPP", 1 },
		{ "kernel without VIOMMU", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, false, true,
		  "no IOMMU_VIOMMU_ALLOC (iommufd older than 6.13)", 1 },
		{ "SMMUv3 without a vIOMMU object", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, false, false, false,
		  "no vIOMMU object for this device (IOMMU_VIOMMU_ALLOC gave EOPNOTSUPP)", 1 },
		{ "kernel without HWPT_ALLOC", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, true, false,
		  "no IOMMU_HWPT_ALLOC (iommufd older than 6.7)", 1 },
		{ "AMD", IOMMU_HW_INFO_TYPE_AMD, true, false, false, false, "no nesting for host IOMMU type amd", 0 },
		{ "no hw info", IOMMU_HW_INFO_TYPE_NONE, false, false, false, false, "type none", 0 },
	};

	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct run rn;
		struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 0, -1, -1, 0 } };

		fake_reset();
		fake_add_inst("host0", cases[c].type, cases[c].nesting, cases[c].viommu_obj, 1);
		fk.no_hwpt_alloc = cases[c].no_hwpt;
		fk.no_viommu = cases[c].no_viommu;
		setup(&rn, t, 2);
		CHECK_MSG(execute(&rn) == 0, "%s: %s", cases[c].what, rn.err);
		CHECK_MSG(unit_of(&rn, 0)->mode == IOMMU_UNIT_DIRECT, "%s", cases[c].what);
		CHECK_MSG(strstr(unit_of(&rn, 0)->why, cases[c].why), "%s: %s", cases[c].what, unit_of(&rn, 0)->why);
		CHECK_MSG(count_lines("directly, without a vIOMMU") == 1, "%s: log:\n%s", cases[c].what, logbuf);
		CHECK_MSG(count_lines(cases[c].why) == 1, "%s", cases[c].what);
		CHECK_MSG(fk.n[FOP_HWPT_ALLOC] == cases[c].hwpt_calls, "%s", cases[c].what);
		CHECK_EQ(fake_live_objects(), 0); /* a stage-2 that found no use is gone */
		CHECK_EQ(iommu_plan_nr_s2(rn.p), 0);
		CHECK(all_on_ioas(t, 2, rn.ioas));
		CHECK_EQ(fk.obj[t[0].dev_id].pt, rn.ioas);
		CHECK_EQ(fk.obj[t[1].dev_id].pt, rn.ioas);
		CHECK_MSG(fk.n[FOP_ATTACH] == 0, "%s: the devices stay where they are", cases[c].what);
		CHECK_EQ(iommu_plan_dev(rn.p, 1)->attached, IOMMU_AT_IOAS);
		CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, 1, "", 1, rn.err, sizeof(rn.err)), -EINVAL);
		teardown(&rn, t, 2);
	}
}

/* A unit that falls back does not stop another from nesting. */
static void test_fallback_beside_nesting(void)
{
	struct run rn;
	struct tdev t[] = { { "m0", 0, -1, -1, 0 }, { "nvme", 1, -1, -1, 0 }, { "m1", 0, -1, -1, 0 } };

	fake_reset();
	fake_add_inst("iommufd_selftest_iommu.0", IOMMU_HWTYPE_SELFTEST, true, true, 1);
	fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, false, false, 1);
	setup(&rn, t, 3);
	CHECK_MSG(execute(&rn) == 0, "%s", rn.err);
	CHECK_EQ(unit_of(&rn, 0)->mode, IOMMU_UNIT_VIOMMU);
	CHECK_EQ(unit_of(&rn, 1)->mode, IOMMU_UNIT_DIRECT);
	CHECK_EQ(iommu_plan_nr_s2(rn.p), 1);
	CHECK_EQ(fk.n[FOP_HWPT_ALLOC], 2);
	CHECK_EQ(fake_live_objects(), 4); /* S2, vIOMMU, two vDEVICEs */
	teardown(&rn, t, 3);
}

/* ---- struct sizes ------------------------------------------------------------------------------ */

static void test_e2big(void)
{
	for (int strict = 0; strict < 2; strict++) {
		struct run rn;
		struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 1, -1, -1, 0 } };

		fake_reset();
		fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
		fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 1);
		fk.ksz_hw_info = 32;     /* 6.6 */
		fk.ksz_hwpt_alloc = 32;  /* 6.7 */
		fk.ksz_viommu_alloc = 24; /* 6.13 */
		fk.strict_size = strict;
		setup(&rn, t, 2);
		CHECK_MSG(execute(&rn) == 0, "strict %d: %s", strict, rn.err);
		CHECK_EQ(unit_of(&rn, 0)->mode, IOMMU_UNIT_VIOMMU);
		CHECK_EQ(unit_of(&rn, 1)->mode, IOMMU_UNIT_PARENT);
		CHECK_EQ(unit_of(&rn, 0)->caps, 0);
		CHECK_EQ(count_lines("E2BIG"), strict ? 3 : 0); /* each struct negotiated once */
		teardown(&rn, t, 2);
	}
	/* A struct smaller than the kernel's minimum is EINVAL, not retried. */
	struct run rn;
	struct tdev t[] = { { "a", 0, -1, -1, 0 } };
	fake_reset();
	fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
	fk.ksz_hw_info = 24;
	fk.strict_size = true;
	setup(&rn, t, 1);
	CHECK_EQ(execute(&rn), -E2BIG);
	CHECK(strstr(rn.err, "IOMMU_GET_HW_INFO"));
	teardown(&rn, t, 1);
}

/* ---- the kernel's error codes ------------------------------------------------------------------- */

struct err_case {
	const char *what;
	enum fake_op op;
	unsigned nth;        /* which call of that op fails */
	int err;
	int want;            /* execute's result */
	const char *msg;
};

static void test_error_codes(void)
{
	static const struct err_case cases[] = {
		{ "hw_info ENOENT", FOP_HW_INFO, 1, ENOENT, -ENOENT, "IOMMU_GET_HW_INFO: No such file" },
		{ "hw_info ENOTTY", FOP_HW_INFO, 1, ENOTTY, -ENOTTY, "older than 6.6" },
		{ "S2 ENOMEM", FOP_HWPT_ALLOC, 1, ENOMEM, -ENOMEM, "allocating a stage-2" },
		{ "S2 ENOENT", FOP_HWPT_ALLOC, 1, ENOENT, -ENOENT, "allocating a stage-2" },
		{ "vIOMMU ENOENT", FOP_VIOMMU_ALLOC, 1, ENOENT, -ENOENT, "IOMMU_VIOMMU_ALLOC" },
		{ "vIOMMU EBUSY on share", FOP_VIOMMU_ALLOC, 2, EBUSY, -EBUSY, "on stage-2 #0" },
		{ "vDEVICE EEXIST", FOP_VDEVICE_ALLOC, 2, EEXIST, -EEXIST, "already has one" },
		{ "vDEVICE EINVAL", FOP_VDEVICE_ALLOC, 1, EINVAL, -EINVAL, "IOMMU_VDEVICE_ALLOC" },
		{ "vDEVICE ENOTTY", FOP_VDEVICE_ALLOC, 1, ENOTTY, -ENOTTY, "IOMMU_VDEVICE_ALLOC" },
		{ "attach EADDRINUSE", FOP_ATTACH, 1, EADDRINUSE, -EADDRINUSE, "attaching a to stage-2" },
		{ "attach EINVAL in a vIOMMU unit", FOP_ATTACH, 2, EINVAL, -EINVAL, "attaching b to stage-2" },
	};

	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		struct run rn;
		struct tdev t[] = { { "a", 0, -1, -1, 0 }, { "b", 0, -1, -1, 0 }, { "c", 1, -1, -1, 0 } };

		fake_reset();
		fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
		fake_add_inst("smmu1", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
		setup(&rn, t, 3);
		fk.force[cases[c].op] = cases[c].err;
		fk.force_at[cases[c].op] = cases[c].nth;
		CHECK_MSG(execute(&rn) == cases[c].want, "%s: %d", cases[c].what, rn.r);
		CHECK_MSG(strstr(rn.err, cases[c].msg), "%s: %s", cases[c].what, rn.err);
		CHECK_MSG(!strchr(rn.err, '\n'), "%s: one line", cases[c].what);
		/* a failed execution undid itself */
		CHECK_MSG(fake_live_objects() == 0, "%s", cases[c].what);
		CHECK_MSG(all_on_ioas(t, 3, rn.ioas), "%s", cases[c].what);
		teardown(&rn, t, 3);
	}
	/* EBUSY from IOMMU_DESTROY at teardown: a warning; the object goes with the fd */
	{
		struct run rn;
		struct tdev t[] = { { "a", 0, -1, -1, 0 } };

		fake_reset();
		fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
		setup(&rn, t, 1);
		CHECK_EQ(execute(&rn), 0);
		fk.force[FOP_DESTROY] = EBUSY;
		fk.force_at[FOP_DESTROY] = 1;
		log_start();
		iommu_plan_destroy(rn.p);
		log_end();
		CHECK(strstr(logbuf, "destroying vDEVICE") && strstr(logbuf, "Device or resource busy"));
		CHECK_EQ(fake_live_objects(), 3); /* the vDEVICE holds the vIOMMU, which holds the S2 */
		fake_sys.close(NULL, rn.fd);
		CHECK_EQ(fake_live_objects(), 0);
	}
	/* A nested HWPT on a vIOMMU for a device without a VDEVICE: ENOENT at attach. */
	{
		struct run rn;
		struct tdev t[] = { { "a", 0, -1, -1, 0 } };
		uint32_t iotlb = 0;

		fake_reset();
		fake_add_inst("iommufd_selftest_iommu.0", IOMMU_HWTYPE_SELFTEST, true, true, 1);
		setup(&rn, t, 1);
		CHECK_EQ(execute(&rn), 0);
		struct iommu_destroy d = { .size = sizeof(d), .id = iommu_plan_dev(rn.p, 0)->vdevice_id };
		CHECK_EQ(fake_sys.ioctl(NULL, rn.fd, IOMMU_DESTROY, &d), 0);
		CHECK_EQ(iommu_plan_alloc_nested(rn.p, 0, IOMMU_HWPT_DATA_SELFTEST_ID, &iotlb, sizeof(iotlb), rn.err,
						 sizeof(rn.err)), -ENOENT);
		CHECK(strstr(rn.err, "no vDEVICE"));
		CHECK_EQ(fake_live_objects(), 2);
		fake_sys.close(NULL, rn.fd);
		log_start();
		iommu_plan_destroy(rn.p); /* the ids are gone with the fd: warnings only */
		log_end();
		CHECK(strstr(logbuf, "destroying stage-2 HWPT"));
	}
}

/* ---- fail-nth over the whole plan ---------------------------------------------------------- */

/*
 * Execution, nested HWPTs and teardown of a mixed host (mock pair, SMMUv3
 * pair sharing, VT-d nesting, VT-d without nesting), failing the n-th
 * call with EIO, for every n until a run hits no failure: the error is one
 * line, a failed execution leaves zero objects and its devices on the IOAS,
 * teardown leaves zero objects (or, when the failure hit teardown itself,
 * none once the fd is closed), and no fd leaks.
 */
static void test_fail_nth(void)
{
	unsigned fds = open_fds(), n;
	bool done = false;

	for (n = 1; n < 400 && !done; n++) {
		struct run rn;
		struct tdev t[] = { { "m0", 0, -1, -1, 0 }, { "m1", 0, -1, -1, 0 }, { "s0", 1, -1, -1, 0 },
				    { "s1", 2, -1, -1, 0 }, { "d0", 3, -1, -1, 0 }, { "d1", 4, -1, -1, 0 } };
		uint32_t iotlb = 0xbadbeef;
		unsigned undo_from;
		int r;

		fake_reset();
		fake_add_inst("iommufd_selftest_iommu.0", IOMMU_HWTYPE_SELFTEST, true, true, 1);
		fake_add_inst("smmu0", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
		fake_add_inst("smmu1", IOMMU_HW_INFO_TYPE_ARM_SMMUV3, true, true, 1);
		fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 1);
		fake_add_inst("dmar1", IOMMU_HW_INFO_TYPE_INTEL_VTD, false, false, 1);
		setup(&rn, t, 6);
		fk.fail_nth = fk.calls + n;
		fk.fail_errno = EIO;
		r = execute(&rn);
		if (r) {
			CHECK_MSG(r == -EIO, "n=%u: %d", n, r);
			CHECK_MSG(rn.err[0] && !strchr(rn.err, '\n'), "n=%u: '%s'", n, rn.err);
			CHECK_MSG(fake_live_objects() == 0, "n=%u: %u objects left", n, fake_live_objects());
			CHECK_MSG(all_on_ioas(t, 6, rn.ioas), "n=%u", n);
		} else {
			for (unsigned i = 0; !r && i < 2; i++)
				r = iommu_plan_alloc_nested(rn.p, i, IOMMU_HWPT_DATA_SELFTEST_ID, &iotlb, sizeof(iotlb),
							    rn.err, sizeof(rn.err));
			CHECK_MSG(!r || r == -EIO, "n=%u: %d %s", n, r, rn.err);
		}
		undo_from = fk.calls;
		log_start();
		iommu_plan_destroy(rn.p);
		log_end();
		if (fk.failed_op < 0 || fk.fail_nth <= undo_from) {
			CHECK_MSG(fake_live_objects() == 0, "n=%u: %u objects left", n, fake_live_objects());
			CHECK_MSG(all_on_ioas(t, 6, rn.ioas), "n=%u", n);
		}
		CHECK_MSG(!fk.hazard, "n=%u", n);
		done = fk.failed_op < 0;
		fake_sys.close(NULL, rn.fd);
		CHECK_EQ(fake_live_objects(), 0);
		CHECK_MSG(open_fds() == fds, "n=%u: fds %u -> %u", n, fds, open_fds());
	}
	CHECK_MSG(done && n > 20, "fail-nth ran %u times and never completed", n);
	printf("fail-nth: %u runs\n", n - 1);
}

/* ---- the plan's vIOMMUs for the DMAR and IORT (vmm/plan_acpi.c) ------------------------------ */

static uint8_t *read_all(const char *path, size_t *len)
{
	static uint8_t buf[8193]; /* room for a NUL */
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return buf;
}

/*
 * iasl -d (when installed) decodes both tables without a diagnostic, and
 * its DMAR names each vIOMMU's register base and, in its scope, its root bus.
 */
static void iasl_check(const char *dir, const struct acpi_viommu *v, unsigned n)
{
	char cmd[512], want[128], path[192];
	size_t len = 0;
	const char *dsl;

	/* a missing iasl fails, as in tests/unit/acpi: install acpica-tools */
	CHECK_MSG(system("command -v iasl >/dev/null 2>&1") == 0, "no iasl");
	/* diagnostics in iasl's log or inside the dumps (checksums, lengths), as iasl-check.sh looks for */
	snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d DMAR.dat IORT.dat >iasl.log 2>&1 && ! grep -Eiq "
		 "'warning|error|remark|incorrect|invalid|unknown|\\*\\*\\*' iasl.log DMAR.dsl IORT.dsl", dir);
	CHECK_MSG(system(cmd) == 0, "iasl -d of the plan's tables in %s complained", dir);
	snprintf(path, sizeof(path), "%s/DMAR.dsl", dir);
	dsl = (const char *)read_all(path, &len);
	CHECK(dsl && len > 0 && len < 8192);
	if (!dsl || len >= 8192)
		return;
	((char *)dsl)[len] = 0;
	for (unsigned k = 0; k < n; k++) {
		snprintf(want, sizeof(want), "Register Base Address : %016llX", (unsigned long long)v[k].reg_base);
		CHECK_MSG(strstr(dsl, want), "DMAR.dsl lacks \"%s\"", want);
		snprintf(want, sizeof(want), "PCI Bus Number : %02X", v[k].bus_first);
		CHECK_MSG(strstr(dsl, want), "DMAR.dsl lacks \"%s\"", want);
	}
}

/*
 * A VT-d unit nesting on its parent (two devices, the second refused by
 * the stage-2 and so on the IOAS alone), a selftest unit with a vIOMMU
 * object, and a VT-d unit without nesting (fallen back): two vIOMMUs in
 * slots 0 and 1, the fallen-back unit and device in no scope.
 */
static void test_acpi_viommus(void)
{
	struct run rn;
	struct tdev t[] = { { "v0", 0, -1, -1, 0 }, { "v1", 0, -1, -1, 0 }, { "m0", 1, -1, -1, 0 },
			    { "nvme", 2, -1, -1, 0 }, { "m1", 1, -1, 7, 0 } };
	struct acpi_viommu v[ACPI_MAX_VIOMMUS];
	struct pci_root_cfg rc;
	char msg[256], dir[128], path[192];
	unsigned n = 99;
	size_t len = 0;
	uint8_t *b;

	fake_reset();
	fake_add_inst("dmar1", IOMMU_HW_INFO_TYPE_INTEL_VTD, true, false, 1);
	fake_add_inst("iommufd_selftest_iommu.0", IOMMU_HWTYPE_SELFTEST, true, true, 2);
	fake_add_inst("dmar0", IOMMU_HW_INFO_TYPE_INTEL_VTD, false, false, 3);
	setup(&rn, t, 5);
	CHECK_EQ(pci_root_cfg_x86(&rc, rn.nr_buses, (struct irq_line){ 0 }), 0);
	CHECK_EQ(vm_plan_viommus(rn.p, &rc, v, ACPI_MAX_VIOMMUS, &n, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "not been executed"));
	fk.force[FOP_ATTACH] = EINVAL;
	fk.force_at[FOP_ATTACH] = 2;
	CHECK_MSG(execute(&rn) == 0, "%s", rn.err);
	CHECK_EQ(unit_of(&rn, 0)->mode, IOMMU_UNIT_PARENT);
	CHECK_EQ(unit_of(&rn, 2)->mode, IOMMU_UNIT_VIOMMU);
	CHECK_EQ(unit_of(&rn, 3)->mode, IOMMU_UNIT_DIRECT);
	CHECK_MSG(iommu_plan_dev(rn.p, 1)->why[0], "v1 should have fallen back alone");
	CHECK_EQ(vm_plan_viommus(rn.p, &rc, v, ACPI_MAX_VIOMMUS, &n, msg, sizeof(msg)), 0);
	CHECK_EQ(n, 2);
	for (unsigned k = 0; k < 2 && n == 2; k++) {
		const struct iommu_unit *u = unit_of(&rn, k ? 2 : 0);

		CHECK_EQ(v[k].reg_base, X86_VIOMMU_BASE + k * X86_VIOMMU_STRIDE);
		CHECK_EQ(v[k].segment, 0);
		CHECK_EQ(v[k].bus_first, rc.buses[u->root_bus].bus_start);
		CHECK_EQ(v[k].bus_last, rc.buses[u->root_bus].bus_end);
		CHECK(!v[k].include_all);
	}
	CHECK(v[0].bus_first != v[1].bus_first && v[0].bus_first != 0);
	CHECK_EQ(v[0].nr_scopes, 1); /* v0 only */
	CHECK_EQ(v[0].scopes[0].type, ACPI_VIOMMU_SCOPE_ENDPOINT);
	CHECK_EQ(v[0].scopes[0].dev, iommu_plan_dev(rn.p, 0)->slot);
	CHECK_EQ(v[1].nr_scopes, 2);
	CHECK_EQ(v[1].scopes[0].dev, iommu_plan_dev(rn.p, 2)->slot);
	CHECK_EQ(v[1].scopes[1].dev, 7);
	CHECK_EQ(v[1].scopes[1].fn, 0);
	CHECK_EQ(vm_plan_viommus(rn.p, &rc, v, 1, &n, msg, sizeof(msg)), -E2BIG);
	rc.nr_buses = 1;
	CHECK_EQ(vm_plan_viommus(rn.p, &rc, v, ACPI_MAX_VIOMMUS, &n, msg, sizeof(msg)), -EINVAL);
	CHECK(strstr(msg, "root bus"));
	rc.nr_buses = rn.nr_buses;

	/* the files: a DMAR whose DRHDs carry the register bases and the root buses of the scopes */
	CHECK_EQ(vm_plan_viommus(rn.p, &rc, v, ACPI_MAX_VIOMMUS, &n, msg, sizeof(msg)), 0);
	snprintf(dir, sizeof(dir), "%s/acpi", tmp);
	CHECK_EQ(vm_plan_write_acpi(v, n, 46, dir), -ENOENT);
	CHECK_EQ(mkdir(dir, 0755), 0);
	CHECK_EQ(vm_plan_write_acpi(v, n, 46, dir), 0);
	snprintf(path, sizeof(path), "%s/DMAR.dat", dir);
	b = read_all(path, &len);
	CHECK(b && len == 48 + 2 * 16 + 3 * 8 && !memcmp(b, "DMAR", 4) && b[36] == 45);
	for (unsigned k = 0; b && k < 2 && len >= 48 + 2 * 16 + 3 * 8; k++) {
		const uint8_t *drhd = b + 48 + (k ? 16 + 8 : 0);
		uint64_t reg;

		memcpy(&reg, drhd + 8, 8);
		CHECK_EQ(reg, v[k].reg_base);
		CHECK_EQ(drhd[16], ACPI_VIOMMU_SCOPE_ENDPOINT);
		CHECK_EQ(drhd[16 + 5], v[k].bus_first);
		CHECK_EQ(drhd[16 + 6], v[k].scopes[0].dev);
	}
	snprintf(path, sizeof(path), "%s/IORT.dat", dir);
	b = read_all(path, &len);
	CHECK(b && len > 48 && !memcmp(b, "IORT", 4));
	iasl_check(dir, v, n);
	/* a plan without vIOMMUs: the old files go, none come */
	CHECK_EQ(vm_plan_write_acpi(v, 0, 46, dir), 0);
	CHECK(access(path, F_OK) != 0);
	snprintf(path, sizeof(path), "%s/DMAR.dat", dir);
	CHECK(access(path, F_OK) != 0);
	teardown(&rn, t, 5);
}

/* The host's software MSI window from the device's IOMMU group (what an arm64 guest's DT names). */
static void test_msi_window(void)
{
	char d[300];
	uint64_t base = 0, size = 0;

	host_dev("0000:00:07.0", NULL);
	CHECK_EQ(iommu_sysfs_msi_window(sysdir, "0000:00:07.0", &base, &size), -ENOENT); /* no group file */
	snprintf(d, sizeof(d), "%s/bus/pci/devices/0000:00:07.0/iommu_group", sysdir);
	sh("mkdir -p '%s' && printf '0x0000000000000000 0x0000000000000fff direct\n"
	   "0x0000000008000000 0x00000000080fffff msi\n' > '%s/reserved_regions'", d, d);
	CHECK_EQ(iommu_sysfs_msi_window(sysdir, "0000:00:07.0", &base, &size), 0);
	CHECK_EQ(base, 0x8000000);
	CHECK_EQ(size, 0x100000);
	/* VT-d's window is "msi" too, but a group with only other kinds has none */
	sh("printf '0x00000000fee00000 0x00000000feefffff reserved\ngarbage\n' > '%s/reserved_regions'%s", d, "");
	CHECK_EQ(iommu_sysfs_msi_window(sysdir, "0000:00:07.0", &base, &size), -ENOENT);
	CHECK_EQ(iommu_sysfs_msi_window(sysdir, "0000:00:08.0", &base, &size), -ENOENT);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/skiff-iommu-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(sysdir, sizeof(sysdir), "%s/sys", tmp);
	paths.sysfs = sysdir;
	log_set_level(LOG_INFO);
	test_discovery();
	test_placement();
	test_share_compatible();
	test_share_incompatible();
	test_vtd_parent();
	test_mixed_types();
	test_fallbacks();
	test_fallback_beside_nesting();
	test_e2big();
	test_error_codes();
	test_fail_nth();
	test_acpi_viommus();
	test_msi_window();
	sh("rm -rf '%s' '%s'", tmp, tmp);
	return check_summary("iommu");
}
