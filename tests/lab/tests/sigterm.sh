#!/usr/bin/env bash
# SIGTERM stops a running VM cleanly: skiff exits 0 within a few seconds.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
write_config "$WORK/vm.json" --action wait
OUT=$WORK/vm.out
$(vm_cmd "$WORK/vm.json") </dev/null >"$OUT.raw" 2>&1 &
pid=$!
if wait_for_line "$OUT.raw" '^SKIFF-GUEST-UP' "$VM_TIMEOUT" "$pid"; then
    sleep 1
    kill -TERM "$pid"
    t0=$(date +%s)
    wait_pid "$pid" 10
    log "exit $RC $(( $(date +%s) - t0 ))s after SIGTERM"
    tr -d '\r' <"$OUT.raw" >"$OUT"
    if [ "$RC" = 124 ]; then fail "still running 10 s after SIGTERM (killed)"; show_out
    else expect_rc 0; fi
else
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    tr -d '\r' <"$OUT.raw" >"$OUT"
    fail "the guest never came up"; show_out
fi
finish
