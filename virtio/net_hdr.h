/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net packet and control-queue parsing (virtio 1.2 section 5.1.6),
 * kept apart from the tap I/O so that it can be fuzzed: a chain's
 * buffers in, a checked header (copied once, so the guest cannot change
 * it after the check) and the frame's buffers out.
 */
#ifndef SKIFF_VIRTIO_NET_HDR_H
#define SKIFF_VIRTIO_NET_HDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTIO_NET_F_CSUM        0
#define VIRTIO_NET_F_GUEST_CSUM  1
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_GUEST_TSO4  7
#define VIRTIO_NET_F_GUEST_TSO6  8
#define VIRTIO_NET_F_GUEST_ECN   9
#define VIRTIO_NET_F_HOST_TSO4   11
#define VIRTIO_NET_F_HOST_TSO6   12
#define VIRTIO_NET_F_HOST_ECN    13
#define VIRTIO_NET_F_STATUS      16
#define VIRTIO_NET_F_CTRL_VQ     17
#define VIRTIO_NET_F_MQ          22

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1
#define VIRTIO_NET_HDR_GSO_UDP      3
#define VIRTIO_NET_HDR_GSO_TCPV6    4
#define VIRTIO_NET_HDR_GSO_ECN      0x80

#define NET_ETH_HLEN      14
/* Largest frame a TSO guest sends: 64 KiB of IP packet plus Ethernet and VLAN headers. */
#define NET_MAX_FRAME     (65535 + 18)
#define NET_TX_MAX_SEGS   64   /* a frame in more buffers than this is refused */

/* The header with VIRTIO_F_VERSION_1 (num_buffers always present), little-endian. */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio_net_hdr_v1 is 12 bytes");

struct net_tx {
	struct virtio_net_hdr_v1 hdr;  /* the checked copy, little-endian as on the wire */
	uint32_t frame_len;
	unsigned nr_frame;
	struct iovec frame[NET_TX_MAX_SEGS];  /* the frame after the header, inside the chain */
};

/*
 * Check a transmit chain: iov[0, nr_out) readable, nr_in writable buffers
 * after them (there must be none). features are the negotiated ones: an
 * offload the driver did not negotiate is refused. 0 and *t filled, or
 * -EINVAL: the packet is to be dropped (never sent to the tap).
 */
int net_tx_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in, uint64_t features,
		 struct net_tx *t);

/* A receive chain must be all writable with room for the header and an Ethernet header. */
bool net_rx_chain_ok(unsigned nr_out, unsigned nr_in, uint64_t in_len);

/* ---- control queue -------------------------------------------------------- */
#define VIRTIO_NET_CTRL_MQ              4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK  0
#define VIRTIO_NET_ERR 1

struct net_ctrl {
	uint8_t class, cmd;
	uint16_t pairs;      /* MQ VQ_PAIRS_SET: the pairs asked for (checked against max) */
	uint8_t *ack;        /* the chain's last writable byte */
	uint8_t status;      /* VIRTIO_NET_OK: apply the command; else answer with it */
};

/*
 * Parse a control command: class and command bytes, data, and a
 * writable ack byte. Only MQ VQ_PAIRS_SET with 1..max_pairs is OK;
 * anything else gets VIRTIO_NET_ERR. -EINVAL when there is no room for
 * the class/command or the ack (a guest error: nothing can be answered).
 */
int net_ctrl_parse(const struct iovec *iov, unsigned nr_out, unsigned nr_in, unsigned max_pairs,
		   struct net_ctrl *c);

#endif
