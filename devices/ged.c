// SPDX-License-Identifier: Apache-2.0
/*
 * ACPI Generic Event Device register (see acpi/acpi.h): one 32-bit
 * register; reading returns the pending events and clears them. The GSI
 * is held high while any event is pending (level-triggered, active-high).
 */
#include <string.h>

#include "devices.h"

void ged_init(struct ged *g, struct irq_line irq)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->irq = irq;
}

void ged_destroy(struct ged *g)
{
	pthread_mutex_destroy(&g->lock);
}

void ged_raise(struct ged *g, uint32_t events)
{
	pthread_mutex_lock(&g->lock);
	g->pending |= events;
	irq_line_set(&g->irq, g->pending != 0);
	pthread_mutex_unlock(&g->lock);
}

static void ged_read(void *opaque, uint64_t offset, void *data, unsigned len)
{
	struct ged *g = opaque;
	uint32_t v = 0;

	pthread_mutex_lock(&g->lock);
	if (offset == 0) {
		v = g->pending;
		g->pending = 0;
		irq_line_set(&g->irq, false);
	}
	pthread_mutex_unlock(&g->lock);
	memset(data, 0, len);
	memcpy(data, &v, len < sizeof(v) ? len : sizeof(v));
}

const struct bus_device_ops ged_ops = {
	.read = ged_read,
	.write = NULL,  /* read-only: writes are ignored */
};
