// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-net header and control-command parsing. The header is copied out
 * of guest memory once and every field is checked on the copy; what goes
 * to the tap is the copy, so a guest rewriting its buffer afterwards
 * changes nothing. The kernel's tap checks the header again: these rules
 * are ours so that a bad header is refused with a reason before any
 * system call, and so they can be fuzzed.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "net_hdr.h"
#include "virtq.h"

static bool has(uint64_t features, unsigned bit)
{
	return features >> bit & 1;
}

static int net_tx_check_gso(const struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t f)
{
	uint8_t base = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t gso_size = le16toh(h->gso_size), hdr_len = le16toh(h->hdr_len);

	if (base == VIRTIO_NET_HDR_GSO_NONE)
		return h->gso_type == VIRTIO_NET_HDR_GSO_NONE ? 0 : -EINVAL;
	if (base == VIRTIO_NET_HDR_GSO_TCPV4 && !has(f, VIRTIO_NET_F_HOST_TSO4))
		return -EINVAL;
	if (base == VIRTIO_NET_HDR_GSO_TCPV6 && !has(f, VIRTIO_NET_F_HOST_TSO6))
		return -EINVAL;
	if (base != VIRTIO_NET_HDR_GSO_TCPV4 && base != VIRTIO_NET_HDR_GSO_TCPV6)
		return -EINVAL;  /* UDP fragmentation offload is never offered */
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) && !has(f, VIRTIO_NET_F_HOST_ECN))
		return -EINVAL;
	/* Segmentation needs a checksum to fill in, a segment size and payload after the headers. */
	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || gso_size == 0 || hdr_len >= frame_len)
		return -EINVAL;
	return 0;
}

/* Point t->frame at the chain's bytes after the header. */
static int net_tx_frame_iov(const struct iovec *iov, unsigned nr_out, struct net_tx *t)
{
	size_t skip = sizeof(t->hdr);

	t->nr_frame = 0;
	for (unsigned i = 0; i < nr_out; i++) {
		size_t len = iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		if (t->nr_frame == NET_TX_MAX_SEGS)
			return -EINVAL;
		t->frame[t->nr_frame++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, len - skip };
		skip = 0;
	}
	return 0;
}

int net_tx_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in, uint64_t features,
		 struct net_tx *t)
{
	struct virtio_net_hdr_v1 *h = &t->hdr;
	uint64_t total = 0;

	if (nr_in)
		return -EINVAL;
	for (unsigned i = 0; i < nr_out; i++)
		total += iov[i].iov_len;
	if (total < sizeof(*h) + NET_ETH_HLEN || total > sizeof(*h) + NET_MAX_FRAME)
		return -EINVAL;
	t->frame_len = (uint32_t)(total - sizeof(*h));
	iov_to_buf(iov, nr_out, 0, h, sizeof(*h));
	if (h->flags & (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return -EINVAL;  /* DATA_VALID and RSC_INFO are for received packets only */
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t start = le16toh(h->csum_start), off = le16toh(h->csum_offset);

		if (!has(features, VIRTIO_NET_F_CSUM) || start + off + 2 > t->frame_len)
			return -EINVAL;
	}
	if (net_tx_check_gso(h, t->frame_len, features))
		return -EINVAL;
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		h->gso_size = 0;
	h->num_buffers = 0;
	return net_tx_frame_iov(iov, nr_out, t);
}

bool net_rx_chain_ok(unsigned nr_out, unsigned nr_in, uint64_t in_len)
{
	return nr_out == 0 && nr_in > 0 && in_len >= sizeof(struct virtio_net_hdr_v1) + NET_ETH_HLEN;
}

int net_ctrl_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in, unsigned max_pairs,
		   struct net_ctrl *c)
{
	const struct iovec *last;
	uint64_t out_len = 0;
	uint8_t head[2];
	uint16_t pairs;

	for (unsigned i = 0; i < nr_out; i++)
		out_len += iov[i].iov_len;
	if (nr_in == 0 || out_len < sizeof(head))
		return -EINVAL;
	last = &iov[nr_out + nr_in - 1];
	c->ack = (uint8_t *)last->iov_base + last->iov_len - 1;
	iov_to_buf(iov, nr_out, 0, head, sizeof(head));
	c->class = head[0];
	c->cmd = head[1];
	c->pairs = 0;
	c->status = VIRTIO_NET_ERR;
	if (c->class != VIRTIO_NET_CTRL_MQ || c->cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    out_len != sizeof(head) + sizeof(pairs))
		return 0;
	iov_to_buf(iov, nr_out, sizeof(head), &pairs, sizeof(pairs));
	c->pairs = le16toh(pairs);
	if (c->pairs >= 1 && c->pairs <= max_pairs)
		c->status = VIRTIO_NET_OK;
	return 0;
}
