# SPDX-License-Identifier: Apache-2.0
#
# viommu-canon.awk: reduce iasl's disassembly of a DMAR or IORT (DMAR.dsl,
# IORT.dsl) to the fields iasl-check.sh compares with the vIOMMU input, one
# record per line, in table order:
#
#   dmar haw=26 flags=00
#   drhd flags=00 seg=0000 base=00000000FE000000
#   scope type=01 bus=02 path=01,00
#
#   iort rev=05 nodes=00000005
#   node type=04 rev=04 maps=00000002
#   its count=00000001 ids=00000000
#   smmu base=... flags=00000001 model=00000000 gsiv=0,0,0,0 index=00000001
#   rc cca=00000001 mflags=03 ats=00000000 seg=00000000 limit=27
#   map in=00000200 count=00000FFF out=00000200 ref=node1 flags=00000000
#
# An ID mapping's output reference (a byte offset in the table) becomes the
# ordinal of the node found at that offset ("node?" if there is none).

function val(line) {
	sub(/^[^:]*: /, "", line)
	sub(/ .*$/, "", line)
	return line
}
function nz(s) {
	sub(/^0+/, "", s)
	return s == "" ? "0" : s
}
function emit(s) { out[nout++] = s }

# Field lines look like "[0A0h 0160   4]        Name : value".
/^\[[0-9A-F]+h / {
	off = substr($1, 2); sub(/h$/, "", off)
	name = $0; sub(/^\[[^]]*\] +/, "", name); sub(/ +:.*$/, "", name)
	v = val($0)
}
!/^\[[0-9A-F]+h / { next }

name == "Signature" { sig = v; gsub(/"/, "", sig) }
sig == "DMAR" && name == "Host Address Width" { haw = v }
sig == "DMAR" && name == "Flags" && !in_drhd { emit("dmar haw=" haw " flags=" v); in_drhd = 1; next }
sig == "DMAR" && name == "Flags" { dflags = v }
sig == "DMAR" && name == "PCI Segment Number" { dseg = v }
sig == "DMAR" && name == "Register Base Address" { emit("drhd flags=" dflags " seg=" dseg " base=" v) }
sig == "DMAR" && name == "Device Scope Type" { stype = v }
sig == "DMAR" && name == "PCI Bus Number" { sbus = v }
sig == "DMAR" && name == "PCI Path" { emit("scope type=" stype " bus=" sbus " path=" v) }

sig == "IORT" && name == "Revision" && !seen_rev { irev = v; seen_rev = 1 }
sig == "IORT" && name == "Node Count" { emit("iort rev=" irev " nodes=" v) }
sig == "IORT" && name == "Type" { ord[nz(off)] = nnodes++; ntype = v }
sig == "IORT" && name == "Revision" && seen_rev == 2 { nrev = v }
sig == "IORT" && name == "Type" { seen_rev = 2 }
sig == "IORT" && name == "Mapping Count" { emit("node type=" ntype " rev=" nrev " maps=" v) }
sig == "IORT" && name == "ItsCount" { itsc = v }
sig == "IORT" && name == "Identifiers" { emit("its count=" itsc " ids=" v) }
sig == "IORT" && name == "Base Address" { sbase = v }
sig == "IORT" && ntype == "04" && name == "Flags (decoded below)" && !in_map { sflags = v }
sig == "IORT" && name == "Model" { smodel = v }
sig == "IORT" && name == "Event GSIV" { g = v }
sig == "IORT" && name ~ /^(PRI|GERR|Sync) GSIV$/ { g = g "," v }
sig == "IORT" && name == "Device ID Mapping Index" {
	emit("smmu base=" sbase " flags=" sflags " model=" smodel " gsiv=" g " index=" v)
}
sig == "IORT" && name == "Cache Coherency" { cca = v }
sig == "IORT" && name == "Memory Flags (decoded below)" { mflags = v }
sig == "IORT" && name == "ATS Attribute" { ats = v }
sig == "IORT" && name == "PCI Segment Number" { rseg = v }
sig == "IORT" && name == "Memory Size Limit" {
	emit("rc cca=" cca " mflags=" mflags " ats=" ats " seg=" rseg " limit=" v)
}
sig == "IORT" && name == "Input base" { in_map = 1; min = v }
sig == "IORT" && name == "ID Count" { mcount = v }
sig == "IORT" && name == "Output Base" { mout = v }
sig == "IORT" && name == "Output Reference" { mref = nz(v) }
sig == "IORT" && in_map && name == "Flags (decoded below)" {
	emit("map in=" min " count=" mcount " out=" mout " ref=@" mref " flags=" v)
	in_map = 0
}
sig == "IORT" && name == "Type" { in_map = 0 }

END {
	for (i = 0; i < nout; i++) {
		s = out[i]
		if (match(s, /ref=@[0-9A-F]+/)) {
			r = substr(s, RSTART + 5, RLENGTH - 5)
			s = substr(s, 1, RSTART - 1) "ref=" ((r in ord) ? "node" ord[r] : "node?") \
			    substr(s, RSTART + RLENGTH)
		}
		print s
	}
}
