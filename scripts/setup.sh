#!/bin/sh
# scripts/setup.sh [BUILDDIR] — install what skiff needs from Debian, fetch
# newer kernel uAPI headers when the system's are too old, and configure
# the Meson build directory (default: build). Safe to run again.
#
# scripts/setup.sh --cross aarch64 [BUILDDIR] — the same for a cross build
# (default BUILDDIR: build-aarch64): adds dpkg's arm64 architecture, the
# cross compiler and the arm64 -dev packages, and configures BUILDDIR with
# meson/cross/aarch64-linux-gnu.txt. With QEMU's user-mode emulator
# installed (qemu-user) add SKIFF_CROSS_RUN=1 to run the unit tests under
# it (meson/cross/aarch64-qemu-user.txt; QEMU 7.2 lacks io_uring, so the
# tests that need it skip there).
#
# Environment: SKIFF_MESON_ARGS  extra arguments for `meson setup`
#              SKIFF_NO_APT=1    do not call apt-get (check only)
#              SKIFF_CROSS_RUN=1 (with --cross) run tests under qemu-user
set -eu
fdt_root=
repo=$(cd "$(dirname "$0")/.." && pwd)
cross=
if [ "${1:-}" = --cross ]; then
    [ "${2:-}" = aarch64 ] || { echo "setup: --cross takes aarch64 (the only cross target)" >&2; exit 1; }
    cross=aarch64
    shift 2
fi
builddir=${1:-build${cross:+-$cross}}
cd "$repo"

# Build, test and lab dependencies, all from Debian 12.
packages="build-essential meson ninja-build pkg-config libjansson-dev liburing-dev libfdt-dev
  device-tree-compiler acpica-tools busybox-static cpio gzip qemu-system-x86 qemu-utils e2fsprogs strace file util-linux
  ca-certificates xz-utils socat iperf3 python3"
# The aarch64 cross build: Debian's cross compiler and the arm64 builds of
# the libraries skiff links (multiarch, so dpkg must know arm64).
if [ "$cross" = aarch64 ]; then
    packages="$packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      libjansson-dev:arm64 liburing-dev:arm64"
    [ "${SKIFF_CROSS_RUN:-0}" = 1 ] && packages="$packages qemu-user"
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        [ "${SKIFF_NO_APT:-0}" = 1 ] && { echo "setup: dpkg lacks the arm64 architecture" >&2; exit 1; }
        if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
        $sudo dpkg --add-architecture arm64
        $sudo apt-get update -qq
    fi
fi

missing=
for p in $packages; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "${SKIFF_NO_APT:-0}" = 1 ]; then
        echo "setup: missing packages:$missing" >&2
        exit 1
    fi
    echo "setup: installing$missing"
    if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Debian 12's linux-libc-dev (6.1) predates the iommufd vIOMMU interface.
# Then take linux-libc-dev from Debian sid, unpacked into the build tree
# (never into the repository) and used with -isystem.
uapi_args=
if ! grep -q IOMMU_VIOMMU_ALLOC /usr/include/linux/iommufd.h 2>/dev/null; then
    deps=$repo/.deps
    uapi=$deps/uapi/usr/include
    if ! grep -q IOMMU_VIOMMU_ALLOC "$uapi/linux/iommufd.h" 2>/dev/null; then
        echo "setup: system uAPI headers lack IOMMU_VIOMMU_ALLOC; fetching linux-libc-dev from Debian sid"
        mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *//p' | grep -m1 debian || true)
        [ -n "$mirror" ] || mirror=$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '{print $2}' | grep -m1 debian || true)
        [ -n "$mirror" ] || { echo "setup: no Debian archive in the apt sources" >&2; exit 1; }
        apt_dir=$deps/apt-sid
        mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
        echo "deb $mirror sid main" > "$apt_dir/sources.list"
        o="-o Dir::Etc::SourceList=$apt_dir/sources.list -o Dir::Etc::SourceParts=/dev/null
           -o Dir::State::Lists=$apt_dir/lists -o Dir::Cache=$apt_dir/cache
           -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
        # shellcheck disable=SC2086
        apt-get $o update -qq
        rm -rf "$deps/uapi" && mkdir -p "$deps/uapi"
        # shellcheck disable=SC2086
        (cd "$apt_dir" && rm -f linux-libc-dev_*.deb && apt-get $o download linux-libc-dev >/dev/null)
        dpkg-deb -x "$apt_dir"/linux-libc-dev_*.deb "$deps/uapi"
        grep -q IOMMU_VIOMMU_ALLOC "$uapi/linux/iommufd.h" ||
            { echo "setup: sid's linux-libc-dev lacks IOMMU_VIOMMU_ALLOC too" >&2; exit 1; }
    fi
    uapi_args="-Duapi_include=$uapi"
fi

# Debian 12's libfdt-dev is not multi-arch: installing the arm64 one would
# remove the native one. The cross build takes it unpacked under .deps.
cross_args=
if [ "$cross" = aarch64 ]; then
    fdt_root=$repo/.deps/aarch64/libfdt
    if [ ! -f "$fdt_root/usr/include/libfdt.h" ]; then
        mkdir -p "$repo/.deps/aarch64"
        (cd "$repo/.deps/aarch64" && rm -f libfdt-dev_*.deb && apt-get download libfdt-dev:arm64 >/dev/null 2>&1) ||
            { echo "setup: cannot download libfdt-dev:arm64" >&2; exit 1; }
        rm -rf "$fdt_root" && dpkg-deb -x "$repo"/.deps/aarch64/libfdt-dev_*_arm64.deb "$fdt_root"
    fi
    cross_args="--cross-file meson/cross/aarch64-linux-gnu.txt -Dlibfdt_dir=$fdt_root"
    [ "${SKIFF_CROSS_RUN:-0}" = 1 ] && cross_args="$cross_args --cross-file meson/cross/aarch64-qemu-user.txt"
fi

if [ -f "$builddir/build.ninja" ]; then
    # shellcheck disable=SC2086
    meson configure "$builddir" $uapi_args ${fdt_root:+-Dlibfdt_dir=$fdt_root} ${SKIFF_MESON_ARGS:-} >/dev/null
else
    # shellcheck disable=SC2086
    meson setup "$builddir" $cross_args $uapi_args ${SKIFF_MESON_ARGS:-} >/dev/null
fi
echo "setup: configured $builddir"
