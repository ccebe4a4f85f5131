#!/usr/bin/env bash
# lab-run: --timeout 600
# viommu-two, but first the guest puts an invalid descriptor into the
# invalidation queue of bus 1's unit (tests/lab/guest/skiff-vtd-iqe,
# through /dev/mem on its register page): the unit stops with FSTS.IQE,
# its head at that descriptor; the tool recovers it (tail back, IQE
# cleared). skiff logs the error once, does not crash, counts iqe=1 on
# vvtd1 only, and the I/O on both disks still verifies.
VIOMMU_MODE=iqe exec bash "$(dirname "$0")/viommu-blk.sh" "$@"
