# Sourced by the arm64 lab tests (after ../lib.sh): running the static
# aarch64 skiff in L1, and giving an L2 L1's two NVMe functions.
#
# arm64_skiff: sets $skiff to $SKIFF_AARCH64, else builds it with
#   tests/lab/arm64/build-static-skiff; skips when there is no cross compiler
#   (lib.sh turns a skip into a failure under CI).
# nvme_l2_run L1SCRIPT: the L2's files (the lab kernel, a busybox initramfs
#   whose init reports each NVMe namespace: sha256 of its first MiB, the
#   same after copying it to the second MiB past the page cache, the MSI-X
#   vectors that fired, each function's IOMMU and domain type, the L2's
#   SMMUs and its nvme/smmu/iommu kernel messages, then powers off), two
#   4 MiB NVMe images whose first MiB is random (want[skiff-nvme1|2] their
#   sha256), then lab-run with L1SCRIPT as l1.sh; $WORK/l1.out holds L1's
#   output, $l1_rc lab-run's exit.
# nvme_l2_check: what every such test requires: L1 put both functions on
#   vfio-pci, skiff exited 0 on the guest's power-off without a warning, the
#   L2 read both images and their copies back, each function's MSI-X
#   vectors fired, both bound back to L1's nvme driver afterwards; prints
#   the L2's uptime at init and skiff's run time.
# vsmmu_check SMMU: what a test with the iommu section requires besides:
#   a vSMMUv3 per host SMMUv3, the L2 driver probing two SMMUs whose device
#   names match SMMU, each NVMe in a DMA domain of a different one, no SMMU
#   event (a missing MSI window mapping shows as F_TRANSLATION at
#   0x8000040), per unit nested HWPTs made and attached, invalidations
#   reaching the host, no host or command-queue error; prints commands per
#   host call.

arm64_skiff() {
    skiff=${SKIFF_AARCH64:-}
    if [ -z "$skiff" ]; then
        command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64 cross compiler (scripts/setup.sh --cross aarch64)"
        skiff=$("$LAB_ARM64/build-static-skiff" 2>"$WORK/build.log") ||
            { sed 's/^/  | /' "$WORK/build.log"; fail "building the static aarch64 skiff failed"; finish; }
    fi
    [ -x "$skiff" ] || skip "no static aarch64 skiff at $skiff"
    file -L "$skiff" | grep -q 'ARM aarch64.*statically linked' || skip "$skiff is not a static aarch64 program"
}

# l2_stage: $files gets the L2 kernel (the lab's, gunzipped), $root an
#   initramfs tree with the arm64 busybox; the caller writes $root/init.
l2_stage() {
    local sid busybox kernel
    sid=$("$LAB_ARM64/setup-sid" --print-dir) || skip "no sid chroot (tests/lab/arm64/setup-sid)"
    busybox=$sid/lab/busybox/bin/busybox
    [ -x "$busybox" ] || "$LAB_ARM64/lab-run" --timeout 120 -- true >/dev/null 2>&1
    [ -x "$busybox" ] || skip "no arm64 busybox at $busybox (lab-run fetches it on its first run)"
    kernel=${SKIFF_LAB_ARM64_KERNEL:-$REPO/../shared/lab/arm64/Image-7.2-lab-arm64.gz}
    files=$WORK/files root=$WORK/root
    mkdir -p "$files" "$root/bin" "$root/proc" "$root/sys" "$root/dev"
    case $kernel in
    *.gz) gzip -dc "$kernel" > "$files/Image" ;;
    *) cp "$kernel" "$files/Image" ;;
    esac || skip "cannot read the lab kernel $kernel"
    cp "$busybox" "$root/bin/busybox" || fail "cannot stage busybox"
}

nvme_l2_files() {
    l2_stage
    cat > "$root/init" <<'INIT'
#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
echo "SKIFF-L2-INIT up=$($bb cut -d' ' -f1 /proc/uptime)"
n=0
while { [ ! -b /dev/nvme0n1 ] || [ ! -b /dev/nvme1n1 ]; } && [ $n -lt 300 ]; do $bb sleep 0.1; n=$((n + 1)); done
for c in /sys/class/nvme/nvme*; do
    ns=/dev/$($bb basename "$c")n1
    [ -b "$ns" ] || continue
    serial=$($bb cat "$c/serial" | $bb tr -d ' ')
    echo "SKIFF-L2-NVME serial=$serial pci=$($bb basename "$($bb readlink "$c/device")") sha=$($bb head -c 1048576 "$ns" | $bb sha256sum | $bb cut -d' ' -f1)"
    # the device reads guest memory too: the first MiB written to the second, read back past the page cache
    $bb dd if="$ns" of="$ns" bs=1048576 count=1 seek=1 conv=fsync 2>/dev/null
    echo 3 > /proc/sys/vm/drop_caches
    echo "SKIFF-L2-COPY serial=$serial sha=$($bb dd if="$ns" bs=1048576 skip=1 count=1 2>/dev/null | $bb sha256sum | $bb cut -d' ' -f1)"
    d=$($bb readlink -f "$c/device")
    echo "SKIFF-L2-DOMAIN serial=$serial iommu=$($bb basename "$($bb readlink "$d/iommu" 2>/dev/null)") type=$($bb cat "$d/iommu_group/type" 2>/dev/null)"
done
# each vector's count summed over the CPUs, then the chip and name
$bb awk '/ITS-PCI-MSIX/ { s = 0; i = 2; while (i <= NF && $i ~ /^[0-9]+$/) s += $(i++); o = ""; for (; i <= NF; i++) o = o " " $i; print "SKIFF-L2-MSI " s o }' /proc/interrupts
echo "SKIFF-L2-SMMUS $($bb ls /sys/class/iommu 2>/dev/null | $bb tr '\n' ' ')"
$bb dmesg | $bb grep -iE 'nvme|smmu|iommu' | $bb sed 's/^/SKIFF-L2-DMESG /'
$bb sleep 1
$bb poweroff -f
INIT
    chmod 755 "$root/init"
    (cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1) > "$files/initrd.cpio.gz" ||
        skip "cannot build the L2 initramfs"
}

nvme_l2_run() {
    local l1=$1 i
    arm64_skiff
    nvme_l2_files
    declare -gA want
    for i in 1 2; do
        random_file "$WORK/known$i" 1048576
        { cat "$WORK/known$i"; head -c $((3 * 1048576)) /dev/zero; } > "$WORK/nvme$i.img"
        want[skiff-nvme$i]=$(sha "$WORK/known$i")
    done
    "$LAB_ARM64/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-240}" --file "$skiff:skiff" --file "$files/Image:Image" \
        --file "$files/initrd.cpio.gz:initrd.cpio.gz" --file "$l1:l1.sh" \
        --nvme-image "1=$WORK/nvme1.img" --nvme-image "2=$WORK/nvme2.img" -- sh l1.sh >"$WORK/l1.raw" 2>&1
    l1_rc=$?
    tr -d '\r' < "$WORK/l1.raw" > "$WORK/l1.out"
    sed 's/^/  | /' "$WORK/l1.out"
}

nvme_l2_check() {
    local s pci out=$WORK/l1.out
    [ "$l1_rc" = 0 ] || fail "the L1 part exited with $l1_rc"
    [ "$(grep -c '^L1-NVME .*driver=vfio-pci' "$out")" = 2 ] || fail "not two NVMe functions on vfio-pci in L1"
    grep -q '^SKIFF-RC 0 ' "$out" || fail "skiff did not exit 0"
    grep -q 'guest powered off' "$out" || fail "the L2 did not power off"
    ! grep -E 'skiff: (warning|error)' "$out" || fail "skiff warned (above)"
    for s in skiff-nvme1 skiff-nvme2; do
        grep -q "^SKIFF-L2-NVME serial=$s pci=.* sha=${want[$s]}\$" "$out" ||
            fail "L2: the first MiB of $s is not the host image's (sha256 ${want[$s]})"
        grep -q "^SKIFF-L2-COPY serial=$s sha=${want[$s]}\$" "$out" ||
            fail "L2: the copy of $s's first MiB to its second MiB did not read back the same"
        pci=$(sed -n "s/^SKIFF-L2-NVME serial=$s pci=\([^ ]*\) .*/\1/p" "$out")
        awk -v dev="ITS-PCI-MSIX-$pci" '/^SKIFF-L2-MSI / && index($0, dev) && /nvme/ && $2 > 0 { ok = 1 } END { exit !ok }' \
            "$out" || fail "L2: no MSI-X vector (ITS LPI) of $s ($pci) fired"
    done
    [ "$(grep -c '^L1-REBIND .*driver=nvme$' "$out")" = 2 ] ||
        fail "after skiff exited, the NVMe functions did not bind back to L1's nvme driver"
    awk '/^SKIFF-RC / { printf "skiff run in L1: %.2f s (start to exit)\n", $4 - $3 }
         /^SKIFF-L2-INIT / { sub(/.*up=/, ""); print "L2 uptime at init: " $0 " s" }' "$out"
}

vsmmu_check() {
    local smmu=$1 out=$WORK/l1.out s u st ns
    [ "$(grep -c 'skiff: info: vsmmuv3-[01]: SMMUv3 for root bus .* nested on host IOMMU smmu3' "$out")" = 2 ] ||
        fail "skiff did not make two vSMMUv3s, one per host SMMUv3"
    [ "$(grep -c "^SKIFF-L2-DMESG .*arm-smmu-v3 $smmu: oas 48-bit" "$out")" = 2 ] ||
        fail "L2: the arm-smmu-v3 driver did not probe two SMMUs ($smmu)"
    for s in skiff-nvme1 skiff-nvme2; do
        grep -q "^SKIFF-L2-DOMAIN serial=$s iommu=smmu3.* type=DMA" "$out" ||
            fail "L2: $s is not in a translated (DMA) domain of a vSMMUv3"
    done
    ! grep -E '^SKIFF-L2-DMESG .*arm-smmu-v3 .*event|F_TRANSLATION' "$out" || fail "L2: its SMMUs reported events (faults)"
    [ "$(grep -o 'iommu=smmu3[^ ]*' "$out" | sort -u | wc -l)" = 2 ] ||
        fail "L2: the two NVMe functions are not behind two different vSMMUv3s"
    val() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
    for u in 0 1; do
        st=$(grep "skiff: info: vsmmuv3-$u stats:" "$out") || { fail "no counters of vsmmuv3-$u"; continue; }
        ns=$(grep "skiff: info: vsmmuv3-$u nested:" "$out") || { fail "no nested counters of vsmmuv3-$u"; continue; }
        [ "$(val "$ns" hwpt_allocs)" -ge 1 ] || fail "vsmmuv3-$u: no nested HWPT was made from a guest STE"
        [ "$(val "$ns" attaches)" -ge 1 ] || fail "vsmmuv3-$u: no device was attached to a nested HWPT"
        [ "$(val "$ns" invalidations)" -ge 1 ] || fail "vsmmuv3-$u: no invalidation reached the host"
        [ "$(val "$ns" errors)" = 0 ] || fail "vsmmuv3-$u: host calls failed"
        [ "$(val "$st" cerrors)" = 0 ] || fail "vsmmuv3-$u: the guest's command queue raised errors"
        echo "vsmmuv3-$u: $(val "$st" commands) guest commands in $(val "$st" drains) drains, $(val "$st" host_calls) host calls," \
            "$(val "$ns" invalidations) IOMMU_HWPT_INVALIDATE carrying $(val "$ns" entries) entries;" \
            "$(awk -v c="$(val "$st" flushed_cmds)" -v h="$(val "$st" host_calls)" 'BEGIN { printf "%.2f", h ? c / h : 0 }') commands per host call"
    done
}
