#!/usr/bin/env bash
# "entropy": {}: a virtio-rng device; the guest reads 1 MiB from
# /dev/hwrng and reports its size, sha256 and gzip size (random data does
# not compress: a stuck or zero source would). `SKIFF_RNG_BYTES=N` (a multiple
# of 64 KiB) reads another amount. (1 MiB took 40-200+ s in the lab while
# the guest's timer interrupts were lost, see guest-timer.sh; now a few s.)
. "$(dirname "$0")/../lib.sh"
need kernel initrd vmm
cat > "$WORK/guest.sh" <<'GUEST'
echo "SKIFF-FACT rng_current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
dd if=/dev/hwrng of=/tmp/rng bs=64k count=RNG_COUNT iflag=fullblock 2>/dev/null
echo "SKIFF-FACT rng_bytes=$(wc -c < /tmp/rng)"
echo "SKIFF-FACT rng_sha=$(sha256sum /tmp/rng | cut -d' ' -f1)"
echo "SKIFF-FACT rng_gzip_bytes=$(gzip -c /tmp/rng | wc -c)"
GUEST
rng_bytes=${SKIFF_RNG_BYTES:-1048576}
sed -i "s/RNG_COUNT/$((rng_bytes / 65536))/" "$WORK/guest.sh"
script_initrd "$WORK/guest.sh" "$WORK/initrd.cpio.gz"
write_config "$WORK/vm.json" --initrd "$WORK/initrd.cpio.gz" --action script --section '"entropy": {}'
run_vm "$WORK/vm.json"
expect_rc 0
expect_up
log "hwrng: $(fact rng_current)"
case $(fact rng_current) in virtio_rng*) ;; *) fail "the guest's hwrng is not virtio_rng: '$(fact rng_current)'"; show_out ;; esac
expect_fact rng_bytes "$rng_bytes"
zero_sha=$(head -c "$rng_bytes" /dev/zero | sha256sum | cut -d' ' -f1)
[ "$(fact rng_sha)" != "$zero_sha" ] || { fail "$rng_bytes zero bytes from /dev/hwrng"; show_out; }
log "sha256 $(fact rng_sha)"
# gzip adds ~0.02 % to random data; anything below the input size means a pattern
expect_fact_range rng_gzip_bytes "$rng_bytes" $((rng_bytes + rng_bytes / 16))
expect_fact script_rc 0
finish
