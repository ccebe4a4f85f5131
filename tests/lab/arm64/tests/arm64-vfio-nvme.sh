#!/usr/bin/env bash
# VFIO device assignment on arm64 without a vIOMMU: L1's two NVMe
# functions (each behind its own SMMUv3, bound to vfio-pci) assigned by the
# static aarch64 skiff to an arm64 L2 (1 vCPU, 256 MiB, the lab's kernel).
# Each NVMe's first MiB is random bytes of this host; the L2 reads both
# namespaces (sha256 of the first MiB, told apart by their serials) and
# must get the host images' sha256s, then copies it to the second MiB and
# reads that back (caches dropped); each NVMe's MSI-X vectors are ITS LPIs
# (DeviceID = the requester ID) that fired; skiff logs both assignments and
# exits 0 on the guest's power-off without a warning (each INTx irqfd
# taken: the devices come after the vGIC); afterwards both functions bind back to
# L1's nvme driver (tests/lab/arm64/common.sh does the shared part).
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"
. "$LAB_ARM64/common.sh"

nvme_l2_run "$LAB_ARM64/tests/arm64-vfio-nvme.l1"
nvme_l2_check
[ "$(grep -c 'skiff: info: vfio: .* assigned to the guest on root bus' "$WORK/l1.out")" = 2 ] ||
    fail "skiff did not log two assigned devices"
finish
