#!/usr/bin/env bash
# arm64 L2 Linux guests under skiff with KVM in L1 (tests/lab/arm64/l2-boot,
# docs/arm64.md): 1 and 2 vCPUs reaching their init over the PL011 console,
# two virtio-blk disks on two host bridges read back with MSI-X through the
# ITS, the same disks on virtio-mmio (pci=off), a reboot, console input
# through the PL011; power-off and reboot end
# skiff with exit 0. About 75 s of L1 time. The static aarch64 skiff:
# $SKIFF_AARCH64, else tests/lab/arm64/build-static-skiff builds it.
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"
. "$LAB_ARM64/common.sh"

arm64_skiff
"$LAB_ARM64/l2-boot" "$skiff" >"$WORK/l2-boot.out" 2>&1
rc=$?
sed 's/^/  | /' "$WORK/l2-boot.out"
case $rc in
0) ;;
125) skip "the arm64 lab could not run (l2-boot exit 125)" ;;
*) fail "l2-boot exited $rc (its FAIL lines above)" ;;
esac
finish
