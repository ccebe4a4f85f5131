// SPDX-License-Identifier: MIT
/*
 * smmu-viommu-probe: the kernel's iommufd vIOMMU path for ARM SMMUv3, step
 * by step, on two VFIO devices behind two different SMMUv3 instances (the
 * arm64 lab: tests/lab/arm64/tests/arm64-smmu-viommu.sh).
 *
 * usage: smmu-viommu-probe /dev/vfio/devices/vfioA SID_A /dev/vfio/devices/vfioB SID_B
 *
 * Prints one "PROBE <step> rc=<0|errno name>" line per step (with a value
 * where the step has one) and exits 0 when every step ran; the caller
 * asserts the outcomes, so a kernel that changes its answer (a later one
 * may share a stage-2 across instances) shows up as a different line, not
 * as a crash here. Exit 1 when a step that later steps need failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define INVAL_BATCH 40          /* commands in one IOMMU_HWPT_INVALIDATE */
#define CMDQ_OP_TLBI_NH_ALL 0x10
#define STE_VALID 1ULL
#define STE_CFG_BYPASS (4ULL << 1)

struct dev {
    const char *path;
    uint32_t sid;       /* the guest's StreamID for it: the vdevice's virt_id */
    int fd;
    uint32_t id;        /* iommufd device id */
};

static const char *err_name(int e)
{
    switch (e) {
    case 0: return "0";
    case EINVAL: return "EINVAL";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENODEV: return "ENODEV";
    case EBUSY: return "EBUSY";
    case ENOENT: return "ENOENT";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case ENOTTY: return "ENOTTY";
    default: return strerror(e);
    }
}

/* one step's outcome; returns the errno (0 = ok) */
static int report(const char *step, int rc, const char *fmt, unsigned long long v)
{
    int e = rc < 0 ? errno : 0;

    printf("PROBE %s rc=%s", step, err_name(e));
    if (!e && fmt)
        printf(fmt, v);
    printf("\n");
    fflush(stdout);
    return e;
}

static int bind_dev(int iommufd, struct dev *d, const char *step)
{
    struct vfio_device_bind_iommufd b = { .argsz = sizeof(b), .iommufd = iommufd };
    int rc;

    d->fd = open(d->path, O_RDWR | O_CLOEXEC);
    if (d->fd < 0) {
        fprintf(stderr, "smmu-viommu-probe: cannot open %s: %s\n", d->path, strerror(errno));
        return -1;
    }
    rc = ioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &b);
    d->id = b.out_devid;
    return report(step, rc, " dev_id=%llu", b.out_devid) ? -1 : 0;
}

static int hw_info(int iommufd, const struct dev *d, const char *step)
{
    struct iommu_hw_info_arm_smmuv3 regs = { 0 };
    struct iommu_hw_info h = {
        .size = sizeof(h), .dev_id = d->id,
        .data_len = sizeof(regs), .data_uptr = (uintptr_t)&regs,
    };
    int rc = ioctl(iommufd, IOMMU_GET_HW_INFO, &h);

    return report(step, rc, " type=%llu", h.out_data_type);
}

static int alloc_s2(int iommufd, const struct dev *d, uint32_t ioas, uint32_t *out, const char *step)
{
    struct iommu_hwpt_alloc a = {
        .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
        .dev_id = d->id, .pt_id = ioas,
    };
    int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &a);

    *out = a.out_hwpt_id;
    return report(step, rc, " hwpt_id=%llu", a.out_hwpt_id);
}

static int alloc_viommu(int iommufd, const struct dev *d, uint32_t s2, uint32_t *out, const char *step)
{
    struct iommu_viommu_alloc a = {
        .size = sizeof(a), .type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
        .dev_id = d->id, .hwpt_id = s2,
    };
    int rc = ioctl(iommufd, IOMMU_VIOMMU_ALLOC, &a);

    *out = a.out_viommu_id;
    return report(step, rc, " viommu_id=%llu", a.out_viommu_id);
}

static int alloc_vdevice(int iommufd, const struct dev *d, uint32_t viommu, const char *step)
{
    struct iommu_vdevice_alloc a = {
        .size = sizeof(a), .viommu_id = viommu, .dev_id = d->id, .virt_id = d->sid,
    };
    int rc = ioctl(iommufd, IOMMU_VDEVICE_ALLOC, &a);

    return report(step, rc, " virt_id=%llu", d->sid);
}

/* A nested HWPT from a guest STE that says bypass, and the device on it. */
static int nest_and_attach(int iommufd, const struct dev *d, uint32_t viommu, const char *step)
{
    struct iommu_hwpt_arm_smmuv3 ste = { .ste = { STE_VALID | STE_CFG_BYPASS, 0 } };
    struct iommu_hwpt_alloc a = {
        .size = sizeof(a), .dev_id = d->id, .pt_id = viommu,
        .data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
        .data_len = sizeof(ste), .data_uptr = (uintptr_t)&ste,
    };
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    char name[64];
    int rc = ioctl(iommufd, IOMMU_HWPT_ALLOC, &a);

    if (report(step, rc, " hwpt_id=%llu", a.out_hwpt_id))
        return -1;
    at.pt_id = a.out_hwpt_id;
    rc = ioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at);
    snprintf(name, sizeof(name), "%s-attach", step);
    return report(name, rc, NULL, 0) ? -1 : 0;
}

/* INVAL_BATCH TLBI_NH_ALL commands in one call on the vIOMMU. */
static int invalidate_batch(int iommufd, uint32_t viommu, const char *step)
{
    struct iommu_viommu_arm_smmuv3_invalidate cmds[INVAL_BATCH];
    struct iommu_hwpt_invalidate inv = {
        .size = sizeof(inv), .hwpt_id = viommu, .data_uptr = (uintptr_t)cmds,
        .data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
        .entry_len = sizeof(cmds[0]), .entry_num = INVAL_BATCH,
    };
    int rc;

    memset(cmds, 0, sizeof(cmds));
    for (int i = 0; i < INVAL_BATCH; i++)
        cmds[i].cmd[0] = CMDQ_OP_TLBI_NH_ALL;
    rc = ioctl(iommufd, IOMMU_HWPT_INVALIDATE, &inv);
    return report(step, rc, " entry_num=%llu", inv.entry_num);
}

static int alloc_veventq(int iommufd, uint32_t viommu, const char *step)
{
    struct iommu_veventq_alloc a = {
        .size = sizeof(a), .viommu_id = viommu,
        .type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, .veventq_depth = 64,
    };
    int rc = ioctl(iommufd, IOMMU_VEVENTQ_ALLOC, &a);

    if (rc == 0)
        close((int)a.out_veventq_fd);
    return report(step, rc, " veventq_id=%llu", a.out_veventq_id);
}

int main(int argc, char **argv)
{
    struct dev a = { 0 }, b = { 0 };
    struct iommu_ioas_alloc ioas = { .size = sizeof(ioas) };
    uint32_t s2a, s2b, va, vb, unused;
    int fd;

    if (argc != 5) {
        fprintf(stderr, "usage: smmu-viommu-probe VFIO_CDEV_A SID_A VFIO_CDEV_B SID_B\n");
        return 2;
    }
    a.path = argv[1], a.sid = (uint32_t)strtoul(argv[2], NULL, 0);
    b.path = argv[3], b.sid = (uint32_t)strtoul(argv[4], NULL, 0);
    fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "smmu-viommu-probe: cannot open /dev/iommu: %s\n", strerror(errno));
        return 1;
    }
    if (bind_dev(fd, &a, "bind-a") || bind_dev(fd, &b, "bind-b") ||
        report("ioas", ioctl(fd, IOMMU_IOAS_ALLOC, &ioas), " ioas_id=%llu", ioas.out_ioas_id))
        return 1;
    hw_info(fd, &a, "hw-info-a");
    hw_info(fd, &b, "hw-info-b");
    if (alloc_s2(fd, &a, ioas.out_ioas_id, &s2a, "s2-a") || alloc_viommu(fd, &a, s2a, &va, "viommu-a"))
        return 1;
    /* 7.2: a stage-2 is not shared across SMMU instances (EINVAL) */
    alloc_viommu(fd, &b, s2a, &unused, "viommu-b-on-s2-a");
    if (alloc_s2(fd, &b, ioas.out_ioas_id, &s2b, "s2-b") || alloc_viommu(fd, &b, s2b, &vb, "viommu-b"))
        return 1;
    if (alloc_vdevice(fd, &a, va, "vdevice-a") || alloc_vdevice(fd, &b, vb, "vdevice-b"))
        return 1;
    if (nest_and_attach(fd, &a, va, "nested-a"))
        return 1;
    invalidate_batch(fd, va, "invalidate-a");
    alloc_veventq(fd, va, "veventq-a");
    return 0;
}
