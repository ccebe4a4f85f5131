// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk over a raw image. One worker thread per device runs an
 * io_uring loop: the queues' kick eventfds are read through the ring too,
 * so a guest notify (KVM ioeventfd) wakes the worker directly and the
 * VMM's own threads never see block I/O. A request is completed in the
 * used ring only when io_uring has completed its I/O.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blk_req.h"
#include "virtio-priv.h"
#include "virtq.h"

#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define BLK_DEFAULT_QUEUE_SIZE 256
#define BLK_MAX_RANGE_SECTORS  (1U << 22)  /* 2 GiB per discard/write-zeroes */
#define BLK_UD_STOP ((uint64_t)VIRTIO_MAX_QUEUES)  /* user_data below: kick of queue n */

struct virtio_blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	struct { uint16_t cylinders; uint8_t heads, sectors; } geometry;
	uint32_t blk_size;
	struct { uint8_t physical_block_exp, alignment_offset; uint16_t min_io_size; uint32_t opt_io_size; } topology;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors, max_discard_seg, discard_sector_alignment;
	uint32_t max_write_zeroes_sectors, max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap, unused1[3];
} __attribute__((packed));  /* every field is naturally aligned; packed drops the tail padding */
_Static_assert(sizeof(struct virtio_blk_config) == 60, "virtio_blk_config layout");
_Static_assert(__builtin_offsetof(struct virtio_blk_config, num_queues) == 34, "num_queues offset");
_Static_assert(__builtin_offsetof(struct virtio_blk_config, max_discard_sectors) == 36, "discard offset");

struct blk_dev {
	struct virtio_device vdev;
	char name[80];
	int fd;
	struct blk_geom geom;
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;

	/* Valid between activate and reset; touched only by the worker. */
	struct io_uring ring;
	pthread_t thread;
	int stop_fd;
	struct virtq vqs[VIRTIO_MAX_QUEUES];
	uint64_t kick_buf[VIRTIO_MAX_QUEUES], stop_buf;
	bool notify[VIRTIO_MAX_QUEUES];
	struct virtq_chain chain;
	unsigned inflight;
	bool stopping, io_error_logged;
	bool ignore_flush;  /* test knob SKIFF_TEST_BLK_IGNORE_FLUSH=1: fault injection */
};

struct blk_io {
	uint16_t head;
	uint8_t q;
	struct blk_req req;
	struct iovec iov[];
};

static struct blk_dev *to_blk(struct virtio_device *vdev)
{
	return vdev->priv;
}

static void blk_complete(struct blk_dev *b, unsigned q, struct blk_io *io, uint8_t st)
{
	/* The status byte is guest memory another CPU may read: one store. */
	__atomic_store_n(io->req.status_ptr, st, __ATOMIC_RELAXED);
	virtq_push(&b->vqs[q], io->head, blk_req_used_len(&io->req, st));
	b->notify[q] = true;
	free(io);
}

static struct io_uring_sqe *blk_sqe(struct blk_dev *b)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

	if (!sqe) {  /* ring full: hand the kernel what we have and retry */
		io_uring_submit(&b->ring);
		sqe = io_uring_get_sqe(&b->ring);
	}
	return sqe;
}

/* Queue the I/O for a parsed request; false if it was completed at once. */
static bool blk_submit(struct blk_dev *b, struct blk_io *io)
{
	struct blk_req *r = &io->req;
	struct io_uring_sqe *sqe;

	if (r->status != VIRTIO_BLK_S_OK)
		return false;
	if (r->type == VIRTIO_BLK_T_GET_ID) {
		iov_from_buf(r->data, r->nr_data, 0, b->serial, r->len);
		return false;
	}
	if (r->type != VIRTIO_BLK_T_FLUSH && r->len == 0)
		return false;
	if (r->type == VIRTIO_BLK_T_FLUSH && b->ignore_flush)
		return false;  /* fault injection: acknowledged, never synced */
	sqe = blk_sqe(b);
	if (!sqe) {
		r->status = VIRTIO_BLK_S_IOERR;
		return false;
	}
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		io_uring_prep_readv(sqe, b->fd, r->data, r->nr_data, r->offset);
		break;
	case VIRTIO_BLK_T_OUT:
		io_uring_prep_writev(sqe, b->fd, r->data, r->nr_data, r->offset);
		break;
	case VIRTIO_BLK_T_FLUSH:
		io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
		break;
	case VIRTIO_BLK_T_DISCARD:
		io_uring_prep_fallocate(sqe, b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					r->offset, r->len);
		break;
	default:  /* WRITE_ZEROES: reads of a hole are zeroes too */
		io_uring_prep_fallocate(sqe, b->fd, (r->unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
					FALLOC_FL_KEEP_SIZE, r->offset, r->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	b->inflight++;
	return true;
}

static void blk_start(struct blk_dev *b, unsigned q, const struct virtq_chain *c)
{
	unsigned n = c->nr_out + c->nr_in;
	struct blk_io *io = malloc(sizeof(*io) + n * sizeof(struct iovec));

	if (!io) {
		virtio_device_broken(&b->vdev, "out of memory for a request");
		b->vqs[q].ready = false;
		return;
	}
	io->head = c->head;
	io->q = (uint8_t)q;
	io->req.data = io->iov;
	if (blk_req_parse(c->iov, c->nr_out, c->nr_in, &b->geom, &io->req) < 0) {
		free(io);
		virtio_device_broken(&b->vdev, "queue %u: request without header or status byte", q);
		b->vqs[q].ready = false;
		return;
	}
	if (!blk_submit(b, io))
		blk_complete(b, q, io, io->req.status);
}

static void blk_process_queue(struct blk_dev *b, unsigned q)
{
	struct virtq *vq = &b->vqs[q];
	int r;

	do {
		while ((r = virtq_pop(vq, &b->chain)) == 1)
			blk_start(b, q, &b->chain);
		if (r < 0)
			return;
	} while (virtq_enable_notify(vq));
}

static void blk_arm_read(struct blk_dev *b, int fd, uint64_t *buf, uint64_t ud)
{
	struct io_uring_sqe *sqe = blk_sqe(b);

	if (!sqe) {
		log_error("%s: io_uring full, cannot wait for notifies", b->name);
		return;
	}
	io_uring_prep_read(sqe, fd, buf, sizeof(*buf), 0);
	io_uring_sqe_set_data64(sqe, ud);
}

static void blk_io_done(struct blk_dev *b, struct blk_io *io, int res)
{
	uint8_t st = VIRTIO_BLK_S_OK;
	bool rw = io->req.type == VIRTIO_BLK_T_IN || io->req.type == VIRTIO_BLK_T_OUT;

	b->inflight--;
	if (res < 0 || (rw && (uint64_t)res != io->req.len)) {
		st = VIRTIO_BLK_S_IOERR;
		if (!b->io_error_logged)  /* once: a failing disk would flood the log */
			log_warn("%s: request type %u at byte %llu failed: %s", b->name,
				 io->req.type, (unsigned long long)io->req.offset,
				 res < 0 ? strerror(-res) : "short transfer");
		b->io_error_logged = true;
	}
	blk_complete(b, io->q, io, st);
}

/*
 * At reset or exit: what the guest made available and what is still in
 * flight. Requests left behind mean a stalled guest; say so.
 */
static void blk_log_queues(struct blk_dev *b)
{
	for (unsigned q = 0; q < b->vdev.nr_queues; q++) {
		struct virtq *vq = &b->vqs[q];
		uint16_t avail_idx, avail_flags, used_event;

		if (!vq->size)
			continue;
		avail_flags = le16toh(__atomic_load_n(&vq->avail[0], __ATOMIC_ACQUIRE));
		avail_idx = le16toh(__atomic_load_n(&vq->avail[1], __ATOMIC_ACQUIRE));
		used_event = le16toh(__atomic_load_n(&vq->avail[2 + vq->size], __ATOMIC_RELAXED));
		log_msg(avail_idx != vq->last_avail || b->inflight ? LOG_WARN : LOG_DEBUG,
			"%s: queue %u at stop: guest avail idx %u flags %#x used_event %u; device popped %u, "
			"used %u, signalled %u, %u request(s) in flight", b->name, q, avail_idx, avail_flags,
			used_event, vq->last_avail, vq->used_idx, vq->signalled_used, b->inflight);
	}
}

static void blk_handle_cqe(struct blk_dev *b, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);

	if (ud < VIRTIO_MAX_QUEUES) {
		if (b->stopping)
			return;
		if (cqe->res < 0 && cqe->res != -EINTR && cqe->res != -EAGAIN && cqe->res != -ECANCELED) {
			log_error("%s: waiting for notifies on queue %u: %s", b->name,
				  (unsigned)ud, strerror(-cqe->res));
			return;
		}
		blk_arm_read(b, b->vdev.queues[ud].kick_fd, &b->kick_buf[ud], ud);
		blk_process_queue(b, (unsigned)ud);
	} else if (ud == BLK_UD_STOP) {
		b->stopping = true;
		blk_log_queues(b);
	} else {
		blk_io_done(b, (struct blk_io *)(uintptr_t)ud, cqe->res);
	}
}

/* Nothing acknowledged to the guest may be lost when skiff exits. */
static void blk_final_sync(struct blk_dev *b)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;

	if (b->geom.read_only || !(sqe = blk_sqe(b)))
		return;
	io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, BLK_UD_STOP + 1);
	for (;;) {
		int r = io_uring_submit_and_wait(&b->ring, 1);

		if (r < 0 && r != -EINTR) {
			log_error("%s: io_uring: %s; syncing directly", b->name, strerror(-r));
			if (fdatasync(b->fd) < 0)
				log_error("%s: fdatasync: %s", b->name, strerror(errno));
			return;
		}
		if (io_uring_peek_cqe(&b->ring, &cqe))
			continue;
		if (io_uring_cqe_get_data64(cqe) == BLK_UD_STOP + 1) {
			if (cqe->res < 0)
				log_error("%s: fdatasync: %s", b->name, strerror(-cqe->res));
			io_uring_cqe_seen(&b->ring, cqe);
			return;
		}
		io_uring_cqe_seen(&b->ring, cqe);  /* a late kick read */
	}
}

static void *blk_worker(void *arg)
{
	struct blk_dev *b = arg;
	struct io_uring_cqe *cqe;

	blk_arm_read(b, b->stop_fd, &b->stop_buf, BLK_UD_STOP);
	for (unsigned q = 0; q < b->vdev.nr_queues; q++) {
		if (!b->vqs[q].ready)
			continue;
		blk_arm_read(b, b->vdev.queues[q].kick_fd, &b->kick_buf[q], q);
		blk_process_queue(b, q);  /* buffers made available before DRIVER_OK */
	}
	while (!b->stopping || b->inflight) {
		unsigned head, seen = 0;
		int r = io_uring_submit_and_wait(&b->ring, 1);

		if (r < 0 && r != -EINTR && r != -EBUSY) {
			log_error("%s: io_uring: %s", b->name, strerror(-r));
			break;
		}
		io_uring_for_each_cqe(&b->ring, head, cqe) {
			blk_handle_cqe(b, cqe);
			seen++;
		}
		io_uring_cq_advance(&b->ring, seen);
		for (unsigned q = 0; q < b->vdev.nr_queues; q++) {
			if (b->notify[q])
				virtq_notify(&b->vqs[q]);
			b->notify[q] = false;
		}
	}
	blk_final_sync(b);
	return NULL;
}

static int blk_activate(struct virtio_device *vdev)
{
	struct blk_dev *b = to_blk(vdev);
	unsigned entries = 0;
	int r;

	for (unsigned q = 0; q < vdev->nr_queues; q++) {
		if (!vdev->queues[q].enabled)
			continue;
		if (vdev->queues[q].kick_fd < 0)
			return -EINVAL;
		r = virtq_init(&b->vqs[q], vdev, q);
		if (r)
			return r;
		entries += vdev->queues[q].size;
		b->notify[q] = false;
	}
	b->stopping = false;
	b->inflight = 0;
	b->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->stop_fd < 0)
		return -errno;
	/* Room for every request plus the notify reads; more just waits for a submit. */
	entries += vdev->nr_queues + 2;
	r = io_uring_queue_init(entries > 4096 ? 4096 : entries, &b->ring, 0);
	if (r)
		goto err_close;
	r = virtio_thread_start(&b->thread, blk_worker, b);
	if (r)
		goto err_ring;
	return 0;

err_ring:
	io_uring_queue_exit(&b->ring);
err_close:
	close(b->stop_fd);
	return r;
}

static void blk_reset(struct virtio_device *vdev)
{
	struct blk_dev *b = to_blk(vdev);

	/* The worker drains in-flight I/O and syncs before it returns. */
	virtio_eventfd_signal(b->stop_fd);
	pthread_join(b->thread, NULL);
	io_uring_queue_exit(&b->ring);
	close(b->stop_fd);
	b->stop_fd = -1;
	memset(b->vqs, 0, sizeof(b->vqs));
}

static uint64_t blk_features(struct virtio_device *vdev)
{
	struct blk_dev *b = to_blk(vdev);
	uint64_t f = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		     1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_MQ |
		     1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;

	if (b->geom.read_only)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	if (b->geom.discard)
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	if (b->geom.write_zeroes)
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static void blk_read_config(struct virtio_device *vdev, uint64_t offset, void *data, unsigned len)
{
	struct blk_dev *b = to_blk(vdev);

	virtio_config_read(&b->config, sizeof(b->config), offset, data, len);
}

static void blk_write_config(struct virtio_device *vdev, uint64_t offset, const void *data, unsigned len)
{
	/* Nothing is writable (no CONFIG_WCE): writes are dropped. */
	(void)vdev, (void)offset, (void)data, (void)len;
}

static void blk_destroy(struct virtio_device *vdev)
{
	struct blk_dev *b = to_blk(vdev);

	free(b->chain.iov);
	close(b->fd);
	free(b);
}

static const struct virtio_device_ops blk_ops = {
	.features = blk_features,
	.read_config = blk_read_config,
	.write_config = blk_write_config,
	.activate = blk_activate,
	.reset = blk_reset,
	.destroy = blk_destroy,
};

/* Open the image with a message a user can act on. */
static int blk_open(const struct virtio_blk_params *p, const char *name, char *err, size_t errlen)
{
	int fd = open(p->path, (p->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	int r = -errno;

	if (fd >= 0) {
		/* Two VMs writing one image corrupt it; readers may share. */
		if (flock(fd, (p->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
			return fd;
		r = -errno;
		close(fd);
		snprintf(err, errlen, "virtio-blk %s: %s is in use by another process (%s)", name, p->path,
			 strerror(-r));
		return r;
	}
	if (r == -ENOENT)
		snprintf(err, errlen, "virtio-blk %s: disk image %s not found", name, p->path);
	else if (!p->read_only && (r == -EROFS || r == -EACCES || r == -EPERM))
		snprintf(err, errlen, "virtio-blk %s: cannot open %s read-write (%s); "
			 "mark the drive read-only or fix its permissions", name, p->path, strerror(-r));
	else
		snprintf(err, errlen, "virtio-blk %s: cannot open %s: %s", name, p->path, strerror(-r));
	return r;
}

static int blk_size(int fd, const char *name, const char *path, uint64_t *ret, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "virtio-blk %s: stat %s: %s", name, path, strerror(errno));
		return -errno;
	}
	if (S_ISREG(st.st_mode)) {
		*ret = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, ret) == 0)
		return 0;
	snprintf(err, errlen, "virtio-blk %s: %s is not a regular file or block device", name, path);
	return -EINVAL;
}

/*
 * Offer DISCARD / WRITE_ZEROES only if this file's filesystem does them.
 * The probe works past the end of the file (KEEP_SIZE), where no guest
 * data lives, and frees whatever ZERO_RANGE allocated there.
 */
static void blk_probe_fallocate(struct blk_dev *b, uint64_t size)
{
	struct stat st;
	off_t off = (off_t)((size + 8191) & ~4095ULL);

	if (b->geom.read_only || fstat(b->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	b->geom.discard = fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, 4096) == 0;
	b->geom.write_zeroes = b->geom.discard &&
			       fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, 4096) == 0;
	if (b->geom.write_zeroes)
		(void)fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, 4096);
	b->geom.max_range_sectors = BLK_MAX_RANGE_SECTORS;
}

static void blk_fill_config(struct blk_dev *b, unsigned num_queues, unsigned queue_size)
{
	struct virtio_blk_config *c = &b->config;

	c->capacity = htole64(b->geom.capacity);
	c->seg_max = htole32(queue_size - 2);  /* a chain also carries header and status */
	c->blk_size = htole32(VIRTIO_BLK_SECTOR);
	c->num_queues = htole16((uint16_t)num_queues);
	if (b->geom.discard) {
		c->max_discard_sectors = htole32(BLK_MAX_RANGE_SECTORS);
		c->max_discard_seg = htole32(1);
		c->discard_sector_alignment = htole32(8);  /* 4 KiB: the filesystem's granule */
	}
	if (b->geom.write_zeroes) {
		c->max_write_zeroes_sectors = htole32(BLK_MAX_RANGE_SECTORS);
		c->max_write_zeroes_seg = htole32(1);
		c->write_zeroes_may_unmap = 1;
	}
}

static int blk_check_params(const struct virtio_blk_params *p, const char *name, unsigned *nq,
			    unsigned *qs, char *err, size_t errlen)
{
	*nq = p->num_queues ? p->num_queues : 1;
	*qs = p->queue_size ? p->queue_size : BLK_DEFAULT_QUEUE_SIZE;
	if (*nq > VIRTIO_MAX_QUEUES || *qs < 4 || *qs > VIRTIO_QUEUE_MAX_SIZE || (*qs & (*qs - 1))) {
		snprintf(err, errlen, "virtio-blk %s: num_queues must be 1..%u and queue_size a power of "
			 "two in 4..%u", name, VIRTIO_MAX_QUEUES, VIRTIO_QUEUE_MAX_SIZE);
		return -EINVAL;
	}
	return 0;
}

int virtio_blk_create(const struct virtio_blk_params *p, const struct gmem *mem,
		      struct virtio_device **ret, char *err, size_t errlen)
{
	const char *name = p->name ? p->name : p->path;
	struct blk_dev *b;
	unsigned nq, qs;
	uint64_t size;
	int r;

	r = blk_check_params(p, name, &nq, &qs, err, errlen);
	if (r)
		return r;
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "virtio-blk %s: out of memory", name);
		return -ENOMEM;
	}
	b->chain.cap = qs + VIRTIO_QUEUE_MAX_SIZE;  /* direct descriptors plus one indirect table */
	b->chain.iov = calloc(b->chain.cap, sizeof(struct iovec));
	if (!b->chain.iov) {
		snprintf(err, errlen, "virtio-blk %s: out of memory", name);
		r = -ENOMEM;
		goto err_free;
	}
	b->fd = blk_open(p, name, err, errlen);
	if (b->fd < 0) {
		r = b->fd;
		goto err_free;
	}
	r = blk_size(b->fd, name, p->path, &size, err, errlen);
	if (r)
		goto err_close;
	if (size % VIRTIO_BLK_SECTOR)
		log_warn("virtio-blk %s: size of %s is not a multiple of 512; the last %llu bytes are not "
			 "visible to the guest", name, p->path, (unsigned long long)(size % VIRTIO_BLK_SECTOR));
	snprintf(b->name, sizeof(b->name), "virtio-blk %s", name);
	b->geom.capacity = size / VIRTIO_BLK_SECTOR;
	b->geom.read_only = p->read_only;
	blk_probe_fallocate(b, size);
	if (p->serial)
		memcpy(b->serial, p->serial, strnlen(p->serial, sizeof(b->serial)));
	blk_fill_config(b, nq, qs);
	b->stop_fd = -1;
	/* Lab tests only: prove that a power-cut test notices lost flushes. */
	const char *knob = getenv("SKIFF_TEST_BLK_IGNORE_FLUSH");
	if (knob && strcmp(knob, "1") == 0 && !p->read_only) {
		b->ignore_flush = true;
		log_warn("%s: flush requests are IGNORED (test knob SKIFF_TEST_BLK_IGNORE_FLUSH=1); "
			 "data the guest flushes may be lost", b->name);
	}

	b->vdev.name = b->name;
	b->vdev.device_id = VIRTIO_ID_BLOCK;
	b->vdev.ops = &blk_ops;
	b->vdev.priv = b;
	b->vdev.mem = mem;
	b->vdev.nr_queues = nq;
	for (unsigned q = 0; q < nq; q++)
		b->vdev.queues[q] = (struct virtio_queue_cfg){ .size = (uint16_t)qs, .max_size = (uint16_t)qs,
							       .msix_vector = 0xffff, .kick_fd = -1 };
	*ret = &b->vdev;
	return 0;

err_close:
	close(b->fd);
err_free:
	free(b->chain.iov);
	free(b);
	return r;
}
