/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every fuzz target shares: the check that turns a broken invariant
 * into a crash libFuzzer reports, and reading little-endian input bytes.
 */
#ifndef SKIFF_FUZZ_CHECK_H
#define SKIFF_FUZZ_CHECK_H

#include <stdint.h>
#include <stdlib.h>

static inline void check(int cond)
{
	if (!cond)
		abort();
}

/* The n (<= 8) bytes at p as a little-endian number. */
static inline uint64_t fuzz_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

#endif
