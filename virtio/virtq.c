// SPDX-License-Identifier: Apache-2.0
/*
 * Split virtqueue, device side. The rings and every buffer are guest
 * memory the driver may rewrite at any moment, so each value is read
 * once into a local, checked, and only then used; every address goes
 * through gmem_slice() with its full length; a chain is limited in hops,
 * buffers and bytes. A guest mistake marks the device broken.
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

int virtq_init(struct virtq *vq, struct virtio_device *vdev, unsigned index)
{
	const struct virtio_queue_cfg *c;
	const struct gmem *mem = vdev->mem;
	uint64_t n;

	memset(vq, 0, sizeof(*vq));
	vq->vdev = vdev;
	vq->index = index;
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
	vq->desc = gmem_slice(mem, c->desc, 16 * n);
	vq->avail = gmem_slice(mem, c->avail, 6 + 2 * n);
	vq->used_hdr = gmem_slice(mem, c->used, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used_hdr) {
		virtq_fail(vq, "ring outside guest RAM", c->desc, vq->desc ? (vq->avail ? c->used : c->avail) : c->desc);
		return -EFAULT;
	}
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

/* Add one buffer to the chain, enforcing readable-before-writable and the caps. */
static int virtq_add_buf(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	void *p;

	if (d->len == 0)
		return 0;
	p = gmem_slice(vq->vdev->mem, d->addr, d->len);
	if (!p)
		return virtq_fail(vq, "buffer outside guest RAM", d->addr, d->len);
	if (!writable && c->nr_in)
		return virtq_fail(vq, "device-readable buffer after a writable one", c->head, d->addr);
	if (c->nr_out + c->nr_in >= c->cap)
		return virtq_fail(vq, "chain has too many buffers", c->head, c->cap);
	/* Each len is < 2^32 and the sum stays below 2^32: no overflow in 64 bits. */
	if (c->out_len + c->in_len + d->len > VIRTQ_MAX_CHAIN_BYTES)
		return virtq_fail(vq, "chain of 4 GiB or more", c->head, c->out_len + c->in_len);
	c->iov[c->nr_out + c->nr_in] = (struct iovec){ .iov_base = p, .iov_len = d->len };
	if (writable) {
		c->nr_in++;
		c->in_len += d->len;
	} else {
		c->nr_out++;
		c->out_len += d->len;
	}
	return 0;
}

/*
 * Walk the chain at head. Within the ring's table at most size hops, in
 * an indirect table at most its number of entries: a loop ends there.
 */
static int virtq_walk(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const struct virtq_desc *table = vq->desc;
	unsigned table_size = vq->size, hops = 0;
	bool indirect = false;
	unsigned i = head;
	struct virtq_desc d;
	int r;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		if (++hops > table_size)
			return virtq_fail(vq, "descriptor chain loops or exceeds its table", head, hops);
		load_desc(&table[i], &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect)
				return virtq_fail(vq, "indirect table inside an indirect table", head, d.addr);
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return virtq_fail(vq, "indirect descriptor with NEXT", head, i);
			if (d.len == 0 || d.len % sizeof(d) || d.len / sizeof(d) > VIRTIO_QUEUE_MAX_SIZE)
				return virtq_fail(vq, "bad indirect table length", head, d.len);
			table = gmem_slice(vq->vdev->mem, d.addr, d.len);
			if (!table)
				return virtq_fail(vq, "indirect table outside guest RAM", d.addr, d.len);
			table_size = d.len / sizeof(d);
			indirect = true;
			hops = 0;
			i = 0;
			continue;
		}
		r = virtq_add_buf(vq, c, &d);
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
	if (virtq_walk(vq, head, c))
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
