// SPDX-License-Identifier: Apache-2.0
/* acpi_write_tables(): each table of a built layout to DIR/<SIG>.dat. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "acpi.h"

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int acpi_write_tables(const struct acpi_layout *l, const uint8_t *buf, const char *dir)
{
	if (!l || !buf || !dir || l->nr_tables > ACPI_MAX_TABLES)
		return -EINVAL;
	for (unsigned i = 0; i < l->nr_tables; i++) {
		const struct acpi_table_ref *t = &l->tables[i];
		char path[4096];
		int fd, r;

		if ((size_t)t->offset + t->length > l->used)
			return -EINVAL;
		if (snprintf(path, sizeof(path), "%s/%.4s.dat", dir, t->signature) >= (int)sizeof(path))
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		r = write_all(fd, buf + t->offset, t->length);
		if (close(fd) && !r)
			r = -errno;
		if (r)
			return r;
	}
	return 0;
}
