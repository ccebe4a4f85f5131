/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for config/: every error message is asserted exactly, since
 * the formats are documented and scripts may match on them.
 */
#include "check.h"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A minimal valid document with the given extra top-level members. */
#define BOOT "\"boot-source\": {\"kernel_image_path\": \"/k\"}"
#define MACH "\"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128}"
#define MIN BOOT ", " MACH

struct bad {
	int line;
	const char *json;
	const char *msg;
};

#define NIF(extra) "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"" extra "}"

static const struct bad bad_cases[] = {
	/* syntax class: FILE:LINE:COLUMN: message */
	{ __LINE__, "", "vm.json:1:0: unexpected token near end of file" },
	{ __LINE__, "{\n  \"a\": tru\n}", "vm.json:2:10: invalid token near 'tru'" },
	{ __LINE__, "{\"a\": 1, \"a\": 2}", "vm.json:1:12: duplicate object key near '\"a\"'" },
	{ __LINE__, "{" MIN "} x", "vm.json:1:104: end of file expected near 'x'" },
	{ __LINE__, "{\"a\": \"x\\u0000\"}", "vm.json:1:15: \\u0000 is not allowed in strings near '\"x\\u0000\"'" },
	{ __LINE__, "{\"a\": \"x\ty\"}", "vm.json:1:8: control character 0x9 near '\"x'" },
	/* top level */
	{ __LINE__, "[]", "vm.json: expected a JSON object at the top level" },
	{ __LINE__, "42", "vm.json: expected a JSON object at the top level" },
	{ __LINE__, "{}", "vm.json: boot-source: required" },
	{ __LINE__, "{" BOOT "}", "vm.json: machine-config: required" },
	{ __LINE__, "{" MACH "}", "vm.json: boot-source: required" },
	{ __LINE__, "{\"bootsource\": {}}", "vm.json: bootsource: unknown key; did you mean \"boot-source\"?" },
	{ __LINE__, "{\"boot_source\": {}}", "vm.json: boot_source: unknown key; did you mean \"boot-source\"?" },
	{ __LINE__, "{\"Machine-Config\": {}}", "vm.json: Machine-Config: unknown key; did you mean \"machine-config\"?" },
	{ __LINE__, "{\"drive\": []}", "vm.json: drive: unknown key; did you mean \"drives\"?" },
	{ __LINE__, "{\"foo\": 1}", "vm.json: foo: unknown key" },
	{ __LINE__, "{\"a.b\": 1}", "vm.json: [\"a.b\"]: unknown key" },
	{ __LINE__, "{\"\": 1}", "vm.json: [\"\"]: unknown key" },
	{ __LINE__, "{\"a\\nb\": 1}", "vm.json: [\"a?b\"]: unknown key" },
	{ __LINE__, "{" MIN ", \"foo\": 1, \"bar\": 2}", "vm.json: foo: unknown key" },
	{ __LINE__, "{\"\\u009b31m\": 1}", "vm.json: [\"??31m\"]: unknown key" },
	{ __LINE__, "{\"k\": \"\xff\"}", "vm.json:1:7: unable to decode byte 0xff near '\"'" },
	/* boot-source */
	{ __LINE__, "{\"boot-source\": [], " MACH "}", "vm.json: boot-source: expected an object, got array" },
	{ __LINE__, "{\"boot-source\": null, " MACH "}", "vm.json: boot-source: expected an object, got null" },
	{ __LINE__, "{\"boot-source\": {}, " MACH "}", "vm.json: boot-source.kernel_image_path: required" },
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": 5}, " MACH "}",
	  "vm.json: boot-source.kernel_image_path: expected a string, got integer" },
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": null}, " MACH "}",
	  "vm.json: boot-source.kernel_image_path: expected a string, got null" },
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": \"\"}, " MACH "}",
	  "vm.json: boot-source.kernel_image_path: must not be empty" },
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": \"/k\", \"initrd_path\": true}, " MACH "}",
	  "vm.json: boot-source.initrd_path: expected a string, got boolean" },
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": \"/k\", \"boot_args\": [\"a\"]}, " MACH "}",
	  "vm.json: boot-source.boot_args: expected a string, got array" },
	{ __LINE__, "{\"boot-source\": {\"kernel\": \"/k\"}, " MACH "}",
	  "vm.json: boot-source.kernel: unknown key; did you mean \"kernel_image_path\"?" },
	{ __LINE__, "{\"boot-source\": {\"initrd\": \"/i\", \"kernel_image_path\": \"/k\"}, " MACH "}",
	  "vm.json: boot-source.initrd: unknown key; did you mean \"initrd_path\"?" },
	{ __LINE__, "{\"boot-source\": {\"Boot-Args\": \"x\", \"kernel_image_path\": \"/k\"}, " MACH "}",
	  "vm.json: boot-source.Boot-Args: unknown key; did you mean \"boot_args\"?" },
	/* machine-config */
	{ __LINE__, "{" BOOT ", \"machine-config\": 4}", "vm.json: machine-config: expected an object, got integer" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu_count: required" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 2}}",
	  "vm.json: machine-config.mem_size_mib: required" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 0, \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu_count: must be 1..255, got 0" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 256, \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu_count: must be 1..255, got 256" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": -1, \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu_count: must be 1..255, got -1" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": \"2\", \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu_count: expected an integer, got string" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 2.0, \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu_count: expected an integer, got float" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 15}}",
	  "vm.json: machine-config.mem_size_mib: must be 16..1048576, got 15" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 1048577}}",
	  "vm.json: machine-config.mem_size_mib: must be 16..1048576, got 1048577" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 99999999999999999999}}",
	  "vm.json:1:117: too big integer near '99999999999999999999'" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpus\": 1, \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpus: unknown key; did you mean \"vcpu_count\"?" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu-count\": 1, \"mem_size_mib\": 128}}",
	  "vm.json: machine-config.vcpu-count: unknown key; did you mean \"vcpu_count\"?" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"memsize\": 128}}",
	  "vm.json: machine-config.memsize: unknown key; did you mean \"mem_size_mib\"?" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"memory\": 1}}",
	  "vm.json: machine-config.memory: unknown key" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"smt\": 1}}",
	  "vm.json: machine-config.smt: expected a boolean, got integer" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"ht_enabled\": true}}",
	  "vm.json: machine-config.ht_enabled: not supported by skiff; use \"smt\"" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"track_dirty_pages\": true}}",
	  "vm.json: machine-config.track_dirty_pages: not supported by skiff" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"huge_pages\": \"2M\"}}",
	  "vm.json: machine-config.huge_pages: not supported by skiff" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"cpu_template\": \"T2\"}}",
	  "vm.json: machine-config.cpu_template: not supported by skiff" },
	{ __LINE__, "{" BOOT ", \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128, \"cpu_template\": 0}}",
	  "vm.json: machine-config.cpu_template: expected a string, got integer" },
	/* document order: the first bad member wins over a later missing key */
	{ __LINE__, "{\"machine-config\": {\"vcpu_count\": 0}, \"boot-source\": {}}",
	  "vm.json: machine-config.vcpu_count: must be 1..255, got 0" },
	/* boot-source.firmware_tables */
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": \"/k\", \"firmware_tables\": \"uefi\"}, " MACH "}",
	  "vm.json: boot-source.firmware_tables: must be \"device-tree\" or \"acpi\", got \"uefi\"" },
#if defined(__x86_64__)
	{ __LINE__, "{\"boot-source\": {\"kernel_image_path\": \"/k\", \"firmware_tables\": \"device-tree\"}, " MACH "}",
	  "vm.json: boot-source.firmware_tables: x86_64 guests are described by ACPI only: use \"acpi\" or leave it out" },
#endif
	/* serial */
	{ __LINE__, "{" MIN ", \"serial\": \"stdio\"}", "vm.json: serial: expected an object, got string" },
	{ __LINE__, "{" MIN ", \"serial\": {\"mode\": \"tty\"}}",
	  "vm.json: serial.mode: must be \"stdio\", \"file\" or \"off\", got \"tty\"" },
	{ __LINE__, "{" MIN ", \"serial\": {\"mode\": \"file\"}}", "vm.json: serial.path: required when mode is \"file\"" },
	{ __LINE__, "{" MIN ", \"serial\": {\"path\": \"/tmp/x\"}}",
	  "vm.json: serial.path: only allowed when mode is \"file\"" },
	{ __LINE__, "{" MIN ", \"serial\": {\"mode\": \"off\", \"path\": \"/tmp/x\"}}",
	  "vm.json: serial.path: only allowed when mode is \"file\"" },
	{ __LINE__, "{" MIN ", \"serial\": {\"mode\": \"file\", \"path\": \"\"}}", "vm.json: serial.path: must not be empty" },
	{ __LINE__, "{" MIN ", \"serial\": {\"mod\": \"file\"}}", "vm.json: serial.mod: unknown key; did you mean \"mode\"?" },
	/* unimplemented sections */
	/* drives */
#define DRV(extra) "{\"drive_id\": \"rootfs\", \"path_on_host\": \"r.img\", \"is_root_device\": true" extra "}"
	{ __LINE__, "{" MIN ", \"drives\": [{\"drive_id\": \"rootfs\"}]}", "vm.json: drives[0].path_on_host: required" },
	{ __LINE__, "{" MIN ", \"drives\": {}}", "vm.json: drives: expected an array, got object" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"is_read_only\": 1") "]}",
	  "vm.json: drives[0].is_read_only: expected a boolean, got integer" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV("") ", " DRV("") "]}",
	  "vm.json: drives[1].drive_id: duplicate id \"rootfs\" (also drives[0])" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV("") ", {\"drive_id\": \"b\", \"path_on_host\": \"b\", \"is_root_device\": true}]}",
	  "vm.json: drives[1].is_root_device: only one drive can be the root device (drives[0] is)" },
	{ __LINE__, "{" MIN ", \"drives\": [{\"drive_id\": \"a-b\", \"path_on_host\": \"b\", \"is_root_device\": false}]}",
	  "vm.json: drives[0].drive_id: must contain only letters, digits and '_', got \"a-b\"" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"cache_type\": \"None\"") "]}",
	  "vm.json: drives[0].cache_type: must be \"Unsafe\" or \"Writeback\", got \"None\"" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"io_engine\": \"Uring\"") "]}",
	  "vm.json: drives[0].io_engine: must be \"Sync\" or \"Async\", got \"Uring\"" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"rate_limiter\": {}") "]}",
	  "vm.json: drives[0].rate_limiter: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"socket\": \"/tmp/vu.sock\"") "]}",
	  "vm.json: drives[0].socket: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"root_bus\": 16") "]}",
	  "vm.json: drives[0].root_bus: must be 0..15, got 16" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"slot\": 32") "]}",
	  "vm.json: drives[0].slot: must be 0..31, got 32" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"num_queues\": 0") "]}",
	  "vm.json: drives[0].num_queues: must be 1..16, got 0" },
	{ __LINE__, "{" MIN ", \"drives\": [" DRV(", \"path\": \"x\"") "]}",
	  "vm.json: drives[0].path: unknown key; did you mean \"path_on_host\"?" },
	{ __LINE__, "{" MIN ", \"serial\": {\"device\": \"hvc\"}}",
	  "vm.json: serial.device: must be \"com1\" or \"virtio\", got \"hvc\"" },
	/* network-interfaces */
	{ __LINE__, "{" MIN ", \"network-interfaces\": [1]}", "vm.json: network-interfaces[0]: expected an object, got integer" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": {}}", "vm.json: network-interfaces: expected an array, got object" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [{\"iface_id\": \"eth0\"}]}",
	  "vm.json: network-interfaces[0].host_dev_name: required" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": \"06:00:ac:10:00\"") "]}",
	  "vm.json: network-interfaces[0].guest_mac: must be a MAC address like \"06:00:ac:10:00:02\", got \"06:00:ac:10:00\"" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": \"06:00:ac:10:00:0g\"") "]}",
	  "vm.json: network-interfaces[0].guest_mac: must be a MAC address like \"06:00:ac:10:00:02\", got \"06:00:ac:10:00:0g\"" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": \"06-00-ac-10-00-02\"") "]}",
	  "vm.json: network-interfaces[0].guest_mac: must be a MAC address like \"06:00:ac:10:00:02\", got \"06-00-ac-10-00-02\"" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": \"01:00:5e:00:00:01\"") "]}",
	  "vm.json: network-interfaces[0].guest_mac: 01:00:5e:00:00:01 is a multicast address; the guest needs a unicast one" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": \"00:00:00:00:00:00\"") "]}",
	  "vm.json: network-interfaces[0].guest_mac: must not be all zeros" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": 6") "]}",
	  "vm.json: network-interfaces[0].guest_mac: expected a string, got integer" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"a234567890123456\"}]}",
	  "vm.json: network-interfaces[0].host_dev_name: must be at most 15 characters (a Linux interface name), got \"a234567890123456\"" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"a/b\"}]}",
	  "vm.json: network-interfaces[0].host_dev_name: \"a/b\" is not a valid interface name" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"rx_rate_limiter\": {}") "]}",
	  "vm.json: network-interfaces[0].rx_rate_limiter: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"tx_rate_limiter\": {\"bandwidth\": null}") "]}",
	  "vm.json: network-interfaces[0].tx_rate_limiter: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"queue_pairs\": 8") "]}",
	  "vm.json: network-interfaces[0].queue_pairs: must be 1..7, got 8" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"vhost\": 1") "]}",
	  "vm.json: network-interfaces[0].vhost: expected a boolean, got integer" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF(", \"host_dev\": \"x\"") "]}",
	  "vm.json: network-interfaces[0].host_dev: unknown key; did you mean \"host_dev_name\"?" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF("") ", " NIF("") "]}",
	  "vm.json: network-interfaces[1].iface_id: duplicate id \"eth0\" (also network-interfaces[0])" },
	{ __LINE__, "{" MIN ", \"network-interfaces\": [" NIF("") ", {\"iface_id\": \"eth1\", \"host_dev_name\": \"tap0\"}]}",
	  "vm.json: network-interfaces[1].host_dev_name: tap \"tap0\" is already used by network-interfaces[0]" },
	/* vsock */
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 3}}", "vm.json: vsock.uds_path: required" },
	{ __LINE__, "{" MIN ", \"vsock\": {}}", "vm.json: vsock.guest_cid: required" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 2, \"uds_path\": \"/tmp/v\"}}",
	  "vm.json: vsock.guest_cid: must be 3 or more (0-2 are reserved: hypervisor, local, host), got 2" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 4294967295, \"uds_path\": \"/tmp/v\"}}",
	  "vm.json: vsock.guest_cid: must be 3..4294967294, got 4294967295" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": \"3\", \"uds_path\": \"/tmp/v\"}}",
	  "vm.json: vsock.guest_cid: expected an integer, got string" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"\"}}", "vm.json: vsock.uds_path: must not be empty" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"/tmp/v\", \"vhost\": \"yes\"}}",
	  "vm.json: vsock.vhost: expected a boolean, got string" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"/tmp/v\", \"vsock_id\": \"a b\"}}",
	  "vm.json: vsock.vsock_id: must contain only letters, digits and '_', got \"a b\"" },
	{ __LINE__, "{" MIN ", \"vsock\": {\"guest_cid\": 3, \"uds_pth\": \"/tmp/v\"}}",
	  "vm.json: vsock.uds_pth: unknown key; did you mean \"uds_path\"?" },
	{ __LINE__, "{" MIN ", \"balloon\": 0}", "vm.json: balloon: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"logger\": false}", "vm.json: logger: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"metrics\": \"\"}", "vm.json: metrics: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"mmds-config\": {\"a\": null}}", "vm.json: mmds-config: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"entropy\": {\"rate_limiter\": {}}}", "vm.json: entropy.rate_limiter: not supported by skiff" },
	{ __LINE__, "{" MIN ", \"entropy\": []}", "vm.json: entropy: expected an object, got array" },
	{ __LINE__, "{" MIN ", \"cpu-config\": [[]]}", "vm.json: cpu-config: not supported by skiff" },
	/* vfio */
	{ __LINE__, "{" MIN ", \"vfio\": [\"0000:00:01.0\"]}", "vm.json: vfio[0]: expected an object, got string" },
	{ __LINE__, "{" MIN ", \"vfio\": {}}", "vm.json: vfio: expected an array, got object" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"bdf\": \"0000:00:03.0\"}]}", "vm.json: vfio[0].id: required" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"nvme0\"}]}", "vm.json: vfio[0].bdf: required" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"nvme-0\", \"bdf\": \"0000:00:03.0\"}]}",
	  "vm.json: vfio[0].id: must contain only letters, digits and '_', got \"nvme-0\"" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"a23456789012345678901\", \"bdf\": \"0000:00:03.0\"}]}",
	  "vm.json: vfio[0].id: must be at most 20 characters" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"00:03.0\"}]}",
	  "vm.json: vfio[0].bdf: must be a PCI address DDDD:BB:DD.F (device 00..1f, function 0..7), e.g. \"0000:00:03.0\", got \"00:03.0\"" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"0000:00:20.0\"}]}",
	  "vm.json: vfio[0].bdf: must be a PCI address DDDD:BB:DD.F (device 00..1f, function 0..7), e.g. \"0000:00:03.0\", got \"0000:00:20.0\"" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"0000:00:03.8\"}]}",
	  "vm.json: vfio[0].bdf: must be a PCI address DDDD:BB:DD.F (device 00..1f, function 0..7), e.g. \"0000:00:03.0\", got \"0000:00:03.8\"" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": 3}]}", "vm.json: vfio[0].bdf: expected a string, got integer" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"0000:00:03.0\", \"root_bus\": 16}]}",
	  "vm.json: vfio[0].root_bus: must be 0..15, got 16" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"0000:00:03.0\", \"slot\": 32}]}",
	  "vm.json: vfio[0].slot: must be 0..31, got 32" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"0000:00:03.0\", \"rootbus\": 0}]}",
	  "vm.json: vfio[0].rootbus: unknown key; did you mean \"root_bus\"?" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"n\", \"bdf\": \"0000:00:03.0\"}, {\"id\": \"n\", \"bdf\": \"0000:00:04.0\"}]}",
	  "vm.json: vfio[1].id: duplicate id \"n\" (also vfio[0])" },
	{ __LINE__, "{" MIN ", \"vfio\": [{\"id\": \"a\", \"bdf\": \"0000:00:03.0\"}, {\"id\": \"b\", \"bdf\": \"0000:00:03.0\"}]}",
	  "vm.json: vfio[1].bdf: 0000:00:03.0 is already assigned by vfio[0]" },
	/* iommu */
	{ __LINE__, "{" MIN ", \"iommu\": {\"type\": \"smmu\"}}", "vm.json: iommu.type: unknown key" },
	{ __LINE__, "{" MIN ", \"iommu\": {\"enable\": true}}", "vm.json: iommu.enable: unknown key; did you mean \"enabled\"?" },
	{ __LINE__, "{" MIN ", \"iommu\": true}", "vm.json: iommu: expected an object, got boolean" },
	{ __LINE__, "{" MIN ", \"iommu\": {\"enabled\": 1}}", "vm.json: iommu.enabled: expected a boolean, got integer" },
	{ __LINE__, "{" MIN ", \"iommu\": {\"enabled\": true, \"address_width\": 52}}",
	  "vm.json: iommu.address_width: must be 48 (4-level tables) or 57 (5-level), got 52" },
	{ __LINE__, "{" MIN ", \"iommu\": {\"address_width\": \"48\"}}",
	  "vm.json: iommu.address_width: expected an integer, got string" },
	{ __LINE__, "{\"iommu\": {\"enabled\": true}, \"boot-source\": {\"kernel_image_path\": \"/k\", \"boot_args\": "
	  "\"console=ttyS0 pci=off\"}, " MACH "}",
	  "vm.json: iommu.enabled: boot-source.boot_args has pci=off, and virtio-mmio devices cannot sit behind a "
	  "vIOMMU; drop pci=off or the iommu section" },
	{ __LINE__, "{" MIN ", \"vsocks\": {}}", "vm.json: vsocks: unknown key; did you mean \"vsock\"?" },
};

static void check_bad(const struct bad *b)
{
	struct skiff_config cfg;
	char err[CONFIG_ERR_MAX];

	memset(&cfg, 0xa5, sizeof(cfg));
	struct skiff_config before = cfg;
	int rc = config_load_buffer("vm.json", b->json, strlen(b->json), &cfg, err, sizeof(err));
	CHECK_MSG(rc == -EINVAL, "case at line %d: rc %d, want -EINVAL", b->line, rc);
	CHECK_MSG(strcmp(err, b->msg) == 0, "case at line %d:\n   got: %s\n  want: %s", b->line, err, b->msg);
	CHECK_MSG(memcmp(&cfg, &before, sizeof(cfg)) == 0, "case at line %d: ret modified on failure", b->line);
}

static int load_ok(const char *json, struct skiff_config *cfg)
{
	char err[CONFIG_ERR_MAX];
	int rc = config_load_buffer("vm.json", json, strlen(json), cfg, err, sizeof(err));
	CHECK_MSG(rc == 0, "good config rejected: %s (%s)", err, json);
	return rc;
}

static bool streq_null(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void test_good(void)
{
	struct skiff_config cfg;

	/* Minimal config: defaults. */
	if (load_ok("{" MIN "}", &cfg) == 0) {
		CHECK_MSG(streq_null(cfg.source, "vm.json"), "source %s", cfg.source);
		CHECK_MSG(streq_null(cfg.kernel_image_path, "/k"), "kernel %s", cfg.kernel_image_path);
		CHECK_MSG(cfg.initrd_path == NULL, "initrd not NULL");
		CHECK_MSG(cfg.boot_args == NULL, "boot_args not NULL");
		CHECK_MSG(cfg.firmware_tables == FIRMWARE_TABLES_DEFAULT, "firmware_tables default");
		CHECK_MSG(cfg.vcpu_count == 1, "vcpu_count %u", cfg.vcpu_count);
		CHECK_MSG(cfg.mem_size_mib == 128, "mem %llu", (unsigned long long)cfg.mem_size_mib);
		CHECK_MSG(!cfg.smt, "smt default");
		CHECK_MSG(cfg.serial_mode == SERIAL_STDIO, "serial default");
		CHECK_MSG(cfg.serial_path == NULL, "serial_path default");
		config_free(&cfg);
		CHECK_MSG(cfg.source == NULL && cfg.kernel_image_path == NULL, "config_free clears");
	}

	/* Firecracker-shaped, every unimplemented section null. */
	static const char full[] =
		"{\n"
		"  \"boot-source\": {\n"
		"    \"kernel_image_path\": \"vmlinux.bin\",\n"
		"    \"boot_args\": \"console=ttyS0 reboot=k panic=1 pci=off\",\n"
		"    \"initrd_path\": \"initrd.img\"\n"
		"  },\n"
		"  \"drives\": null,\n"
		"  \"machine-config\": {\n"
		"    \"vcpu_count\": 255,\n"
		"    \"mem_size_mib\": 1048576,\n"
		"    \"smt\": false,\n"
		"    \"ht_enabled\": false,\n"
		"    \"track_dirty_pages\": false,\n"
		"    \"huge_pages\": \"None\",\n"
		"    \"cpu_template\": \"None\"\n"
		"  },\n"
		"  \"cpu-config\": null,\n"
		"  \"balloon\": null,\n"
		"  \"network-interfaces\": null,\n"
		"  \"vsock\": null,\n"
		"  \"logger\": null,\n"
		"  \"metrics\": null,\n"
		"  \"mmds-config\": null,\n"
		"  \"entropy\": null,\n"
		"  \"vfio\": null,\n"
		"  \"iommu\": null\n"
		"}\n";
	if (load_ok(full, &cfg) == 0) {
		CHECK_MSG(streq_null(cfg.kernel_image_path, "vmlinux.bin"), "kernel %s", cfg.kernel_image_path);
		CHECK_MSG(streq_null(cfg.initrd_path, "initrd.img"), "initrd %s", cfg.initrd_path);
		CHECK_MSG(streq_null(cfg.boot_args, "console=ttyS0 reboot=k panic=1 pci=off"), "args %s", cfg.boot_args);
		CHECK_MSG(cfg.vcpu_count == 255, "vcpu_count %u", cfg.vcpu_count);
		CHECK_MSG(cfg.mem_size_mib == 1048576, "mem %llu", (unsigned long long)cfg.mem_size_mib);
		CHECK_MSG(!cfg.smt, "smt");
		config_free(&cfg);
	}

	/* Empty arrays/objects for unimplemented sections; null optionals. */
	static const char empties[] =
		"{\"boot-source\": {\"kernel_image_path\": \"/k\", \"initrd_path\": null, \"boot_args\": null},"
		" \"machine-config\": {\"vcpu_count\": 2, \"mem_size_mib\": 16, \"smt\": null, \"ht_enabled\": null,"
		" \"track_dirty_pages\": null, \"huge_pages\": null, \"cpu_template\": null},"
		" \"drives\": [], \"network-interfaces\": [], \"vsock\": null, \"balloon\": {}, \"logger\": {},"
		" \"metrics\": {}, \"mmds-config\": {}, \"entropy\": {}, \"cpu-config\": {}, \"vfio\": [], \"iommu\": {},"
		" \"serial\": null}";
	if (load_ok(empties, &cfg) == 0) {
		CHECK_MSG(cfg.initrd_path == NULL && cfg.boot_args == NULL, "null optionals");
		CHECK_MSG(cfg.vcpu_count == 2 && cfg.mem_size_mib == 16, "values");
		CHECK_MSG(cfg.serial_mode == SERIAL_STDIO, "serial null -> stdio");
		config_free(&cfg);
	}

	/* vfio: defaults, explicit placement, BDF case folded. */
	if (load_ok("{" MIN ", \"vfio\": [{\"id\": \"nvme0\", \"bdf\": \"0000:00:03.0\"},"
		    " {\"id\": \"gpu\", \"bdf\": \"0000:AB:1F.7\", \"root_bus\": 1, \"slot\": 5}]}", &cfg) == 0) {
		CHECK_EQ(cfg.nr_vfio, 2);
		CHECK(streq_null(cfg.vfio[0].id, "nvme0") && streq_null(cfg.vfio[0].bdf, "0000:00:03.0"));
		CHECK(cfg.vfio[0].root_bus == -1 && cfg.vfio[0].slot == -1);
		CHECK(streq_null(cfg.vfio[1].bdf, "0000:ab:1f.7"));
		CHECK(cfg.vfio[1].root_bus == 1 && cfg.vfio[1].slot == 5);
		config_free(&cfg);
	}

	/* iommu: off by default, {} and null too; enabled with the default or a 5-level width. */
	if (load_ok("{" MIN "}", &cfg) == 0) {
		CHECK(!cfg.iommu.enabled && cfg.iommu.address_width == 48);
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"iommu\": {}}", &cfg) == 0) {
		CHECK(!cfg.iommu.enabled && cfg.iommu.address_width == 48);
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"iommu\": {\"enabled\": true}}", &cfg) == 0) {
		CHECK(cfg.iommu.enabled && cfg.iommu.address_width == 48);
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"iommu\": {\"enabled\": true, \"address_width\": 57}}", &cfg) == 0) {
		CHECK(cfg.iommu.enabled && cfg.iommu.address_width == 57);
		config_free(&cfg);
	}
	if (load_ok("{\"boot-source\": {\"kernel_image_path\": \"/k\", \"firmware_tables\": \"acpi\"}, " MACH "}",
		    &cfg) == 0) {
		CHECK(cfg.firmware_tables == FIRMWARE_TABLES_ACPI);
		config_free(&cfg);
	}
	if (load_ok("{\"boot-source\": {\"kernel_image_path\": \"/k\", \"firmware_tables\": null}, " MACH "}",
		    &cfg) == 0) {
		CHECK(cfg.firmware_tables == FIRMWARE_TABLES_DEFAULT);
		config_free(&cfg);
	}
	/* Off with pci=off is fine; "pci=offx" is not pci=off. */
	if (load_ok("{\"boot-source\": {\"kernel_image_path\": \"/k\", \"boot_args\": \"pci=off\"}, " MACH
		    ", \"iommu\": {\"enabled\": false, \"address_width\": null}}", &cfg) == 0) {
		CHECK(!cfg.iommu.enabled && cfg.iommu.address_width == 48);
		config_free(&cfg);
	}
	if (load_ok("{\"boot-source\": {\"kernel_image_path\": \"/k\", \"boot_args\": \"pci=offx\"}, " MACH
		    ", \"iommu\": {\"enabled\": true}}", &cfg) == 0) {
		CHECK(cfg.iommu.enabled);
		config_free(&cfg);
	}

	/* smt and an empty command line. */
	if (load_ok("{\"boot-source\": {\"kernel_image_path\": \"/k\", \"boot_args\": \"\"},"
		    " \"machine-config\": {\"vcpu_count\": 4, \"mem_size_mib\": 512, \"smt\": true}}",
		    &cfg) == 0) {
		CHECK_MSG(cfg.smt, "smt true");
		CHECK_MSG(streq_null(cfg.boot_args, ""), "empty boot_args kept");
		config_free(&cfg);
	}

	/* serial modes */
	if (load_ok("{" MIN ", \"serial\": {\"mode\": \"file\", \"path\": \"/tmp/console.log\"}}", &cfg) == 0) {
		CHECK_MSG(cfg.serial_mode == SERIAL_FILE, "serial file");
		CHECK_MSG(streq_null(cfg.serial_path, "/tmp/console.log"), "serial path %s", cfg.serial_path);
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"serial\": {\"mode\": \"off\"}}", &cfg) == 0) {
		CHECK_MSG(cfg.serial_mode == SERIAL_OFF && cfg.serial_path == NULL, "serial off");
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"serial\": {\"mode\": \"stdio\", \"path\": null}}", &cfg) == 0) {
		CHECK_MSG(cfg.serial_mode == SERIAL_STDIO && cfg.serial_path == NULL, "serial stdio");
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"serial\": {}}", &cfg) == 0) {
		CHECK_MSG(cfg.serial_mode == SERIAL_STDIO, "serial {}");
		config_free(&cfg);
	}
	/* Non-ASCII strings pass through unchanged. */
	if (load_ok("{\"boot-source\": {\"kernel_image_path\": \"/boot/k\\u00e9rnel\"}, " MACH "}", &cfg) == 0) {
		CHECK_MSG(streq_null(cfg.kernel_image_path, "/boot/k\xc3\xa9rnel"), "utf-8 %s", cfg.kernel_image_path);
		config_free(&cfg);
	}

	config_free(NULL);
}

/* Messages are cut to errlen, NUL-terminated, never splitting UTF-8. */
static void test_good_devices(void)
{
	struct skiff_config cfg;

	if (load_ok("{" MIN ", \"drives\": [" DRV(", \"partuuid\": \"1234-01\", \"cache_type\": \"Writeback\","
		    " \"io_engine\": \"Async\", \"rate_limiter\": null, \"socket\": null, \"num_queues\": 4")
		    ", {\"drive_id\": \"data_1\", \"path_on_host\": \"d.img\", \"is_root_device\": false,"
		    " \"is_read_only\": true, \"root_bus\": 2}],"
		    " \"entropy\": {\"rate_limiter\": null}, \"serial\": {\"device\": \"virtio\"}}", &cfg) == 0) {
		CHECK_MSG(cfg.nr_drives == 2, "two drives");
		CHECK_MSG(streq_null(cfg.drives[0].drive_id, "rootfs") && cfg.drives[0].is_root_device, "drive 0 id/root");
		CHECK_MSG(streq_null(cfg.drives[0].partuuid, "1234-01"), "drive 0 partuuid");
		CHECK_MSG(cfg.drives[0].cache_type == DRIVE_CACHE_WRITEBACK && cfg.drives[0].num_queues == 4,
			  "drive 0 cache/queues");
		CHECK_MSG(cfg.drives[0].root_bus == -1 && cfg.drives[0].slot == -1 && !cfg.drives[0].is_read_only,
			  "drive 0 defaults");
		CHECK_MSG(streq_null(cfg.drives[1].path_on_host, "d.img") && cfg.drives[1].is_read_only, "drive 1");
		CHECK_MSG(cfg.drives[1].root_bus == 2 && cfg.drives[1].num_queues == 1 &&
			  cfg.drives[1].cache_type == DRIVE_CACHE_UNSAFE, "drive 1 bus/defaults");
		CHECK_MSG(cfg.entropy, "entropy object adds virtio-rng");
		CHECK_MSG(cfg.console_device == CONSOLE_VIRTIO, "virtio console");
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"network-interfaces\": [" NIF(", \"guest_mac\": \"06:00:AC:10:00:02\", "
		    "\"rx_rate_limiter\": null, \"tx_rate_limiter\": null, \"vhost\": true, \"queue_pairs\": 2, \"slot\": 4")
		    ", {\"iface_id\": \"eth1\", \"host_dev_name\": \"tap1\", \"guest_mac\": null}],"
		    " \"vsock\": {\"vsock_id\": \"vsock0\", \"guest_cid\": 4294967294, \"uds_path\": \"/tmp/v.sock\", \"vhost\": true}}",
		    &cfg) == 0) {
		static const uint8_t mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

		CHECK_EQ(cfg.nr_net, 2);
		CHECK(streq_null(cfg.net[0].iface_id, "eth0") && streq_null(cfg.net[0].host_dev_name, "tap0"));
		CHECK(cfg.net[0].has_mac && memcmp(cfg.net[0].guest_mac, mac, 6) == 0);
		CHECK(cfg.net[0].vhost && cfg.net[0].queue_pairs == 2 && cfg.net[0].slot == 4 && cfg.net[0].root_bus == -1);
		CHECK(!cfg.net[1].has_mac && !cfg.net[1].vhost && cfg.net[1].queue_pairs == 1 && cfg.net[1].slot == -1);
		CHECK(cfg.vsock.enabled && cfg.vsock.guest_cid == 4294967294u && streq_null(cfg.vsock.uds_path, "/tmp/v.sock"));
		CHECK(cfg.vsock.vhost);
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"network-interfaces\": null, \"vsock\": null, \"balloon\": null, \"logger\": null,"
		    " \"metrics\": null, \"mmds-config\": null, \"entropy\": null, \"cpu-config\": null, \"drives\": null}",
		    &cfg) == 0) {
		CHECK(cfg.nr_net == 0 && !cfg.vsock.enabled && cfg.nr_drives == 0 && !cfg.entropy);
		config_free(&cfg);
	}
	if (load_ok("{" MIN ", \"drives\": [], \"entropy\": null}", &cfg) == 0) {
		CHECK_MSG(cfg.nr_drives == 0 && cfg.drives == NULL && !cfg.entropy, "empty drives, no entropy");
		CHECK_MSG(cfg.console_device == CONSOLE_COM1, "COM1 console by default");
		config_free(&cfg);
	}
}

static void test_truncation(void)
{
	struct skiff_config cfg;
	char err[24];
	static const char doc[] = "{\"bootsource\": {}}";

	memset(err, 'X', sizeof(err));
	int rc = config_load_buffer("vm.json", doc, strlen(doc), &cfg, err, sizeof(err));
	CHECK_MSG(rc == -EINVAL, "rc %d", rc);
	CHECK_MSG(strcmp(err, "vm.json: bootsource: un") == 0, "truncated: %s", err);

	/* "é" is two bytes; the cut would fall between them. */
	char small[13];
	static const char doc2[] = "{\"\xc3\xa9\xc3\xa9\": 1}";
	rc = config_load_buffer("vm.json", doc2, strlen(doc2), &cfg, small, 12);
	CHECK_MSG(rc == -EINVAL, "rc %d", rc);
	CHECK_MSG(strcmp(small, "vm.json: [\"") == 0, "utf-8 cut: %s", small);
	rc = config_load_buffer("vm.json", doc2, strlen(doc2), &cfg, small, 13);
	CHECK_MSG(strcmp(small, "vm.json: [\"") == 0, "utf-8 cut 2: %s", small);

	/* errlen 0 and NULL err are allowed. */
	rc = config_load_buffer("vm.json", doc, strlen(doc), &cfg, NULL, 0);
	CHECK_MSG(rc == -EINVAL, "rc %d", rc);
}

static void test_files(void)
{
	struct skiff_config cfg;
	char err[CONFIG_ERR_MAX];
	char dir[] = "/tmp/skiff-config-test-XXXXXX";

	if (!mkdtemp(dir)) {
		CHECK_MSG(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	char good[sizeof(dir) + 16], bad[sizeof(dir) + 16], missing[sizeof(dir) + 16];
	snprintf(good, sizeof(good), "%s/good.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	snprintf(missing, sizeof(missing), "%s/missing.json", dir);

	FILE *f = fopen(good, "w");
	CHECK_MSG(f != NULL, "fopen");
	if (f) {
		fputs("{\n" BOOT ",\n" MACH ",\n\"serial\": {\"mode\": \"off\"}\n}\n", f);
		fclose(f);
	}
	f = fopen(bad, "w");
	CHECK_MSG(f != NULL, "fopen");
	if (f) {
		fputs("{\n  \"boot-source\": {\"kernel_image_path\": \"/k\"},\n"
		      "  \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": 128,}\n}\n",
		      f);
		fclose(f);
	}

	int rc = config_load_file(good, &cfg, err, sizeof(err));
	CHECK_MSG(rc == 0, "good file: %s", err);
	if (rc == 0) {
		CHECK_MSG(streq_null(cfg.source, good), "source %s", cfg.source);
		CHECK_MSG(cfg.serial_mode == SERIAL_OFF, "serial off");
		CHECK_MSG(cfg.vcpu_count == 1 && cfg.mem_size_mib == 128, "values");
		config_free(&cfg);
	}

	char want[CONFIG_ERR_MAX];
	rc = config_load_file(bad, &cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:3:59: string or '}' expected near '}'", bad);
	CHECK_MSG(rc == -EINVAL, "bad file rc %d", rc);
	CHECK_MSG(strcmp(err, want) == 0, "bad file:\n   got: %s\n  want: %s", err, want);

	rc = config_load_file(missing, &cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	CHECK_MSG(rc == -ENOENT, "missing rc %d", rc);
	CHECK_MSG(strcmp(err, want) == 0, "missing:\n   got: %s\n  want: %s", err, want);

	rc = config_load_file(dir, &cfg, err, sizeof(err));
	snprintf(want, sizeof(want), "%s: Is a directory", dir);
	CHECK_MSG(rc == -EISDIR, "dir rc %d", rc);
	CHECK_MSG(strcmp(err, want) == 0, "dir:\n   got: %s\n  want: %s", err, want);

	unlink(good);
	unlink(bad);
	rmdir(dir);
}

/* One more element than each array allows: the shared limit check names it. */
static void test_array_limits(void)
{
	static const struct { const char *key, *elem, *msg; unsigned n; } cases[] = {
		{ "drives", "{\"drive_id\": \"d%u\", \"path_on_host\": \"p\", \"is_root_device\": false}",
		  "vm.json: drives: at most 32 drives, got 33", 33 },
		{ "vfio", "{\"id\": \"v%u\", \"bdf\": \"0000:00:03.0\"}",
		  "vm.json: vfio: at most 16 devices, got 17", 17 },
		{ "network-interfaces", "{\"iface_id\": \"n%u\", \"host_dev_name\": \"tap\"}",
		  "vm.json: network-interfaces: at most 8 network interfaces, got 9", 9 },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char json[8192], elem[256];
		struct bad b = { .line = __LINE__, .json = json, .msg = cases[k].msg };
		int len = snprintf(json, sizeof(json), "{" MIN ", \"%s\": [", cases[k].key);

		for (unsigned i = 0; i < cases[k].n; i++) {
			snprintf(elem, sizeof(elem), cases[k].elem, i);
			len += snprintf(json + len, sizeof(json) - (size_t)len, "%s%s", i ? ", " : "", elem);
		}
		snprintf(json + len, sizeof(json) - (size_t)len, "]}");
		check_bad(&b);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(&bad_cases[i]);
	test_good();
	test_good_devices();
	test_truncation();
	test_array_limits();
	test_files();

	printf("config: %zu bad configs\n", sizeof(bad_cases) / sizeof(bad_cases[0]));
	return check_summary("config");
}
