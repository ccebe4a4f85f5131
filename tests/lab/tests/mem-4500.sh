#!/usr/bin/env bash
# lab-run: --mem 6144 --timeout 600
# A 4.5 GiB guest (memory above the 32-bit PCI hole): MemTotal > 4.3 GiB.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --vcpus 1 --mem 4608
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact_range memtotal_kib $((4403 * 1024)) $((4608 * 1024))
finish
