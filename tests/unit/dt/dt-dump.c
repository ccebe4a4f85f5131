// SPDX-License-Identifier: Apache-2.0
/*
 * dt-dump OUT CPUS HOSTS VIOMMUS [noinitrd]: write the DTB of the layout
 * in params.h to OUT, for dtc-check.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

int main(int argc, char **argv)
{
	static unsigned char buf[1 << 16];
	struct dt_params p;
	size_t len = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: dt-dump OUT CPUS HOSTS VIOMMUS [noinitrd]\n");
		return 2;
	}
	test_dt_params(&p, (unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (argc > 5 && !strcmp(argv[5], "noinitrd")) {
		p.initrd.size = 0;
		p.bootargs = NULL;
	}
	int r = dt_build(&p, buf, sizeof(buf), &len);
	if (r) {
		fprintf(stderr, "dt-dump: dt_build: %s\n", strerror(-r));
		return 1;
	}
	FILE *f = fopen(argv[1], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
