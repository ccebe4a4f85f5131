#!/usr/bin/env bash
# The guest-visible vSMMUv3 on real nested SMMUv3s (issue #9 item 4): L1's
# two NVMe functions, each behind its own emulated nest-capable SMMUv3,
# assigned by the static aarch64 skiff with the config's "iommu" section
# on, to an arm64 L2 (2 vCPUs, 256 MiB, the lab's kernel). skiff gives the
# L2 one vSMMUv3 per host SMMU (DT arm,smmu-v3 nodes, iommu-map on each
# assigned device's host bridge), each backed by that SMMU's iommufd
# vIOMMU. The L2's arm-smmu-v3 driver must probe both and put each NVMe in
# a translated (DMA) domain, so its stage-1 tables are the guest's own and
# the host SMMU walks them nested over skiff's stage-2: the L2 reads both
# namespaces' first MiB (sha256 = the host images'), copies it to the
# second MiB and reads that back past the page cache. skiff's counters must
# show the guest's STEs made nested HWPTs, the devices attached to them, the
# invalidations reaching the host in IOMMU_HWPT_INVALIDATE calls with no
# host error; the test prints commands per host call.
#
# MSI-X: the L1 kernel programs each vector with an address in its MSI
# window (0x8000000), which passes the L2's stage-1 before skiff's stage-2
# (where iommufd maps L1's ITS doorbell); the DTB asks the L2 to map that
# window 1:1 for each assigned device (reserved-memory iommu-addresses),
# and skiff routes the vectors to its ITS whatever IOVA the L2 programs.
# Each NVMe's MSI-X vectors must fire, and the L2 must log no SMMU event
# (a translation fault at the window is what a missing mapping looks like).
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"
. "$LAB_ARM64/common.sh"

nvme_l2_run "$LAB_ARM64/tests/arm64-viommu-nvme.l1"
nvme_l2_check
[ "$(grep -c 'skiff: info: vsmmuv3-[01]: SMMUv3 for root bus .* nested on host IOMMU smmu3' "$WORK/l1.out")" = 2 ] ||
    fail "skiff did not make two vSMMUv3s, one per host SMMUv3"
[ "$(grep -c '^SKIFF-L2-DMESG .*arm-smmu-v3 .*: oas 48-bit' "$WORK/l1.out")" = 2 ] ||
    fail "L2: the arm-smmu-v3 driver did not probe two SMMUs"
for s in skiff-nvme1 skiff-nvme2; do
    grep -q "^SKIFF-L2-DOMAIN serial=$s iommu=smmu3.* type=DMA" "$WORK/l1.out" ||
        fail "L2: $s is not in a translated (DMA) domain of a vSMMUv3"
done
! grep -E '^SKIFF-L2-DMESG .*arm-smmu-v3 .*event' "$WORK/l1.out" || fail "L2: its SMMUs reported events (faults)"
[ "$(grep -o 'iommu=[^ ]*' "$WORK/l1.out" | sort -u | wc -l)" = 2 ] || fail "L2: the two NVMe functions are not behind two different vSMMUv3s"
for u in 0 1; do
    st=$(grep "skiff: info: vsmmuv3-$u stats:" "$WORK/l1.out") || { fail "no counters of vsmmuv3-$u"; continue; }
    ns=$(grep "skiff: info: vsmmuv3-$u nested:" "$WORK/l1.out") || { fail "no nested counters of vsmmuv3-$u"; continue; }
    val() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
    [ "$(val "$ns" hwpt_allocs)" -ge 1 ] || fail "vsmmuv3-$u: no nested HWPT was made from a guest STE"
    [ "$(val "$ns" attaches)" -ge 1 ] || fail "vsmmuv3-$u: no device was attached to a nested HWPT"
    [ "$(val "$ns" invalidations)" -ge 1 ] || fail "vsmmuv3-$u: no invalidation reached the host"
    [ "$(val "$ns" errors)" = 0 ] || fail "vsmmuv3-$u: host calls failed"
    [ "$(val "$st" cerrors)" = 0 ] || fail "vsmmuv3-$u: the guest's command queue raised errors"
    echo "vsmmuv3-$u: $(val "$st" commands) guest commands in $(val "$st" drains) drains, $(val "$st" host_calls) host calls," \
        "$(val "$ns" invalidations) IOMMU_HWPT_INVALIDATE carrying $(val "$ns" entries) entries;" \
        "$(awk -v c="$(val "$st" flushed_cmds)" -v h="$(val "$st" host_calls)" 'BEGIN { printf "%.2f", h ? c / h : 0 }') commands per host call"
done
finish
