#!/usr/bin/env bash
# lab-run: --timeout 600
# "vsock": {"guest_cid": 3, "uds_path": ...}: Firecracker's Unix-socket
# protocol in both directions, each an echo of random data checked with
# sha256:
#  - host-initiated: the guest listens on vsock port 5000; L1 connects to
#    uds_path, writes "CONNECT 5000\n", must read "OK <port>\n", sends
#    VSOCK_BYTES (1 MiB) and half-closes; the echo must match;
#  - guest-initiated: L1 listens on "<uds_path>_6000"; the guest connects
#    to CID 2 port 6000, sends its own random data and compares the echo.
# After skiff exits, its socket file is gone.
# With VSOCK_VHOST=1 (vsock-vhost.sh): "vhost": true, the kernel's
# vhost-vsock; L1 then uses AF_VSOCK to CID 3 and listens on vsock port
# 6000 itself, and skiff must say it uses vhost-vsock.
# Guest side: tests/lab/guest/skiff-vsock.c (static); host side: tests/lab/vsock-host.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
need_tools python3 cpio
helper=$REPO/build/tests/lab/skiff-vsock
[ -x "$helper" ] || skip "no $helper (ninja -C build)"
bytes=${VSOCK_BYTES:-1048576}
sockdir=$(mktemp -d /tmp/vsock.XXXXXX)  # Unix sockets cannot live on the 9p scratch share
uds=$sockdir/v.sock

cat > "$WORK/guest.sh" <<GUEST
/skiff-vsock listen 5000
echo "SKIFF-FACT listen_rc=\$?"
dd if=/dev/urandom of=/tmp/d bs=64k count=$((bytes / 65536)) 2>/dev/null
echo "SKIFF-FACT g_sha=\$(sha256sum /tmp/d | cut -d' ' -f1)"
/skiff-vsock connect 2 6000 </tmp/d >/tmp/b
echo "SKIFF-FACT connect_rc=\$?"
echo "SKIFF-FACT g_back_sha=\$(sha256sum /tmp/b | cut -d' ' -f1)"
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
mkdir -p "$WORK/add" && cp "$helper" "$WORK/add/skiff-vsock"
(cd "$WORK/add" && echo skiff-vsock | cpio --quiet -o -H newc -R 0:0 | gzip -n) >> "$WORK/initrd.cpio.gz"

vhost=false
[ "${VSOCK_VHOST:-0}" = 1 ] && vhost=true
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script \
    --section "\"vsock\": {\"guest_cid\": 3, \"uds_path\": $(json_str "$uds"), \"vhost\": $vhost}"
if [ "$vhost" = true ]; then
    "$LAB_HERE/vsock-host" vecho 6000 >"$WORK/echo.log" 2>&1 &
else
    "$LAB_HERE/vsock-host" echo "${uds}_6000" >"$WORK/echo.log" 2>&1 &
fi
echo_pid=$!
OUT=$WORK/vm.out
timeout -k 5 "$VM_TIMEOUT" "$LAB_HERE/l2-vmm" --config "$WORK/vm.json" </dev/null >"$OUT.raw" 2>&1 &
vm_pid=$!
if wait_for_line "$OUT.raw" 'VSOCK-LISTENING 5000' 150 "$vm_pid"; then
    random_file "$WORK/host-data" "$bytes"
    if [ "$vhost" = true ]; then
        timeout 120 "$LAB_HERE/vsock-host" vconnect 3 5000 "$WORK/host-data" "$WORK/host-back" >"$WORK/host.log" 2>&1 ||
            fail "host-initiated AF_VSOCK connection failed: $(tail -n 2 "$WORK/host.log")"
    else
        timeout 120 "$LAB_HERE/vsock-host" connect "$uds" 5000 "$WORK/host-data" "$WORK/host-back" >"$WORK/host.log" 2>&1 ||
            fail "host-initiated connection failed: $(tail -n 2 "$WORK/host.log")"
        grep -qE '^VSOCK-HOST-REPLY OK [0-9]+$' "$WORK/host.log" || fail "no 'OK <port>' reply: $(cat "$WORK/host.log")"
    fi
    log "host-initiated: $(cat "$WORK/host.log")"
    [ "$(sha "$WORK/host-back")" = "$(sha "$WORK/host-data")" ] ||
        fail "host-initiated echo differs ($(wc -c < "$WORK/host-back") of $bytes bytes back)"
else
    fail "the guest never listened on vsock port 5000"
fi
wait_pid "$vm_pid" "$VM_TIMEOUT"
tr -d '\r' <"$OUT.raw" >"$OUT"
log "VMM exit $RC"
expect_rc 0
expect_up
expect_fact listen_rc 0
expect_line "VSOCK-ECHOED $bytes" "the guest did not echo $bytes bytes"
expect_fact connect_rc 0
[ -n "$(fact g_sha)" ] && expect_fact g_back_sha "$(fact g_sha)"
kill "$echo_pid" 2>/dev/null; wait "$echo_pid" 2>/dev/null
grep -q "VSOCK-HOST-ECHOED $bytes" "$WORK/echo.log" || fail "guest-initiated: L1 echoed $(cat "$WORK/echo.log")"
[ ! -e "$uds" ] || fail "skiff left its socket $uds behind"
if [ "$vhost" = true ]; then
    expect_line 'vhost-vsock\)' "skiff did not say it uses vhost-vsock"
elif grep -q vhost "$OUT"; then
    fail "skiff mentions vhost without being asked"
fi
rm -rf "$sockdir"
[ "$FAILED" = 0 ] || show_out
log "both directions: $bytes bytes echoed, sha256 matches"
finish
