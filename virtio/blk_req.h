/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-blk request parsing (virtio 1.2 section 5.2.6), separate from
 * the I/O so that it can be fuzzed: a chain's buffers in, a checked
 * request (or a status to return at once) out.
 */
#ifndef SKIFF_VIRTIO_BLK_REQ_H
#define SKIFF_VIRTIO_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SECTOR   512ULL
#define VIRTIO_BLK_WZ_UNMAP 1
#define BLK_REQ_MAX_DATA_SEGS 1024  /* IOV_MAX: one readv/writev per request */

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "virtio_blk_outhdr is 16 bytes");

struct virtio_blk_discard_write_zeroes {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};
_Static_assert(sizeof(struct virtio_blk_discard_write_zeroes) == 16, "discard segment is 16 bytes");

/* What the device offers; requests are checked against it. */
struct blk_geom {
	uint64_t capacity;          /* sectors */
	bool read_only;
	bool discard, write_zeroes;
	uint32_t max_range_sectors; /* for discard and write zeroes, one segment each */
};

struct blk_req {
	uint32_t type;
	uint8_t status;       /* VIRTIO_BLK_S_OK: do the I/O; else complete with it */
	uint8_t *status_ptr;  /* the chain's last writable byte */
	uint64_t offset;      /* bytes: IN/OUT start, DISCARD/WRITE_ZEROES range */
	uint64_t len;         /* bytes of data (IN/OUT/GET_ID) or of the range */
	bool unmap;           /* WRITE_ZEROES may deallocate */
	unsigned nr_data;
	struct iovec *data;   /* caller's array, room for as many iovecs as the chain has */
};

/*
 * Parse a chain: iov[0, nr_out) readable, iov[nr_out, nr_out + nr_in)
 * writable. 0 and *r filled (r->status says whether to do I/O); -EINVAL
 * if the chain has no header or no status byte (a guest error: nothing
 * can be reported back). r->data must be set by the caller.
 */
int blk_req_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in,
		  const struct blk_geom *g, struct blk_req *r);

/* Bytes written into the chain when the request completes with status st. */
uint32_t blk_req_used_len(const struct blk_req *r, uint8_t st);

#endif
