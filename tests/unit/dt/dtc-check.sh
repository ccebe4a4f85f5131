#!/bin/sh
# dtc-check.sh DT_DUMP: for several VM shapes, dtc must decompile the DTB
# with no diagnostic at all (dtc's checks cover the PCI, interrupt, clock,
# GIC and unit-address bindings). Skips (77) when dtc is not installed.
set -u
dump=${1:?usage: dtc-check.sh DT_DUMP}
command -v dtc >/dev/null || { echo "dtc not installed (device-tree-compiler): skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
for shape in "1 1 0" "1 0 0" "2 3 2" "4 4 3" "64 8 7" "1 1 0 noinitrd"; do
    name=$(echo "$shape" | tr ' ' -)
    # shellcheck disable=SC2086 # shape is word-split on purpose; the wrapper is a command
    if ! ${MESON_EXE_WRAPPER:-} "$dump" "$tmp/$name.dtb" $shape; then
        echo "FAIL [$name]: dt-dump failed"; failed=1; continue
    fi
    if ! dtc -I dtb -O dts -o "$tmp/$name.dts" "$tmp/$name.dtb" 2>"$tmp/$name.err" || [ -s "$tmp/$name.err" ]; then
        echo "FAIL [$name]: dtc:"; cat "$tmp/$name.err"; failed=1; continue
    fi
    echo "ok [$name]: $(wc -c <"$tmp/$name.dtb") bytes, $(grep -c '{' "$tmp/$name.dts") nodes"
done
exit $failed
