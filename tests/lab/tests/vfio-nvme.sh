#!/usr/bin/env bash
# lab-run: none
# VFIO assignment through iommufd, end to end. On the host: a 4 MiB raw image
# whose first MiB is random. L1 (started here with the image as an emulated
# NVMe behind QEMU's VT-d) binds the NVMe to vfio-pci and skiff assigns it to
# L2; L2's nvme driver reads the namespace (sha256 of the first MiB), copies
# it to the second MiB, writes a token at 2 MiB, syncs and powers off. The
# host then checks the image. Runs its own lab-run (the NVMe needs a backing
# file that exists before L1 boots), hence "none" above.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm

if [ "${1:-}" != --in-l1 ]; then
    scratch=${SKIFF_LAB_SCRATCH:-$LAB_DIR/scratch}
    mkdir -p "$scratch" || exit 1
    img=$(mktemp "$scratch/vfio-nvme.XXXXXX.img") || exit 1
    random_file "$WORK/known" 1048576
    { cat "$WORK/known"; head -c $((3 * 1048576)) /dev/zero; } > "$img"
    token=vfio-nvme-$$-$RANDOM
    SKIFF_VFIO_KNOWN_SHA=$(sha "$WORK/known") SKIFF_VFIO_TOKEN=$token \
        "$LAB_HERE/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-360}" \
        --qemu-arg -drive --qemu-arg "file=$img,if=none,id=nv0,format=raw" \
        --qemu-arg -device --qemu-arg nvme,drive=nv0,serial=deadbeef \
        -- "$0" --in-l1
    rc=$?
    [ "$rc" = 0 ] || fail "the L1 part failed (status $rc)"
    if [ "$rc" = 0 ]; then
        if cmp -s <(head -c 1048576 "$img") "$WORK/known" &&
           cmp -s <(tail -c +$((1048576 + 1)) "$img" | head -c 1048576) "$WORK/known"; then
            log "host: the image's second MiB is the guest's copy of the first"
        else
            fail "host: the image's second MiB is not a copy of the first"
        fi
        got=$(tail -c +$((2 * 1048576 + 1)) "$img" | head -c ${#token})
        [ "$got" = "$token" ] && log "host: the guest's token is at 2 MiB" ||
            fail "host: expected token '$token' at 2 MiB, got '$got'"
    fi
    rm -f "$img"
    finish
fi

# ---- in L1 ----
bdf=$(l1_nvme_bdf)
[ -n "$bdf" ] || { fail "L1 has no emulated NVMe (1b36:0010)"; finish; }
log "L1's NVMe is $bdf, driver $(basename "$(readlink -f /sys/bus/pci/devices/$bdf/driver)" 2>/dev/null)"
bind_vfio_pci "$bdf" || { fail "$bdf did not bind to vfio-pci"; finish; }

cat > "$WORK/guest.sh" <<GUEST
$GUEST_WAIT_DEV
wait_dev /dev/nvme0n1 30
echo "SKIFF-FACT nvme_sha=\$(head -c 1048576 /dev/nvme0n1 | sha256sum | cut -d' ' -f1)"
dd if=/dev/nvme0n1 of=/dev/nvme0n1 bs=1048576 count=1 seek=1 conv=fsync 2>/dev/null
echo -n "$SKIFF_VFIO_TOKEN" | dd of=/dev/nvme0n1 bs=512 seek=4096 conv=sync,fsync 2>/dev/null
sync
echo "SKIFF-FACT copy_sha=\$(dd if=/dev/nvme0n1 bs=1048576 skip=1 count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)"
echo "SKIFF-FACT nvme_irqs=\$(grep -c nvme /proc/interrupts)"
dmesg | grep -iE 'nvme|pci 0000:00:0' | sed 's/^/SKIFF-DMESG /'
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script \
    --section "\"vfio\": [{\"id\": \"nvme0\", \"bdf\": \"$bdf\"}]"
run_vm "$WORK/vm.json"
expect_rc 0
expect_fact nvme_sha "$SKIFF_VFIO_KNOWN_SHA"
expect_fact copy_sha "$SKIFF_VFIO_KNOWN_SHA"
expect_fact script_rc 0
grep -E 'SKIFF-DMESG|skiff:' "$OUT" | sed 's/^/  /'
n=$(fact nvme_irqs)
[ "${n:-0}" -ge 1 ] && log "L2 nvme has $n MSI-X interrupt lines" || { fail "no nvme interrupts in L2"; show_out; }
# Teardown left the device free: it binds back to the nvme driver.
rebind_host_driver "$bdf" nvme "after skiff exited"
finish
