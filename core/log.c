// SPDX-License-Identifier: Apache-2.0
#include <stdatomic.h>

#include "core.h"

/* Set once by main() before threads start; atomic so later reads are race-free. */
static _Atomic int log_threshold = LOG_INFO;

void log_set_level(enum log_level level)
{
	atomic_store(&log_threshold, (int)level);
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&log_threshold);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	n = snprintf(line, sizeof(line), "skiff: %s: ", names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per message so lines from different threads do not interleave. */
	fprintf(stderr, "%s\n", line);
}
