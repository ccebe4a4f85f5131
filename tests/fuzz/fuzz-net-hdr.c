/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the virtio-net header and control-command parsers. Input:
 *   byte 0      negotiated offloads: bit 0 CSUM, 1 HOST_TSO4, 2 HOST_TSO6, 3 HOST_ECN
 *   byte 1      number of buffers n (1..16); byte 2: how many readable
 *   byte 3      max queue pairs for the control parser (1..8)
 *   n bytes     buffer lengths: 1 + byte, times 256 if the top bit is set
 *   rest        buffer contents, in order (zero-filled when short)
 * Each buffer is its own heap allocation so ASan sees any overrun. Checks:
 * an accepted frame lies inside the readable buffers, after the header,
 * adds up to frame_len, and obeys the offload rules on the copied header;
 * a control command's ack is the last writable byte.
 */
#include "net_hdr.h"

#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-iov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tx(const struct iovec *iov, unsigned nr_out, uint64_t f, const struct net_tx *t)
{
	const struct virtio_net_hdr_v1 *h = &t->hdr;
	uint64_t total = 0, sum = 0;
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	for (unsigned i = 0; i < nr_out; i++)
		total += iov[i].iov_len;
	check(total == t->frame_len + sizeof(*h) && t->frame_len >= NET_ETH_HLEN && t->frame_len <= NET_MAX_FRAME);
	for (unsigned i = 0; i < t->nr_frame; i++) {
		check(fuzz_iov_inside(iov, nr_out, &t->frame[i]));
		memset(t->frame[i].iov_base, 0x5a, t->frame[i].iov_len);
		sum += t->frame[i].iov_len;
	}
	check(sum == t->frame_len);
	check(!(h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM));
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		check((f & 1ULL << VIRTIO_NET_F_CSUM) &&
		      (uint32_t)le16toh(h->csum_start) + le16toh(h->csum_offset) + 2 <= t->frame_len);
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		check(h->gso_size == 0);
		return;
	}
	check(gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6);
	check(gso != VIRTIO_NET_HDR_GSO_TCPV4 || (f & 1ULL << VIRTIO_NET_F_HOST_TSO4));
	check(gso != VIRTIO_NET_HDR_GSO_TCPV6 || (f & 1ULL << VIRTIO_NET_F_HOST_TSO6));
	check(!(h->gso_type & VIRTIO_NET_HDR_GSO_ECN) || (f & 1ULL << VIRTIO_NET_F_HOST_ECN));
	check((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && h->gso_size && le16toh(h->hdr_len) < t->frame_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned bits[] = { VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
					 VIRTIO_NET_F_HOST_ECN };
	struct iovec iov[16];
	struct net_tx t;
	struct net_ctrl ctl;
	unsigned n, nr_out, max_pairs;
	uint64_t f = 0, in_len = 0;

	if (size < 4)
		return 0;
	for (unsigned i = 0; i < 4; i++)
		if (data[0] >> i & 1)
			f |= 1ULL << bits[i];
	n = data[1] % 16 + 1;
	nr_out = data[2] % (n + 1);
	max_pairs = data[3] % 8 + 1;
	if (size < 4 + n)
		return 0;
	fuzz_iov_fill(iov, n, data + 4, 256, data, size, 4 + n);
	for (unsigned i = nr_out; i < n; i++)
		in_len += iov[i].iov_len;
	if (net_tx_parse(iov, nr_out, n - nr_out, f, &t) == 0) {
		check(n == nr_out);
		check_tx(iov, nr_out, f, &t);
	}
	check(net_rx_chain_ok(nr_out, n - nr_out, in_len) ==
	      (nr_out == 0 && in_len >= sizeof(struct virtio_net_hdr_v1) + NET_ETH_HLEN));
	if (net_ctrl_parse(iov, nr_out, n - nr_out, max_pairs, &ctl) == 0) {
		const struct iovec *last = &iov[n - 1];

		check(nr_out < n && ctl.ack == (uint8_t *)last->iov_base + last->iov_len - 1);
		check(ctl.status != VIRTIO_NET_OK ||
		      (ctl.class == VIRTIO_NET_CTRL_MQ && ctl.pairs >= 1 && ctl.pairs <= max_pairs));
		*ctl.ack = ctl.status;
	}
	fuzz_iov_free(iov, n);
	return 0;
}
