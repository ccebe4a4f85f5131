#!/usr/bin/env bash
# lab-run: none
# skiff's messages for a host kernel without iommufd and the VFIO cdev, for
# real: L1 boots Debian's own kernel (linux-image-amd64, fetched and
# unpacked by tests/lab/stock-kernel; KVM from its kvm-amd module), with an
# e1000e that L1 leaves without a driver. skiff must say (1) that the
# function is not bound to vfio-pci, and (2), once it is bound to vfio-pci
# (a legacy VFIO group; sysfs lists vfio-dev/vfioN but, before Linux 6.6,
# without a character device), that this kernel has neither the VFIO cdev
# nor /dev/iommu and which options to build it with. Runs its own
# lab-run (another L1 kernel), hence "none" above.
. "$(dirname "$0")/../lib.sh"
need kernel vmm

if [ "${1:-}" != --in-l1 ]; then
    dir=$("$LAB_HERE/stock-kernel") || { fail "cannot fetch Debian's kernel package"; finish; }
    kernel=$(ls "$dir"/boot/vmlinuz-* | head -n 1)
    log "L1 kernel: ${dir##*/}"
    "$LAB_HERE/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-400}" --kernel "$kernel" --modules "$dir" \
        --module vfio_pci --module vfio_iommu_type1 \
        --qemu-arg -netdev --qemu-arg user,id=n0 --qemu-arg -device --qemu-arg e1000e,netdev=n0 \
        -- "$0" --in-l1
    rc=$?
    [ "$rc" = 0 ] || fail "the L1 part failed (status $rc)"
    finish
fi

# ---- in L1 (Debian's kernel) ----
log "L1 runs $(uname -r); /dev/kvm $([ -e /dev/kvm ] && echo present || echo MISSING)," \
    "/dev/iommu $([ -e /dev/iommu ] && echo present || echo absent)"
[ -e /dev/kvm ] || { fail "no /dev/kvm in L1 (kvm-amd not loaded?)"; finish; }
[ ! -e /dev/iommu ] || { fail "this L1 kernel has /dev/iommu: not the kernel this test is about"; finish; }
bdf=
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x8086 ] && [ "$(cat "$d/device")" = 0x10d3 ] && { bdf=${d##*/}; break; }
done
[ -n "$bdf" ] || { fail "L1 has no e1000e (8086:10d3)"; finish; }
[ -e "/sys/bus/pci/devices/$bdf/driver" ] && echo "$bdf" > "/sys/bus/pci/devices/$bdf/driver/unbind"

write_config "$WORK/vm.json" --section "\"vfio\": [{\"id\": \"nic0\", \"bdf\": \"$bdf\"}]"
run_vm "$WORK/vm.json"
expect_rc 1
expect_line "vfio\\[0\\]\\.bdf: PCI device $bdf is not bound to vfio-pci \\(it has no driver\\): bind it with" \
    "no 'not bound to vfio-pci' message"
grep 'vfio' "$OUT" | sed 's/^/  /'

echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override"
echo "$bdf" > /sys/bus/pci/drivers_probe
drv=$(basename "$(readlink -f "/sys/bus/pci/devices/$bdf/driver")" 2>/dev/null)
[ "$drv" = vfio-pci ] || { fail "$bdf did not bind to vfio-pci (driver: ${drv:-none})"; finish; }
log "$bdf bound to vfio-pci: group /dev/vfio/$(basename "$(readlink -f "/sys/bus/pci/devices/$bdf/iommu_group")"), sysfs vfio-dev/: $(ls "/sys/bus/pci/devices/$bdf/vfio-dev" 2>/dev/null | tr '\n' ' '), /dev/vfio/devices/: $(ls /dev/vfio/devices 2>/dev/null | tr '\n' ' ')"
run_vm "$WORK/vm.json"
expect_rc 1
expect_line "vfio\\[0\\]\\.bdf: PCI device $bdf is bound to vfio-pci but has no VFIO device cdev, and there is no /dev/iommu: this kernel has neither the VFIO cdev nor iommufd \\(build it with CONFIG_IOMMUFD=y and CONFIG_VFIO_DEVICE_CDEV=y; skiff does not use VFIO groups\\)" \
    "no 'neither the VFIO cdev nor iommufd' message"
grep 'vfio' "$OUT" | sed 's/^/  /'
finish
