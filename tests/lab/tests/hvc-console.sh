#!/usr/bin/env bash
# "serial": {"device": "virtio"} with console=hvc0: the guest's console is
# a virtio-console; its init output reaches skiff's stdout through hvc0 and
# the kernel reports hvc0 as the console.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
cat > "$WORK/guest.sh" <<'GUEST'
echo "SKIFF-FACT consoles=$(awk '{ printf "%s ", $1 }' /proc/consoles)"
echo "SKIFF-FACT console_active=$(cat /sys/class/tty/console/active)"
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script --console hvc0 \
    --section '"serial": {"device": "virtio"}'
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact initramfs "skiff-test-initramfs v1"
expect_fact consoles "hvc0 "
expect_fact console_active hvc0
expect_fact script_rc 0
log "guest consoles: $(fact consoles); active: $(fact console_active)"
finish
