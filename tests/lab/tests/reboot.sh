#!/usr/bin/env bash
# The guest reboots (reboot=k, reboot -f): skiff exits 0.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --action reboot
run_vm "$WORK/vm.json"
expect_rc 0
expect_line '^SKIFF-FACT action=reboot' "the guest did not reach the reboot action"
# One boot only: a reboot ends the VM, it does not restart the guest.
n=$(grep -c '^SKIFF-GUEST-UP' "$OUT")
[ "$n" = 1 ] || { fail "the guest came up $n times"; show_out; }
finish
