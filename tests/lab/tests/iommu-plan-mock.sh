#!/usr/bin/env bash
# lab-run: none
# The vIOMMU plan against the real kernel: L1 has two host IOMMU instances,
# dmar0 (QEMU's emulated VT-d, an emulated NVMe behind it bound to vfio-pci)
# and the kernel's selftest mock (iommufd_selftest_iommu.0). The lab program
# tests/lab/iommu-mock/iommu-mock-plan puts two mock devices and the NVMe
# in one plan on one iommufd: the mock devices share one vIOMMU (selftest
# type) on one stage-2 with VDEVICEs and nested HWPTs; dmar0's own stage-2
# try gives EOPNOTSUPP and the NVMe falls back to the IOAS; after teardown
# every recorded object id gives ENOENT. Runs its own lab-run (the NVMe
# needs a backing file), hence "none" above.
. "$(dirname "$0")/../lib.sh"
need kernel
PROG=${SKIFF_IOMMU_MOCK_PLAN:-$REPO/build/tests/lab/iommu-mock/iommu-mock-plan}
[ -x "$PROG" ] || { fail "$PROG is not built (ninja -C build)"; finish; }

if [ "${1:-}" != --in-l1 ]; then
    scratch=${SKIFF_LAB_SCRATCH:-$LAB_DIR/scratch}
    mkdir -p "$scratch" || exit 1
    img=$(mktemp "$scratch/iommu-plan.XXXXXX.img") || exit 1
    truncate -s 4M "$img"
    "$LAB_HERE/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-360}" \
        --qemu-arg -drive --qemu-arg "file=$img,if=none,id=nv0,format=raw" \
        --qemu-arg -device --qemu-arg nvme,drive=nv0,serial=deadbeef \
        -- "$0" --in-l1
    rc=$?
    rm -f "$img"
    [ "$rc" = 0 ] || fail "the L1 part failed (status $rc)"
    finish
fi

# ---- in L1 ----
[ -e /sys/class/iommu/iommufd_selftest_iommu.0 ] || { fail "L1 has no iommufd_selftest_iommu.0"; finish; }
[ -e /sys/class/iommu/dmar0 ] || { fail "L1 has no dmar0"; finish; }
bdf=$(l1_nvme_bdf)
[ -n "$bdf" ] || { fail "L1 has no emulated NVMe (1b36:0010)"; finish; }
log "L1's NVMe is $bdf, behind $(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu")")"
bind_vfio_pci "$bdf" || { fail "$bdf did not bind to vfio-pci"; finish; }

# Crossing driver types has hung this kernel inside the attach: a timeout, always.
timeout 120 "$PROG" --nvme "$bdf" > "$WORK/out" 2>&1
rc=$?
sed 's/^/  /' "$WORK/out"
[ "$rc" = 0 ] || fail "iommu-mock-plan exited with $rc"
n=$(grep -c '^CHECK ok' "$WORK/out")
grep -q '^CHECK FAIL' "$WORK/out" && fail "a check failed (above)"
[ "$n" -ge 20 ] && log "$n checks passed" || fail "only $n checks passed"
grep -q 'iommu: dmar0: the host IOMMU has no nesting (IOMMU_HWPT_ALLOC with NEST_PARENT gave EOPNOTSUPP); its devices are attached to the VM.s I/O address space directly' "$WORK/out" ||
    fail "no fallback log line for dmar0"
[ "$(grep -c 'its devices are attached' "$WORK/out")" = 1 ] || fail "not exactly one fallback line"
grep -q 'refused stage-2' "$WORK/out" && fail "a stage-2 was offered across units"
finish
