#!/usr/bin/env bash
# The guest panics (sysrq c, panic=-1): skiff exits 3, and says so only
# after the guest printed its panic message (pvpanic comes first).
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --action panic
run_vm "$WORK/vm.json"
expect_rc 3
expect_line '^SKIFF-FACT action=panic' "the guest did not reach the panic action"
expect_line 'Kernel panic - not syncing' "the guest's panic message was lost"
expect_line 'guest panicked' "skiff did not report the panic"
finish
