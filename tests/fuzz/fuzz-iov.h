/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the chain-parser fuzz targets (blk-req, net-hdr, vsock-pkt) share
 * besides fuzz-check.h: "does d lie inside one of these buffers", and guest
 * buffers built from the input, each its own heap allocation so ASan sees
 * any overrun.
 */
#ifndef SKIFF_FUZZ_IOV_H
#define SKIFF_FUZZ_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fuzz-check.h"

/* Whether d lies wholly inside one of iov[0, n). */
static inline bool fuzz_iov_inside(const struct iovec *iov, unsigned n, const struct iovec *d)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *b = iov[i].iov_base, *p = d->iov_base;

		if (p >= b && d->iov_len <= iov[i].iov_len && (size_t)(p - b) <= iov[i].iov_len - d->iov_len)
			return true;
	}
	return false;
}

/*
 * n buffers: lens[i] gives 1 + (lens[i] & 0x7f) bytes, times scale when its
 * top bit is set; the contents come from data[pos, size) in order, zeros
 * once the input runs out. Free them with fuzz_iov_free().
 */
static inline void fuzz_iov_fill(struct iovec *iov, unsigned n, const uint8_t *lens, size_t scale,
				 const uint8_t *data, size_t size, size_t pos)
{
	for (unsigned i = 0; i < n; i++) {
		size_t len = (size_t)(lens[i] & 0x7f) + 1, take;

		if (lens[i] & 0x80)
			len *= scale;
		iov[i].iov_base = calloc(1, len);
		iov[i].iov_len = len;
		if (!iov[i].iov_base)
			abort();
		take = size - pos < len ? size - pos : len;
		memcpy(iov[i].iov_base, data + pos, take);
		pos += take;
	}
}

static inline void fuzz_iov_free(struct iovec *iov, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(iov[i].iov_base);
}

#endif
