#!/usr/bin/env bash
# Configures and builds ddpg-cluster into build/ (Release). Extra arguments go to cmake's configure step,
# e.g. scripts/build.sh -DDDPG_SANITIZE=address,undefined with BUILD_DIR=build-asan.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >/dev/null
cmake --build "$build_dir" -j "${JOBS:-2}"
