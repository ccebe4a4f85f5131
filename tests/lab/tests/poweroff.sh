#!/usr/bin/env bash
# The guest powers off: skiff exits 0.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --action poweroff
run_vm "$WORK/vm.json"
expect_rc 0
expect_line '^SKIFF-FACT action=poweroff' "the guest did not reach the poweroff action"
finish
