#!/usr/bin/env bash
# The kernel's iommufd vIOMMU path for ARM SMMUv3 in the arm64 lab: L1's two
# NVMe functions sit behind two SMMUv3 instances; both go to vfio-pci and
# tests/lab/arm64/smmu-viommu-probe (static aarch64, cross-compiled here)
# walks the path on them. With the CANWBS IORT lab-run generates: the
# kernel logs the table upgrade; GET_HW_INFO says ARM SMMUv3 (type 2) for
# both; a NEST_PARENT stage-2 and a VIOMMU (ARM_SMMUV3) for device A; a
# VIOMMU for B on A's stage-2 gives EINVAL (7.2 shares no stage-2 across
# SMMU instances); B's own stage-2 and VIOMMU; a VDEVICE each; a nested HWPT
# from a bypass guest STE with A attached to it; 40 TLBI_NH_ALL in one
# IOMMU_HWPT_INVALIDATE (entry_num 40); a VEVENTQ. Then once more with
# QEMU's own IORT (--no-iort): no table upgrade, VIOMMU_ALLOC gives
# EOPNOTSUPP, so the upgrade is what makes the rest work.
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"

cc=${SKIFF_AARCH64_CC:-aarch64-linux-gnu-gcc}
uapi=$REPO/.deps/uapi/usr/include
command -v "$cc" >/dev/null || skip "no $cc (scripts/setup.sh --cross aarch64 installs it)"
[ -r "$uapi/linux/iommufd.h" ] || skip "no uAPI headers in $uapi (scripts/setup.sh fetches them)"
probe=$WORK/smmu-viommu-probe
"$cc" -std=gnu17 -O2 -Wall -Wextra -Werror -static -I"$uapi" -o "$probe" \
    "$LAB_ARM64/smmu-viommu-probe.c" 2>"$WORK/cc.log" ||
    { fail "cannot cross-compile the probe: $(head -n 5 "$WORK/cc.log")"; finish; }

# run_l1 OUT [LAB-RUN OPTION...]: the L1 part; sets RC
run_l1() {
    local out=$1; shift
    "$LAB_ARM64/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-240}" "$@" \
        --file "$probe" --file "$LAB_ARM64/tests/arm64-smmu-viommu.l1:l1.sh" -- sh l1.sh >"$out" 2>&1
    RC=$?
    sed 's/^/  | /' "$out"
}
want() { grep -qE "$1" "$OUT" || fail "no line matching /$1/ in L1's output"; }

OUT=$WORK/canwbs.out
run_l1 "$OUT"
[ "$RC" = 0 ] || fail "the L1 part exited with $RC"
want '^L1-DMESG .*ACPI: Table Upgrade: override \[IORT'
[ "$(grep -c '^L1-NVME .*driver=vfio-pci' "$OUT")" = 2 ] || fail "not two NVMe functions on vfio-pci"
[ "$(sed -n 's/^L1-NVME .* smmu=\([^ ]*\) .*/\1/p' "$OUT" | sort -u | grep -c smmu)" = 2 ] ||
    fail "the two NVMe functions are not behind two different SMMUs"
for s in bind-a bind-b ioas s2-a viommu-a s2-b viommu-b vdevice-a vdevice-b nested-a nested-a-attach veventq-a; do
    want "^PROBE $s rc=0( |$)"
done
want '^PROBE hw-info-a rc=0 type=2$'
want '^PROBE hw-info-b rc=0 type=2$'
want '^PROBE viommu-b-on-s2-a rc=EINVAL$'
want '^PROBE invalidate-a rc=0 entry_num=40$'

OUT=$WORK/qemu-iort.out
run_l1 "$OUT" --no-iort
grep -q 'Table Upgrade' "$OUT" && fail "a table upgrade without the CANWBS IORT"
want '^PROBE s2-a rc=0'
want '^PROBE viommu-a rc=EOPNOTSUPP$'
finish
