#!/usr/bin/env bash
# lab-run: --timeout 900
# A virtio-blk disk with an ext4 image made on the VMM's host, once on PCIe
# (default) and once on virtio-mmio (pci=off, devices described by ACPI):
# the guest finds it as /dev/vda, checks a known file's sha256, writes a new
# file and its dmesg, syncs and powers off; the host checks the new file
# (e2fsck, debugfs) and that the guest's dmesg has no ACPI errors/warnings.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
need_tools mkfs.ext4 e2fsck debugfs

token=blk-ext4-$$-$RANDOM
cat > "$WORK/guest.sh" <<GUEST
$GUEST_WAIT_DEV
wait_dev /dev/vda
mount -t ext4 /dev/vda /mnt || { echo "SKIFF-FACT mount=failed"; exit 1; }
echo "SKIFF-FACT mount=ok"
echo "SKIFF-FACT vda_path=\$(readlink -f /sys/block/vda/device)"
echo "SKIFF-FACT known_sha=\$(sha256sum /mnt/known | cut -d' ' -f1)"
{ echo $token; cat /mnt/known; } > /mnt/new
dmesg > /mnt/dmesg.txt
echo "SKIFF-FACT new_sha=\$(sha256sum /mnt/new | cut -d' ' -f1)"
UMOUNT
GUEST
# PCIe unmounts before power-off; virtio-mmio powers off with the file
# system still mounted and dirty (the atime of /mnt/new), so busybox
# poweroff -f's sync() must get the journal commit through virtio-blk.
# (That sync used to hang: the guest's TSC-deadline timer never fired in the
# lab, see guest-timer.sh.)
sed 's|^UMOUNT$|umount /mnt \&\& echo "SKIFF-FACT umount=ok"|' "$WORK/guest.sh" > "$WORK/guest-umount.sh"
sed '/^UMOUNT$/d' "$WORK/guest.sh" > "$WORK/guest-dirty.sh"
script_initrd "$WORK/guest-umount.sh" "$WORK/initrd-umount.cpio.gz"
script_initrd "$WORK/guest-dirty.sh" "$WORK/initrd-dirty.cpio.gz"

mkdir -p "$WORK/tree"
random_file "$WORK/tree/known" 1048576
known_sha=$(sha "$WORK/tree/known")
{ echo "$token"; cat "$WORK/tree/known"; } > "$WORK/expected-new"
new_sha=$(sha "$WORK/expected-new")

# one_transport NAME EXTRA-BOOT-ARGS PATH-REGEX umount|dirty
one_transport() {
    local name=$1 args=$2 pathre=$3 mode=$4 img=$WORK/$1.img
    log "--- $name ---"
    mkext4 "$img" 64M "$WORK/tree"
    write_config "$WORK/$name.json" --initrd "$WORK/initrd-$mode.cpio.gz" --action script \
        ${args:+--args "$args"} --drive "data=$img"
    run_vm "$WORK/$name.json"
    expect_rc 0
    expect_fact mount ok
    local p; p=$(fact vda_path)
    if [[ $p =~ $pathre ]]; then log "vda is $p"; else fail "vda's device $p does not match /$pathre/"; fi
    expect_fact known_sha "$known_sha"
    expect_fact new_sha "$new_sha"
    expect_fact script_rc 0
    [ "$mode" = dirty ] || expect_fact umount ok
    ext4_fsck "$img" || return
    if ext4_get "$img" /new "$WORK/$name.new"; then
        if cmp -s "$WORK/$name.new" "$WORK/expected-new"; then
            log "host reads the guest's /new: sha256 $new_sha, as expected"
        else
            fail "the guest's /new differs on the host ($(sha "$WORK/$name.new"), expected $new_sha)"
        fi
    else
        fail "the guest's /new is not in the image"
    fi
    if ext4_get "$img" /dmesg.txt "$WORK/$name.dmesg"; then
        expect_acpi_clean "$WORK/$name.dmesg"
    else
        fail "the guest's dmesg.txt is not in the image"
    fi
}
one_transport pcie "" '/pci0000:00/' umount
one_transport mmio "pci=off" '/(LNRO0005|virtio-mmio|platform)' dirty
finish
