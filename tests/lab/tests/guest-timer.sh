#!/usr/bin/env bash
# The guest's timers fire on time: three `sleep 2` in the guest each take
# 2 to 4 s of the guest's own uptime, and the local timer interrupt count
# rises. Guards against a guest whose TSC-deadline timer never fires (seen
# in the nested lab, where KVM converts deadlines with a TSC offset the
# guest's RDTSC does not get; skiff's KVM probe then hides TSC-deadline).
# Sleeps, I/O timeouts and ext4's journal commits all depend on this.
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
cat > "$WORK/guest.sh" <<'GUEST'
loc() { awk '/LOC:/ { print $2 }' /proc/interrupts; }
echo "SKIFF-FACT loc_before=$(loc)"
worst=0
for i in 1 2 3; do
    t0=$(cut -d' ' -f1 /proc/uptime); sleep 2; t1=$(cut -d' ' -f1 /proc/uptime)
    ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
    echo "sleep 2 took $ms ms"
    [ "$ms" -gt "$worst" ] && worst=$ms
done
echo "SKIFF-FACT sleep_worst_ms=$worst"
echo "SKIFF-FACT loc_after=$(loc)"
GUEST
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
for n in 1 2; do
    write_config "$WORK/vm$n.json" --vcpus $n --initrd "$WORK/initrd.cpio.gz" --action script
    run_vm "$WORK/vm$n.json"
    expect_rc 0
    expect_fact script_rc 0
    expect_fact_range sleep_worst_ms 1900 4000
    before=$(fact loc_before) after=$(fact loc_after)
    if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]; then
        log "$n vCPU(s): local timer interrupts $before -> $after"
    else
        fail "$n vCPU(s): local timer interrupts did not rise ($before -> $after)"
    fi
    grep -E 'skiff: info: KVM' "$OUT" | sed 's/^/  /'
done
finish
