#!/usr/bin/env bash
# lab-run: --smp 2
# 2 vCPUs: the guest sees 2 CPUs.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --vcpus 2 --mem 256
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact nproc 2
finish
