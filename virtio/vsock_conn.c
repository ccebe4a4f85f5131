// SPDX-License-Identifier: Apache-2.0
/*
 * virtio-vsock connections to Unix sockets, with Firecracker's semantics:
 *  - host-initiated: a client connects to uds_path and writes
 *    "CONNECT <port>\n"; skiff picks a host port, sends the guest a
 *    REQUEST, and on its RESPONSE writes "OK <host port>\n" back; then
 *    the stream carries data;
 *  - guest-initiated: a guest REQUEST to host port P connects to
 *    "<uds_path>_<P>"; RESPONSE if that works, RST if not.
 * Data the guest sends is written to the socket; what the socket does
 * not take at once waits in a per-connection buffer of VSOCK_BUF_ALLOC
 * bytes, which is exactly the credit granted to the guest, so a guest
 * that keeps the rules never overflows it (one that does is reset).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsock-priv.h"

#define VSOCK_HOST_PORT_FIRST (1u << 30)  /* host ports for host-initiated connections */

struct vsock_conn *vsock_conn_find(struct vsock_dev *d, uint32_t local_port, uint32_t peer_port)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &d->conns[i];

		if (c->state > VSOCK_CONN_HOST_CONNECT && c->local_port == local_port && c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

struct vsock_conn *vsock_conn_new(struct vsock_dev *d, int fd, enum vsock_conn_state state)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &d->conns[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = VSOCK_EV(VSOCK_EV_CONN, i) };

		if (c->state != VSOCK_CONN_FREE)
			continue;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return NULL;
		*c = (struct vsock_conn){ .state = state, .fd = fd, .events = EPOLLIN };
		return c;
	}
	return NULL;
}

void vsock_conn_close(struct vsock_dev *d, struct vsock_conn *c)
{
	(void)d;
	close(c->fd);  /* also removes it from the epoll set */
	free(c->buf);
	*c = (struct vsock_conn){ .state = VSOCK_CONN_FREE, .fd = -1 };
}

void vsock_queue_rst(struct vsock_dev *d, uint32_t local_port, uint32_t peer_port)
{
	if (d->rst_len == VSOCK_RST_RING)
		return;  /* the guest's connect or send times out instead */
	d->rst[(d->rst_head + d->rst_len++) % VSOCK_RST_RING] = (struct vsock_rst){ local_port, peer_port };
}

void vsock_conn_reset(struct vsock_dev *d, struct vsock_conn *c)
{
	if (c->state >= VSOCK_CONN_HOST_WAIT)
		vsock_queue_rst(d, c->local_port, c->peer_port);
	vsock_conn_close(d, c);
}

void vsock_conn_close_all(struct vsock_dev *d)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		if (d->conns[i].state != VSOCK_CONN_FREE)
			vsock_conn_close(d, &d->conns[i]);
}

/*
 * Level-triggered epoll reports hang-ups even for an empty event mask, so
 * a socket we do not want to hear from (data pending that the guest has
 * no room for, a request the guest has not answered) leaves the set.
 */
void vsock_conn_update_events(struct vsock_dev *d, struct vsock_conn *c)
{
	uint32_t ev = 0;
	struct epoll_event e;
	int op;

	if (c->state == VSOCK_CONN_HOST_CONNECT || (c->state == VSOCK_CONN_ESTABLISHED && !c->readable && !c->host_eof))
		ev |= EPOLLIN;
	if (c->buf_len)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	op = !c->events ? EPOLL_CTL_ADD : ev ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
	e = (struct epoll_event){ .events = ev, .data.u64 = VSOCK_EV(VSOCK_EV_CONN, (uint32_t)(c - d->conns)) };
	if (epoll_ctl(d->epfd, op, c->fd, &e) == 0)
		c->events = ev;
}

static bool vsock_port_in_use(struct vsock_dev *d, uint32_t port)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		if (d->conns[i].state > VSOCK_CONN_HOST_CONNECT && d->conns[i].local_port == port)
			return true;
	return false;
}

void vsock_conn_accept(struct vsock_dev *d)
{
	for (;;) {
		int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;  /* EAGAIN, or a client that gave up already */
		if (!vsock_conn_new(d, fd, VSOCK_CONN_HOST_CONNECT)) {
			log_warn("%s: too many connections (%d); refusing a host client", d->name, VSOCK_MAX_CONNS);
			close(fd);
		}
	}
}

/* Read the CONNECT line byte by byte: nothing after the newline is consumed, it is stream data. */
static void vsock_conn_read_line(struct vsock_dev *d, struct vsock_conn *c)
{
	uint32_t port;
	size_t line_len;
	int r = 0;

	while (r == 0) {
		ssize_t n = recv(c->fd, c->line + c->line_len, 1, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			vsock_conn_close(d, c);
			return;
		}
		c->line_len++;
		r = vsock_parse_connect(c->line, c->line_len, &port, &line_len);
	}
	if (r < 0) {
		vsock_conn_close(d, c);  /* not the protocol: nothing to tell the guest */
		return;
	}
	do
		c->local_port = d->next_host_port++ | VSOCK_HOST_PORT_FIRST;
	while (vsock_port_in_use(d, c->local_port));
	c->peer_port = port;
	c->state = VSOCK_CONN_HOST_WAIT;
	c->pending |= VSOCK_SEND_REQUEST;
	vsock_conn_update_events(d, c);
}

void vsock_conn_established(struct vsock_dev *d, struct vsock_conn *c)
{
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);

	/* A fresh socket has room for a dozen bytes; a short write means the client is gone. */
	if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		vsock_conn_reset(d, c);
		return;
	}
	c->state = VSOCK_CONN_ESTABLISHED;
	vsock_conn_update_events(d, c);
}

void vsock_conn_guest_connect(struct vsock_dev *d, const struct virtio_vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c;
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", d->uds_path, h->dst_port) >=
	    sizeof(sa.sun_path))
		goto refuse;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto refuse;
	/* A Unix stream connect completes at once or fails (EAGAIN: the listener's backlog is full). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || !(c = vsock_conn_new(d, fd, VSOCK_CONN_ESTABLISHED))) {
		close(fd);
		goto refuse;
	}
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->pending |= VSOCK_SEND_RESPONSE;
	return;
refuse:
	vsock_queue_rst(d, h->dst_port, h->src_port);
}

/* Write what the buffer holds; then SHUT_WR if the guest is done sending. */
static bool vsock_conn_flush(struct vsock_dev *d, struct vsock_conn *c)
{
	while (c->buf_len) {
		uint32_t chunk = VSOCK_BUF_ALLOC - c->buf_head < c->buf_len ? VSOCK_BUF_ALLOC - c->buf_head : c->buf_len;
		ssize_t n = send(c->fd, c->buf + c->buf_head, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return false;
		c->buf_head = (c->buf_head + (uint32_t)n) % VSOCK_BUF_ALLOC;
		c->buf_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	if (!c->buf_len && c->guest_shut_send && c->guest_shut_rcv)
		return false;  /* the guest closed and all its data is out: end with an RST, as Linux expects */
	if (!c->buf_len && c->guest_shut_send)
		shutdown(c->fd, SHUT_WR);
	/* Tell a guest that may be waiting for credit that room was made. */
	if (c->fwd_cnt != c->fwd_told && c->rx_cnt - c->fwd_told >= VSOCK_BUF_ALLOC / 2)
		c->pending |= VSOCK_SEND_CREDIT;
	vsock_conn_update_events(d, c);
	return true;
}

static void vsock_conn_buffer(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t skip)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		p += skip;
		len -= skip;
		skip = 0;
		while (len) {
			uint32_t tail = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
			size_t room = VSOCK_BUF_ALLOC - tail;
			size_t k = len < room ? len : room;

			memcpy(c->buf + tail, p, k);
			c->buf_len += (uint32_t)k;
			p += k;
			len -= k;
		}
	}
}

bool vsock_conn_from_guest(struct vsock_dev *d, struct vsock_conn *c, const struct iovec *iov, unsigned n,
			   uint32_t len)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n };
	ssize_t sent = 0;

	/*
	 * The guest may have in flight what we granted: buf_alloc beyond the
	 * fwd_cnt we last told it. What the socket has not taken is part of
	 * that, so a guest within its credit never overflows the buffer.
	 */
	if (c->guest_shut_send || (uint64_t)(uint32_t)(c->rx_cnt - c->fwd_told) + len > VSOCK_BUF_ALLOC)
		return false;  /* more than the credit we granted, or data after SHUTDOWN */
	c->rx_cnt += len;
	if (!c->buf_len) {
		sent = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (sent < 0 && errno != EAGAIN && errno != EINTR) {
			vsock_conn_reset(d, c);  /* the host side is gone */
			return true;
		}
		if (sent < 0)
			sent = 0;
		c->fwd_cnt += (uint32_t)sent;
	}
	if ((uint32_t)sent < len) {
		if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC))) {
			vsock_conn_reset(d, c);
			return true;
		}
		vsock_conn_buffer(c, iov, n, (size_t)sent);
	}
	if (!vsock_conn_flush(d, c))
		vsock_conn_reset(d, c);
	return true;
}

void vsock_conn_guest_shutdown(struct vsock_dev *d, struct vsock_conn *c, uint32_t flags)
{
	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
		c->guest_shut_rcv = true;
	if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
		c->guest_shut_send = true;
	if (!vsock_conn_flush(d, c))
		vsock_conn_reset(d, c);
}

void vsock_conn_event(struct vsock_dev *d, struct vsock_conn *c, uint32_t events)
{
	if (c->state == VSOCK_CONN_HOST_CONNECT) {
		vsock_conn_read_line(d, c);
		return;
	}
	if ((events & (EPOLLOUT | EPOLLERR)) && c->buf_len && !vsock_conn_flush(d, c)) {
		vsock_conn_reset(d, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* The receive pump reads it when the guest has buffers and credit. */
		c->readable = true;
		vsock_conn_update_events(d, c);
	}
}
