/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the virtio-blk request parser. Input:
 *   byte 0      bit 0 read-only, bit 1 discard, bit 2 write zeroes
 *   bytes 1-8   capacity in sectors (little-endian; reduced mod 2^40 half
 *               of the time so that in-range requests are common)
 *   byte 9      number of buffers n (1..16); byte 10: how many readable
 *   n bytes     buffer lengths: 1 + byte, times 512 if the top bit is set
 *   rest        buffer contents, in order (zero-filled when short)
 * Each buffer is its own heap allocation so ASan sees any overrun. The
 * checks: a parsed request's data lies inside the chain's buffers (on the
 * right side), IN/OUT are sector-aligned and within capacity, the status
 * byte is the last writable byte.
 */
#include "blk_req.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-iov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_req(const struct iovec *iov, unsigned nr_out, unsigned nr_in,
		      const struct blk_geom *g, const struct blk_req *r)
{
	const struct iovec *last = &iov[nr_out + nr_in - 1];
	bool dev_writes = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID;
	uint64_t sum = 0;

	check(r->status_ptr == (uint8_t *)last->iov_base + last->iov_len - 1);
	if (r->status != VIRTIO_BLK_S_OK)
		return;
	for (unsigned i = 0; i < r->nr_data; i++) {
		check(fuzz_iov_inside(iov + (dev_writes ? nr_out : 0), dev_writes ? nr_in : nr_out, &r->data[i]));
		/* The status byte is never part of the data. */
		check(!((uint8_t *)r->data[i].iov_base <= r->status_ptr &&
			r->status_ptr < (uint8_t *)r->data[i].iov_base + r->data[i].iov_len));
		memset(r->data[i].iov_base, 0xa5, r->data[i].iov_len);
		sum += r->data[i].iov_len;
	}
	switch (r->type) {
	case VIRTIO_BLK_T_OUT:
		check(!g->read_only);
		/* fall through */
	case VIRTIO_BLK_T_IN:
		check(sum == r->len && r->len % 512 == 0 && r->nr_data <= BLK_REQ_MAX_DATA_SEGS);
		check(r->offset % 512 == 0 && r->offset / 512 <= g->capacity &&
		      r->len / 512 <= g->capacity - r->offset / 512);
		break;
	case VIRTIO_BLK_T_GET_ID:
		check(sum == r->len && r->len <= VIRTIO_BLK_ID_BYTES);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		check(!g->read_only && (r->type == VIRTIO_BLK_T_DISCARD ? g->discard : g->write_zeroes));
		check(r->len / 512 <= g->max_range_sectors && r->offset / 512 <= g->capacity &&
		      r->len / 512 <= g->capacity - r->offset / 512);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;
	default:
		check(0);  /* unknown types are UNSUPP */
	}
	check(blk_req_used_len(r, VIRTIO_BLK_S_OK) >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[16], out_data[16];
	struct blk_geom g = { .max_range_sectors = 1u << 22 };
	struct blk_req r = { .data = out_data };
	unsigned n, nr_out;

	if (size < 11)
		return 0;
	g.read_only = data[0] & 1;
	g.discard = data[0] & 2;
	g.write_zeroes = data[0] & 4;
	memcpy(&g.capacity, data + 1, 8);
	if (data[0] & 8)
		g.capacity &= (1ULL << 40) - 1;
	n = data[9] % 16 + 1;
	nr_out = data[10] % (n + 1);
	if (size < 11 + n)
		return 0;
	fuzz_iov_fill(iov, n, data + 11, 512, data, size, 11 + n);
	if (blk_req_parse(iov, nr_out, n - nr_out, &g, &r) == 0) {
		check_req(iov, nr_out, n - nr_out, &g, &r);
	} else {  /* only a chain without header or without status byte is refused */
		size_t out_len = 0;

		for (unsigned i = 0; i < nr_out; i++)
			out_len += iov[i].iov_len;
		check(out_len < sizeof(struct virtio_blk_outhdr) || nr_out == n);
	}
	fuzz_iov_free(iov, n);
	return 0;
}
