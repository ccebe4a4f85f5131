#!/usr/bin/env bash
# 1 vCPU, 128 MiB: the guest sees 1 CPU and MemTotal between 90 and 128 MiB.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --vcpus 1 --mem 128
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact nproc 1
expect_fact_range memtotal_kib $((90 * 1024)) $((128 * 1024))
finish
