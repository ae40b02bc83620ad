#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing ddpg-cluster need, if any are missing.
# Uses sudo when not run as root. Nothing is downloaded from outside Debian's package archive.
#
#   scripts/install-deps.sh [--build-only]
set -euo pipefail

packages=(
  cmake g++ make pkg-config clang-format  # clang-format: the test suite checks the tree's formatting
  libtorch-dev libopenblas0-openmp   # without OpenBLAS, LibTorch falls back to reference BLAS (~15x slower)
  libzmq3-dev cppzmq-dev libcereal-dev libboost-program-options-dev
  libspdlog-dev nlohmann-json3-dev catch2
  prometheus-cpp-dev                 # the metrics endpoint (run.metrics_port) formats with its core library
  libbox2d-dev                       # LunarLanderContinuous-v3, BipedalWalker-v3
  libhnswlib-dev                     # the recommender's approximate item index
  zlib1g-dev                         # the replay log's CRC-32 (and MuJoCo's model loader)
  libmujoco-dev libqhull-dev dart-doc  # MuJoCo engine; dart-doc ships Gym's MuJoCo models (MIT)
  libgl-dev libopengl-dev            # MuJoCo's CMake package looks for OpenGL even though nothing renders
)
# Not needed to build: scripts/plot.py's figures, Python's torch for the test that loads an exported policy,
# for bench/reference_ddpg.py (bench/time_to_solve.py's baseline) and the test of its mathematics, and
# clang with libFuzzer, which the test suite fuzzes the wire decoder with, iproute2, whose `ip netns` the
# fault tests partition actors with, and r-cran-dslabs, whose copy of MovieLens the recommender tests read. `install-deps.sh --build-only` leaves them out (the Docker
# image's build stage).
if [ "${1:-}" != "--build-only" ]; then
  packages+=(python3-matplotlib python3-torch clang libclang-rt-14-dev iproute2 r-cran-dslabs)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
