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
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Structurally valid UTF-8 without C0/C1 control characters. */
static int printable_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < len;) {
		unsigned char ch = s[i];
		if (ch < 0x80) {
			if (ch < 0x20 || ch == 0x7f)
				return 0;
			i++;
			continue;
		}
		size_t need = ch >= 0xc2 && ch <= 0xdf ? 2 : ch >= 0xe0 && ch <= 0xef ? 3 :
			      ch >= 0xf0 && ch <= 0xf4 ? 4 : 0;
		if (!need || i + need > len)
			return 0;
		for (size_t k = 1; k < need; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if (ch == 0xc2 && s[i + 1] < 0xa0)
			return 0;
		i += need;
	}
	return 1;
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
	check(printable_utf8(err, len));

	/* Same input, short buffer: a prefix of the full message. */
	memset(small, 'X', sizeof(small));
	rc = config_load_buffer("fuzz.json", (const char *)data, size, &cfg, small, sizeof(small));
	check(rc < 0);
	size_t slen = strnlen(small, sizeof(small));
	check(slen < sizeof(small));
	check(!strncmp(small, err, slen));
	return 0;
}
