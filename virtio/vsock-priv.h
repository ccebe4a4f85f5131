/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside virtio-vsock: the device (vsock.c: queues, worker, packets to
 * and from the guest) and its connections to Unix sockets (vsock_conn.c).
 * Everything here is touched by the device's worker thread only.
 */
#ifndef SKIFF_VIRTIO_VSOCK_PRIV_H
#define SKIFF_VIRTIO_VSOCK_PRIV_H

#include "virtio-priv.h"
#include "virtq.h"
#include "vsock_pkt.h"

#define VSOCK_BUF_ALLOC   (256 * 1024)  /* what each connection may have in flight towards the host */
#define VSOCK_MAX_CONNS   256
#define VSOCK_RST_RING    64            /* RSTs for packets that match no connection */

enum vsock_conn_state {
	VSOCK_CONN_FREE,
	VSOCK_CONN_HOST_CONNECT,  /* host client connected; reading its "CONNECT <port>\n" */
	VSOCK_CONN_HOST_WAIT,     /* REQUEST sent to the guest; waiting for RESPONSE or RST */
	VSOCK_CONN_ESTABLISHED,
};

/* Control packets a connection owes the guest (bits of pending). */
#define VSOCK_SEND_REQUEST  (1u << 0)
#define VSOCK_SEND_RESPONSE (1u << 1)
#define VSOCK_SEND_CREDIT   (1u << 2)
#define VSOCK_SEND_SHUTDOWN (1u << 3)

struct vsock_conn {
	enum vsock_conn_state state;
	int fd;                    /* the Unix stream socket */
	uint32_t local_port;       /* host side of the connection */
	uint32_t peer_port;        /* guest side */
	uint32_t pending;          /* VSOCK_SEND_* */
	uint32_t events;           /* what fd is registered for in epoll */

	/* guest -> host: our receive window */
	uint32_t rx_cnt;           /* payload bytes received from the guest */
	uint32_t fwd_cnt;          /* of those, written to the socket */
	uint32_t fwd_told;         /* fwd_cnt the guest last heard from us */
	uint8_t *buf;              /* VSOCK_BUF_ALLOC ring for what the socket did not take yet */
	uint32_t buf_head, buf_len;
	bool guest_shut_send;      /* the guest sends no more: SHUT_WR once buf is empty */
	bool guest_shut_rcv;       /* the guest takes no more data */

	/* host -> guest: the guest's receive window */
	uint32_t tx_cnt;           /* payload bytes sent to the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	bool readable;             /* the socket had data (or EOF) last time we looked */
	bool host_eof;             /* the socket ended its side: SHUTDOWN(SEND) told the guest */

	char line[VSOCK_CONNECT_MAX];
	size_t line_len;
};

struct vsock_rst {
	uint32_t local_port, peer_port;
};

struct vsock_dev {
	struct virtio_device vdev;
	char name[48];
	uint64_t guest_cid;
	char *uds_path;
	int listen_fd;             /* the bridge's socket; -1 with vhost-vsock */
	int vhost_fd;              /* vhost-vsock instance holding the CID; -1: the bridge */
	struct { uint64_t guest_cid; } __attribute__((packed)) config;

	/* Valid between activate and reset. */
	pthread_t thread;
	int epfd, stop_fd;
	int call_fd[2];            /* vhost-vsock's used-buffer eventfds, relayed to the transport */
	struct virtq vqs[3];
	bool notify[3];
	bool rx_starved;           /* no receive buffers until the driver kicks the rx queue */
	struct virtq_chain chain;
	struct vsock_pkt pkt;
	struct vsock_conn conns[VSOCK_MAX_CONNS];
	unsigned rr;               /* round-robin start for receive work */
	uint32_t next_host_port;
	struct vsock_rst rst[VSOCK_RST_RING];
	unsigned rst_head, rst_len;
};

enum { VSOCK_EV_STOP, VSOCK_EV_KICK, VSOCK_EV_LISTEN, VSOCK_EV_CONN, VSOCK_EV_CALL };
#define VSOCK_EV(type, i) ((uint64_t)(type) << 32 | (uint32_t)(i))

/* vsock_conn.c */
struct vsock_conn *vsock_conn_find(struct vsock_dev *d, uint32_t local_port, uint32_t peer_port);
struct vsock_conn *vsock_conn_new(struct vsock_dev *d, int fd, enum vsock_conn_state state);
void vsock_conn_close(struct vsock_dev *d, struct vsock_conn *c);
/* Close and owe the guest an RST. */
void vsock_conn_reset(struct vsock_dev *d, struct vsock_conn *c);
void vsock_queue_rst(struct vsock_dev *d, uint32_t local_port, uint32_t peer_port);
/* Register fd for what the state wants: input unless readable is pending, output while buf holds data. */
void vsock_conn_update_events(struct vsock_dev *d, struct vsock_conn *c);
void vsock_conn_accept(struct vsock_dev *d);
void vsock_conn_event(struct vsock_dev *d, struct vsock_conn *c, uint32_t events);
/* Payload from the guest for c; false if it broke the credit rules (the caller resets c). */
bool vsock_conn_from_guest(struct vsock_dev *d, struct vsock_conn *c, const struct iovec *iov, unsigned n,
			   uint32_t len);
/* A guest REQUEST to host port: connect to uds_path_PORT. */
void vsock_conn_guest_connect(struct vsock_dev *d, const struct virtio_vsock_hdr *h);
/* The guest accepted a host-initiated connection: tell the host client "OK <port>\n". */
void vsock_conn_established(struct vsock_dev *d, struct vsock_conn *c);
/* SHUTDOWN from the guest: SHUT_WR once its data is out; both directions end the connection. */
void vsock_conn_guest_shutdown(struct vsock_dev *d, struct vsock_conn *c, uint32_t flags);
void vsock_conn_close_all(struct vsock_dev *d);

#endif
