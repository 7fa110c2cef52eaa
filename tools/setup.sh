#!/bin/sh
# Installs what building, running and testing need on Debian 12.
# Idempotent: installs only what is missing, so repeated runs are cheap.
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
