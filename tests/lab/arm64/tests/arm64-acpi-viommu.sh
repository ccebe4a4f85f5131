#!/usr/bin/env bash
# arm64-viommu-nvme with boot-source.firmware_tables "acpi": L1's two NVMe
# functions assigned behind two vSMMUv3s nested on L1's two SMMUv3s, but
# the L2 learns them from the IORT (docs/arm64.md "ACPI"): an SMMUv3 node
# each (MSI-only), the root complex's RIDs mapped to them, and an RMR each
# that keeps the host's MSI window 0x8000000 identity-mapped in the guest's
# stage-1 (with the PCI _DSM that makes Linux honour it). Every check of
# arm64-viommu-nvme applies (common.sh's nvme_l2_check: reads, copies and
# MSI-X vectors of both; both SMMUs probe, DMA domains, no SMMU event, the
# host calls), and the SMMUs must be the IORT's platform devices
# (arm-smmu-v3.N.auto), not device-tree nodes.
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"
. "$LAB_ARM64/common.sh"

# arm64-viommu-nvme's L1 part with the config's firmware_tables set to acpi
sed 's/"boot_args": "console=ttyAMA0 panic=-1 quiet"}/"boot_args": "console=ttyAMA0 panic=-1 quiet", "firmware_tables": "acpi"}/' \
    "$LAB_ARM64/tests/arm64-viommu-nvme.l1" > "$WORK/acpi-viommu.l1"
grep -q '"firmware_tables": "acpi"' "$WORK/acpi-viommu.l1" || { fail "cannot set firmware_tables in arm64-viommu-nvme.l1"; finish; }
nvme_l2_run "$WORK/acpi-viommu.l1"
nvme_l2_check
out=$WORK/l1.out
grep -q '"firmware_tables": "acpi"' "$out" || fail "L1 did not run the ACPI config"
[ "$(grep -c 'skiff: info: vsmmuv3-[01]: SMMUv3 for root bus .* nested on host IOMMU smmu3' "$out")" = 2 ] ||
    fail "skiff did not make two vSMMUv3s, one per host SMMUv3"
[ "$(grep -c '^SKIFF-L2-DMESG .*arm-smmu-v3 arm-smmu-v3\.[01]\.auto: oas 48-bit' "$out")" = 2 ] ||
    fail "L2: the arm-smmu-v3 driver did not probe the IORT's two SMMUs"
for s in skiff-nvme1 skiff-nvme2; do
    grep -q "^SKIFF-L2-DOMAIN serial=$s iommu=smmu3.* type=DMA" "$out" ||
        fail "L2: $s is not in a translated (DMA) domain of a vSMMUv3"
done
# a missing RMR mapping shows as F_TRANSLATION events at iova 0x8000040
! grep -E '^SKIFF-L2-DMESG .*arm-smmu-v3 .*event|F_TRANSLATION' "$out" || fail "L2: its SMMUs reported events (faults)"
[ "$(grep -o 'iommu=[^ ]*' "$out" | sort -u | wc -l)" = 2 ] || fail "L2: the two NVMe functions are not behind two different vSMMUv3s"
for u in 0 1; do
    ns=$(grep "skiff: info: vsmmuv3-$u nested:" "$out") || { fail "no nested counters of vsmmuv3-$u"; continue; }
    val() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
    [ "$(val "$ns" hwpt_allocs)" -ge 1 ] && [ "$(val "$ns" attaches)" -ge 1 ] ||
        fail "vsmmuv3-$u: no nested HWPT made from a guest STE and attached"
    [ "$(val "$ns" errors)" = 0 ] || fail "vsmmuv3-$u: host calls failed"
    echo "vsmmuv3-$u: $(val "$ns" invalidations) IOMMU_HWPT_INVALIDATE carrying $(val "$ns" entries) entries"
done
finish
