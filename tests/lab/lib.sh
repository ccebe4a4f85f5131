# Shared code of the lab tests (tests/lab/tests/*.sh). Source it:
#   . "$(dirname "$0")/../lib.sh"
# A test runs inside the lab (tests/lab/run-tests does that), writes a VM
# config, runs the VMM, asserts; it exits 0 on success, non-zero on failure,
# 77 to ask for a skip (run-tests turns that into a failure under CI=true).
#
# Environment:
#   SKIFF             the skiff binary (default build/vmm/skiff in the repo)
#   SKIFF_L2_VMM      skiff (default) | qemu | qemu-microvm | qemu-q35: the
#                     VMM that runs the L2 guest (see tests/lab/l2-vmm)
#   SKIFF_LAB_DIR     the build-local lab dir (default build/lab): holds the
#                     guest initramfs and the ELF vmlinux (lab_prepare)
#   SKIFF_GUEST_KERNEL  L2 bzImage (default: the lab kernel)
#   SKIFF_VM_TIMEOUT  seconds one VM run may take (default 200)
# shellcheck shell=bash

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
REPO=$(cd "$LAB_HERE/../.." && pwd)
LAB_DIR=${SKIFF_LAB_DIR:-$REPO/build/lab}
SKIFF=${SKIFF:-$REPO/build/vmm/skiff}
export SKIFF
GUEST_KERNEL=${SKIFF_GUEST_KERNEL:-${SKIFF_LAB_KERNEL:-$REPO/../shared/lab/bzImage-7.2-lab}}
GUEST_INITRD=$LAB_DIR/guest-initramfs.cpio.gz
GUEST_VMLINUX=$LAB_DIR/vmlinux-7.2-lab
VMLINUX_GZ=${SKIFF_LAB_VMLINUX_GZ:-$REPO/../shared/lab/vmlinux-7.2-lab.gz}
VM_TIMEOUT=${SKIFF_VM_TIMEOUT:-200}
# The base kernel command line every test uses.
BASE_ARGS="console=ttyS0 reboot=k panic=-1 quiet loglevel=4 no_timer_check"

# lab_prepare: build what the tests need into the lab dir (on the host,
# before entering the lab: inside L1 the build tree is read-only).
lab_prepare() {
    mkdir -p "$LAB_DIR" || return 1
    "$LAB_HERE/make-guest-initramfs" "$GUEST_INITRD" || return 1
    if [ -r "$VMLINUX_GZ" ] && { [ ! -s "$GUEST_VMLINUX" ] || [ "$VMLINUX_GZ" -nt "$GUEST_VMLINUX" ]; }; then
        gzip -dc "$VMLINUX_GZ" > "$GUEST_VMLINUX.tmp" && mv "$GUEST_VMLINUX.tmp" "$GUEST_VMLINUX" || return 1
    fi
}

# --- per-test state (not for LAB_LIB_ONLY=1: the driver, the benchmark) ----
if [ "${LAB_LIB_ONLY:-0}" != 1 ]; then
    TEST_NAME=$(basename "$0" .sh)
    # SKIFF_TEST_WORK: a work dir given by the caller (a test that runs
    # part of itself in a lab-run of its own); the caller removes it
    if [ -n "${SKIFF_TEST_WORK:-}" ]; then
        WORK=$SKIFF_TEST_WORK OWN_WORK=0
    else
        mkdir -p "${SKIFF_LAB_SCRATCH:-${TMPDIR:-/tmp}}" || exit 1  # a fresh checkout has none yet
        WORK=$(mktemp -d "${SKIFF_LAB_SCRATCH:-${TMPDIR:-/tmp}}/$TEST_NAME.XXXXXX") || exit 1
        OWN_WORK=1
    fi
    FAILED=0
    cleanup_work() { [ "$FAILED" = 0 ] && [ "$OWN_WORK" = 1 ] && [ "${SKIFF_KEEP_WORK:-0}" != 1 ] && rm -rf "$WORK"; }
    trap cleanup_work EXIT
fi

log() { echo "[$TEST_NAME] $*"; }
fail() { FAILED=1; echo "[$TEST_NAME] FAIL: $*"; }
# skip REASON: exit 77 (a failure under CI=true, see run-tests)
skip() { echo "[$TEST_NAME] SKIP: $*"; exit 77; }
finish() {
    if [ "$FAILED" != 0 ]; then
        echo "[$TEST_NAME] files kept in $WORK"
        exit 1
    fi
    log "ok"
    exit 0
}

# need_guest [initrd] [vmlinux] [vmm]: check what the test uses.
need() {
    local w
    for w in "$@"; do
        case $w in
        kernel) [ -r "$GUEST_KERNEL" ] || skip "no guest kernel $GUEST_KERNEL" ;;
        initrd) [ -r "$GUEST_INITRD" ] || skip "no guest initramfs $GUEST_INITRD (run lab_prepare / tests/lab/run-tests)" ;;
        vmlinux) [ -r "$GUEST_VMLINUX" ] || skip "no ELF vmlinux $GUEST_VMLINUX (run lab_prepare / tests/lab/run-tests)" ;;
        kvm) [ -w /dev/kvm ] || skip "no usable /dev/kvm" ;;
        vmm)
            case ${SKIFF_L2_VMM:-skiff} in
            skiff) [ -x "$SKIFF" ] || skip "skiff not built: $SKIFF" ;;
            *) command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64" ;;
            esac ;;
        esac
    done
}

# json_str S: S as a JSON string literal
json_str() {
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/\\t}; s=${s//$'\n'/\\n}
    printf '"%s"' "$s"
}

# write_config FILE [--vcpus N] [--mem MIB] [--action A] [--kernel K]
#              [--initrd I|--no-initrd] [--args EXTRA-BOOT-ARGS] [--raw-args ARGS]
#              [--console DEV] [--drive ID=PATH[,root][,ro][,root_bus=N][,slot=N]]...
#              [--section 'KEY: JSON']...
# --console: the console= of the base command line (default ttyS0; hvc0 for
# a virtio console). --drive: a drives[] entry (drive_id ID, is_root_device
# true with ,root). --section: a top-level section as JSON text, e.g.
# '"entropy": {}' or '"serial": {"device": "virtio"}'.
write_config() {
    local f=$1; shift
    local vcpus=1 mem=128 action=poweroff kernel=$GUEST_KERNEL initrd=$GUEST_INITRD extra= raw= console=ttyS0
    local drives=() sections=() d
    while [ $# -gt 0 ]; do
        case $1 in
        --vcpus) vcpus=$2 ;;
        --mem) mem=$2 ;;
        --action) action=$2 ;;
        --kernel) kernel=$2 ;;
        --initrd) initrd=$2 ;;
        --no-initrd) initrd=; shift; continue ;;
        --args) extra=$2 ;;
        --raw-args) raw=$2 ;;
        --console) console=$2 ;;
        --drive) d=$(drive_json "$2") || return 2; drives+=("$d") ;;
        --section) sections+=("$2") ;;
        *) echo "write_config: bad option $1" >&2; return 2 ;;
        esac
        shift 2
    done
    local base=${BASE_ARGS/console=ttyS0/console=$console}
    local args=${raw:-$base${extra:+ $extra} skiff.action=$action}
    local i
    {
        printf '{\n  "boot-source": {\n    "kernel_image_path": %s,\n' "$(json_str "$kernel")"
        [ -n "$initrd" ] && printf '    "initrd_path": %s,\n' "$(json_str "$initrd")"
        printf '    "boot_args": %s\n  },\n' "$(json_str "$args")"
        if [ ${#drives[@]} -gt 0 ]; then
            printf '  "drives": [\n'
            for i in "${!drives[@]}"; do
                printf '    %s%s\n' "${drives[$i]}" "$([ "$i" -lt $((${#drives[@]} - 1)) ] && echo ,)"
            done
            printf '  ],\n'
        fi
        for d in ${sections[@]+"${sections[@]}"}; do printf '  %s,\n' "$d"; done
        printf '  "machine-config": {"vcpu_count": %s, "mem_size_mib": %s}\n}\n' "$vcpus" "$mem"
    } > "$f"
}

# drive_json ID=PATH[,root][,ro][,root_bus=N][,slot=N]: a drives[] entry
drive_json() {
    local id=${1%%=*} rest=${1#*=} path opt root=false ro=false more=
    path=${rest%%,*}
    [ "$path" = "$rest" ] && rest= || rest=${rest#*,}
    local IFS=,
    for opt in $rest; do
        case $opt in
        root) root=true ;;
        ro) ro=true ;;
        root_bus=*|slot=*) more+=", \"${opt%%=*}\": ${opt#*=}" ;;
        *) echo "drive_json: bad option $opt" >&2; return 2 ;;
        esac
    done
    printf '{"drive_id": %s, "path_on_host": %s, "is_root_device": %s, "is_read_only": %s%s}' \
        "$(json_str "$id")" "$(json_str "$path")" "$root" "$ro" "$more"
}

# vm_cmd CONFIG: the command line that runs the VMM on CONFIG
vm_cmd() { echo "$LAB_HERE/l2-vmm" --config "$1"; }

# run_vm CONFIG [STDIN-FILE]: run the VMM in the foreground under a timeout.
# Sets RC (exit status; 124 = timed out) and OUT (file with stdout+stderr,
# carriage returns removed), and logs both.
run_vm() {
    local cfg=$1 in=${2:-/dev/null} t0 t1 pid wd
    OUT=$WORK/$(basename "$cfg" .json).out
    rm -f "$OUT.stall"
    t0=$(date +%s.%N)
    "$LAB_HERE/l2-vmm" --config "$cfg" <"$in" >"$OUT.raw" 2>&1 &
    pid=$!
    # A VM still running after VM_TIMEOUT: say where it is before killing it.
    ( trap 'kill $s 2>/dev/null; exit 0' TERM
      sleep "$VM_TIMEOUT" & s=$!; wait $s
      kill -0 "$pid" 2>/dev/null || exit 0
      vmm_stall_report "$pid" >"$OUT.stall" 2>&1
      kill -TERM "$pid" 2>/dev/null; sleep 5; kill -KILL "$pid" 2>/dev/null ) &
    wd=$!
    wait "$pid"; RC=$?
    kill "$wd" 2>/dev/null; wait "$wd" 2>/dev/null
    t1=$(date +%s.%N)
    tr -d '\r' <"$OUT.raw" >"$OUT"
    VM_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    log "VMM ${SKIFF_L2_VMM:-skiff} exit $RC after ${VM_SECS}s"
    if [ -e "$OUT.stall" ]; then
        RC=124
        fail "VMM did not finish within ${VM_TIMEOUT}s; where it was:"
        sed 's/^/  /' "$OUT.stall"
    fi
    return 0
}

# vmm_stall_report PID: where a VMM that does not finish is: each thread's
# kernel wait channel and stack, user-space backtraces (gdb), and the state
# of skiff's virtio-net workers and vVT-d units (gdb scripts beside this file).
vmm_stall_report() {
    local pid=$1 t
    for t in /proc/$pid/task/*; do
        echo "thread ${t##*/} $(cat "$t/comm" 2>/dev/null) wchan=$(cat "$t/wchan" 2>/dev/null)"
        sed 's/^/    kernel: /' "$t/stack" 2>/dev/null | head -n 12
    done
    command -v gdb >/dev/null || { echo "(no gdb in L1: no backtraces)"; return 0; }
    timeout 60 gdb -p "$pid" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^(Thread|#)' | head -n 100
    local py
    for py in gdb-net-state.py gdb-vtd-state.py; do
        timeout 60 gdb -p "$pid" -batch -x "$LAB_HERE/$py" 2>&1 |
            grep -E '^(virtio-net|  (pair|queue|source|vtd)|net_worker|iq engine)'
    done
}

# show_out: print the VMM's output (on failure)
# (once per output file: later failures on the same run refer to it)
SHOWN_OUT=
show_out() {
    if [ "$SHOWN_OUT" = "$OUT" ]; then echo "(VMM output above)"; return; fi
    SHOWN_OUT=$OUT
    echo "----- VMM output ($OUT) -----"; sed 's/^/| /' "$OUT" | tail -n 60; echo "-----"
}

# fact KEY: the value of "SKIFF-FACT KEY=..." in $OUT (first one)
fact() { sed -n "s/^.*SKIFF-FACT $1=//p" "$OUT" | head -n 1; }

expect_rc() {
    [ "$RC" = "$1" ] || { fail "expected exit status $1, got $RC"; show_out; }
}
expect_line() { # expect_line REGEX (grep -E) DESCRIPTION
    grep -qE "$1" "$OUT" || { fail "${2:-no line matching /$1/ in the output}"; show_out; }
}
expect_up() { expect_line '^SKIFF-GUEST-UP' "the guest never printed SKIFF-GUEST-UP"; }
expect_fact() { # expect_fact KEY VALUE
    local v; v=$(fact "$1")
    [ "$v" = "$2" ] || { fail "fact $1: expected '$2', got '$v'"; show_out; }
}
expect_fact_range() { # expect_fact_range KEY MIN MAX (integers, inclusive)
    local v; v=$(fact "$1")
    case $v in ''|*[!0-9]*) fail "fact $1: not a number: '$v'"; show_out; return ;; esac
    if [ "$v" -lt "$2" ] || [ "$v" -gt "$3" ]; then
        fail "fact $1=$v not in [$2, $3]"; show_out
    else
        log "fact $1=$v (in [$2, $3])"
    fi
}

# wait_for_line FILE REGEX SECONDS PID: wait until FILE has a line matching
# REGEX; fails if PID exits first or SECONDS pass.
wait_for_line() {
    local f=$1 re=$2 n=$(( $3 * 10 )) pid=$4
    while [ "$n" -gt 0 ]; do
        tr -d '\r' <"$f" 2>/dev/null | grep -qE "$re" && return 0
        kill -0 "$pid" 2>/dev/null || { tr -d '\r' <"$f" | grep -qE "$re" && return 0; return 1; }
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# wait_pid PID SECONDS: wait for a background child; sets RC (124 on timeout,
# after which the child is killed)
wait_pid() {
    local pid=$1 n=$(( $2 * 10 ))
    while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; RC=124; return 1
    fi
    wait "$pid"; RC=$?
}

# --- guest scripts and disk images ----------------------------------------

# script_initrd SCRIPT OUT: the test initramfs plus SCRIPT as /skiff-test.sh
# (boot it with --action script)
script_initrd() {
    "$LAB_HERE/make-guest-initramfs" --append-script "$1" "$GUEST_INITRD" "$2" ||
        { fail "cannot build an initramfs with $1"; finish; }
}

# need_tools TOOL...: skip unless every tool is installed
need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || skip "$t not installed (e2fsprogs?)"
    done
}
PATH=$PATH:/usr/sbin:/sbin  # mkfs.ext4, e2fsck, debugfs

# ---- host PCI functions in L1, for the VFIO tests ----
# l1_nvme_bdf: the PCI address of L1's first emulated NVMe (QEMU 1b36:0010), empty if none
l1_nvme_bdf() {
    local d
    for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor")" = 0x1b36 ] && [ "$(cat "$d/device")" = 0x0010 ] && { echo "${d##*/}"; return; }
    done
}

# bind_vfio_pci BDF: take it from its driver and give it to vfio-pci; true if its VFIO cdev appeared
bind_vfio_pci() {
    local p=/sys/bus/pci/devices/$1
    [ -e "$p/driver" ] && echo "$1" > "$p/driver/unbind"
    echo vfio-pci > "$p/driver_override"
    echo "$1" > /sys/bus/pci/drivers_probe
    ls "$p/vfio-dev/" >/dev/null 2>&1
}

# rebind_host_driver BDF DRIVER WHEN: from vfio-pci back to DRIVER ("WHEN, BDF binds back to DRIVER"), else a failure
rebind_host_driver() {
    local p=/sys/bus/pci/devices/$1
    echo > "$p/driver_override"
    echo "$1" > "$p/driver/unbind"
    echo "$1" > /sys/bus/pci/drivers_probe
    [ "$(basename "$(readlink -f "$p/driver")")" = "$2" ] &&
        log "$3, $1 binds back to $2" || fail "$1 did not bind back to $2"
}

# random_file FILE BYTES: FILE with BYTES random bytes
random_file() { head -c "$2" /dev/urandom > "$1"; }

# GUEST_WAIT_DEV: a shell function for guest scripts (prepend it):
# wait_dev DEV [SECONDS] waits until the device node exists
GUEST_WAIT_DEV='wait_dev() { n=$(( ${2:-10} * 10 )); while [ ! -e "$1" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done; [ -e "$1" ] || echo "SKIFF-GUEST-ERROR no $1"; }'

# sha FILE: its sha256 (hex)
sha() { sha256sum "$1" | cut -d' ' -f1; }

# mkext4 IMG SIZE DIR: an ext4 image of SIZE (mke2fs syntax: 64M) holding DIR
mkext4() {
    mkfs.ext4 -q -F -E root_owner=0:0 -d "$3" "$1" "$2" >"$WORK/mkfs.log" 2>&1 ||
        { fail "mkfs.ext4 -d $3 $1 $2 failed: $(tail -n 3 "$WORK/mkfs.log")"; finish; }
}

# ext4_fsck IMG: replay IMG's journal as a mount would and check it
# (e2fsck -fy); fails the test if the file system is damaged
ext4_fsck() {
    local rc
    e2fsck -fy "$1" >"$WORK/fsck.log" 2>&1
    rc=$?
    if [ "$rc" -gt 1 ]; then
        fail "e2fsck $1: exit $rc"; sed 's/^/| /' "$WORK/fsck.log" | tail -n 20
        return 1
    fi
    log "e2fsck $(basename "$1"): exit $rc (clean or fixed)"
}

# ext4_get IMG PATH OUT: copy PATH out of the ext4 image IMG (debugfs);
# fails if PATH is not in the image
ext4_get() {
    rm -f "$3"
    debugfs -R "dump $2 $3" "$1" >"$WORK/debugfs.log" 2>&1
    [ -f "$3" ] || { log "debugfs: $2 not in $(basename "$1"): $(grep -v '^debugfs ' "$WORK/debugfs.log" | head -n 2)"; return 1; }
}

# expect_acpi_clean DMESG-FILE: print the guest's ACPI lines; fail on ACPI
# errors/warnings ("ACPI Error", "ACPI Warning", "AE_", "_OSC: platform retains")
expect_acpi_clean() {
    local bad
    log "guest dmesg, ACPI/_OSC lines:"
    grep -aE 'ACPI|_OSC|AE_' "$1" | sed 's/^/|   /'
    bad=$(grep -acE 'ACPI Error|ACPI Warning|AE_|_OSC: platform retains' "$1")
    [ "$bad" = 0 ] || fail "$bad ACPI error/warning lines in the guest's dmesg (above)"
}

# l1_disk N: the device node of lab-run's --l1-disk number N (by serial)
l1_disk() {
    local f
    for f in /sys/block/*/serial; do
        [ "$(cat "$f" 2>/dev/null)" = "skiff-l1-disk$1" ] || continue
        f=${f%/serial}; echo "/dev/${f##*/}"; return 0
    done
    return 1
}
