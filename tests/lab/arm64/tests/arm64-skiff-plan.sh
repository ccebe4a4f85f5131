#!/usr/bin/env bash
# `skiff plan` (the static aarch64 skiff) in the arm64 lab with L1's two
# NVMe functions, each behind its own SMMUv3, assigned: the plan must show
# two host IOMMUs of type arm-smmuv3, each with an iommufd vIOMMU (mode
# viommu) on a stage-2 of its own (two stage-2s: the kernel refused the
# first one for the second SMMU with EINVAL, logged on stderr), both devices
# with a VDEVICE and on their unit's stage-2. The aarch64 skiff must be
# static (L1 has no aarch64 libc): $SKIFF_AARCH64, else
# tests/lab/arm64/build-static-skiff builds it (as arm64-l2-boot does).
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"
. "$LAB_ARM64/common.sh"

arm64_skiff
command -v jq >/dev/null || skip "jq not installed"

out=$WORK/out
"$LAB_ARM64/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-240}" --file "$skiff:skiff" \
    --file "$LAB_ARM64/tests/arm64-skiff-plan.l1:l1.sh" --out "$out" -- sh l1.sh >"$WORK/l1.out" 2>&1
rc=$?
sed 's/^/  | /' "$WORK/l1.out"
[ "$rc" = 0 ] || fail "the L1 part exited with $rc"
grep -q '^plan rc=0$' "$WORK/l1.out" || fail "skiff plan did not exit 0"
grep -q '^plan --json rc=0$' "$WORK/l1.out" || fail "skiff plan --json did not exit 0"
grep -qE '^2 assigned devices behind 2 host IOMMUs, 2 stage-2 page tables$' "$out/plan.txt" 2>/dev/null ||
    fail "the text plan does not say 2 devices, 2 host IOMMUs, 2 stage-2s"
grep -qE 'refused stage-2 #0 .*EINVAL' "$out/plan.err" 2>/dev/null ||
    fail "no log line for the stage-2 the kernel refused (EINVAL)"
jq -e '
  .schema == "skiff-plan/1" and (.stage2 | length) == 2 and (.host_iommus | length) == 2 and
  ([.host_iommus[] | .type == "arm-smmuv3" and .type_id == 2 and .mode == "viommu" and .fallback == null and
     (.devices | length) == 1 and (.devices[0] | .vdevice == true and .attach == "stage2")] | all) and
  (.host_iommus[0].stage2 != .host_iommus[1].stage2) and
  (.host_iommus[0].host_iommu != .host_iommus[1].host_iommu)' "$out/plan.json" >/dev/null 2>&1 ||
    { fail "the JSON plan is not two vIOMMUs on two stage-2s (below)"; cat "$out/plan.json" 2>/dev/null; }
finish
