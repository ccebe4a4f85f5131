#!/bin/sh
# dump-dtb-check.sh SKIFF KERNEL: `skiff --dump-dtb` for a config with an
# initrd and drives on two root buses must exit 0, and dtc must decompile
# the DTB without a diagnostic and find what the config asked for.
# Skips (77) when dtc is not installed.
set -u
skiff=${1:?usage: dump-dtb-check.sh SKIFF KERNEL}
kernel=${2:?}
command -v dtc >/dev/null || { echo "dtc not installed (device-tree-compiler): skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf 'initrd' > "$tmp/initrd"
: > "$tmp/disk"
cat > "$tmp/vm.json" <<JSON
{ "boot-source": { "kernel_image_path": "$kernel", "initrd_path": "$tmp/initrd",
                   "boot_args": "console=ttyAMA0 panic=-1" },
  "machine-config": { "vcpu_count": 2, "mem_size_mib": 256 },
  "drives": [ { "drive_id": "rootfs", "path_on_host": "$tmp/disk", "is_root_device": true, "is_read_only": true },
              { "drive_id": "d1", "path_on_host": "$tmp/disk", "is_root_device": false, "is_read_only": true,
                "root_bus": 1 } ] }
JSON
# shellcheck disable=SC2086 # the wrapper is a command
${MESON_EXE_WRAPPER:-} "$skiff" --config "$tmp/vm.json" --dump-dtb "$tmp/vm.dtb" || { echo "FAIL: skiff --dump-dtb"; exit 1; }
dtc -I dtb -O dts -o "$tmp/vm.dts" "$tmp/vm.dtb" 2>"$tmp/err" || { echo "FAIL: dtc"; cat "$tmp/err"; exit 1; }
[ -s "$tmp/err" ] && { echo "FAIL: dtc diagnostics:"; cat "$tmp/err"; exit 1; }
failed=0
want() { grep -q "$1" "$tmp/vm.dts" || { echo "FAIL: no '$1' in the DTS"; failed=1; }; }
want 'bootargs = "console=ttyAMA0 panic=-1 root=/dev/vda ro"'
want 'cpu@1 {'
want 'linux,initrd-end'
[ "$(grep -c 'pci-host-ecam-generic' "$tmp/vm.dts")" = 2 ] || { echo "FAIL: not 2 host bridges"; failed=1; }
# A vfio device's placement is checked (sysfs): a PCI address this host does not have is refused.
sed 's/"drives"/"vfio": [ { "id": "x", "bdf": "00ff:ff:1f.7" } ], "drives"/' "$tmp/vm.json" > "$tmp/bad.json"
${MESON_EXE_WRAPPER:-} "$skiff" --config "$tmp/bad.json" --dump-dtb "$tmp/bad.dtb" 2>"$tmp/bad.err"
rc=$?
{ [ "$rc" = 2 ] && grep -q 'vfio\[0\].bdf: PCI device 00ff:ff:1f.7 does not exist' "$tmp/bad.err"; } ||
    { echo "FAIL: a vfio config with a missing device: exit $rc, want 2 and a sentence:"; cat "$tmp/bad.err"; failed=1; }
# The iommu section: a vSMMUv3 per host SMMUv3 with assigned devices, so none here; 57-bit is VT-d's.
sed 's/"drives"/"iommu": { "enabled": true }, "drives"/' "$tmp/vm.json" > "$tmp/iommu.json"
${MESON_EXE_WRAPPER:-} "$skiff" --config "$tmp/iommu.json" --dump-dtb "$tmp/iommu.dtb" 2>"$tmp/bad.err"
rc=$?
{ [ "$rc" = 0 ] && ! grep -q 'arm,smmu-v3' "$tmp/iommu.dtb"; } ||
    { echo "FAIL: an iommu config without assigned devices: exit $rc, want 0 and no vSMMUv3:"; cat "$tmp/bad.err"; failed=1; }
sed 's/"drives"/"iommu": { "enabled": true, "address_width": 57 }, "drives"/' "$tmp/vm.json" > "$tmp/bad2.json"
${MESON_EXE_WRAPPER:-} "$skiff" --config "$tmp/bad2.json" --dump-dtb "$tmp/bad.dtb" 2>"$tmp/bad.err"
rc=$?
{ [ "$rc" = 2 ] && grep -q 'iommu.address_width: .*x86_64 only' "$tmp/bad.err"; } ||
    { echo "FAIL: a 57-bit iommu config: exit $rc, want 2 and a sentence:"; cat "$tmp/bad.err"; failed=1; }
# skiff plan runs on aarch64: an empty plan without assigned devices, --dump-acpi refused (no ACPI here).
${MESON_EXE_WRAPPER:-} "$skiff" plan --json --config "$tmp/vm.json" >"$tmp/plan.json" 2>"$tmp/plan.err"
rc=$?
{ [ "$rc" = 0 ] && grep -q '"schema": "skiff-plan/1"' "$tmp/plan.json"; } ||
    { echo "FAIL: skiff plan --json: exit $rc, want 0 and an empty plan:"; cat "$tmp/plan.json" "$tmp/plan.err"; failed=1; }
${MESON_EXE_WRAPPER:-} "$skiff" plan --config "$tmp/vm.json" --dump-acpi "$tmp" 2>"$tmp/plan.err"
rc=$?
{ [ "$rc" = 2 ] && grep -q 'dump-acpi: .*device tree' "$tmp/plan.err"; } ||
    { echo "FAIL: skiff plan --dump-acpi: exit $rc, want 2 and a sentence:"; cat "$tmp/plan.err"; failed=1; }
# firmware_tables "acpi": the DTB is the EFI stub's, a root with only /chosen and the linux,uefi-* handoff.
sed 's/"boot_args"/"firmware_tables": "acpi", "boot_args"/' "$tmp/vm.json" > "$tmp/acpi.json"
${MESON_EXE_WRAPPER:-} "$skiff" --config "$tmp/acpi.json" --dump-dtb "$tmp/stub.dtb" 2>"$tmp/acpi.err" &&
    dtc -I dtb -O dts -o "$tmp/stub.dts" "$tmp/stub.dtb" 2>>"$tmp/acpi.err" ||
    { echo "FAIL: --dump-dtb with ACPI:"; cat "$tmp/acpi.err"; failed=1; }
[ "$(grep -c '{$' "$tmp/stub.dts" 2>/dev/null)" = 2 ] && grep -q 'chosen {' "$tmp/stub.dts" ||
    { echo "FAIL: the ACPI stub DTB has more than / and /chosen:"; cat "$tmp/stub.dts"; failed=1; }
for p in linux,uefi-system-table linux,uefi-mmap-start linux,uefi-mmap-size linux,uefi-mmap-desc-size \
         linux,uefi-mmap-desc-ver linux,uefi-secure-boot linux,initrd-start bootargs; do
    grep -q "$p = " "$tmp/stub.dts" 2>/dev/null || { echo "FAIL: no $p in the stub's /chosen"; failed=1; }
done
[ "$failed" = 0 ] && echo "ok: $(wc -c <"$tmp/vm.dtb") bytes"
exit $failed
