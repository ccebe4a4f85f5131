/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CHECK macros shared by the unit tests.
 *
 * Every check is counted; a failed one is reported on stderr as
 * "FILE:LINE: CHECK failed: WHAT" and the test goes on. main() ends with
 * `return check_summary("NAME");`, which prints how many checks ran and
 * how many failed, and gives the exit status.
 *
 *   CHECK(cond)             cond must hold
 *   CHECK_EQ(a, b)          a == b as unsigned long long; both values are printed
 *   CHECK_MSG(cond, fmt...) cond must hold; fmt... says what failed
 *   check_ok(ok)            for a test's own checks that print their own
 *                           message: counts one check (and a failure if !ok)
 *
 * A test may define CHECK_CONTEXT before including this file: an expression
 * giving a string (say, which table is under test) that is appended to every
 * failure as " [context]" when it is not empty.
 *
 * The counters are static: one test executable is one .c file.
 */
#ifndef SKIFF_TEST_CHECK_H
#define SKIFF_TEST_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int checks;   /* checks run */
static int failures; /* checks failed (and set-up steps that failed) */

#ifndef CHECK_CONTEXT
#define CHECK_CONTEXT NULL
#endif

static inline void check_fail(const char *file, int line, const char *context, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline void check_fail(const char *file, int line, const char *context, const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "%s:%d: CHECK failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (context && *context)
		fprintf(stderr, " [%s]", context);
	fputc('\n', stderr);
}

#define CHECK_MSG(cond, ...)                                                     \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond))                                                     \
			check_fail(__FILE__, __LINE__, CHECK_CONTEXT, __VA_ARGS__); \
	} while (0)

#define CHECK(cond) CHECK_MSG(cond, "%s", #cond)

#define CHECK_EQ(a, b)                                                                    \
	do {                                                                              \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		CHECK_MSG(a_ == b_, "%s == %s (%#llx != %#llx)", #a, #b, a_, b_);          \
	} while (0)

/* One check done by the test itself; the caller reports a failure. Returns ok. */
static inline bool check_ok(bool ok)
{
	checks++;
	if (!ok)
		failures++;
	return ok;
}

/* The end of main(): the totals, and the exit status. */
static inline int check_summary(const char *name)
{
	if (failures) {
		fprintf(stderr, "%s: %d check(s) failed (of %d)\n", name, failures, checks);
		return 1;
	}
	printf("%s: all %d checks passed\n", name, checks);
	return 0;
}

#endif
