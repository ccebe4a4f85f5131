#!/usr/bin/env bash
# lab-run: none
# vcpu_count 0 is a config error: exit 2, message names machine-config.vcpu_count.
# Needs no lab: run-tests runs it directly.
. "$(dirname "$0")/../lib.sh"
need vmm
write_config "$WORK/vm.json" --vcpus 0
run_vm "$WORK/vm.json"
expect_rc 2
expect_line 'machine-config\.vcpu_count' "no message naming machine-config.vcpu_count"
finish
