#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# iasl-check.sh ACPI_DUMP CANON_AWK
#
# Builds the ACPI tables with acpi-dump for several parameter sets,
# disassembles each with `iasl -d` and fails on any error, warning or remark
# iasl reports (bad checksum, bad length, unknown subtable, AML it cannot
# parse...). Then it checks decoded fields against the parameters, and
# recompiles the disassembly to check iasl reads our bytes back the same
# way. With vIOMMUs, the DMAR and the IORT that iasl decodes (reduced to
# their fields by viommu-canon.awk) must equal what the vIOMMU list that
# acpi-dump printed implies (docs/acpi.md). The RSDP, which iasl 2020 cannot disassemble from a binary file, is
# instead compiled from a data-table source built from the parameters and
# compared byte for byte (iasl computes both checksums).
#
# A missing iasl is a failure, not a skip: install acpica-tools.
set -u

dump=${1:?usage: iasl-check.sh ACPI_DUMP CANON_AWK}
canon=${2:?usage: iasl-check.sh ACPI_DUMP CANON_AWK}
IASL=${IASL:-iasl}

if ! command -v "$IASL" >/dev/null 2>&1; then
	echo "FAIL: '$IASL' not found; the ACPI table test needs iasl from acpica-tools" \
		"(apt-get install acpica-tools)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/acpi-iasl.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0

fail() {
	echo "FAIL [$case]: $*" >&2
	failures=$((failures + 1))
}

# Diagnostics: anything iasl prints that is not its banner or a plain
# progress/summary line. Clean compiles print "0 Errors, 0 Warnings,
# 0 Remarks", which is filtered first.
diagnostics() {
	grep -v -E '^Compilation successful\. 0 Errors, 0 Warnings, 0 Remarks' "$1" |
		grep -i -E 'warning|error|remark|incorrect|invalid|unknown|could not|cannot|does not|abort|corrupt|mismatch|too (long|short)|\*\*\*'
}

# hex VALUE WIDTH -> upper-case hex, zero-padded (matches iasl's output)
hex() {
	printf "%0${2}X" "$1"
}

# field FILE 'Field Name' -> value after the colon of the first match
field() {
	grep -m1 -E "^\[[0-9A-F]+h [0-9]+ +[0-9]+\] +$2 : " "$1" | sed -E 's/^[^:]*: ([^ ]*).*/\1/'
}

# gas FILE 'Register Name' -> the lines of that GAS
gas() {
	grep -A5 -E "\] +$2 : \[Generic Address Structure\]" "$1"
}

expect_field() { # file name expected
	got=$(field "$1" "$2")
	[ "$got" = "$3" ] || fail "$(basename "$1"): '$2' is '$got', expected '$3'"
}

expect_count() { # file regex expected what
	got=$(grep -c -E "$2" "$1")
	[ "$got" -eq "$3" ] || fail "$(basename "$1"): $4: found $got, expected $3"
}

expect_gas_io8() { # file name port
	g=$(gas "$1" "$2")
	echo "$g" | grep -q -E 'Space ID : 01 \[SystemIO\]' || fail "$2 is not SystemIO"
	echo "$g" | grep -q -E 'Bit Width : 08' || fail "$2 is not 8 bits wide"
	echo "$g" | grep -q -E "Address : $(hex "$3" 16)\$" || fail "$2 address is not $3"
}

# disasm DIR SIG: iasl -d, no diagnostics, .dsl produced
disasm() {
	(cd "$1" && "$IASL" -d "$2.dat") >"$1/$2.dis.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "iasl -d $2.dat exited with $rc"
	[ -s "$1/$2.dsl" ] || fail "iasl -d $2.dat produced no $2.dsl"
	if d=$(diagnostics "$1/$2.dis.log"); then
		fail "iasl -d $2.dat reported:"; echo "$d" >&2
	fi
	# Problems iasl notes inside the data-table dump (checksums, lengths).
	if d=$(grep -n -i -E 'incorrect|invalid|unknown|error|warning|\*\*\*' "$1/$2.dsl"); then
		fail "$2.dsl contains:"; echo "$d" >&2
	fi
}

# recompile DIR SIG: the disassembly compiles cleanly; for data tables and
# the SSDT the result equals our bytes except the checksum (offset 9) and
# the compiler ID/revision (28..35), which iasl replaces with its own.
recompile() {
	mkdir -p "$1/re"
	cp "$1/$2.dsl" "$1/re/$2.dsl"
	(cd "$1/re" && "$IASL" "$2.dsl") >"$1/$2.re.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || fail "recompiling $2.dsl exited with $rc"
	if d=$(diagnostics "$1/$2.re.log"); then
		fail "recompiling $2.dsl reported:"; echo "$d" >&2
	fi
	[ "${3:-}" = "nocmp" ] && return
	# cmp -l prints 1-based offsets of differing bytes.
	diffs=$(cmp -l "$1/$2.dat" "$1/re/$2.aml" 2>&1 | awk '$1 != 10 && ($1 < 29 || $1 > 36)')
	[ -z "$diffs" ] || { fail "$2: recompiled table differs:"; echo "$diffs" | head >&2; }
}

# recompile_iort DIR: as recompile, but iasl 20200925 predates the node
# Identifier field (IORT E.b) and still calls it Reserved, warning when it
# is not zero. So the identifiers are zeroed in the source first and left
# out of the comparison, together with the checksum and compiler ID.
recompile_iort() {
	mkdir -p "$1/re"
	awk '/\] +Reserved : [0-9A-F]+$/ && prev ~ /\] +Revision : / { sub(/: [0-9A-F]+$/, ": 00000000") }
		{ print; prev = $0 }' "$1/IORT.dsl" >"$1/re/IORT.dsl"
	(cd "$1/re" && "$IASL" IORT.dsl) >"$1/IORT.re.log" 2>&1 || fail "recompiling IORT.dsl failed"
	if d=$(diagnostics "$1/IORT.re.log"); then
		fail "recompiling IORT.dsl reported:"; echo "$d" >&2
	fi
	# 1-based offsets of each node's Identifier bytes (node offset + 4..7).
	ids=$(sed -n -E 's/^\[([0-9A-F]+)h [0-9]+ +[0-9]+\] +Type : .*/\1/p' "$1/IORT.dsl" |
		while read -r o; do for k in 5 6 7 8; do echo $((0x$o + k)); done; done | tr '\n' ' ')
	diffs=$(cmp -l "$1/IORT.dat" "$1/re/IORT.aml" 2>&1 |
		awk -v ids=" $ids" '$1 != 10 && ($1 < 29 || $1 > 36) && index(ids, " " $1 " ") == 0')
	[ -z "$diffs" ] || { fail "IORT: recompiled table differs:"; echo "$diffs" | head >&2; }
}

# check_pci DIR: MCFG allocations and DSDT host bridges for $pci hosts laid
# out as acpi-dump does (buses split evenly, ECAM base 0xE0000000, 32-bit
# windows from 0xC0000000, 64-bit from 0x4000000000, GSI 16 + (slot+pin)%4).
check_pci() {
	m=$1/MCFG.dsl
	d=$1/DSDT.dsl
	nbus=$((256 / pci))
	expect_field "$m" 'Table Length' "$(hex $((44 + 16 * pci)) 8)"
	expect_count "$m" 'Base Address : 00000000E0000000' "$pci" "MCFG allocations at the ECAM base"
	expect_count "$m" 'Segment Group Number : 0000' "$pci" "MCFG segment 0"
	expect_count "$d" 'Name \(_HID, EisaId \("PNP0A08"\)' "$pci" "PNP0A08 host bridges"
	expect_count "$d" 'Name \(_CID, EisaId \("PNP0A03"\)' "$pci" "PNP0A03 _CIDs"
	expect_count "$d" 'Name \(_SEG, Zero\)' "$pci" "_SEG 0"
	expect_count "$d" 'Name \(_PRT, Package \(0x80\)' "$pci" "_PRTs with 128 entries"
	expect_count "$d" 'WordIO \(ResourceProducer' "$pci_io" "host bridge I/O windows"
	grep -q -F 'EisaId ("PNP0C02")' "$d" || fail "DSDT: no PNP0C02 reserving ECAM"
	m32=$(((0x20000000 / pci) & ~0xfffff))
	m64=$(((0x1000000000 / pci) & ~0xfffff))
	i=0
	while [ $i -lt "$pci" ]; do
		start=$((i * nbus)) end=$((i * nbus + nbus - 1))
		starts=$(grep -E 'Start Bus Number : ' "$m" | sed -n "$((i + 1))p" | sed -E 's/.*: //')
		ends=$(grep -E 'End Bus Number : ' "$m" | sed -n "$((i + 1))p" | sed -E 's/.*: //')
		[ "$starts" = "$(hex $start 2)" ] || fail "MCFG[$i]: start bus $starts"
		[ "$ends" = "$(hex $end 2)" ] || fail "MCFG[$i]: end bus $ends"
		dev=$(sed -n "/Device (PCI$i)/,/Name (_PRT/p" "$d")
		[ -n "$dev" ] || fail "DSDT: no PCI$i"
		case $start in 0) bbn=Zero ;; 1) bbn=One ;; *) bbn=0x$(hex $start 2) ;; esac
		echo "$dev" | grep -q -F "Name (_BBN, $bbn)" || fail "PCI$i: _BBN is not $bbn"
		case $i in 0) uid=Zero ;; 1) uid=One ;; *) uid=0x$(hex $i 2) ;; esac
		echo "$dev" | grep -q -F "Name (_UID, $uid)" || fail "PCI$i: _UID is not $uid"
		echo "$dev" | grep -q -E "^ +0x$(hex $start 4), +// Range Minimum" || fail "PCI$i: bus min"
		echo "$dev" | grep -q -E "^ +0x$(hex $end 4), +// Range Maximum" || fail "PCI$i: bus max"
		echo "$dev" | grep -q -E "^ +0x$(hex $((0xc0000000 + i * m32)) 8), +// Range Minimum" ||
			fail "PCI$i: 32-bit window base"
		echo "$dev" | grep -q -E "^ +0x$(hex $((0xc0000000 + (i + 1) * m32 - 1)) 8), +// Range Maximum" ||
			fail "PCI$i: 32-bit window end"
		echo "$dev" | grep -q -E "^ +0x$(hex $((0x4000000000 + i * m64)) 16), +// Range Minimum" ||
			fail "PCI$i: 64-bit window base"
		# ECAM of this host reserved by the motherboard device.
		sed -n '/Device (MRES)/,/^        }/p' "$d" |
			grep -q -E "^ +0x$(hex $((0xe0000000 + (start << 20))) 8), +// Address Base" ||
			fail "MRES: ECAM of PCI$i not reserved"
		i=$((i + 1))
	done
	# _PRT of PCI0: entry (slot 5, INTC) -> GSI 16 + (5 + 2) % 4 = 19.
	prt=$(sed -n '/Device (PCI0)/,/Device (PCI1)\|Device (MRES)/p' "$d" |
		grep -A5 -E '^ +0x0005FFFF, *$' | tr -d ' \n')
	echo "$prt" | grep -q -F '0x0005FFFF,0x02,Zero,0x13' || fail "PCI0: _PRT slot 5 INTC: $prt"
}

# viommu_lines DIR: acpi-dump's description of its vIOMMUs, as
# "INDEX REG SEG FIRST LAST INCL SCOPES" (SCOPES "-" when none).
viommu_lines() {
	sed -n -E 's/^viommu ([0-9]+) reg=([^ ]+) seg=([0-9]+) bus=([0-9]+)-([0-9]+) incl=([01]) scopes=(.*)$/\1 \2 \3 \4 \5 \6 \7/p' \
		"$1/layout.txt" | sed -E 's/ $/ -/'
}

# want_dmar DIR BITS: the DMAR fields the vIOMMU list implies: scoped units
# in input order, then the INCLUDE_PCI_ALL ones; one-hop scopes from the
# root bus.
want_dmar() {
	echo "dmar haw=$(hex $(($2 - 1)) 2) flags=00"
	for pass in 0 1; do
		viommu_lines "$1" | while read -r i reg seg first last incl scopes; do
			[ "$incl" -eq "$pass" ] || continue
			echo "drhd flags=$(hex "$incl" 2) seg=$(hex "$seg" 4) base=$(hex "$reg" 16)"
			[ "$scopes" = - ] && continue
			for sc in $(echo "$scopes" | tr ',' ' '); do
				t=${sc%%:*} d=${sc#*:}
				f=${d#*.} d=${d%.*}
				echo "scope type=$(hex "$t" 2) bus=$(hex "$first" 2) path=$(hex "$d" 2),$(hex "$f" 2)"
			done
		done
	done
}

# rc_maps SEG: a root complex's ID mappings for the vIOMMUs on SEG (read
# as "FIRST LAST INDEX" lines in bus order): each vIOMMU's RIDs to its
# SMMUv3 node (StreamID = RID), every gap straight to the ITS.
rc_maps() {
	next=0
	while read -r first last i; do
		[ $((first << 8)) -gt $next ] &&
			echo "map in=$(hex $next 8) count=$(hex $(((first << 8) - 1 - next)) 8)" \
				"out=$(hex $(($1 << 16 | next)) 8) ref=node0 flags=00000000"
		echo "map in=$(hex $((first << 8)) 8) count=$(hex $(((last - first + 1) * 256 - 1)) 8)" \
			"out=$(hex $((first << 8)) 8) ref=node$((1 + i)) flags=00000000"
		next=$(((last << 8) + 256))
	done
	[ $next -le 65535 ] &&
		echo "map in=$(hex $next 8) count=$(hex $((65535 - next)) 8)" \
			"out=$(hex $(($1 << 16 | next)) 8) ref=node0 flags=00000000"
	return 0
}

# want_iort DIR BITS: ITS group; an SMMUv3 node per vIOMMU (StreamIDs of
# its buses -> ITS DeviceIDs (seg << 16) | RID, and its own MSIs -> DeviceID
# 0x100000 + i); a root complex per segment in increasing order.
want_iort() {
	n=$(viommu_lines "$1" | wc -l)
	segs=$(viommu_lines "$1" | awk '{ print $3 }' | sort -n -u)
	nseg=$(echo "$segs" | wc -l)
	g=00000000
	echo "iort rev=05 nodes=$(hex $((1 + n + nseg)) 8)"
	echo "node type=00 rev=01 maps=00000000"
	echo "its count=00000001 ids=00000000"
	viommu_lines "$1" | while read -r i reg seg first last incl scopes; do
		echo "node type=04 rev=04 maps=00000002"
		echo "smmu base=$(hex "$reg" 16) flags=00000001 model=00000000 gsiv=$g,$g,$g,$g index=00000001"
		echo "map in=$(hex $((first << 8)) 8) count=$(hex $(((last - first + 1) * 256 - 1)) 8)" \
			"out=$(hex $((seg << 16 | first << 8)) 8) ref=node0 flags=00000000"
		echo "map in=00000000 count=00000000 out=$(hex $((0x100000 + i)) 8) ref=node0 flags=00000001"
	done
	for seg in $segs; do
		maps=$(viommu_lines "$1" | awk -v s="$seg" '$3 == s { print $4, $5, $1 }' | sort -n | rc_maps "$seg")
		echo "node type=02 rev=03 maps=$(hex "$(echo "$maps" | wc -l)" 8)"
		echo "rc cca=00000001 mflags=03 ats=00000000 seg=$(hex "$seg" 8) limit=$(hex "$2" 2)"
		echo "$maps"
	done
}

# check_viommus DIR: DMAR and IORT as iasl decodes them equal the expectation.
check_viommus() {
	for sig in DMAR IORT; do
		awk -f "$canon" "$1/$sig.dsl" >"$1/$sig.got"
		"want_$(echo $sig | tr 'A-Z' 'a-z')" "$1" "$viommu_bits" >"$1/$sig.want"
		if ! cmp -s "$1/$sig.got" "$1/$sig.want"; then
			fail "$sig decoded by iasl differs from the vIOMMU list (-want +got):"
			diff "$1/$sig.want" "$1/$sig.got" | head -20 >&2
		fi
	done
	expect_field "$1/DMAR.dsl" 'Table Length' "$(hex "$(stat -c %s "$1/DMAR.dat")" 8)"
	expect_field "$1/IORT.dsl" 'Table Length' "$(hex "$(stat -c %s "$1/IORT.dat")" 8)"
}

# run_case NAME CPUS KEY=VALUE... (the keys are acpi-dump's)
run_case() {
	case=$1
	cpus=$2
	shift 2
	dir=$tmp/$case
	mkdir -p "$dir"
	failures_before=$failures

	# Defaults of acpi-dump, overridden by the case's arguments.
	sleep_ctl=0x600 sleep_sts=0x601 reset_port=0xcf9 reset_value=0x06 s5=5
	com1_port=0x3f8 com1_irq=4 pvpanic=0x505 lapic=0xfee00000 ioapic=0xfec00000
	pci=0 pci_io=0 ged=0 ged_gsi=20 viommus=0 viommu_bits=39
	for kv in "$@"; do
		v=${kv#*=}
		case ${kv%%=*} in
		sleep-ctl) sleep_ctl=$v ;;
		sleep-sts) sleep_sts=$v ;;
		reset-port) reset_port=$v ;;
		reset-value) reset_value=$v ;;
		s5) s5=$v ;;
		com1-port) com1_port=$v ;;
		com1-irq) com1_irq=$v ;;
		pvpanic) pvpanic=$v ;;
		pci) pci=$v ;;
		pci-io) pci_io=$v ;;
		ged) ged=$v ;;
		ged-gsi) ged_gsi=$v ;;
		viommus) viommus=$v ;;
		viommu-bits) viommu_bits=$v ;;
		esac
	done

	# shellcheck disable=SC2086 # the wrapper is a command with arguments
	if ! ${MESON_EXE_WRAPPER:-} "$dump" "$dir" cpus="$cpus" "$@" >"$dir/layout.txt" 2>"$dir/dump.err"; then
		fail "acpi-dump failed: $(cat "$dir/dump.err")"
		return
	fi
	gpa() { sed -n -E "s/^$1 gpa=0x([0-9a-f]+) .*/\\1/p" "$dir/layout.txt"; }

	for sig in XSDT FACP APIC DSDT; do
		disasm "$dir" "$sig"
	done
	[ -f "$dir/SSDT.dat" ] && disasm "$dir" SSDT
	if [ "$pci" -ne 0 ]; then
		[ -f "$dir/MCFG.dat" ] || fail "no MCFG with pci=$pci"
		disasm "$dir" MCFG
	else
		[ ! -f "$dir/MCFG.dat" ] || fail "MCFG without PCI host bridges"
	fi
	if [ "$viommus" -ne 0 ]; then
		for sig in DMAR IORT; do
			[ -f "$dir/$sig.dat" ] || fail "no $sig with viommus=$viommus"
			disasm "$dir" "$sig"
		done
	else
		[ ! -f "$dir/DMAR.dat" ] || fail "DMAR without vIOMMUs"
		[ ! -f "$dir/IORT.dat" ] || fail "IORT without vIOMMUs"
	fi

	# RSDP: compile from source, compare all 36 bytes.
	cat >"$dir/rsdp.asl" <<-EOT
	[0008]                          Signature : "RSD PTR "
	[0001]                           Checksum : 00
	[0006]                             Oem ID : "SKIFF "
	[0001]                           Revision : 02
	[0004]                       RSDT Address : 00000000
	[0004]                             Length : 00000024
	[0008]                       XSDT Address : $(hex "0x$(gpa XSDT)" 16)
	[0001]                  Extended Checksum : 00
	[0003]                           Reserved : 000000
	EOT
	(cd "$dir" && "$IASL" rsdp.asl) >"$dir/rsdp.log" 2>&1 || fail "iasl rsdp.asl failed"
	if d=$(diagnostics "$dir/rsdp.log"); then
		fail "iasl rsdp.asl reported:"; echo "$d" >&2
	fi
	cmp -s "$dir/rsdp.aml" "$dir/RSDP.dat" ||
		fail "RSDP differs from iasl's (checksums or XSDT address wrong)"

	# XSDT -> FADT, MADT [, MCFG] [, DMAR]; never the IORT (arm64 only)
	x=$dir/XSDT.dsl
	expect_field "$x" 'ACPI Table Address +0' "$(hex "0x$(gpa FACP)" 16)"
	expect_field "$x" 'ACPI Table Address +1' "$(hex "0x$(gpa APIC)" 16)"
	entries=2
	if [ "$pci" -ne 0 ]; then
		expect_field "$x" "ACPI Table Address +$entries" "$(hex "0x$(gpa MCFG)" 16)"
		entries=$((entries + 1))
	fi
	if [ "$viommus" -ne 0 ]; then
		expect_field "$x" "ACPI Table Address +$entries" "$(hex "0x$(gpa DMAR)" 16)"
		entries=$((entries + 1))
	fi
	expect_count "$x" 'ACPI Table Address' $entries "XSDT entries"
	[ -z "$(gpa IORT)" ] || fail "the IORT is in the x86 layout"

	# FADT
	f=$dir/FACP.dsl
	expect_field "$f" 'Revision' 06
	expect_field "$f" 'Table Length' 00000114
	expect_field "$f" 'FADT Minor Revision' 05
	grep -q -E 'Hardware Reduced \(V5\) : 1' "$f" || fail "FADT: HW_REDUCED_ACPI not set"
	grep -q -E 'Reset Register Supported \(V2\) : 1' "$f" || fail "FADT: RESET_REG_SUP not set"
	grep -q -E 'VGA Not Present \(V4\) : 1' "$f" || fail "FADT: VGA Not Present not set"
	grep -q -E '8042 Present on ports 60/64 \(V2\) : 0' "$f" || fail "FADT: 8042 flag set"
	expect_gas_io8 "$f" 'Reset Register' "$reset_port"
	expect_gas_io8 "$f" 'Sleep Control Register' "$sleep_ctl"
	expect_gas_io8 "$f" 'Sleep Status Register' "$sleep_sts"
	expect_field "$f" 'Value to cause reset' "$(hex "$reset_value" 2)"
	# The 64-bit DSDT address is the second "DSDT Address" line.
	got=$(grep -E '\] +DSDT Address : ' "$f" | sed -n 2p | sed -E 's/.*: //')
	[ "$got" = "$(hex "0x$(gpa DSDT)" 16)" ] || fail "FADT: X_DSDT is $got"
	expect_field "$f" 'Hypervisor ID' 4D4D564646494B53 # "SKIFFVMM"

	# MADT
	m=$dir/APIC.dsl
	expect_field "$m" 'Local Apic Address' "$(hex "$lapic" 8)"
	expect_count "$m" 'Subtable Type : 00 \[Processor Local APIC\]' "$cpus" "Processor Local APICs"
	expect_count "$m" 'Processor Enabled : 1' "$cpus" "enabled processors"
	expect_count "$m" 'Subtable Type : 01 \[I/O APIC\]' 1 "I/O APICs"
	expect_count "$m" 'Subtable Type : 02 \[Interrupt Source Override\]' 2 "overrides"
	grep -q -E "Address : $(hex "$ioapic" 8)\$" "$m" || fail "MADT: I/O APIC address"
	last=$(grep -E '\] +Local Apic ID : ' "$m" | tail -1 | sed -E 's/.*: //')
	[ "$last" = "$(hex $((cpus - 1)) 2)" ] || fail "MADT: last Local APIC ID is $last"

	# DSDT
	d=$dir/DSDT.dsl
	grep -q -F 'Name (\_S5, Package (0x04)' "$d" || fail "DSDT: no \\_S5 package"
	s5v=$(grep -A2 -F 'Name (\_S5' "$d" | sed -n 3p | tr -d ' ,')
	case $s5 in 0) want=Zero ;; 1) want=One ;; *) want=0x$(hex "$s5" 2) ;; esac
	[ "$s5v" = "$want" ] || fail "DSDT: \\_S5 SLP_TYP is $s5v, expected $want"
	if [ $((com1_port)) -ne 0 ]; then
		grep -q -F 'Device (COM1)' "$d" || fail "DSDT: no COM1"
		grep -q -F 'EisaId ("PNP0501")' "$d" || fail "DSDT: no PNP0501"
		grep -q -E "^ +0x$(hex "$com1_port" 4), +// Range Minimum" "$d" || fail "DSDT: COM1 port"
		grep -q -E "^ +\\{$((com1_irq))\\}\$" "$d" || fail "DSDT: COM1 IRQ"
	else
		! grep -q -E 'COM1|PNP0501' "$d" || fail "DSDT: COM1 present though disabled"
	fi
	if [ $((pvpanic)) -ne 0 ]; then
		grep -q -F 'Device (PEVT)' "$d" || fail "DSDT: no PEVT"
		grep -q -F 'Name (_HID, "QEMU0001")' "$d" || fail "DSDT: no QEMU0001"
		grep -q -E "^ +0x$(hex "$pvpanic" 4), +// Range Minimum" "$d" || fail "DSDT: pvpanic port"
		grep -q -F 'Return (0x0F)' "$d" || fail "DSDT: PEVT _STA"
	else
		! grep -q -E 'PEVT|QEMU0001' "$d" || fail "DSDT: pvpanic present though disabled"
	fi

	[ "$pci" -ne 0 ] && check_pci "$dir"
	[ "$viommus" -ne 0 ] && check_viommus "$dir"
	if [ $((ged)) -ne 0 ]; then
		grep -q -F 'Device (GED0)' "$d" || fail "DSDT: no GED0"
		grep -q -F 'Name (_HID, "ACPI0013"' "$d" || fail "DSDT: no ACPI0013"
		grep -q -F 'Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive' "$d" ||
			fail "DSDT: GED interrupt flags"
		grep -A2 -F 'Interrupt (ResourceConsumer' "$d" | grep -q -E "^ +0x$(hex "$ged_gsi" 8),\$" ||
			fail "DSDT: GED GSI is not $ged_gsi"
		grep -q -F "OperationRegion (EREG, SystemMemory, 0x$(hex "$ged" 8), 0x04)" "$d" ||
			fail "DSDT: GED register region"
		grep -q -E '^ +ESEL, +32$' "$d" || fail "DSDT: ESEL field"
		grep -q -F 'Method (_EVT, 1, Serialized)' "$d" || fail "DSDT: no _EVT"
		grep -q -F 'If ((Local0 & 0x02))' "$d" || fail "DSDT: _EVT does not test the power-button bit"
		grep -q -F 'Notify (\_SB.PWRB, 0x80)' "$d" || fail "DSDT: _EVT does not notify PWRB"
		grep -q -F 'Device (PWRB)' "$d" || fail "DSDT: no PWRB"
		grep -q -F 'EisaId ("PNP0C0C")' "$d" || fail "DSDT: no PNP0C0C"
	else
		! grep -q -E 'GED0|ACPI0013|PWRB' "$d" || fail "DSDT: GED present though disabled"
	fi

	# Round trip through the compiler.
	for sig in XSDT FACP APIC; do
		recompile "$dir" "$sig"
	done
	[ "$pci" -ne 0 ] && recompile "$dir" MCFG
	if [ "$viommus" -ne 0 ]; then
		recompile "$dir" DMAR
		recompile_iort "$dir"
	fi
	recompile "$dir" DSDT nocmp # iasl drops the redundant '\' of \_S5, \_SB
	[ -f "$dir/SSDT.dat" ] && recompile "$dir" SSDT

	[ $failures -eq $failures_before ] &&
		echo "ok [$case]: $cpus CPU(s): $(tr '\n' ' ' <"$dir/layout.txt")"
}

run_case one-cpu 1
run_case four-cpus 4 sleep-ctl=0x3c0 sleep-sts=0x3c1 reset-port=0x3c2 reset-value=0xfe s5=0 \
	com1-irq=3 ssdt=1
run_case no-devices 4 com1-port=0 pvpanic=0 s5=7
run_case max-cpus 255 ioapic-id=255
run_case pci-one 2 pci=1 ged=0xfeb00000
run_case pci-two 4 pci=2 pci-io=1 ged=0xfeb00000 ged-gsi=23
run_case pci-eight 1 pci=8 com1-port=0 pvpanic=0
# vIOMMUs: 1 to 8, scoped and INCLUDE_PCI_ALL units mixed (viommu-incl is a
# bit mask), one to four segments (skiff's PCI hosts are all on segment 0,
# so the multi-segment cases have no MCFG).
run_case viommu-1 2 pci=1 viommus=1
run_case viommu-1-all 2 pci=1 viommus=1 viommu-incl=1 viommu-bits=48
for n in 2 3 4 5 6 7 8; do
	run_case "viommu-$n" 2 pci=2 viommus=$n viommu-incl=$((1 << (n - 1)))
done
run_case viommu-8-segs2 4 viommus=8 viommu-segs=2 viommu-incl=0x21 viommu-bits=52
run_case viommu-8-segs4 4 viommus=8 viommu-segs=4 viommu-incl=0x0f viommu-bits=64
run_case viommu-5-segs3 1 viommus=5 viommu-segs=3 viommu-bits=32

# Too many vIOMMUs: a clear error, no tables.
case=viommu-9
mkdir -p "$tmp/$case"
# shellcheck disable=SC2086
if ${MESON_EXE_WRAPPER:-} "$dump" "$tmp/$case" viommus=9 >/dev/null 2>"$tmp/$case.err"; then
	fail "acpi-dump accepted 9 vIOMMUs"
elif ! grep -q -F '9 vIOMMUs: at most 8 are supported' "$tmp/$case.err"; then
	fail "unclear error for 9 vIOMMUs: $(cat "$tmp/$case.err")"
fi
[ -z "$(ls "$tmp/$case")" ] || fail "tables written for 9 vIOMMUs"

if [ $failures -ne 0 ]; then
	echo "iasl-check: $failures failure(s)" >&2
	exit 1
fi
echo "iasl-check: all tables disassemble cleanly"
