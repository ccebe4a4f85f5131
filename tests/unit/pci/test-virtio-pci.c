// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for pci/virtio_pci.c: the virtio-pci capabilities, common
 * configuration, notifications, interrupts and the PCI_CFG window against
 * a trivial fake virtio device.
 */
#include <pthread.h>
#include <unistd.h>

#include "ptest.h"
#include "virtio.h"

/* ---- a fake virtio device behind virtio-pci ------------------------------------- */

struct fake_vdev {
	struct virtio_device vdev;
	unsigned activated, resets, destroyed;
	uint8_t config[8];
	int activate_ret;
};

static uint64_t fv_features(struct virtio_device *vdev)
{
	(void)vdev;
	return 1ull << 0 | 1ull << 5 | 1ull << VIRTIO_F_EVENT_IDX;
}

static void fv_read_config(struct virtio_device *vdev, uint64_t off, void *data, unsigned len)
{
	struct fake_vdev *fv = vdev->priv;

	memset(data, 0, len);
	if (off < sizeof(fv->config) && len <= sizeof(fv->config) - off)
		memcpy(data, fv->config + off, len);
}

static void fv_write_config(struct virtio_device *vdev, uint64_t off, const void *data, unsigned len)
{
	struct fake_vdev *fv = vdev->priv;

	if (off < sizeof(fv->config) && len <= sizeof(fv->config) - off)
		memcpy(fv->config + off, data, len);
}

static int fv_activate(struct virtio_device *vdev)
{
	struct fake_vdev *fv = vdev->priv;

	fv->activated++;
	return fv->activate_ret;
}

static void fv_reset(struct virtio_device *vdev)
{
	((struct fake_vdev *)vdev->priv)->resets++;
}

static void fv_destroy(struct virtio_device *vdev)
{
	((struct fake_vdev *)vdev->priv)->destroyed++;
}

static const struct virtio_device_ops fv_ops = {
	fv_features, fv_read_config, fv_write_config, fv_activate, fv_reset, fv_destroy,
};

static void fake_vdev_init(struct fake_vdev *fv, unsigned nr_queues)
{
	memset(fv, 0, sizeof(*fv));
	fv->vdev.name = "virtio-fake";
	fv->vdev.device_id = VIRTIO_ID_RNG;
	fv->vdev.ops = &fv_ops;
	fv->vdev.priv = fv;
	fv->vdev.nr_queues = nr_queues;
	for (unsigned q = 0; q < nr_queues; q++)
		fv->vdev.queues[q].max_size = 256;
	memcpy(fv->config, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
}

struct vp_env {
	struct fake_irq fi;
	struct vm_irq_ops irq;
	struct pci_root *root;
	struct fake_vdev fv;
	struct virtio_pci *vp;
	struct pci_func *f;
	struct pci_window w[PCI_MAX_WINDOWS];
	unsigned nw;
	uint64_t bar;
};

static int vp_env_init(struct vp_env *e, unsigned nr_queues)
{
	e->irq = fake_ops(&e->fi);
	e->root = make_root(2, &e->fi, false);
	fake_vdev_init(&e->fv, nr_queues);
	if (!e->root || virtio_pci_create(e->root, 1, 5, &e->fv.vdev, &e->irq, &e->vp))
		return -1;
	e->f = virtio_pci_func(e->vp);
	e->nw = pci_root_windows(e->root, e->w);
	e->bar = pci_func_bar_addr(e->f, 0);
	return 0;
}

static void vp_env_destroy(struct vp_env *e)
{
	virtio_pci_destroy(e->vp);
	pci_root_destroy(e->root);
}

static uint64_t com_rd(struct vp_env *e, unsigned off, unsigned len)
{
	return mmio_rd(e->w, e->nw, e->bar + off, len);
}

static void com_wr(struct vp_env *e, unsigned off, uint64_t v, unsigned len)
{
	mmio_wr(e->w, e->nw, e->bar + off, v, len);
}

static void test_virtio_pci_header(void)
{
	struct vp_env e;

	CHECK(!vp_env_init(&e, 2));
	struct pci_func *f = e.f;
	CHECK_EQ(cfg_rd(f, PCI_VENDOR_ID, 4), (0x1040u + VIRTIO_ID_RNG) << 16 | 0x1af4);
	CHECK_EQ(cfg_rd(f, PCI_REVISION_ID, 1), 1);
	CHECK_EQ(cfg_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	CHECK(cfg_rd(f, PCI_SUBSYSTEM_ID, 2) >= 0x40);
	CHECK_EQ(f->bus, 128);
	CHECK_EQ(f->devfn, 5 << 3);
	CHECK_EQ(cfg_rd(f, PCI_BASE_ADDRESS_0, 4) & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	CHECK(e.bar >= X86_PCI_MMIO64_BASE + X86_PCI_MMIO64_SIZE / 2);

	/* Walk the capability list: PCIe, 5 virtio caps (types 1..5), MSI-X. */
	unsigned off = cfg_rd(f, PCI_CAPABILITY_LIST, 1), n = 0;
	uint8_t ids[16], types[16];
	while (off && n < 16) {
		CHECK(off >= 0x40 && off <= 0xfc && off % 4 == 0);
		ids[n] = (uint8_t)cfg_rd(f, off, 1);
		types[n] = (uint8_t)cfg_rd(f, off + 3, 1);
		if (ids[n] == PCI_CAP_ID_VNDR) {
			CHECK_EQ(cfg_rd(f, off + 4, 1), 0); /* BAR 0 */
			if (types[n] == 2)
				CHECK_EQ(cfg_rd(f, off + 16, 4), 4); /* notify_off_multiplier */
			if (types[n] == 1)
				CHECK_EQ(cfg_rd(f, off + 8, 4), 0);
		}
		n++;
		off = cfg_rd(f, off + 1, 1);
	}
	CHECK_EQ(n, 7);
	CHECK_EQ(ids[0], PCI_CAP_ID_EXP);
	for (unsigned i = 1; i <= 5; i++) {
		CHECK_EQ(ids[i], PCI_CAP_ID_VNDR);
		CHECK_EQ(types[i], i);
	}
	CHECK_EQ(ids[6], PCI_CAP_ID_MSIX);
	CHECK_EQ(f->msix.nr, 3);
	vp_env_destroy(&e);
	CHECK_EQ(fake_open_msi(&e.fi), 0);
	CHECK_EQ(fake_ioev_count(&e.fi), 0);
}

static void drv_status(struct vp_env *e, uint8_t s)
{
	com_wr(e, 0x14, s, 1);
}

static void test_virtio_pci_common(void)
{
	struct vp_env e;

	CHECK(!vp_env_init(&e, 2));
	/* Nothing decodes until the driver enables memory space. */
	CHECK_EQ(com_rd(&e, 0x12, 2), 0xffff);
	CHECK_EQ(fake_ioev_count(&e.fi), 0);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	CHECK_EQ(fake_ioev_count(&e.fi), 2);
	CHECK_EQ(fake_ioev_find(&e.fi, e.bar + 0x2000), e.fv.vdev.queues[0].kick_fd);
	CHECK_EQ(fake_ioev_find(&e.fi, e.bar + 0x2004), e.fv.vdev.queues[1].kick_fd);

	CHECK_EQ(com_rd(&e, 0x12, 2), 2);          /* num_queues */
	CHECK_EQ(com_rd(&e, 0x10, 2), 0xffff);     /* config_msix_vector */
	/* Features: window 0, window 1, beyond. */
	com_wr(&e, 0x00, 0, 4);
	CHECK_EQ(com_rd(&e, 0x04, 4), 1u << 0 | 1u << 5 | 1u << VIRTIO_F_EVENT_IDX);
	com_wr(&e, 0x00, 1, 4);
	CHECK_EQ(com_rd(&e, 0x04, 4), 1);          /* VERSION_1 */
	com_wr(&e, 0x00, 7, 4);
	CHECK_EQ(com_rd(&e, 0x04, 4), 0);

	drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE);
	drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* A feature not offered (bit 1) is refused at FEATURES_OK. */
	com_wr(&e, 0x08, 0, 4);
	com_wr(&e, 0x0c, 1u << 0 | 1u << 1, 4);
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, 0x0b);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x03);
	/* Without VERSION_1, too. */
	com_wr(&e, 0x08, 0, 4);
	com_wr(&e, 0x0c, 1u << 0, 4);
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 0, 4);
	drv_status(&e, 0x0b);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x03);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, 0x0b);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x0b);
	CHECK_EQ(e.fv.vdev.driver_features, 1ull << 32 | 1);
	com_wr(&e, 0x08, 0, 4);
	CHECK_EQ(com_rd(&e, 0x0c, 4), 1);
	com_wr(&e, 0x0c, 0xffffffff, 4); /* ignored after FEATURES_OK */
	CHECK_EQ(e.fv.vdev.driver_features, 1ull << 32 | 1);

	/* Queue setup. */
	com_wr(&e, 0x16, 1, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 256);
	CHECK_EQ(com_rd(&e, 0x1e, 2), 1); /* queue_notify_off */
	com_wr(&e, 0x18, 100, 2);         /* not a power of two */
	CHECK_EQ(com_rd(&e, 0x18, 2), 256);
	com_wr(&e, 0x18, 512, 2);         /* above max */
	CHECK_EQ(com_rd(&e, 0x18, 2), 256);
	com_wr(&e, 0x18, 64, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 64);
	com_wr(&e, 0x20, 0x1000, 4);
	com_wr(&e, 0x24, 0x1, 4);
	com_wr(&e, 0x28, 0x2000, 4);
	com_wr(&e, 0x30, 0x3000, 4);
	com_wr(&e, 0x1a, 2, 2);
	CHECK_EQ(com_rd(&e, 0x1a, 2), 2);
	com_wr(&e, 0x10, 0, 2);
	CHECK_EQ(com_rd(&e, 0x10, 2), 0);
	com_wr(&e, 0x10, 3, 2); /* beyond the table: NO_VECTOR */
	CHECK_EQ(com_rd(&e, 0x10, 2), 0xffff);
	com_wr(&e, 0x10, 0, 2);
	com_wr(&e, 0x1c, 1, 2);
	CHECK_EQ(com_rd(&e, 0x1c, 2), 1);
	struct virtio_queue_cfg *q1 = &e.fv.vdev.queues[1];
	CHECK_EQ(q1->size, 64);
	CHECK_EQ(q1->desc, 0x100001000ull);
	CHECK_EQ(q1->avail, 0x2000);
	CHECK_EQ(q1->used, 0x3000);
	CHECK(q1->enabled);
	CHECK_EQ(com_rd(&e, 0x24, 4), 1);
	com_wr(&e, 0x20, 0x5000, 4); /* enabled: ignored */
	CHECK_EQ(q1->desc, 0x100001000ull);
	/* Out-of-range queue_select. */
	com_wr(&e, 0x16, 2, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 0);
	com_wr(&e, 0x18, 16, 2);
	com_wr(&e, 0x16, 0xffff, 2);
	CHECK_EQ(com_rd(&e, 0x18, 2), 0);
	CHECK_EQ(com_rd(&e, 0x1a, 2), 0xffff);
	/* Bad widths read zero and are ignored. */
	CHECK_EQ(com_rd(&e, 0x12, 4), 0);
	CHECK_EQ(com_rd(&e, 0x13, 1), 0);

	/* Device config. */
	CHECK_EQ(com_rd(&e, 0x1000, 4), 0x44332211);
	com_wr(&e, 0x1004, 0xa5, 1);
	CHECK_EQ(e.fv.config[4], 0xa5);

	drv_status(&e, 0x0f);
	CHECK_EQ(e.fv.activated, 1);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0x0f);

	/* Notify: a trapped write kicks the eventfd by hand. */
	com_wr(&e, 0x2004, 1, 2);
	CHECK_EQ(efd_count(q1->kick_fd), 1);
	com_wr(&e, 0x2008, 2, 2); /* no queue 2: nothing */

	/* signal_used with MSI-X enabled: vector 2's eventfd. */
	unsigned cap = e.f->msix.cap;
	cfg_wr(e.f, cap + PCI_MSIX_FLAGS + 1, PCI_MSIX_FLAGS_ENABLE >> 8, 1);
	uint32_t d[4] = { 0xfee00000, 0, 0x41, 0 };
	for (int i = 0; i < 4; i++)
		com_wr(&e, 0x3000 + 2 * 16 + 4 * i, d[i], 4);
	CHECK(!e.fi.last.masked);
	virtio_signal_used(&e.fv.vdev, 1);
	CHECK_EQ(efd_count(pci_msix_vector_fd(e.f, 2)), 1);
	virtio_signal_used(&e.fv.vdev, 0); /* NO_VECTOR: nothing */
	CHECK_EQ(efd_count(pci_msix_vector_fd(e.f, 0)), 0);
	virtio_signal_config(&e.fv.vdev); /* vector 0, masked: pending */
	CHECK_EQ(com_rd(&e, 0x3800, 4), 1);

	/* signal_used with MSI-X off: INTx + ISR. */
	cfg_wr(e.f, cap + PCI_MSIX_FLAGS + 1, 0, 1);
	unsigned gsi = e.f->intx.gsi;
	CHECK_EQ(gsi, X86_PCI_INTX_GSI_BASE + (5 + 0) % 4);
	virtio_signal_used(&e.fv.vdev, 1);
	CHECK(e.fi.gsi_high[gsi]);
	CHECK(cfg_rd(e.f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	CHECK_EQ(com_rd(&e, 0x800, 1), 1);
	CHECK(!e.fi.gsi_high[gsi]);
	CHECK_EQ(com_rd(&e, 0x800, 1), 0);
	virtio_signal_config(&e.fv.vdev);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 2);
	CHECK(!e.fi.gsi_high[gsi]);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	CHECK(e.fi.gsi_high[gsi]);
	CHECK_EQ(com_rd(&e, 0x800, 1), 2);

	/* Reset clears everything and resets the device. */
	drv_status(&e, 0);
	CHECK_EQ(e.fv.resets, 1);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0);
	CHECK_EQ(e.fv.vdev.driver_features, 0);
	CHECK(!q1->enabled);
	CHECK_EQ(q1->size, 256);
	CHECK_EQ(q1->desc, 0);
	CHECK_EQ(q1->msix_vector, 0xffff);
	CHECK_EQ(com_rd(&e, 0x10, 2), 0xffff);
	CHECK_EQ(com_rd(&e, 0x16, 2), 0);
	CHECK(q1->kick_fd >= 0);

	/* Moving the BAR moves the ioeventfds. */
	uint64_t nb = e.bar + 0x10000;
	cfg_wr(e.f, PCI_BASE_ADDRESS_0, (uint32_t)nb | 4, 4);
	CHECK_EQ(fake_ioev_count(&e.fi), 2);
	CHECK_EQ(fake_ioev_find(&e.fi, nb + 0x2004), q1->kick_fd);
	CHECK_EQ(fake_ioev_find(&e.fi, e.bar + 0x2004), -1);
	e.bar = nb;
	CHECK_EQ(com_rd(&e, 0x12, 2), 2);
	cfg_wr(e.f, PCI_COMMAND, 0, 2);
	CHECK_EQ(fake_ioev_count(&e.fi), 0);
	vp_env_destroy(&e);
	CHECK_EQ(fake_open_msi(&e.fi), 0);
}

static void test_virtio_pci_activate_fail_and_cfg_cap(void)
{
	struct vp_env e;

	CHECK(!vp_env_init(&e, 1));
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	e.fv.activate_ret = -EIO;
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, 0x0b);
	drv_status(&e, 0x0f);
	CHECK_EQ(e.fv.activated, 1);
	CHECK(com_rd(&e, 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	drv_status(&e, 0);
	CHECK_EQ(com_rd(&e, 0x14, 1), 0);

	/* VIRTIO_PCI_CAP_PCI_CFG: find it, read num_queues and the device config through it. */
	unsigned off = cfg_rd(e.f, PCI_CAPABILITY_LIST, 1), c = 0;
	for (int i = 0; off && i < 16; i++, off = cfg_rd(e.f, off + 1, 1))
		if (cfg_rd(e.f, off, 1) == PCI_CAP_ID_VNDR && cfg_rd(e.f, off + 3, 1) == 5)
			c = off;
	CHECK(c != 0);
	if (c) {
		cfg_wr(e.f, c + 4, 0, 1);
		cfg_wr(e.f, c + 8, 0x12, 4);
		cfg_wr(e.f, c + 12, 2, 4);
		CHECK_EQ(cfg_rd(e.f, c + 16, 2), 1);
		cfg_wr(e.f, c + 8, 0x1000, 4);
		cfg_wr(e.f, c + 12, 4, 4);
		CHECK_EQ(cfg_rd(e.f, c + 16, 4), 0x44332211);
		/* A write through the window: queue_select = 0, queue_size = 32. */
		cfg_wr(e.f, c + 8, 0x18, 4);
		cfg_wr(e.f, c + 12, 2, 4);
		cfg_wr(e.f, c + 16, 32, 2);
		CHECK_EQ(e.fv.vdev.queues[0].size, 32);
		/* Bad windows are ignored. */
		cfg_wr(e.f, c + 8, 0x3fff, 4);
		cfg_wr(e.f, c + 12, 4, 4);
		cfg_wr(e.f, c + 16, 0xffffffff, 4);
		cfg_wr(e.f, c + 4, 3, 1);
		cfg_wr(e.f, c + 16, 0xffffffff, 4);
	}
	vp_env_destroy(&e);
}

/*
 * A device whose worker signals used buffers all the time, and whose reset
 * (run by the transport under the function's lock) stops and joins that
 * worker, as virtio-blk, -net and -vsock do. The reset waits a little
 * first so that the worker is sure to be waiting for the lock: the
 * transport must let it go instead of deadlocking.
 */
struct sig_dev {
	struct fake_vdev fv;
	pthread_t thread;
	bool stop;
	unsigned long signals;
};

static void *sig_worker(void *arg)
{
	struct sig_dev *d = arg;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		virtio_signal_used(&d->fv.vdev, 0);
		d->signals++;
	}
	return NULL;
}

static int sig_activate(struct virtio_device *vdev)
{
	struct sig_dev *d = vdev->priv;

	d->stop = false;
	return -pthread_create(&d->thread, NULL, sig_worker, d);
}

static void sig_reset(struct virtio_device *vdev)
{
	struct sig_dev *d = vdev->priv;

	usleep(20000);
	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	pthread_join(d->thread, NULL);
	d->fv.resets++;
}

static const struct virtio_device_ops sig_ops = {
	fv_features, fv_read_config, fv_write_config, sig_activate, sig_reset, fv_destroy,
};

static void test_virtio_pci_reset_vs_worker_signal(void)
{
	static struct sig_dev d;
	struct vp_env e;

	alarm(20);  /* a deadlock fails the test instead of hanging it */
	CHECK(!vp_env_init(&e, 1));
	/* vp_env_init attached e.fv; attach ours instead. */
	virtio_pci_destroy(e.vp);
	fake_vdev_init(&d.fv, 1);
	d.fv.vdev.ops = &sig_ops;
	d.fv.vdev.priv = &d;
	CHECK(!virtio_pci_create(e.root, 1, 6, &d.fv.vdev, &e.irq, &e.vp));
	e.f = virtio_pci_func(e.vp);
	e.nw = pci_root_windows(e.root, e.w);
	e.bar = pci_func_bar_addr(e.f, 0);
	cfg_wr(e.f, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	for (int round = 0; round < 3; round++) {
		drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		com_wr(&e, 0x08, 1, 4);
		com_wr(&e, 0x0c, 1, 4);  /* VERSION_1 */
		drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			       VIRTIO_STATUS_DRIVER_OK);
		CHECK(d.fv.vdev.active);
		usleep(5000);
		drv_status(&e, 0);  /* the driver resets the device while its worker signals */
		CHECK_EQ(d.fv.resets, (unsigned)round + 1);
	}
	CHECK(d.signals > 0);
	/* Teardown resets under the lock too, with the worker running. */
	drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	com_wr(&e, 0x08, 1, 4);
	com_wr(&e, 0x0c, 1, 4);
	drv_status(&e, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		       VIRTIO_STATUS_DRIVER_OK);
	vp_env_destroy(&e);
	CHECK_EQ(d.fv.resets, 4);
	alarm(0);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_virtio_pci_reset_vs_worker_signal();
	test_virtio_pci_header();
	test_virtio_pci_common();
	test_virtio_pci_activate_fail_and_cfg_cap();
	return check_summary("test-virtio-pci");
}
