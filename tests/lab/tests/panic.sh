#!/usr/bin/env bash
# The guest panics (sysrq c, panic=-1): skiff exits 3.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --action panic
run_vm "$WORK/vm.json"
expect_rc 3
expect_line '^SKIFF-FACT action=panic' "the guest did not reach the panic action"
finish
