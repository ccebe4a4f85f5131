#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# iasl-arm64-check.sh ACPI_DUMP_ARM64: the arm64 tables (acpi-dump-arm64)
# for several CPU / host bridge / vSMMUv3 counts, each table disassembled
# with `iasl -d`; any error, warning, remark or note of iasl fails, and the
# decoded key fields must be what skiff's aarch64 layout says. One
# exception: iasl before 20220331 does not know the IORT RMR node (type 6)
# and says so for each; with such an iasl those lines alone are tolerated
# in the IORT of the cases with vSMMUv3s (test-acpi-arm64 decodes the RMRs
# field by field). A missing iasl is a failure (install acpica-tools).
set -u
dump=${1:?usage: iasl-arm64-check.sh ACPI_DUMP_ARM64}
IASL=${IASL:-iasl}
command -v "$IASL" >/dev/null 2>&1 || { echo "FAIL: '$IASL' not found (apt-get install acpica-tools)" >&2; exit 1; }
ver=$("$IASL" -v 2>&1 | sed -n -E 's/.*version ([0-9]{8}).*/\1/p' | head -1)
old_iasl=0
[ "${ver:-0}" -lt 20220331 ] && old_iasl=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/acpi-arm64.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() { echo "FAIL [$case]: $*" >&2; failures=$((failures + 1)); }
field() { grep -m1 -E "^\[[0-9A-F]+h [0-9]+ +[0-9]+\] +$2 : " "$1" | sed -E 's/^[^:]*: ([^ ]*).*/\1/'; }
expect() { got=$(field "$1" "$2"); [ "$got" = "$3" ] || fail "$(basename "$1"): '$2' is '$got', expected '$3'"; }
count() { got=$(grep -c -E "$2" "$1"); [ "$got" -eq "$3" ] || fail "$(basename "$1"): $4: $got, expected $3"; }

run_case() { # NAME CPUS PCI VIOMMUS
    case=$1 cpus=$2 pci=$3 nv=$4 before=$failures
    dir=$tmp/$case
    mkdir -p "$dir"
    # shellcheck disable=SC2086
    ${MESON_EXE_WRAPPER:-} "$dump" "$dir" cpus="$cpus" pci="$pci" viommus="$nv" >"$dir/layout.txt" 2>&1 ||
        { fail "acpi-dump-arm64: $(cat "$dir/layout.txt")"; return; }
    sigs="XSDT FACP DSDT APIC GTDT SPCR IORT"
    [ "$pci" -ne 0 ] && sigs="$sigs MCFG"
    for sig in $sigs; do
        (cd "$dir" && "$IASL" -d "$sig.dat") >"$dir/$sig.log" 2>&1 || fail "iasl -d $sig.dat failed"
        [ -s "$dir/$sig.dsl" ] || { fail "no $sig.dsl"; continue; }
        diag=$( { grep -v -E '^Compilation successful' "$dir/$sig.log" |
            grep -i -E 'warning|error|remark|incorrect|invalid|unknown|\*\*\*'
            grep -i -E 'incorrect|invalid|unknown|error|warning|\*\*\*' "$dir/$sig.dsl"; } )
        if [ "$sig" = IORT ] && [ "$old_iasl" = 1 ] && [ "$nv" -ne 0 ]; then
            diag=$(echo "$diag" | grep -v -E '^\*\*\*\* Unknown IORT node type 0x6$')
            count "$dir/IORT.dsl" '^\*\*\*\* Unknown IORT node type 0x6$' "$nv" "RMR nodes iasl $ver cannot decode"
        fi
        [ -z "$diag" ] || { fail "iasl -d $sig.dat reported:"; echo "$diag" | head -5 >&2; }
    done
    expect "$dir/FACP.dsl" 'Revision' 06
    expect "$dir/FACP.dsl" 'FADT Minor Revision' 05
    grep -q -E 'Hardware Reduced \(V5\) : 1' "$dir/FACP.dsl" || fail "FADT: not hardware-reduced"
    grep -q -E 'PSCI Compliant : 1' "$dir/FACP.dsl" || fail "FADT: not PSCI compliant"
    grep -q -E 'Must use HVC for PSCI : 1' "$dir/FACP.dsl" || fail "FADT: PSCI not via HVC"
    count "$dir/APIC.dsl" 'Subtable Type : 0B \[Generic Interrupt Controller\]' "$cpus" "GICCs"
    count "$dir/APIC.dsl" 'Subtable Type : 0C \[Generic Interrupt Distributor\]' 1 "GICDs"
    count "$dir/APIC.dsl" 'Subtable Type : 0E \[Generic Interrupt Redistributor\]' 1 "GICRs"
    count "$dir/APIC.dsl" 'Subtable Type : 0F \[Generic Interrupt Translator\]' 1 "ITSs"
    last=$(grep -E '\] +ARM MPIDR : ' "$dir/APIC.dsl" | tail -1 | sed -E 's/.*: //')
    n=$((cpus - 1))
    [ "$last" = "$(printf '%016X' $(( (n / 16) << 8 | n % 16 )))" ] || fail "last GICC MPIDR $last"
    expect "$dir/APIC.dsl" 'Version' 03
    expect "$dir/SPCR.dsl" 'Interface Type' 03
    expect "$dir/SPCR.dsl" 'Address' 0000000009000000
    expect "$dir/SPCR.dsl" 'Interrupt' 00000021
    expect "$dir/GTDT.dsl" 'Non-Secure EL1 Interrupt' 0000001E
    expect "$dir/GTDT.dsl" 'Virtual Timer Interrupt' 0000001B
    grep -q -F 'Name (_HID, "ARMH0011")' "$dir/DSDT.dsl" || fail "DSDT: no PL011"
    grep -q -E '^ +0x00000021,$' "$dir/DSDT.dsl" || fail "DSDT: PL011 interrupt is not 33"
    count "$dir/DSDT.dsl" 'Name \(_HID, "ACPI0007"' "$cpus" "ACPI0007 processors"
    count "$dir/DSDT.dsl" 'Name \(_HID, EisaId \("PNP0A08"\)' "$pci" "host bridges"
    count "$dir/DSDT.dsl" 'Name \(_CCA, One\)' "$pci" "host bridges with _CCA 1"
    # hosts behind a vSMMUv3 (RMRs): _DSM function 5 returns 0, keep the boot configuration
    count "$dir/DSDT.dsl" 'Method \(_DSM, 4, NotSerialized\)' "$nv" "host bridges with the PCI _DSM"
    count "$dir/DSDT.dsl" 'ToUUID \("e5c937d0-3553-4d7a-9117-ea4d19c3434d"\)' "$nv" "PCI firmware _DSM UUIDs"
    [ "$nv" -eq 0 ] || grep -A2 -F 'If ((Arg2 == 0x05))' "$dir/DSDT.dsl" | grep -q 'Return (Zero)' ||
        fail "DSDT: _DSM function 5 does not return 0"
    expect "$dir/IORT.dsl" 'Node Count' "$(printf '%08X' $((2 + 2 * nv)))"
    count "$dir/IORT.dsl" 'Type : 04' "$nv" "SMMUv3 nodes"
    count "$dir/IORT.dsl" 'Type : 02' 1 "root complexes"
    [ "$pci" -ne 0 ] && count "$dir/MCFG.dsl" 'Base Address : 0000000030000000' "$pci" "MCFG allocations"
    [ $failures -eq "$before" ] && echo "ok [$case]: $cpus CPUs, $pci host bridges, $nv vSMMUv3s"
}

run_case one 1 0 0
run_case two-hosts 2 2 0
run_case smmu-1 20 2 1
run_case smmu-2 64 2 2
run_case smmu-8 4 8 8
[ $failures -eq 0 ] || { echo "iasl-arm64-check: $failures failure(s)" >&2; exit 1; }
echo "iasl-arm64-check: all arm64 tables disassemble cleanly"
