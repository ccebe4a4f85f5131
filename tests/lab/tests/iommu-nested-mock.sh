#!/usr/bin/env bash
# skiff's nested vIOMMU backends against the real kernel: L1's selftest
# mock IOMMU (iommufd_selftest_iommu.0) behind the vIOMMU plan, driven by
# tests/lab/iommu-mock/iommu-mock-nested through the vSMMUv3 and vVT-d
# models, their nested backends (selftest flavour) and the queue engine
# on io_uring, with a guest written by hand as Linux drives each unit.
# The kernel's own test ops show the effect of each batch
# (MD_CHECK_IOTLB, DEV_CHECK_CACHE), its EINVAL for an entry becomes
# CERROR_ILL / IQE at that command, TRIGGER_VEVENT comes out of the
# VEVENTQ into the guest's event queue. Then Linux-sized batches measured
# against one host call per command (MEASURE lines; NESTED_MOCK_ROUNDS).
. "$(dirname "$0")/../lib.sh"
PROG=${SKIFF_IOMMU_MOCK_NESTED:-$REPO/build/tests/lab/iommu-mock/iommu-mock-nested}
[ -x "$PROG" ] || { fail "$PROG is not built (ninja -C build)"; finish; }
[ -e /sys/class/iommu/iommufd_selftest_iommu.0 ] || { fail "L1 has no iommufd_selftest_iommu.0"; finish; }
timeout 120 "$PROG" --rounds "${NESTED_MOCK_ROUNDS:-200}" > "$WORK/out" 2>&1
rc=$?
sed 's/^/  /' "$WORK/out"
[ "$rc" = 0 ] || fail "iommu-mock-nested exited with $rc"
grep -q '^CHECK FAIL' "$WORK/out" && fail "a check failed (above)"
n=$(grep -c '^CHECK ok' "$WORK/out")
[ "$n" -ge 30 ] && log "$n checks passed" || fail "only $n checks passed"
grep -q '^MEASURE smmuv3_host_calls_per_drain=1.00' "$WORK/out" || fail "vSMMUv3: not one host call per drain"
grep -q '^MEASURE vtd_host_calls_per_drain=1.00' "$WORK/out" || fail "vVT-d: not one host call per drain"
finish
