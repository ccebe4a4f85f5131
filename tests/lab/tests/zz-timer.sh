#!/usr/bin/env bash
# lab-run: --timeout 300
. "$(dirname "$0")/../lib.sh"
VM_TIMEOUT=120
need kernel initrd vmm
cat > "$WORK/guest.sh" <<'GUEST'
dmesg | grep -iE 'clock|tsc|apic|timer|hpet|pit|nohz|kvm' | head -60
cat /sys/devices/system/clockevents/clockevent0/current_device
cat /sys/devices/system/clocksource/clocksource0/current_clocksource
grep -E 'flags' /proc/cpuinfo | head -1
for i in 1 2 3 4 5; do t0=$(cat /proc/uptime); sleep 3; echo "DBG slept 3: $t0 -> $(cat /proc/uptime)"; done
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script
run_vm "$WORK/vm.json"
cat "$OUT"
date
finish
