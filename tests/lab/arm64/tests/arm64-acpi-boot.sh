#!/usr/bin/env bash
# An arm64 L2 Linux booted by skiff with boot-source.firmware_tables "acpi"
# (docs/arm64.md "ACPI"): no device tree beyond the stub /chosen, the EFI
# system table and memory map skiff writes, the tables from them. 2 vCPUs
# and two virtio-blk disks on two host bridges: the L2 must reach its init
# with both CPUs online, log that it uses ACPI (the EFI handoff, the
# tables incl. IORT, GTDT, SPCR, MCFG; no fallback to DT, no "Interpreter
# disabled"), print on the PL011, read both disks (sha256 = the host's,
# their MSI-X through the ITS, as the IORT maps them) and power off with
# exit 0; a second run reboots (exit 0). `skiff --dump-acpi` of the same
# config in L1 (with KVM) writes the tables, which iasl must decompile
# without a diagnostic when it is installed here. Prints the L2 uptime at
# init. The static aarch64 skiff: $SKIFF_AARCH64, else
# tests/lab/arm64/build-static-skiff builds it.
LAB_ARM64=$(cd "$(dirname "$0")/.." && pwd)
. "$LAB_ARM64/../lib.sh"
. "$LAB_ARM64/common.sh"

arm64_skiff
l2_stage
cp "$skiff" "$files/skiff" || fail "cannot stage skiff"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
echo "SKIFF-L2-INIT up=$($bb cut -d' ' -f1 /proc/uptime) cpus=$($bb grep -c ^processor /proc/cpuinfo) online=$($bb cat /sys/devices/system/cpu/online)"
[ -d /sys/firmware/acpi/tables ] && echo "SKIFF-L2-ACPI tables=$($bb ls /sys/firmware/acpi/tables | $bb tr '\n' ' ')"
[ -e /sys/firmware/devicetree/base/cpus ] && echo "SKIFF-L2-DT-CPUS present"
for d in vda vdb; do
    [ -b /dev/$d ] && echo "SKIFF-L2-DISK $d sha=$($bb sha256sum /dev/$d | $bb cut -d' ' -f1) at=$($bb readlink /sys/block/$d)"
done
$bb grep 'ITS-PCI-MSIX' /proc/interrupts | while read -r n c0 c1 rest; do
    echo "SKIFF-L2-MSI $((c0 + c1)) $rest"
done
$bb sleep 1
case " $($bb cat /proc/cmdline) " in
*" skiff.action=reboot "*) $bb reboot -f ;;
*) $bb poweroff -f ;;
esac
INIT
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -1) > "$files/initrd.cpio.gz" ||
    fail "cannot pack the initramfs"
head -c 8M /dev/urandom > "$files/disk.img"
want_sha=$(sha256sum "$files/disk.img" | cut -d' ' -f1)
vmcfg() {  # NAME ARGS
    printf '{ "boot-source": { "kernel_image_path": "/tmp/Image", "initrd_path": "/tmp/initrd.cpio.gz", "boot_args": "%s", "firmware_tables": "acpi" },
  "machine-config": { "vcpu_count": 2, "mem_size_mib": 256 },
  "drives": [ { "drive_id": "d0", "path_on_host": "/lab/disk.img", "is_root_device": false, "is_read_only": true },
    { "drive_id": "d1", "path_on_host": "/lab/disk.img", "is_root_device": false, "is_read_only": true, "root_bus": 1 } ] }\n' \
        "$2" > "$files/$1.json"
}
# earlycon without arguments: the kernel's early console from the SPCR.
vmcfg acpi "console=ttyAMA0 earlycon panic=-1${SKIFF_ACPI_EXTRA_ARGS:+ $SKIFF_ACPI_EXTRA_ARGS}"
vmcfg reboot "console=ttyAMA0 panic=-1 quiet skiff.action=reboot"
cat > "$files/run.sh" <<RUN
SKIFF_ACPI_RUNS="${SKIFF_ACPI_RUNS:-acpi reboot}"
RUN
cat >> "$files/run.sh" <<'RUN'
cd /lab
cp /lab/Image /lab/initrd.cpio.gz /tmp/
for c in ${SKIFF_ACPI_RUNS:-acpi reboot}; do
    echo "SKIFF-RUN-BEGIN $c $(cut -d' ' -f1 /proc/uptime)"
    # A hung L2 must not eat the whole lab run: L1's busybox timeout stops skiff.
    timeout 150 ./skiff --config "/lab/$c.json" </dev/null
    echo "SKIFF-RUN-END $c rc=$? $(cut -d' ' -f1 /proc/uptime)"
done
mkdir -p /lab/out/tables
./skiff --config /lab/acpi.json --dump-acpi /lab/out/tables
echo "SKIFF-DUMP rc=$? files=$(ls /lab/out/tables | tr '\n' ' ')"
RUN

fargs=()
for f in "$files"/*; do fargs+=(--file "$f"); done
out=$WORK/out
"$LAB_ARM64/lab-run" --timeout "${SKIFF_TEST_TIMEOUT:-240}" --no-iort --out "$out" "${fargs[@]}" -- sh /lab/run.sh \
    > "$WORK/l1.raw" 2>&1
rc=$?
tr -d '\r' < "$WORK/l1.raw" > "$WORK/l1.log"
sed 's/^/  | /' "$WORK/l1.log"
case $rc in
0) ;;
125) skip "the arm64 lab could not run (lab-run exit $rc)" ;;
124) fail "timeout: an L2 or L1 hung (lab-run exit 124)" ;;
*) fail "lab-run exited $rc" ;;
esac
section() { awk -v c="$1" '$0 ~ "SKIFF-RUN-BEGIN " c " " { on = 1 } on { print } $0 ~ "SKIFF-RUN-END " c " " { on = 0 }' "$WORK/l1.log"; }
section acpi > "$WORK/acpi.log"
section reboot > "$WORK/reboot.log"
a=$WORK/acpi.log
want() { grep -qE "$1" "$a" || fail "ACPI boot: no line matching /$1/ ($2)"; }
wantnot() { ! grep -qE "$1" "$a" || fail "ACPI boot: a line matches /$1/ ($2)"; }
want 'SKIFF-RUN-END acpi rc=0 ' "skiff did not exit 0"
want 'SKIFF-L2-INIT .* cpus=2 online=0-1' "the L2 did not reach init with 2 CPUs online"
want 'efi: EFI v2\.7' "the kernel did not take the EFI system table"
want 'efi: ACPI 2\.0=0x.* RTPROP=0x.* MEMRESERVE=0x' "not the three EFI configuration tables"
for t in RSDP XSDT FACP DSDT APIC GTDT SPCR MCFG IORT; do
    want "ACPI: $t 0x" "table $t not listed by the kernel"
done
want 'SKIFF-L2-ACPI tables=.*IORT' "no /sys/firmware/acpi/tables with the IORT"
wantnot 'SKIFF-L2-DT-CPUS' "the kernel has CPU nodes from a device tree"
wantnot 'Interpreter disabled|ACPI: Unsupported FADT|falling back to DT|ACPI: disabled' "ACPI not in use"
wantnot 'ACPI Error|ACPI BIOS Error|AE_NOT_FOUND|AE_ERROR|FW_BUG|Firmware Bug' "ACPI or firmware errors"
wantnot 'WARNING: |Call trace:' "a kernel warning"
want 'psci: PSCIv' "no PSCI (FADT ARM boot flags)"
want 'GICv3: CPU0: found redistributor 0' "no GICv3 redistributor from the MADT"
want 'ITS@0x0000000008080000' "no ITS from the MADT"
# ARMH0011 binds to the PL011 driver's SBSA-UART flavour in Linux 7.2.
want 'ARMH0011:00: ttyAMA0 at MMIO 0x9000000.* is a (PL011|SBSA)' "no PL011 from the DSDT"
want 'printk: console \[ttyAMA0\] enabled' "the PL011 is not the console"
want 'ACPI: PCI Root Bridge \[PCI0\]' "no host bridge PCI0"
want 'ACPI: PCI Root Bridge \[PCI1\]' "no host bridge PCI1"
for d in vda vdb; do
    want "SKIFF-L2-DISK $d sha=$want_sha" "/dev/$d's sha256 is not the disk's"
done
awk '/SKIFF-L2-MSI / && /-req/ && $2 > 0 { n++ } END { exit n < 2 }' "$a" ||
    fail "ACPI boot: the two disks' request-queue MSI-X vectors (ITS LPIs) did not both fire"
want 'guest powered off' "not powered off"
grep -q 'guest rebooted' "$WORK/reboot.log" && grep -q 'SKIFF-RUN-END reboot rc=0 ' "$WORK/reboot.log" ||
    fail "reboot: skiff did not report the guest's reboot with exit 0"
grep -q 'SKIFF-L2-INIT .* cpus=2' "$WORK/reboot.log" || fail "reboot: the L2 did not reach init"

grep -qE '^SKIFF-DUMP rc=0 ' "$WORK/l1.log" || fail "skiff --dump-acpi in L1 did not exit 0"
for t in XSDT FACP DSDT APIC GTDT SPCR MCFG IORT; do
    [ -s "$out/tables/$t.dat" ] || fail "--dump-acpi wrote no $t.dat"
done
if command -v iasl >/dev/null; then
    for f in "$out"/tables/*.dat; do
        [ "$(basename "$f")" = RSDP.dat ] && continue # iasl 2020 cannot read a binary RSDP
        (cd "$out/tables" && iasl -d "$(basename "$f")") > "$f.log" 2>&1 || fail "iasl -d $(basename "$f") failed"
        if grep -v -E '^Compilation successful' "$f.log" | grep -qiE 'warning|error|remark|unknown|invalid|\*\*\*'; then
            fail "iasl -d $(basename "$f") reported:"; grep -iE 'warning|error|remark|unknown|invalid' "$f.log" | head -5
        fi
    done
fi
for c in acpi reboot; do
    awk -v c="$c" '/SKIFF-RUN-BEGIN / { t0 = $3 } /SKIFF-L2-INIT / { sub(/.*up=/, ""); sub(/ .*/, ""); up = $0 }
        /SKIFF-RUN-END / { sub(/.*rc=[0-9]+ /, ""); printf "ACPI %s: L2 uptime at init %s s, skiff run %.2f s (L1 wall)\n", c, up, $1 - t0 }' \
        "$WORK/$c.log"
done
finish
