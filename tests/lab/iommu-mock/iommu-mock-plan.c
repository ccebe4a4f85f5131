// SPDX-License-Identifier: Apache-2.0
/*
 * iommu-mock-plan [--nvme BDF]: the vIOMMU plan (iommu/) against the real
 * kernel in the lab. On one iommufd: two devices of the kernel's selftest
 * mock IOMMU (iommufd_selftest_iommu.0, made with IOMMU_TEST_OP_MOCK_DOMAIN)
 * and, with --nvme, a VFIO device behind dmar0. It executes the plan and
 * checks what the kernel made of it:
 *   - the mock devices get one vIOMMU (selftest type) on one stage-2, a
 *     VDEVICE each, then a nested HWPT each (selftest data), which the
 *     kernel confirms (IOMMU_TEST_OP_MD_CHECK_IOTLB);
 *   - the dmar0 device gets a stage-2 try of its own, EOPNOTSUPP, and the
 *     IOAS fallback; the mock's stage-2 is never offered to it;
 *   - the stage-2 in use cannot be destroyed (EBUSY);
 *   - after the plan's teardown every recorded id gives ENOENT.
 * Prints "CHECK ok|FAIL: ..." lines and the plan; exits 1 if a check failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "iommu.h"
#include "iommufd-test.h"
#include "mock-dev.h"
#include "vfio.h"

static int failed;

static void check(bool ok, const char *what)
{
	printf("CHECK %s: %s\n", ok ? "ok" : "FAIL", what);
	failed |= !ok;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int vfio_attach(void *opaque, uint32_t pt_id)
{
	return vfio_device_attach_pt(opaque, pt_id);
}

static int vfio_detach(void *opaque)
{
	return vfio_device_detach_pt(opaque);
}

static int destroy(int fd, uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return iommu_sys_real()->ioctl(NULL, fd, IOMMU_DESTROY, &d);
}

static void check_plan(const struct iommu_plan *p, bool nvme)
{
	const struct iommu_unit *mu = iommu_plan_unit(p, 0);
	const struct iommu_dev *m0 = iommu_plan_dev(p, 0), *m1 = iommu_plan_dev(p, 1);

	check(mu->hw_type == IOMMU_HWTYPE_SELFTEST, "the mock reports IOMMU_GET_HW_INFO type 0xfeedbeef");
	check(mu->mode == IOMMU_UNIT_VIOMMU && mu->viommu_id, "the mock devices got an iommufd vIOMMU object");
	check(mu->nr_devs == 2 && m0->unit == 0 && m1->unit == 0, "both mock devices are in one unit");
	check(mu->s2 == 0 && iommu_plan_s2(p, 0)->nr_units == 1, "they share stage-2 #0");
	check(m0->attached == IOMMU_AT_STAGE2 && m1->attached == IOMMU_AT_STAGE2,
	      "both are attached to the stage-2 (GPA identity)");
	check(m0->vdevice_id && m1->vdevice_id && m0->vdevice_id != m1->vdevice_id, "each has a VDEVICE");
	if (!nvme) {
		check(iommu_plan_nr_s2(p) == 1, "one stage-2 in all");
		return;
	}
	const struct iommu_unit *du = iommu_plan_unit(p, 1);
	const struct iommu_dev *nv = iommu_plan_dev(p, 2);
	check(!strcmp(du->instance, "dmar0"), "the NVMe is behind dmar0 (sysfs)");
	check(du->hw_type == 1, "dmar0 reports IOMMU_GET_HW_INFO type 1 (Intel VT-d)");
	check(du->mode == IOMMU_UNIT_DIRECT && strstr(du->why, "EOPNOTSUPP"),
	      "dmar0's own stage-2 try gave EOPNOTSUPP: fallback to the IOAS");
	check(nv->attached == IOMMU_AT_IOAS, "the NVMe is attached to the IOAS");
	check(iommu_plan_nr_s2(p) == 1, "one stage-2 in all: the mock's was not offered to dmar0");
	check(du->root_bus != mu->root_bus, "each host IOMMU has its own root bus");
}

/* Nested HWPTs on the mock's vIOMMU, and the kernel's view of them. */
static void nest(struct iommu_plan *p, int fd)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	char err[IOMMU_ERR_MAX];

	for (unsigned i = 0; i < 2; i++) {
		int r = iommu_plan_alloc_nested(p, i, IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), err, sizeof(err));
		const struct iommu_dev *d = iommu_plan_dev(p, i);
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = d->nested_id };

		if (r)
			printf("nested HWPT for mock%u: %s\n", i, err);
		check(!r && d->attached == IOMMU_AT_NESTED, "a nested HWPT (selftest data) on the vIOMMU, attached");
		c.check_iotlb.id = 0;
		c.check_iotlb.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
		check(!r && mock_test_cmd(fd, &c) == 0, "the kernel's nested domain holds the guest data (MD_CHECK_IOTLB)");
	}
	check(destroy(fd, iommu_plan_s2(p, 0)->hwpt_id) == -EBUSY, "the stage-2 in use cannot be destroyed (EBUSY)");
}

/* A mock device on the IOAS (IOMMU_TEST_OP_MOCK_DOMAIN), its parking HWPT, and its plan entry. */
static void bind_all(struct iommu_plan *p, struct mock *mk, struct vfio_device *dev)
{
	for (unsigned i = 0; i < iommu_plan_nr_devs(p); i++) {
		const struct iommu_dev *d = iommu_plan_dev(p, i);
		uint32_t rid = iommu_plan_unit(p, d->unit)->root_bus << 8 | d->slot << 3;
		struct iommu_attach_ops at = { vfio_attach, vfio_detach, dev };

		if (i < 2)
			at = (struct iommu_attach_ops){ mock_attach, mock_detach, &mk[i] };
		iommu_plan_bind(p, i, i < 2 ? mk[i].idev_id : vfio_device_dev_id(dev), rid, &at);
	}
}

/* Tear the plan down; then every id it recorded gives ENOENT and the mock devices are free. */
static void teardown(struct iommu_plan *p, int fd, const struct mock *mk)
{
	uint32_t ids[64];
	unsigned nr_ids;
	double t0;
	int r;

	nr_ids = iommu_plan_object_ids(p, ids, 64);
	printf("recorded object ids:");
	for (unsigned i = 0; i < nr_ids && i < 64; i++)
		printf(" %u", ids[i]);
	printf("\n");
	check(nr_ids >= 6, "ids recorded: 2 nested HWPTs, 2 VDEVICEs, 1 vIOMMU, 1 stage-2");
	t0 = now_ms();
	iommu_plan_destroy(p);
	printf("MEASURE plan_teardown_ms=%.3f\n", now_ms() - t0);
	bool gone = true;
	for (unsigned i = 0; i < nr_ids && i < 64; i++) {
		r = destroy(fd, ids[i]);
		if (r != -ENOENT)
			printf("id %u: IOMMU_DESTROY gave %d, not ENOENT\n", ids[i], r);
		gone &= r == -ENOENT;
	}
	check(gone, "after teardown every recorded id gives ENOENT");
	for (unsigned i = 0; i < 2; i++) {
		check(destroy(fd, mk[i].stdev_id) == 0, "the mock device is off the plan's objects and goes");
		check(destroy(fd, mk[i].park_id) == 0, "then its parking HWPT");
	}
}

static int run(const char *bdf)
{
	struct gmem none = { .memfd = -1 };
	struct vfio_iommu *io = NULL;
	struct vfio_device *dev = NULL;
	struct iommu_plan *p = NULL;
	struct mock mk[2];
	char err[VFIO_ERR_MAX];
	unsigned nr_buses;
	int fd, r;
	double t0;

	if (vfio_iommu_create(&none, NULL, &io, err, sizeof(err))) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	fd = vfio_iommu_fd(io);
	if (bdf && vfio_device_open(io, bdf, &dev, err, sizeof(err))) {
		printf("FATAL: %s\n", err);
		vfio_iommu_destroy(io);
		return 1;
	}
	r = iommu_plan_create(iommu_sys_real(), NULL, &p, err, sizeof(err));
	for (unsigned i = 0; !r && i < 2; i++)
		r = mock_add(p, io, i, &mk[i], err, sizeof(err));
	if (!r && bdf) {
		struct iommu_dev_desc d = { "nvme0", bdf, NULL, -1, -1 };

		r = iommu_plan_add(p, &d, err, sizeof(err));
	}
	if (!r)
		r = iommu_plan_place(p, 1, 1, 8, &nr_buses, err, sizeof(err));
	if (r) {
		printf("FATAL: %s\n", err);
		return 1;
	}
	bind_all(p, mk, dev);
	t0 = now_ms();
	r = iommu_plan_execute(p, fd, vfio_iommu_ioas_id(io), err, sizeof(err));
	printf("MEASURE plan_execute_ms=%.3f\n", now_ms() - t0);
	check(r == 0, r ? err : "the plan executed");
	if (!r) {
		iommu_plan_print(p, stdout, false, NULL, NULL);
		check_plan(p, bdf != NULL);
		nest(p, fd);
	}
	teardown(p, fd, mk);
	vfio_device_close(dev);
	vfio_iommu_destroy(io);
	return failed;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "nvme", required_argument, NULL, 'n' }, { 0 } };
	const char *bdf = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: iommu-mock-plan [--nvme BDF]\n");
			return 2;
		}
		bdf = optarg;
	}
	log_set_level(LOG_DEBUG);
	return run(bdf) ? 1 : 0;
}
