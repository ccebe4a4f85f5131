#!/usr/bin/env bash
# Two drives, the second with "root_bus": 1: skiff creates two PCIe root
# buses (the 256 bus numbers split evenly: buses 00 and 80 of segment 0,
# two PNP0A08 host bridges); the guest sees both, and each disk with its
# drive_id as serial on its own root bus.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
truncate -s 8M "$WORK/d0.img" "$WORK/d1.img"
cat > "$WORK/guest.sh" <<GUEST
$GUEST_WAIT_DEV
wait_dev /dev/vda
wait_dev /dev/vdb
echo "SKIFF-FACT pci_buses=\$(ls /sys/class/pci_bus | tr '\n' ' ')"
echo "SKIFF-FACT pci_devices=\$(ls /sys/bus/pci/devices | tr '\n' ' ')"
for d in vda vdb; do
    echo "SKIFF-FACT \$d=\$(cat /sys/block/\$d/serial) \$(readlink -f /sys/block/\$d/device)"
done
echo "SKIFF-FACT acpi_bad=\$(dmesg | grep -cE 'ACPI Error|ACPI Warning|AE_|_OSC: platform retains')"
dmesg | grep -E 'ACPI Error|ACPI Warning|AE_|_OSC: platform retains|PCI Root Bridge' | sed 's/^/SKIFF-DMESG /'
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script \
    --drive "disk0=$WORK/d0.img" --drive "disk1=$WORK/d1.img,root_bus=1"
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
buses=$(fact pci_buses) devs=$(fact pci_devices)
log "pci buses: $buses"
log "pci devices: $devs"
sed -n 's/^SKIFF-DMESG /|   /p' "$OUT"
for b in 0000:00 0000:80; do
    case " $buses " in *" $b "*) ;; *) fail "no PCI bus $b in /sys/class/pci_bus: $buses" ;; esac
    case " $devs" in *" $b:"*) ;; *) fail "no PCI device on bus $b: $devs" ;; esac
done
# each disk: its serial, on its root bus (vda/vdb order is the guest's)
found=
for d in vda vdb; do
    v=$(fact $d); log "$d: $v"
    case $v in
    "disk0 "*/pci0000:00/0000:00:*) found+=" disk0" ;;
    "disk1 "*/pci0000:80/0000:80:*) found+=" disk1" ;;
    *) fail "$d: unexpected serial/device: '$v'" ;;
    esac
done
[ "$(echo $found | tr ' ' '\n' | sort | tr '\n' ' ')" = "disk0 disk1 " ] ||
    { fail "expected disk0 on bus 00 and disk1 on bus 80, found:$found"; show_out; }
expect_fact acpi_bad 0
expect_fact script_rc 0
finish
