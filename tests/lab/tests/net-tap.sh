#!/usr/bin/env bash
# lab-run: --timeout 900
# virtio-net from "network-interfaces" on a tap in a network namespace of
# L1, on both data paths: the userspace worker, then vhost-net ("vhost":
# true); then both again with "queue_pairs": 2 on a multi-queue tap and 2
# vCPUs (the guest must use 2 queue pairs); then once with a tap that does
# not exist: skiff (root in L1) creates it, says so, brings it up, and it is
# gone after skiff exits. Each time the guest (10.0.2.2) pings L1 (10.0.2.1), downloads a
# random file from L1 and uploads it back (busybox nc against socat in
# L1); both sha256s must match the original. The guest's negotiated
# virtio features must include the offloads the tap offers (checksum and
# TSO), and the vhost run must say it uses vhost-net.
# Then the guest unbinds its virtio-net driver (a device reset) and powers
# off by itself (which resets every virtio device again). (That reset hung
# while the guest's timer interrupts were lost in the lab, see
# guest-timer.sh: the driver waits for the reset with msleep.)
# SKIFF_NET_PATHS="user vhost mq mq-vhost create" (default) picks the runs;
# SKIFF_NET_VM_TIMEOUT (150) the seconds one VM may take; NET_BYTES the size.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
need_tools ip socat unshare
# Everything below runs in a network namespace of its own: the tap, its
# address and the socat servers are invisible to the rest of L1.
if [ "${NET_TAP_IN_NS:-0}" != 1 ]; then
    NET_TAP_IN_NS=1 SKIFF_TEST_WORK=$WORK exec unshare --net "$0" "$@"
fi
OWN_WORK=1  # the outer shell exec'ed into us: the work dir is ours to clean
ip link set lo up
ip tuntap add dev sktap0 mode tap || { fail "ip tuntap add failed"; finish; }
ip tuntap add dev skmq0 mode tap multi_queue || { fail "ip tuntap add multi_queue failed"; finish; }

bytes=${NET_BYTES:-4194304}
random_file "$WORK/data" "$bytes"
want=$(sha "$WORK/data")
cat > "$WORK/guest.sh" <<'GUEST'
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.2/24 dev eth0
echo "SKIFF-FACT mac=$(cat /sys/class/net/eth0/address)"
echo "SKIFF-FACT vfeatures=$(cat /sys/class/net/eth0/device/features 2>/dev/null)"
echo "SKIFF-FACT rx_queues=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"
ping -c 3 -W 10 10.0.2.1 > /tmp/ping 2>&1
echo "SKIFF-FACT ping_rc=$?"
echo "SKIFF-FACT ping_received=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' /tmp/ping)"
nc 10.0.2.1 5001 </dev/null >/tmp/in
echo "SKIFF-FACT get_rc=$?"
echo "SKIFF-FACT get_sha=$(sha256sum /tmp/in | cut -d' ' -f1)"
echo "SKIFF-FACT memavail_kib=$(sed -n 's/^MemAvailable: *\([0-9]*\).*/\1/p' /proc/meminfo)"
# a transfer still going after 100 s (a run takes 30-50): the guest's side of it, for the log
( sleep 100; echo "SKIFF-DIAG $(grep -E 'virtio.*put' /proc/interrupts | tr -s ' ' | tr '\n' ';')"
  echo "SKIFF-DIAG $(grep Tcp: /proc/net/snmp | tail -n 1)"
  echo "SKIFF-DIAG eth0 $(cd /sys/class/net/eth0/statistics && echo tx $(cat tx_packets) rx $(cat rx_packets) rx_dropped $(cat rx_dropped))"
  echo "SKIFF-DIAG bql $(cat /sys/class/net/eth0/queues/tx-0/byte_queue_limits/inflight /sys/class/net/eth0/queues/tx-0/byte_queue_limits/limit 2>/dev/null | tr '\n' ' ')"
  grep -v local_address /proc/net/tcp | sed 's/^/SKIFF-DIAG tcp /' ) &
diag=$!
nc 10.0.2.1 5002 </tmp/in >/dev/null
echo "SKIFF-FACT put_rc=$?"
echo "SKIFF-FACT memavail_after_put_kib=$(sed -n 's/^MemAvailable: *\([0-9]*\).*/\1/p' /proc/meminfo) oom_kills=$(sed -n 's/^oom_kill //p' /proc/vmstat)"
kill $diag 2>/dev/null
GUEST
cat >> "$WORK/guest.sh" <<'GUEST'
d=$(basename "$(readlink /sys/class/net/eth0/device)")
echo "SKIFF-FACT unbinding=$d status=$(cat /sys/bus/virtio/devices/$d/status)"
echo "$d" > /sys/bus/virtio/drivers/virtio_net/unbind
echo "SKIFF-FACT unbind_rc=$?"
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"

# run_vm_diag CONFIG: run_vm, but a VM still running after NET_VM_TIMEOUT
# seconds has its threads' backtraces (gdb) and kernel wait channels logged
# before it is killed.
run_vm_diag() {
    local cfg=$1 pid t0 deadline
    OUT=$WORK/$(basename "$cfg" .json).out
    t0=$(date +%s)
    "$SKIFF" --config "$cfg" </dev/null >"$OUT.raw" 2>&1 &
    pid=$!
    # by the clock: under an emulated L1 a loop of short sleeps runs far slower than it counts
    deadline=$(( t0 + ${SKIFF_NET_VM_TIMEOUT:-150} ))
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        # a slow transfer or a stalled one: what L1 received, and again 5 s later
        b0=$(wc -c < "$WORK/back" 2>/dev/null); sleep 5; b1=$(wc -c < "$WORK/back" 2>/dev/null)
        fail "VMM still running after ${SKIFF_NET_VM_TIMEOUT:-150}s (upload received by L1: ${b0:-none}, 5 s later ${b1:-none} bytes); its threads:"
        vmm_stall_report "$pid" | sed 's/^/  /'
        echo "  tap: $(ip -s link show "$tap" 2>&1 | tr -s ' \n' ' ')"
        ss -tin 2>&1 | sed 's/^/  ss: /' | head -n 20
        kill -KILL "$pid"
    fi
    wait "$pid"; RC=$?
    tr -d '\r' <"$OUT.raw" >"$OUT"
    log "VMM skiff exit $RC after $(( $(date +%s) - t0 ))s"
}

for path in ${SKIFF_NET_PATHS:-${NET_PATHS:-user vhost mq mq-vhost create}}; do
    case $path in
    user) vhost=false tap=sktap0 pairs=1 ;;
    vhost) vhost=true tap=sktap0 pairs=1 ;;
    mq) vhost=false tap=skmq0 pairs=2 ;;
    mq-vhost) vhost=true tap=skmq0 pairs=2 ;;
    create) vhost=false tap=sknew0 pairs=1 ;;
    *) fail "NET_PATHS: unknown data path $path"; continue ;;
    esac
    log "data path: $path"
    ip addr flush dev sktap0; ip addr flush dev skmq0; ip link set sktap0 down; ip link set skmq0 down
    addr_pid=
    if [ "$path" = create ]; then
        ! ip link show sknew0 >/dev/null 2>&1 || { fail "sknew0 exists before skiff runs"; continue; }
        # skiff makes the tap when it starts; give it L1's address as soon as it is there
        ( for _ in $(seq 600); do
              ip link show sknew0 >/dev/null 2>&1 && { ip addr add 10.0.2.1/24 dev sknew0; break; }
              sleep 0.1
          done ) &
        addr_pid=$!
    else
        ip addr add 10.0.2.1/24 dev $tap && ip link set $tap up || { fail "cannot configure $tap"; continue; }
    fi
    rm -f "$WORK/back"
    # the namespace is ours alone: the servers listen on every address in it
    socat -u "FILE:$WORK/data" TCP-LISTEN:5001,reuseaddr 2>"$WORK/socat-get.log" &
    get_pid=$!
    socat -u TCP-LISTEN:5002,reuseaddr "CREATE:$WORK/back" 2>"$WORK/socat-put.log" &
    put_pid=$!
    net='"network-interfaces": [{"iface_id": "eth0", "host_dev_name": "'$tap'", "guest_mac": "06:00:0a:00:02:02", "rx_rate_limiter": null, "tx_rate_limiter": null, "vhost": '$vhost', "queue_pairs": '$pairs'}]'
    write_config "$WORK/vm-$path.json" --vcpus "$pairs" --initrd "$WORK/initrd.cpio.gz" --action script --section "$net"
    run_vm_diag "$WORK/vm-$path.json"
    kill "$get_pid" "$put_pid" $addr_pid 2>/dev/null; wait "$get_pid" "$put_pid" $addr_pid 2>/dev/null
    if [ "$path" = create ]; then
        expect_line 'created tap sknew0' "skiff did not say it created sknew0"
        ! ip link show sknew0 >/dev/null 2>&1 || fail "sknew0 is still there after skiff exited"
    fi
    expect_rc 0
    expect_up
    expect_fact mac 06:00:0a:00:02:02
    expect_fact ping_rc 0
    expect_fact ping_received 3
    expect_fact get_rc 0
    expect_fact unbind_rc 0
    expect_fact script_rc 0
    expect_fact get_sha "$want"
    expect_fact put_rc 0
    if [ "$(sha "$WORK/back" 2>/dev/null)" != "$want" ]; then
        fail "$path: the file the guest sent back differs ($(wc -c < "$WORK/back" 2>/dev/null) bytes)"; show_out
    fi
    f=$(fact vfeatures)
    # bits 0 (CSUM), 1 (GUEST_CSUM), 7 (GUEST_TSO4), 11 (HOST_TSO4): a tap takes them all
    for bit in 0 1 7 11; do
        [ "${f:$bit:1}" = 1 ] || { fail "$path: feature bit $bit not negotiated: $f"; show_out; }
    done
    expect_fact rx_queues "$pairs"
    if [ "$pairs" -gt 1 ]; then  # MQ (bit 22) and the control queue (17)
        [ "${f:17:1}${f:22:1}" = 11 ] || { fail "$path: MQ/CTRL_VQ not negotiated: $f"; show_out; }
    fi
    if [ "$vhost" = true ]; then
        expect_line 'vhost-net\)' "skiff did not say it uses vhost-net"
    elif grep -q 'vhost' "$OUT"; then
        fail "$path: skiff mentions vhost"; show_out
    fi
    [ "$FAILED" = 0 ] && log "$path: ping ok, $bytes bytes down and up, sha256 $want, features $f; guest MemAvailable $(fact memavail_kib) KiB after the download, $(fact memavail_after_put_kib) after the upload"
done
ip link del sktap0
ip link del skmq0
finish
