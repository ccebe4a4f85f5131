// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueue, device side. The rings and every buffer are guest
 * memory the driver may rewrite at any moment, so each value is read
 * once into a local, checked, and only then used; every address goes
 * through gmem_slice() with its full length; a chain is limited in hops,
 * buffers and bytes. A guest mistake marks the device broken.
 *
 * Behind a vIOMMU (vdev->dma.translate set) every address is an IOVA:
 * the rings are translated once at virtq_init() (see struct virtq), the
 * indirect tables and buffers at each pop. Without one, the only cost is
 * a test of that pointer per pop (the walk is specialised for each case).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtq.h"

static int virtq_fail(struct virtq *vq, const char *what, unsigned long long a, unsigned long long b)
{
	vq->ready = false;
	virtio_device_broken(vq->vdev, "queue %u: %s (%#llx, %#llx)", vq->index, what, a, b);
	return -EIO;
}

/* ---- translation behind a vIOMMU (vq->dma.translate set) ------------------ */

/*
 * One run of [iova, iova + len): *gpa and its length *run (1..len). The
 * callback's answer is checked, not trusted to be in range. -EFAULT: the
 * vIOMMU refused (and recorded the fault for the guest).
 */
static int virtq_translate(struct virtq *vq, uint64_t iova, uint64_t len, bool write, gpa_t *gpa, uint64_t *run)
{
	uint64_t contig = 0;

	if (vq->dma.translate(vq->dma.opaque, iova, len, write, gpa, &contig) || contig == 0)
		return -EFAULT;
	*run = contig < len ? contig : len;
	return 0;
}

/*
 * [iova, iova + len) as one GPA run: -EFAULT if any of it does not
 * translate, -E2BIG if it is not contiguous in GPA space.
 */
static int virtq_translate_whole(struct virtq *vq, uint64_t iova, uint64_t len, bool write, gpa_t *ret)
{
	uint64_t done = 0, run;
	gpa_t first = 0, gpa;

	if (len - 1 > UINT64_MAX - iova)
		return -EFAULT;
	while (done < len) {
		if (virtq_translate(vq, iova + done, len - done, write, &gpa, &run))
			return -EFAULT;
		if (done == 0)
			first = gpa;
		else if (gpa != first + done)
			return -E2BIG;
		done += run;
	}
	*ret = first;
	return 0;
}

/* Copy len bytes the device reads at iova, run by run (an indirect table scattered in GPA space). */
static int virtq_dma_read(struct virtq *vq, uint64_t iova, void *buf, uint64_t len)
{
	uint64_t done = 0, run;
	gpa_t gpa;

	while (done < len) {
		if (virtq_translate(vq, iova + done, len - done, false, &gpa, &run) ||
		    gmem_read(vq->vdev->mem, gpa, (uint8_t *)buf + done, run))
			return -EFAULT;
		done += run;
	}
	return 0;
}

/*
 * The host view of one ring of len bytes at addr (a GPA, or an IOVA
 * behind a vIOMMU), aligned to align bytes in guest memory.
 */
static void *virtq_map_ring(struct virtq *vq, const char *name, uint64_t addr, uint64_t len, bool write,
			    uint64_t align, int *err)
{
	gpa_t gpa = addr;
	void *p;
	int r;

	if (vq->dma.translate) {
		r = virtq_translate_whole(vq, addr, len, write, &gpa);
		if (r == -E2BIG || (r == 0 && (gpa & (align - 1)))) {
			virtio_device_broken(vq->vdev, "queue %u: %s ring at IOVA %#llx is not one contiguous, aligned run "
					     "of guest memory after translation", vq->index, name, (unsigned long long)addr);
			*err = -EINVAL;
			return NULL;
		}
		if (r) {
			virtio_device_broken(vq->vdev, "queue %u: %s ring at IOVA %#llx (%llu bytes) is not mapped %s for "
					     "the device by the vIOMMU", vq->index, name, (unsigned long long)addr,
					     (unsigned long long)len, write ? "writable" : "readable");
			*err = -EFAULT;
			return NULL;
		}
	}
	p = gmem_slice(vq->vdev->mem, gpa, len);
	if (!p) {
		virtio_device_broken(vq->vdev, "queue %u: ring outside guest RAM (%s at %#llx)", vq->index, name,
				     (unsigned long long)gpa);
		*err = -EFAULT;
	}
	return p;
}

int virtq_init(struct virtq *vq, struct virtio_device *vdev, unsigned index)
{
	const struct virtio_queue_cfg *c;
	int r = 0;
	uint64_t n;

	memset(vq, 0, sizeof(*vq));
	vq->vdev = vdev;
	vq->index = index;
	vq->dma = vdev->dma;
	if (index >= vdev->nr_queues || !vdev->queues[index].enabled)
		return -ENOENT;
	c = &vdev->queues[index];
	n = c->size;
	if (n == 0 || (n & (n - 1)) || n > c->max_size || n > 32768) {
		virtq_fail(vq, "bad queue size", n, c->max_size);
		return -EINVAL;
	}
	if ((c->desc & 15) || (c->avail & 1) || (c->used & 3)) {
		virtq_fail(vq, "misaligned ring", c->desc, c->avail | c->used << 1);
		return -EINVAL;
	}
	/* The device reads the descriptors and avail ring and writes the used ring. */
	vq->desc = virtq_map_ring(vq, "descriptor", c->desc, 16 * n, false, 16, &r);
	if (vq->desc)
		vq->avail = virtq_map_ring(vq, "available", c->avail, 6 + 2 * n, false, 2, &r);
	if (vq->avail)
		vq->used_hdr = virtq_map_ring(vq, "used", c->used, 6 + 8 * n, true, 4, &r);
	if (!vq->used_hdr)
		return r;
	vq->used_ring = (struct virtq_used_elem *)(vq->used_hdr + 2);
	vq->size = (uint16_t)n;
	vq->event_idx = virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX);
	vq->ready = true;
	return 0;
}

static uint16_t load16(const uint16_t *p, int order)
{
	return le16toh(__atomic_load_n(p, order));
}

static void store16(uint16_t *p, uint16_t v, int order)
{
	__atomic_store_n(p, htole16(v), order);
}

static void load_desc(const struct virtq_desc *src, struct virtq_desc *d)
{
	/* One copy: later checks and uses all see the same values. */
	memcpy(d, (const void *)src, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

static void virtq_count(struct virtq_chain *c, bool writable, unsigned nr, uint32_t len)
{
	if (writable) {
		c->nr_in += nr;
		c->in_len += len;
	} else {
		c->nr_out += nr;
		c->out_len += len;
	}
}

/*
 * Behind a vIOMMU: the buffer at IOVA d->addr becomes one iovec per run
 * of GPAs, runs adjacent in host memory merged (so a buffer contiguous in
 * GPA space, as Linux maps them, is still one iovec).
 */
static int virtq_add_translated(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d, bool writable)
{
	unsigned first = c->nr_out + c->nr_in, n = first;
	uint64_t done = 0, run;
	gpa_t gpa;

	if (d->len - 1 > UINT64_MAX - d->addr)
		return virtq_fail(vq, "buffer wraps around the IOVA space", d->addr, d->len);
	while (done < d->len) {
		struct iovec *prev = n > first ? &c->iov[n - 1] : NULL;
		void *p;

		if (virtq_translate(vq, d->addr + done, d->len - done, writable, &gpa, &run))
			return virtq_fail(vq, writable ? "DMA write fault on a buffer: IOVA, length" :
					  "DMA read fault on a buffer: IOVA, length", d->addr + done, d->len - done);
		p = gmem_slice(vq->vdev->mem, gpa, run);
		if (!p)
			return virtq_fail(vq, "buffer translates outside guest RAM: IOVA, GPA", d->addr + done, gpa);
		done += run;
		if (prev && (uint8_t *)prev->iov_base + prev->iov_len == p) {
			prev->iov_len += run;
			continue;
		}
		if (n >= c->cap)
			return virtq_fail(vq, "chain translates to too many buffers", c->head, c->cap);
		c->iov[n++] = (struct iovec){ .iov_base = p, .iov_len = run };
	}
	virtq_count(c, writable, n - first, d->len);
	return 0;
}

/*
 * The walk is compiled twice, with translate a constant (see virtq_pop):
 * the path without a vIOMMU tests nothing per descriptor that it did not
 * test before translation existed.
 */
#define VIRTQ_WALK_INLINE static inline __attribute__((always_inline))

/* Add one buffer to the chain, enforcing readable-before-writable and the caps. */
VIRTQ_WALK_INLINE int virtq_add_buf(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d,
				    bool translate)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	void *p;

	if (d->len == 0)
		return 0;
	if (!writable && c->nr_in)
		return virtq_fail(vq, "device-readable buffer after a writable one", c->head, d->addr);
	/* Each len is < 2^32 and the sum stays below 2^32: no overflow in 64 bits. */
	if (c->out_len + c->in_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return virtq_fail(vq, "chain of 4 GiB or more", c->head, c->out_len + c->in_len);
	if (translate)
		return virtq_add_translated(vq, c, d, writable);
	p = gmem_slice(vq->vdev->mem, d->addr, d->len);
	if (!p)
		return virtq_fail(vq, "buffer outside guest RAM", d->addr, d->len);
	if (c->nr_out + c->nr_in >= c->cap)
		return virtq_fail(vq, "chain has too many buffers", c->head, c->cap);
	c->iov[c->nr_out + c->nr_in] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	virtq_count(c, writable, 1, d->len);
	return 0;
}

/*
 * An indirect table of len bytes at addr: its host view, or, behind a
 * vIOMMU, NULL with 0 when it translates to several GPA runs (then each
 * entry is read through the vIOMMU on its own). -EIO: device broken.
 */
static int virtq_indirect(struct virtq *vq, uint64_t addr, uint32_t len, bool translate,
			  const struct virtq_desc **ret)
{
	gpa_t gpa = addr;
	int r;

	*ret = NULL;
	if (translate) {
		r = virtq_translate_whole(vq, addr, len, false, &gpa);
		if (r == -E2BIG)
			return 0;
		if (r)
			return virtq_fail(vq, "DMA read fault on an indirect table: IOVA, length", addr, len);
	}
	*ret = gmem_slice(vq->vdev->mem, gpa, len);
	if (!*ret)
		return virtq_fail(vq, "indirect table outside guest RAM", gpa, len);
	return 0;
}

/*
 * Walk the chain at head. Within the ring's table at most size hops, in
 * an indirect table at most its number of entries: a loop ends there.
 */
VIRTQ_WALK_INLINE int virtq_walk(struct virtq *vq, uint16_t head, struct virtq_chain *c, bool translate)
{
	const struct virtq_desc *table = vq->desc;
	unsigned table_size = vq->size, hops = 0;
	uint64_t table_iova = 0;  /* an indirect table scattered in GPA space: table is NULL */
	bool indirect = false;
	unsigned i = head;
	struct virtq_desc d, raw;
	int r;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		if (++hops > table_size)
			return virtq_fail(vq, "descriptor chain loops or exceeds its table", head, hops);
		if (!translate || table)
			load_desc(&table[i], &d);
		else if (virtq_dma_read(vq, table_iova + sizeof(d) * i, &raw, sizeof(raw)) == 0)
			load_desc(&raw, &d);
		else
			return virtq_fail(vq, "DMA read fault on an indirect table: IOVA, entry", table_iova, i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return virtq_fail(vq, "indirect table inside an indirect table", head, d.addr);
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return virtq_fail(vq, "indirect descriptor with NEXT", head, i);
			if (d.len == 0 || d.len % sizeof(d) || d.len / sizeof(d) > VIRTIO_QUEUE_MAX_SIZE)
				return virtq_fail(vq, "bad indirect table length", head, d.len);
			if (virtq_indirect(vq, d.addr, d.len, translate, &table))
				return -EIO;
			table_iova = d.addr;
			table_size = d.len / sizeof(d);
			indirect = true;
			hops = 0;
			i = 0;
			continue;
		}
		r = virtq_add_buf(vq, c, &d, translate);
		if (r)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= table_size)
			return virtq_fail(vq, "next descriptor out of range", head, i);
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;

	if (!vq->ready)
		return -EIO;
	/* Acquire: the ring entry and descriptors were written before idx. */
	avail_idx = load16(&vq->avail[1], __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return virtq_fail(vq, "available index ran ahead of the queue", avail_idx, vq->last_avail);
	head = load16(&vq->avail[2 + vq->last_avail % vq->size], __ATOMIC_RELAXED);
	if (head >= vq->size)
		return virtq_fail(vq, "head descriptor out of range", head, vq->size);
	if (vq->dma.translate ? virtq_walk(vq, head, c, true) : virtq_walk(vq, head, c, false))
		return -EIO;
	vq->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct virtq_used_elem *e = &vq->used_ring[vq->used_idx % vq->size];

	if (!vq->size)
		return;
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element is visible before the index that covers it. */
	store16(&vq->used_hdr[1], vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_need_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	if (!vq->size)
		return false;
	/*
	 * Full barrier: the used index store must be visible before we read
	 * the driver's suppression state, or both sides may decide to wait.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(&vq->avail[0], __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = load16(&vq->avail[2 + vq->size], __ATOMIC_RELAXED);  /* used_event */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtq_notify(struct virtq *vq)
{
	if (virtq_need_notify(vq))
		virtio_signal_used(vq->vdev, vq->index);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (!vq->ready)
		return false;
	if (vq->event_idx)  /* avail_event, after the used ring */
		store16((uint16_t *)&vq->used_ring[vq->size], vq->last_avail, __ATOMIC_RELAXED);
	/* As in need_notify: publish avail_event before re-reading avail idx. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(&vq->avail[1], __ATOMIC_ACQUIRE) != vq->last_avail;
}

/*
 * Copy len bytes between a flat buffer and the iovec's bytes from off on:
 * into `to` when it is set, else from `from` into the iovec.
 */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off, void *to, const void *from, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		uint8_t *seg;
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		seg = (uint8_t *)iov[i].iov_base + off;
		chunk = iov[i].iov_len - off;
		if (chunk > len - done)
			chunk = len - done;
		if (to)
			memcpy((uint8_t *)to + done, seg, chunk);
		else
			memcpy(seg, (const uint8_t *)from + done, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len)
{
	return iov_copy(iov, n, off, NULL, buf, len);
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, NULL, len);
}
