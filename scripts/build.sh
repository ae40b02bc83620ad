#!/usr/bin/env bash
# Configures and builds ddpg-cluster into build/ (Release). Extra arguments go to cmake's configure step,
# e.g. scripts/build.sh -DDDPG_SANITIZE=address,undefined with BUILD_DIR=build-asan. TARGETS="a b" builds
# only those targets (default: everything, tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >/dev/null
targets=()
for target in ${TARGETS:-}; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "${JOBS:-2}" "${targets[@]}"
