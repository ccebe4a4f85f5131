// SPDX-License-Identifier: Apache-2.0
/* Unit tests for core/: guest memory layout and bounds, the device bus, the event loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "check.h"
#include "core.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* ---- gmem ---- */

static void test_gmem_layout(void)
{
	struct gmem gm;

	CHECK(gmem_create(&gm, 128 * MiB, 3 * GiB) == 0);
	CHECK_EQ(gm.nr_regions, 1);
	CHECK_EQ(gm.regions[0].gpa, 0);
	CHECK_EQ(gm.regions[0].size, 128 * MiB);
	CHECK_EQ(gm.regions[0].fd_offset, 0);
	CHECK(gm.regions[0].host == gm.host);
	CHECK_EQ(gmem_end(&gm), 128 * MiB);
	CHECK(gm.memfd >= 0);
	gmem_destroy(&gm);
	CHECK_EQ(gm.memfd, -1);

	CHECK(gmem_create(&gm, 4 * GiB + 512 * MiB, 3 * GiB) == 0);
	CHECK_EQ(gm.nr_regions, 2);
	CHECK_EQ(gm.regions[0].gpa, 0);
	CHECK_EQ(gm.regions[0].size, 3 * GiB);
	CHECK_EQ(gm.regions[1].gpa, 4 * GiB);
	CHECK_EQ(gm.regions[1].size, 1536 * MiB);
	CHECK_EQ(gm.regions[1].fd_offset, 3 * GiB);
	CHECK(gm.regions[1].host == gm.host + 3 * GiB);
	CHECK_EQ(gmem_end(&gm), 5 * GiB + 512 * MiB);
	CHECK_EQ(gm.size, 4 * GiB + 512 * MiB);
	gmem_destroy(&gm);

	/* exactly up to the hole: one region */
	CHECK(gmem_create(&gm, 3 * GiB, 3 * GiB) == 0);
	CHECK_EQ(gm.nr_regions, 1);
	gmem_destroy(&gm);

	CHECK(gmem_create(&gm, 0, 3 * GiB) == -EINVAL);
	CHECK(gmem_create(&gm, 128 * MiB + 1, 3 * GiB) == -EINVAL);
	CHECK(gmem_create(&gm, 128 * MiB, 0) == -EINVAL);
	CHECK(gmem_create(&gm, 128 * MiB, 4 * GiB + 4096) == -EINVAL);
}

static void test_gmem_slice(void)
{
	struct gmem gm;
	uint8_t buf[64], back[64];

	CHECK(gmem_create(&gm, 4 * GiB + 512 * MiB, 3 * GiB) == 0);

	CHECK(gmem_slice(&gm, 0, 1) == gm.host);
	CHECK(gmem_slice(&gm, 0, 3 * GiB) == gm.host);
	CHECK(gmem_slice(&gm, 3 * GiB - 1, 1) == gm.host + 3 * GiB - 1);
	CHECK(gmem_slice(&gm, 4 * GiB, 1536 * MiB) == gm.host + 3 * GiB);
	CHECK(gmem_slice(&gm, 5 * GiB + 512 * MiB - 8, 8) == gm.host + 4 * GiB + 512 * MiB - 8);

	/* crossing a region's end */
	CHECK(gmem_slice(&gm, 3 * GiB - 1, 2) == NULL);
	CHECK(gmem_slice(&gm, 0, 3 * GiB + 1) == NULL);
	CHECK(gmem_slice(&gm, 5 * GiB + 512 * MiB - 8, 9) == NULL);
	/* in the hole */
	CHECK(gmem_slice(&gm, 3 * GiB, 1) == NULL);
	CHECK(gmem_slice(&gm, 4 * GiB - 1, 1) == NULL);
	CHECK(gmem_slice(&gm, 4 * GiB - 1, 2) == NULL);
	CHECK(gmem_slice(&gm, 3 * GiB + 4096, 0) == NULL);
	/* beyond the end */
	CHECK(gmem_slice(&gm, 5 * GiB + 512 * MiB, 1) == NULL);
	CHECK(gmem_slice(&gm, 6 * GiB, 0) == NULL);
	/* ranges that overflow near 2^64 */
	CHECK(gmem_slice(&gm, 16, UINT64_MAX) == NULL);
	CHECK(gmem_slice(&gm, 4 * GiB + 16, UINT64_MAX - 8) == NULL);
	CHECK(gmem_slice(&gm, UINT64_MAX, 2) == NULL);
	CHECK(gmem_slice(&gm, UINT64_MAX - 4095, 4096) == NULL);
	CHECK(gmem_slice(&gm, 0, UINT64_MAX) == NULL);

	/* read/write round trip in both regions, errors for the hole */
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	CHECK(gmem_write(&gm, 3 * GiB - sizeof(buf), buf, sizeof(buf)) == 0);
	CHECK(gmem_read(&gm, 3 * GiB - sizeof(buf), back, sizeof(back)) == 0);
	CHECK(memcmp(buf, back, sizeof(buf)) == 0);
	CHECK(memcmp(gm.host + 3 * GiB - sizeof(buf), buf, sizeof(buf)) == 0);
	CHECK(gmem_write(&gm, 4 * GiB + 100, buf, sizeof(buf)) == 0);
	CHECK(memcmp(gm.host + 3 * GiB + 100, buf, sizeof(buf)) == 0);
	memset(back, 0, sizeof(back));
	CHECK(gmem_read(&gm, 4 * GiB + 100, back, sizeof(back)) == 0);
	CHECK(memcmp(buf, back, sizeof(buf)) == 0);
	CHECK(gmem_write(&gm, 3 * GiB - 10, buf, sizeof(buf)) == -EFAULT);
	CHECK(gmem_read(&gm, 3 * GiB, back, 1) == -EFAULT);
	CHECK(gmem_read(&gm, 5 * GiB + 512 * MiB - 1, back, 2) == -EFAULT);
	gmem_destroy(&gm);
}

/* ---- bus ---- */

struct dev {
	unsigned reads, writes;
	uint64_t last_offset;
	unsigned last_len;
	uint8_t last_data[8];
};

static void dev_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct dev *d = opaque;

	d->reads++;
	d->last_offset = offset;
	d->last_len = len;
	memset(data, (int)(0x10 + offset), len);
}

static void dev_write(void *opaque, uint64_t offset, const void *data, unsigned len)
{
	struct dev *d = opaque;

	d->writes++;
	d->last_offset = offset;
	d->last_len = len;
	memcpy(d->last_data, data, len < 8 ? len : 8);
}

static const struct bus_device_ops dev_ops = { dev_read, dev_write };
static const struct bus_device_ops write_only_ops = { NULL, dev_write };

static void test_bus(void)
{
	struct bus bus;
	struct dev a = { 0 }, b = { 0 }, c = { 0 }, top = { 0 };
	const struct bus_range *r;
	uint8_t data[8];
	uint32_t v32 = 0x11223344;

	bus_init(&bus);
	CHECK(bus_register(&bus, 0x3f8, 8, &dev_ops, &a, "com1") == 0);
	CHECK(bus_register(&bus, 0x60, 1, &dev_ops, &b, "i8042") == 0);
	CHECK(bus_register(&bus, 0x100, 0x10, &write_only_ops, &c, "wo") == 0);
	CHECK(bus_register(&bus, UINT64_MAX - 0xfff, 0x1000, &dev_ops, &top, "top") == 0);

	/* overlaps, in every position */
	CHECK(bus_register(&bus, 0x3f8, 8, &dev_ops, &b, "same") == -EEXIST);
	CHECK(bus_register(&bus, 0x3f0, 9, &dev_ops, &b, "tail") == -EEXIST);
	CHECK(bus_register(&bus, 0x3ff, 4, &dev_ops, &b, "head") == -EEXIST);
	CHECK(bus_register(&bus, 0x3fa, 1, &dev_ops, &b, "inside") == -EEXIST);
	CHECK(bus_register(&bus, 0x0, 0x1000, &dev_ops, &b, "around") == -EEXIST);
	CHECK(bus_register(&bus, UINT64_MAX, 1, &dev_ops, &b, "last") == -EEXIST);
	/* zero-length and wrapping */
	CHECK(bus_register(&bus, 0x500, 0, &dev_ops, &b, "empty") == -EINVAL);
	CHECK(bus_register(&bus, UINT64_MAX - 0xfff, 0x1001, &dev_ops, &b, "wrap") == -EINVAL);
	CHECK(bus_register(&bus, 2, UINT64_MAX, &dev_ops, &b, "wrap") == -EINVAL);
	/* adjacent ranges are fine */
	CHECK(bus_register(&bus, 0x3f0, 8, &dev_ops, &b, "below") == 0);
	CHECK(bus_register(&bus, 0x400, 1, &dev_ops, &b, "above") == 0);
	CHECK_EQ(bus.nr, 6);
	for (unsigned i = 1; i < bus.nr; i++)
		CHECK(bus.ranges[i - 1].last < bus.ranges[i].base);

	/* lookup at edges */
	r = bus_find(&bus, 0x3f8);
	CHECK(r && r->opaque == &a && r->base == 0x3f8 && r->last == 0x3ff && !strcmp(r->name, "com1"));
	r = bus_find(&bus, 0x3ff);
	CHECK(r && r->opaque == &a);
	r = bus_find(&bus, 0x3f7);
	CHECK(r && !strcmp(r->name, "below"));
	r = bus_find(&bus, 0x400);
	CHECK(r && !strcmp(r->name, "above"));
	CHECK(bus_find(&bus, 0x401) == NULL);
	CHECK(bus_find(&bus, 0x5f) == NULL);
	CHECK(bus_find(&bus, 0x61) == NULL);
	CHECK(bus_find(&bus, 0) == NULL);
	r = bus_find(&bus, UINT64_MAX);
	CHECK(r && r->opaque == &top && r->last == UINT64_MAX);

	/* dispatch with the offset from the device's base */
	CHECK(bus_read(&bus, 0x3fd, data, 1));
	CHECK_EQ(a.reads, 1);
	CHECK_EQ(a.last_offset, 5);
	CHECK_EQ(data[0], 0x15);
	CHECK(bus_write(&bus, 0x3f8 + 4, &v32, 4));
	CHECK_EQ(a.writes, 1);
	CHECK_EQ(a.last_offset, 4);
	CHECK_EQ(a.last_len, 4);
	CHECK(memcmp(a.last_data, &v32, 4) == 0);
	CHECK(bus_read(&bus, UINT64_MAX - 7, data, 8));
	CHECK_EQ(top.last_offset, 0xff8);

	/* an access straddling a device's end is not dispatched */
	memset(data, 0, sizeof(data));
	CHECK(!bus_read(&bus, 0x3fe, data, 4));
	CHECK_EQ(a.reads, 1);
	CHECK_EQ(data[0], 0xff);
	CHECK_EQ(data[3], 0xff);
	CHECK(!bus_write(&bus, 0x3fc, &v32, 8));
	CHECK_EQ(a.writes, 1);
	CHECK(!bus_read(&bus, UINT64_MAX, data, 2));
	CHECK_EQ(top.reads, 1);
	/* zero-length access */
	CHECK(!bus_write(&bus, 0x3f8, &v32, 0));
	CHECK_EQ(a.writes, 1);

	/* unclaimed reads see all-ones, unclaimed writes are dropped */
	memset(data, 0, sizeof(data));
	CHECK(!bus_read(&bus, 0x80, data, 8));
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(data[i], 0xff);
	CHECK(!bus_write(&bus, 0x80, &v32, 4));

	/* a device without a read callback: claimed, reads all-ones */
	memset(data, 0, sizeof(data));
	CHECK(bus_read(&bus, 0x104, data, 2));
	CHECK_EQ(data[0], 0xff);
	CHECK_EQ(data[1], 0xff);
	CHECK(bus_write(&bus, 0x10f, &v32, 1));
	CHECK_EQ(c.writes, 1);
	CHECK_EQ(c.last_offset, 0xf);

	/* many registrations grow the array and keep it sorted */
	for (unsigned i = 0; i < 100; i++)
		CHECK(bus_register(&bus, 0x10000 + (99 - i) * 0x10, 0x10, &dev_ops, &b, "many") == 0);
	for (unsigned i = 1; i < bus.nr; i++)
		CHECK(bus.ranges[i - 1].last < bus.ranges[i].base);
	r = bus_find(&bus, 0x10000 + 42 * 0x10 + 3);
	CHECK(r && r->base == 0x10000 + 42 * 0x10);

	bus_destroy(&bus);
	CHECK_EQ(bus.nr, 0);
	CHECK(bus_find(&bus, 0x3f8) == NULL);
}

/* ---- evloop ---- */

struct ev_ctx {
	struct evloop *loop;
	int calls;
	uint64_t value;
};

static void on_event(void *opaque, int fd, uint32_t events)
{
	struct ev_ctx *c = opaque;
	uint64_t v;

	c->calls++;
	CHECK(events & EPOLLIN);
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		c->value += v;
	if (c->value >= 3)
		evloop_stop(c->loop);
}

static void on_never(void *opaque, int fd, uint32_t events)
{
	(void)fd;
	(void)events;
	(*(int *)opaque)++;
}

static void test_evloop(void)
{
	struct evloop loop;
	struct ev_ctx ctx = { .loop = &loop };
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int efd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int never = 0;
	uint64_t one = 1, three = 3;

	CHECK(efd >= 0 && efd2 >= 0);
	CHECK(evloop_init(&loop) == 0);
	CHECK(evloop_add(&loop, efd, EPOLLIN, on_event, &ctx) == 0);
	CHECK(evloop_add(&loop, efd, EPOLLIN, on_event, &ctx) == -EEXIST);
	CHECK(evloop_add(&loop, -1, EPOLLIN, on_event, &ctx) == -EBADF);
	CHECK(evloop_add(&loop, efd2, EPOLLIN, on_never, &never) == 0);

	/* a removed fd's callback is not called even if it is ready */
	CHECK(evloop_del(&loop, efd2) == 0);
	CHECK(evloop_del(&loop, 12345) == -ENOENT);
	CHECK(write(efd2, &one, sizeof(one)) == sizeof(one));

	CHECK(write(efd, &three, sizeof(three)) == sizeof(three));
	CHECK(evloop_run(&loop) == 0);
	CHECK_EQ(ctx.calls, 1);
	CHECK_EQ(ctx.value, 3);
	CHECK(loop.stop);
	CHECK_EQ(never, 0);

	/* run again: keeps going until the callback has seen enough */
	loop.stop = false;
	ctx.value = 1;
	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	CHECK(write(efd, &one, sizeof(one)) == sizeof(one));
	CHECK(evloop_run(&loop) == 0);
	CHECK_EQ(ctx.value, 3);
	CHECK_EQ(ctx.calls, 2);  /* eventfd accumulates: one wakeup for both writes */

	evloop_destroy(&loop);
	CHECK_EQ(loop.epfd, -1);
	close(efd);
	close(efd2);
}

int main(void)
{
	test_gmem_layout();
	test_gmem_slice();
	test_bus();
	test_evloop();
	return check_summary("test-core");
}
