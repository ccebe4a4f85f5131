// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core.h"

struct evloop_entry {
	struct evloop_entry *next;
	int fd;
	evloop_fn fn;
	void *opaque;
};

int evloop_init(struct evloop *loop)
{
	loop->entries = NULL;
	loop->stop = false;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	return loop->epfd < 0 ? -errno : 0;
}

void evloop_destroy(struct evloop *loop)
{
	while (loop->entries) {
		struct evloop_entry *e = loop->entries;

		loop->entries = e->next;
		free(e);
	}
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn, void *opaque)
{
	struct evloop_entry *e = calloc(1, sizeof(*e));
	struct epoll_event ev = { .events = events };

	if (!e)
		return -ENOMEM;
	e->fd = fd;
	e->fn = fn;
	e->opaque = opaque;
	ev.data.ptr = e;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(e);
		return r;
	}
	e->next = loop->entries;
	loop->entries = e;
	return 0;
}

int evloop_del(struct evloop *loop, int fd)
{
	for (struct evloop_entry **p = &loop->entries; *p; p = &(*p)->next) {
		struct evloop_entry *e = *p;

		if (e->fd != fd)
			continue;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* Keep the entry callable: a pending event in this batch may still point at it. */
		e->fn = NULL;
		return 0;
	}
	return -ENOENT;
}

int evloop_run(struct evloop *loop)
{
	struct epoll_event events[16];

	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, events, ARRAY_SIZE(events), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop->stop; i++) {
			struct evloop_entry *e = events[i].data.ptr;

			if (e->fn)
				e->fn(e->opaque, e->fd, events[i].events);
		}
	}
	return 0;
}

void evloop_stop(struct evloop *loop)
{
	loop->stop = true;
}
