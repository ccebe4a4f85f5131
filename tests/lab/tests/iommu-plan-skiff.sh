#!/usr/bin/env bash
# lab-run: none
# `skiff plan` against L1's real host: a config with the emulated NVMe
# (behind dmar0, bound to vfio-pci) and a drive. The text plan and the JSON
# (schema skiff-plan/1) must say: host IOMMU dmar0, type intel-vtd, no
# vIOMMU (the stage-2 try gave EOPNOTSUPP), root bus 1 (bus 80: two root
# buses), the NVMe at guest 0000:80:00.0 attached to the IOAS; and the
# device must be free afterwards (it binds back to nvme). --dump-acpi: the
# only unit fell back, so the plan has no vIOMMU and writes no DMAR or IORT
# (stale files are removed), says so in one line, and prints the same plan;
# a missing directory is an error in one sentence. (The non-empty tables are
# checked over the fake iommufd: tests/unit/iommu, and iasl in tests/unit/acpi.)
. "$(dirname "$0")/../lib.sh"
need kernel vmm

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
bdf=$(l1_nvme_bdf)
[ -n "$bdf" ] || { fail "L1 has no emulated NVMe (1b36:0010)"; finish; }
bind_vfio_pci "$bdf" || { fail "$bdf did not bind to vfio-pci"; finish; }

truncate -s 1M "$WORK/disk.img"
write_config "$WORK/vm.json" --drive "d0=$WORK/disk.img" \
    --section "\"vfio\": [{\"id\": \"nvme0\", \"bdf\": \"$bdf\"}]"
timeout 60 "$SKIFF" plan --config "$WORK/vm.json" > "$WORK/plan.txt" 2> "$WORK/plan.err"
rc=$?
sed 's/^/  /' "$WORK/plan.txt" "$WORK/plan.err"
[ "$rc" = 0 ] || fail "skiff plan exited with $rc"
want() { grep -qE "$1" "$WORK/plan.txt" || fail "the text plan lacks: $1"; }
want '^1 assigned device behind 1 host IOMMU, 0 stage-2 page tables$'
want '^host IOMMU dmar0: intel-vtd \(type 0x1\)'
want '^  vIOMMU: none$'
want '^  fallback: the host IOMMU has no nesting \(IOMMU_HWPT_ALLOC with NEST_PARENT gave EOPNOTSUPP\)'
want '^  root bus 1 \(bus 80\)$'
want "^    nvme0 \\(host $bdf\\): guest 0000:80:00\\.0, virt_id 0x8000, attached to ioas$"
grep -q 'iommu: dmar0: the host IOMMU has no nesting' "$WORK/plan.err" || fail "no fallback log line"

timeout 60 "$SKIFF" plan --config "$WORK/vm.json" --json > "$WORK/plan.json" 2>/dev/null || fail "skiff plan --json failed"
jq -e --arg bdf "$bdf" '
  .schema == "skiff-plan/1" and (.stage2 | length) == 0 and (.host_iommus | length) == 1 and
  (.host_iommus[0] | .host_iommu == "dmar0" and .type == "intel-vtd" and .type_id == 1 and
    .mode == "direct" and .stage2 == null and (.fallback | test("EOPNOTSUPP")) and
    .root_bus == 1 and .bus_number == 128 and .root_bus_pinned == false and
    (.devices | length) == 1 and
    (.devices[0] | .id == "nvme0" and .host_bdf == $bdf and .guest_bdf == "0000:80:00.0" and
      .virt_id == 32768 and .attach == "ioas" and .vdevice == false))' "$WORK/plan.json" >/dev/null ||
    { fail "the JSON plan is not the expected one"; cat "$WORK/plan.json"; }

# --dump-acpi: no vIOMMU here, so no tables; stale ones go.
mkdir -p "$WORK/acpi" && echo stale > "$WORK/acpi/DMAR.dat" && echo stale > "$WORK/acpi/IORT.dat"
timeout 60 "$SKIFF" plan --config "$WORK/vm.json" --json --dump-acpi "$WORK/acpi" > "$WORK/dump.json" 2> "$WORK/dump.err"
rc=$?
sed 's/^/  /' "$WORK/dump.err"
[ "$rc" = 0 ] || fail "skiff plan --dump-acpi exited with $rc"
jq -e '[.host_iommus[] | select(.mode == "viommu" or .mode == "parent-hwpt")] | length == 0' "$WORK/dump.json" >/dev/null ||
    fail "the plan with --dump-acpi has a vIOMMU unit"
[ ! -e "$WORK/acpi/DMAR.dat" ] && [ ! -e "$WORK/acpi/IORT.dat" ] ||
    fail "--dump-acpi left a DMAR.dat or IORT.dat for a plan without vIOMMUs"
grep -q "^skiff: plan: --dump-acpi $WORK/acpi: no unit has a vIOMMU, so there is no DMAR or IORT to write$" \
    "$WORK/dump.err" || fail "--dump-acpi did not say why there are no tables"
timeout 60 "$SKIFF" plan --config "$WORK/vm.json" --dump-acpi "$WORK/nowhere" > /dev/null 2> "$WORK/nowhere.err"
rc=$?
[ "$rc" = 1 ] || fail "--dump-acpi into a missing directory exited with $rc, not 1"
grep -q "^skiff: plan: --dump-acpi $WORK/nowhere: cannot write the tables there: No such file or directory$" \
    "$WORK/nowhere.err" || { fail "--dump-acpi into a missing directory: wrong message"; cat "$WORK/nowhere.err"; }

# The device is free again: it binds back to nvme.
rebind_host_driver "$bdf" nvme "after skiff plan"
finish
