#!/bin/sh
# Installs what building, running and testing need on Debian 12.
# Idempotent: installs only what is missing, so repeated runs are cheap.
#   tools/setup.sh          what `make run` and `make test` need
#   tools/setup.sh bench    also the arm64 pieces `make bench-net` needs to
#                           build its Linux guest client (musl-dev:arm64 and
#                           the aarch64 cross gcc, for musl's libgcc helpers)
set -eu

PKGS="qemu-system-arm qemu-utils ipxe-qemu clang lld llvm make python3 python3-pytest
      device-tree-compiler iproute2 iputils-ping dnsmasq-base e2fsprogs cpio
      libclang-rt-14-dev"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done

if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "setup: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ "${1:-}" = bench ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        echo "setup: adding the arm64 architecture"
        $SUDO dpkg --add-architecture arm64
        $SUDO apt-get update -qq
    fi
    missing=""
    for p in musl-dev:arm64 gcc-aarch64-linux-gnu; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "setup: installing:$missing"
        $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
            { $SUDO apt-get update -qq &&
              $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
    fi
fi
