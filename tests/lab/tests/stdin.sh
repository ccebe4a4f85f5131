#!/usr/bin/env bash
# A line on skiff's stdin reaches the guest's console. The line comes from
# this test's own stdin (run-tests passes stdin.stdin with lab-run --stdin);
# it is written to skiff's stdin (a fifo) once the guest reads its console,
# since a UART drops what comes before the guest's driver opens it.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
IFS= read -r line || line=
[ -n "$line" ] || line="skiff-stdin-token-$$"
log "line: $line"
write_config "$WORK/vm.json" --action echo-stdin
OUT=$WORK/vm.out
# the fifo lives on a local fs (/tmp is a tmpfs in L1): 9p has no fifos
fifodir=$(mktemp -d "${TMPDIR:-/tmp}/skiff-stdin.XXXXXX") || exit 1
mkfifo "$fifodir/in" || { fail "mkfifo failed"; finish; }
timeout -k 5 "$VM_TIMEOUT" $(vm_cmd "$WORK/vm.json") <"$fifodir/in" >"$OUT.raw" 2>&1 &
pid=$!
exec 3>"$fifodir/in"   # keep the writer open: no EOF on skiff's stdin
if wait_for_line "$OUT.raw" '^SKIFF-STDIN-READY' "$VM_TIMEOUT" "$pid"; then
    sleep 0.5
    printf '%s\n' "$line" >&3
else
    fail "the guest never got to read its console"
fi
wait_pid "$pid" 60
exec 3>&-
rm -rf "$fifodir"
tr -d '\r' <"$OUT.raw" >"$OUT"
log "VMM exit $RC"
expect_rc 0
expect_line "^SKIFF-STDIN $(printf '%s' "$line" | sed 's/[][\.*^$+?(){}|/]/\\&/g')\$" "the line '$line' did not reach the guest"
finish
