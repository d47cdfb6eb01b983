#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (as root) and builds ModelMeter: installs the Debian packages the build
# needs (only those missing), configures with CMake and builds. Idempotent; re-running only rebuilds.
#
#   packaging/setup.sh                 # build into ./build with g++
#   BUILD_DIR=build-clang CXX=clang++ CC=clang packaging/setup.sh
#
# With CI=true warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache binutils dpkg-dev file
  clang libc++-dev libc++abi-dev libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-filesystem1.81-dev
  libtomlplusplus-dev libspdlog-dev libcli11-dev doctest-dev libyaml-cpp-dev
  libbenchmark-dev libcpp-httplib-dev pkg-config
  lintian
  python3-dev pybind11-dev python3-pybind11 python3-pytest python3-pandas
  slurm-wlm munge
  python3-torch
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages (run as root to install them): ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

build_dir=${BUILD_DIR:-build}
werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMODELMETER_WERROR="$werror" \
  ${EXTRA_CMAKE_ARGS:-}
cmake --build "$build_dir" -j "$(nproc)"
