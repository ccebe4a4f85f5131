#!/usr/bin/env bash
# The guest-visible vSMMUv3 on real nested SMMUv3s (issue #9 item 4): L1's
# two NVMe functions, each behind its own emulated nest-capable SMMUv3,
# assigned by the static aarch64 skiff with the config's "iommu" section
# on, to an arm64 L2 (2 vCPUs, 256 MiB, the lab's kernel). skiff gives the
# L2 one vSMMUv3 per host SMMU (DT arm,smmu-v3 nodes, iommu-map on each
# assigned device's host bridge), each backed by that SMMU's iommufd
# vIOMMU. The L2's arm-smmu-v3 driver must probe both and put each NVMe in
# a translated (DMA) domain, so its stage-1 tables are the guest's own and
# the host SMMU walks them nested over skiff's stage-2: the L2 reads both
# namespaces' first MiB (sha256 = the host images'), copies it to the
# second MiB and reads that back past the page cache. skiff's counters must
# show the guest's STEs made nested HWPTs, the devices attached to them, the
# invalidations reaching the host in IOMMU_HWPT_INVALIDATE calls with no
# host error; the test prints commands per host call.
#
# MSI-X: the L1 kernel programs each vector with an address in its MSI
# window (0x8000000), which passes the L2's stage-1 before skiff's stage-2
# (where iommufd maps L1's ITS doorbell); the DTB asks the L2 to map that
# window 1:1 for each assigned device (reserved-memory iommu-addresses),
# and skiff routes the vectors to its ITS whatever IOVA the L2 programs.
# Each NVMe's MSI-X vectors must fire, and the L2 must log no SMMU event
# (a translation fault at the window is what a missing mapping looks like).
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"

skiff=${SKIFF_AARCH64:-}
if [ -z "$skiff" ]; then
    command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64 cross compiler (scripts/setup.sh --cross aarch64)"
    skiff=$("$LAB_ARM64/build-static-skiff" 2>"$WORK/build.log") ||
        { sed 's/^/  | /' "$WORK/build.log"; fail "building the static aarch64 skiff failed"; finish; }
fi
file -L "$skiff" | grep -q 'ARM aarch64.*statically linked' || skip "$skiff is not a static aarch64 program"
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
cp "$busybox" "$root/bin/busybox"
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
    echo "SKIFF-L2-NVME serial=$($bb cat "$c/serial" | $bb tr -d ' ') pci=$($bb basename "$($bb readlink "$c/device")") sha=$($bb head -c 1048576 "$ns" | $bb sha256sum | $bb cut -d' ' -f1)"
    # the device reads guest memory too: the first MiB written to the second, read back past the page cache
    $bb dd if="$ns" of="$ns" bs=1048576 count=1 seek=1 conv=fsync 2>/dev/null
    echo 3 > /proc/sys/vm/drop_caches
    echo "SKIFF-L2-COPY serial=$($bb cat "$c/serial" | $bb tr -d ' ') sha=$($bb dd if="$ns" bs=1048576 skip=1 count=1 2>/dev/null | $bb sha256sum | $bb cut -d' ' -f1)"
done
$bb grep 'ITS-PCI-MSIX' /proc/interrupts | while read -r n c0 c1 rest; do echo "SKIFF-L2-MSI $((c0 + c1)) $rest"; done
for c in /sys/class/nvme/nvme*; do
    d=$($bb readlink -f "$c/device")
    g=$($bb readlink -f "$d/iommu_group")
    echo "SKIFF-L2-DOMAIN serial=$($bb cat "$c/serial" | $bb tr -d ' ') iommu=$($bb basename "$($bb readlink "$d/iommu")") type=$($bb cat "$g/type")"
done
echo "SKIFF-L2-SMMUS $($bb ls /sys/class/iommu | $bb tr '\n' ' ')"
$bb dmesg | $bb grep -iE 'nvme|smmu|iommu' | $bb sed 's/^/SKIFF-L2-DMESG /'
$bb sleep 1
$bb poweroff -f
INIT
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1) > "$files/initrd.cpio.gz" ||
    skip "cannot build the L2 initramfs"
declare -A want
for i in 1 2; do
    random_file "$WORK/known$i" 1048576
    { cat "$WORK/known$i"; head -c $((3 * 1048576)) /dev/zero; } > "$WORK/nvme$i.img"
    want[skiff-nvme$i]=$(sha "$WORK/known$i")
done

"$LAB_ARM64/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-240}" --file "$skiff:skiff" --file "$files/Image:Image" \
    --file "$files/initrd.cpio.gz:initrd.cpio.gz" --file "$LAB_ARM64/tests/arm64-viommu-nvme.l1:l1.sh" \
    --nvme-image "1=$WORK/nvme1.img" --nvme-image "2=$WORK/nvme2.img" -- sh l1.sh >"$WORK/l1.raw" 2>&1
rc=$?
tr -d '\r' < "$WORK/l1.raw" > "$WORK/l1.out"
sed 's/^/  | /' "$WORK/l1.out"
[ "$rc" = 0 ] || fail "the L1 part exited with $rc"
[ "$(grep -c '^L1-NVME .*driver=vfio-pci' "$WORK/l1.out")" = 2 ] || fail "not two NVMe functions on vfio-pci in L1"
grep -q '^SKIFF-RC 0 ' "$WORK/l1.out" || fail "skiff did not exit 0"
grep -q 'guest powered off' "$WORK/l1.out" || fail "the L2 did not power off"
! grep -E 'skiff: (warning|error)' "$WORK/l1.out" || fail "skiff warned"
[ "$(grep -c 'skiff: info: vsmmuv3-[01]: SMMUv3 for root bus .* nested on host IOMMU smmu3' "$WORK/l1.out")" = 2 ] ||
    fail "skiff did not make two vSMMUv3s, one per host SMMUv3"
[ "$(grep -c '^SKIFF-L2-DMESG .*arm-smmu-v3 .*: oas 48-bit' "$WORK/l1.out")" = 2 ] ||
    fail "L2: the arm-smmu-v3 driver did not probe two SMMUs"
for s in skiff-nvme1 skiff-nvme2; do
    grep -q "^SKIFF-L2-DOMAIN serial=$s iommu=.* type=DMA" "$WORK/l1.out" ||
        fail "L2: $s is not in a translated (DMA) domain of its vSMMUv3"
    grep -q "^SKIFF-L2-NVME serial=$s pci=.* sha=${want[$s]}\$" "$WORK/l1.out" ||
        fail "L2: the first MiB of $s is not the host image's (sha256 ${want[$s]})"
    grep -q "^SKIFF-L2-COPY serial=$s sha=${want[$s]}\$" "$WORK/l1.out" ||
        fail "L2: the copy of $s's first MiB to its second MiB did not read back the same"
    pci=$(sed -n "s/^SKIFF-L2-NVME serial=$s pci=\([^ ]*\) .*/\1/p" "$WORK/l1.out")
    awk -v dev="ITS-PCI-MSIX-$pci" '/^SKIFF-L2-MSI / && index($0, dev) && /nvme/ && $2 > 0 { ok = 1 } END { exit !ok }' \
        "$WORK/l1.out" || fail "L2: no MSI-X vector (ITS LPI) of $s ($pci) fired"
done
! grep -E '^SKIFF-L2-DMESG .*arm-smmu-v3 .*event' "$WORK/l1.out" || fail "L2: its SMMUs reported events (faults)"
[ "$(grep -o 'iommu=[^ ]*' "$WORK/l1.out" | sort -u | wc -l)" = 2 ] || fail "L2: the two NVMe functions are not behind two different vSMMUv3s"
for u in 0 1; do
    st=$(grep "skiff: info: vsmmuv3-$u stats:" "$WORK/l1.out") || { fail "no counters of vsmmuv3-$u"; continue; }
    ns=$(grep "skiff: info: vsmmuv3-$u nested:" "$WORK/l1.out") || { fail "no nested counters of vsmmuv3-$u"; continue; }
    val() { echo "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"; }
    [ "$(val "$ns" hwpt_allocs)" -ge 1 ] || fail "vsmmuv3-$u: no nested HWPT was made from a guest STE"
    [ "$(val "$ns" attaches)" -ge 1 ] || fail "vsmmuv3-$u: no device was attached to a nested HWPT"
    [ "$(val "$ns" invalidations)" -ge 1 ] || fail "vsmmuv3-$u: no invalidation reached the host"
    [ "$(val "$ns" errors)" = 0 ] || fail "vsmmuv3-$u: host calls failed"
    [ "$(val "$st" cerrors)" = 0 ] || fail "vsmmuv3-$u: the guest's command queue raised errors"
    echo "vsmmuv3-$u: $(val "$st" commands) guest commands in $(val "$st" drains) drains, $(val "$st" host_calls) host calls," \
        "$(val "$ns" invalidations) IOMMU_HWPT_INVALIDATE carrying $(val "$ns" entries) entries;" \
        "$(awk -v c="$(val "$st" flushed_cmds)" -v h="$(val "$st" host_calls)" 'BEGIN { printf "%.2f", h ? c / h : 0 }') commands per host call"
done
[ "$(grep -c '^L1-REBIND .*driver=nvme$' "$WORK/l1.out")" = 2 ] ||
    fail "after skiff exited, the NVMe functions did not bind back to L1's nvme driver"
awk '/^SKIFF-RC / { printf "skiff run in L1: %.2f s (start to exit)\n", $4 - $3 }
     /^SKIFF-L2-INIT / { sub(/.*up=/, ""); print "L2 uptime at init: " $0 " s" }' "$WORK/l1.out"
finish
