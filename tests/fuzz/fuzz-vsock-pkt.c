/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the virtio-vsock packet parser, the host's CONNECT
 * line parser and the credit arithmetic. Input:
 *   byte 0      number of buffers n (1..16); byte 1: how many readable
 *   n bytes     buffer lengths: 1 + byte, times 256 if the top bit is set
 *   rest        buffer contents, in order (zero-filled when short)
 * The whole input is also given to vsock_parse_connect() (at most 64
 * bytes) and its first 12 bytes to vsock_peer_credit(). Checks: an
 * accepted packet comes from CID 3 to the host, is a stream packet with
 * a known op, and an OP_RW payload lies inside the readable buffers after
 * the header and adds up to len (<= 64 KiB); a parsed CONNECT line is
 * exactly "CONNECT <digits>\n" with the port it says; credit never
 * exceeds buf_alloc.
 */
#include "vsock_pkt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-iov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pkt(const struct iovec *iov, unsigned nr_out, const struct vsock_pkt *p)
{
	uint64_t sum = 0;

	check(p->hdr.src_cid == 3 && p->hdr.dst_cid == VSOCK_HOST_CID);
	check(p->hdr.type == VIRTIO_VSOCK_TYPE_STREAM);
	check(p->hdr.op >= VIRTIO_VSOCK_OP_REQUEST && p->hdr.op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST);
	if (p->hdr.op != VIRTIO_VSOCK_OP_RW) {
		check(p->hdr.len == 0 && p->nr_payload == 0);
		return;
	}
	check(p->hdr.len > 0 && p->hdr.len <= VSOCK_MAX_PAYLOAD && p->nr_payload <= VSOCK_MAX_SEGS);
	for (unsigned i = 0; i < p->nr_payload; i++) {
		check(fuzz_iov_inside(iov, nr_out, &p->payload[i]));
		/* never the header's bytes: the payload starts 44 bytes into the chain */
		check(!(p->payload[i].iov_base == iov[0].iov_base && iov[0].iov_len > 0));
		memset(p->payload[i].iov_base, 0x33, p->payload[i].iov_len);
		sum += p->payload[i].iov_len;
	}
	check(sum == p->hdr.len);
}

static void check_connect(const uint8_t *data, size_t size)
{
	char line[64];
	uint32_t port;
	size_t len, n = size < sizeof(line) ? size : sizeof(line);
	char want[32];

	memcpy(line, data, n);
	if (vsock_parse_connect(line, n, &port, &len) != 1)
		return;
	check(len <= n && len < VSOCK_CONNECT_MAX + 8);
	snprintf(want, sizeof(want), "CONNECT %u\n", port);
	/* leading zeros are allowed: compare without them */
	check(len >= strlen(want) && !memcmp(line, "CONNECT ", 8) && line[len - 1] == '\n');
	check(strtoul(line + 8, NULL, 10) == port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[16];
	static struct vsock_pkt pkt;
	unsigned n, nr_out;

	check_connect(data, size);
	if (size >= 12) {
		uint32_t v[3];

		memcpy(v, data, sizeof(v));
		check(vsock_peer_credit(v[0], v[1], v[2]) <= v[0]);
	}
	if (size < 2)
		return 0;
	n = data[0] % 16 + 1;
	nr_out = data[1] % (n + 1);
	if (size < 2 + n)
		return 0;
	fuzz_iov_fill(iov, n, data + 2, 256, data, size, 2 + n);
	if (vsock_pkt_parse(iov, nr_out, n - nr_out, 3, &pkt) == VSOCK_PKT_OK)
		check_pkt(iov, nr_out, &pkt);
	fuzz_iov_free(iov, n);
	return 0;
}
