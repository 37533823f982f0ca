#!/usr/bin/env bash
# Installs the Debian packages cppvisa needs, only those that are missing (a second run is quick).
set -euo pipefail
packages=(
  g++ make cmake pkg-config ccache clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev libusb-1.0-0-dev libfmt-dev libcli11-dev libedit-dev libpng-dev libssl-dev libsasl2-dev libsasl2-modules
  python3 python3-pyvisa python3-pyvisa-py liblxi-dev lxi-tools iproute2
  libavahi-client-dev avahi-daemon avahi-utils dbus-daemon python3-zeroconf
  dpkg-dev doxygen umockdev libumockdev-dev
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
