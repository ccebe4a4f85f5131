#!/usr/bin/env bash
# PVH boot of the ELF vmlinux (Xen PVH entry note).
. "$(dirname "$0")/../lib.sh"
need vmlinux initrd vmm
write_config "$WORK/vm.json" --kernel "$GUEST_VMLINUX" --vcpus 1 --mem 256
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact nproc 1
expect_fact initramfs "skiff-test-initramfs v1"
finish
