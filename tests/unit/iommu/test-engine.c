// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the queue engine (iommu/engine.c) with real eventfds and
 * the host's io_uring: a kick drains its own source once, on the engine's
 * thread, with the eventfd read; kicks of several sources in one wake-up;
 * a kick during a drain drains again; a thousand kicks in a row (the
 * multishot poll stays armed, or is re-armed); a source the kernel cannot
 * poll is dropped while the others are served; destroy waits for a
 * running drain; the argument checks. Exits 77 where io_uring is disabled.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "iommu.h"

struct src {
	int fd;
	atomic_uint drains;
	atomic_bool on_engine_thread_only;
	atomic_bool fd_drained;        /* the eventfd's count was 0 when drain ran */
	unsigned sleep_ms;             /* a slow drain */
	atomic_bool in_drain, drain_done;
	pthread_t main_thread;
};

static void src_init(struct src *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	atomic_store(&s->on_engine_thread_only, true);
	atomic_store(&s->fd_drained, true);
	s->main_thread = pthread_self();
}

static void drain(void *opaque)
{
	struct src *s = opaque;
	uint64_t v;

	if (pthread_equal(pthread_self(), s->main_thread))
		atomic_store(&s->on_engine_thread_only, false);
	if (read(s->fd, &v, sizeof(v)) == sizeof(v))
		atomic_store(&s->fd_drained, false);
	atomic_store(&s->in_drain, true);
	if (s->sleep_ms)
		usleep(s->sleep_ms * 1000);
	atomic_fetch_add(&s->drains, 1);
	atomic_store(&s->in_drain, false);
	atomic_store(&s->drain_done, true);
}

static void kick(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		perror("eventfd write");
}

/* Wait up to 5 s for *counter >= want. */
static bool wait_for(atomic_uint *counter, unsigned want)
{
	for (int i = 0; i < 5000; i++) {
		if (atomic_load(counter) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

static struct iq_engine *new_engine(void)
{
	struct iq_engine *e = NULL;
	char err[256];
	int r = iq_engine_create(&e, err, sizeof(err));

	if (r == -EPERM || r == -ENOSYS) {
		printf("SKIP: %s\n", err);
		exit(77);
	}
	CHECK_MSG(r == 0, "iq_engine_create: %s", err);
	return r ? NULL : e;
}

static void test_one_kick(void)
{
	struct iq_engine *e = new_engine();
	struct src a, b;

	src_init(&a);
	src_init(&b);
	CHECK_EQ(iq_engine_add(e, a.fd, drain, &a), 0);
	CHECK_EQ(iq_engine_add(e, b.fd, drain, &b), 0);
	CHECK_EQ(iq_engine_start(e), 0);
	CHECK_EQ(iq_engine_start(e), (unsigned long long)-EALREADY);
	CHECK_EQ(iq_engine_add(e, a.fd, drain, &a), (unsigned long long)-EINVAL); /* after start */
	kick(a.fd);
	CHECK(wait_for(&a.drains, 1));
	usleep(50 * 1000);
	CHECK_EQ(atomic_load(&a.drains), 1);
	CHECK_EQ(atomic_load(&b.drains), 0); /* only the source that fired */
	CHECK(atomic_load(&a.on_engine_thread_only));
	CHECK(atomic_load(&a.fd_drained)); /* the engine read the eventfd before the drain */
	/* Both at once: each drained. */
	kick(a.fd);
	kick(b.fd);
	CHECK(wait_for(&a.drains, 2));
	CHECK(wait_for(&b.drains, 1));
	iq_engine_destroy(e);
	close(a.fd);
	close(b.fd);
}

/* A kick while the drain runs is not lost: the drain runs again. */
static void test_kick_during_drain(void)
{
	struct iq_engine *e = new_engine();
	struct src a;

	src_init(&a);
	a.sleep_ms = 100;
	CHECK_EQ(iq_engine_add(e, a.fd, drain, &a), 0);
	CHECK_EQ(iq_engine_start(e), 0);
	kick(a.fd);
	for (int i = 0; i < 5000 && !atomic_load(&a.in_drain); i++)
		usleep(1000);
	CHECK(atomic_load(&a.in_drain));
	kick(a.fd);
	CHECK(wait_for(&a.drains, 2));
	iq_engine_destroy(e);
	close(a.fd);
}

/* Many kicks in a row, each waited for: the poll keeps firing (multishot, or re-armed). */
static void test_many_kicks(void)
{
	struct iq_engine *e = new_engine();
	struct src a;
	unsigned n = 1000;
	bool ok = true;

	src_init(&a);
	CHECK_EQ(iq_engine_add(e, a.fd, drain, &a), 0);
	CHECK_EQ(iq_engine_start(e), 0);
	for (unsigned i = 1; i <= n && ok; i++) {
		kick(a.fd);
		ok = wait_for(&a.drains, i);
	}
	CHECK_MSG(ok, "drain %u of %u did not come", atomic_load(&a.drains) + 1, n);
	/*
	 * Each kick was waited for, so the engine had read it before the drain.
	 * (Not after the burst below: a kick landing between the engine's read
	 * and the drain's is the race the engine's ordering exists for.)
	 */
	CHECK(atomic_load(&a.fd_drained));
	/* Kicks without waiting: fewer drains than kicks is fine, none lost at the end. */
	for (unsigned i = 0; i < 100; i++)
		kick(a.fd);
	CHECK(wait_for(&a.drains, n + 1));
	usleep(50 * 1000);
	CHECK(atomic_load(&a.drains) <= n + 100);
	iq_engine_destroy(e);
	close(a.fd);
}

/* A source the kernel refuses to poll (closed before start) is dropped; the others still work. */
static void test_bad_source(void)
{
	struct iq_engine *e = new_engine();
	struct src bad, good;

	src_init(&bad);
	src_init(&good);
	CHECK_EQ(iq_engine_add(e, bad.fd, drain, &bad), 0);
	CHECK_EQ(iq_engine_add(e, good.fd, drain, &good), 0);
	close(bad.fd);
	CHECK_EQ(iq_engine_start(e), 0);
	kick(good.fd);
	CHECK(wait_for(&good.drains, 1));
	kick(good.fd);
	CHECK(wait_for(&good.drains, 2));
	CHECK_EQ(atomic_load(&bad.drains), 0);
	iq_engine_destroy(e);
	close(good.fd);
}

/* destroy() waits for the drain in progress and returns promptly when idle. */
static void test_destroy(void)
{
	struct iq_engine *e = new_engine();
	struct src a;
	struct timespec t0, t1;

	src_init(&a);
	a.sleep_ms = 200;
	CHECK_EQ(iq_engine_add(e, a.fd, drain, &a), 0);
	CHECK_EQ(iq_engine_start(e), 0);
	kick(a.fd);
	for (int i = 0; i < 5000 && !atomic_load(&a.in_drain); i++)
		usleep(1000);
	iq_engine_destroy(e);
	CHECK(atomic_load(&a.drain_done));

	e = new_engine();
	CHECK_EQ(iq_engine_add(e, a.fd, drain, &a), 0);
	CHECK_EQ(iq_engine_start(e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	iq_engine_destroy(e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
	close(a.fd);

	/* Never started, and NULL. */
	iq_engine_destroy(new_engine());
	iq_engine_destroy(NULL);
}

static void test_args(void)
{
	struct iq_engine *e = new_engine();
	struct src s[33];
	int blocking = eventfd(0, EFD_CLOEXEC);

	CHECK_EQ(iq_engine_add(e, -1, drain, NULL), (unsigned long long)-EINVAL);
	CHECK_EQ(iq_engine_add(e, blocking, NULL, NULL), (unsigned long long)-EINVAL);
	/* A blocking fd is made non-blocking: the engine reads it after each poll. */
	CHECK_EQ(iq_engine_add(e, blocking, drain, NULL), 0);
	CHECK(fcntl(blocking, F_GETFL) & O_NONBLOCK);
	for (unsigned i = 0; i < 31; i++) {
		src_init(&s[i]);
		CHECK_EQ(iq_engine_add(e, s[i].fd, drain, &s[i]), 0);
	}
	src_init(&s[32]);
	CHECK_EQ(iq_engine_add(e, s[32].fd, drain, &s[32]), (unsigned long long)-ENOSPC);
	iq_engine_destroy(e);
	for (unsigned i = 0; i < 31; i++)
		close(s[i].fd);
	close(s[32].fd);
	close(blocking);
}

int main(void)
{
	test_one_kick();
	test_kick_during_drain();
	test_many_kicks();
	test_bad_source();
	test_destroy();
	test_args();
	return check_summary("iq-engine");
}
