// SPDX-License-Identifier: Apache-2.0
/*
 * The queue engine (struct iq_engine; docs/vvtd.md, "Threads"): one
 * thread with an io_uring that polls every registered eventfd and calls
 * its owner's drain when it fires.
 *
 * Why a thread of its own: a vCPU that writes a vVT-d queue tail register
 * only records the tail and signals an eventfd, so the guest's MMIO exit
 * stays short; the drain (reading descriptors from guest memory, walking
 * tables, the backend's host ioctls) runs here. Why io_uring: one
 * io_uring_submit_and_wait() sleeps on all units' kick fds (and, later,
 * the event-queue fds of hardware vIOMMUs) at once, and with multishot
 * IORING_OP_POLL_ADD a kick costs no re-arming system call. The host
 * ioctls themselves stay synchronous on this thread: iommufd has no
 * io_uring command.
 *
 * Each wake-up reaps every completion first, then reads and drains each
 * source that fired once, so kicks that arrived together cost one drain.
 * The eventfd is read before the drain: a kick during the drain leaves it
 * readable again and the next wait returns at once. An event-queue fd
 * (iq_engine_add_events: an iommufd VEVENTQ) is left to its drain, which
 * reads whole events; the engine reading 8 bytes of it would eat a header.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "iommu.h"

#define IQ_MAX_SOURCES 32
#define IQ_RING_ENTRIES 64
#define IQ_UD_STOP UINT64_MAX   /* user_data of the stop fd's poll; sources use their index */

struct iq_source {
	int fd;
	void (*drain)(void *opaque);
	void *opaque;
	bool armed;      /* a poll is outstanding (multishot: until a CQE without F_MORE) */
	bool fired;      /* this wake-up */
	bool dead;       /* the kernel refused to poll it: logged once, no longer polled */
	bool events;     /* an event queue: the drain reads it, the engine must not */
};

struct iq_engine {
	struct io_uring ring;
	int stop_fd;
	bool multishot;              /* cleared when the kernel rejects IORING_POLL_ADD_MULTI */
	pthread_t thread;
	bool started;
	unsigned nr;
	struct iq_source src[IQ_MAX_SOURCES];
};

int iq_engine_create(struct iq_engine **ret, char *err, size_t errlen)
{
	struct iq_engine *e = calloc(1, sizeof(*e));
	int r;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e->multishot = true;
	e->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->stop_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "the queue engine's stop eventfd: %s", strerror(-r));
		free(e);
		return r;
	}
	r = io_uring_queue_init(IQ_RING_ENTRIES, &e->ring, 0);
	if (r) {
		snprintf(err, errlen, "the queue engine's io_uring: %s%s", strerror(-r),
			 r == -EPERM || r == -ENOSYS ? " (io_uring is disabled on this host: kernel.io_uring_disabled)"
						     : "");
		close(e->stop_fd);
		free(e);
		return r;
	}
	*ret = e;
	return 0;
}

static int iq_add(struct iq_engine *e, int fd, void (*drain)(void *opaque), void *opaque, bool events)
{
	int fl;

	if (e->started || fd < 0 || !drain)
		return -EINVAL;
	if (e->nr == IQ_MAX_SOURCES)
		return -ENOSPC;
	/* The thread reads the eventfd after each poll; it must never block there. */
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return -errno;
	e->src[e->nr++] = (struct iq_source){ .fd = fd, .drain = drain, .opaque = opaque, .events = events };
	return 0;
}

int iq_engine_add(struct iq_engine *e, int fd, void (*drain)(void *opaque), void *opaque)
{
	return iq_add(e, fd, drain, opaque, false);
}

int iq_engine_add_events(struct iq_engine *e, int fd, void (*drain)(void *opaque), void *opaque)
{
	return iq_add(e, fd, drain, opaque, true);
}

/* Get an SQE, submitting what is queued when the ring is full. */
static struct io_uring_sqe *iq_sqe(struct iq_engine *e)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	if (!sqe) {
		io_uring_submit(&e->ring);
		sqe = io_uring_get_sqe(&e->ring);
	}
	return sqe;
}

static void iq_arm(struct iq_engine *e, int fd, uint64_t ud, bool multishot)
{
	struct io_uring_sqe *sqe = iq_sqe(e);

	if (!sqe)
		return; /* cannot happen: the ring has more entries than sources */
	if (multishot)
		io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	else
		io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, ud);
}

static void iq_arm_sources(struct iq_engine *e)
{
	for (unsigned i = 0; i < e->nr; i++) {
		struct iq_source *s = &e->src[i];

		if (s->armed || s->dead)
			continue;
		iq_arm(e, s->fd, i, e->multishot);
		s->armed = true;
	}
}

/* One completion of a source's poll. */
static void iq_source_cqe(struct iq_engine *e, struct iq_source *s, const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		s->armed = false; /* single-shot, or a multishot poll the kernel ended: re-armed below */
	if (cqe->res == -EINVAL && e->multishot) {
		/* A kernel before 5.13 has no multishot poll: every poll is single-shot from now on. */
		log_debug("iq engine: no multishot poll on this kernel, re-arming each poll");
		e->multishot = false;
		return;
	}
	if (cqe->res < 0) {
		if (cqe->res != -ECANCELED) {
			log_error("iq engine: polling fd %d: %s; its queue is no longer served", s->fd,
				  strerror(-cqe->res));
			s->dead = true;
		}
		return;
	}
	if (cqe->res & POLLIN)
		s->fired = true;
}

/* Reap every completion; true when the stop fd fired. */
static bool iq_reap(struct iq_engine *e)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	bool stop = false;

	io_uring_for_each_cqe(&e->ring, head, cqe) {
		uint64_t ud = io_uring_cqe_get_data64(cqe);

		seen++;
		if (ud == IQ_UD_STOP)
			stop = true;
		else if (ud < e->nr)
			iq_source_cqe(e, &e->src[ud], cqe);
	}
	io_uring_cq_advance(&e->ring, seen);
	return stop;
}

static void iq_run_fired(struct iq_engine *e)
{
	for (unsigned i = 0; i < e->nr; i++) {
		struct iq_source *s = &e->src[i];
		uint64_t v;

		if (!s->fired)
			continue;
		s->fired = false;
		/* EAGAIN: another wake-up already consumed the count; the drain finds the work anyway. */
		if (!s->events && read(s->fd, &v, sizeof(v)) < 0 && errno != EAGAIN && errno != EINTR)
			log_debug("iq engine: reading fd %d: %s", s->fd, strerror(errno));
		s->drain(s->opaque);
	}
}

static void *iq_thread(void *arg)
{
	struct iq_engine *e = arg;

	iq_arm(e, e->stop_fd, IQ_UD_STOP, false);
	for (;;) {
		int r;

		iq_arm_sources(e);
		r = io_uring_submit_and_wait(&e->ring, 1);
		if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN) {
			log_error("iq engine: io_uring: %s; the invalidation queues are no longer served", strerror(-r));
			break;
		}
		if (iq_reap(e))
			break;
		iq_run_fired(e);
	}
	return NULL;
}

int iq_engine_start(struct iq_engine *e)
{
	sigset_t all, old;
	int r;

	if (e->started)
		return -EALREADY;
	/* No signal is for this thread: process-directed ones go to the main thread's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&e->thread, NULL, iq_thread, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return -r;
	pthread_setname_np(e->thread, "skiff-iq");
	e->started = true;
	return 0;
}

void iq_engine_destroy(struct iq_engine *e)
{
	uint64_t one = 1;

	if (!e)
		return;
	if (e->started) {
		/* The thread finishes the drain it is in, then sees the stop fd. */
		while (write(e->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		pthread_join(e->thread, NULL);
	}
	/* Tearing the ring down cancels the outstanding polls; the sources' fds stay their owners'. */
	io_uring_queue_exit(&e->ring);
	close(e->stop_fd);
	free(e);
}
