// SPDX-License-Identifier: Apache-2.0
/* acpi_write_tables(): each table of a built layout to DIR/<SIG>.dat; acpi_write_iort(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

static int write_file(const char *dir, const char *sig, const uint8_t *p, size_t len)
{
	char path[4096];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%.4s.dat", dir, sig) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, p, len);
	if (close(fd) && !r)
		r = -errno;
	return r;
}

int acpi_write_tables(const struct acpi_layout *l, const uint8_t *buf, const char *dir)
{
	if (!l || !buf || !dir || l->nr_tables > ACPI_MAX_TABLES)
		return -EINVAL;
	for (unsigned i = 0; i < l->nr_tables; i++) {
		const struct acpi_table_ref *t = &l->tables[i];
		int r;

		if ((size_t)t->offset + t->length > l->used)
			return -EINVAL;
		r = write_file(dir, t->signature, buf + t->offset, t->length);
		if (r)
			return r;
	}
	return 0;
}

int acpi_write_iort(const struct acpi_viommu *v, unsigned n, unsigned addr_bits, const char *dir)
{
	size_t len = 0;
	uint8_t *buf;
	int r;

	if (!n)
		return 0;
	if (!dir)
		return -EINVAL;
	r = acpi_build_iort(v, n, addr_bits, NULL, 0, &len);
	if (r != -ENOSPC)
		return r ? r : -EINVAL;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	r = acpi_build_iort(v, n, addr_bits, buf, len, &len);
	if (!r)
		r = write_file(dir, "IORT", buf, len);
	free(buf);
	return r;
}
