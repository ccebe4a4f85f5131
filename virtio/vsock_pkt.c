// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock packet parsing and the host's CONNECT line. The header is
 * copied out of guest memory once; every later decision uses the copy.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtq.h"
#include "vsock_pkt.h"

static void vsock_hdr_from_le(struct virtio_vsock_hdr *h)
{
	h->src_cid = le64toh(h->src_cid);
	h->dst_cid = le64toh(h->dst_cid);
	h->src_port = le32toh(h->src_port);
	h->dst_port = le32toh(h->dst_port);
	h->len = le32toh(h->len);
	h->type = le16toh(h->type);
	h->op = le16toh(h->op);
	h->flags = le32toh(h->flags);
	h->buf_alloc = le32toh(h->buf_alloc);
	h->fwd_cnt = le32toh(h->fwd_cnt);
}

void vsock_hdr_to_le(const struct virtio_vsock_hdr *h, struct virtio_vsock_hdr *le)
{
	*le = (struct virtio_vsock_hdr){
		.src_cid = htole64(h->src_cid), .dst_cid = htole64(h->dst_cid),
		.src_port = htole32(h->src_port), .dst_port = htole32(h->dst_port),
		.len = htole32(h->len), .type = htole16(h->type), .op = htole16(h->op),
		.flags = htole32(h->flags), .buf_alloc = htole32(h->buf_alloc), .fwd_cnt = htole32(h->fwd_cnt),
	};
}

/* Point pkt->payload at len bytes after the header. */
static int vsock_payload_iov(const struct iovec *iov, unsigned nr_out, uint32_t len, struct vsock_pkt *pkt)
{
	size_t skip = sizeof(pkt->hdr), left = len;

	pkt->nr_payload = 0;
	for (unsigned i = 0; i < nr_out && left; i++) {
		size_t n = iov[i].iov_len;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		n -= skip;
		if (n > left)
			n = left;
		if (pkt->nr_payload == VSOCK_MAX_SEGS)
			return -EINVAL;
		pkt->payload[pkt->nr_payload++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, n };
		left -= n;
		skip = 0;
	}
	return left ? -EINVAL : 0;
}

enum vsock_verdict vsock_pkt_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in,
				   uint64_t guest_cid, struct vsock_pkt *pkt)
{
	struct virtio_vsock_hdr *h = &pkt->hdr;
	uint64_t out_len = 0;

	(void)nr_in;  /* writable buffers on the transmit queue are ignored, as Linux never adds any */
	pkt->nr_payload = 0;
	for (unsigned i = 0; i < nr_out; i++)
		out_len += iov[i].iov_len;
	if (out_len < sizeof(*h))
		return VSOCK_PKT_DROP;
	iov_to_buf(iov, nr_out, 0, h, sizeof(*h));
	vsock_hdr_from_le(h);
	/* A guest claiming another CID, or talking to anyone but the host, gets nowhere. */
	if (h->src_cid != guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_DROP;
	if (h->op != VIRTIO_VSOCK_OP_RW) {
		h->len = 0;  /* only data packets carry payload: whatever else len says is ignored */
		/* An RST is never answered, not even one we do not understand. */
		if (h->op == VIRTIO_VSOCK_OP_RST)
			return h->type == VIRTIO_VSOCK_TYPE_STREAM ? VSOCK_PKT_OK : VSOCK_PKT_DROP;
	}
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM || h->op < VIRTIO_VSOCK_OP_REQUEST ||
	    h->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_RST;
	if (h->op != VIRTIO_VSOCK_OP_RW)
		return VSOCK_PKT_OK;
	if (h->len == 0 || h->len > VSOCK_MAX_PAYLOAD || h->len > out_len - sizeof(*h))
		return VSOCK_PKT_RST;
	return vsock_payload_iov(iov, nr_out, h->len, pkt) ? VSOCK_PKT_RST : VSOCK_PKT_OK;
}

int vsock_parse_connect(const char *buf, size_t len, uint32_t *port, size_t *line_len)
{
	static const char prefix[] = "CONNECT ";
	const size_t plen = sizeof(prefix) - 1;
	uint64_t v = 0;
	size_t i;

	if (memcmp(buf, prefix, len < plen ? len : plen))
		return -EINVAL;
	if (len <= plen)
		return 0;
	for (i = plen; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > UINT32_MAX || i - plen >= 10)
			return -EINVAL;
	}
	if (i == len)
		return len >= VSOCK_CONNECT_MAX ? -EINVAL : 0;
	if (i == plen || buf[i] != '\n')
		return -EINVAL;
	*port = (uint32_t)v;
	*line_len = i + 1;
	return 1;
}

uint32_t vsock_peer_credit(uint32_t peer_buf_alloc, uint32_t peer_fwd_cnt, uint32_t sent)
{
	uint32_t in_flight = sent - peer_fwd_cnt;  /* wraps like the counters do */

	return in_flight >= peer_buf_alloc ? 0 : peer_buf_alloc - in_flight;
}
