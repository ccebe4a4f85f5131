#!/usr/bin/env bash
# Devices behind a vIOMMU do not use vhost (skiff does not speak vhost's
# IOTLB protocol): with the real /dev/vhost-net and /dev/vhost-vsock of L1,
# the unit test tests/unit/virtio/test-virtio-dma asks for vhost on a
# virtio-net over a tap (made by skiff, as root) and on a virtio-vsock,
# each behind its fake vIOMMU. virtio-net must start and send a frame whose
# buffers are split over pages far apart in GPA space out of the tap itself
# (vhost-net would get rings at IOVAs outside guest RAM and break the
# device); virtio-vsock must open its Unix-socket bridge when the driver
# starts it (vhost-vsock would not) and hand a CONNECT to the guest; each
# says so in one line. No L2 guest.
. "$(dirname "$0")/../lib.sh"
PROG=$REPO/build/tests/unit/virtio/test-virtio-dma
[ -x "$PROG" ] || { fail "$PROG is not built (ninja -C build)"; finish; }
[ -w /dev/vhost-net ] || skip "L1 has no /dev/vhost-net"
[ -w /dev/vhost-vsock ] || skip "L1 has no /dev/vhost-vsock"
OUT=$WORK/out
TMPDIR=/tmp "$PROG" > "$OUT" 2>&1
RC=$?
expect_rc 0
expect_line '^skiff: warning: virtio-net t: behind a vIOMMU, which vhost cannot follow .*; using the userspace data path$' \
    "virtio-net did not say it left vhost-net for the userspace path"
expect_line '^skiff: warning: virtio-vsock cid 3: behind a vIOMMU, which vhost cannot follow .*; using the Unix-socket bridge$' \
    "virtio-vsock did not say it left vhost-vsock for the bridge"
grep -q 'no vhost-net tap test here' "$OUT" && { fail "the vhost-net tap part did not run"; show_out; }
[ "$(grep -c 'behind a vIOMMU, which vhost cannot follow' "$OUT")" = 2 ] || { fail "not exactly one fallback line per device"; show_out; }
grep -E 'vhost|dma:' "$OUT"
finish
