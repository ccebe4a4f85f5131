// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-blk request parser. Everything here is guest input: the header
 * may be split across buffers, lengths may be anything, sector numbers
 * may overflow. The parser never does I/O; it decides what I/O is safe.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "blk_req.h"

static size_t iov_len_sum(const struct iovec *iov, unsigned n)
{
	size_t s = 0;

	for (unsigned i = 0; i < n; i++)
		s += iov[i].iov_len;
	return s;
}

/* dst = the bytes [off, off + len) of src; returns the number of iovecs. */
static unsigned iov_slice(const struct iovec *src, unsigned n, size_t off, size_t len, struct iovec *dst)
{
	unsigned nr = 0;

	for (unsigned i = 0; i < n && len; i++) {
		size_t chunk;

		if (off >= src[i].iov_len) {
			off -= src[i].iov_len;
			continue;
		}
		chunk = src[i].iov_len - off;
		if (chunk > len)
			chunk = len;
		dst[nr++] = (struct iovec){ .iov_base = (uint8_t *)src[i].iov_base + off, .iov_len = chunk };
		len -= chunk;
		off = 0;
	}
	return nr;
}

static void iov_read(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
	uint8_t *out = buf;

	for (unsigned i = 0; i < n && len; i++) {
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - off;
		if (chunk > len)
			chunk = len;
		memcpy(out, (const uint8_t *)iov[i].iov_base + off, chunk);
		out += chunk;
		len -= chunk;
		off = 0;
	}
}

/* sectors [sector, sector + count) within the disk, without overflow. */
static bool blk_in_range(const struct blk_geom *g, uint64_t sector, uint64_t count)
{
	return sector <= g->capacity && count <= g->capacity - sector;
}

static void blk_parse_rw(const struct iovec *data, size_t off, unsigned n, size_t len,
			 uint64_t sector, const struct blk_geom *g, struct blk_req *r)
{
	if (len % VIRTIO_BLK_SECTOR || !blk_in_range(g, sector, len / VIRTIO_BLK_SECTOR)) {
		r->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	r->offset = sector * VIRTIO_BLK_SECTOR;
	r->len = len;
	r->nr_data = iov_slice(data, n, off, len, r->data);
	if (r->nr_data > BLK_REQ_MAX_DATA_SEGS)
		r->status = VIRTIO_BLK_S_IOERR;
}

static void blk_parse_range(const struct iovec *out, unsigned nr_out, size_t out_len,
			    const struct blk_geom *g, struct blk_req *r)
{
	struct virtio_blk_discard_write_zeroes seg;
	bool wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint32_t allowed_flags = wz ? VIRTIO_BLK_WZ_UNMAP : 0;

	if (!(wz ? g->write_zeroes : g->discard)) {
		r->status = VIRTIO_BLK_S_UNSUPP;
		return;
	}
	/* We offer max_*_seg = 1: exactly one segment after the header. */
	if (g->read_only || out_len - sizeof(struct virtio_blk_outhdr) != sizeof(seg)) {
		r->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	iov_read(out, nr_out, sizeof(struct virtio_blk_outhdr), &seg, sizeof(seg));
	seg.sector = le64toh(seg.sector);
	seg.num_sectors = le32toh(seg.num_sectors);
	seg.flags = le32toh(seg.flags);
	if (seg.flags & ~allowed_flags) {
		r->status = VIRTIO_BLK_S_UNSUPP;
		return;
	}
	if (seg.num_sectors > g->max_range_sectors || !blk_in_range(g, seg.sector, seg.num_sectors)) {
		r->status = VIRTIO_BLK_S_IOERR;
		return;
	}
	r->offset = seg.sector * VIRTIO_BLK_SECTOR;
	r->len = (uint64_t)seg.num_sectors * VIRTIO_BLK_SECTOR;
	r->unmap = seg.flags & VIRTIO_BLK_WZ_UNMAP;
}

int blk_req_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in,
		  const struct blk_geom *g, struct blk_req *r)
{
	const struct iovec *in = iov + nr_out, *last;
	struct virtio_blk_outhdr hdr;
	size_t out_len = iov_len_sum(iov, nr_out), in_len = iov_len_sum(in, nr_in);
	uint64_t sector;

	if (out_len < sizeof(hdr) || in_len < 1)
		return -EINVAL;
	iov_read(iov, nr_out, 0, &hdr, sizeof(hdr));
	last = &in[nr_in - 1];  /* iovecs are never empty: the walk skips len 0 */
	r->status_ptr = (uint8_t *)last->iov_base + last->iov_len - 1;
	r->type = le32toh(hdr.type);
	r->status = VIRTIO_BLK_S_OK;
	r->offset = r->len = 0;
	r->unmap = false;
	r->nr_data = 0;
	sector = le64toh(hdr.sector);

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		blk_parse_rw(in, 0, nr_in, in_len - 1, sector, g, r);
		break;
	case VIRTIO_BLK_T_OUT:
		if (g->read_only)
			r->status = VIRTIO_BLK_S_IOERR;
		else
			blk_parse_rw(iov, sizeof(hdr), nr_out, out_len - sizeof(hdr), sector, g, r);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	case VIRTIO_BLK_T_GET_ID:
		r->len = in_len - 1 < VIRTIO_BLK_ID_BYTES ? in_len - 1 : VIRTIO_BLK_ID_BYTES;
		r->nr_data = iov_slice(in, nr_in, 0, r->len, r->data);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		blk_parse_range(iov, nr_out, out_len, g, r);
		break;
	default:
		r->status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	return 0;
}

uint32_t blk_req_used_len(const struct blk_req *r, uint8_t st)
{
	if (st == VIRTIO_BLK_S_OK && (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID))
		return (uint32_t)r->len + 1;
	return 1;
}
