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
# the SMMUs are the DTB's arm,smmu-v3 nodes (platform devices named by address)
vsmmu_check '9[0-9a-f]*\.iommu'
finish
