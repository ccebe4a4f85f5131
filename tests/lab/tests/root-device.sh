#!/usr/bin/env bash
# lab-run: --timeout 900
# A root drive (is_root_device: true) holding an ext4 root file system (the
# test guest's busybox tree with its init as /sbin/init), no initrd, on PCIe
# and on virtio-mmio (pci=off): skiff appends root=/dev/vda, the kernel
# mounts the disk and runs /sbin/init from it.
. "$(dirname "$0")/../lib.sh"
need kernel vmm
need_tools mkfs.ext4
"$LAB_HERE/make-guest-initramfs" --tree "$WORK/root" || { fail "make-guest-initramfs --tree failed"; finish; }
token=rootdisk-$$-$RANDOM
echo "$token" > "$WORK/root/etc/skiff-rootdisk"
cat > "$WORK/root/skiff-test.sh" <<'GUEST'
echo "SKIFF-FACT rootdisk=$(cat /etc/skiff-rootdisk)"
echo "SKIFF-FACT rootdev=$(awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts)"
echo "SKIFF-FACT pid1=$(tr '\0' ' ' < /proc/1/cmdline)"
# Shut down as an init would: root read-only first (blk-ext4 covers a
# power-off with a dirty mount).
mount -o remount,ro / && echo "SKIFF-FACT remount_ro=ok"
GUEST

# one_transport NAME EXTRA-BOOT-ARGS
one_transport() {
    local name=$1 args=$2 img=$WORK/$1.img
    log "--- $name ---"
    mkext4 "$img" 64M "$WORK/root"
    write_config "$WORK/$name.json" --no-initrd --action script ${args:+--args "$args"} \
        --drive "rootfs=$img,root"
    run_vm "$WORK/$name.json"
    expect_rc 0
    expect_up
    local c; c=$(fact cmdline)
    case " $c " in
    *" root=/dev/vda "*) log "cmdline: $c" ;;
    *) fail "no root=/dev/vda in the guest's cmdline: $c"; show_out ;;
    esac
    expect_fact rootfs ext4
    expect_fact rootdisk "$token"
    expect_fact pid1 "/bin/sh /sbin/init "
    expect_fact script_rc 0
    expect_fact remount_ro ok
    log "/ is $(fact rootdev) ($(fact rootfs)), pid 1: $(fact pid1)"
}
one_transport pcie ""
one_transport mmio "pci=off"
finish
