#!/bin/sh
# Installs what building, running and testing need on Debian 12.
# Idempotent: installs only what is missing, so repeated runs are cheap.
#   tools/setup.sh          what `make`, `make run` and `make test` need:
#                           host tools, plus the arm64 pieces user programs
#                           are built with (musl-dev:arm64, the aarch64 cross
#                           gcc for libgcc.a) and Debian's busybox-static:arm64
#                           unpacked into build/busybox/ (never committed)
#   tools/setup.sh bench    the same (kept for `make bench-net`)
set -eu

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

PKGS="qemu-system-arm qemu-utils ipxe-qemu clang lld llvm make python3 python3-pytest
      device-tree-compiler iproute2 iputils-ping dnsmasq-base e2fsprogs cpio
      libclang-rt-14-dev gcc-aarch64-linux-gnu musl-dev:arm64"

# musl-dev:arm64 needs the arm64 architecture (multiarch).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "setup: adding the arm64 architecture"
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "setup: installing:$missing"
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
        { $SUDO apt-get update -qq &&
          $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
fi

# Debian's static busybox for arm64, for the initramfs: downloaded (not
# installed: it is a foreign binary) and unpacked into build/busybox/.
BB_DIR="$(dirname "$0")/../build/busybox"
if [ ! -x "$BB_DIR/bin/busybox" ]; then
    echo "setup: fetching busybox-static:arm64"
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"    # apt-get download drops privileges to _apt
    (cd "$tmp" && apt-get download -qq busybox-static:arm64) ||
        { $SUDO apt-get update -qq &&
          (cd "$tmp" && apt-get download -qq busybox-static:arm64); }
    mkdir -p "$BB_DIR"
    dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$BB_DIR"
    rm -rf "$tmp"
fi
