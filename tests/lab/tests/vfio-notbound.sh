#!/usr/bin/env bash
# skiff's messages for vfio devices it cannot take, against L1's real sysfs:
# a PCI function bound to another driver (exit 1, says how to bind it to
# vfio-pci) and a PCI address that does not exist (a config error, exit 2).
# Also prints what the VMM said for the bound one, so a regression shows.
. "$(dirname "$0")/../lib.sh"
need kernel vmm

bdf= drv=
for d in /sys/bus/pci/devices/*; do
    [ -e "$d/driver" ] || continue
    drv=$(basename "$(readlink -f "$d/driver")")
    [ "$drv" != vfio-pci ] && { bdf=${d##*/}; break; }
done
[ -n "$bdf" ] || skip "L1 has no PCI device bound to a driver"
log "using $bdf (bound to $drv)"

write_config "$WORK/bound.json" --section "\"vfio\": [{\"id\": \"d0\", \"bdf\": \"$bdf\"}]"
run_vm "$WORK/bound.json"
expect_rc 1
expect_line "PCI device $bdf is bound to $drv, not vfio-pci: unbind it \\(echo $bdf > /sys/bus/pci/devices/$bdf/driver/unbind\\), then \`echo vfio-pci > /sys/bus/pci/devices/$bdf/driver_override; echo $bdf > /sys/bus/pci/drivers_probe\`" \
    "no 'bound to $drv, not vfio-pci' message with the fix"

write_config "$WORK/missing.json" --section '"vfio": [{"id": "d0", "bdf": "0000:00:1f.7"}]'
run_vm "$WORK/missing.json"
expect_rc 2
expect_line 'vfio\[0\]\.bdf: PCI device 0000:00:1f\.7 does not exist on this host' "no 'does not exist' message"

write_config "$WORK/pcioff.json" --args pci=off --section "\"vfio\": [{\"id\": \"d0\", \"bdf\": \"$bdf\"}]"
run_vm "$WORK/pcioff.json"
expect_rc 2
expect_line 'vfio\[0\]: the guest runs with pci=off' "no pci=off message"
finish
