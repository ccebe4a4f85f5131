// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

void bus_init(struct bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	bus_init(bus);
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_device_ops *ops,
		 void *opaque, const char *name)
{
	uint64_t last;
	unsigned pos;

	if (len == 0 || base + (len - 1) < base)
		return -EINVAL;
	last = base + (len - 1);
	for (pos = 0; pos < bus->nr && bus->ranges[pos].base < base; pos++)
		;
	if (pos > 0 && bus->ranges[pos - 1].last >= base)
		return -EEXIST;
	if (pos < bus->nr && bus->ranges[pos].base <= last)
		return -EEXIST;
	if (bus->nr == bus->cap) {
		unsigned cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->ranges = n;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos], (bus->nr - pos) * sizeof(*bus->ranges));
	bus->ranges[pos] = (struct bus_range){ base, last, ops, opaque, name };
	bus->nr++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr > r->last)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* An access must lie entirely inside one device's range. */
static const struct bus_range *bus_find_access(const struct bus *bus, uint64_t addr, unsigned len)
{
	const struct bus_range *r = bus_find(bus, addr);

	if (!r || len == 0 || len - 1 > r->last - addr)
		return NULL;
	return r;
}

bool bus_read(const struct bus *bus, uint64_t addr, void *data, unsigned len)
{
	const struct bus_range *r = bus_find_access(bus, addr, len);

	if (!r || !r->ops->read) {
		memset(data, 0xff, len);
		return r != NULL;
	}
	r->ops->read(r->opaque, addr - r->base, data, len);
	return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, const void *data, unsigned len)
{
	const struct bus_range *r = bus_find_access(bus, addr, len);

	if (!r)
		return false;
	if (r->ops->write)
		r->ops->write(r->opaque, addr - r->base, data, len);
	return true;
}
