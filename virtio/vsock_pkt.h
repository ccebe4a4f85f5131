/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-vsock packets (virtio 1.2 section 5.10.6) and the host side's
 * "CONNECT <port>" line, parsed apart from the device so they can be
 * fuzzed: a transmit chain in, a checked copy of the header and the
 * payload's buffers out.
 */
#ifndef SKIFF_VIRTIO_VSOCK_PKT_H
#define SKIFF_VIRTIO_VSOCK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VSOCK_HOST_CID 2

#define VIRTIO_VSOCK_TYPE_STREAM 1

#define VIRTIO_VSOCK_OP_REQUEST        1
#define VIRTIO_VSOCK_OP_RESPONSE       2
#define VIRTIO_VSOCK_OP_RST            3
#define VIRTIO_VSOCK_OP_SHUTDOWN       4
#define VIRTIO_VSOCK_OP_RW             5
#define VIRTIO_VSOCK_OP_CREDIT_UPDATE  6
#define VIRTIO_VSOCK_OP_CREDIT_REQUEST 7

#define VIRTIO_VSOCK_SHUTDOWN_RCV  1
#define VIRTIO_VSOCK_SHUTDOWN_SEND 2

/* Payload of one packet: Linux sends at most 64 KiB. */
#define VSOCK_MAX_PAYLOAD  (64 * 1024)
#define VSOCK_MAX_SEGS     64

/* All fields little-endian on the wire; vsock_pkt.c converts. */
struct virtio_vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_vsock_hdr) == 44, "virtio_vsock_hdr is 44 bytes");

enum vsock_verdict {
	VSOCK_PKT_OK,     /* a stream packet from the guest to the host: handle it */
	VSOCK_PKT_RST,    /* addressed right but not understood (type, op): answer with RST */
	VSOCK_PKT_DROP,   /* not for us or malformed: drop silently */
};

struct vsock_pkt {
	struct virtio_vsock_hdr hdr;   /* host byte order, copied once */
	unsigned nr_payload;
	struct iovec payload[VSOCK_MAX_SEGS];  /* hdr.len bytes inside the chain (OP_RW only) */
};

/*
 * Check a transmit chain (iov[0, nr_out) readable, nr_in writable) from
 * the guest whose CID is guest_cid. Only OP_RW carries payload; len must
 * fit in the chain and VSOCK_MAX_PAYLOAD. The source must be the guest,
 * the destination the host.
 */
enum vsock_verdict vsock_pkt_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in,
				   uint64_t guest_cid, struct vsock_pkt *pkt);

/* A header in wire byte order, ready to copy into a receive chain. */
void vsock_hdr_to_le(const struct virtio_vsock_hdr *h, struct virtio_vsock_hdr *le);

/*
 * "CONNECT <port>\n" from a host client (Firecracker's protocol): buf
 * holds what was read so far. 1 and *port when a full valid line is
 * there (*line_len = its length with the newline), 0 if more bytes may
 * complete it, -EINVAL if it can never be valid (caller closes).
 */
int vsock_parse_connect(const char *buf, size_t len, uint32_t *port, size_t *line_len);
#define VSOCK_CONNECT_MAX 32  /* "CONNECT 4294967295\n" and then some */

/* Free space the peer granted: buf_alloc - (sent - fwd_cnt), 0 if it is (wrongly) negative. */
uint32_t vsock_peer_credit(uint32_t peer_buf_alloc, uint32_t peer_fwd_cnt, uint32_t sent);

#endif
