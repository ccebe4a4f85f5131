#!/usr/bin/env bash
# VFIO device assignment on arm64 without a vIOMMU: L1's two NVMe
# functions (each behind its own SMMUv3, bound to vfio-pci) assigned by the
# static aarch64 skiff to an arm64 L2 (1 vCPU, 256 MiB, the lab's kernel).
# Each NVMe's first MiB is random bytes of this host; the L2 reads both
# namespaces (sha256 of the first MiB, told apart by their serials) and
# must get the host images' sha256s, then copies it to the second MiB and
# reads that back (caches dropped); each NVMe's MSI-X vectors are ITS LPIs
# (DeviceID = the requester ID) that fired; skiff logs both assignments and
# exits 0 on the guest's power-off without a warning (each INTx irqfd
# taken: the devices come after the vGIC); afterwards both functions bind back to
# L1's nvme driver. The static skiff: $SKIFF_AARCH64, else
# tests/lab/arm64/build-static-skiff builds it.
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
$bb grep 'ITS-PCI-MSIX' /proc/interrupts | while read -r n c0 rest; do echo "SKIFF-L2-MSI $c0 $rest"; done
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
    --file "$files/initrd.cpio.gz:initrd.cpio.gz" --file "$LAB_ARM64/tests/arm64-vfio-nvme.l1:l1.sh" \
    --nvme-image "1=$WORK/nvme1.img" --nvme-image "2=$WORK/nvme2.img" -- sh l1.sh >"$WORK/l1.raw" 2>&1
rc=$?
tr -d '\r' < "$WORK/l1.raw" > "$WORK/l1.out"
sed 's/^/  | /' "$WORK/l1.out"
[ "$rc" = 0 ] || fail "the L1 part exited with $rc"
[ "$(grep -c '^L1-NVME .*driver=vfio-pci' "$WORK/l1.out")" = 2 ] || fail "not two NVMe functions on vfio-pci in L1"
grep -q '^SKIFF-RC 0 ' "$WORK/l1.out" || fail "skiff did not exit 0"
grep -q 'guest powered off' "$WORK/l1.out" || fail "the L2 did not power off"
! grep -E 'skiff: (warning|error)' "$WORK/l1.out" || fail "skiff warned (above: an INTx irqfd KVM refused, say)"
[ "$(grep -c 'skiff: info: vfio: .* assigned to the guest on root bus' "$WORK/l1.out")" = 2 ] ||
    fail "skiff did not log two assigned devices"
for s in skiff-nvme1 skiff-nvme2; do
    grep -q "^SKIFF-L2-NVME serial=$s pci=.* sha=${want[$s]}\$" "$WORK/l1.out" ||
        fail "L2: the first MiB of $s is not the host image's (sha256 ${want[$s]})"
    grep -q "^SKIFF-L2-COPY serial=$s sha=${want[$s]}\$" "$WORK/l1.out" ||
        fail "L2: the copy of $s's first MiB to its second MiB did not read back the same"
    pci=$(sed -n "s/^SKIFF-L2-NVME serial=$s pci=\([^ ]*\) .*/\1/p" "$WORK/l1.out")
    awk -v dev="ITS-PCI-MSIX-$pci" '/^SKIFF-L2-MSI / && index($0, dev) && /nvme/ && $2 > 0 { ok = 1 } END { exit !ok }' \
        "$WORK/l1.out" || fail "L2: no MSI-X vector (ITS LPI) of $s ($pci) fired"
done
[ "$(grep -c '^L1-REBIND .*driver=nvme$' "$WORK/l1.out")" = 2 ] ||
    fail "after skiff exited, the NVMe functions did not bind back to L1's nvme driver"
awk '/^SKIFF-RC / { printf "skiff run in L1: %.2f s (start to exit)\n", $4 - $3 }
     /^SKIFF-L2-INIT / { sub(/.*up=/, ""); print "L2 uptime at init: " $0 " s" }' "$WORK/l1.out"
finish
