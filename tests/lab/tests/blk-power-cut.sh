#!/usr/bin/env bash
# lab-run: none
# Power cut after fsync: the guest's disk image lives on an ext4 file system
# on an extra virtio disk of L1 (lab-run --l1-disk, a raw file on this
# host), not on the 9p share. The guest writes a file, fsyncs it and prints
# a marker; lab-run kills L1's QEMU (SIGKILL) the moment the marker appears
# (--kill-on). Afterwards this host reads the L1 disk file: e2fsck (journal
# replay, as a mount would), debugfs out the guest image, the same on it,
# and compares the file: what the guest fsynced must be complete.
#
# It runs itself twice: on this host (the outer part: prepares, calls
# lab-run, checks) and with --inner inside L1 (mkfs, mount, skiff).
# L1 keeps dirty page cache long (vm.dirty_expire_centisecs and
# dirty_writeback_centisecs raised), so only a real flush gets the data to
# the L1 disk before the kill.
#
# BLK_POWER_CUT_EXPECT_LOSS=1: the fault-injection mode. skiff runs with
# SKIFF_TEST_BLK_IGNORE_FLUSH=1 (virtio-blk acknowledges flushes without
# syncing) and the test passes only if the data is NOT complete: it shows
# the normal mode can fail. Not run by default.
# BLK_POWER_CUT_KEEP_DIRTY=0: leave L1's writeback sysctls at their defaults.
. "$(dirname "$0")/../lib.sh"
MARK=SKIFF-POWERCUT-FSYNCED

if [ "${1:-}" = --inner ]; then
    # --- inside L1 ---------------------------------------------------------
    need kernel initrd vmm kvm
    dev=$(l1_disk 0) || { fail "no L1 disk with serial skiff-l1-disk0"; finish; }
    log "L1 disk: $dev"
    mkfs.ext4 -q -F "$dev" >"$WORK/l1-mkfs.log" 2>&1 || { fail "mkfs.ext4 $dev: $(tail -n 2 "$WORK/l1-mkfs.log")"; finish; }
    mnt=/tmp/l1disk
    mkdir -p "$mnt" && mount -t ext4 "$dev" "$mnt" || { fail "cannot mount $dev"; finish; }
    mkext4 "$mnt/guest.img" 64M "$WORK/tree"
    sync
    if [ "${2:-1}" = 1 ]; then  # BLK_POWER_CUT_KEEP_DIRTY, passed by the outer part
        echo 360000 > /proc/sys/vm/dirty_expire_centisecs
        echo 360000 > /proc/sys/vm/dirty_writeback_centisecs
    fi
    log "L1 vm.dirty_expire_centisecs=$(cat /proc/sys/vm/dirty_expire_centisecs) dirty_writeback_centisecs=$(cat /proc/sys/vm/dirty_writeback_centisecs)"
    write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script \
        --drive "data=$mnt/guest.img"
    # the guest's console goes to L1's console too: lab-run watches it
    timeout -k 5 "$VM_TIMEOUT" "$LAB_HERE/l2-vmm" --config "$WORK/vm.json" </dev/null 2>&1 | tee "$WORK/vm.out.raw"
    log "VMM exit ${PIPESTATUS[0]}: the power cut did not come"
    exit 1
fi

# --- on this host ------------------------------------------------------------
need kernel initrd vmm
need_tools mkfs.ext4 e2fsck debugfs
loss=${BLK_POWER_CUT_EXPECT_LOSS:-0}
token=power-cut-$$-$RANDOM
mkdir -p "$WORK/tree"
random_file "$WORK/tree/seed" 262144
{ echo "$token"; cat "$WORK/tree/seed"; } > "$WORK/expected"
cat > "$WORK/guest.sh" <<GUEST
$GUEST_WAIT_DEV
wait_dev /dev/vda
mount -t ext4 /dev/vda /mnt || { echo "SKIFF-FACT mount=failed"; exit 1; }
{ echo $token; cat /mnt/seed; } | dd of=/mnt/data bs=64k conv=fsync 2>/dev/null || { echo "SKIFF-FACT write=failed"; exit 1; }
echo "SKIFF-FACT data_sha=\$(sha256sum /mnt/data | cut -d' ' -f1)"
echo $MARK
while :; do sleep 3600; done
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
l1img=$WORK/l1-disk.img
truncate -s 256M "$l1img" || { fail "cannot create $l1img"; finish; }

if [ "$loss" = 1 ]; then
    export SKIFF_TEST_BLK_IGNORE_FLUSH=1
    log "fault injection: SKIFF_TEST_BLK_IGNORE_FLUSH=1, expecting the data to be lost"
else
    unset SKIFF_TEST_BLK_IGNORE_FLUSH
fi
OUT=$WORK/lab.out
SKIFF_TEST_WORK=$WORK "$LAB_HERE/lab-run" --timeout "${SKIFF_POWER_CUT_LAB_TIMEOUT:-240}" \
    --l1-disk "$l1img" --kill-on "$MARK" -- bash "$0" --inner "${BLK_POWER_CUT_KEEP_DIRTY:-1}" 2>&1 | tee "$OUT"
RC=${PIPESTATUS[0]}
tr -d '\r' <"$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
case $RC in
0) log "L1 was killed on the marker" ;;
125) skip "the lab could not run (lab-run exit 125)" ;;
*) fail "lab-run exit $RC: no power cut after the marker"; finish ;;
esac
expect_fact data_sha "$(sha "$WORK/expected")"
if [ "$loss" = 1 ]; then
    expect_line 'flush requests are IGNORED' "skiff did not report the fault-injection knob"
else
    grep -q 'flush requests are IGNORED' "$OUT" && fail "the fault-injection knob is on in a normal run"
fi

# the host reads what reached the L1 disk
cp --sparse=always "$l1img" "$WORK/l1-disk.fsck.img"
ext4_fsck "$WORK/l1-disk.fsck.img" || finish
ext4_get "$WORK/l1-disk.fsck.img" /guest.img "$WORK/guest.img" || { fail "no guest.img on the L1 disk"; finish; }
ext4_fsck "$WORK/guest.img"
got=missing
if ext4_get "$WORK/guest.img" /data "$WORK/data"; then
    if cmp -s "$WORK/data" "$WORK/expected"; then got=complete
    else got="incomplete ($(stat -c %s "$WORK/data") of $(stat -c %s "$WORK/expected") bytes, sha256 $(sha "$WORK/data"))"; fi
fi
log "after the power cut the guest's fsynced /data is $got"
if [ "$loss" = 1 ]; then
    [ "$got" = complete ] && fail "flushes were ignored, yet the data survived the power cut: this test cannot tell"
    [ "$FAILED" = 0 ] && log "fault injection reproduced the loss: the normal mode can fail"
else
    [ "$got" = complete ] || fail "data the guest fsynced was lost in the power cut"
fi
finish
