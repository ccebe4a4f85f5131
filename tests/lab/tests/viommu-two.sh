#!/usr/bin/env bash
# lab-run: --timeout 600
# viommu-blk with a second drive on root bus 1: skiff gives each root bus
# its own vVT-d unit, the guest lists dmar0 and dmar1, each disk sits
# behind a different one, and sha256-verified ext4 I/O works behind each;
# both units' counters show drains and IOTLB lookups.
VIOMMU_MODE=two exec bash "$(dirname "$0")/viommu-blk.sh" "$@"
