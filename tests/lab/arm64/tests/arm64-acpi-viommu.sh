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
# the SMMUs are the IORT's platform devices, not device-tree nodes
vsmmu_check 'arm-smmu-v3\.[01]\.auto'
finish
