#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# dump-acpi-check.sh SKIFF TEST_BOOT
#
# `skiff --dump-acpi` on real configs: a PCIe VM with devices on two root
# buses, the same with the iommu section (a DMAR with a DRHD per root bus),
# and a pci=off VM whose virtio devices are virtio-mmio. Every table
# must disassemble with `iasl -d` without a diagnostic, and the decoded
# fields must match the config. The kernel is a synthetic bzImage made by
# test-boot (skiff builds the whole VM, so it needs /dev/kvm's API, but it
# never runs a vCPU on the guest: any KVM, even a PVM-backed one, will do).
set -u
skiff=${1:?usage: dump-acpi-check.sh SKIFF TEST_BOOT}
test_boot=${2:?usage: dump-acpi-check.sh SKIFF TEST_BOOT}
IASL=${IASL:-iasl}

command -v "$IASL" >/dev/null || { echo "FAIL: iasl not found (apt-get install acpica-tools)" >&2; exit 1; }
if [ ! -c /dev/kvm ]; then
	echo "SKIP: no /dev/kvm: skiff --dump-acpi builds the VM through KVM" >&2
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dump-acpi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() { echo "FAIL [$case]: $*" >&2; failures=$((failures + 1)); }
count() { grep -c -E "$2" "$1"; }
expect_count() { # file regex n what
	got=$(count "$1" "$2")
	[ "$got" -eq "$3" ] || fail "$(basename "$1"): $4: found $got, expected $3"
}

mkdir -p "$tmp/bz" "$tmp/pvh"
"$test_boot" --write-seeds "$tmp/bz" "$tmp/pvh" >/dev/null || { echo "FAIL: test-boot --write-seeds" >&2; exit 1; }
kernel=$tmp/bz/valid-2.15
truncate -s 16M "$tmp/a.img" "$tmp/b.img" "$tmp/c.img"

# write_config NAME BOOT_ARGS: 3 vCPUs, drives on root buses 0, 0 and 1, entropy.
write_config() {
	cat > "$tmp/$1.json" <<JSON
{
  "boot-source": { "kernel_image_path": "$kernel", "boot_args": "$2" },
  "machine-config": { "vcpu_count": 3, "mem_size_mib": 128 },
  "drives": [
    { "drive_id": "a", "path_on_host": "$tmp/a.img", "is_root_device": true },
    { "drive_id": "b", "path_on_host": "$tmp/b.img", "is_root_device": false, "root_bus": $3 },
    { "drive_id": "c", "path_on_host": "$tmp/c.img", "is_root_device": false, "is_read_only": true }
  ],
  "entropy": {}
}
JSON
}

# dump NAME: --dump-acpi, then iasl -d every table but the RSDP (iasl cannot read a binary RSDP).
dump() {
	mkdir -p "$tmp/$1"
	SKIFF_SKIP_KVM_CHECK=1 "$skiff" --log-level error --config "$tmp/$1.json" --dump-acpi "$tmp/$1" ||
		{ fail "skiff --dump-acpi exited with $?"; return; }
	[ -s "$tmp/$1/RSDP.dat" ] || fail "no RSDP.dat"
	for t in "$tmp/$1"/*.dat; do
		sig=$(basename "$t" .dat)
		[ "$sig" = RSDP ] && continue
		(cd "$tmp/$1" && "$IASL" -d "$sig.dat") >"$tmp/$1/$sig.log" 2>&1 || fail "iasl -d $sig.dat failed"
		if grep -v -E '0 Errors, 0 Warnings, 0 Remarks' "$tmp/$1/$sig.log" |
			grep -i -E 'warning|error|remark|invalid|unknown|incorrect|\*\*\*' >&2; then
			fail "iasl -d $sig.dat reported a problem"
		fi
		if grep -i -E 'incorrect|invalid|unknown|\*\*\*' "$tmp/$1/$sig.dsl" >&2; then
			fail "$sig.dsl flags a problem"
		fi
	done
}

case=pci
write_config pci "console=ttyS0" 1
dump pci
d=$tmp/pci/DSDT.dsl
expect_count "$tmp/pci/APIC.dsl" 'Subtable Type : 00 \[Processor Local APIC\]' 3 "local APICs"
expect_count "$tmp/pci/MCFG.dsl" 'Base Address : 00000000E0000000' 2 "MCFG allocations (two root buses)"
expect_count "$d" 'Name \(_HID, EisaId \("PNP0A08"\)' 2 "PCIe host bridges"
expect_count "$d" 'Name \(_BBN, 0x80\)' 1 "second root bus starting at bus 0x80"
expect_count "$d" 'Method \(_OSC, 4' 2 "_OSC per host bridge"
expect_count "$d" '"ACPI0013"' 1 "GED"
expect_count "$d" 'EisaId \("PNP0C0C"\)' 1 "power button"
expect_count "$d" '"LNRO0005"' 0 "virtio-mmio devices"
expect_count "$d" 'EisaId \("PNP0501"\)' 1 "COM1"
expect_count "$tmp/pci/FACP.dsl" 'Hardware Reduced \(V5\) : 1' 1 "hardware-reduced FADT"

case=mmio
write_config mmio "console=ttyS0 pci=off" 0
dump mmio
d=$tmp/mmio/DSDT.dsl
[ -e "$tmp/mmio/MCFG.dat" ] && fail "MCFG present with pci=off"
expect_count "$d" 'Name \(_HID, EisaId \("PNP0A08"\)' 0 "PCIe host bridges"
expect_count "$d" '"LNRO0005"' 4 "virtio-mmio devices (3 drives + rng)"
expect_count "$d" 'Memory32Fixed \(ReadWrite,' 4 "virtio-mmio register windows"
expect_count "$d" '0xD0003000' 1 "fourth virtio-mmio window"

# The iommu section: a vVT-d unit per root bus with devices, one DRHD each
# (bus 0: drives a and c and the rng; bus 0x80: drive b), endpoint scopes.
case=iommu
write_config iommu "console=ttyS0 intel_iommu=on,sm_on" 1
sed -i 's|"entropy": {}|"entropy": {}, "iommu": {"enabled": true}|' "$tmp/iommu.json"
dump iommu
d=$tmp/iommu/DMAR.dsl
[ -s "$d" ] || fail "no DMAR with the iommu section"
expect_count "$d" 'Subtable Type : 0000 \[Hardware Unit Definition\]' 2 "DRHDs (two root buses with devices)"
expect_count "$d" 'Register Base Address : 00000000FE000000' 1 "unit 0's registers"
expect_count "$d" 'Register Base Address : 00000000FE020000' 1 "unit 1's registers"
expect_count "$d" 'Device Scope Type : 01 \[PCI Endpoint Device\]' 4 "endpoint scopes (3 on bus 0, 1 on bus 0x80)"
expect_count "$d" 'PCI Bus Number : 80' 1 "bus 0x80's scope"
expect_count "$d" 'Flags : 00' 3 "no INTR_REMAP, no INCLUDE_PCI_ALL"
[ -e "$tmp/pci/DMAR.dat" ] && fail "DMAR present without the iommu section"

case=errors
write_config bad "console=ttyS0 pci=off" 1
out=$(SKIFF_SKIP_KVM_CHECK=1 "$skiff" --config "$tmp/bad.json" --dump-acpi "$tmp/bad" 2>&1)
rc=$?
[ $rc -eq 2 ] || fail "root_bus with pci=off: exit $rc, expected 2"
echo "$out" | grep -q 'drives\[1\]\.root_bus: the guest runs with pci=off' || fail "message: $out"

# expect_error NAME JSON_SED MESSAGE_REGEX: a config error is one line and exit status 2.
expect_error() {
	case=$1
	sed "$2" "$tmp/pci.json" > "$tmp/$1.json"
	out=$(SKIFF_SKIP_KVM_CHECK=1 "$skiff" --config "$tmp/$1.json" --dump-acpi "$tmp/$1" 2>&1)
	rc=$?
	[ $rc -eq 2 ] || fail "exit $rc, expected 2 ($out)"
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "more than one line: $out"
	printf '%s\n' "$out" | grep -q -E "$3" || fail "message: $out"
}
expect_error missing-image "s|$tmp/b.img|$tmp/nope.img|" \
	"missing-image.json: drives\[1\]\.path_on_host: .*nope\.img.*(not found|No such file)"
expect_error slot-taken 's|"is_read_only": true|"is_read_only": true, "slot": 0|' \
	'drives\[2\]\.slot: slot 0 on root bus 0 is already taken'
expect_error missing-kernel "s|$kernel|$tmp/no-kernel|" \
	'boot-source\.kernel_image_path: .*no-kernel: No such file or directory'
expect_error iommu-pci-off 's|"entropy": {}|"entropy": {}, "iommu": {"enabled": true}|; s|"console=ttyS0"|"console=ttyS0 pci=off"|' \
	'iommu\.enabled: boot-source\.boot_args has pci=off'
expect_error too-much-ram 's|"mem_size_mib": 128|"mem_size_mib": 300000|' \
	'machine-config\.mem_size_mib: at most 261120 on x86_64'

[ $failures -eq 0 ] || { echo "dump-acpi-check: $failures failure(s)" >&2; exit 1; }
echo "dump-acpi-check: all checks passed"
