#!/usr/bin/env bash
# boot_args reach the guest (a unique token shows in /proc/cmdline) and the
# given initramfs is the one that runs (its marker file is seen).
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
token=skiff.token=t$$x$(date +%s%N | tail -c 9)
write_config "$WORK/vm.json" --args "$token"
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
case " $(fact cmdline) " in
*" $token "*) log "token $token in the guest's cmdline" ;;
*) fail "token $token not in the guest's cmdline: '$(fact cmdline)'"; show_out ;;
esac
expect_fact initramfs "skiff-test-initramfs v1"
finish
