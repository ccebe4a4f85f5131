/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for config_load_buffer(). Besides crashes and leaks it checks
 * the API contract: failures leave *ret untouched and give one non-empty
 * line, successes give values within the documented ranges, and a short
 * error buffer gets a NUL-terminated prefix of the full message.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skiff_config cfg, before;
	char err[CONFIG_ERR_MAX];
	char small[17];

	memset(&cfg, 0x5a, sizeof(cfg));
	before = cfg;
	int rc = config_load_buffer("fuzz.json", (const char *)data, size, &cfg, err, sizeof(err));
	if (rc == 0) {
		check(err[0] == '\0');
		check(cfg.source && !strcmp(cfg.source, "fuzz.json"));
		check(cfg.kernel_image_path && cfg.kernel_image_path[0]);
		check(cfg.vcpu_count >= 1 && cfg.vcpu_count <= 255);
		check(cfg.mem_size_mib >= 16 && cfg.mem_size_mib <= 1048576);
		check(cfg.serial_mode == SERIAL_STDIO || cfg.serial_mode == SERIAL_FILE ||
		      cfg.serial_mode == SERIAL_OFF);
		check((cfg.serial_mode == SERIAL_FILE) == (cfg.serial_path != NULL));
		config_free(&cfg);
		return 0;
	}

	check(rc == -EINVAL || rc == -ENOMEM);
	check(memcmp(&cfg, &before, sizeof(cfg)) == 0);
	size_t len = strlen(err);
	check(len > 0 && len < sizeof(err));
	check(!strncmp(err, "fuzz.json", 9));
	for (size_t i = 0; i < len; i++)
		check((unsigned char)err[i] >= 0x20 && (unsigned char)err[i] != 0x7f);

	/* Same input, short buffer: a prefix of the full message. */
	memset(small, 'X', sizeof(small));
	rc = config_load_buffer("fuzz.json", (const char *)data, size, &cfg, small, sizeof(small));
	check(rc < 0);
	size_t slen = strnlen(small, sizeof(small));
	check(slen < sizeof(small));
	check(!strncmp(small, err, slen));
	return 0;
}
