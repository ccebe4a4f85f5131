#!/usr/bin/env bash
# lab-run: --timeout 600
# skiff's guest-visible VT-d ("iommu": {"enabled": true}, docs/vvtd.md)
# under an L2 Linux booted with intel_iommu=on,sm_on iommu.strict=1 (the
# lab kernel has CONFIG_INTEL_IOMMU): the guest's intel-iommu driver binds
# to skiff's unit (DMAR lines in dmesg, the unit in /sys/class/iommu, the
# disk's PCI function in an iommu_group with a translated "DMA" domain
# behind that unit, VIRTIO_F_ACCESS_PLATFORM negotiated) and does ext4 I/O
# on a virtio-blk disk through it: a known 1 MiB file read back with its
# sha256, a new file written and checked on the host (e2fsck, debugfs).
# No DMA-remapping fault lines in the guest's dmesg; skiff's counters
# (the "vvtdN stats:" line at exit) show drains, descriptors, waits and
# IOTLB lookups, no faults and no queue errors.
#
# VIOMMU_MODE (set by viommu-two.sh and viommu-iqe.sh):
#   blk  one drive on root bus 0: one unit (default)
#   two  a second drive on root bus 1: the guest lists two DMAR units, the
#        disks sit behind different ones, I/O behind each, both units' counters
#   iqe  as two, and first tests/lab/guest/skiff-vtd-iqe puts an invalid
#        descriptor into the queue of bus 1's unit through /dev/mem: the
#        unit stops with FSTS.IQE and its head at that descriptor, the tool
#        recovers it the architected way; skiff logs the error once, keeps
#        running, counts iqe=1 on that unit, and both disks' I/O (bus 0's
#        and, after the recovery, bus 1's) still verifies
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
need_tools mkfs.ext4 e2fsck debugfs cpio
mode=${VIOMMU_MODE:-blk}
case $mode in blk) ndisk=1 ;; two|iqe) ndisk=2 ;; *) fail "bad VIOMMU_MODE $mode"; finish ;; esac
tool=$REPO/build/tests/lab/skiff-vtd-iqe
[ "$mode" != iqe ] || [ -x "$tool" ] || skip "no $tool (ninja -C build)"
token=viommu-$mode-$$-$RANDOM

# guest: facts about each disk's PCI function and IOMMU (kept in /tmp/facts
# too), the iqe step, then I/O on each disk
cat > "$WORK/guest.sh" <<GUEST
$GUEST_WAIT_DEV
f() { echo "SKIFF-FACT \$1"; echo "SKIFF-FACT \$1" >> /tmp/facts; }
getf() { sed -n "s/^SKIFF-FACT \$1=//p" /tmp/facts; }
wait_dev /dev/vda
[ $ndisk = 1 ] || wait_dev /dev/vdb
f "iommus=\$(ls /sys/class/iommu | grep '^dmar' | tr '\n' ' ')"
for d in vda vdb; do
    [ -e /sys/block/\$d ] || continue
    s=\$(cat /sys/block/\$d/serial)
    v=\$(readlink -f /sys/block/\$d/device)
    p=\${v%/*}
    u=\$(readlink \$p/iommu); u=\${u##*/}
    g=\$(readlink \$p/iommu_group)
    f "\${s}_dev=\$d"
    f "\${s}_pci=\${p##*/}"
    f "\${s}_iommu=\$u"
    f "\${s}_group=\${g##*/}"
    f "\${s}_domain=\$(cat \$p/iommu_group/type 2>/dev/null)"
    f "\${s}_access_platform=\$(cut -c34 \$v/features)"
    [ -z "\$u" ] || f "\${s}_unit_base=\$(cat /sys/class/iommu/\$u/intel-iommu/address)"
done
if [ $mode = iqe ]; then
    /skiff-vtd-iqe "\$(getf disk1_unit_base)"
    f "iqe_rc=\$?"
fi
for s in disk0 disk1; do
    d=\$(getf \${s}_dev)
    [ -n "\$d" ] || continue
    mkdir -p /mnt/\$s
    mount -t ext4 /dev/\$d /mnt/\$s || { f "\${s}_mount=failed"; continue; }
    f "\${s}_known_sha=\$(sha256sum /mnt/\$s/known | cut -d' ' -f1)"
    { echo $token-\$s; cat /mnt/\$s/known; } > /mnt/\$s/new
    f "\${s}_new_sha=\$(sha256sum /mnt/\$s/new | cut -d' ' -f1)"
    umount /mnt/\$s && f "\${s}_umount=ok"
done
dmesg > /tmp/dmesg
grep -E 'DMAR|DRHD|Directed I/O|Invalidation|iommu' /tmp/dmesg | head -n 40 | sed 's/^/SKIFF-DMESG /'
f "vtd_up=\$(grep -c 'Intel(R) Virtualization Technology for Directed I/O' /tmp/dmesg)"
f "dma_faults=\$(grep -cE 'DMAR: \[(DMA|INTR)|fault addr|PTE (Read|Write) access' /tmp/dmesg)"
f "fault_events=\$(grep -cE 'DRHD: handling fault status|Invalidation Queue Error|invalid descriptor' /tmp/dmesg)"
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
if [ "$mode" = iqe ]; then
    mkdir -p "$WORK/add" && cp "$tool" "$WORK/add/skiff-vtd-iqe"
    (cd "$WORK/add" && echo skiff-vtd-iqe | cpio --quiet -o -H newc -R 0:0 | gzip -n) >> "$WORK/initrd.cpio.gz"
fi

drives=()
for i in $(seq 0 $((ndisk - 1))); do
    mkdir -p "$WORK/tree$i"
    random_file "$WORK/tree$i/known" 1048576
    mkext4 "$WORK/disk$i.img" 32M "$WORK/tree$i"
    d="disk$i=$WORK/disk$i.img"
    [ "$i" = 0 ] || d+=",root_bus=$i"
    drives+=(--drive "$d")
done
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script --mem 256 \
    --args "intel_iommu=on,sm_on iommu.strict=1" "${drives[@]}" \
    --section '"iommu": {"enabled": true}'
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
expect_fact script_rc 0
log "guest's IOMMU lines:"; sed -n 's/^SKIFF-DMESG /|   /p' "$OUT"
grep -E '^skiff: .*vvtd' "$OUT" | sed 's/^/|   /'

# vvtd_stat UNIT KEY: KEY's value on skiff's "vvtdUNIT stats:" line
vvtd_stat() { sed -n "s/^skiff: info: vvtd$1 stats:.*[ :]$2=\([0-9]*\).*/\1/p" "$OUT" | head -n 1; }

# the guest's view (the lab kernel's iommufd selftest adds a mock IOMMU of its own; only dmar* count)
expect_fact vtd_up 1
iommus=$(fact iommus)
want_iommus="dmar0 "; [ "$ndisk" = 1 ] || want_iommus="dmar0 dmar1 "
[ "$iommus" = "$want_iommus" ] || { fail "/sys/class/iommu: expected '$want_iommus', got '$iommus'"; show_out; }
expect_fact dma_faults 0
[ "$mode" = iqe ] || expect_fact fault_events 0
units=
for i in $(seq 0 $((ndisk - 1))); do
    s=disk$i
    u=$(fact ${s}_iommu) g=$(fact ${s}_group) dom=$(fact ${s}_domain)
    log "$s: $(fact ${s}_dev) at $(fact ${s}_pci), behind $u ($(fact ${s}_unit_base)), iommu_group $g, domain $dom"
    case $u in dmar[0-9]*) units+=" $u" ;; *) fail "$s: its PCI function has no IOMMU ('$u')" ;; esac
    [ -n "$g" ] || fail "$s: no iommu_group"
    [ "$dom" = DMA ] || fail "$s: iommu_group domain '$dom', expected DMA (translated, strict)"
    expect_fact ${s}_access_platform 1
    expect_fact ${s}_known_sha "$(sha "$WORK/tree$i/known")"
    { echo "$token-$s"; cat "$WORK/tree$i/known"; } > "$WORK/expected-$s"
    expect_fact ${s}_new_sha "$(sha "$WORK/expected-$s")"
    expect_fact ${s}_umount ok
    ext4_fsck "$WORK/disk$i.img" || continue
    if ext4_get "$WORK/disk$i.img" /new "$WORK/$s.new" && cmp -s "$WORK/$s.new" "$WORK/expected-$s"; then
        log "$s: the host reads the guest's /new intact"
    else
        fail "$s: the guest's /new is missing or differs on the host"
    fi
done
[ "$ndisk" = 1 ] || [ "$(echo $units | tr ' ' '\n' | sort -u | wc -l)" = 2 ] ||
    fail "the two disks should sit behind two different units, got:$units"

# skiff's counters: every unit drained, completed waits, looked up its IOTLB
for k in $(seq 0 $((ndisk - 1))); do
    line=$(grep -E "^skiff: info: vvtd$k stats:" "$OUT")
    [ -n "$line" ] || { fail "no 'vvtd$k stats:' line from skiff"; show_out; continue; }
    log "MEASURE ${line#skiff: info: }"
    for key in drains descriptors waits; do
        v=$(vvtd_stat $k $key)
        [ "${v:-0}" -gt 0 ] || fail "vvtd$k: $key=$v, expected some"
    done
    hits=$(vvtd_stat $k iotlb_hits) misses=$(vvtd_stat $k iotlb_misses)
    [ $(( ${hits:-0} + ${misses:-0} )) -gt 0 ] || fail "vvtd$k: no IOTLB lookups (hits=$hits misses=$misses)"
    expect_stat=0; [ "$mode" = iqe ] && [ "$k" = 1 ] && expect_stat=1
    [ "$(vvtd_stat $k iqe)" = "$expect_stat" ] || fail "vvtd$k: iqe=$(vvtd_stat $k iqe), expected $expect_stat"
    [ "$(vvtd_stat $k faults)" = 0 ] || fail "vvtd$k: faults=$(vvtd_stat $k faults), expected 0"
done

if [ "$mode" = iqe ]; then
    log "tool: $(fact iqe_before) / $(fact iqe_after) / $(fact iqe_recovered)"
    expect_fact iqe_seen 1
    expect_fact iqe_head_ok 1
    expect_fact iqe_cleared 1
    expect_fact iqe_rc 0
    n=$(grep -c 'vvtd1: the guest queued an invalid descriptor' "$OUT")
    [ "$n" = 1 ] || { fail "skiff logged the queue error $n times, expected once"; show_out; }
    [ "$(grep -c 'vvtd0: the guest queued' "$OUT")" = 0 ] || fail "skiff logged a queue error on vvtd0"
    # the fault event interrupt reached the guest's DMAR fault handler (FSTS 0x10: IQE)
    [ "$(fact fault_events)" -ge 1 ] || fail "the guest's dmesg shows no fault event for the IQE"
fi
finish
