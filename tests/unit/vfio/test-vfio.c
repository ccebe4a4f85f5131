// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vfio/ over the fake syscall layer (fake-sys.c): the
 * iommufd/VFIO set-up sequence and its messages, fail-nth over every call
 * (a clear one-line error and nothing left behind: fds, IOAS objects,
 * mmaps, MSI vectors, guest mappings), and the device model (config
 * space, BAR slots, MSI-X wiring, trapped accesses).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../pci/ptest.h"
#include "fake-sys.h"
#include "vfio.h"

#define BDF "0000:00:03.0"

static char tmp[64], sysdir[128], devdir[128];
static struct vfio_paths paths;

static void put_file(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
}

static void mkdirs(const char *fmt, const char *a)
{
	char p[256], cmd[300];

	snprintf(p, sizeof(p), fmt, a);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	CHECK(system(cmd) == 0);
}

/* A host with BDF bound to driver (NULL: none), with or without the cdev. */
static void make_host(const char *driver, bool cdev, bool iommu)
{
	char p[256], cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys' '%s/dev'", tmp, tmp);
	CHECK(system(cmd) == 0);
	mkdirs("%s/bus/pci/devices/" BDF, sysdir);
	mkdirs("%s/vfio/devices", devdir);
	if (driver) {
		mkdirs("%s/bus/pci/drivers", sysdir);
		snprintf(p, sizeof(p), "%s/bus/pci/drivers/%s", sysdir, driver);
		CHECK(mkdir(p, 0700) == 0);
		snprintf(cmd, sizeof(cmd), "%s/bus/pci/devices/" BDF "/driver", sysdir);
		CHECK(symlink(p, cmd) == 0);
	}
	if (cdev) {
		mkdirs("%s/bus/pci/devices/" BDF "/vfio-dev/vfio0", sysdir);
		snprintf(p, sizeof(p), "%s/bus/pci/devices/" BDF "/vfio-dev/vfio0/dev", sysdir);
		put_file(p);
		snprintf(p, sizeof(p), "%s/vfio/devices/vfio0", devdir);
		put_file(p);
	}
	if (iommu) {
		snprintf(p, sizeof(p), "%s/iommu", devdir);
		put_file(p);
	}
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

static struct gmem test_ram(void)
{
	struct gmem gm = { .memfd = 99, .size = 3ull << 30, .nr_regions = 2 };
	static uint8_t dummy;

	gm.regions[0] = (struct gmem_region){ 0, 2ull << 30, 0, &dummy };
	gm.regions[1] = (struct gmem_region){ 1ull << 32, 1ull << 30, 2ull << 30, &dummy };
	return gm;
}

/* ---- fake guest mappings ---------------------------------------------------------- */
struct fake_map {
	unsigned live, calls;
	uint64_t gpa, size;
	int fail;
};

static int fm_map(void *opaque, uint64_t gpa, uint64_t size, void *host, int *ret_slot)
{
	struct fake_map *fm = opaque;

	(void)host;
	fm->calls++;
	if (fm->fail)
		return -fm->fail;
	fm->live++;
	fm->gpa = gpa;
	fm->size = size;
	*ret_slot = 4;
	return 0;
}

static void fm_unmap(void *opaque, int slot)
{
	struct fake_map *fm = opaque;

	CHECK_EQ(slot, 4);
	fm->live--;
}

/* ---- a fake level irqfd (vm_irq_ops.irqfd_resample) ---------------------------------- */
static int fake_resample(void *opaque, unsigned gsi, int *ret_efd, int *ret_rfd)
{
	int r;

	(void)opaque;
	if (fake_fail_now(&r))
		return r;
	*ret_efd = eventfd(0, EFD_CLOEXEC);
	*ret_rfd = eventfd(0, EFD_CLOEXEC);
	CHECK(*ret_efd >= 0 && *ret_rfd >= 0);
	fake.resample_live++;
	fake.resample_gsi = gsi;
	fake.resample_efd = *ret_efd;
	fake.resample_rfd = *ret_rfd;
	return 0;
}

static void fake_resample_release(void *opaque, unsigned gsi, int efd, int rfd)
{
	(void)opaque;
	CHECK_EQ(gsi, fake.resample_gsi);
	CHECK(efd == fake.resample_efd && rfd == fake.resample_rfd);
	close(efd);
	close(rfd);
	fake.resample_live--;
}

static struct vm_irq_ops test_irq_ops(struct fake_irq *fi)
{
	struct vm_irq_ops ops = fake_ops(fi);

	ops.irqfd_resample = fake_resample;
	ops.irqfd_resample_release = fake_resample_release;
	return ops;
}

/* ---- messages ------------------------------------------------------------------------ */

static void expect_open_err(const char *want)
{
	struct gmem gm = test_ram();
	struct vfio_iommu *io = NULL;
	struct vfio_device *dev = NULL;
	char err[VFIO_ERR_MAX] = "";
	int r = vfio_iommu_create(&gm, &paths, &io, err, sizeof(err));

	if (r == 0) {
		r = vfio_device_open(io, BDF, &dev, err, sizeof(err));
		if (r == 0)
			vfio_device_close(dev);
		vfio_iommu_destroy(io);
	}
	CHECK(r < 0);
	CHECK_MSG(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
	CHECK(!strchr(err, '\n'));
}

static void test_messages(void)
{
	char err[VFIO_ERR_MAX], node[32];

	make_host("vfio-pci", true, true);
	fake_reset();
	CHECK_EQ(vfio_find_cdev(&paths, "0000:00:04.0", node, sizeof(node), err, sizeof(err)), -ENODEV);
	CHECK(!strcmp(err, "PCI device 0000:00:04.0 does not exist on this host (`lspci -D` lists the PCI "
			   "addresses there are)"));
	CHECK_EQ(vfio_find_cdev(&paths, "00:03.0", node, sizeof(node), err, sizeof(err)), -EINVAL);
	CHECK(!strcmp(err, "\"00:03.0\" is not a PCI address: write it as DDDD:BB:DD.F, e.g. 0000:00:03.0"));
	CHECK_EQ(vfio_find_cdev(&paths, BDF, node, sizeof(node), err, sizeof(err)), 0);
	CHECK(!strcmp(node, "vfio0"));

	make_host("nvme", false, true);
	CHECK_EQ(vfio_find_cdev(&paths, BDF, node, sizeof(node), err, sizeof(err)), -EPERM);
	CHECK_MSG(!strcmp(err, "PCI device " BDF " is bound to nvme, not vfio-pci: unbind it (echo " BDF
			  " > /sys/bus/pci/devices/" BDF "/driver/unbind), then `echo vfio-pci > "
			  "/sys/bus/pci/devices/" BDF "/driver_override; echo " BDF " > /sys/bus/pci/drivers_probe`"),
		  "got: %s", err);
	make_host(NULL, false, true);
	CHECK_EQ(vfio_find_cdev(&paths, BDF, node, sizeof(node), err, sizeof(err)), -EPERM);
	CHECK_MSG(!strcmp(err, "PCI device " BDF " is not bound to vfio-pci (it has no driver): bind it with "
			  "`echo vfio-pci > /sys/bus/pci/devices/" BDF "/driver_override; echo " BDF
			  " > /sys/bus/pci/drivers_probe`"), "got: %s", err);
	make_host("vfio-pci", false, true);
	CHECK_EQ(vfio_find_cdev(&paths, BDF, node, sizeof(node), err, sizeof(err)), -EOPNOTSUPP);
	CHECK(!strcmp(err, "PCI device " BDF " is bound to vfio-pci but has no VFIO device cdev: this kernel "
			   "lacks CONFIG_VFIO_DEVICE_CDEV (skiff uses /dev/vfio/devices/vfioN and iommufd, not "
			   "VFIO groups)"));

	/* Linux 6.1-6.5: vfio-dev/vfio0 in sysfs, but no character device (no "dev"). */
	make_host("vfio-pci", false, true);
	mkdirs("%s/bus/pci/devices/" BDF "/vfio-dev/vfio0", sysdir);
	CHECK_EQ(vfio_find_cdev(&paths, BDF, node, sizeof(node), err, sizeof(err)), -EOPNOTSUPP);
	CHECK_MSG(strstr(err, "has no VFIO device cdev: this kernel lacks CONFIG_VFIO_DEVICE_CDEV") != NULL,
		  "got: %s", err);

	/* Neither cdev nor /dev/iommu (Debian's own kernels): one message names both options. */
	make_host("vfio-pci", false, false);
	CHECK_EQ(vfio_find_cdev(&paths, BDF, node, sizeof(node), err, sizeof(err)), -EOPNOTSUPP);
	CHECK_MSG(strstr(err, "PCI device " BDF " is bound to vfio-pci but has no VFIO device cdev, and there "
			  "is no ") && strstr(err, "/dev/iommu: this kernel has neither the VFIO cdev nor iommufd "
			  "(build it with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y; skiff does not use VFIO "
			  "groups)"), "got: %s", err);

	make_host("vfio-pci", true, false);
	expect_open_err("/iommu does not exist: this kernel has no iommufd (build it with CONFIG_IOMMUFD=y and "
			"CONFIG_VFIO_DEVICE_CDEV=y)");

	make_host("vfio-pci", true, true);
	fake.open_err_vfio = EBUSY;
	expect_open_err("PCI device " BDF " is busy (opening its VFIO cdev gave EBUSY): another process, maybe "
			"another VMM, has it; stop that first");
	fake_reset();
	fake.bind_err = EBUSY;
	expect_open_err("PCI device " BDF " is busy (VFIO_DEVICE_BIND_IOMMUFD gave EBUSY: its VFIO group is open): "
			"another process, maybe another VMM, has it; stop that first");
	fake_reset();
	fake.bind_err = EINVAL;
	expect_open_err("PCI device " BDF " is busy (VFIO_DEVICE_BIND_IOMMUFD gave EINVAL: it is bound to another "
			"iommufd): another process, maybe another VMM, has it; stop that first");
	fake_reset();
	fake.attach_err = EADDRINUSE;
	expect_open_err("PCI device " BDF ": its IOMMU reserves addresses inside guest RAM (attach gave "
			"EADDRINUSE); give the VM less memory");
	fake_reset();

	/* Guest RAM across the x86 interrupt window the fake IOMMU reserves. */
	{
		struct gmem gm = test_ram();
		struct vfio_iommu *io = NULL;
		struct vfio_device *dev = NULL;
		int r;

		gm.regions[0].size = 0xfef00000;
		r = vfio_iommu_create(&gm, &paths, &io, err, sizeof(err));
		CHECK_EQ(r, 0);
		CHECK_EQ(fake.nr_map_file, 2);
		CHECK_EQ(vfio_device_open(io, BDF, &dev, err, sizeof(err)), -EADDRINUSE);
		CHECK_MSG(!strcmp(err, "PCI device " BDF ": its IOMMU cannot map guest RAM [0, 0xfeefffff] (the "
				  "range collides with an IOVA window the host reserves); give the VM less memory"),
			  "got: %s", err);
		vfio_iommu_destroy(io);
	}

	/* MAP_FILE missing: IOMMU_IOAS_MAP of the host mapping instead. */
	{
		struct gmem gm = test_ram();
		struct vfio_iommu *io = NULL;

		fake_reset();
		fake.no_map_file = true;
		CHECK_EQ(vfio_iommu_create(&gm, &paths, &io, err, sizeof(err)), 0);
		CHECK_EQ(fake.nr_map_file, 0);
		CHECK_EQ(fake.nr_map, 2);
		vfio_iommu_destroy(io);
		CHECK_EQ(fake.live_ioas, 0);
	}
}

/* ---- the whole set-up, and fail-nth --------------------------------------------------- */

struct setup {
	struct fake_irq fi;
	struct vm_irq_ops irq;
	struct fake_map fm;
	struct vfio_map_ops map;
	struct pci_root *root;
	struct vfio_iommu *io;
	struct vfio_device *dev;
	struct vfio_pci *vp;
	char err[VFIO_ERR_MAX];
};

static int setup_all(struct setup *s)
{
	struct gmem gm = test_ram();
	int r;

	s->irq = test_irq_ops(&s->fi);
	s->map = (struct vfio_map_ops){ fm_map, fm_unmap, &s->fm };
	s->err[0] = '\0';
	r = vfio_iommu_create(&gm, &paths, &s->io, s->err, sizeof(s->err));
	if (r)
		return r;
	r = vfio_device_open(s->io, BDF, &s->dev, s->err, sizeof(s->err));
	if (r) {
		vfio_iommu_destroy(s->io);
		return r;
	}
	r = vfio_pci_create(s->dev, s->root, 0, 3, &s->irq, &s->map, &s->vp, s->err, sizeof(s->err));
	if (r) {
		vfio_device_close(s->dev);
		vfio_iommu_destroy(s->io);
	}
	return r;
}

static void teardown_all(struct setup *s)
{
	vfio_pci_destroy(s->vp);
	vfio_device_close(s->dev);
	vfio_iommu_destroy(s->io);
}

static void test_fail_nth(void)
{
	struct setup s = { 0 };
	struct fake_irq rfi;
	unsigned total, base = open_fds(), failed = 0;

	make_host("vfio-pci", true, true);
	fake_reset();
	s.root = make_root(1, &rfi, false);
	CHECK_EQ(setup_all(&s), 0);
	total = fake.calls;
	teardown_all(&s);
	CHECK_EQ(open_fds(), base);
	CHECK(total > 15);
	for (unsigned n = 1; n <= total; n++) {
		fake_reset();
		fake.fail_nth = n;
		fake.fail_errno = EIO;
		memset(&s.fm, 0, sizeof(s.fm));
		int r = setup_all(&s);

		if (r) {
			failed++;
			CHECK_MSG(s.err[0] && !strchr(s.err, '\n'), "call %u: bad message \"%s\"", n, s.err);
		} else {
			/* Non-fatal steps (reset, mmap, the command-register write) only warn. */
			teardown_all(&s);
		}
		CHECK_MSG(open_fds() == base, "call %u: %u fds open, want %u", n, open_fds(), base);
		CHECK_MSG(fake.live_ioas == 0, "call %u: IOAS left behind", n);
		CHECK_MSG(fake.live_mmaps == 0, "call %u: BAR mapping left behind", n);
		CHECK_MSG(fake_open_msi(&s.fi) == 0, "call %u: MSI vectors left behind", n);
		CHECK_MSG(s.fm.live == 0, "call %u: guest mapping left behind", n);
		CHECK_MSG(fake.resample_live == 0, "call %u: INTx irqfd left behind", n);
		CHECK_MSG(fake.irq_on < 0, "call %u: interrupts left on at the device", n);
		CHECK_MSG(pci_root_find(s.root, 0, 3, 0) == NULL, "call %u: function left on the root", n);
	}
	/* Non-fatal: reset, the command-register write, the BAR mmap, and INTx's irqfd and two SET_IRQS. */
	CHECK_EQ(failed, total - 6);
	printf("fail-nth: %u calls in the set-up, %u of them fatal when failing\n", total, failed);
	pci_root_destroy(s.root);
}

/* ---- MSI and FLR ------------------------------------------------------------------------------ */

static unsigned find_cap(struct pci_func *f, unsigned id)
{
	for (unsigned off = cfg_rd(f, PCI_CAPABILITY_LIST, 1); off; off = cfg_rd(f, off + 1, 1))
		if (cfg_rd(f, off, 1) == id)
			return off;
	return 0;
}

/* The emulated MSI capability: 4 of 8 vectors, vector 1 masked, then off again. */
static void test_msi(struct setup *s, struct pci_func *f)
{
	unsigned m = find_cap(f, 0x05), before = fake_open_msi(&s->fi);

	CHECK(m != 0);
	CHECK_EQ(cfg_rd(f, m + 2, 2), 0x0186);      /* 64-bit, maskable, MMC = 8 vectors */
	cfg_wr(f, m + 4, 0xfee01003, 4);            /* the low two bits are read-only */
	CHECK_EQ(cfg_rd(f, m + 4, 4), 0xfee01000);
	cfg_wr(f, m + 8, 0, 4);
	cfg_wr(f, m + 12, 0x4120, 2);
	cfg_wr(f, m + 16, 0xffffff02, 4);           /* mask bits above 8 vectors read 0 */
	CHECK_EQ(cfg_rd(f, m + 16, 4), 0x02);
	cfg_wr(f, m + 2, 0x0186 | 2 << 4 | 1, 2);   /* MME = 4 vectors, enable */
	CHECK_EQ(fake.irq_on, VFIO_PCI_MSI_IRQ_INDEX);
	CHECK_EQ(fake.irq_on_count, 4);
	CHECK_EQ(fake.resample_live, 0);
	CHECK_EQ(fake_open_msi(&s->fi), before + 4);
	CHECK_EQ(s->fi.last.addr, 0xfee01000);
	CHECK_EQ(s->fi.last.data, 0x4123);          /* vector 3: data | 3 */
	for (unsigned v = 0; v < 4; v++)
		CHECK_EQ(fake.set_irqs_fds[v] >= 0, 1);
	/* Unmasking vector 1 updates the running vectors without a new SET_IRQS. */
	unsigned calls = fake.set_irqs_calls;
	cfg_wr(f, m + 16, 0, 4);
	CHECK_EQ(fake.set_irqs_calls, calls);
	CHECK_EQ(s->fi.last.masked, false);
	/* A different vector count re-programs the device. */
	cfg_wr(f, m + 2, 0x0186 | 1 << 4 | 1, 2);
	CHECK_EQ(fake.irq_on_count, 2);
	cfg_wr(f, m + 2, 0x0186, 2);
	CHECK_EQ(fake.irq_on, VFIO_PCI_INTX_IRQ_INDEX);
	CHECK_EQ(fake.resample_live, 1);
}

/* Initiate FLR: VFIO_DEVICE_RESET, decode and MSI-X off, back on INTx; the bit reads 0. */
static void test_flr(struct setup *s, struct pci_func *f, unsigned msix)
{
	unsigned e = find_cap(f, PCI_CAP_ID_EXP), resets = fake.resets;

	(void)s;
	CHECK(cfg_rd(f, e + 4, 4) & (1u << 28));
	cfg_wr(f, msix + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	CHECK_EQ(fake.irq_on, VFIO_PCI_MSIX_IRQ_INDEX);
	cfg_wr(f, e + 8, 0x8000 | 0x10, 2);
	CHECK_EQ(fake.resets, resets + 1);
	CHECK_EQ(cfg_rd(f, e + 8, 2), 0x10);
	CHECK_EQ(cfg_rd(f, PCI_COMMAND, 2), 0);
	CHECK_EQ(fake.dev_command, 0);
	CHECK_EQ(cfg_rd(f, msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE, 0);
	CHECK_EQ(fake.irq_on, VFIO_PCI_INTX_IRQ_INDEX);
	CHECK_EQ(fake.resample_live, 1);
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
}

/*
 * Fail-nth over what the guest drives at run time: MSI-X on and off, MSI on
 * and off, an FLR. A failing call may cost the guest an interrupt kind (a
 * warning), but never leaves an irqfd, eventfd or an interrupt on at the
 * device behind after teardown.
 */
static void guest_sequence(struct pci_func *f)
{
	unsigned x = find_cap(f, PCI_CAP_ID_MSIX), m = find_cap(f, 0x05), e = find_cap(f, PCI_CAP_ID_EXP);

	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	cfg_wr(f, x + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	cfg_wr(f, x + PCI_MSIX_FLAGS, 0, 2);
	cfg_wr(f, m + 4, 0xfee00000, 4);
	cfg_wr(f, m + 2, 0x0186 | 1 << 4 | 1, 2);
	cfg_wr(f, m + 16, 1, 4);
	cfg_wr(f, e + 8, 0x8000, 2);
	cfg_wr(f, m + 2, 0x0186 | 1, 2);
}

static void test_fail_nth_guest(void)
{
	struct setup s = { 0 };
	struct fake_irq rfi;
	unsigned base = open_fds(), start, total;

	make_host("vfio-pci", true, true);
	fake_reset();
	s.root = make_root(1, &rfi, false);
	CHECK_EQ(setup_all(&s), 0);
	start = fake.calls;
	guest_sequence(vfio_pci_func(s.vp));
	total = fake.calls - start;
	teardown_all(&s);
	CHECK(total > 10);
	for (unsigned n = 1; n <= total; n++) {
		fake_reset();
		memset(&s.fm, 0, sizeof(s.fm));
		CHECK_EQ(setup_all(&s), 0);
		fake.fail_nth = fake.calls + n;
		fake.fail_errno = EIO;
		guest_sequence(vfio_pci_func(s.vp));
		teardown_all(&s);
		CHECK_MSG(open_fds() == base, "guest call %u: %u fds open, want %u", n, open_fds(), base);
		CHECK_MSG(fake.resample_live == 0, "guest call %u: INTx irqfd left behind", n);
		CHECK_MSG(fake.irq_on < 0, "guest call %u: interrupts left on", n);
		CHECK_MSG(fake_open_msi(&s.fi) == 0, "guest call %u: MSI vectors left behind", n);
		CHECK_MSG(fake.live_mmaps == 0 && s.fm.live == 0, "guest call %u: BAR mapping left behind", n);
	}
	printf("fail-nth: %u calls in the guest's interrupt/reset sequence\n", total);
	pci_root_destroy(s.root);
}

/* ---- the device model ---------------------------------------------------------------------- */

static void test_device_model(void)
{
	struct setup s = { 0 };
	struct fake_irq rfi;
	struct pci_func *f;
	unsigned base = open_fds();

	make_host("vfio-pci", true, true);
	fake_reset();
	s.root = make_root(1, &rfi, false);
	CHECK_EQ(setup_all(&s), 0);
	CHECK_EQ(fake.resets, 1);
	f = vfio_pci_func(s.vp);
	CHECK(pci_root_find(s.root, 0, 3, 0) == f);
	CHECK_EQ(cfg_rd(f, PCI_VENDOR_ID, 4), 0x00101b36);
	CHECK_EQ(cfg_rd(f, PCI_CLASS_PROG, 1), 0x02);
	CHECK_EQ(cfg_rd(f, PCI_CLASS_PROG + 1, 2), 0x0108);
	CHECK_EQ(cfg_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	/* INTA on the slot's GSI, on from the start: a level irqfd whose resample fd unmasks. */
	CHECK_EQ(cfg_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(fake.resample_gsi, pci_root_intx_gsi(s.root, 3, 0));
	CHECK_EQ(cfg_rd(f, PCI_INTERRUPT_LINE, 1), fake.resample_gsi);
	CHECK_EQ(fake.resample_live, 1);
	CHECK_EQ(fake.irq_on, VFIO_PCI_INTX_IRQ_INDEX);
	CHECK_EQ(fake.intx_unmask_fd, fake.resample_rfd);
	/* Capabilities: PM, MSI, MSI-X, PCIe in the device's order. */
	unsigned ids[8], n = 0;
	for (unsigned off = cfg_rd(f, PCI_CAPABILITY_LIST, 1); off && n < 8; off = cfg_rd(f, off + 1, 1))
		ids[n++] = cfg_rd(f, off, 1);
	CHECK_EQ(n, 4);
	CHECK(n == 4 && ids[0] == 0x01 && ids[1] == 0x05 && ids[2] == PCI_CAP_ID_MSIX && ids[3] == PCI_CAP_ID_EXP);
	CHECK_EQ(cfg_rd(f, PCI_EXT_CAP_START, 4), 0);
	/* BAR 0: 64-bit, 16 KiB. */
	cfg_wr(f, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	CHECK_EQ(cfg_rd(f, PCI_BASE_ADDRESS_0, 4), 0xffffc004);
	cfg_wr(f, PCI_BASE_ADDRESS_0, 0xc0000000, 4);
	cfg_wr(f, PCI_BASE_ADDRESS_0 + 4, 0, 4);
	CHECK_EQ(s.fm.calls, 0);
	/* Memory decode on: the page before the MSI-X table/PBA pages becomes a slot. */
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	CHECK_EQ(fake.dev_command, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	CHECK_EQ(s.fm.live, 1);
	CHECK_EQ(s.fm.gpa, 0xc0000000);
	CHECK_EQ(s.fm.size, 0x2000);
	/* Moved: unmapped and mapped at the new place. */
	cfg_wr(f, PCI_BASE_ADDRESS_0, 0xc0010000, 4);
	CHECK_EQ(s.fm.live, 1);
	CHECK_EQ(s.fm.gpa, 0xc0010000);
	/* Trapped, outside the MSI-X structures: the device. */
	uint32_t v = 0;
	pci_func_bar_read(f, 0, 0x2804, &v, 4);
	CHECK_EQ(v, 0x07060504);
	v = 0xabcd;
	pci_func_bar_write(f, 0, 0x3800, &v, 4);
	CHECK_EQ(fake.last_bar_write_off, 0x3800);
	CHECK_EQ(fake.last_bar_write, 0xabcd);
	/* The MSI-X table itself is emulated. */
	v = 0;
	pci_func_bar_read(f, 0, 0x2000 + PCI_MSIX_ENTRY_CTRL, &v, 4);
	CHECK_EQ(v, 1);
	/* MSI-X enable hands the vectors' eventfds to VFIO. */
	unsigned cap = 0;
	for (unsigned off = cfg_rd(f, PCI_CAPABILITY_LIST, 1); off; off = cfg_rd(f, off + 1, 1))
		if (cfg_rd(f, off, 1) == PCI_CAP_ID_MSIX)
			cap = off;
	CHECK_EQ(cfg_rd(f, cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE, 3);
	unsigned calls = fake.set_irqs_calls;
	cfg_wr(f, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
	CHECK_EQ(fake.set_irqs_calls, calls + 2);  /* INTx off, MSI-X on */
	CHECK_EQ(fake.irq_on, VFIO_PCI_MSIX_IRQ_INDEX);
	CHECK_EQ(fake.resample_live, 0);
	CHECK_EQ(fake.set_irqs_count, 4);
	CHECK_EQ(fake.set_irqs_flags, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(fake.set_irqs_fds[i], pci_msix_vector_fd(f, i));
	cfg_wr(f, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	CHECK_EQ(fake.set_irqs_calls, calls + 2);
	/* MSI-X off: back on INTx. */
	cfg_wr(f, cap + PCI_MSIX_FLAGS, 0, 2);
	CHECK_EQ(fake.irq_on, VFIO_PCI_INTX_IRQ_INDEX);
	CHECK_EQ(fake.resample_live, 1);
	CHECK_EQ(fake.intx_unmask_fd, fake.resample_rfd);
	test_msi(&s, f);
	test_flr(&s, f, cap);
	/* Decode off: the slot goes. */
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
	CHECK_EQ(s.fm.live, 0);
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	CHECK_EQ(s.fm.live, 1);
	/* INTx disable reaches the device (vfio-pci masks the line for it). */
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE, 2);
	CHECK_EQ(fake.dev_command, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	/* Teardown: interrupts off at the device, mappings and fds gone. */
	teardown_all(&s);
	CHECK_EQ(fake.irq_on, -1);
	CHECK_EQ(fake.resample_live, 0);
	CHECK_EQ(fake.set_irqs_count, 0);
	CHECK_EQ(s.fm.live, 0);
	CHECK_EQ(fake.live_mmaps, 0);
	CHECK_EQ(fake_open_msi(&s.fi), 0);
	CHECK(pci_root_find(s.root, 0, 3, 0) == NULL);
	CHECK_EQ(open_fds(), base);

	/* Without mmap the whole BAR is trapped. */
	fake_reset();
	fake.no_mmap = true;
	memset(&s.fm, 0, sizeof(s.fm));
	CHECK_EQ(setup_all(&s), 0);
	f = vfio_pci_func(s.vp);
	cfg_wr(f, PCI_BASE_ADDRESS_0, 0xc0000000, 4);
	cfg_wr(f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CHECK_EQ(s.fm.calls, 0);
	v = 0;
	pci_func_bar_read(f, 0, 0x10, &v, 4);
	CHECK_EQ(v, 0x13121110);
	teardown_all(&s);
	pci_root_destroy(s.root);
	CHECK_EQ(open_fds(), base);
}

int main(void)
{
	char cmd[128];

	snprintf(tmp, sizeof(tmp), "/tmp/skiff-vfio-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sysdir, sizeof(sysdir), "%s/sys", tmp);
	snprintf(devdir, sizeof(devdir), "%s/dev", tmp);
	paths = (struct vfio_paths){ sysdir, devdir };
	log_set_level(LOG_ERROR);
	test_messages();
	test_fail_nth();
	test_fail_nth_guest();
	test_device_model();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cleaning %s failed\n", tmp);
	return check_summary("vfio");
}
