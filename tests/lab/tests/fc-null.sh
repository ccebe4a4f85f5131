#!/usr/bin/env bash
# A config shaped the way Firecracker writes one (every section present,
# the optional ones null or empty, the optional keys null or at their
# defaults) boots and powers off.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
cat > "$WORK/vm.json" <<JSON
{
  "boot-source": {
    "kernel_image_path": $(json_str "$GUEST_KERNEL"),
    "initrd_path": $(json_str "$GUEST_INITRD"),
    "boot_args": $(json_str "$BASE_ARGS skiff.action=poweroff")
  },
  "drives": [],
  "machine-config": {
    "vcpu_count": 1,
    "mem_size_mib": 128,
    "smt": false,
    "track_dirty_pages": false,
    "huge_pages": "None",
    "cpu_template": null
  },
  "cpu-config": null,
  "balloon": null,
  "network-interfaces": [],
  "vsock": null,
  "logger": null,
  "metrics": null,
  "mmds-config": null,
  "entropy": null
}
JSON
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact action poweroff
finish
