// SPDX-License-Identifier: Apache-2.0
/* skiff: command line, exit status, terminal handling. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "skiff-version.h"
#include "vm.h"

/* Exit statuses (README.md, "Command line"). */
enum {
	EXIT_GUEST_OK = 0,
	EXIT_VMM_FAILURE = 1,
	EXIT_USAGE = 2,
	EXIT_GUEST_CRASH = 3,
};

static void usage(FILE *out)
{
	fputs("Usage: skiff --config FILE.json [--log-level LEVEL] [--check-config | --dump-acpi DIR | --dump-dtb FILE]\n"
	      "       skiff plan --config FILE.json [--json]\n"
	      "       skiff --help | --version\n"
	      "\n"
	      "Boot a microVM described by a Firecracker-style JSON config.\n"
	      "\n"
	      "  -c, --config FILE     VM configuration (see docs/config.md)\n"
	      "  -l, --log-level LEVEL error, warn, info (default) or debug\n"
	      "      --check-config    only parse and check the config, then exit\n"
	      "      --dump-acpi DIR   build the VM, write the ACPI tables it would get to DIR/<SIG>.dat, exit\n"
	      "      --dump-dtb FILE   aarch64: write the device tree the VM would get to FILE (no KVM needed), exit\n"
	      "  -h, --help            show this help\n"
	      "  -V, --version         show the version\n"
	      "\n"
	      "The guest's serial console is on stdin/stdout; on a terminal, Ctrl-A x stops the VM.\n"
	      "SIGTERM/SIGINT stop the VM; SIGPWR presses the guest's ACPI power button.\n"
	      "Exit status: 0 guest powered off or rebooted, or stopped by SIGTERM/SIGINT;\n"
	      "1 VMM or host failure; 2 usage or configuration error; 3 guest panic or triple fault.\n",
	      out);
}

static int parse_log_level(const char *s, enum log_level *ret)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Raw mode so keys reach the guest unchanged (Ctrl-C included). */
static bool terminal_make_raw(struct termios *saved)
{
	struct termios raw;

	/* Only the foreground job may own the terminal; a background one would get SIGTTOU. */
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp() ||
	    tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	raw = *saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	return tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

static int run_vm(const struct skiff_config *cfg)
{
	enum vm_stop_reason reason;
	struct vm_error err = { 0 };
	struct termios saved;
	bool raw = false;
	struct vm *vm;
	int r;

	if (vm_create(cfg, &vm, &err)) {
		fprintf(stderr, "skiff: %s\n", err.msg);
		return err.is_config ? EXIT_USAGE : EXIT_VMM_FAILURE;
	}
	if (cfg->serial_mode == SERIAL_STDIO)
		raw = terminal_make_raw(&saved);
	r = vm_run(vm, &reason);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	vm_destroy(vm);
	if (r) {
		log_error("running the VM: %s", strerror(-r));
		return EXIT_VMM_FAILURE;
	}
	log_info("%s", vm_stop_reason_name(reason));
	return vm_stop_exit_status(reason);
}

/* Build the VM (KVM objects included, so the tables are exactly the guest's) but do not run it. */
static int dump_acpi(const struct skiff_config *cfg, const char *dir)
{
	struct vm_error err = { 0 };
	struct vm *vm;
	int r;

	if (vm_create(cfg, &vm, &err)) {
		fprintf(stderr, "skiff: %s\n", err.msg);
		return err.is_config ? EXIT_USAGE : EXIT_VMM_FAILURE;
	}
	r = vm_dump_acpi(vm, dir);
	vm_destroy(vm);
	if (r) {
		fprintf(stderr, "skiff: --dump-acpi %s: %s\n", dir, strerror(-r));
		return EXIT_VMM_FAILURE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "dump-acpi", required_argument, NULL, 'A' },
		{ "dump-dtb", required_argument, NULL, 'D' },
		{ 0 },
	};
	const char *config_path = NULL;
	struct skiff_config cfg;
	char msg[CONFIG_ERR_MAX];
	enum log_level level = LOG_INFO;
	bool check_only = false;
	const char *dump_acpi_dir = NULL, *dump_dtb_path = NULL;
	int c, status;

	if (argc > 1 && !strcmp(argv[1], "plan"))
		return skiff_plan_main(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "c:l:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'l':
			if (parse_log_level(optarg, &level)) {
				fprintf(stderr, "skiff: --log-level: expected error, warn, info or debug, got \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'C':
			check_only = true;
			break;
		case 'A':
			dump_acpi_dir = optarg;
			break;
		case 'D':
			dump_dtb_path = optarg;
			break;
		case 'V':
			printf("skiff %s\n", SKIFF_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "skiff: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!config_path) {
		fprintf(stderr, "skiff: --config FILE is required\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	log_set_level(level);
	if (config_load_file(config_path, &cfg, msg, sizeof(msg))) {
		fprintf(stderr, "skiff: %s\n", msg);
		return EXIT_USAGE;
	}
	if (check_only) {
		printf("%s: ok\n", config_path);
		config_free(&cfg);
		return 0;
	}
	if (dump_dtb_path) {
		struct vm_error err = { 0 };

		status = vm_dump_dtb(&cfg, dump_dtb_path, &err) ? (err.is_config ? EXIT_USAGE : EXIT_VMM_FAILURE) : 0;
		if (status)
			fprintf(stderr, "skiff: %s\n", err.msg);
		config_free(&cfg);
		return status;
	}
	if (dump_acpi_dir) {
		status = dump_acpi(&cfg, dump_acpi_dir);
		config_free(&cfg);
		return status;
	}
	if (!getenv("SKIFF_SKIP_KVM_CHECK") && !host_kvm_usable(msg, sizeof(msg))) {
		fprintf(stderr, "skiff: %s\n", msg);
		config_free(&cfg);
		return EXIT_VMM_FAILURE;
	}
	status = run_vm(&cfg);
	config_free(&cfg);
	return status;
}
