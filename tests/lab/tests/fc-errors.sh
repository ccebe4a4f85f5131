#!/usr/bin/env bash
# Mistakes in network-interfaces and vsock end skiff at start with exit
# status 2 and one line naming the config path:
#  - a tap skiff may not open (owned by root, skiff runs as nobody; a tap
#    with no owner may be opened by anyone);
#  - a guest_mac that is not a MAC;
#  - a guest_cid below 3;
#  - a uds_path whose socket cannot be created (its directory is missing).
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
need_tools ip unshare setpriv
if [ "${FC_ERRORS_IN_NS:-0}" != 1 ]; then
    FC_ERRORS_IN_NS=1 SKIFF_TEST_WORK=$WORK exec unshare --net "$0" "$@"
fi
OWN_WORK=1
ip tuntap add dev sktap9 mode tap user 0 || { fail "ip tuntap add failed"; finish; }

# expect_error NAME REGEX [RUNNER...]: the VM run fails with 2 and one matching line
expect_error() {
    local name=$1 re=$2; shift 2
    OUT=$WORK/$name.out
    timeout -k 5 60 "$@" "$LAB_HERE/l2-vmm" --config "$WORK/$name.json" </dev/null >"$OUT" 2>&1
    RC=$?
    log "$name: exit $RC: $(grep -m1 -E "$re" "$OUT")"
    expect_rc 2
    expect_line "$re" "$name: no line matching /$re/"
    [ "$(grep -c "$name\.json: " "$OUT")" = 1 ] || { fail "$name: not exactly one line about the config"; show_out; }
}
nif() { printf '"network-interfaces": [{"iface_id": "eth0", "host_dev_name": "%s"%s}]' "$1" "${2:-}"; }

write_config "$WORK/tap-perm.json" --section "$(nif sktap9)"
# nobody needs /dev/kvm to get as far as the devices, and /dev/net/tun so
# that it is the tap itself that refuses; L1's devtmpfs is its own
chmod 666 /dev/kvm /dev/net/tun
chmod 755 "$WORK"; chmod 644 "$WORK/tap-perm.json"
expect_error tap-perm 'network-interfaces\[0\]\.host_dev_name: may not open tap sktap9' \
    setpriv --reuid=65534 --regid=65534 --clear-groups
write_config "$WORK/mac.json" --section "$(nif sktap9 ', "guest_mac": "06:00:0a:00:02"')"
expect_error mac 'network-interfaces\[0\]\.guest_mac: must be a MAC address'
write_config "$WORK/cid.json" --section '"vsock": {"guest_cid": 2, "uds_path": "/tmp/v.sock"}'
expect_error cid 'vsock\.guest_cid: must be 3 or more'
write_config "$WORK/uds.json" --section '"vsock": {"guest_cid": 3, "uds_path": "/nonexistent-dir/v.sock"}'
expect_error uds 'vsock\.uds_path: cannot create socket /nonexistent-dir/v\.sock: No such file or directory'
ip link del sktap9
finish
