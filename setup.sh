#!/usr/bin/env bash
# Sets attnc up from nothing on Debian bookworm, idempotently: system packages
# (LLVM/MLIR 22, ONNX, torch for test models, GoogleTest), ONNX Runtime from
# npm (reference and benchmark peer), then configures and builds into build/.
#   ./setup.sh            install what is missing, configure, build
#   ./setup.sh --no-build install only
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22 libomp-22-dev
  libclang-rt-22-dev
  cmake ninja-build ccache
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  python3-onnx python3-numpy python3-torch
  libgtest-dev libgmock-dev libbenchmark-dev
  qemu-user g++-aarch64-linux-gnu
)
# Node.js and npm come with the machine image (Debian's npm conflicts with it).

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The OpenMP runtime for aarch64, so that multi-threaded aarch64 executables
# link (cmake/CrossRuntimes.cmake copies it beside the aarch64 runtime).
# Only downloaded and unpacked into .deps/: nothing for arm64 is installed.
# Bookworm's arm64 libomp-22-dev takes its libomp.so.5 from libomp5-19.
fetch_aarch64_libomp() {
  local SUDO="" scratch
  [ "$(id -u)" = 0 ] || SUDO=sudo
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64 && $SUDO apt-get update -qq || return 1
  fi
  scratch=$(mktemp -d)
  (cd "$scratch" && apt-get download -qq libomp5-19:arm64 2>/dev/null \
     && dpkg -x libomp5-19_*_arm64.deb unpacked) \
    && mkdir -p .deps/aarch64-linux-gnu \
    && cp -L "$scratch"/unpacked/usr/lib/llvm-19/lib/libomp.so.5 .deps/aarch64-linux-gnu/
  local status=$?
  rm -rf "$scratch"
  return $status
}
if [ ! -f .deps/aarch64-linux-gnu/libomp.so.5 ]; then
  fetch_aarch64_libomp \
    || echo "setup: warning: no aarch64 libomp; aarch64 executables need --single-thread"
fi

# ONNX Runtime (CPU library bundled in the package). Its install script
# downloads from a host this machine cannot reach, hence --ignore-scripts.
if [ ! -d bench/node_modules/onnxruntime-node ] && command -v npm >/dev/null; then
  echo "setup: installing onnxruntime-node@1.30.0 into bench/node_modules"
  (cd bench && npm install --no-audit --no-fund --ignore-scripts onnxruntime-node@1.30.0 >/dev/null) \
    || echo "setup: warning: onnxruntime-node could not be installed (benchmarks only)"
fi

[ "${1:-}" = "--no-build" ] && exit 0

# ccache hits across checkouts need a base dir (CONTRIBUTING.md, "Toolchain pitfalls").
export CCACHE_BASEDIR="$PWD"
cmake -G Ninja -S . -B build >/dev/null
ninja -C build
