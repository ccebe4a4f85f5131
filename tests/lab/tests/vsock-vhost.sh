#!/usr/bin/env bash
# lab-run: --timeout 600
# vsock-echo with "vhost": true: the kernel's vhost-vsock carries the
# packets; L1 talks AF_VSOCK to the guest (CID 3, port 5000) and the guest
# to L1 (CID 2, port 6000), 1 MiB echoed each way, sha256 checked; skiff
# says it uses vhost-vsock.
VSOCK_VHOST=1 exec bash "$(dirname "$0")/vsock-echo.sh" "$@"
